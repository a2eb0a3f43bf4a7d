// SPDX-License-Identifier: MIT
// The cloud side: the tenant update-signing key, signing round trips between OpenSSL (signer) and
// mbedTLS (device verifier), re-signing, a signer that refuses broken packages, and the packer's
// refusals of directories a device could not install.
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "image/image_pack.h"
#include "image/image_sign.h"
#include "image/image_verify.h"
#include "image_test_util.h"

struct fixture {
    char root[PATH_MAX];
    char app[PATH_MAX];
    char tenant[PATH_MAX];
    char out[PATH_MAX];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    itu_temp_dir(f->root);
    itu_path(f->app, f->root, "app");
    itu_path(f->tenant, f->root, "tenant");
    itu_path(f->out, f->root, "out.img");
    itu_make_app(f->app);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    itu_remove(f->root);
    free(f);
    return 0;
}

static enum sim_image_result pack(const struct fixture *f, enum sim_image_type type,
                                  const char *name, const char *component, char *err,
                                  size_t err_size) {
    struct sim_image_pack_options opts = {
        .dir = f->app,
        .type = type,
        .version = {1, 0, 0},
        .name = name,
        .component_id = component,
        .build_time = 1700000000,
    };
    return sim_image_pack(&opts, f->out, NULL, err, err_size);
}

