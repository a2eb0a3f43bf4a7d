// SPDX-License-Identifier: MIT
// The device's clock. The OS owns device time; everything it stamps or schedules by device time
// (logs, records, certificate validity and renewal, power-down residency) uses this clock, never
// the host's directly.
//
// One device-monotonic timeline drives it: it advances `rate` device seconds per host second
// (1 = real speed; more runs hours of device time in seconds) and never jumps. Three clocks are
// offsets on it, so a rate change needs no bookkeeping beyond one rebase:
//   - uptime: since the last boot;
//   - network time: what the simulated NTP server says, the host's real time at start-up;
//   - device wall time: what the device believes. A boot without the network starts it from
//     SIM_CLOCK_UNSYNCED_MS; a sync sets it to network time; jumps and sets move it.
// The app sees device wall time through a shared page (sim_clock_share), which every change
// here republishes.
//
// The *_at variants take the host's monotonic time in ns, so tests need no real clock.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devbus.h"

// Where device wall time starts after a boot with no time sync: the build time of the simulated
// OS image (Azure Sphere publishes no value; a device without a kept RTC has nothing better).
#define SIM_CLOCK_UNSYNCED_MS INT64_C(1767225600000)  // 2026-01-01T00:00:00Z

// Device wall time can be set within these limits: nanoseconds since 1970 in an int64_t (what the
// app's clock_gettime needs) reach 2262, and the margin leaves room for time to run on.
#define SIM_CLOCK_WALL_MIN_MS INT64_C(0)              // 1970-01-01T00:00:00.000Z
#define SIM_CLOCK_WALL_MAX_MS INT64_C(7258118399999)  // 2199-12-31T23:59:59.999Z

// Rates spheresim accepts: from a thousand times slower to a million times faster than real.
#define SIM_CLOCK_RATE_MIN 0.001
#define SIM_CLOCK_RATE_MAX 1000000.0

enum sim_clock_result {
    SIM_CLOCK_OK = 0,
    SIM_CLOCK_ERR_SYNTAX,  // the text is not a duration, time or rate
    SIM_CLOCK_ERR_RANGE,   // well-formed, but outside the limits above
    SIM_CLOCK_ERR_SYSTEM,  // the shared page could not be created (errno-style reason in err)
};

struct sim_clock {
    uint64_t rate_fp;          // device ns per host ns, 32.32 fixed point
    int64_t anchor_host_ns;    // host CLOCK_MONOTONIC at the last rebase
    int64_t anchor_device_ns;  // the device-monotonic timeline at that moment
    int64_t wall_offset_ns;    // device wall time minus device-monotonic time
    int64_t network_offset_ns;
    int64_t boot_device_ns;  // device-monotonic time of the last boot
    int64_t start_host_ns;   // host CLOCK_MONOTONIC when the clock started (device time 0)
    int page_fd;             // the app's view (memfd), -1 when not shared
    struct devbus_clock_page *page;
};

// Starts the clock at the host's real time, synced, rate 1, uptime 0, not shared.
void sim_clock_init(struct sim_clock *clock);
void sim_clock_init_at(struct sim_clock *clock, int64_t host_ns, int64_t host_real_ns);

// A boot: uptime starts again from 0; wall time carries on.
void sim_clock_reboot(struct sim_clock *clock);
void sim_clock_reboot_at(struct sim_clock *clock, int64_t host_ns);

// Time sync: device wall time becomes network time.
void sim_clock_sync(struct sim_clock *clock);
void sim_clock_sync_at(struct sim_clock *clock, int64_t host_ns);

// A boot without time sync: device wall time restarts from SIM_CLOCK_UNSYNCED_MS.
void sim_clock_start_unsynced(struct sim_clock *clock);
void sim_clock_start_unsynced_at(struct sim_clock *clock, int64_t host_ns);

// Moves device wall time by delta_ms, or sets it. Return ERR_RANGE, changing nothing, when the
// result would leave [SIM_CLOCK_WALL_MIN_MS, SIM_CLOCK_WALL_MAX_MS].
enum sim_clock_result sim_clock_jump(struct sim_clock *clock, int64_t delta_ms);
enum sim_clock_result sim_clock_jump_at(struct sim_clock *clock, int64_t host_ns, int64_t delta_ms);
enum sim_clock_result sim_clock_set(struct sim_clock *clock, int64_t epoch_ms);
enum sim_clock_result sim_clock_set_at(struct sim_clock *clock, int64_t host_ns, int64_t epoch_ms);

