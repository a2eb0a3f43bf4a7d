// SPDX-License-Identifier: MIT
// The hub's root CA and broker server certificate (see hub_pki.h), with OpenSSL 3's EVP and X509
// APIs. Callers serialise on the hub state directory's lock, so this file does not guard against
// two processes issuing at once.

#include "cloud/hub_pki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "os/format_text.h"
#include "os/fs_util.h"

#define CA_DAYS 3652
#define SERVER_DAYS 365
#define RENEW_BEFORE_SECONDS (7L * 24 * 3600)
#define BACKDATE_SECONDS 300  // tolerate a device clock slightly behind the host's
#define MAX_PEM_BYTES (64 * 1024)
#define SAN_TEXT_SIZE 8192

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
                                                          const char *fmt, ...) {
    char ossl[256] = "";
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        ERR_error_string_n(code, ossl, sizeof ossl);
    }
    ERR_clear_error();
    if (err == NULL || err_size == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < err_size && ossl[0] != '\0') {
        snprintf(err + n, err_size - (size_t)n, ": %s", ossl);
    }
}

struct pki_paths {
    char ca_cert[PATH_MAX];
    char ca_key[PATH_MAX];
    char server_cert[PATH_MAX];
    char server_key[PATH_MAX];
};

static bool join(char *out, size_t out_size, const char *dir, const char *name) {
    return sim_format(out, out_size, "%s/%s", dir, name) == 0;
}

static BIO *read_file_bio(const char *path, char *err, size_t err_size) {
    static char buf[MAX_PEM_BYTES];
    size_t len = 0;
    if (sim_fs_read_file(path, buf, sizeof buf, &len, err, err_size) != 0) {
        return NULL;
    }
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || BIO_write(bio, buf, (int)len) != (int)len) {
        BIO_free(bio);
        set_err(err, err_size, "%s: out of memory", path);
        return NULL;
    }
    return bio;
}

static X509 *load_cert(const char *path, char *err, size_t err_size) {
    BIO *bio = read_file_bio(path, err, err_size);
    if (bio == NULL) {
        return NULL;
    }
    X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (cert == NULL) {
        set_err(err, err_size, "%s holds no PEM certificate", path);
    }
    return cert;
}

static EVP_PKEY *load_key(const char *path, char *err, size_t err_size) {
    BIO *bio = read_file_bio(path, err, err_size);
    if (bio == NULL) {
        return NULL;
    }
    EVP_PKEY *key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        set_err(err, err_size, "%s holds no PEM private key", path);
    }
    return key;
}

// Writes cert, or else key, as PEM to path, atomically, with mode.
static enum hub_pki_result write_pem(const char *path, mode_t mode, X509 *cert, EVP_PKEY *key,
                                     char *err, size_t err_size) {
    BIO *bio = BIO_new(BIO_s_mem());
    enum hub_pki_result result = HUB_PKI_ERR_CRYPTO;
    if (bio == NULL) {
        set_err(err, err_size, "%s: out of memory", path);
        return result;
    }
    bool ok = cert != NULL ? PEM_write_bio_X509(bio, cert) == 1
                           : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1;
    if (!ok) {
        set_err(err, err_size, "cannot encode %s", path);
        goto out;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (sim_fs_write_atomic(path, data, (size_t)len, mode, NULL, err, err_size) != 0) {
        result = HUB_PKI_ERR_IO;
        goto out;
    }
    result = HUB_PKI_OK;
out:
    BIO_free(bio);
    return result;
}

static bool add_ext(X509 *cert, X509 *issuer, int nid, const char *value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        return false;
    }
    bool ok = X509_add_ext(cert, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

// A certificate skeleton: version 3, random serial, validity, subject CN, public key.
static X509 *new_cert(EVP_PKEY *key, const char *cn, long days) {
    X509 *cert = X509_new();
    BIGNUM *serial = BN_new();
    X509_NAME *name = X509_NAME_new();
    bool ok = cert != NULL && serial != NULL && name != NULL && X509_set_version(cert, 2) == 1 &&
              BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
              BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) != NULL &&
              X509_gmtime_adj(X509_getm_notBefore(cert), -BACKDATE_SECONDS) != NULL &&
              X509_gmtime_adj(X509_getm_notAfter(cert), days * 24 * 3600) != NULL &&
              X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                                         (const unsigned char *)"spheresim", -1, -1, 0) == 1 &&
              X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1,
                                         -1, 0) == 1 &&
              X509_set_subject_name(cert, name) == 1 && X509_set_pubkey(cert, key) == 1;
    BN_free(serial);
    X509_NAME_free(name);
    if (!ok) {
        X509_free(cert);
        return NULL;
    }
    return cert;
}

