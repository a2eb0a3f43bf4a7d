// SPDX-License-Identifier: MIT
// Device time as offsets on one accelerated device-monotonic timeline, and the page that shares
// device wall time with the app; see device_clock.h. Times are kept in ns, the unit the app's
// clock_gettime needs; arithmetic saturates instead of wrapping, so a rate of a million over
// years of host time gives a far-future clock, never a negative one.
#include "os/device_clock.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "os/shared_page.h"

#define NS_PER_MS INT64_C(1000000)

static int64_t sat_add(int64_t a, int64_t b) {
    int64_t sum;
    if (__builtin_add_overflow(a, b, &sum)) {
        return b > 0 ? INT64_MAX : INT64_MIN;
    }
    return sum;
}

static int64_t sat_sub(int64_t a, int64_t b) {
    int64_t difference;
    if (__builtin_sub_overflow(a, b, &difference)) {
        return b < 0 ? INT64_MAX : INT64_MIN;
    }
    return difference;
}

// Milliseconds, rounded down also before 1970, so ms and ns views agree on which ms it is.
static int64_t ns_to_ms_floor(int64_t ns) {
    int64_t ms = ns / NS_PER_MS;
    return ns % NS_PER_MS < 0 ? ms - 1 : ms;
}

static int64_t ms_to_ns(int64_t ms) {
    int64_t ns;
    if (__builtin_mul_overflow(ms, NS_PER_MS, &ns)) {
        return ms > 0 ? INT64_MAX : INT64_MIN;
    }
    return ns;
}

static int64_t read_clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t sim_clock_host_ns(void) {
    return read_clock_ns(CLOCK_MONOTONIC);
}

int64_t sim_clock_monotonic_ms(void) {
    return sim_clock_host_ns() / NS_PER_MS;
}

static int64_t device_ns_at(const struct sim_clock *clock, int64_t host_ns) {
    int64_t elapsed = devbus_clock_scale(sat_sub(host_ns, clock->anchor_host_ns), clock->rate_fp);
    return sat_add(clock->anchor_device_ns, elapsed);
}

