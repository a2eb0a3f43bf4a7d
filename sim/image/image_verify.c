// SPDX-License-Identifier: MIT
// Device-side package verification with mbedTLS (see image_verify.h): finds the signature from
// the header's lengths alone, checks it over the exact bytes it keeps in memory (header, metadata,
// file table) plus the streamed payload, and only then decodes what those bytes say. When the
// signature fails, the package's own section hashes are used to name the part that changed; that
// diagnosis only chooses the error, it never makes a package acceptable.
#include <errno.h>
#include <fcntl.h>
#include <mbedtls/ecp.h>
#include <mbedtls/md.h>
#include <mbedtls/pk.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_package_internal.h"

#define MAX_KEY_BYTES (16 * 1024)
#define KEY_DER_MAX 256

__attribute__((format(printf, 4, 0))) static void vformat(const char *prefix, char *err,
                                                          size_t err_size, const char *fmt,
                                                          va_list ap) {
    if (err == NULL || err_size == 0) {
        return;
    }
    int n = prefix != NULL && prefix[0] != '\0' ? snprintf(err, err_size, "%s: ", prefix) : 0;
    if (n < 0 || (size_t)n >= err_size) {
        return;
    }
    vsnprintf(err + n, err_size - (size_t)n, fmt, ap);
}

enum sim_image_result sim_image_pkg_fail(const struct sim_image_package *pkg,
                                         enum sim_image_result rc, char *err, size_t err_size,
                                         const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vformat(pkg->name, err, err_size, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 4, 5))) static enum sim_image_result plain_fail(
    enum sim_image_result rc, char *err, size_t err_size, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vformat(NULL, err, err_size, fmt, ap);
    va_end(ap);
    return rc;
}

// Prefixes a reason a format decoder wrote (without the package name) with the package name.
static enum sim_image_result prefixed(const struct sim_image_package *pkg, enum sim_image_result rc,
                                      const char *reason, char *err, size_t err_size) {
    return sim_image_pkg_fail(pkg, rc, err, err_size, "%s", reason);
}

enum sim_image_result sim_image_pkg_read(const struct sim_image_package *pkg, uint64_t offset,
                                         void *buf, size_t len, char *err, size_t err_size) {
    if (offset > pkg->size || len > pkg->size - offset) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TRUNCATED, err, err_size,
                                  "truncated: no %zu bytes at offset %llu", len,
                                  (unsigned long long)offset);
    }
    if (pkg->mem != NULL) {
        memcpy(buf, pkg->mem + offset, len);
        return SIM_IMAGE_OK;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pread(pkg->fd, (uint8_t *)buf + done, len - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_IO, err, err_size, "cannot read: %s",
                                      strerror(errno));
        }
        if (n == 0) {
            return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TRUNCATED, err, err_size,
                                      "truncated: the file shrank while it was read");
        }
        done += (size_t)n;
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_pkg_hash(const struct sim_image_package *pkg, uint64_t offset,
                                         uint64_t len, mbedtls_sha256_context *ctx, char *err,
                                         size_t err_size) {
    uint8_t chunk[SIM_IMAGE_IO_CHUNK];
    while (len > 0) {
        size_t n = len < sizeof chunk ? (size_t)len : sizeof chunk;
        enum sim_image_result rc = sim_image_pkg_read(pkg, offset, chunk, n, err, err_size);
        if (rc != SIM_IMAGE_OK) {
            return rc;
        }
        sim_sha256_update(ctx, chunk, n);
        offset += n;
        len -= n;
    }
    return SIM_IMAGE_OK;
}

void sim_image_sha256(const void *data, size_t len, uint8_t out[SIM_IMAGE_SHA256_LEN]) {
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    sim_sha256_starts(&ctx);
    sim_sha256_update(&ctx, data, len);
    sim_sha256_finish(&ctx, out);
    mbedtls_sha256_free(&ctx);
}

uint64_t sim_image_payload_offset(const struct sim_image_header *h) {
    return (uint64_t)h->header_len + h->metadata_len + (uint64_t)h->file_count * h->file_entry_len;
}

