// SPDX-License-Identifier: MIT
// Unit tests for SAS tokens (hub_sas.h): make/verify agreement, a known-answer vector worked out
// independently (HMAC computed here, and the literal from `openssl dgst -sha256 -mac HMAC`),
// expiry, wrong keys and resources, tampering, and malformed tokens.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cloud/hub_sas.h"

// Base64 of the bytes 0x00..0x1f.
#define KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define OTHER_KEY "HwAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh="
#define RESOURCE "myhub.azure-devices.net/devices/dev1"
#define EXPIRY 1700000000LL
#define NOW (EXPIRY - 3600)

// printf 'myhub.azure-devices.net%2Fdevices%2Fdev1\n1700000000' |
//   openssl dgst -sha256 -mac HMAC -macopt hexkey:000102…1f -binary | base64
#define KNOWN_SIG "i+YmMcSSZc4KzBi6ejz3l0iL+2sN0CE3q6vSm837h2g="
#define KNOWN_TOKEN                                                                            \
    "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=i%2BYmMcSSZc4KzBi6" \
    "ejz3l0iL%2B2sN0CE3q6vSm837h2g%3D&se=1700000000"

// Base64(HMAC-SHA256(key 0x00..0x1f, text)) computed with OpenSSL directly, not via hub_sas.
static void expected_sig(const char *text, char out[64]) {
    unsigned char key[32];
    for (int i = 0; i < 32; i++) {
        key[i] = (unsigned char)i;
    }
    unsigned char md[32];
    unsigned int md_len = 0;
    assert_non_null(HMAC(EVP_sha256(), key, sizeof key, (const unsigned char *)text, strlen(text),
                         md, &md_len));
    assert_int_equal(md_len, 32);
    EVP_EncodeBlock((unsigned char *)out, md, 32);
}

static enum hub_result verify(const char *token, const char *resource, const char *key,
                              long long now) {
    char err[128];
    return hub_sas_token_verify(token, resource, key, now, err, sizeof err);
}

static void test_hub_sas_token_make_known_answer(void **state) {
    (void)state;
    char sig[64];
    expected_sig("myhub.azure-devices.net%2Fdevices%2Fdev1\n1700000000", sig);
    assert_string_equal(sig, KNOWN_SIG);
    char out[512];
    int n = hub_sas_token_make(RESOURCE, KEY, NULL, EXPIRY, out, sizeof out);
    assert_int_equal(n, (int)strlen(KNOWN_TOKEN));
    assert_string_equal(out, KNOWN_TOKEN);
}

static void test_hub_sas_token_make_with_key_name_appends_skn(void **state) {
    (void)state;
    char out[512];
    assert_true(hub_sas_token_make("0ne0001/registrations/reg-1", KEY, "registration", EXPIRY, out,
                                   sizeof out) > 0);
    assert_non_null(strstr(out, "sr=0ne0001%2Fregistrations%2Freg-1&sig="));
    size_t len = strlen(out);
    assert_string_equal(out + len - strlen("&skn=registration"), "&skn=registration");
    assert_int_equal(verify(out, "0ne0001/registrations/reg-1", KEY, NOW), HUB_OK);
}

static void test_hub_sas_token_make_bad_arguments_fail(void **state) {
    (void)state;
    char out[512];
    assert_int_equal(hub_sas_token_make(RESOURCE, KEY, NULL, 0, out, sizeof out), -1);
    assert_int_equal(hub_sas_token_make(RESOURCE, KEY, NULL, -5, out, sizeof out), -1);
    assert_int_equal(hub_sas_token_make(RESOURCE, "not base64!", NULL, EXPIRY, out, sizeof out),
                     -1);
    assert_int_equal(hub_sas_token_make(RESOURCE, "", NULL, EXPIRY, out, sizeof out), -1);
    assert_int_equal(hub_sas_token_make("", KEY, NULL, EXPIRY, out, sizeof out), -1);
    assert_int_equal(hub_sas_token_make(NULL, KEY, NULL, EXPIRY, out, sizeof out), -1);
    assert_int_equal(hub_sas_token_make(RESOURCE, KEY, "", EXPIRY, out, sizeof out), -1);
    size_t need = strlen(KNOWN_TOKEN);
    assert_int_equal(hub_sas_token_make(RESOURCE, KEY, NULL, EXPIRY, out, need), -1);
    assert_string_equal(out, "");
    assert_int_equal(hub_sas_token_make(RESOURCE, KEY, NULL, EXPIRY, out, need + 1), (int)need);
}

