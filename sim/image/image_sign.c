// SPDX-License-Identifier: MIT
// The tenant update-signing key and package signatures, with OpenSSL 3's EVP APIs (see
// image_sign.h). Before signing, the package is decoded with the same format code the device
// uses and every hash in it is recomputed, so what gets signed is a package a device accepts.
#include "image/image_sign.h"

#include <errno.h>
#include <limits.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image_verify.h"
#include "os/fs_util.h"

#define MAX_KEY_FILE_BYTES (64 * 1024)
// The largest package: header, metadata, a full file table, the largest payload, a signature.
#define MAX_PACKAGE_BYTES                                                               \
    (SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN +                                    \
     (uint64_t)SIM_IMAGE_MAX_FILES * SIM_IMAGE_FILE_ENTRY_LEN + SIM_IMAGE_MAX_PAYLOAD + \
     SIM_IMAGE_SIG_BLOCK_LEN)

__attribute__((format(printf, 4, 5))) static enum sim_image_result fail(enum sim_image_result rc,
                                                                        char *err, size_t err_size,
                                                                        const char *fmt, ...) {
    char ossl[256] = "";
    unsigned long code = ERR_peek_last_error();
    if (code != 0) {
        ERR_error_string_n(code, ossl, sizeof ossl);
    }
    ERR_clear_error();
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < err_size && ossl[0] != '\0') {
            snprintf(err + n, err_size - (size_t)n, ": %s", ossl);
        }
    }
    return rc;
}

bool sim_image_tenant_path(const char *tenant_dir, const char *file, char *out, size_t out_size) {
    int n = snprintf(out, out_size, "%s/%s", tenant_dir, file);
    return n >= 0 && (size_t)n < out_size;
}

void sim_image_openssl_sha256(const void *data, size_t len, uint8_t out[SIM_IMAGE_SHA256_LEN]) {
    (void)EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

static enum sim_image_result openssl_key_id(EVP_PKEY *key, uint8_t out[SIM_IMAGE_KEY_ID_LEN],
                                            char *err, size_t err_size) {
    unsigned char *der = NULL;
    int len = i2d_PUBKEY(key, &der);
    if (len <= 0) {
        return fail(SIM_IMAGE_ERR_CRYPTO, err, err_size, "cannot encode the public key");
    }
    sim_image_openssl_sha256(der, (size_t)len, out);
    OPENSSL_free(der);
    return SIM_IMAGE_OK;
}

static bool is_p256(EVP_PKEY *key) {
    char group[64] = "";
    return EVP_PKEY_is_a(key, "EC") &&
           EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                          NULL) == 1 &&
           strcmp(group, "prime256v1") == 0;
}

// Reads a PEM key file: the private key, or with want_public a public key (a private key file
// also gives its public half).
static EVP_PKEY *load_pem_key(const char *path, bool want_public, enum sim_image_result *out_rc,
                              char *err, size_t err_size) {
    static char text[MAX_KEY_FILE_BYTES];
    size_t len = 0;
    if (sim_fs_read_file(path, text, sizeof text, &len, err, err_size) != 0) {
        *out_rc = SIM_IMAGE_ERR_IO;
        return NULL;
    }
    BIO *bio = BIO_new_mem_buf(text, (int)len);
    EVP_PKEY *key = NULL;
    if (bio != NULL && want_public) {
        key = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        if (key == NULL) {
            ERR_clear_error();
            (void)BIO_reset(bio);
        }
    }
    if (bio != NULL && key == NULL) {
        key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    }
    BIO_free(bio);
    if (key == NULL) {
        *out_rc = fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size, "%s holds no PEM %s key", path,
                       want_public ? "public or private" : "private");
        return NULL;
    }
    if (!is_p256(key)) {
        EVP_PKEY_free(key);
        *out_rc = fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size, "%s is not an ECDSA P-256 key", path);
        return NULL;
    }
    *out_rc = SIM_IMAGE_OK;
    return key;
}

enum sim_image_result sim_image_key_file_id(const char *path,
                                            uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                            size_t err_size) {
    enum sim_image_result rc;
    EVP_PKEY *key = load_pem_key(path, true, &rc, err, err_size);
    if (key == NULL) {
        return rc;
    }
    rc = openssl_key_id(key, out_key_id, err, err_size);
    EVP_PKEY_free(key);
    return rc;
}

