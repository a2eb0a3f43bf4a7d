// SPDX-License-Identifier: MIT
// SAS token creation and verification for the local hub (see hub_sas.h). The token is the MQTT
// password of a symmetric-key device, so verify() parses it as hostile input: bounded fields,
// each at most once, strict base64, and a constant-time signature comparison. Key material is
// wiped from the stack before returning.

#include "cloud/hub_sas.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "cloud/hub_protocol.h"

#define SIG_BYTES 32
#define ENCODED_RESOURCE_MAX (3 * HUB_SAS_MAX_RESOURCE + 1)
#define KEY_BASE64_MAX (4 * ((HUB_SAS_MAX_KEY_BYTES + 2) / 3))
#define SE_DIGITS_MAX 18 /* keeps the value inside long long without overflow checks */
#define TOKEN_PREFIX "SharedAccessSignature "

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
                                                          const char *fmt, ...) {
    if (err == NULL || err_size == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static bool b64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Strict standard base64 (padding required, no whitespace). EVP_DecodeBlock alone would skip
// blanks and count padding as zero bytes, so the length is worked out here. Returns the decoded
// length or -1.
static int b64_decode(const char *in, size_t n, unsigned char *out, size_t out_size) {
    unsigned char tmp[HUB_SAS_MAX_KEY_BYTES + 3];
    if (n == 0 || n % 4 != 0 || n / 4 * 3 > sizeof tmp) {
        return -1;
    }
    size_t pad = 0;
    if (in[n - 1] == '=') {
        pad = in[n - 2] == '=' ? 2 : 1;
    }
    for (size_t i = 0; i < n - pad; i++) {
        if (!b64_char(in[i])) {
            return -1;
        }
    }
    size_t len = n / 4 * 3 - pad;
    if (len > out_size || EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)n) < 0) {
        OPENSSL_cleanse(tmp, sizeof tmp);
        return -1;
    }
    memcpy(out, tmp, len);
    OPENSSL_cleanse(tmp, sizeof tmp);
    return (int)len;
}

static int decode_key(const char *key_base64, unsigned char key[HUB_SAS_MAX_KEY_BYTES]) {
    if (key_base64 == NULL) {
        return -1;
    }
    size_t n = strnlen(key_base64, KEY_BASE64_MAX + 1);
    if (n > KEY_BASE64_MAX) {
        return -1;
    }
    return b64_decode(key_base64, n, key, HUB_SAS_MAX_KEY_BYTES);
}

// HMAC-SHA256 over "{signed_resource}\n{se_text}".
static bool sign(const unsigned char *key, int key_len, const char *signed_resource,
                 const char *se_text, unsigned char md[SIG_BYTES]) {
    char text[ENCODED_RESOURCE_MAX + SE_DIGITS_MAX + 24];
    int n = snprintf(text, sizeof text, "%s\n%s", signed_resource, se_text);
    if (n < 0 || (size_t)n >= sizeof text) {
        return false;
    }
    unsigned int md_len = 0;
    if (HMAC(EVP_sha256(), key, key_len, (const unsigned char *)text, (size_t)n, md, &md_len) ==
            NULL ||
        md_len != SIG_BYTES) {
        return false;
    }
    return true;
}

int hub_sas_token_make(const char *resource, const char *key_base64, const char *key_name,
                       long long expiry, char *out, size_t out_size) {
    unsigned char key[HUB_SAS_MAX_KEY_BYTES];
    unsigned char md[SIG_BYTES];
    char encoded[ENCODED_RESOURCE_MAX];
    char sig_b64[4 * ((SIG_BYTES + 2) / 3) + 1];
    char sig_encoded[3 * sizeof sig_b64];
    char skn_encoded[3 * 128 + 1] = "";
    char se_text[24];
    int rc = -1;
    int key_len = decode_key(key_base64, key);

    if (out != NULL && out_size > 0) {
        out[0] = '\0';
    }
    if (out == NULL || resource == NULL || resource[0] == '\0' || key_len <= 0 || expiry <= 0 ||
        strnlen(resource, HUB_SAS_MAX_RESOURCE + 1) > HUB_SAS_MAX_RESOURCE ||
        hub_url_encode(resource, encoded, sizeof encoded) < 0) {
        goto out;
    }
    if (key_name != NULL &&
        (key_name[0] == '\0' || hub_url_encode(key_name, skn_encoded, sizeof skn_encoded) < 0)) {
        goto out;
    }
    snprintf(se_text, sizeof se_text, "%lld", expiry);
    if (!sign(key, key_len, encoded, se_text, md)) {
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)sig_b64, md, SIG_BYTES);
    if (hub_url_encode(sig_b64, sig_encoded, sizeof sig_encoded) < 0) {
        goto out;
    }
    int n = snprintf(out, out_size, TOKEN_PREFIX "sr=%s&sig=%s&se=%s%s%s", encoded, sig_encoded,
                     se_text, key_name != NULL ? "&skn=" : "", skn_encoded);
    if (n < 0 || (size_t)n >= out_size) {
        out[0] = '\0';
        goto out;
    }
    rc = n;
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(md, sizeof md);
    return rc;
}

