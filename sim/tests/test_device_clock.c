// SPDX-License-Identifier: MIT
// Unit tests for the device clock's arithmetic (device_clock.c): rates and rebasing, jumps and
// sets, sync and the unsynced start, deadlines, saturation, and the page shared with the app.
// Every test drives the *_at functions with made-up host times, so none depends on a real clock.
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/device_clock.h"

#define MS INT64_C(1000000)  // ns
#define S (1000 * MS)
#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
// Host times: monotonic 1000 s after the host's boot; real time 2026-12-05T12:00:00Z.
#define HOST0 (1000 * S)
#define REAL0_MS INT64_C(1796472000000)

static struct sim_clock fresh(void) {
    struct sim_clock clock;
    sim_clock_init_at(&clock, HOST0, REAL0_MS * MS);
    return clock;
}

static void test_sim_clock_init_at_real_speed_tracks_host(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0), REAL0_MS);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 90 * S + 5 * MS), REAL0_MS + 90005);
    assert_int_equal(sim_clock_network_ms_at(&clock, HOST0 + 7 * S), REAL0_MS + 7000);
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 7 * S), 7000);
    assert_int_equal(sim_clock_lead_ms_at(&clock, HOST0 + 7 * S), 0);
    assert_true(sim_clock_rate(&clock) == 1.0);
    assert_int_equal(sim_clock_page_fd(&clock), -1);
}

static void test_sim_clock_set_rate_midway_keeps_time_continuous(void **state) {
    struct sim_clock clock = fresh();
    // 10 s at real speed, then 2 s at 3600: 10 s + 2 h of device time.
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0 + 10 * S, 3600), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 10 * S), REAL0_MS + 10000);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 12 * S), REAL0_MS + 10000 + 2 * HOUR_MS);
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 12 * S), 10000 + 2 * HOUR_MS);
    // Network time runs at the device's rate too: the world the device lives in is accelerated.
    assert_int_equal(sim_clock_network_ms_at(&clock, HOST0 + 12 * S),
                     REAL0_MS + 10000 + 2 * HOUR_MS);
    assert_int_equal(sim_clock_lead_ms_at(&clock, HOST0 + 12 * S), 2 * HOUR_MS - 2000);
    // Back to real speed: the 2 h stay.
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0 + 12 * S, 1), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 13 * S), REAL0_MS + 11000 + 2 * HOUR_MS);
}

static void test_sim_clock_set_rate_below_one_slows_time_and_has_no_lead(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, 0.5), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 10 * S), 5000);
    assert_int_equal(sim_clock_lead_ms_at(&clock, HOST0 + 10 * S), 0);
}

static void test_sim_clock_set_rate_out_of_range_fails_unchanged(void **state) {
    struct sim_clock clock = fresh();
    const double bad[] = {0, -1, 0.0009, 1000001, NAN, INFINITY, -INFINITY};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sim_clock_set_rate_at(&clock, HOST0 + S, bad[i]), SIM_CLOCK_ERR_RANGE);
    }
    assert_true(sim_clock_rate(&clock) == 1.0);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 2 * S), REAL0_MS + 2000);
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, SIM_CLOCK_RATE_MAX), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, SIM_CLOCK_RATE_MIN), SIM_CLOCK_OK);
}

static void test_sim_clock_jump_forward_and_back_moves_wall_time_only(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_jump_at(&clock, HOST0 + S, 2 * HOUR_MS), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 2 * S), REAL0_MS + 2000 + 2 * HOUR_MS);
    assert_int_equal(sim_clock_jump_at(&clock, HOST0 + 2 * S, -30 * 60000), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 3 * S),
                     REAL0_MS + 3000 + 2 * HOUR_MS - 30 * 60000);
    // Uptime, network time and deadlines do not follow jumps.
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 3 * S), 3000);
    assert_int_equal(sim_clock_network_ms_at(&clock, HOST0 + 3 * S), REAL0_MS + 3000);
    assert_int_equal(sim_clock_device_ms_at(&clock, HOST0 + 3 * S), 3000);
}

static void test_sim_clock_jump_beyond_limits_fails_unchanged(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, -REAL0_MS - 1), SIM_CLOCK_ERR_RANGE);
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, INT64_MAX), SIM_CLOCK_ERR_RANGE);
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, INT64_MIN), SIM_CLOCK_ERR_RANGE);
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, SIM_CLOCK_WALL_MAX_MS - REAL0_MS + 1),
                     SIM_CLOCK_ERR_RANGE);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0), REAL0_MS);
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, -REAL0_MS), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0), 0);
}

