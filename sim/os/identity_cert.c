// SPDX-License-Identifier: MIT
// Device certificates: the tenant CA issues each device a short-lived client certificate with
// CN = device id, valid over device-clock time, and the same code reads one back and verifies it
// against the CA at a device-clock instant, as the hub does when a device connects. The tenant CA
// and the helpers these build on are in identity.c.
#include "os/identity.h"

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "os/identity_internal.h"

#define DEVICE_CERT_MODE 0600

// time_t is a signed integer type on every platform this runs on (POSIX leaves it open).
#define TIME_T_MAX ((time_t)(((uintmax_t)1 << (sizeof(time_t) * CHAR_BIT - 1)) - 1))
_Static_assert(sizeof(long) <= sizeof(time_t), "a validity in long seconds must fit in time_t");

static void format_utc(time_t t, char *out, size_t out_size) {
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) {
        snprintf(out, out_size, "@%lld", (long long)t);
    }
}

// IoT Hub's device id alphabet: ids outside it could never authenticate there anyway, and
// keeping to it keeps control characters out of certificate subjects.
static bool is_valid_device_id(const char *id) {
    static const char extra[] = "-.%_*?!(),:=@$'";
    size_t len = strnlen(id, SIM_DEVICE_ID_LEN + 1);
    if (len == 0 || len > SIM_DEVICE_ID_LEN) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = id[i];
        bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && strchr(extra, c) == NULL) {
            return false;
        }
    }
    return true;
}

enum sim_identity_result sim_device_cert_issue(const char *tenant_dir, const char *device_id,
                                               time_t device_now, long validity_seconds,
                                               const char *out_path, char *err, size_t err_size) {
    return sim_device_cert_issue_backdated(tenant_dir, device_id, device_now, validity_seconds, 0,
                                           out_path, err, err_size);
}

enum sim_identity_result sim_device_cert_issue_backdated(
    const char *tenant_dir, const char *device_id, time_t device_now, long validity_seconds,
    long backdate_seconds, const char *out_path, char *err, size_t err_size) {
    enum sim_identity_result res = SIM_IDENTITY_ERR_CRYPTO;
    X509 *ca = NULL;
    EVP_PKEY *ca_key = NULL;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    X509_NAME *subject = NULL;
    BIO *pem = NULL;

    ERR_clear_error();
    sim_identity_clear_err(err, err_size);
    if (tenant_dir == NULL || device_id == NULL || out_path == NULL) {
        sim_identity_set_err(err, err_size, "missing tenant directory, device id or output path");
        return SIM_IDENTITY_ERR_INVALID;
    }
    if (!is_valid_device_id(device_id)) {
        sim_identity_set_err(err, err_size,
                             "device id for %s is not 1-%d IoT Hub device id characters", out_path,
                             SIM_DEVICE_ID_LEN);
        return SIM_IDENTITY_ERR_INVALID;
    }
    if (validity_seconds <= 0 || device_now > TIME_T_MAX - (time_t)validity_seconds ||
        backdate_seconds < 0 || device_now < (time_t)backdate_seconds) {
        sim_identity_set_err(err, err_size,
                             "validity of %ld s from %lld backdated %ld s for %s is out of range",
                             validity_seconds, (long long)device_now, backdate_seconds, out_path);
        return SIM_IDENTITY_ERR_INVALID;
    }
    time_t not_before = device_now - (time_t)backdate_seconds;
    time_t not_after = device_now + (time_t)validity_seconds;

    res = sim_identity_load_ca(tenant_dir, &ca, &ca_key, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_CRYPTO;
    key = sim_identity_p256_key();
    if (key == NULL) {
        sim_identity_set_err(err, err_size, "cannot generate a P-256 key for %s", out_path);
        goto out;
    }
    cert = X509_new();
    subject = X509_NAME_new();
    // A 128-digit id is longer than the 64-character upper bound X.520 sets for a CN, which
    // OpenSSL enforces only when it picks the string type itself (MBSTRING_*). IoT Hub matches
    // the whole CN against the device id, so the id goes in as an explicit UTF8String.
    if (cert == NULL || subject == NULL || X509_set_version(cert, X509_VERSION_3) != 1 ||
        !sim_identity_random_serial(cert) ||
        X509_NAME_add_entry_by_txt(subject, "CN", V_ASN1_UTF8STRING,
                                   (const unsigned char *)device_id, -1, -1, 0) != 1 ||
        X509_set_subject_name(cert, subject) != 1 ||
        X509_set_issuer_name(cert, X509_get_subject_name(ca)) != 1 ||
        X509_set_pubkey(cert, key) != 1) {
        sim_identity_set_err(err, err_size, "cannot build the device certificate for %s", out_path);
        goto out;
    }
    if (ASN1_TIME_set(X509_getm_notBefore(cert), not_before) == NULL ||
        ASN1_TIME_set(X509_getm_notAfter(cert), not_after) == NULL) {
        res = SIM_IDENTITY_ERR_INVALID;
        sim_identity_set_err(err, err_size, "validity from %lld to %lld for %s cannot be encoded",
                             (long long)not_before, (long long)not_after, out_path);
        goto out;
    }
    if (!sim_identity_add_ext(cert, ca, NID_key_usage, "critical,digitalSignature") ||
        !sim_identity_add_ext(cert, ca, NID_ext_key_usage, "clientAuth") ||
        !sim_identity_add_ext(cert, ca, NID_subject_key_identifier, "hash") ||
        !sim_identity_add_ext(cert, ca, NID_authority_key_identifier, "keyid:always")) {
        sim_identity_set_err(err, err_size,
                             "cannot add extensions to the device certificate for %s", out_path);
        goto out;
    }
    if (X509_sign(cert, ca_key, EVP_sha256()) <= 0) {
        sim_identity_set_err(err, err_size, "cannot sign the device certificate for %s", out_path);
        goto out;
    }

    pem = BIO_new(BIO_s_secmem());
    if (pem == NULL || PEM_write_bio_X509(pem, cert) != 1 || PEM_write_bio_X509(pem, ca) != 1 ||
        PEM_write_bio_PrivateKey(pem, key, NULL, NULL, 0, NULL, NULL) != 1) {
        sim_identity_set_err(err, err_size, "cannot encode the device certificate for %s",
                             out_path);
        goto out;
    }
    res = sim_identity_write_bio(pem, out_path, DEVICE_CERT_MODE, err, err_size);

out:
    BIO_free(pem);
    X509_NAME_free(subject);
    X509_free(cert);
    EVP_PKEY_free(key);
    EVP_PKEY_free(ca_key);
    X509_free(ca);
    ERR_clear_error();
    return res;
}

static bool asn1_time_to_time_t(const ASN1_TIME *t, time_t *out) {
    struct tm tm;
    if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) {
        return false;
    }
    *out = timegm(&tm);
    return true;
}

