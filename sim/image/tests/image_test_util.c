// SPDX-License-Identifier: MIT
// Test fixtures for image packages (see image_test_util.h).
#include "image_test_util.h"

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "image/image_pack.h"
#include "image/image_sign.h"
#include "image/image_verify.h"
#include "os/fs_util.h"

void itu_temp_dir(char *out) {
    snprintf(out, PATH_MAX, "/tmp/spheresim-image-test.XXXXXX");
    assert_non_null(mkdtemp(out));
}

void itu_path(char *out, const char *dir, const char *name) {
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

void itu_remove(const char *dir) {
    char err[256];
    assert_int_equal(sim_image_remove_tree(dir, err, sizeof err), SIM_IMAGE_OK);
}

void itu_write(const char *dir, const char *rel, const void *data, size_t len, unsigned mode) {
    char path[PATH_MAX];
    char err[512];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    assert_int_equal(sim_fs_make_dirs(path, 0755, err, sizeof err), 0);
    *slash = '/';
    assert_int_equal(sim_fs_write_atomic(path, data, len, mode, NULL, err, sizeof err), 0);
}

static const char manifest[] =
    "{\n"
    "  \"SchemaVersion\": 1,\n"
    "  \"Name\": \"image_test_app\",\n"
    "  \"ComponentId\": \"" ITU_COMPONENT_ID
    "\",\n"
    "  \"EntryPoint\": \"/bin/app\",\n"
    "  \"CmdArgs\": [],\n"
    "  \"Capabilities\": { \"Gpio\": [ 8 ] },\n"
    "  \"ApplicationType\": \"Default\"\n"
    "}\n";

void itu_make_app(const char *dir) {
    static const char app[] = "#!/bin/sh\nexit 0\n";
    static const char data[] = "resource\n";
    itu_write(dir, "app_manifest.json", manifest, strlen(manifest), 0644);
    itu_write(dir, "bin/app", app, strlen(app), 0755);
    itu_write(dir, "res/data.txt", data, strlen(data), 0644);
}

uint8_t *itu_read(const char *path, size_t *out_len) {
    uint8_t *buf = NULL;
    char err[512];
    enum sim_image_result rc = sim_image_read_package_file(path, &buf, out_len, err, sizeof err);
    if (rc != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
    return buf;
}

void itu_make_key(const char *tenant_dir, char *key_path, char *pub_path, uint8_t **out_pub,
                  size_t *out_pub_len) {
    char err[512];
    if (sim_image_signing_key_ensure(tenant_dir, NULL, NULL, err, sizeof err) != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
    assert_true(sim_image_tenant_path(tenant_dir, SIM_IMAGE_SIGNING_KEY_FILE, key_path, PATH_MAX));
    assert_true(
        sim_image_tenant_path(tenant_dir, SIM_IMAGE_SIGNING_PUBKEY_FILE, pub_path, PATH_MAX));
    *out_pub = itu_read(pub_path, out_pub_len);
}

uint8_t *itu_pack(const char *app_dir, const char *version, const char *key_path,
                  const char *out_path, size_t *out_len) {
    struct sim_image_pack_options opts = {
        .dir = app_dir,
        .type = SIM_IMAGE_TYPE_APP,
        .build_time = 1700000000,
        .signing_key = key_path,
    };
    char err[1024];
    assert_true(sim_image_version_parse(version, &opts.version));
    if (sim_image_pack(&opts, out_path, NULL, err, sizeof err) != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
    return itu_read(out_path, out_len);
}

uint8_t *itu_raw_package(const struct itu_file *files, size_t count,
                         const struct sim_image_metadata *meta, size_t *out_len) {
    struct sim_image_metadata fallback = {
        .component_id = ITU_COMPONENT_ID,
        .name = "raw",
        .type = SIM_IMAGE_TYPE_APP,
        .version = {1, 0, 0},
        .build_time = 1700000000,
    };
    if (meta == NULL) {
        meta = &fallback;
    }
    size_t payload = 0;
    for (size_t i = 0; i < count; i++) {
        payload += strlen(files[i].content);
    }
    size_t table_len = count * SIM_IMAGE_FILE_ENTRY_LEN;
    size_t payload_at = SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + table_len;
    uint8_t *buf = calloc(1, payload_at + payload + 1);
    assert_non_null(buf);
    size_t offset = 0;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(files[i].content);
        struct sim_image_file f = {.mode = files[i].mode, .offset = offset, .length = len};
        snprintf(f.path, sizeof f.path, "%s", files[i].path);
        memcpy(buf + payload_at + offset, files[i].content, len);
        sim_image_openssl_sha256(files[i].content, len, f.sha256);
        sim_image_encode_file_entry(
            &f, buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + i * SIM_IMAGE_FILE_ENTRY_LEN);
        offset += len;
    }
    struct sim_image_header h = {
        .format_version = SIM_IMAGE_FORMAT_VERSION,
        .header_len = SIM_IMAGE_HEADER_LEN,
        .metadata_len = SIM_IMAGE_METADATA_LEN,
        .file_count = (uint32_t)count,
        .file_entry_len = SIM_IMAGE_FILE_ENTRY_LEN,
        .payload_len = payload,
    };
    sim_image_encode_metadata(meta, buf + SIM_IMAGE_HEADER_LEN);
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN, SIM_IMAGE_METADATA_LEN, h.metadata_sha256);
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN, table_len,
                             h.file_table_sha256);
    sim_image_encode_header(&h, buf);
    *out_len = payload_at + payload;
    return buf;
}

void itu_raw_sign(uint8_t **buf, size_t *len, const char *key_path, const uint8_t *key_id) {
    struct sim_image_header h;
    uint64_t signed_len = 0;
    char err[256];
    assert_int_equal(sim_image_decode_header(*buf, *len, &h, err, sizeof err), SIM_IMAGE_OK);
    assert_true(sim_image_signed_len(&h, &signed_len));
    h.signature_len = SIM_IMAGE_SIG_BLOCK_LEN;
    sim_image_encode_header(&h, *buf);

    FILE *file = fopen(key_path, "r");
    assert_non_null(file);
    EVP_PKEY *key = PEM_read_PrivateKey(file, NULL, NULL, NULL);
    fclose(file);
    assert_non_null(key);
    struct sim_image_signature sig = {.algorithm = SIM_IMAGE_SIG_ALG_ECDSA_P256_SHA256};
    size_t der_len = sizeof sig.der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, sig.der, &der_len, *buf, signed_len), 1);
    EVP_MD_CTX_free(md);
    sig.der_len = (uint16_t)der_len;
    if (key_id != NULL) {
        memcpy(sig.key_id, key_id, SIM_IMAGE_KEY_ID_LEN);
    } else {
        unsigned char *der = NULL;
        int n = i2d_PUBKEY(key, &der);
        assert_true(n > 0);
        sim_image_openssl_sha256(der, (size_t)n, sig.key_id);
        OPENSSL_free(der);
    }
    EVP_PKEY_free(key);
    *buf = realloc(*buf, signed_len + SIM_IMAGE_SIG_BLOCK_LEN);
    assert_non_null(*buf);
    sim_image_encode_signature(&sig, *buf + signed_len);
    *len = signed_len + SIM_IMAGE_SIG_BLOCK_LEN;
}

enum sim_image_result itu_verify(const uint8_t *buf, size_t len, const uint8_t *pub, size_t pub_len,
                                 const char *component_id,
                                 const struct sim_image_version *installed, char *err,
                                 size_t err_size) {
    static struct sim_image_package pkg;
    struct sim_image_policy policy = {
        .trusted_key = pub,
        .trusted_key_len = pub_len,
        .component_id = component_id,
        .installed_version = installed,
    };
    sim_image_package_open_memory(&pkg, buf, len, "test.img");
    enum sim_image_result rc = sim_image_package_verify(&pkg, &policy, err, err_size);
    sim_image_package_close(&pkg);
    return rc;
}