static void test_hub_sas_token_verify_made_token_ok(void **state) {
    (void)state;
    char out[512];
    char err[128];
    assert_true(hub_sas_token_make(RESOURCE, KEY, NULL, EXPIRY, out, sizeof out) > 0);
    assert_int_equal(hub_sas_token_verify(out, RESOURCE, KEY, NOW, err, sizeof err), HUB_OK);
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, KEY, EXPIRY - 1), HUB_OK);
}

static void test_hub_sas_token_verify_expired_at_and_after_se(void **state) {
    (void)state;
    char err[128];
    assert_int_equal(hub_sas_token_verify(KNOWN_TOKEN, RESOURCE, KEY, EXPIRY, err, sizeof err),
                     HUB_ERR_EXPIRED);
    assert_non_null(strstr(err, "expired"));
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, KEY, EXPIRY + 100000), HUB_ERR_EXPIRED);
    // A forged token is refused as forged, expired or not.
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, OTHER_KEY, EXPIRY + 1), HUB_ERR_AUTH);
}

static void test_hub_sas_token_verify_wrong_key_auth(void **state) {
    (void)state;
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, OTHER_KEY, NOW), HUB_ERR_AUTH);
}

static void test_hub_sas_token_verify_wrong_resource_auth(void **state) {
    (void)state;
    assert_int_equal(verify(KNOWN_TOKEN, "myhub.azure-devices.net/devices/dev2", KEY, NOW),
                     HUB_ERR_AUTH);
    assert_int_equal(verify(KNOWN_TOKEN, "myhub.azure-devices.net/devices/DEV1", KEY, NOW),
                     HUB_ERR_AUTH);
    assert_int_equal(verify(KNOWN_TOKEN, "otherhub.azure-devices.net/devices/dev1", KEY, NOW),
                     HUB_ERR_AUTH);
    assert_int_equal(verify(KNOWN_TOKEN, "myhub.azure-devices.net", KEY, NOW), HUB_ERR_AUTH);
    // Host names are case-insensitive.
    assert_int_equal(verify(KNOWN_TOKEN, "MyHub.Azure-Devices.NET/devices/dev1", KEY, NOW), HUB_OK);
}

static void test_hub_sas_token_verify_tampered_fields_auth(void **state) {
    (void)state;
    char t[512];
    // One signature character changed (still valid base64).
    snprintf(t, sizeof t, "%s", KNOWN_TOKEN);
    char *sig = strstr(t, "sig=") + 4;
    sig[0] = sig[0] == 'A' ? 'B' : 'A';
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_ERR_AUTH);
    // Expiry pushed out without re-signing.
    snprintf(t, sizeof t, "%s", KNOWN_TOKEN);
    char *se = strstr(t, "se=") + 3;
    se[0] = '2';
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_ERR_AUTH);
    // Another device's resource with this device's signature.
    snprintf(t, sizeof t,
             "SharedAccessSignature sr=myhub.azure-devices.net%%2Fdevices%%2Fdev2&sig=i%%2BYmMcS"
             "SZc4KzBi6ejz3l0iL%%2B2sN0CE3q6vSm837h2g%%3D&se=1700000000");
    assert_int_equal(verify(t, "myhub.azure-devices.net/devices/dev2", KEY, NOW), HUB_ERR_AUTH);
}

static void test_hub_sas_token_verify_client_encodings_accepted(void **state) {
    (void)state;
    char sig[64], t[512];
    // Fields in another order, signature characters left unencoded.
    snprintf(t, sizeof t, "SharedAccessSignature se=1700000000&sig=%s&sr=%s", KNOWN_SIG,
             "myhub.azure-devices.net%2Fdevices%2Fdev1");
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_OK);
    // Lowercase hex escapes, signed as sent.
    expected_sig("myhub.azure-devices.net%2fdevices%2fdev1\n1700000000", sig);
    snprintf(t, sizeof t,
             "SharedAccessSignature sr=myhub.azure-devices.net%%2fdevices%%2fdev1&sig=%s&se="
             "1700000000",
             sig);
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_OK);
    // sr sent unencoded but signed in our canonical encoding.
    snprintf(t, sizeof t, "SharedAccessSignature sr=%s&sig=%s&se=1700000000", RESOURCE, KNOWN_SIG);
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_OK);
}

