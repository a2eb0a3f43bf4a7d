// SPDX-License-Identifier: MIT
// Installing a verified package: files and modes arrive intact, the destination appears only
// complete, leftovers of an interrupted install are cleared, symbolic links planted around the
// destination lead nowhere, and a package changed after verification installs nothing.
#include <errno.h>
#include <fcntl.h>
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

#include "image/image_verify.h"
#include "image_test_util.h"

struct fixture {
    char root[PATH_MAX];
    char app[PATH_MAX];
    char key[PATH_MAX];
    char pub_path[PATH_MAX];
    char package[PATH_MAX];
    char dest[PATH_MAX];
    uint8_t *pub;
    size_t pub_len;
    struct sim_image_package pkg;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    char path[PATH_MAX];
    size_t len = 0;
    itu_temp_dir(f->root);
    itu_path(f->app, f->root, "app");
    itu_make_app(f->app);
    itu_path(path, f->root, "tenant");
    itu_make_key(path, f->key, f->pub_path, &f->pub, &f->pub_len);
    itu_path(f->package, f->root, "app.img");
    free(itu_pack(f->app, "2.0.0", f->key, f->package, &len));
    itu_path(f->dest, f->root, "slot-b");
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    sim_image_package_close(&f->pkg);
    itu_remove(f->root);
    free(f->pub);
    free(f);
    return 0;
}

static void open_verified(struct fixture *f) {
    struct sim_image_policy policy = {.trusted_key = f->pub, .trusted_key_len = f->pub_len};
    char err[512];
    assert_int_equal(sim_image_package_open(&f->pkg, f->package, err, sizeof err), SIM_IMAGE_OK);
    enum sim_image_result rc = sim_image_package_verify(&f->pkg, &policy, err, sizeof err);
    if (rc != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
}

static void assert_file(const char *dir, const char *rel, const char *content, mode_t mode) {
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, mode);
    size_t len = 0;
    uint8_t *data = itu_read(path, &len);
    assert_int_equal(len, strlen(content));
    assert_memory_equal(data, content, len);
    free(data);
}

static bool exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

static void test_extract_verified_package_installs_files(void **state) {
    struct fixture *f = *state;
    open_verified(f);
    char err[512] = "";
    enum sim_image_result rc = sim_image_package_extract(&f->pkg, f->dest, err, sizeof err);
    if (rc != SIM_IMAGE_OK) {
        fail_msg("%s", err);
    }
    assert_file(f->dest, "bin/app", "#!/bin/sh\nexit 0\n", 0755);
    assert_file(f->dest, "res/data.txt", "resource\n", 0644);
    char manifest[PATH_MAX];
    itu_path(manifest, f->dest, "app_manifest.json");
    assert_true(exists(manifest));
    char staging[PATH_MAX + 16];
    snprintf(staging, sizeof staging, "%s.staging", f->dest);
    assert_false(exists(staging));
    // No temporary file is left beside an installed one.
    char temp[PATH_MAX + 16];
    itu_path(temp, f->dest, "bin/app.tmp~");
    assert_false(exists(temp));
}

static void test_extract_unverified_package_invalid_input(void **state) {
    struct fixture *f = *state;
    char err[512];
    assert_int_equal(sim_image_package_open(&f->pkg, f->package, err, sizeof err), SIM_IMAGE_OK);
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err),
                     SIM_IMAGE_ERR_INVALID_INPUT);
    assert_false(exists(f->dest));
    // A failed verification leaves the package unverified too.
    struct sim_image_policy wrong = {.trusted_key = "x", .trusted_key_len = 1};
    assert_int_not_equal(sim_image_package_verify(&f->pkg, &wrong, err, sizeof err), SIM_IMAGE_OK);
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err),
                     SIM_IMAGE_ERR_INVALID_INPUT);
}

