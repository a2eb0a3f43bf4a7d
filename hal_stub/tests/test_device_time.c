// SPDX-License-Identifier: MIT
// Unit tests for the app's view of time (device_time.c): with a device clock page, time(),
// gettimeofday(), timespec_get() and clock_gettime(CLOCK_REALTIME[_COARSE]) give device time at
// the page's rate, the monotonic clock stays the host's, and a page caught mid-update falls back
// to host time. hal_stub maps the page before main, so the test first creates a page and execs
// itself with the page handed over as spheresim hands it over; it keeps a second descriptor to
// write the page. Every expectation is a bound computed from host clock readings taken before
// and after the call, so nothing depends on how fast the machine is.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "devbus.h"

#define NS_PER_S INT64_C(1000000000)
#define PAGE_FD 4    // where spheresim puts the page
#define WRITER_FD 5  // the test's own handle on it
#define WRITER_ENV "TEST_DEVICE_TIME_WRITER"
#define Y2030_NS (INT64_C(1893456000) * NS_PER_S)

static struct devbus_clock_page *page;

// The host's clocks, bypassing hal_stub's definitions.
static int64_t host_ns(clockid_t id) {
    struct timespec ts;
    syscall(SYS_clock_gettime, id, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void publish(int64_t anchor_host_ns, int64_t anchor_wall_ns, uint64_t rate_fp) {
    uint32_t seq = __atomic_load_n(&page->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&page->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    page->anchor_host_ns = anchor_host_ns;
    page->anchor_wall_ns = anchor_wall_ns;
    page->rate_fp = rate_fp;
    __atomic_store_n(&page->seq, seq + 2, __ATOMIC_RELEASE);
}

static int64_t device_at(int64_t monotonic_ns) {
    return page->anchor_wall_ns +
           devbus_clock_scale(monotonic_ns - page->anchor_host_ns, page->rate_fp);
}

static int64_t ts_ns(struct timespec ts) {
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void test_clock_gettime_realtime_with_page_gives_device_time(void **state) {
    publish(host_ns(CLOCK_MONOTONIC), Y2030_NS, DEVBUS_CLOCK_RATE_ONE);
    int64_t low = device_at(host_ns(CLOCK_MONOTONIC));
    struct timespec now;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &now), 0);
    time_t seconds = time(NULL);
    struct timeval tv;
    assert_int_equal(gettimeofday(&tv, NULL), 0);
    struct timespec spec;
    assert_int_equal(timespec_get(&spec, TIME_UTC), TIME_UTC);
    int64_t high = device_at(host_ns(CLOCK_MONOTONIC));

    assert_in_range(ts_ns(now), low, high);
    assert_in_range(seconds, low / NS_PER_S, high / NS_PER_S);
    assert_in_range((int64_t)tv.tv_sec * NS_PER_S + tv.tv_usec * 1000, low - 1000, high);
    assert_in_range(ts_ns(spec), low, high);
}

static void test_clock_gettime_accelerated_page_runs_at_its_rate(void **state) {
    // Anchored a second ago at 3600x: an hour of device time has passed since.
    publish(host_ns(CLOCK_MONOTONIC) - NS_PER_S, Y2030_NS, 3600 * DEVBUS_CLOCK_RATE_ONE);
    int64_t low = device_at(host_ns(CLOCK_MONOTONIC));
    struct timespec now;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &now), 0);
    int64_t high = device_at(host_ns(CLOCK_MONOTONIC));
    assert_in_range(ts_ns(now), low, high);
    assert_true(ts_ns(now) >= Y2030_NS + 3600 * NS_PER_S);
}

static void test_clock_gettime_coarse_reads_the_coarse_host_clock(void **state) {
    publish(host_ns(CLOCK_MONOTONIC), Y2030_NS, DEVBUS_CLOCK_RATE_ONE);
    int64_t low = device_at(host_ns(CLOCK_MONOTONIC_COARSE));
    struct timespec now;
    assert_int_equal(clock_gettime(CLOCK_REALTIME_COARSE, &now), 0);
    int64_t high = device_at(host_ns(CLOCK_MONOTONIC_COARSE));
    assert_in_range(ts_ns(now), low, high);
}

static void test_clock_gettime_monotonic_stays_on_host_time(void **state) {
    publish(host_ns(CLOCK_MONOTONIC) - NS_PER_S, Y2030_NS, 3600 * DEVBUS_CLOCK_RATE_ONE);
    int64_t low = host_ns(CLOCK_MONOTONIC);
    struct timespec now;
    assert_int_equal(clock_gettime(CLOCK_MONOTONIC, &now), 0);
    int64_t high = host_ns(CLOCK_MONOTONIC);
    assert_in_range(ts_ns(now), low, high);
}

static void test_clock_gettime_page_mid_update_falls_back_to_host_time(void **state) {
    publish(host_ns(CLOCK_MONOTONIC), Y2030_NS, DEVBUS_CLOCK_RATE_ONE);
    // An OS that died while writing leaves seq odd for good.
    __atomic_fetch_add(&page->seq, 1, __ATOMIC_RELEASE);
    int64_t low = host_ns(CLOCK_REALTIME);
    struct timespec now;
    assert_int_equal(clock_gettime(CLOCK_REALTIME, &now), 0);
    int64_t high = host_ns(CLOCK_REALTIME);
    __atomic_fetch_add(&page->seq, 1, __ATOMIC_RELEASE);
    assert_in_range(ts_ns(now), low, high);
}

static void test_device_time_handover_closes_the_descriptor_and_clears_the_env(void **state) {
    errno = 0;
    assert_int_equal(fcntl(PAGE_FD, F_GETFD), -1);
    assert_int_equal(errno, EBADF);
    assert_null(getenv(DEVBUS_CLOCK_FD_ENV));
}

// Creates the page and execs this test again with it handed over, as spheresim does.
static int exec_with_page(char **argv) {
    size_t size = (size_t)sysconf(_SC_PAGESIZE);
    int fd = memfd_create("test-device-clock", 0);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0 || dup2(fd, PAGE_FD) != PAGE_FD ||
        dup2(fd, WRITER_FD) != WRITER_FD) {
        perror("test_device_time: page");
        return 1;
    }
    struct devbus_clock_page *init = mmap(NULL, size, PROT_WRITE, MAP_SHARED, fd, 0);
    if (init == MAP_FAILED) {
        perror("test_device_time: mmap");
        return 1;
    }
    init->magic = DEVBUS_CLOCK_MAGIC;
    init->version = DEVBUS_CLOCK_VERSION;
    init->rate_fp = DEVBUS_CLOCK_RATE_ONE;
    setenv(DEVBUS_CLOCK_FD_ENV, "4", 1);
    setenv(WRITER_ENV, "1", 1);
    execv("/proc/self/exe", argv);
    perror("test_device_time: exec");
    return 1;
}

int main(int argc, char **argv) {
    (void)argc;
    if (getenv(WRITER_ENV) == NULL) {
        return exec_with_page(argv);
    }
    page =
        mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, WRITER_FD, 0);
    if (page == MAP_FAILED) {
        perror("test_device_time: writer mmap");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_gettime_realtime_with_page_gives_device_time),
        cmocka_unit_test(test_clock_gettime_accelerated_page_runs_at_its_rate),
        cmocka_unit_test(test_clock_gettime_coarse_reads_the_coarse_host_clock),
        cmocka_unit_test(test_clock_gettime_monotonic_stays_on_host_time),
        cmocka_unit_test(test_clock_gettime_page_mid_update_falls_back_to_host_time),
        cmocka_unit_test(test_device_time_handover_closes_the_descriptor_and_clears_the_env),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