enum sim_image_result sim_image_package_open(struct sim_image_package *pkg, const char *path,
                                             char *err, size_t err_size) {
    memset(pkg, 0, sizeof *pkg);
    pkg->fd = -1;
    snprintf(pkg->name, sizeof pkg->name, "%s", path);
    // O_NONBLOCK: a FIFO in place of the package must not block the agent waiting for a writer.
    pkg->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (pkg->fd < 0) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_IO, err, err_size, "cannot open: %s",
                                  strerror(errno));
    }
    struct stat st;
    if (fstat(pkg->fd, &st) != 0) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_IO, err, err_size, "cannot stat: %s",
                                  strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_IO, err, err_size, "not a regular file");
    }
    pkg->size = (uint64_t)st.st_size;
    return SIM_IMAGE_OK;
}

void sim_image_package_open_memory(struct sim_image_package *pkg, const void *data, size_t len,
                                   const char *name) {
    memset(pkg, 0, sizeof *pkg);
    pkg->fd = -1;
    pkg->mem = data != NULL ? data : (const uint8_t *)"";
    pkg->size = data != NULL ? len : 0;
    snprintf(pkg->name, sizeof pkg->name, "%s", name != NULL ? name : "package");
}

void sim_image_package_close(struct sim_image_package *pkg) {
    if (pkg->fd >= 0) {
        close(pkg->fd);
    }
    pkg->fd = -1;
    pkg->mem = NULL;
    pkg->verified = false;
}

const struct sim_image_info *sim_image_package_info(const struct sim_image_package *pkg) {
    return pkg->verified ? &pkg->info : NULL;
}

// Parses an ECDSA P-256 public key from PEM or DER into pk.
static enum sim_image_result load_key(mbedtls_pk_context *pk, const void *key, size_t key_len,
                                      char *err, size_t err_size) {
    static const char pem_marker[] = "-----BEGIN";
    if (key == NULL || key_len == 0) {
        return plain_fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size, "no trusted key was given");
    }
    if (key_len > MAX_KEY_BYTES) {
        return plain_fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size,
                          "the trusted key is %zu bytes, more than a public key takes", key_len);
    }
    // mbedTLS reads PEM only from a NUL-terminated buffer whose length counts the NUL.
    uint8_t buf[MAX_KEY_BYTES + 1];
    memcpy(buf, key, key_len);
    buf[key_len] = '\0';
    bool pem = memmem(buf, key_len, pem_marker, sizeof pem_marker - 1) != NULL;
    int rc = mbedtls_pk_parse_public_key(pk, buf, pem ? key_len + 1 : key_len);
    if (rc != 0) {
        return plain_fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size,
                          "the trusted key is not a PEM or DER public key (mbedTLS error -0x%04x)",
                          (unsigned)-rc);
    }
    if (!mbedtls_pk_can_do(pk, MBEDTLS_PK_ECDSA) ||
        mbedtls_pk_ec(*pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
        return plain_fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size,
                          "the trusted key is not an ECDSA P-256 key");
    }
    return SIM_IMAGE_OK;
}

static enum sim_image_result key_id_of(mbedtls_pk_context *pk, uint8_t out[SIM_IMAGE_KEY_ID_LEN],
                                       char *err, size_t err_size) {
    unsigned char der[KEY_DER_MAX];
    // mbedTLS writes DER at the end of the buffer and returns its length.
    int n = mbedtls_pk_write_pubkey_der(pk, der, sizeof der);
    if (n <= 0) {
        return plain_fail(SIM_IMAGE_ERR_BAD_KEY, err, err_size,
                          "cannot encode the trusted key (mbedTLS error -0x%04x)", (unsigned)-n);
    }
    sim_image_sha256(der + sizeof der - (size_t)n, (size_t)n, out);
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_key_id(const void *key, size_t key_len,
                                       uint8_t out_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                       size_t err_size) {
    mbedtls_pk_context pk;
    mbedtls_pk_init(&pk);
    enum sim_image_result rc = load_key(&pk, key, key_len, err, err_size);
    if (rc == SIM_IMAGE_OK) {
        rc = key_id_of(&pk, out_id, err, err_size);
    }
    mbedtls_pk_free(&pk);
    return rc;
}

// Reads and decodes the header and checks the file's size against it: the only fields used
// before the signature verifies. Sets info->header, signed_len and package_len.
static enum sim_image_result read_layout(struct sim_image_package *pkg, struct sim_image_info *info,
                                         char *err, size_t err_size) {
    char reason[256];
    size_t n = pkg->size < SIM_IMAGE_HEADER_LEN ? (size_t)pkg->size : SIM_IMAGE_HEADER_LEN;
    info->package_len = pkg->size;
    enum sim_image_result rc = sim_image_pkg_read(pkg, 0, pkg->header_raw, n, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    rc = sim_image_decode_header(pkg->header_raw, n, &info->header, reason, sizeof reason);
    if (rc != SIM_IMAGE_OK) {
        return prefixed(pkg, rc, reason, err, err_size);
    }
    const struct sim_image_header *h = &info->header;
    if (!sim_image_signed_len(h, &info->signed_len)) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                                  "header: lengths out of range");
    }
    uint64_t expected = info->signed_len + h->signature_len;
    if (pkg->size < expected) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TRUNCATED, err, err_size,
                                  "truncated: %llu bytes, the header describes %llu",
                                  (unsigned long long)pkg->size, (unsigned long long)expected);
    }
    if (pkg->size > expected) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                                  "%llu unexpected bytes after the %s",
                                  (unsigned long long)(pkg->size - expected),
                                  h->signature_len != 0 ? "signature" : "payload");
    }
    return SIM_IMAGE_OK;
}

