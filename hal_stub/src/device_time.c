// SPDX-License-Identifier: MIT
// The app's view of wall-clock time: the device's clock, not the host's. The OS shares the
// device clock as a read-only page (see devbus.h); hal_stub defines time(), gettimeofday(),
// clock_gettime() and timespec_get() so that CLOCK_REALTIME and CLOCK_REALTIME_COARSE read it.
// A device whose clock is skewed, jumped, unsynced or accelerated is then seen that way by
// everything in the app, including the TLS stack in libcrypto: the app executable exports these
// definitions (see hal_stub's link options), so shared libraries bind to them instead of glibc's.
//
// Only wall-clock time is the device's. CLOCK_MONOTONIC, CLOCK_BOOTTIME, the CPU clocks and every
// timer (timerfd, timer_create, the event loop's waits) stay on the host's real time, whatever
// the device clock's rate: an app's timers and timeouts run at real speed.
//
// Without the page (an app started outside spheresim, or an OS that could not share it) every
// call is glibc's.
#include <dlfcn.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "devbus.h"
#include "inherited_page.h"

// Referenced by hal_stub's link options so this object is always linked in.
int halstub_device_time_linked;

#define NS_PER_S INT64_C(1000000000)
// A reader gives up on the page after this many torn reads: only an OS that died in the middle of
// an update leaves it odd for long, and then host time is as good an answer as any.
#define MAX_READ_TRIES 100000

typedef int (*clock_gettime_fn)(clockid_t id, struct timespec *tp);

static clock_gettime_fn host_clock_gettime_fn;
static const struct devbus_clock_page *device_page;

static int host_clock_gettime(clockid_t id, struct timespec *tp) {
    clock_gettime_fn fn = __atomic_load_n(&host_clock_gettime_fn, __ATOMIC_ACQUIRE);
    if (fn != NULL) {
        return fn(id, tp);
    }
    // Before the constructor has run (another library's constructor asking the time).
    return (int)syscall(SYS_clock_gettime, id, tp);
}

static const struct devbus_clock_page *map_page(void) {
    return halstub_map_inherited_page(DEVBUS_CLOCK_FD_ENV, PROT_READ, DEVBUS_CLOCK_MAGIC,
                                      DEVBUS_CLOCK_VERSION);
}

// Runs before main, while the descriptor the OS passed is certainly still the page.
__attribute__((constructor)) static void device_time_init(void) {
    void *fn = dlsym(RTLD_NEXT, "clock_gettime");
    if (fn != NULL) {
        // POSIX allows converting dlsym's object pointer to a function pointer.
        clock_gettime_fn host_fn;
        memcpy(&host_fn, &fn, sizeof(host_fn));
        __atomic_store_n(&host_clock_gettime_fn, host_fn, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&device_page, map_page(), __ATOMIC_RELEASE);
}

// Device wall time, reading the host's monotonic_id; false when there is no device clock.
static bool device_wall_time(clockid_t monotonic_id, struct timespec *out) {
    const struct devbus_clock_page *page = __atomic_load_n(&device_page, __ATOMIC_ACQUIRE);
    if (page == NULL) {
        return false;
    }
    int64_t anchor_host_ns = 0;
    int64_t anchor_wall_ns = 0;
    uint64_t rate_fp = 0;
    for (int tries = 0;; tries++) {
        uint32_t before = __atomic_load_n(&page->seq, __ATOMIC_ACQUIRE);
        anchor_host_ns = __atomic_load_n(&page->anchor_host_ns, __ATOMIC_RELAXED);
        anchor_wall_ns = __atomic_load_n(&page->anchor_wall_ns, __ATOMIC_RELAXED);
        rate_fp = __atomic_load_n(&page->rate_fp, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        uint32_t after = __atomic_load_n(&page->seq, __ATOMIC_RELAXED);
        if (before == after && (before & 1u) == 0) {
            break;
        }
        if (tries == MAX_READ_TRIES) {
            return false;
        }
        sched_yield();
    }
    struct timespec host;
    if (host_clock_gettime(monotonic_id, &host) != 0) {
        return false;
    }
    int64_t host_ns = (int64_t)host.tv_sec * NS_PER_S + host.tv_nsec;
    int64_t elapsed = 0;
    int64_t wall_ns = 0;
    if (__builtin_sub_overflow(host_ns, anchor_host_ns, &elapsed) ||
        __builtin_add_overflow(anchor_wall_ns, devbus_clock_scale(elapsed, rate_fp), &wall_ns)) {
        wall_ns = INT64_MAX;
    }
    int64_t seconds = wall_ns / NS_PER_S;
    int64_t nanoseconds = wall_ns % NS_PER_S;
    if (nanoseconds < 0) {
        seconds--;
        nanoseconds += NS_PER_S;
    }
    out->tv_sec = (time_t)seconds;
    out->tv_nsec = (long)nanoseconds;
    return true;
}

// tp and tv are declared nonnull, as glibc's are: a NULL is the caller's bug either way.
int clock_gettime(clockid_t id, struct timespec *tp) {
    if (id == CLOCK_REALTIME && device_wall_time(CLOCK_MONOTONIC, tp)) {
        return 0;
    }
    if (id == CLOCK_REALTIME_COARSE && device_wall_time(CLOCK_MONOTONIC_COARSE, tp)) {
        return 0;
    }
    return host_clock_gettime(id, tp);
}

time_t time(time_t *out_time) {
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
        return (time_t)-1;
    }
    if (out_time != NULL) {
        *out_time = now.tv_sec;
    }
    return now.tv_sec;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
    if (tz != NULL) {
        // The obsolete time zone argument: glibc fills it with zeros too.
        memset(tz, 0, sizeof(struct timezone));
    }
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME, &now) != 0) {
        return -1;
    }
    tv->tv_sec = now.tv_sec;
    tv->tv_usec = now.tv_nsec / 1000;
    return 0;
}

int timespec_get(struct timespec *ts, int base) {
    if (base != TIME_UTC || clock_gettime(CLOCK_REALTIME, ts) != 0) {
        return 0;
    }
    return base;
}