struct token_fields {
    const char *sr;
    size_t sr_len;
    const char *sig;
    size_t sig_len;
    const char *se;
    size_t se_len;
    const char *skn;
    size_t skn_len;
};

// Splits the part after the prefix into its fields; each known field at most once, nothing else.
static bool split_token(const char *p, struct token_fields *f, char *err, size_t err_size) {
    memset(f, 0, sizeof *f);
    while (true) {
        const char *amp = strchr(p, '&');
        size_t seg_len = amp != NULL ? (size_t)(amp - p) : strlen(p);
        const char *eq = memchr(p, '=', seg_len);
        if (eq == NULL) {
            set_err(err, err_size, "token field without '='");
            return false;
        }
        size_t key_len = (size_t)(eq - p);
        const char **slot = NULL;
        size_t *slot_len = NULL;
        if (key_len == 2 && strncmp(p, "sr", 2) == 0) {
            slot = &f->sr, slot_len = &f->sr_len;
        } else if (key_len == 3 && strncmp(p, "sig", 3) == 0) {
            slot = &f->sig, slot_len = &f->sig_len;
        } else if (key_len == 2 && strncmp(p, "se", 2) == 0) {
            slot = &f->se, slot_len = &f->se_len;
        } else if (key_len == 3 && strncmp(p, "skn", 3) == 0) {
            slot = &f->skn, slot_len = &f->skn_len;
        } else {
            set_err(err, err_size, "unknown token field");
            return false;
        }
        if (*slot != NULL) {
            set_err(err, err_size, "token field '%.*s' repeated", (int)key_len, p);
            return false;
        }
        *slot = eq + 1;
        *slot_len = seg_len - key_len - 1;
        if (amp == NULL) {
            break;
        }
        p = amp + 1;
    }
    if (f->sr == NULL || f->sig == NULL || f->se == NULL) {
        set_err(err, err_size, "token lacks %s",
                f->sr == NULL    ? "sr"
                : f->sig == NULL ? "sig"
                                 : "se");
        return false;
    }
    return true;
}