enum sim_identity_result sim_device_cert_read(const char *path, time_t *out_not_before,
                                              time_t *out_not_after, char *out_cn, size_t cn_size,
                                              char *err, size_t err_size) {
    enum sim_identity_result res;
    X509 *cert = NULL;
    unsigned char *cn = NULL;
    time_t not_before = 0;
    time_t not_after = 0;

    ERR_clear_error();
    sim_identity_clear_err(err, err_size);
    if (path == NULL || (out_cn != NULL && cn_size == 0)) {
        sim_identity_set_err(err, err_size, "missing certificate path or CN buffer");
        return SIM_IDENTITY_ERR_INVALID;
    }
    res = sim_identity_load_cert(path, &cert, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_INVALID;
    if (!asn1_time_to_time_t(X509_get0_notBefore(cert), &not_before) ||
        !asn1_time_to_time_t(X509_get0_notAfter(cert), &not_after)) {
        sim_identity_set_err(err, err_size, "%s has an unreadable validity period", path);
        goto out;
    }

    X509_NAME *subject = X509_get_subject_name(cert);
    int idx = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
    if (idx < 0) {
        sim_identity_set_err(err, err_size, "%s has no subject CN", path);
        goto out;
    }
    int cn_len =
        ASN1_STRING_to_UTF8(&cn, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, idx)));
    if (cn_len < 0) {
        sim_identity_set_err(err, err_size, "%s has an unreadable subject CN", path);
        goto out;
    }
    if (memchr(cn, '\0', (size_t)cn_len) != NULL) {
        sim_identity_set_err(err, err_size, "subject CN of %s contains a NUL byte", path);
        goto out;
    }
    if (out_cn != NULL && (size_t)cn_len >= cn_size) {
        sim_identity_set_err(err, err_size, "subject CN of %s (%d bytes) does not fit in %zu bytes",
                             path, cn_len, cn_size);
        goto out;
    }

    if (out_not_before != NULL) {
        *out_not_before = not_before;
    }
    if (out_not_after != NULL) {
        *out_not_after = not_after;
    }
    if (out_cn != NULL) {
        memcpy(out_cn, cn, (size_t)cn_len);
        out_cn[cn_len] = '\0';
    }
    res = SIM_IDENTITY_OK;

out:
    OPENSSL_free(cn);
    X509_free(cert);
    ERR_clear_error();
    return res;
}

enum sim_identity_result sim_device_cert_verify(const char *tenant_dir, const char *path, time_t at,
                                                char *err, size_t err_size) {
    enum sim_identity_result res;
    X509 *ca = NULL;
    X509 *leaf = NULL;
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    char at_text[32];

    ERR_clear_error();
    sim_identity_clear_err(err, err_size);
    if (tenant_dir == NULL || path == NULL) {
        sim_identity_set_err(err, err_size, "missing tenant directory or certificate path");
        return SIM_IDENTITY_ERR_INVALID;
    }
    // The CA key is not needed to verify, and a verifier (the hub) may not be able to read it.
    res = sim_identity_load_ca(tenant_dir, &ca, NULL, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }
    res = sim_identity_load_cert(path, &leaf, err, err_size);
    if (res != SIM_IDENTITY_OK) {
        goto out;
    }

    res = SIM_IDENTITY_ERR_CRYPTO;
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    // No untrusted intermediates: the tenant CA issues device certificates directly, and the
    // chain in the file must not be able to stand in for the tenant's own CA.
    if (store == NULL || ctx == NULL || X509_STORE_add_cert(store, ca) != 1 ||
        X509_STORE_CTX_init(ctx, store, leaf, NULL) != 1 ||
        X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1) {
        sim_identity_set_err(err, err_size, "cannot set up verification of %s", path);
        goto out;
    }
    // Device time, not the host's: set_time also turns on X509_V_FLAG_USE_CHECK_TIME.
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), at);

    if (X509_verify_cert(ctx) == 1) {
        res = SIM_IDENTITY_OK;
        goto out;
    }
    int code = X509_STORE_CTX_get_error(ctx);
    if (code == X509_V_OK) {
        sim_identity_set_err(err, err_size, "verification of %s could not run", path);
        goto out;
    }
    res = SIM_IDENTITY_ERR_INVALID;
    format_utc(at, at_text, sizeof at_text);
    // The verify result says it all; whatever verification left on the queue would only repeat
    // it less precisely.
    ERR_clear_error();
    sim_identity_set_err(err, err_size, "%s does not verify against the tenant CA in %s at %s: %s",
                         path, tenant_dir, at_text, X509_verify_cert_error_string(code));

out:
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    X509_free(leaf);
    X509_free(ca);
    ERR_clear_error();
    return res;
}
