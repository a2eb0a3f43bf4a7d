// SPDX-License-Identifier: MIT
// The device-side verifier against hostile packages: every tamper case the update story names
// (payload, manifest, metadata, missing signature, wrong key, wrong component, truncation,
// downgrade), every truncation length and every single-byte change of a small package, lengths
// chosen to overflow, and validly signed packages whose file tables try to escape the install
// directory.
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "image/image_verify.h"
#include "image_test_util.h"

// Offsets the tamper tests aim at (docs/image-packages.md).
#define METADATA_VERSION_AT (SIM_IMAGE_HEADER_LEN + 76)
#define TABLE_AT (SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN)

struct fixture {
    char root[PATH_MAX];
    char app[PATH_MAX];
    char key[PATH_MAX];
    char pub_path[PATH_MAX];
    uint8_t *pub;
    size_t pub_len;
    char other_key[PATH_MAX];
    char other_pub_path[PATH_MAX];
    uint8_t *other_pub;
    size_t other_pub_len;
    uint8_t *signed_pkg;  // the app, 1.2.0, signed with key
    size_t signed_len;
    uint8_t *unsigned_pkg;
    size_t unsigned_len;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    char path[PATH_MAX];
    itu_temp_dir(f->root);
    itu_path(f->app, f->root, "app");
    itu_make_app(f->app);
    itu_path(path, f->root, "tenant");
    itu_make_key(path, f->key, f->pub_path, &f->pub, &f->pub_len);
    itu_path(path, f->root, "other");
    itu_make_key(path, f->other_key, f->other_pub_path, &f->other_pub, &f->other_pub_len);
    itu_path(path, f->root, "signed.img");
    f->signed_pkg = itu_pack(f->app, "1.2.0", f->key, path, &f->signed_len);
    itu_path(path, f->root, "unsigned.img");
    f->unsigned_pkg = itu_pack(f->app, "1.2.0", NULL, path, &f->unsigned_len);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    itu_remove(f->root);
    free(f->pub);
    free(f->other_pub);
    free(f->signed_pkg);
    free(f->unsigned_pkg);
    free(f);
    return 0;
}

static enum sim_image_result verify(const struct fixture *f, const uint8_t *buf, size_t len) {
    char err[1024];
    return itu_verify(buf, len, f->pub, f->pub_len, ITU_COMPONENT_ID, NULL, err, sizeof err);
}

static uint8_t *copy(const uint8_t *buf, size_t len) {
    uint8_t *out = malloc(len);
    assert_non_null(out);
    memcpy(out, buf, len);
    return out;
}

// The offset of a file's content in the package.
static size_t content_at(const struct fixture *f, const char *path) {
    static struct sim_image_package pkg;
    struct sim_image_policy policy = {.trusted_key = f->pub, .trusted_key_len = f->pub_len};
    char err[512];
    sim_image_package_open_memory(&pkg, f->signed_pkg, f->signed_len, "fixture");
    assert_int_equal(sim_image_package_verify(&pkg, &policy, err, sizeof err), SIM_IMAGE_OK);
    const struct sim_image_info *info = sim_image_package_info(&pkg);
    size_t at = 0;
    for (size_t i = 0; i < info->file_count; i++) {
        if (strcmp(info->files[i].path, path) == 0) {
            at = TABLE_AT + info->file_count * SIM_IMAGE_FILE_ENTRY_LEN +
                 (size_t)info->files[i].offset;
        }
    }
    sim_image_package_close(&pkg);
    assert_true(at > 0);
    return at;
}