static enum sim_image_result read_signature(struct sim_image_package *pkg,
                                            struct sim_image_info *info, char *err,
                                            size_t err_size) {
    uint8_t block[SIM_IMAGE_SIG_BLOCK_LEN];
    char reason[256];
    enum sim_image_result rc =
        sim_image_pkg_read(pkg, info->signed_len, block, sizeof block, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    rc = sim_image_decode_signature(block, sizeof block, &info->signature, reason, sizeof reason);
    if (rc != SIM_IMAGE_OK) {
        return prefixed(pkg, rc, reason, err, err_size);
    }
    info->has_signature = true;
    return SIM_IMAGE_OK;
}

// Copies the metadata and the file table into the package, so that the bytes hashed are the
// bytes decoded later.
static enum sim_image_result read_sections(struct sim_image_package *pkg,
                                           const struct sim_image_header *h, char *err,
                                           size_t err_size) {
    enum sim_image_result rc = sim_image_pkg_read(pkg, h->header_len, pkg->metadata_raw,
                                                  SIM_IMAGE_METADATA_LEN, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    return sim_image_pkg_read(pkg, (uint64_t)h->header_len + h->metadata_len, pkg->table_raw,
                              (size_t)h->file_count * h->file_entry_len, err, err_size);
}

// Decodes the metadata and file table from the copies and applies the file-table rules.
static enum sim_image_result decode_sections(struct sim_image_package *pkg,
                                             struct sim_image_info *info, char *err,
                                             size_t err_size) {
    char reason[512];
    const struct sim_image_header *h = &info->header;
    enum sim_image_result meta_rc = sim_image_decode_metadata(
        pkg->metadata_raw, SIM_IMAGE_METADATA_LEN, &info->metadata, reason, sizeof reason);
    if (meta_rc != SIM_IMAGE_OK) {
        prefixed(pkg, meta_rc, reason, err, err_size);
    }
    info->file_count = 0;
    for (size_t i = 0; i < h->file_count; i++) {
        enum sim_image_result rc = sim_image_decode_file_entry(
            pkg->table_raw + i * SIM_IMAGE_FILE_ENTRY_LEN, SIM_IMAGE_FILE_ENTRY_LEN,
            &info->files[i], reason, sizeof reason);
        if (rc != SIM_IMAGE_OK) {
            return meta_rc != SIM_IMAGE_OK ? meta_rc : prefixed(pkg, rc, reason, err, err_size);
        }
        info->file_count++;
    }
    if (meta_rc != SIM_IMAGE_OK) {
        return meta_rc;
    }
    enum sim_image_result rc = sim_image_check_file_table(
        info->files, info->file_count, info->metadata.type, h->payload_len, reason, sizeof reason);
    return rc == SIM_IMAGE_OK ? rc : prefixed(pkg, rc, reason, err, err_size);
}

// The signature failed: names the first part whose bytes no longer match the package's own
// hashes. Everything here is unauthenticated and used only to choose the error.
static enum sim_image_result diagnose(struct sim_image_package *pkg, struct sim_image_info *info,
                                      char *err, size_t err_size) {
    const struct sim_image_header *h = &info->header;
    uint8_t digest[SIM_IMAGE_SHA256_LEN];
    sim_image_sha256(pkg->metadata_raw, SIM_IMAGE_METADATA_LEN, digest);
    if (memcmp(digest, h->metadata_sha256, sizeof digest) != 0) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TAMPERED_METADATA, err, err_size,
                                  "tampered: the metadata is not what was signed");
    }
    sim_image_sha256(pkg->table_raw, (size_t)h->file_count * SIM_IMAGE_FILE_ENTRY_LEN, digest);
    if (memcmp(digest, h->file_table_sha256, sizeof digest) != 0) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TAMPERED_METADATA, err, err_size,
                                  "tampered: the file table is not what was signed");
    }
    char reason[512];
    if (decode_sections(pkg, info, reason, sizeof reason) != SIM_IMAGE_OK) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TAMPERED_METADATA, err, err_size,
                                  "tampered: the signature fails and the metadata is invalid (%s)",
                                  reason);
    }
    uint64_t payload = sim_image_payload_offset(h);
    for (size_t i = 0; i < info->file_count; i++) {
        const struct sim_image_file *f = &info->files[i];
        mbedtls_sha256_context ctx;
        mbedtls_sha256_init(&ctx);
        sim_sha256_starts(&ctx);
        enum sim_image_result rc =
            sim_image_pkg_hash(pkg, payload + f->offset, f->length, &ctx, err, err_size);
        sim_sha256_finish(&ctx, digest);
        mbedtls_sha256_free(&ctx);
        if (rc != SIM_IMAGE_OK) {
            return rc;
        }
        if (memcmp(digest, f->sha256, sizeof digest) != 0) {
            bool manifest = strcmp(f->path, SIM_IMAGE_MANIFEST_PATH) == 0;
            return sim_image_pkg_fail(
                pkg, manifest ? SIM_IMAGE_ERR_TAMPERED_METADATA : SIM_IMAGE_ERR_TAMPERED_PAYLOAD,
                err, err_size, "tampered: %s '%s' does not match its signed SHA-256",
                manifest ? "the manifest" : "file", f->path);
        }
    }
    return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_BAD_SIGNATURE, err, err_size,
                              "the signature does not verify, although every part matches its "
                              "own hash (a damaged signature, or content re-hashed after signing)");
}

