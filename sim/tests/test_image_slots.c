// SPDX-License-Identifier: MIT
// A/B slots: the factory sideload and when it is redone, installing a verified package into the
// inactive slot and switching, rollback, and refusing damaged pointer files with a reason that
// names the file and field.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_verify.h"
#include "image_test_util.h"
#include "os/image_slots.h"

struct fixture {
    char root[PATH_MAX];
    char device[PATH_MAX];
    char app[PATH_MAX];
    char tenant[PATH_MAX];
    char key[PATH_MAX];
    char pub[PATH_MAX];
    uint8_t *pub_pem;
    size_t pub_len;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    itu_temp_dir(f->root);
    itu_path(f->device, f->root, "device");
    itu_path(f->app, f->root, "app");
    itu_path(f->tenant, f->root, "tenant");
    mkdir(f->device, 0700);
    itu_make_app(f->app);
    itu_make_key(f->tenant, f->key, f->pub, &f->pub_pem, &f->pub_len);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    itu_remove(f->root);
    free(f->pub_pem);
    free(f);
    return 0;
}

static struct sim_sideload_source source_of(const struct fixture *f, char *exe, char *manifest) {
    itu_path(exe, f->app, "bin/app");
    itu_path(manifest, f->app, "app_manifest.json");
    return (struct sim_sideload_source){.package_dir = f->app,
                                        .executable = exe,
                                        .manifest_path = manifest,
                                        .entry_point = "/bin/app",
                                        .component_id = ITU_COMPONENT_ID,
                                        .name = "itu"};
}

static void sideload(const struct fixture *f, struct sim_slots *slots, bool have, bool *installed) {
    char exe[PATH_MAX];
    char manifest[PATH_MAX];
    struct sim_sideload_source src = source_of(f, exe, manifest);
    char err[1024] = "";
    assert_int_equal(sim_slots_sideload(f->device, &src, slots, have, installed, err, sizeof(err)),
                     SIM_SLOTS_OK);
}

// Packs the fixture's app at version, verifies it against installed and installs it.
static enum sim_slots_result install_version(const struct fixture *f, struct sim_slots *slots,
                                             const char *version) {
    char pkg_path[PATH_MAX];
    itu_path(pkg_path, f->root, "update.imagepackage");
    size_t len = 0;
    free(itu_pack(f->app, version, f->key, pkg_path, &len));
    static struct sim_image_package pkg;
    char err[1024];
    struct sim_image_policy policy = {.trusted_key = f->pub_pem,
                                      .trusted_key_len = f->pub_len,
                                      .component_id = ITU_COMPONENT_ID,
                                      .installed_version = &sim_slots_active_app(slots)->version};
    assert_int_equal(sim_image_package_open(&pkg, pkg_path, err, sizeof(err)), SIM_IMAGE_OK);
    assert_int_equal(sim_image_package_verify(&pkg, &policy, err, sizeof(err)), SIM_IMAGE_OK);
    enum sim_slots_result rc = sim_slots_install(
        f->device, slots, &pkg, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        err, sizeof(err));
    sim_image_package_close(&pkg);
    return rc;
}

static void write_pointer(const struct fixture *f, const char *text) {
    char dir[PATH_MAX];
    itu_path(dir, f->device, "slots");
    mkdir(dir, 0700);
    itu_write(f->device, SIM_SLOTS_POINTER, text, strlen(text), 0600);
}

static void test_slots_load_nothing_installed_not_found(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    char err[256];
    assert_int_equal(sim_slots_load(f->device, &slots, err, sizeof(err)), SIM_SLOTS_ERR_NOT_FOUND);
}