static void test_extract_existing_destination_invalid_input(void **state) {
    struct fixture *f = *state;
    open_verified(f);
    assert_int_equal(mkdir(f->dest, 0755), 0);
    char err[512];
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err),
                     SIM_IMAGE_ERR_INVALID_INPUT);
    assert_non_null(strstr(err, "exists"));
}

static void test_extract_leftover_staging_replaced(void **state) {
    struct fixture *f = *state;
    open_verified(f);
    // An install interrupted by power loss left a half-written staging directory.
    char staging[PATH_MAX + 16];
    snprintf(staging, sizeof staging, "%s.staging", f->dest);
    itu_write(staging, "bin/app.tmp~", "half", 4, 0600);
    itu_write(staging, "stale/old.txt", "old", 3, 0644);
    char err[512];
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err), SIM_IMAGE_OK);
    char stale[PATH_MAX + 32];
    itu_path(stale, f->dest, "stale");
    assert_false(exists(stale));
    assert_file(f->dest, "bin/app", "#!/bin/sh\nexit 0\n", 0755);
}

static void test_extract_staging_symlink_not_followed(void **state) {
    struct fixture *f = *state;
    open_verified(f);
    // A link where the staging directory goes must not make extraction write (or delete) there.
    char victim[PATH_MAX];
    itu_path(victim, f->root, "victim");
    itu_write(victim, "keep.txt", "keep", 4, 0644);
    char staging[PATH_MAX + 16];
    snprintf(staging, sizeof staging, "%s.staging", f->dest);
    assert_int_equal(symlink(victim, staging), 0);
    char err[512];
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err), SIM_IMAGE_OK);
    assert_file(victim, "keep.txt", "keep", 0644);
    char planted[PATH_MAX + 16];
    itu_path(planted, victim, "bin");
    assert_false(exists(planted));
}

static void test_extract_package_changed_after_verify_tampered_payload(void **state) {
    struct fixture *f = *state;
    open_verified(f);
    // The file is rewritten between verification and installation: the last byte is res/data.txt.
    const struct sim_image_info *info = sim_image_package_info(&f->pkg);
    off_t last_payload = (off_t)(info->signed_len - 1);
    int fd = open(f->package, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "X", 1, last_payload), 1);
    close(fd);
    char err[512];
    assert_int_equal(sim_image_package_extract(&f->pkg, f->dest, err, sizeof err),
                     SIM_IMAGE_ERR_TAMPERED_PAYLOAD);
    assert_non_null(strstr(err, "res/data.txt"));
    char staging[PATH_MAX + 16];
    snprintf(staging, sizeof staging, "%s.staging", f->dest);
    assert_false(exists(f->dest));
    assert_false(exists(staging));
}

static void test_remove_tree_links_removed_not_followed(void **state) {
    struct fixture *f = *state;
    char tree[PATH_MAX];
    char outside[PATH_MAX];
    char link_path[PATH_MAX + 16];
    itu_path(tree, f->root, "tree");
    itu_path(outside, f->root, "outside");
    itu_write(tree, "a/b/c/deep.txt", "x", 1, 0644);
    itu_write(tree, "top.txt", "y", 1, 0644);
    itu_write(outside, "precious.txt", "z", 1, 0644);
    itu_path(link_path, tree, "a/link");
    assert_int_equal(symlink(outside, link_path), 0);
    char err[512];
    assert_int_equal(sim_image_remove_tree(tree, err, sizeof err), SIM_IMAGE_OK);
    assert_false(exists(tree));
    assert_file(outside, "precious.txt", "z", 0644);
    // Removing what is not there succeeds.
    assert_int_equal(sim_image_remove_tree(tree, err, sizeof err), SIM_IMAGE_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_extract_verified_package_installs_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_extract_unverified_package_invalid_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_extract_existing_destination_invalid_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_extract_leftover_staging_replaced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extract_staging_symlink_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_extract_package_changed_after_verify_tampered_payload,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_remove_tree_links_removed_not_followed, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