// Hashes everything before the signature block and checks the signature against pk.
static enum sim_image_result check_signature(struct sim_image_package *pkg,
                                             struct sim_image_info *info, mbedtls_pk_context *pk,
                                             char *err, size_t err_size) {
    const struct sim_image_header *h = &info->header;
    uint8_t digest[SIM_IMAGE_SHA256_LEN];
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    sim_sha256_starts(&ctx);
    sim_sha256_update(&ctx, pkg->header_raw, SIM_IMAGE_HEADER_LEN);
    sim_sha256_update(&ctx, pkg->metadata_raw, SIM_IMAGE_METADATA_LEN);
    sim_sha256_update(&ctx, pkg->table_raw, (size_t)h->file_count * SIM_IMAGE_FILE_ENTRY_LEN);
    enum sim_image_result rc =
        sim_image_pkg_hash(pkg, sim_image_payload_offset(h), h->payload_len, &ctx, err, err_size);
    sim_sha256_finish(&ctx, digest);
    mbedtls_sha256_free(&ctx);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    if (mbedtls_pk_verify(pk, MBEDTLS_MD_SHA256, digest, sizeof digest, info->signature.der,
                          info->signature.der_len) != 0) {
        return diagnose(pkg, info, err, err_size);
    }
    return SIM_IMAGE_OK;
}

