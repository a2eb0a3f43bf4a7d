// SPDX-License-Identifier: MIT
// Device time as an offset from the host's clock; see device_clock.h.
#include "os/device_clock.h"

#include <stdio.h>
#include <time.h>

static int64_t read_clock_ms(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sim_clock_monotonic_ms(void) {
    return read_clock_ms(CLOCK_MONOTONIC);
}

void sim_clock_init(struct sim_clock *clock) {
    clock->offset_ms = 0;
    clock->boot_monotonic_ms = sim_clock_monotonic_ms();
}

void sim_clock_reboot(struct sim_clock *clock) {
    clock->boot_monotonic_ms = sim_clock_monotonic_ms();
}

int64_t sim_clock_now_ms(const struct sim_clock *clock) {
    return read_clock_ms(CLOCK_REALTIME) + clock->offset_ms;
}

int64_t sim_clock_uptime_ms(const struct sim_clock *clock) {
    return sim_clock_monotonic_ms() - clock->boot_monotonic_ms;
}

void sim_clock_format(int64_t epoch_ms, char *out, size_t out_size) {
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm utc;
    gmtime_r(&seconds, &utc);
    snprintf(out, out_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
             utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
             (int)(epoch_ms % 1000));
}