static enum hub_pki_result create_ca(const struct pki_paths *paths, const char *ca_cn, char *err,
                                     size_t err_size) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = key != NULL ? new_cert(key, ca_cn, CA_DAYS) : NULL;
    enum hub_pki_result result = HUB_PKI_ERR_CRYPTO;
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(cert)) != 1 ||
        !add_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign") ||
        !add_ext(cert, cert, NID_subject_key_identifier, "hash") ||
        X509_sign(cert, key, EVP_sha256()) == 0) {
        set_err(err, err_size, "cannot create the hub CA");
        goto out;
    }
    // Key first: a certificate without its key would make the next start fail as "unusable".
    result = write_pem(paths->ca_key, 0600, NULL, key, err, err_size);
    if (result == HUB_PKI_OK) {
        result = write_pem(paths->ca_cert, 0644, cert, NULL, err, err_size);
    }
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return result;
}

static enum hub_pki_result load_ca(const struct pki_paths *paths, const char *ca_cn,
                                   X509 **out_cert, EVP_PKEY **out_key, char *err,
                                   size_t err_size) {
    bool have_cert = access(paths->ca_cert, F_OK) == 0;
    bool have_key = access(paths->ca_key, F_OK) == 0;
    if (!have_cert && !have_key) {
        enum hub_pki_result created = create_ca(paths, ca_cn, err, err_size);
        if (created != HUB_PKI_OK) {
            return created;
        }
    } else if (!have_cert || !have_key) {
        set_err(err, err_size, "%s without %s: remove both to make a new hub CA",
                have_cert ? paths->ca_cert : paths->ca_key,
                have_cert ? paths->ca_key : paths->ca_cert);
        return HUB_PKI_ERR_INVALID;
    }
    *out_cert = load_cert(paths->ca_cert, err, err_size);
    *out_key = *out_cert != NULL ? load_key(paths->ca_key, err, err_size) : NULL;
    if (*out_key == NULL) {
        return HUB_PKI_ERR_INVALID;
    }
    if (X509_check_private_key(*out_cert, *out_key) != 1) {
        set_err(err, err_size, "%s does not match %s", paths->ca_key, paths->ca_cert);
        return HUB_PKI_ERR_INVALID;
    }
    return HUB_PKI_OK;
}

static bool is_ip(const char *name) {
    unsigned char buf[sizeof(struct in6_addr)];
    return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

static int compare_strings(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// The names as a sorted, de-duplicated "DNS:a,IP:b" list: the form of the extension's config
// value and of the comparison with an existing certificate.
static bool san_text_for_names(const char *const *names, size_t count, char *out, size_t out_size) {
    const char *sorted[HUB_PKI_MAX_NAMES];
    memcpy(sorted, names, count * sizeof names[0]);
    qsort(sorted, count, sizeof sorted[0], compare_strings);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && strcmp(sorted[i], sorted[i - 1]) == 0) {
            continue;
        }
        int n = snprintf(out + used, out_size - used, "%s%s:%s", used > 0 ? "," : "",
                         is_ip(sorted[i]) ? "IP" : "DNS", sorted[i]);
        if (n < 0 || (size_t)n >= out_size - used) {
            return false;
        }
        used += (size_t)n;
    }
    return true;
}

// The certificate's SANs in the same canonical form; false if it has none we understand.
static bool san_text_for_cert(X509 *cert, char *out, size_t out_size) {
    GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
    if (sans == NULL) {
        return false;
    }
    int count = sk_GENERAL_NAME_num(sans);
    char *names[HUB_PKI_MAX_NAMES];
    char storage[HUB_PKI_MAX_NAMES][256];
    bool ok = count > 0 && count <= HUB_PKI_MAX_NAMES;
    for (int i = 0; ok && i < count; i++) {
        const GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
        names[i] = storage[i];
        if (gn->type == GEN_DNS) {
            const ASN1_STRING *s = gn->d.dNSName;
            int len = ASN1_STRING_length(s);
            ok = len > 0 && (size_t)len < sizeof storage[i];
            if (ok) {
                memcpy(storage[i], ASN1_STRING_get0_data(s), (size_t)len);
                storage[i][len] = '\0';
            }
        } else if (gn->type == GEN_IPADD) {
            const ASN1_OCTET_STRING *ip = gn->d.iPAddress;
            int len = ASN1_STRING_length(ip);
            int family = len == 4 ? AF_INET : len == 16 ? AF_INET6 : -1;
            ok = family > 0 && inet_ntop(family, ASN1_STRING_get0_data(ip), storage[i],
                                         sizeof storage[i]) != NULL;
        } else {
            ok = false;
        }
    }
    GENERAL_NAMES_free(sans);
    return ok && san_text_for_names((const char *const *)names, (size_t)count, out, out_size);
}

