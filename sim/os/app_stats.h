// SPDX-License-Identifier: MIT
// The app stats page (devbus.h, struct devbus_app_stats_page), the OS's side: a fresh page for
// each app start, shared writable with the app, where hal_stub's allocator keeps the app's heap
// figures and marks the page before it kills the app for going over its memory budget. After the
// app has died, the mark tells a budget kill from any other SIGKILL. What the app writes is only
// ever reported, never trusted for a decision about anything but that app's own exit.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devbus.h"

// The app's RAM budget on the MT3620 (256 KiB for a high-level app), and the range that
// `run --memory-budget` and `ctl memory budget` take.
#define SIM_MEMORY_BUDGET_DEFAULT (256u * 1024u)
#define SIM_MEMORY_BUDGET_MIN (16u * 1024u)
#define SIM_MEMORY_BUDGET_MAX (1ull << 30)

struct sim_app_stats {
    struct devbus_app_stats_page *page;  // NULL when not created
    int fd;                              // until handed to the app; -1 after
};

// What the page says, once checked.
struct sim_app_stats_snapshot {
    uint64_t heap_in_use_bytes;
    uint64_t heap_peak_bytes;
    bool budget_exceeded;
    uint64_t budget_request_bytes;  // when budget_exceeded
    uint64_t budget_bytes;          // when budget_exceeded
};

// Creates a page for one app start (descriptor close-on-exec, numbered 10 or above, for the app
// spawn to pass on). Returns 0, or -1 with a one-line reason in err.
int sim_app_stats_create(struct sim_app_stats *out_stats, char *err, size_t err_size);

// The descriptor to pass to the app, or -1.
int sim_app_stats_fd(const struct sim_app_stats *stats);

// Closes the descriptor once the app has its copy; the page stays mapped.
void sim_app_stats_close_fd(struct sim_app_stats *stats);

// Reads the page. Returns false (and a zeroed snapshot) when there is none, or the app has
// overwritten its magic or version.
bool sim_app_stats_read(const struct sim_app_stats *stats, struct sim_app_stats_snapshot *out);

// Unmaps the page and closes the descriptor if still open. Safe on a zeroed or released one.
void sim_app_stats_release(struct sim_app_stats *stats);

// Reads a memory budget as `run --memory-budget` and `ctl memory budget` take it: "off" (0), or a
// size as the other byte options spell it ("256KiB", "1MiB", "65536") from
// SIM_MEMORY_BUDGET_MIN to SIM_MEMORY_BUDGET_MAX. Returns 0, or -1 with a one-line reason in err.
int sim_app_stats_parse_budget(const char *text, uint64_t *out_bytes, char *err, size_t err_size);

// The budget as the OS logs it: "262144 bytes (an allocation past it kills the app)", "off", or
// with the reason it is not enforced in an AddressSanitizer build.
void sim_app_stats_budget_text(uint64_t bytes, char *out, size_t out_size);

// Whether bytes is a budget the OS takes: 0 (none) or within the range above.
bool sim_app_stats_budget_valid(uint64_t bytes);

// The failure-report description of an app killed for its memory budget: the AppCrash shape the
// tenant error report uses for a SIGKILL (failure_events.h), with spheresim's memory_budget_kib
// field after the ids, so scripts that read crashes read it and the budget is visible.
void sim_app_stats_describe_budget_kill(char *out, size_t out_size, int wait_status,
                                        uint64_t budget_bytes, const char *component_id,
                                        const char *image_id);