static void test_sim_clock_set_then_sync_returns_to_network_time(void **state) {
    struct sim_clock clock = fresh();
    const int64_t y2030 = INT64_C(1893456000000);
    assert_int_equal(sim_clock_set_at(&clock, HOST0 + S, y2030), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 4 * S), y2030 + 3000);
    assert_int_equal(sim_clock_set_at(&clock, HOST0, -1), SIM_CLOCK_ERR_RANGE);
    assert_int_equal(sim_clock_set_at(&clock, HOST0, SIM_CLOCK_WALL_MAX_MS + 1),
                     SIM_CLOCK_ERR_RANGE);
    sim_clock_sync_at(&clock, HOST0 + 5 * S);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 5 * S), REAL0_MS + 5000);
}

static void test_sim_clock_start_unsynced_starts_from_the_image_build_time(void **state) {
    struct sim_clock clock = fresh();
    sim_clock_reboot_at(&clock, HOST0 + 60 * S);
    sim_clock_start_unsynced_at(&clock, HOST0 + 60 * S);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 60 * S), SIM_CLOCK_UNSYNCED_MS);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 70 * S), SIM_CLOCK_UNSYNCED_MS + 10000);
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 70 * S), 10000);
    // Time sync, when the network comes: network time, which never stopped.
    sim_clock_sync_at(&clock, HOST0 + 80 * S);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 80 * S), REAL0_MS + 80000);
}

static void test_sim_clock_reboot_resets_uptime_and_keeps_wall_time(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_jump_at(&clock, HOST0, DAY_MS), SIM_CLOCK_OK);
    sim_clock_reboot_at(&clock, HOST0 + 30 * S);
    assert_int_equal(sim_clock_uptime_ms_at(&clock, HOST0 + 31 * S), 1000);
    assert_int_equal(sim_clock_now_ms_at(&clock, HOST0 + 31 * S), REAL0_MS + 31000 + DAY_MS);
}

static void test_sim_clock_deadline_after_accelerated_is_never_early(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, 3600), SIM_CLOCK_OK);
    int64_t start_ns = HOST0 + 123456789;  // not on a ms boundary
    int64_t start_device = sim_clock_device_ms_at(&clock, start_ns);
    int64_t deadline = sim_clock_deadline_after_at(&clock, start_ns, 60000);
    // 60 s at 3600x is 16.7 ms of host time.
    assert_in_range(deadline - start_ns / MS, 16, 18);
    assert_true(sim_clock_device_ms_at(&clock, deadline * MS) - start_device >= 60000);
    assert_true(sim_clock_device_ms_at(&clock, (deadline - 2) * MS) - start_device < 60000);
}

static void test_sim_clock_deadline_after_nothing_to_wait_is_now(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_deadline_after_at(&clock, HOST0 + 5 * MS, 0), 1000005);
    assert_int_equal(sim_clock_deadline_after_at(&clock, HOST0 + 5 * MS, -7), 1000005);
    assert_int_equal(sim_clock_host_deadline_ms_at(&clock, HOST0 + 5 * S, 1), 1005000);
}

static void test_sim_clock_deadline_after_huge_saturates(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, SIM_CLOCK_RATE_MIN), SIM_CLOCK_OK);
    // Tens of thousands of years away: a wait that never ends, not one that wraps to now.
    assert_true(sim_clock_deadline_after_at(&clock, HOST0, INT64_MAX) > (INT64_C(1) << 50));
    assert_true(sim_clock_host_deadline_ms_at(&clock, HOST0, INT64_MAX) > HOST0 / MS);
}

static void test_sim_clock_host_deadline_ms_follows_a_rate_change(void **state) {
    struct sim_clock clock = fresh();
    int64_t target = sim_clock_device_ms_at(&clock, HOST0) + HOUR_MS;
    assert_int_equal(sim_clock_host_deadline_ms_at(&clock, HOST0, target),
                     HOST0 / MS + HOUR_MS + 1);
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, 3600), SIM_CLOCK_OK);
    assert_in_range(sim_clock_host_deadline_ms_at(&clock, HOST0, target), HOST0 / MS + 1000,
                    HOST0 / MS + 1002);
}