// True when the existing server certificate can be kept.
static bool server_cert_current(const struct pki_paths *paths, X509 *ca, const char *want_sans) {
    char ignored[256];
    X509 *cert = NULL;
    EVP_PKEY *key = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    bool current = false;
    if (access(paths->server_cert, F_OK) != 0 || access(paths->server_key, F_OK) != 0) {
        goto out;
    }
    cert = load_cert(paths->server_cert, ignored, sizeof ignored);
    key = cert != NULL ? load_key(paths->server_key, ignored, sizeof ignored) : NULL;
    if (key == NULL || X509_check_private_key(cert, key) != 1) {
        goto out;
    }
    char have_sans[SAN_TEXT_SIZE];
    if (!san_text_for_cert(cert, have_sans, sizeof have_sans) ||
        strcmp(have_sans, want_sans) != 0) {
        goto out;
    }
    time_t renew_at = time(NULL) + RENEW_BEFORE_SECONDS;
    if (X509_cmp_time(X509_get0_notAfter(cert), &renew_at) <= 0) {
        goto out;
    }
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    current = store != NULL && ctx != NULL && X509_STORE_add_cert(store, ca) == 1 &&
              X509_STORE_CTX_init(ctx, store, cert, NULL) == 1 && X509_verify_cert(ctx) == 1;
out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    EVP_PKEY_free(key);
    X509_free(cert);
    ERR_clear_error();
    return current;
}

static enum hub_pki_result issue_server(const struct pki_paths *paths, X509 *ca, EVP_PKEY *ca_key,
                                        const char *cn, const char *sans, char *err,
                                        size_t err_size) {
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *cert = key != NULL ? new_cert(key, cn, SERVER_DAYS) : NULL;
    enum hub_pki_result result = HUB_PKI_ERR_CRYPTO;
    if (cert == NULL || X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        !add_ext(cert, ca, NID_basic_constraints, "critical,CA:FALSE") ||
        !add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
        !add_ext(cert, ca, NID_ext_key_usage, "serverAuth") ||
        !add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
        !add_ext(cert, ca, NID_authority_key_identifier, "keyid") ||
        !add_ext(cert, ca, NID_subject_alt_name, sans) ||
        X509_sign(cert, ca_key, EVP_sha256()) == 0) {
        set_err(err, err_size, "cannot issue the hub server certificate");
        goto out;
    }
    result = write_pem(paths->server_key, 0600, NULL, key, err, err_size);
    if (result == HUB_PKI_OK) {
        result = write_pem(paths->server_cert, 0644, cert, NULL, err, err_size);
    }
out:
    X509_free(cert);
    EVP_PKEY_free(key);
    return result;
}

static bool valid_name(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len > 253) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == ':' || c == '*';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool set_paths(struct pki_paths *paths, const char *dir) {
    return join(paths->ca_cert, sizeof paths->ca_cert, dir, HUB_PKI_CA_CERT) &&
           join(paths->ca_key, sizeof paths->ca_key, dir, HUB_PKI_CA_KEY) &&
           join(paths->server_cert, sizeof paths->server_cert, dir, HUB_PKI_SERVER_CERT) &&
           join(paths->server_key, sizeof paths->server_key, dir, HUB_PKI_SERVER_KEY);
}