static void test_signing_key_ensure_creates_once(void **state) {
    struct fixture *f = *state;
    char err[512];
    bool created = false;
    uint8_t id1[SIM_IMAGE_KEY_ID_LEN];
    uint8_t id2[SIM_IMAGE_KEY_ID_LEN];
    uint8_t id3[SIM_IMAGE_KEY_ID_LEN];
    assert_int_equal(sim_image_signing_key_ensure(f->tenant, &created, id1, err, sizeof err),
                     SIM_IMAGE_OK);
    assert_true(created);
    char key_path[PATH_MAX];
    char pub_path[PATH_MAX];
    assert_true(sim_image_tenant_path(f->tenant, SIM_IMAGE_SIGNING_KEY_FILE, key_path, PATH_MAX));
    assert_true(
        sim_image_tenant_path(f->tenant, SIM_IMAGE_SIGNING_PUBKEY_FILE, pub_path, PATH_MAX));
    struct stat st;
    assert_int_equal(stat(key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(f->tenant, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    // Kept on the next call; a lost public key file is written again from the private key.
    assert_int_equal(unlink(pub_path), 0);
    assert_int_equal(sim_image_signing_key_ensure(f->tenant, &created, id2, err, sizeof err),
                     SIM_IMAGE_OK);
    assert_false(created);
    assert_memory_equal(id1, id2, sizeof id1);

    // OpenSSL and mbedTLS agree on the key id, which the signature block names keys by.
    size_t pub_len = 0;
    uint8_t *pub = itu_read(pub_path, &pub_len);
    assert_int_equal(sim_image_key_id(pub, pub_len, id3, err, sizeof err), SIM_IMAGE_OK);
    assert_memory_equal(id1, id3, sizeof id1);
    assert_int_equal(sim_image_key_file_id(key_path, id3, err, sizeof err), SIM_IMAGE_OK);
    assert_memory_equal(id1, id3, sizeof id1);
    free(pub);
}

static void test_signing_key_ensure_wrong_curve_bad_key(void **state) {
    struct fixture *f = *state;
    EVP_PKEY *p384 = EVP_EC_gen("P-384");
    char key_path[PATH_MAX];
    char err[512];
    assert_true(sim_image_tenant_path(f->tenant, SIM_IMAGE_SIGNING_KEY_FILE, key_path, PATH_MAX));
    assert_int_equal(mkdir(f->tenant, 0700), 0);
    FILE *file = fopen(key_path, "w");
    assert_non_null(file);
    assert_int_equal(PEM_write_PrivateKey(file, p384, NULL, NULL, 0, NULL, NULL), 1);
    fclose(file);
    EVP_PKEY_free(p384);
    assert_int_equal(sim_image_signing_key_ensure(f->tenant, NULL, NULL, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_KEY);
    assert_non_null(strstr(err, "P-256"));
}

static void test_sign_file_round_trip_ok(void **state) {
    struct fixture *f = *state;
    char key[PATH_MAX];
    char pub_path[PATH_MAX];
    char other_key[PATH_MAX];
    char other_pub_path[PATH_MAX];
    char other_tenant[PATH_MAX];
    uint8_t *pub = NULL;
    uint8_t *other_pub = NULL;
    size_t pub_len = 0;
    size_t other_pub_len = 0;
    size_t len = 0;
    char err[1024];
    itu_make_key(f->tenant, key, pub_path, &pub, &pub_len);
    itu_path(other_tenant, f->root, "other");
    itu_make_key(other_tenant, other_key, other_pub_path, &other_pub, &other_pub_len);
    free(itu_pack(f->app, "3.0.1", NULL, f->out, &len));

    uint8_t key_id[SIM_IMAGE_KEY_ID_LEN];
    uint8_t want_id[SIM_IMAGE_KEY_ID_LEN];
    assert_int_equal(sim_image_sign_file(f->out, key, f->out, key_id, err, sizeof err),
                     SIM_IMAGE_OK);
    assert_int_equal(sim_image_key_id(pub, pub_len, want_id, err, sizeof err), SIM_IMAGE_OK);
    assert_memory_equal(key_id, want_id, sizeof key_id);
    uint8_t *buf = itu_read(f->out, &len);
    assert_int_equal(itu_verify(buf, len, pub, pub_len, ITU_COMPONENT_ID, NULL, err, sizeof err),
                     SIM_IMAGE_OK);
    free(buf);

    // Re-signing replaces the signature: the new key verifies, the old one no longer does.
    char resigned[PATH_MAX + 16];
    snprintf(resigned, sizeof resigned, "%s.2", f->out);
    assert_int_equal(sim_image_sign_file(f->out, other_key, resigned, NULL, err, sizeof err),
                     SIM_IMAGE_OK);
    buf = itu_read(resigned, &len);
    assert_int_equal(itu_verify(buf, len, other_pub, other_pub_len, NULL, NULL, err, sizeof err),
                     SIM_IMAGE_OK);
    assert_int_equal(itu_verify(buf, len, pub, pub_len, NULL, NULL, err, sizeof err),
                     SIM_IMAGE_ERR_WRONG_KEY);
    free(buf);
    free(pub);
    free(other_pub);
}

static void test_sign_tampered_package_refused(void **state) {
    struct fixture *f = *state;
    char key[PATH_MAX];
    char pub_path[PATH_MAX];
    uint8_t *pub = NULL;
    size_t pub_len = 0;
    size_t len = 0;
    char err[1024];
    itu_make_key(f->tenant, key, pub_path, &pub, &pub_len);
    uint8_t *buf = itu_pack(f->app, "1.0.0", NULL, f->out, &len);
    buf[len - 1] ^= 0x01;  // the last byte of res/data.txt
    assert_int_equal(sim_image_sign_buffer(&buf, &len, key, NULL, err, sizeof err),
                     SIM_IMAGE_ERR_TAMPERED_PAYLOAD);
    size_t cut = len - 1;
    assert_int_equal(sim_image_sign_buffer(&buf, &cut, key, NULL, err, sizeof err),
                     SIM_IMAGE_ERR_TRUNCATED);
    free(buf);
    free(pub);
}

static void test_sign_missing_key_file_io(void **state) {
    struct fixture *f = *state;
    size_t len = 0;
    char err[1024];
    free(itu_pack(f->app, "1.0.0", NULL, f->out, &len));
    assert_int_equal(
        sim_image_sign_file(f->out, "/nonexistent/key.pem", f->out, NULL, err, sizeof err),
        SIM_IMAGE_ERR_IO);
    assert_non_null(strstr(err, "/nonexistent/key.pem"));
}

static void test_pack_same_input_same_bytes(void **state) {
    struct fixture *f = *state;
    size_t len1 = 0;
    size_t len2 = 0;
    uint8_t *one = itu_pack(f->app, "1.0.0", NULL, f->out, &len1);
    uint8_t *two = itu_pack(f->app, "1.0.0", NULL, f->out, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(one, two, len1);
    free(one);
    free(two);
}

static void test_pack_os_release_ok(void **state) {
    struct fixture *f = *state;
    char err[1024];
    assert_int_equal(pack(f, SIM_IMAGE_TYPE_OS, "sim-os", NULL, err, sizeof err), SIM_IMAGE_OK);
    size_t len = 0;
    uint8_t *buf = itu_read(f->out, &len);
    static struct sim_image_package pkg;
    static struct sim_image_info info;
    sim_image_package_open_memory(&pkg, buf, len, "os.img");
    assert_int_equal(sim_image_package_describe(&pkg, &info, err, sizeof err), SIM_IMAGE_OK);
    assert_int_equal(info.metadata.type, SIM_IMAGE_TYPE_OS);
    assert_string_equal(info.metadata.component_id, SIM_IMAGE_OS_COMPONENT_ID);
    assert_string_equal(info.metadata.name, "sim-os");
    sim_image_package_close(&pkg);
    free(buf);
    assert_int_equal(pack(f, SIM_IMAGE_TYPE_OS, NULL, "not-a-guid", err, sizeof err),
                     SIM_IMAGE_ERR_INVALID_INPUT);
    assert_int_equal(
        pack(f, SIM_IMAGE_TYPE_OS, "a name that is longer than 31 bytes", NULL, err, sizeof err),
        SIM_IMAGE_ERR_INVALID_INPUT);
}

// Packs the fixture app after change() and expects INVALID_INPUT with want in the reason.
static void expect_pack_refused(struct fixture *f, const char *want) {
    char err[1024] = "";
    enum sim_image_result rc = pack(f, SIM_IMAGE_TYPE_APP, NULL, NULL, err, sizeof err);
    if (rc != SIM_IMAGE_ERR_INVALID_INPUT || strstr(err, want) == NULL) {
        fail_msg("%s '%s', expected invalid-input mentioning '%s'", sim_image_result_name(rc), err,
                 want);
    }
    assert_int_not_equal(access(f->out, F_OK), 0);
}

static void test_pack_bad_app_dirs_invalid_input(void **state) {
    struct fixture *f = *state;
    char path[PATH_MAX + 32];
    char err[1024];

    assert_int_equal(pack(f, SIM_IMAGE_TYPE_APP, "name", NULL, err, sizeof err),
                     SIM_IMAGE_ERR_INVALID_INPUT);

    itu_path(path, f->app, "res/link");
    assert_int_equal(symlink("/etc/passwd", path), 0);
    expect_pack_refused(f, "symbolic link");
    unlink(path);

    itu_write(f->app, "res/has space.txt", "x", 1, 0644);
    expect_pack_refused(f, "has space.txt");
    itu_path(path, f->app, "res/has space.txt");
    unlink(path);

    itu_path(path, f->app, "bin/app");
    assert_int_equal(chmod(path, 0644), 0);
    expect_pack_refused(f, "EntryPoint");
    assert_int_equal(chmod(path, 0755), 0);

    itu_write(f->app, "app_manifest.json", "{ \"SchemaVersion\": 1, ", 22, 0644);
    expect_pack_refused(f, "app_manifest.json");

    itu_path(path, f->app, "app_manifest.json");
    unlink(path);
    expect_pack_refused(f, "no app_manifest.json");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signing_key_ensure_creates_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_signing_key_ensure_wrong_curve_bad_key, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sign_file_round_trip_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_tampered_package_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sign_missing_key_file_io, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_same_input_same_bytes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_os_release_ok, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pack_bad_app_dirs_invalid_input, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