static enum sim_image_result check_policy(struct sim_image_package *pkg,
                                          const struct sim_image_info *info,
                                          const struct sim_image_policy *policy, char *err,
                                          size_t err_size) {
    const struct sim_image_metadata *m = &info->metadata;
    if (policy->component_id != NULL && strcasecmp(m->component_id, policy->component_id) != 0) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_WRONG_COMPONENT, err, err_size,
                                  "the package is for component %s, this device expects %.64s",
                                  m->component_id, policy->component_id);
    }
    if (policy->installed_version != NULL &&
        sim_image_version_compare(&m->version, policy->installed_version) <= 0) {
        char have[40];
        char offered[40];
        sim_image_version_format(policy->installed_version, have, sizeof have);
        sim_image_version_format(&m->version, offered, sizeof offered);
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_DOWNGRADE, err, err_size,
                                  "version %s is not newer than the installed %s (anti-rollback)",
                                  offered, have);
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_package_verify(struct sim_image_package *pkg,
                                               const struct sim_image_policy *policy, char *err,
                                               size_t err_size) {
    struct sim_image_info *info = &pkg->info;
    mbedtls_pk_context pk;
    uint8_t trusted_id[SIM_IMAGE_KEY_ID_LEN];
    uint8_t digest[SIM_IMAGE_SHA256_LEN];
    char reason[256];
    enum sim_image_result rc;

    pkg->verified = false;
    memset(info, 0, sizeof *info);
    mbedtls_pk_init(&pk);
    rc = load_key(&pk, policy != NULL ? policy->trusted_key : NULL,
                  policy != NULL ? policy->trusted_key_len : 0, reason, sizeof reason);
    if (rc == SIM_IMAGE_OK) {
        rc = key_id_of(&pk, trusted_id, reason, sizeof reason);
    }
    if (rc != SIM_IMAGE_OK) {
        prefixed(pkg, rc, reason, err, err_size);
        goto out;
    }
    if ((rc = read_layout(pkg, info, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (info->header.signature_len == 0) {
        rc = sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_MISSING_SIGNATURE, err, err_size,
                                "the package is not signed");
        goto out;
    }
    if ((rc = read_signature(pkg, info, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (memcmp(info->signature.key_id, trusted_id, sizeof trusted_id) != 0) {
        char signer[2 * SIM_IMAGE_KEY_ID_LEN + 1];
        char trusted[2 * SIM_IMAGE_KEY_ID_LEN + 1];
        sim_image_hex(info->signature.key_id, SIM_IMAGE_KEY_ID_LEN, signer);
        sim_image_hex(trusted_id, SIM_IMAGE_KEY_ID_LEN, trusted);
        rc = sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_WRONG_KEY, err, err_size,
                                "signed by key %.16s..., the device trusts key %.16s...", signer,
                                trusted);
        goto out;
    }
    if ((rc = read_sections(pkg, &info->header, err, err_size)) != SIM_IMAGE_OK ||
        (rc = check_signature(pkg, info, &pk, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    // Authentic from here on. A signer that hashed the sections wrongly made an unusable package.
    sim_image_sha256(pkg->metadata_raw, SIM_IMAGE_METADATA_LEN, digest);
    bool meta_ok = memcmp(digest, info->header.metadata_sha256, sizeof digest) == 0;
    sim_image_sha256(pkg->table_raw, (size_t)info->header.file_count * SIM_IMAGE_FILE_ENTRY_LEN,
                     digest);
    if (!meta_ok || memcmp(digest, info->header.file_table_sha256, sizeof digest) != 0) {
        rc = sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                                "the signed header's section hashes are wrong");
        goto out;
    }
    if ((rc = decode_sections(pkg, info, err, err_size)) != SIM_IMAGE_OK ||
        (rc = check_policy(pkg, info, policy, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    pkg->verified = true;
out:
    mbedtls_pk_free(&pk);
    return rc;
}

enum sim_image_result sim_image_package_describe(struct sim_image_package *pkg,
                                                 struct sim_image_info *out, char *err,
                                                 size_t err_size) {
    memset(out, 0, sizeof *out);
    enum sim_image_result rc = read_layout(pkg, out, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    enum sim_image_result sig_rc = SIM_IMAGE_OK;
    char sig_reason[512] = "";
    if (out->header.signature_len != 0) {
        sig_rc = read_signature(pkg, out, sig_reason, sizeof sig_reason);
    }
    if ((rc = read_sections(pkg, &out->header, err, err_size)) != SIM_IMAGE_OK ||
        (rc = decode_sections(pkg, out, err, err_size)) != SIM_IMAGE_OK) {
        return rc;
    }
    if (sig_rc != SIM_IMAGE_OK && err != NULL && err_size > 0) {
        snprintf(err, err_size, "%s", sig_reason);
    }
    return sig_rc;
}
