// SPDX-License-Identifier: MIT
// The device's clock. The OS owns device time: it starts at the host's real time, can be offset
// (clock skew, jumps) and counts uptime from the last boot. Everything the OS stamps (logs,
// records, certificate validity) uses this clock, never the host's directly.
#pragma once

#include <stddef.h>
#include <stdint.h>

struct sim_clock {
    int64_t offset_ms;  // device wall time minus host wall time
    int64_t boot_monotonic_ms;
};

// Starts the clock at the host's time with no offset and uptime 0.
void sim_clock_init(struct sim_clock *clock);

// A boot: uptime starts again from 0; wall time carries on.
void sim_clock_reboot(struct sim_clock *clock);

// Device wall time in milliseconds since the Unix epoch.
int64_t sim_clock_now_ms(const struct sim_clock *clock);

// Milliseconds since the last boot.
int64_t sim_clock_uptime_ms(const struct sim_clock *clock);

// The host's monotonic clock in milliseconds (for deadlines, which don't follow clock jumps).
int64_t sim_clock_monotonic_ms(void);

// Formats a device time as ISO 8601 UTC with milliseconds, e.g. 2026-11-24T18:49:20.123Z.
void sim_clock_format(int64_t epoch_ms, char *out, size_t out_size);