// The CA of dir (made when missing, named ca_cn) and a current server certificate from it with
// subject CN cn and the SANs sans (canonical text).
static enum hub_pki_result ensure_in(const char *dir, const char *ca_cn, const char *cn,
                                     const char *sans, int *out_issued, char *err,
                                     size_t err_size) {
    struct pki_paths paths;
    if (!set_paths(&paths, dir)) {
        set_err(err, err_size, "PKI directory path %s is too long", dir);
        return HUB_PKI_ERR_INVALID;
    }
    if (sim_fs_make_dirs(dir, 0700, err, err_size) != 0) {
        return HUB_PKI_ERR_IO;
    }
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    enum hub_pki_result result = load_ca(&paths, ca_cn, &ca, &ca_key, err, err_size);
    if (result != HUB_PKI_OK || server_cert_current(&paths, ca, sans)) {
        goto out;
    }
    result = issue_server(&paths, ca, ca_key, cn, sans, err, err_size);
    if (result == HUB_PKI_OK && out_issued != NULL) {
        *out_issued = 1;
    }
out:
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    return result;
}

enum hub_pki_result hub_pki_ensure(const char *pki_dir, const char *const *names, size_t name_count,
                                   int *out_issued, char *err, size_t err_size) {
    if (out_issued != NULL) {
        *out_issued = 0;
    }
    if (name_count == 0 || name_count > HUB_PKI_MAX_NAMES) {
        set_err(err, err_size, "a server certificate needs 1 to %d names", HUB_PKI_MAX_NAMES);
        return HUB_PKI_ERR_INVALID;
    }
    for (size_t i = 0; i < name_count; i++) {
        if (!valid_name(names[i])) {
            set_err(err, err_size, "'%s' is not a host name or IP address", names[i]);
            return HUB_PKI_ERR_INVALID;
        }
    }
    char sans[SAN_TEXT_SIZE];
    if (!san_text_for_names(names, name_count, sans, sizeof sans)) {
        set_err(err, err_size, "too many or too long server names");
        return HUB_PKI_ERR_INVALID;
    }
    return ensure_in(pki_dir, "spheresim local hub root CA", names[0], sans, out_issued, err,
                     err_size);
}

// Appends the PEM file at path to bio.
static bool append_file(BIO *bio, const char *path, char *err, size_t err_size) {
    BIO *in = read_file_bio(path, err, err_size);
    if (in == NULL) {
        return false;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(in, &data);
    bool ok = len > 0 && BIO_write(bio, data, (int)len) == (int)len;
    BIO_free(in);
    if (!ok) {
        set_err(err, err_size, "%s: out of memory", path);
    }
    return ok;
}

enum hub_pki_result hub_pki_ensure_untrusted(const char *pki_dir, char *err, size_t err_size) {
    struct pki_paths hub;
    char dir[PATH_MAX];
    char trust[PATH_MAX];
    if (!set_paths(&hub, pki_dir) || !join(dir, sizeof dir, pki_dir, HUB_PKI_UNTRUSTED_DIR) ||
        !join(trust, sizeof trust, pki_dir, HUB_PKI_SERVICE_TRUST)) {
        set_err(err, err_size, "PKI directory path %s is too long", pki_dir);
        return HUB_PKI_ERR_INVALID;
    }
    // The names come from the hub's own certificate, so that only the chain differs.
    X509 *server = load_cert(hub.server_cert, err, err_size);
    if (server == NULL) {
        return HUB_PKI_ERR_INVALID;
    }
    char sans[SAN_TEXT_SIZE];
    char cn[256];
    bool named =
        san_text_for_cert(server, sans, sizeof sans) &&
        X509_NAME_get_text_by_NID(X509_get_subject_name(server), NID_commonName, cn, sizeof cn) > 0;
    X509_free(server);
    ERR_clear_error();
    if (!named) {
        set_err(err, err_size, "%s has no usable names", hub.server_cert);
        return HUB_PKI_ERR_INVALID;
    }
    enum hub_pki_result result =
        ensure_in(dir, "spheresim untrusted CA (not the hub's)", cn, sans, NULL, err, err_size);
    if (result != HUB_PKI_OK) {
        return result;
    }
    char untrusted_ca[PATH_MAX];
    (void)join(untrusted_ca, sizeof untrusted_ca, dir, HUB_PKI_CA_CERT);
    BIO *bundle = BIO_new(BIO_s_mem());
    if (bundle == NULL || !append_file(bundle, hub.ca_cert, err, err_size) ||
        !append_file(bundle, untrusted_ca, err, err_size)) {
        BIO_free(bundle);
        return HUB_PKI_ERR_IO;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bundle, &data);
    result = sim_fs_write_atomic(trust, data, (size_t)len, 0644, NULL, err, err_size) == 0
                 ? HUB_PKI_OK
                 : HUB_PKI_ERR_IO;
    BIO_free(bundle);
    return result;
}