static bool parse_se(const char *s, size_t n, long long *out) {
    if (n == 0 || n > SE_DIGITS_MAX) {
        return false;
    }
    long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

// Host names compare case-insensitively, the path after them exactly.
static bool resource_matches(const char *got, const char *expected) {
    const char *got_slash = strchr(got, '/');
    const char *exp_slash = strchr(expected, '/');
    size_t got_host = got_slash != NULL ? (size_t)(got_slash - got) : strlen(got);
    size_t exp_host = exp_slash != NULL ? (size_t)(exp_slash - expected) : strlen(expected);
    return got_host == exp_host && strncasecmp(got, expected, got_host) == 0 &&
           strcmp(got + got_host, expected + exp_host) == 0;
}

static void lowercase_escapes(char *s) {
    for (; *s != '\0'; s++) {
        if (*s == '%' && s[1] != '\0' && s[2] != '\0') {
            for (int k = 1; k <= 2; k++) {
                if (s[k] >= 'A' && s[k] <= 'F') {
                    s[k] = (char)(s[k] - 'A' + 'a');
                }
            }
            s += 2;
        }
    }
}

enum hub_result hub_sas_token_verify(const char *token, const char *expected_resource,
                                     const char *key_base64, long long now, char *err,
                                     size_t err_size) {
    unsigned char key[HUB_SAS_MAX_KEY_BYTES];
    unsigned char got_sig[SIG_BYTES + 3];
    unsigned char md[SIG_BYTES];
    char resource[HUB_SAS_MAX_RESOURCE + 1];
    char sig_text[4 * ((SIG_BYTES + 2) / 3) + 1];
    char se_text[SE_DIGITS_MAX + 1];
    char candidates[3][ENCODED_RESOURCE_MAX];
    struct token_fields f;
    long long se = 0;
    int key_len = -1;
    enum hub_result r = HUB_ERR_INVALID;

    set_err(err, err_size, "ok");
    if (token == NULL || expected_resource == NULL) {
        set_err(err, err_size, "no token");
        goto out;
    }
    if (strnlen(token, HUB_SAS_MAX_TOKEN + 1) > HUB_SAS_MAX_TOKEN) {
        set_err(err, err_size, "token longer than %d bytes", HUB_SAS_MAX_TOKEN);
        goto out;
    }
    if (strncmp(token, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0) {
        set_err(err, err_size, "not a SharedAccessSignature token");
        goto out;
    }
    if (!split_token(token + strlen(TOKEN_PREFIX), &f, err, err_size)) {
        goto out;
    }
    if (f.sr_len >= ENCODED_RESOURCE_MAX ||
        hub_url_decode(f.sr, f.sr_len, resource, sizeof resource, NULL) != HUB_OK ||
        resource[0] == '\0') {
        set_err(err, err_size, "sr is empty, too long or badly escaped");
        goto out;
    }
    size_t sig_len = 0;
    if (hub_url_decode(f.sig, f.sig_len, sig_text, sizeof sig_text, &sig_len) != HUB_OK ||
        b64_decode(sig_text, sig_len, got_sig, sizeof got_sig) != SIG_BYTES) {
        set_err(err, err_size, "sig is not a base64 HMAC-SHA256");
        goto out;
    }
    if (!parse_se(f.se, f.se_len, &se)) {
        set_err(err, err_size, "se is not a decimal expiry time");
        goto out;
    }
    memcpy(se_text, f.se, f.se_len);
    se_text[f.se_len] = '\0';
    char skn[129];
    if (f.skn != NULL &&
        (hub_url_decode(f.skn, f.skn_len, skn, sizeof skn, NULL) != HUB_OK || skn[0] == '\0')) {
        set_err(err, err_size, "skn is empty, too long or badly escaped");
        goto out;
    }
    key_len = decode_key(key_base64, key);
    if (key_len <= 0) {
        r = HUB_ERR_INTERNAL;
        set_err(err, err_size, "device key is not base64");
        goto out;
    }
    if (!resource_matches(resource, expected_resource)) {
        r = HUB_ERR_AUTH;
        set_err(err, err_size, "token is for another resource");
        goto out;
    }

    // The client signed the sr text it sent; clients that encode differently from us still sign
    // what they send, so that comes first, then our uppercase and lowercase encodings.
    memcpy(candidates[0], f.sr, f.sr_len);
    candidates[0][f.sr_len] = '\0';
    if (hub_url_encode(resource, candidates[1], sizeof candidates[1]) < 0) {
        r = HUB_ERR_INTERNAL;
        set_err(err, err_size, "resource does not re-encode");
        goto out;
    }
    memcpy(candidates[2], candidates[1], sizeof candidates[2]);
    lowercase_escapes(candidates[2]);
    r = HUB_ERR_AUTH;
    for (size_t i = 0; i < 3 && r != HUB_OK; i++) {
        if (i > 0 && strcmp(candidates[i], candidates[i - 1]) == 0) {
            continue;
        }
        if (!sign(key, key_len, candidates[i], se_text, md)) {
            r = HUB_ERR_INTERNAL;
            set_err(err, err_size, "HMAC failed");
            goto out;
        }
        if (CRYPTO_memcmp(md, got_sig, SIG_BYTES) == 0) {
            r = HUB_OK;
        }
    }
    if (r != HUB_OK) {
        set_err(err, err_size, "signature does not match");
        goto out;
    }
    if (se <= now) {
        r = HUB_ERR_EXPIRED;
        set_err(err, err_size, "token expired at %lld (now %lld)", se, now);
        goto out;
    }
    set_err(err, err_size, "ok");
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(md, sizeof md);
    return r;
}

int hub_sas_key_generate(char *out, size_t out_size) {
    unsigned char key[HUB_SAS_KEY_BYTES];
    if (out == NULL || out_size < HUB_SAS_KEY_BASE64_SIZE) {
        return -1;
    }
    if (RAND_bytes(key, sizeof key) != 1) {
        out[0] = '\0';
        return -1;
    }
    EVP_EncodeBlock((unsigned char *)out, key, sizeof key);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}