// Writes the private key (PKCS#8) or, with public_only, the public key as PEM to path.
static enum sim_image_result write_key(const char *path, EVP_PKEY *key, bool public_only,
                                       mode_t mode, bool *out_existed, char *err, size_t err_size) {
    BIO *bio = BIO_new(BIO_s_mem());
    enum sim_image_result rc = SIM_IMAGE_ERR_CRYPTO;
    if (bio == NULL ||
        (public_only ? PEM_write_bio_PUBKEY(bio, key)
                     : PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) != 1) {
        rc = fail(rc, err, err_size, "cannot encode %s", path);
        goto out;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (sim_fs_write_atomic(path, data, (size_t)len, mode, out_existed, err, err_size) != 0) {
        rc = SIM_IMAGE_ERR_IO;
        goto out;
    }
    rc = SIM_IMAGE_OK;
out:
    BIO_free(bio);
    return rc;
}

// True when path holds exactly the PEM of key's public half.
static bool public_file_matches(const char *path, EVP_PKEY *key) {
    static char have[MAX_KEY_FILE_BYTES];
    size_t have_len = 0;
    char ignored[256];
    BIO *bio = BIO_new(BIO_s_mem());
    bool same = false;
    if (bio != NULL && PEM_write_bio_PUBKEY(bio, key) == 1 &&
        sim_fs_read_file(path, have, sizeof have, &have_len, ignored, sizeof ignored) == 0) {
        char *want = NULL;
        long want_len = BIO_get_mem_data(bio, &want);
        same = want_len >= 0 && (size_t)want_len == have_len && memcmp(want, have, have_len) == 0;
    }
    BIO_free(bio);
    ERR_clear_error();
    return same;
}

enum sim_image_result sim_image_signing_key_ensure(const char *tenant_dir, bool *out_created,
                                                   uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN],
                                                   char *err, size_t err_size) {
    char key_path[PATH_MAX];
    char pub_path[PATH_MAX];
    EVP_PKEY *fresh = NULL;
    EVP_PKEY *key = NULL;
    enum sim_image_result rc = SIM_IMAGE_ERR_IO;
    bool existed = true;
    if (out_created != NULL) {
        *out_created = false;
    }
    if (!sim_image_tenant_path(tenant_dir, SIM_IMAGE_SIGNING_KEY_FILE, key_path, sizeof key_path) ||
        !sim_image_tenant_path(tenant_dir, SIM_IMAGE_SIGNING_PUBKEY_FILE, pub_path,
                               sizeof pub_path)) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "tenant directory path %s is too long",
                    tenant_dir);
    }
    if (sim_fs_make_dirs(tenant_dir, 0700, err, err_size) != 0) {
        return SIM_IMAGE_ERR_IO;
    }
    struct stat st;
    if (stat(key_path, &st) != 0) {
        if (errno != ENOENT) {
            return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot stat %s: %s", key_path,
                        strerror(errno));
        }
        fresh = EVP_EC_gen("P-256");
        if (fresh == NULL) {
            rc = fail(SIM_IMAGE_ERR_CRYPTO, err, err_size, "cannot generate an ECDSA P-256 key");
            goto out;
        }
        // link() semantics: when another process created the key first, its key is kept.
        if ((rc = write_key(key_path, fresh, false, 0600, &existed, err, err_size)) !=
            SIM_IMAGE_OK) {
            goto out;
        }
    }
    if ((key = load_pem_key(key_path, false, &rc, err, err_size)) == NULL) {
        goto out;
    }
    if (!public_file_matches(pub_path, key) &&
        (rc = write_key(pub_path, key, true, 0644, NULL, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (out_key_id != NULL &&
        (rc = openssl_key_id(key, out_key_id, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (out_created != NULL) {
        *out_created = !existed;
    }
    rc = SIM_IMAGE_OK;
out:
    EVP_PKEY_free(fresh);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return rc;
}

// Recomputes every hash the package records and checks its structure, as a device would.
static enum sim_image_result check_content(const uint8_t *buf, size_t len,
                                           struct sim_image_info *info, char *err,
                                           size_t err_size) {
    struct sim_image_package *pkg = malloc(sizeof *pkg);
    if (pkg == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory");
    }
    // No name: the caller says which package it was.
    sim_image_package_open_memory(pkg, buf, len, "");
    enum sim_image_result rc = sim_image_package_describe(pkg, info, err, err_size);
    sim_image_package_close(pkg);
    free(pkg);
    // A damaged old signature does not matter: it is about to be replaced.
    if (rc != SIM_IMAGE_OK && rc != SIM_IMAGE_ERR_BAD_SIGNATURE) {
        return rc;
    }
    const struct sim_image_header *h = &info->header;
    uint8_t digest[SIM_IMAGE_SHA256_LEN];
    size_t table_len = (size_t)h->file_count * SIM_IMAGE_FILE_ENTRY_LEN;
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN, SIM_IMAGE_METADATA_LEN, digest);
    if (memcmp(digest, h->metadata_sha256, sizeof digest) != 0) {
        return fail(SIM_IMAGE_ERR_TAMPERED_METADATA, err, err_size,
                    "the metadata does not match the header's hash of it");
    }
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN, table_len,
                             digest);
    if (memcmp(digest, h->file_table_sha256, sizeof digest) != 0) {
        return fail(SIM_IMAGE_ERR_TAMPERED_METADATA, err, err_size,
                    "the file table does not match the header's hash of it");
    }
    const uint8_t *payload = buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + table_len;
    for (size_t i = 0; i < info->file_count; i++) {
        const struct sim_image_file *f = &info->files[i];
        sim_image_openssl_sha256(payload + f->offset, (size_t)f->length, digest);
        if (memcmp(digest, f->sha256, sizeof digest) != 0) {
            return fail(strcmp(f->path, SIM_IMAGE_MANIFEST_PATH) == 0
                            ? SIM_IMAGE_ERR_TAMPERED_METADATA
                            : SIM_IMAGE_ERR_TAMPERED_PAYLOAD,
                        err, err_size, "%s does not match its SHA-256 in the file table", f->path);
        }
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_sign_buffer(uint8_t **buf, size_t *len, const char *key_path,
                                            uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                            size_t err_size) {
    struct sim_image_signature sig = {.algorithm = SIM_IMAGE_SIG_ALG_ECDSA_P256_SHA256};
    EVP_MD_CTX *md = NULL;
    EVP_PKEY *key = NULL;
    struct sim_image_info *info = malloc(sizeof *info);
    if (info == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory");
    }
    enum sim_image_result rc = check_content(*buf, *len, info, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        goto out;
    }
    if ((key = load_pem_key(key_path, false, &rc, err, err_size)) == NULL ||
        (rc = openssl_key_id(key, sig.key_id, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    // The header records that a signature follows; it is signed too, so that stripping the
    // signature reads as tampering rather than as an unsigned package.
    size_t signed_len = (size_t)info->signed_len;
    info->header.signature_len = SIM_IMAGE_SIG_BLOCK_LEN;
    sim_image_encode_header(&info->header, *buf);
    md = EVP_MD_CTX_new();
    size_t der_len = sizeof sig.der;
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
        EVP_DigestSign(md, sig.der, &der_len, *buf, signed_len) != 1) {
        rc = fail(SIM_IMAGE_ERR_CRYPTO, err, err_size, "cannot sign with %s", key_path);
        goto out;
    }
    sig.der_len = (uint16_t)der_len;
    uint8_t *grown = realloc(*buf, signed_len + SIM_IMAGE_SIG_BLOCK_LEN);
    if (grown == NULL) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory");
        goto out;
    }
    sim_image_encode_signature(&sig, grown + signed_len);
    *buf = grown;
    *len = signed_len + SIM_IMAGE_SIG_BLOCK_LEN;
    if (out_key_id != NULL) {
        memcpy(out_key_id, sig.key_id, SIM_IMAGE_KEY_ID_LEN);
    }
    rc = SIM_IMAGE_OK;
out:
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(key);
    free(info);
    ERR_clear_error();
    return rc;
}

enum sim_image_result sim_image_read_package_file(const char *path, uint8_t **out_buf,
                                                  size_t *out_len, char *err, size_t err_size) {
    *out_buf = NULL;
    *out_len = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot open %s: %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "%s is not a regular file", path);
    }
    if ((uint64_t)st.st_size > MAX_PACKAGE_BYTES) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "%s is %lld bytes, larger than any package", path, (long long)st.st_size);
    }
    // One byte more than the size, so a file that grew meanwhile is noticed (EFBIG).
    size_t cap = (size_t)st.st_size + 1;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory reading %s", path);
    }
    if (sim_fs_read_file(path, buf, cap, out_len, err, err_size) != 0) {
        free(buf);
        return SIM_IMAGE_ERR_IO;
    }
    *out_buf = buf;
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_sign_file(const char *in_path, const char *key_path,
                                          const char *out_path,
                                          uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                          size_t err_size) {
    uint8_t *buf = NULL;
    size_t len = 0;
    char reason[768];
    enum sim_image_result rc = sim_image_read_package_file(in_path, &buf, &len, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    rc = sim_image_sign_buffer(&buf, &len, key_path, out_key_id, reason, sizeof reason);
    if (rc != SIM_IMAGE_OK) {
        // The reason names the key file or the package; say which package it was.
        fail(rc, err, err_size, "%s: %s", in_path, reason);
    } else if (sim_fs_write_atomic(out_path, buf, len, 0644, NULL, err, err_size) != 0) {
        rc = SIM_IMAGE_ERR_IO;
    }
    free(buf);
    return rc;
}
