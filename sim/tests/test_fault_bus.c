// SPDX-License-Identifier: MIT
// The OS's DNS and mutable-storage faults as the app meets them, in one process: getaddrinfo
// through hal_stub's interposer while the device's DNS fault is on, and pread/pwrite/fsync on the
// mutable-storage descriptor while the shared fault page says full or failing.
#include <errno.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/storage.h>

#include "os/net_policy.h"
#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"fault-test\","
    "\"ComponentId\":\"cccccccc-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{\"MutableStorage\":{\"SizeKB\":8},"
    "\"AllowedConnections\":[\"hub.test\"]},\"ApplicationType\":\"Default\"}";

static struct sim_device *device;

static int group_set_up(void **state) {
    device = os_harness_start(manifest);
    // hal_stub maps the page at the first Storage_OpenMutableFile.
    if (os_harness_share_fault_page() != 0) {
        return -1;
    }
    struct sim_net_endpoint to = {.port = 9};
    sim_net_addr_from_ipv4(0x7F000001u, to.addr);
    os_harness_lock();
    int mapped = sim_net_policy_map(&device->net, "hub.test", 0, &to, NULL, 0);
    device->network.link_up = true;
    os_harness_unlock();
    return mapped == SIM_NET_OK ? 0 : -1;
}

static int group_tear_down(void **state) {
    sim_fault_page_unshare(&device->faults);
    os_harness_stop();
    return 0;
}

static void set_storage_fault(enum devbus_storage_fault fault) {
    os_harness_lock();
    sim_fault_page_set_storage(&device->faults, fault);
    os_harness_unlock();
}

static int lookup(const char *name) {
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    struct addrinfo *result = NULL;
    int rc = getaddrinfo(name, "8883", &hints, &result);
    if (result != NULL) {
        freeaddrinfo(result);
    }
    return rc;
}

static void test_getaddrinfo_dns_fault_fails_with_eai_again(void **state) {
    assert_int_equal(lookup("hub.test"), 0);
    os_harness_lock();
    sim_dns_fault_fail(&device->network.dns, "hub.test");
    os_harness_unlock();
    assert_int_equal(lookup("hub.test"), EAI_AGAIN);
    os_harness_lock();
    sim_dns_fault_clear(&device->network.dns);
    os_harness_unlock();
    assert_int_equal(lookup("hub.test"), 0);
}

static void test_storage_full_fails_writes_with_enospc_reads_work(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "queue", 5, 0), 5);
    set_storage_fault(DEVBUS_STORAGE_FULL);
    errno = 0;
    assert_int_equal(pwrite(fd, "more", 4, 5), -1);
    assert_int_equal(errno, ENOSPC);
    char buf[8] = {0};
    assert_int_equal(pread(fd, buf, sizeof(buf), 0), 5);
    assert_int_equal(fsync(fd), 0);
    // Another descriptor (not the storage file) is untouched.
    char path[] = "/tmp/spheresim-fault-XXXXXX";
    int other = mkstemp(path);
    assert_true(other >= 0);
    assert_int_equal(pwrite(other, "x", 1, 0), 1);
    close(other);
    unlink(path);
    set_storage_fault(DEVBUS_STORAGE_OK);
    assert_int_equal(pwrite(fd, "more", 4, 5), 4);
    close(fd);
}

// An app may use the file position: read() and write() fail like their positioned forms.
static void test_storage_faults_cover_read_and_write(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    set_storage_fault(DEVBUS_STORAGE_FULL);
    errno = 0;
    assert_int_equal(write(fd, "abc", 3), -1);
    assert_int_equal(errno, ENOSPC);
    char buf[4];
    assert_int_equal(read(fd, buf, 1), 1);
    set_storage_fault(DEVBUS_STORAGE_EIO);
    errno = 0;
    assert_int_equal(read(fd, buf, 1), -1);
    assert_int_equal(errno, EIO);
    set_storage_fault(DEVBUS_STORAGE_OK);
    assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
    assert_int_equal(write(fd, "abc", 3), 3);
    close(fd);
}

static void test_storage_eio_fails_reads_writes_and_syncs(void **state) {
    int fd = Storage_OpenMutableFile();
    assert_true(fd >= 0);
    int copy = dup(fd);
    set_storage_fault(DEVBUS_STORAGE_EIO);
    char buf[8];
    errno = 0;
    assert_int_equal(pread(copy, buf, sizeof(buf), 0), -1);
    assert_int_equal(errno, EIO);
    errno = 0;
    assert_int_equal(pwrite(fd, "x", 1, 0), -1);
    assert_int_equal(errno, EIO);
    errno = 0;
    assert_int_equal(fsync(fd), -1);
    assert_int_equal(errno, EIO);
    set_storage_fault(DEVBUS_STORAGE_OK);
    assert_int_equal(pread(copy, buf, 1, 0), 1);
    close(copy);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_getaddrinfo_dns_fault_fails_with_eai_again),
        cmocka_unit_test(test_storage_full_fails_writes_with_enospc_reads_work),
        cmocka_unit_test(test_storage_eio_fails_reads_writes_and_syncs),
        cmocka_unit_test(test_storage_faults_cover_read_and_write),
    };
    return cmocka_run_group_tests(tests, group_set_up, group_tear_down);
}