static void publish(struct sim_clock *clock) {
    struct devbus_clock_page *page = clock->page;
    if (page == NULL) {
        return;
    }
    uint32_t seq = __atomic_load_n(&page->seq, __ATOMIC_RELAXED);
    __atomic_store_n(&page->seq, seq + 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    __atomic_store_n(&page->anchor_host_ns, clock->anchor_host_ns, __ATOMIC_RELAXED);
    __atomic_store_n(&page->anchor_wall_ns, sat_add(clock->anchor_device_ns, clock->wall_offset_ns),
                     __ATOMIC_RELAXED);
    __atomic_store_n(&page->rate_fp, clock->rate_fp, __ATOMIC_RELAXED);
    __atomic_store_n(&page->seq, seq + 2, __ATOMIC_RELEASE);
}

void sim_clock_init_at(struct sim_clock *clock, int64_t host_ns, int64_t host_real_ns) {
    *clock = (struct sim_clock){.rate_fp = DEVBUS_CLOCK_RATE_ONE,
                                .anchor_host_ns = host_ns,
                                .anchor_device_ns = 0,
                                .wall_offset_ns = host_real_ns,
                                .network_offset_ns = host_real_ns,
                                .boot_device_ns = 0,
                                .start_host_ns = host_ns,
                                .page_fd = -1,
                                .page = NULL};
}

void sim_clock_init(struct sim_clock *clock) {
    sim_clock_init_at(clock, sim_clock_host_ns(), read_clock_ns(CLOCK_REALTIME));
}

void sim_clock_reboot_at(struct sim_clock *clock, int64_t host_ns) {
    clock->boot_device_ns = device_ns_at(clock, host_ns);
}

void sim_clock_reboot(struct sim_clock *clock) {
    sim_clock_reboot_at(clock, sim_clock_host_ns());
}

void sim_clock_sync_at(struct sim_clock *clock, int64_t host_ns) {
    (void)host_ns;  // offsets on one timeline: the moment does not matter
    clock->wall_offset_ns = clock->network_offset_ns;
    publish(clock);
}

void sim_clock_sync(struct sim_clock *clock) {
    sim_clock_sync_at(clock, sim_clock_host_ns());
}

void sim_clock_start_unsynced_at(struct sim_clock *clock, int64_t host_ns) {
    clock->wall_offset_ns = sat_sub(ms_to_ns(SIM_CLOCK_UNSYNCED_MS), device_ns_at(clock, host_ns));
    publish(clock);
}

void sim_clock_start_unsynced(struct sim_clock *clock) {
    sim_clock_start_unsynced_at(clock, sim_clock_host_ns());
}

static bool wall_in_range(int64_t wall_ns) {
    return wall_ns >= SIM_CLOCK_WALL_MIN_MS * NS_PER_MS &&
           wall_ns < (SIM_CLOCK_WALL_MAX_MS + 1) * NS_PER_MS;
}

enum sim_clock_result sim_clock_set_at(struct sim_clock *clock, int64_t host_ns, int64_t epoch_ms) {
    if (epoch_ms < SIM_CLOCK_WALL_MIN_MS || epoch_ms > SIM_CLOCK_WALL_MAX_MS) {
        return SIM_CLOCK_ERR_RANGE;
    }
    clock->wall_offset_ns = sat_sub(ms_to_ns(epoch_ms), device_ns_at(clock, host_ns));
    publish(clock);
    return SIM_CLOCK_OK;
}

enum sim_clock_result sim_clock_set(struct sim_clock *clock, int64_t epoch_ms) {
    return sim_clock_set_at(clock, sim_clock_host_ns(), epoch_ms);
}

enum sim_clock_result sim_clock_jump_at(struct sim_clock *clock, int64_t host_ns,
                                        int64_t delta_ms) {
    int64_t delta_ns = 0;
    int64_t wall_ns = 0;
    if (__builtin_mul_overflow(delta_ms, NS_PER_MS, &delta_ns) ||
        __builtin_add_overflow(sat_add(device_ns_at(clock, host_ns), clock->wall_offset_ns),
                               delta_ns, &wall_ns) ||
        !wall_in_range(wall_ns)) {
        return SIM_CLOCK_ERR_RANGE;
    }
    clock->wall_offset_ns = sat_add(clock->wall_offset_ns, delta_ns);
    publish(clock);
    return SIM_CLOCK_OK;
}

enum sim_clock_result sim_clock_jump(struct sim_clock *clock, int64_t delta_ms) {
    return sim_clock_jump_at(clock, sim_clock_host_ns(), delta_ms);
}

enum sim_clock_result sim_clock_set_rate_at(struct sim_clock *clock, int64_t host_ns, double rate) {
    if (!isfinite(rate) || rate < SIM_CLOCK_RATE_MIN || rate > SIM_CLOCK_RATE_MAX) {
        return SIM_CLOCK_ERR_RANGE;
    }
    // Rebase, so the time already run keeps the rate it ran at.
    clock->anchor_device_ns = device_ns_at(clock, host_ns);
    clock->anchor_host_ns = host_ns;
    clock->rate_fp = (uint64_t)llround(rate * (double)DEVBUS_CLOCK_RATE_ONE);
    publish(clock);
    return SIM_CLOCK_OK;
}

enum sim_clock_result sim_clock_set_rate(struct sim_clock *clock, double rate) {
    return sim_clock_set_rate_at(clock, sim_clock_host_ns(), rate);
}

double sim_clock_rate(const struct sim_clock *clock) {
    return (double)clock->rate_fp / (double)DEVBUS_CLOCK_RATE_ONE;
}

int64_t sim_clock_now_ms_at(const struct sim_clock *clock, int64_t host_ns) {
    return ns_to_ms_floor(sat_add(device_ns_at(clock, host_ns), clock->wall_offset_ns));
}

int64_t sim_clock_now_ms(const struct sim_clock *clock) {
    return sim_clock_now_ms_at(clock, sim_clock_host_ns());
}

int64_t sim_clock_network_ms_at(const struct sim_clock *clock, int64_t host_ns) {
    return ns_to_ms_floor(sat_add(device_ns_at(clock, host_ns), clock->network_offset_ns));
}

int64_t sim_clock_network_ms(const struct sim_clock *clock) {
    return sim_clock_network_ms_at(clock, sim_clock_host_ns());
}

int64_t sim_clock_uptime_ms_at(const struct sim_clock *clock, int64_t host_ns) {
    return ns_to_ms_floor(sat_sub(device_ns_at(clock, host_ns), clock->boot_device_ns));
}

int64_t sim_clock_uptime_ms(const struct sim_clock *clock) {
    return sim_clock_uptime_ms_at(clock, sim_clock_host_ns());
}

int64_t sim_clock_lead_ms_at(const struct sim_clock *clock, int64_t host_ns) {
    int64_t lead = sat_sub(device_ns_at(clock, host_ns), sat_sub(host_ns, clock->start_host_ns));
    return lead > 0 ? ns_to_ms_floor(lead) : 0;
}

int64_t sim_clock_lead_ms(const struct sim_clock *clock) {
    return sim_clock_lead_ms_at(clock, sim_clock_host_ns());
}

int64_t sim_clock_device_ms_at(const struct sim_clock *clock, int64_t host_ns) {
    return ns_to_ms_floor(device_ns_at(clock, host_ns));
}

int64_t sim_clock_device_ms(const struct sim_clock *clock) {
    return sim_clock_device_ms_at(clock, sim_clock_host_ns());
}

// The host ms by which device_ns more device time will have run, counted from host_ns.
static int64_t host_deadline_for(const struct sim_clock *clock, int64_t host_ns,
                                 int64_t device_ns) {
    if (device_ns <= 0) {
        return host_ns / NS_PER_MS;
    }
    // Rounded up, plus 1 ns for the truncation in devbus_clock_scale.
    __int128 host_needed =
        ((__int128)device_ns * (__int128)DEVBUS_CLOCK_RATE_ONE + (__int128)clock->rate_fp - 1) /
            (__int128)clock->rate_fp +
        1;
    __int128 target_ns = (__int128)host_ns + host_needed;
    __int128 target_ms = (target_ns + NS_PER_MS - 1) / NS_PER_MS;
    return target_ms > (__int128)INT64_MAX ? INT64_MAX : (int64_t)target_ms;
}

int64_t sim_clock_deadline_after_at(const struct sim_clock *clock, int64_t host_ns,
                                    int64_t device_ms) {
    return host_deadline_for(clock, host_ns, ms_to_ns(device_ms));
}

int64_t sim_clock_deadline_after(const struct sim_clock *clock, int64_t device_ms) {
    return sim_clock_deadline_after_at(clock, sim_clock_host_ns(), device_ms);
}

int64_t sim_clock_host_deadline_ms_at(const struct sim_clock *clock, int64_t host_ns,
                                      int64_t device_target_ms) {
    return host_deadline_for(clock, host_ns,
                             sat_sub(ms_to_ns(device_target_ms), device_ns_at(clock, host_ns)));
}

int64_t sim_clock_host_deadline_ms(const struct sim_clock *clock, int64_t device_target_ms) {
    return sim_clock_host_deadline_ms_at(clock, sim_clock_host_ns(), device_target_ms);
}

enum sim_clock_result sim_clock_share(struct sim_clock *clock, char *err, size_t err_size) {
    struct sim_shared_page shared;
    if (sim_shared_page_create(&shared, "spheresim-device-clock", "device clock page",
                               SIM_SHARED_PAGE_APP_READS, err, err_size) != 0) {
        return SIM_CLOCK_ERR_SYSTEM;
    }
    struct devbus_clock_page *page = shared.map;
    page->magic = DEVBUS_CLOCK_MAGIC;
    page->version = DEVBUS_CLOCK_VERSION;
    sim_clock_unshare(clock);
    clock->page = page;
    clock->page_fd = shared.fd;
    publish(clock);
    return SIM_CLOCK_OK;
}

int sim_clock_page_fd(const struct sim_clock *clock) {
    return clock->page != NULL ? clock->page_fd : -1;
}

void sim_clock_unshare(struct sim_clock *clock) {
    // The two are set together, so a clock that was never shared closes nothing.
    if (clock->page == NULL) {
        return;
    }
    munmap(clock->page, sim_shared_page_size());
    close(clock->page_fd);
    clock->page = NULL;
    clock->page_fd = -1;
}