static void test_verify_signed_package_ok(void **state) {
    struct fixture *f = *state;
    static struct sim_image_package pkg;
    struct sim_image_version installed = {1, 1, 9};
    struct sim_image_policy policy = {
        .trusted_key = f->pub,
        .trusted_key_len = f->pub_len,
        .component_id = "4597FC46-10C5-43B8-89A2-B98A1F1DB2B4",  // GUIDs compare without case
        .installed_version = &installed,
    };
    char path[PATH_MAX];
    char err[512] = "";
    itu_path(path, f->root, "signed.img");
    // Through a file descriptor, as the update agent reads a download.
    assert_int_equal(sim_image_package_open(&pkg, path, err, sizeof err), SIM_IMAGE_OK);
    enum sim_image_result rc = sim_image_package_verify(&pkg, &policy, err, sizeof err);
    if (rc != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
    const struct sim_image_info *info = sim_image_package_info(&pkg);
    assert_non_null(info);
    assert_int_equal(info->metadata.type, SIM_IMAGE_TYPE_APP);
    assert_string_equal(info->metadata.component_id, ITU_COMPONENT_ID);
    assert_string_equal(info->metadata.name, "image_test_app");
    assert_int_equal(info->metadata.version.minor, 2);
    assert_int_equal(info->metadata.build_time, 1700000000);
    assert_int_equal(info->file_count, 3);
    assert_string_equal(info->files[0].path, "app_manifest.json");
    assert_string_equal(info->files[1].path, "bin/app");
    assert_int_equal(info->files[1].mode, S_IFREG | 0755);
    assert_string_equal(info->files[2].path, "res/data.txt");
    assert_int_equal(info->files[2].mode, S_IFREG | 0644);
    sim_image_package_close(&pkg);
    assert_null(sim_image_package_info(&pkg));
}

static void test_verify_der_trusted_key_ok(void **state) {
    struct fixture *f = *state;
    FILE *file = fopen(f->pub_path, "r");
    assert_non_null(file);
    EVP_PKEY *key = PEM_read_PUBKEY(file, NULL, NULL, NULL);
    fclose(file);
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(key, &der);
    assert_true(der_len > 0);
    char err[512];
    assert_int_equal(
        itu_verify(f->signed_pkg, f->signed_len, der, (size_t)der_len, NULL, NULL, err, sizeof err),
        SIM_IMAGE_OK);
    OPENSSL_free(der);
    EVP_PKEY_free(key);
}

static void test_verify_tampered_payload_byte_tampered_payload(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    buf[content_at(f, "bin/app") + 3] ^= 0x20;
    char err[512];
    assert_int_equal(
        itu_verify(buf, f->signed_len, f->pub, f->pub_len, NULL, NULL, err, sizeof err),
        SIM_IMAGE_ERR_TAMPERED_PAYLOAD);
    assert_non_null(strstr(err, "bin/app"));
    free(buf);
}

static void test_verify_tampered_resource_tampered_payload(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    buf[content_at(f, "res/data.txt")] ^= 0x01;
    assert_int_equal(verify(f, buf, f->signed_len), SIM_IMAGE_ERR_TAMPERED_PAYLOAD);
    free(buf);
}

static void test_verify_tampered_manifest_tampered_metadata(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    // "Gpio": [ 8 ] becomes [ 9 ]: a privilege the signer never granted.
    size_t at = content_at(f, "app_manifest.json");
    uint8_t *gpio = memmem(buf + at, f->signed_len - at, "[ 8 ]", 5);
    assert_non_null(gpio);
    gpio[2] = '9';
    char err[512];
    assert_int_equal(
        itu_verify(buf, f->signed_len, f->pub, f->pub_len, NULL, NULL, err, sizeof err),
        SIM_IMAGE_ERR_TAMPERED_METADATA);
    assert_non_null(strstr(err, "manifest"));
    free(buf);
}

static void test_verify_tampered_version_tampered_metadata(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    buf[METADATA_VERSION_AT] = 9;  // 1.2.0 claims to be 9.2.0
    assert_int_equal(verify(f, buf, f->signed_len), SIM_IMAGE_ERR_TAMPERED_METADATA);
    free(buf);
}

static void test_verify_tampered_file_table_tampered_metadata(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    buf[TABLE_AT + SIM_IMAGE_FILE_ENTRY_LEN + 128] ^= 0002;  // bin/app's mode: 0755 -> 0757
    assert_int_equal(verify(f, buf, f->signed_len), SIM_IMAGE_ERR_TAMPERED_METADATA);
    free(buf);
}

static void test_verify_unsigned_package_missing_signature(void **state) {
    struct fixture *f = *state;
    assert_int_equal(verify(f, f->unsigned_pkg, f->unsigned_len), SIM_IMAGE_ERR_MISSING_SIGNATURE);
}

static void test_verify_signature_cut_off_truncated(void **state) {
    struct fixture *f = *state;
    // The signed header says a signature follows, so a package without it was cut short.
    assert_int_equal(verify(f, f->signed_pkg, f->signed_len - SIM_IMAGE_SIG_BLOCK_LEN),
                     SIM_IMAGE_ERR_TRUNCATED);
}

static void test_verify_other_signing_key_wrong_key(void **state) {
    struct fixture *f = *state;
    char err[512];
    assert_int_equal(itu_verify(f->signed_pkg, f->signed_len, f->other_pub, f->other_pub_len, NULL,
                                NULL, err, sizeof err),
                     SIM_IMAGE_ERR_WRONG_KEY);
    assert_non_null(strstr(err, "trusts key"));
}

static void test_verify_forged_key_id_bad_signature(void **state) {
    struct fixture *f = *state;
    uint8_t trusted_id[SIM_IMAGE_KEY_ID_LEN];
    char err[512];
    assert_int_equal(sim_image_key_id(f->pub, f->pub_len, trusted_id, err, sizeof err),
                     SIM_IMAGE_OK);
    // Signed by another key that claims to be the trusted one.
    size_t len = f->unsigned_len;
    uint8_t *buf = copy(f->unsigned_pkg, len);
    itu_raw_sign(&buf, &len, f->other_key, trusted_id);
    assert_int_equal(verify(f, buf, len), SIM_IMAGE_ERR_BAD_SIGNATURE);
    free(buf);
}

static void test_verify_other_component_wrong_component(void **state) {
    struct fixture *f = *state;
    char err[512];
    assert_int_equal(itu_verify(f->signed_pkg, f->signed_len, f->pub, f->pub_len,
                                "00000000-1111-2222-3333-444444444444", NULL, err, sizeof err),
                     SIM_IMAGE_ERR_WRONG_COMPONENT);
}

static void test_verify_version_not_newer_downgrade(void **state) {
    struct fixture *f = *state;
    char err[512];
    const struct sim_image_version same = {1, 2, 0};
    const struct sim_image_version newer = {1, 10, 0};
    const struct sim_image_version older = {1, 1, 4294967295u};
    assert_int_equal(
        itu_verify(f->signed_pkg, f->signed_len, f->pub, f->pub_len, NULL, &same, err, sizeof err),
        SIM_IMAGE_ERR_DOWNGRADE);
    assert_non_null(strstr(err, "anti-rollback"));
    assert_int_equal(
        itu_verify(f->signed_pkg, f->signed_len, f->pub, f->pub_len, NULL, &newer, err, sizeof err),
        SIM_IMAGE_ERR_DOWNGRADE);
    assert_int_equal(
        itu_verify(f->signed_pkg, f->signed_len, f->pub, f->pub_len, NULL, &older, err, sizeof err),
        SIM_IMAGE_OK);
}

static void test_verify_every_truncation_truncated(void **state) {
    struct fixture *f = *state;
    for (size_t len = 0; len < f->signed_len; len++) {
        uint8_t *buf = copy(f->signed_pkg, len > 0 ? len : 1);
        char err[512] = "";
        enum sim_image_result rc =
            itu_verify(buf, len, f->pub, f->pub_len, NULL, NULL, err, sizeof err);
        if (rc != SIM_IMAGE_ERR_TRUNCATED) {
            fail_msg("truncated to %zu bytes: %s (%s)", len, sim_image_result_name(rc), err);
        }
        free(buf);
    }
}

static void test_verify_every_byte_changed_rejected(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    for (size_t i = 0; i < f->signed_len; i++) {
        buf[i] ^= 0x01;
        char err[512] = "";
        enum sim_image_result rc =
            itu_verify(buf, f->signed_len, f->pub, f->pub_len, NULL, NULL, err, sizeof err);
        if (rc == SIM_IMAGE_OK || err[0] == '\0' || strchr(err, '\n') != NULL) {
            fail_msg("byte %zu changed: %s '%s'", i, sim_image_result_name(rc), err);
        }
        buf[i] ^= 0x01;
    }
    free(buf);
}

static void test_verify_trailing_bytes_bad_format(void **state) {
    struct fixture *f = *state;
    uint8_t *buf = calloc(1, f->signed_len + 1);
    memcpy(buf, f->signed_pkg, f->signed_len);
    assert_int_equal(verify(f, buf, f->signed_len + 1), SIM_IMAGE_ERR_BAD_FORMAT);
    free(buf);
}

// Overwrites a header field of the signed package and expects BAD_FORMAT without reading on.
static void expect_header_refused(const struct fixture *f, size_t at, const uint8_t *bytes,
                                  size_t n) {
    uint8_t *buf = copy(f->signed_pkg, f->signed_len);
    memcpy(buf + at, bytes, n);
    char err[512] = "";
    enum sim_image_result rc =
        itu_verify(buf, f->signed_len, f->pub, f->pub_len, NULL, NULL, err, sizeof err);
    if (rc != SIM_IMAGE_ERR_BAD_FORMAT) {
        fail_msg("header byte %zu: %s (%s)", at, sim_image_result_name(rc), err);
    }
    free(buf);
}

static void test_verify_huge_lengths_bad_format(void **state) {
    struct fixture *f = *state;
    const uint8_t max64[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    const uint8_t max32[4] = {0xff, 0xff, 0xff, 0xff};
    const uint8_t just_over[8] = {0x01, 0x00, 0x00, 0x04, 0, 0, 0, 0};  // 64 MiB + 1
    expect_header_refused(f, 32, max64, sizeof max64);                  // payload length
    expect_header_refused(f, 32, just_over, sizeof just_over);          // payload length
    expect_header_refused(f, 20, max32, sizeof max32);                  // file count
    expect_header_refused(f, 16, max32, sizeof max32);                  // metadata length
    expect_header_refused(f, 24, max32, sizeof max32);                  // file entry length
    expect_header_refused(f, 28, max32, sizeof max32);                  // signature length
    expect_header_refused(f, 10, max32, 2);                             // header length
    const uint8_t zero[4] = {0};
    expect_header_refused(f, 20, zero, sizeof zero);  // no files
    const uint8_t one = 1;
    expect_header_refused(f, 12, &one, 1);   // unknown flag
    expect_header_refused(f, 120, &one, 1);  // reserved byte
    const uint8_t version2 = 2;
    expect_header_refused(f, 8, &version2, 1);
    expect_header_refused(f, 0, (const uint8_t *)"X", 1);  // magic
}

static void test_verify_garbage_bad_format(void **state) {
    struct fixture *f = *state;
    static const uint8_t text[] = "this is not an image package, just some text";
    assert_int_equal(verify(f, text, sizeof text - 1), SIM_IMAGE_ERR_BAD_FORMAT);
}

// Signs a raw package with the trusted key and expects rc.
static void expect_signed_raw(const struct fixture *f, const struct itu_file *files, size_t count,
                              enum sim_image_result want) {
    size_t len = 0;
    uint8_t *buf = itu_raw_package(files, count, NULL, &len);
    itu_raw_sign(&buf, &len, f->key, NULL);
    char err[512] = "";
    enum sim_image_result rc =
        itu_verify(buf, len, f->pub, f->pub_len, NULL, NULL, err, sizeof err);
    if (rc != want) {
        fail_msg("'%s': %s (%s), expected %s", files[count - 1].path, sim_image_result_name(rc),
                 err, sim_image_result_name(want));
    }
    assert_null(strchr(err, '\n'));
    free(buf);
}

#define REG(mode) (S_IFREG | (mode))
#define MANIFEST \
    { "app_manifest.json", REG(0644), "{}" }

static void test_verify_path_traversal_unsafe_path(void **state) {
    struct fixture *f = *state;
    static const char *const bad[] = {
        "../evil", "bin/../../evil", "/etc/passwd", "bin//app", "./app",          "bin/.",
        "bin/",    "a\\b",           "a b",         "a\nb",     "bin/app\x1b[2J",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        // The table must stay sorted, so the hostile path goes before or after the manifest.
        char path[64];
        snprintf(path, sizeof path, "%s", bad[i]);
        struct itu_file files[] = {MANIFEST, {path, REG(0644), "x"}};
        if (strcmp(path, "app_manifest.json") < 0) {
            files[0] = (struct itu_file){path, REG(0644), "x"};
            files[1] = (struct itu_file)MANIFEST;
        }
        expect_signed_raw(f, files, 2, SIM_IMAGE_ERR_UNSAFE_PATH);
    }
}

static void test_verify_duplicate_path_unsafe_path(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {MANIFEST, {"bin/app", REG(0755), "a"}, {"bin/app", REG(0755), "b"}};
    expect_signed_raw(f, files, 3, SIM_IMAGE_ERR_UNSAFE_PATH);
}

static void test_verify_file_and_directory_unsafe_path(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {MANIFEST, {"bin", REG(0644), "a"}, {"bin/app", REG(0755), "b"}};
    expect_signed_raw(f, files, 3, SIM_IMAGE_ERR_UNSAFE_PATH);
}

static void test_verify_symlink_entry_unsafe_path(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {MANIFEST, {"bin/app", S_IFLNK | 0777, "/etc/passwd"}};
    expect_signed_raw(f, files, 2, SIM_IMAGE_ERR_UNSAFE_PATH);
    struct itu_file dirs[] = {MANIFEST, {"bin", S_IFDIR | 0755, ""}};
    expect_signed_raw(f, dirs, 2, SIM_IMAGE_ERR_UNSAFE_PATH);
}

static void test_verify_setuid_mode_bad_format(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {MANIFEST, {"bin/app", REG(04755), "x"}};
    expect_signed_raw(f, files, 2, SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_verify_unsorted_table_bad_format(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {MANIFEST, {"res/b", REG(0644), "b"}, {"res/a", REG(0644), "a"}};
    expect_signed_raw(f, files, 3, SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_verify_app_without_manifest_bad_format(void **state) {
    struct fixture *f = *state;
    struct itu_file files[] = {{"bin/app", REG(0755), "x"}};
    expect_signed_raw(f, files, 1, SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_verify_unusable_trusted_key_bad_key(void **state) {
    struct fixture *f = *state;
    char err[512];
    static const uint8_t garbage[] =
        "-----BEGIN PUBLIC KEY-----\nnot base64\n-----END PUBLIC KEY-----\n";
    assert_int_equal(itu_verify(f->signed_pkg, f->signed_len, garbage, sizeof garbage - 1, NULL,
                                NULL, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_KEY);
    assert_int_equal(itu_verify(f->signed_pkg, f->signed_len, NULL, 0, NULL, NULL, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_KEY);
    // A P-384 key is a valid key, but not one an image is signed with.
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    unsigned char *der = NULL;
    int der_len = i2d_PUBKEY(p384, &der);
    assert_int_equal(
        itu_verify(f->signed_pkg, f->signed_len, der, (size_t)der_len, NULL, NULL, err, sizeof err),
        SIM_IMAGE_ERR_BAD_KEY);
    assert_non_null(strstr(err, "P-256"));
    OPENSSL_free(der);
    EVP_PKEY_free(p384);
}

static void test_describe_unsigned_package_ok(void **state) {
    struct fixture *f = *state;
    static struct sim_image_package pkg;
    static struct sim_image_info info;
    char err[512];
    sim_image_package_open_memory(&pkg, f->unsigned_pkg, f->unsigned_len, "unsigned");
    assert_int_equal(sim_image_package_describe(&pkg, &info, err, sizeof err), SIM_IMAGE_OK);
    assert_false(info.has_signature);
    assert_int_equal(info.file_count, 3);
    assert_string_equal(info.metadata.name, "image_test_app");
    // Nothing described is trusted: the package is not verified.
    assert_null(sim_image_package_info(&pkg));
    sim_image_package_close(&pkg);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_verify_signed_package_ok),
        cmocka_unit_test(test_verify_der_trusted_key_ok),
        cmocka_unit_test(test_verify_tampered_payload_byte_tampered_payload),
        cmocka_unit_test(test_verify_tampered_resource_tampered_payload),
        cmocka_unit_test(test_verify_tampered_manifest_tampered_metadata),
        cmocka_unit_test(test_verify_tampered_version_tampered_metadata),
        cmocka_unit_test(test_verify_tampered_file_table_tampered_metadata),
        cmocka_unit_test(test_verify_unsigned_package_missing_signature),
        cmocka_unit_test(test_verify_signature_cut_off_truncated),
        cmocka_unit_test(test_verify_other_signing_key_wrong_key),
        cmocka_unit_test(test_verify_forged_key_id_bad_signature),
        cmocka_unit_test(test_verify_other_component_wrong_component),
        cmocka_unit_test(test_verify_version_not_newer_downgrade),
        cmocka_unit_test(test_verify_every_truncation_truncated),
        cmocka_unit_test(test_verify_every_byte_changed_rejected),
        cmocka_unit_test(test_verify_trailing_bytes_bad_format),
        cmocka_unit_test(test_verify_huge_lengths_bad_format),
        cmocka_unit_test(test_verify_garbage_bad_format),
        cmocka_unit_test(test_verify_path_traversal_unsafe_path),
        cmocka_unit_test(test_verify_duplicate_path_unsafe_path),
        cmocka_unit_test(test_verify_file_and_directory_unsafe_path),
        cmocka_unit_test(test_verify_symlink_entry_unsafe_path),
        cmocka_unit_test(test_verify_setuid_mode_bad_format),
        cmocka_unit_test(test_verify_unsorted_table_bad_format),
        cmocka_unit_test(test_verify_app_without_manifest_bad_format),
        cmocka_unit_test(test_verify_unusable_trusted_key_bad_key),
        cmocka_unit_test(test_describe_unsigned_package_ok),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
