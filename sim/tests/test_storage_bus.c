// SPDX-License-Identifier: MIT
// Mutable storage end to end through hal_stub and the bus server: granted only with a
// MutableStorage capability of non-zero size, persistent across opens (the app's restarts), bound
// to the ComponentId, deletable once (then ENOENT); image-package paths are checked.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/storage.h>

#include "os/mutable_storage.h"
#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"storage-test\","
    "\"ComponentId\":\"aaaaaaaa-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{\"MutableStorage\":{\"SizeKB\":8}},\"ApplicationType\":\"Default\"}";

static struct sim_device *device;

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static void test_Storage_OpenMutableFile_contents_persist_across_opens(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "boot=41", 7, 0), 7);
    close(fd);
    fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    char buf[16] = {0};
    assert_int_equal(pread(fd, buf, sizeof(buf), 0), 7);
    assert_string_equal(buf, "boot=41");
    close(fd);
}

static void test_Storage_OpenMutableFile_other_component_sees_nothing(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "mine", 4, 0), 4);
    close(fd);
    int other = sim_mutable_storage_open(device->dir, "bbbbbbbb-2222-3333-4444-555555555555");
    assert_true(other >= 0);
    char buf[8];
    assert_int_equal(read(other, buf, sizeof(buf)), 0);
    close(other);
}

static void test_Storage_DeleteMutableFile_twice_fails_ENOENT(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(Storage_DeleteMutableFile(), 0);
    errno = 0;
    assert_int_equal(Storage_DeleteMutableFile(), -1);
    assert_int_equal(errno, ENOENT);
    // After a delete the next open starts empty.
    fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    char buf[8];
    assert_int_equal(read(fd, buf, sizeof(buf)), 0);
    close(fd);
}

static void test_Storage_OpenMutableFile_without_capability_fails_EACCES(void **state) {
    device->manifest.caps.mutable_storage = false;
    errno = 0;
    assert_int_equal(Storage_OpenMutableFile(), -1);
    assert_int_equal(errno, EACCES);
    errno = 0;
    assert_int_equal(Storage_DeleteMutableFile(), -1);
    assert_int_equal(errno, EACCES);
    device->manifest.caps.mutable_storage = true;
}

static void test_Storage_OpenMutableFile_size_zero_fails_EACCES(void **state) {
    unsigned saved = device->manifest.caps.mutable_storage_kb;
    device->manifest.caps.mutable_storage_kb = 0;
    errno = 0;
    assert_int_equal(Storage_OpenMutableFile(), -1);
    assert_int_equal(errno, EACCES);
    device->manifest.caps.mutable_storage_kb = saved;
}

static void test_Storage_GetAbsolutePathInImagePackage_bad_paths_fail_EINVAL(void **state) {
    const char *bad[] = {"/etc/passwd", "../secret", "certs/../../x", ".hidden", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        assert_null(Storage_GetAbsolutePathInImagePackage(bad[i]));
        assert_int_equal(errno, EINVAL);
    }
    errno = 0;
    assert_null(Storage_GetAbsolutePathInImagePackage(NULL));
    assert_int_equal(errno, EFAULT);
    errno = 0;
    assert_int_equal(Storage_OpenFileInImagePackage("../x"), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_Storage_OpenFileInImagePackage_reads_package_file(void **state) {
    char path[PATH_MAX + 8];
    snprintf(path, sizeof(path), "%s/ca.pem", device->package_dir);
    FILE *file = fopen(path, "w");
    assert_non_null(file);
    fputs("trust me", file);
    fclose(file);
    char *absolute = Storage_GetAbsolutePathInImagePackage("ca.pem");
    assert_non_null(absolute);
    assert_string_equal(absolute, path);
    free(absolute);
    int fd = Storage_OpenFileInImagePackage("ca.pem");
    assert_true(fd >= 0);
    char buf[16] = {0};
    assert_int_equal(read(fd, buf, sizeof(buf)), 8);
    assert_string_equal(buf, "trust me");
    // The package is read-only to the app.
    errno = 0;
    assert_int_equal(write(fd, "x", 1), -1);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Storage_OpenMutableFile_contents_persist_across_opens),
        cmocka_unit_test(test_Storage_OpenMutableFile_other_component_sees_nothing),
        cmocka_unit_test(test_Storage_DeleteMutableFile_twice_fails_ENOENT),
        cmocka_unit_test(test_Storage_OpenMutableFile_without_capability_fails_EACCES),
        cmocka_unit_test(test_Storage_OpenMutableFile_size_zero_fails_EACCES),
        cmocka_unit_test(test_Storage_GetAbsolutePathInImagePackage_bad_paths_fail_EINVAL),
        cmocka_unit_test(test_Storage_OpenFileInImagePackage_reads_package_file),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