static void test_slots_sideload_first_boot_links_slot_a(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    sideload(f, &slots, false, &installed);
    assert_true(installed);
    assert_int_equal(slots.app_active, 0);
    assert_int_equal(slots.app_previous, -1);
    assert_false(slots.trial);
    assert_int_equal(slots.app[0].origin, SIM_SLOT_SIDELOAD);
    assert_int_equal(slots.os_active, -1);
    char link[PATH_MAX];
    struct stat st;
    itu_path(link, f->device, "slots/app-a/bin/app");
    assert_int_equal(lstat(link, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    // What was saved is what loads.
    struct sim_slots loaded;
    char err[256];
    assert_int_equal(sim_slots_load(f->device, &loaded, err, sizeof(err)), SIM_SLOTS_OK);
    assert_int_equal(loaded.app_active, 0);
    assert_string_equal(loaded.source_package, slots.source_package);
    assert_int_equal(loaded.os_version.major, 1);
}

static void test_slots_sideload_same_source_keeps_update(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    sideload(f, &slots, false, &installed);
    assert_int_equal(install_version(f, &slots, "2.0.0"), SIM_SLOTS_OK);
    char err[256];
    assert_int_equal(sim_slots_load(f->device, &slots, err, sizeof(err)), SIM_SLOTS_OK);
    sideload(f, &slots, true, &installed);
    assert_false(installed);
    assert_int_equal(slots.app_active, 1);
    assert_int_equal(sim_slots_active_app(&slots)->version.major, 2);
}

static void test_slots_sideload_other_source_replaces_into_inactive(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    sideload(f, &slots, false, &installed);
    char other[PATH_MAX];
    itu_path(other, f->root, "other-manifest.json");
    char original[PATH_MAX];
    itu_path(original, f->app, "app_manifest.json");
    size_t len = 0;
    uint8_t *text = itu_read(original, &len);
    itu_write(f->root, "other-manifest.json", text, len, 0644);
    free(text);
    char exe[PATH_MAX];
    char manifest[PATH_MAX];
    struct sim_sideload_source src = source_of(f, exe, manifest);
    src.manifest_path = other;
    char err[1024];
    assert_int_equal(
        sim_slots_sideload(f->device, &src, &slots, true, &installed, err, sizeof(err)),
        SIM_SLOTS_OK);
    assert_true(installed);
    assert_int_equal(slots.app_active, 1);
    assert_int_equal(slots.app_previous, -1);
    char target[PATH_MAX];
    char link[PATH_MAX];
    itu_path(link, f->device, "slots/app-b/app_manifest.json");
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    assert_true(n > 0);
    target[n] = '\0';
    assert_non_null(strstr(target, "other-manifest.json"));
}

static void test_slots_install_writes_inactive_and_switches_with_trial(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    sideload(f, &slots, false, &installed);
    assert_int_equal(install_version(f, &slots, "1.2.3"), SIM_SLOTS_OK);
    assert_int_equal(slots.app_active, 1);
    assert_int_equal(slots.app_previous, 0);
    assert_true(slots.trial);
    assert_int_equal(slots.app[1].origin, SIM_SLOT_UPDATE);
    assert_int_equal(slots.app[1].version.minor, 2);
    char file[PATH_MAX];
    struct stat st;
    itu_path(file, f->device, "slots/app-b/res/data.txt");
    assert_int_equal(lstat(file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    char tmp[PATH_MAX];
    itu_path(tmp, f->device, SIM_SLOTS_POINTER ".tmp");
    assert_int_not_equal(access(tmp, F_OK), 0);
    // The next install goes to the other slot again, replacing the factory link.
    assert_int_equal(install_version(f, &slots, "1.3.0"), SIM_SLOTS_OK);
    assert_int_equal(slots.app_active, 0);
    assert_int_equal(slots.app_previous, 1);
    itu_path(file, f->device, "slots/app-a/bin/app");
    assert_int_equal(lstat(file, &st), 0);
    assert_true(S_ISREG(st.st_mode));
}

static void test_slots_rollback_returns_to_previous(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    char err[256];
    sideload(f, &slots, false, &installed);
    assert_int_equal(sim_slots_rollback(f->device, &slots, err, sizeof(err)),
                     SIM_SLOTS_ERR_INVALID);
    assert_int_equal(install_version(f, &slots, "2.0.0"), SIM_SLOTS_OK);
    assert_int_equal(sim_slots_rollback(f->device, &slots, err, sizeof(err)), SIM_SLOTS_OK);
    assert_int_equal(slots.app_active, 0);
    assert_int_equal(slots.app_previous, -1);
    assert_false(slots.trial);
    struct sim_slots loaded;
    assert_int_equal(sim_slots_load(f->device, &loaded, err, sizeof(err)), SIM_SLOTS_OK);
    assert_int_equal(loaded.app_active, 0);
    assert_int_equal(sim_slots_active_app(&loaded)->origin, SIM_SLOT_SIDELOAD);
}

static void test_slots_commit_ends_trial(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    char err[256];
    sideload(f, &slots, false, &installed);
    assert_int_equal(install_version(f, &slots, "2.0.0"), SIM_SLOTS_OK);
    assert_int_equal(sim_slots_commit(f->device, &slots, err, sizeof(err)), SIM_SLOTS_OK);
    struct sim_slots loaded;
    assert_int_equal(sim_slots_load(f->device, &loaded, err, sizeof(err)), SIM_SLOTS_OK);
    assert_false(loaded.trial);
    assert_int_equal(loaded.app_previous, 0);
}

static void test_slots_load_damaged_pointer_invalid_names_field(void **state) {
    struct fixture *f = *state;
    static const struct {
        const char *text;
        const char *field;
    } cases[] = {
        {"not json", "not a JSON object"},
        {"{\"format\":2}", "\"format\""},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{},\"os\":{}}",
         "\"app.active\""},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{\"active\":\"c\",\"previous\":null,\"trial\":false,\"slots\":{}},"
         "\"os\":{\"active\":null,\"version\":\"1.0.0\",\"slots\":{}}}",
         "\"app.active\""},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{\"active\":\"a\",\"previous\":null,\"trial\":false,\"slots\":{}},"
         "\"os\":{\"active\":null,\"version\":\"1.0.0\",\"slots\":{}}}",
         "not described"},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{\"active\":\"a\",\"previous\":null,\"trial\":false,\"slots\":{\"a\":"
         "{\"origin\":\"update\",\"component_id\":\"x\",\"name\":\"n\",\"version\":\"1.0.0\","
         "\"sha256\":\"00\"}}},\"os\":{\"active\":null,\"version\":\"1.0.0\",\"slots\":{}}}",
         "\"component_id\""},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{\"active\":\"a\",\"previous\":null,\"trial\":1,\"slots\":{}},"
         "\"os\":{\"active\":null,\"version\":\"1.0.0\",\"slots\":{}}}",
         "\"app.trial\""},
        {"{\"format\":1,\"sideload\":{\"package\":\"/p\",\"executable\":\"/e\",\"manifest\":\"/"
         "m\"},\"app\":{\"active\":\"a\",\"previous\":null,\"trial\":false,\"slots\":{}},"
         "\"os\":{\"active\":null,\"version\":\"01.0.0\",\"slots\":{}}}",
         "\"os.version\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        write_pointer(f, cases[i].text);
        struct sim_slots slots;
        char err[1024] = "";
        assert_int_equal(sim_slots_load(f->device, &slots, err, sizeof(err)),
                         SIM_SLOTS_ERR_INVALID);
        if (strstr(err, cases[i].field) == NULL || strstr(err, "current.json") == NULL) {
            fail_msg("case %zu: '%s' does not name %s", i, err, cases[i].field);
        }
    }
}

static void test_slots_cleanup_removes_interrupted_pointer(void **state) {
    struct fixture *f = *state;
    struct sim_slots slots;
    bool installed = false;
    sideload(f, &slots, false, &installed);
    itu_write(f->device, SIM_SLOTS_POINTER ".tmp", "{", 1, 0600);
    sim_slots_cleanup(f->device);
    char tmp[PATH_MAX];
    itu_path(tmp, f->device, SIM_SLOTS_POINTER ".tmp");
    assert_int_not_equal(access(tmp, F_OK), 0);
    char err[256];
    assert_int_equal(sim_slots_load(f->device, &slots, err, sizeof(err)), SIM_SLOTS_OK);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_slots_load_nothing_installed_not_found, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slots_sideload_first_boot_links_slot_a, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slots_sideload_same_source_keeps_update, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slots_sideload_other_source_replaces_into_inactive,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots_install_writes_inactive_and_switches_with_trial,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots_rollback_returns_to_previous, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots_commit_ends_trial, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slots_load_damaged_pointer_invalid_names_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slots_cleanup_removes_interrupted_pointer, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