// Changes the rate from now on; every clock carries on from where it is. Returns ERR_RANGE,
// changing nothing, for a rate outside [SIM_CLOCK_RATE_MIN, SIM_CLOCK_RATE_MAX] or not finite.
enum sim_clock_result sim_clock_set_rate(struct sim_clock *clock, double rate);
enum sim_clock_result sim_clock_set_rate_at(struct sim_clock *clock, int64_t host_ns, double rate);
// The rate in effect (the requested one, to 2^-32).
double sim_clock_rate(const struct sim_clock *clock);

// Device wall time in milliseconds since the Unix epoch.
int64_t sim_clock_now_ms(const struct sim_clock *clock);
int64_t sim_clock_now_ms_at(const struct sim_clock *clock, int64_t host_ns);
// Network time, the same way.
int64_t sim_clock_network_ms(const struct sim_clock *clock);
int64_t sim_clock_network_ms_at(const struct sim_clock *clock, int64_t host_ns);
// Milliseconds of device time since the last boot.
int64_t sim_clock_uptime_ms(const struct sim_clock *clock);
int64_t sim_clock_uptime_ms_at(const struct sim_clock *clock, int64_t host_ns);
// How far device time has run ahead of host time since the clock started, in ms: 0 at real
// speed throughout, never negative. TLS peers that check certificates by the host's clock need it.
int64_t sim_clock_lead_ms(const struct sim_clock *clock);
int64_t sim_clock_lead_ms_at(const struct sim_clock *clock, int64_t host_ns);
// The device-monotonic timeline in ms: for device-time deadlines that must not follow jumps.
int64_t sim_clock_device_ms(const struct sim_clock *clock);
int64_t sim_clock_device_ms_at(const struct sim_clock *clock, int64_t host_ns);

// The host monotonic time (ms, as sim_clock_monotonic_ms) by which device_ms of device time will
// have passed: never earlier than needed, now for device_ms <= 0, saturated far in the future.
// The result holds only until the next rate change; keep device-time deadlines as
// sim_clock_device_ms targets and convert them with sim_clock_host_deadline_ms when waiting.
int64_t sim_clock_deadline_after(const struct sim_clock *clock, int64_t device_ms);
int64_t sim_clock_deadline_after_at(const struct sim_clock *clock, int64_t host_ns,
                                    int64_t device_ms);
// The host monotonic time (ms) at which the device-monotonic timeline reaches device_target_ms.
int64_t sim_clock_host_deadline_ms(const struct sim_clock *clock, int64_t device_target_ms);
int64_t sim_clock_host_deadline_ms_at(const struct sim_clock *clock, int64_t host_ns,
                                      int64_t device_target_ms);

// The host's monotonic clock in milliseconds (app-process timing, which stays real).
int64_t sim_clock_monotonic_ms(void);
// The same in nanoseconds, the unit of the *_at functions.
int64_t sim_clock_host_ns(void);

// Creates the page the app reads device wall time from and publishes the clock to it. The page
// is a memfd whose descriptor (close-on-exec, numbered 10 or above) the app spawn passes on.
// Returns OK, or ERR_SYSTEM with a reason in err; the device then runs without it and the app
// sees the host's clock.
enum sim_clock_result sim_clock_share(struct sim_clock *clock, char *err, size_t err_size);
// The shared page's descriptor, or -1.
int sim_clock_page_fd(const struct sim_clock *clock);
// Unmaps and closes the page.
void sim_clock_unshare(struct sim_clock *clock);

// Parses a duration: an optional sign, then one or more NUMBER UNIT pairs with units ms, s, m,
// h, d (e.g. +2h, -30m, 1h30m, 1500ms). The whole text must be one; at most 100 years.
enum sim_clock_result sim_clock_parse_duration(const char *text, int64_t *out_ms);
// Parses a UTC time YYYY-MM-DDTHH:MM:SS[.fff]Z within the wall-time limits above.
enum sim_clock_result sim_clock_parse_time(const char *text, int64_t *out_epoch_ms);
// Parses a rate: a decimal number within [SIM_CLOCK_RATE_MIN, SIM_CLOCK_RATE_MAX].
enum sim_clock_result sim_clock_parse_rate(const char *text, double *out_rate);

// Formats a device time as ISO 8601 UTC with milliseconds, e.g. 2026-11-24T18:49:20.123Z.
void sim_clock_format(int64_t epoch_ms, char *out, size_t out_size);
// Formats a signed duration the way sim_clock_parse_duration reads it, e.g. +1d2h0m3s or -250ms.
void sim_clock_format_duration(int64_t ms, char *out, size_t out_size);