static void test_sim_clock_now_ms_at_fast_for_centuries_saturates_without_wrapping(void **state) {
    struct sim_clock clock = fresh();
    assert_int_equal(sim_clock_set_rate_at(&clock, HOST0, SIM_CLOCK_RATE_MAX), SIM_CLOCK_OK);
    // 200 years of host time at a million times: far beyond int64_t nanoseconds.
    int64_t later = HOST0 + INT64_C(200) * 365 * 24 * 3600 * S;
    assert_int_equal(sim_clock_now_ms_at(&clock, later), INT64_MAX / MS);
    assert_true(sim_clock_uptime_ms_at(&clock, later) > 0);
    assert_true(sim_clock_deadline_after_at(&clock, later, DAY_MS) >= later / MS);
}

static void test_sim_clock_share_publishes_a_read_only_page(void **state) {
    struct sim_clock clock;
    sim_clock_init(&clock);
    char err[256] = "";
    assert_int_equal(sim_clock_share(&clock, err, sizeof(err)), SIM_CLOCK_OK);
    int fd = sim_clock_page_fd(&clock);
    assert_true(fd >= 10);
    assert_true((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    size_t size = (size_t)sysconf(_SC_PAGESIZE);
    // The app's side: it may map the page to read, and never to write.
    assert_ptr_equal(mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), MAP_FAILED);
    const struct devbus_clock_page *page = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    assert_ptr_not_equal(page, MAP_FAILED);
    assert_int_equal(page->magic, DEVBUS_CLOCK_MAGIC);
    assert_int_equal(page->version, DEVBUS_CLOCK_VERSION);
    assert_int_equal(page->seq % 2, 0);
    assert_int_equal(page->rate_fp, DEVBUS_CLOCK_RATE_ONE);
    uint32_t seq = page->seq;

    int64_t host = sim_clock_host_ns();
    assert_int_equal(sim_clock_set_rate_at(&clock, host, 60), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_set_at(&clock, host, INT64_C(1893456000000)), SIM_CLOCK_OK);
    assert_int_equal(page->seq, seq + 4);
    assert_int_equal(page->rate_fp, 60 * DEVBUS_CLOCK_RATE_ONE);
    // The app's formula gives what the OS says, to the nanosecond truncation.
    int64_t later = host + 5 * S;
    int64_t app_wall_ns =
        page->anchor_wall_ns + devbus_clock_scale(later - page->anchor_host_ns, page->rate_fp);
    assert_int_equal(app_wall_ns / MS, sim_clock_now_ms_at(&clock, later));
    assert_int_equal(app_wall_ns / MS, INT64_C(1893456000000) + 300000);

    munmap((void *)page, size);
    sim_clock_unshare(&clock);
    assert_int_equal(sim_clock_page_fd(&clock), -1);
    assert_int_equal(fcntl(fd, F_GETFD), -1);
}

static void test_sim_clock_unshare_never_shared_closes_nothing(void **state) {
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    // A clock that was never shared, whatever number its page_fd holds (0 in a zeroed struct).
    struct sim_clock clock = {.page_fd = fds[0], .page = NULL};
    sim_clock_unshare(&clock);
    assert_true(fcntl(fds[0], F_GETFD) != -1);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_clock_init_at_real_speed_tracks_host),
        cmocka_unit_test(test_sim_clock_set_rate_midway_keeps_time_continuous),
        cmocka_unit_test(test_sim_clock_set_rate_below_one_slows_time_and_has_no_lead),
        cmocka_unit_test(test_sim_clock_set_rate_out_of_range_fails_unchanged),
        cmocka_unit_test(test_sim_clock_jump_forward_and_back_moves_wall_time_only),
        cmocka_unit_test(test_sim_clock_jump_beyond_limits_fails_unchanged),
        cmocka_unit_test(test_sim_clock_set_then_sync_returns_to_network_time),
        cmocka_unit_test(test_sim_clock_start_unsynced_starts_from_the_image_build_time),
        cmocka_unit_test(test_sim_clock_reboot_resets_uptime_and_keeps_wall_time),
        cmocka_unit_test(test_sim_clock_deadline_after_accelerated_is_never_early),
        cmocka_unit_test(test_sim_clock_deadline_after_nothing_to_wait_is_now),
        cmocka_unit_test(test_sim_clock_deadline_after_huge_saturates),
        cmocka_unit_test(test_sim_clock_host_deadline_ms_follows_a_rate_change),
        cmocka_unit_test(test_sim_clock_now_ms_at_fast_for_centuries_saturates_without_wrapping),
        cmocka_unit_test(test_sim_clock_share_publishes_a_read_only_page),
        cmocka_unit_test(test_sim_clock_unshare_never_shared_closes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