static void test_hub_sas_token_verify_malformed_invalid(void **state) {
    (void)state;
    static const char *bad[] = {
        "",
        "sr=a&sig=b&se=1",
        "sharedaccesssignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1700000000",
        "SharedAccessSignature",
        "SharedAccessSignature ",
        "SharedAccessSignature sig=" KNOWN_SIG "&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG,
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1700000000&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sr=x&sig=" KNOWN_SIG
        "&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1700000000&skn=a&skn=b",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1700000000&extra=1",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=17000000x0",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG "&se=",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=-1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se= 1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=99999999999999999999",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1.7e9",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=%%%&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=not*base64*at*all"
        "&se=1700000000",
        // 31 bytes of base64: the right alphabet, the wrong length for HMAC-SHA256.
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig="
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "=&se=1700000000",
        "SharedAccessSignature sr=&sig=" KNOWN_SIG "&se=1700000000",
        "SharedAccessSignature sr=%zz&sig=" KNOWN_SIG "&se=1700000000",
        "SharedAccessSignature sr=a%00b&sig=" KNOWN_SIG "&se=1700000000",
        "SharedAccessSignature sr&sig=" KNOWN_SIG "&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&&sig=" KNOWN_SIG
        "&se=1700000000",
        "SharedAccessSignature sr=myhub.azure-devices.net%2Fdevices%2Fdev1&sig=" KNOWN_SIG
        "&se=1700000000&skn=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        assert_int_equal(hub_sas_token_verify(bad[i], RESOURCE, KEY, NOW, err, sizeof err),
                         HUB_ERR_INVALID);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(verify(NULL, RESOURCE, KEY, NOW), HUB_ERR_INVALID);
    assert_int_equal(verify(KNOWN_TOKEN, NULL, KEY, NOW), HUB_ERR_INVALID);
}

static void test_hub_sas_token_verify_oversized_token_invalid(void **state) {
    (void)state;
    static char t[HUB_SAS_MAX_TOKEN + 64];
    int n = snprintf(t, sizeof t, "SharedAccessSignature sr=");
    memset(t + n, 'a', sizeof t - (size_t)n - 1);
    t[sizeof t - 1] = '\0';
    assert_int_equal(verify(t, RESOURCE, KEY, NOW), HUB_ERR_INVALID);
}

static void test_hub_sas_token_verify_bad_device_key_internal(void **state) {
    (void)state;
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, "%%%", NOW), HUB_ERR_INTERNAL);
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, NULL, NOW), HUB_ERR_INTERNAL);
    assert_int_equal(verify(KNOWN_TOKEN, RESOURCE, "", NOW), HUB_ERR_INTERNAL);
}

static void test_hub_sas_key_generate_random_32_bytes(void **state) {
    (void)state;
    char a[HUB_SAS_KEY_BASE64_SIZE], b[HUB_SAS_KEY_BASE64_SIZE];
    assert_int_equal(hub_sas_key_generate(a, sizeof a), 0);
    assert_int_equal(hub_sas_key_generate(b, sizeof b), 0);
    assert_int_equal(strlen(a), 44);
    assert_string_not_equal(a, b);
    unsigned char raw[48];
    assert_int_equal(EVP_DecodeBlock(raw, (const unsigned char *)a, 44), 33); /* 32 + padding */
    assert_int_equal(a[43], '=');
    char token[512];
    assert_true(hub_sas_token_make(RESOURCE, a, NULL, EXPIRY, token, sizeof token) > 0);
    assert_int_equal(verify(token, RESOURCE, a, NOW), HUB_OK);
    assert_int_equal(verify(token, RESOURCE, b, NOW), HUB_ERR_AUTH);
    assert_int_equal(hub_sas_key_generate(a, HUB_SAS_KEY_BASE64_SIZE - 1), -1);
    assert_int_equal(hub_sas_key_generate(NULL, 64), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_sas_token_make_known_answer),
        cmocka_unit_test(test_hub_sas_token_make_with_key_name_appends_skn),
        cmocka_unit_test(test_hub_sas_token_make_bad_arguments_fail),
        cmocka_unit_test(test_hub_sas_token_verify_made_token_ok),
        cmocka_unit_test(test_hub_sas_token_verify_expired_at_and_after_se),
        cmocka_unit_test(test_hub_sas_token_verify_wrong_key_auth),
        cmocka_unit_test(test_hub_sas_token_verify_wrong_resource_auth),
        cmocka_unit_test(test_hub_sas_token_verify_tampered_fields_auth),
        cmocka_unit_test(test_hub_sas_token_verify_client_encodings_accepted),
        cmocka_unit_test(test_hub_sas_token_verify_malformed_invalid),
        cmocka_unit_test(test_hub_sas_token_verify_oversized_token_invalid),
        cmocka_unit_test(test_hub_sas_token_verify_bad_device_key_internal),
        cmocka_unit_test(test_hub_sas_key_generate_random_32_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
