// SPDX-License-Identifier: MIT
// The OS's record of every app exit (exit code or signal, device time, how long the app ran and
// why it stopped), appended to <device dir>/records/exits.jsonl for failure reporting.
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct sim_exit_record {
    int64_t time_ms;  // device time of the exit
    int64_t ran_ms;   // how long that run of the app lasted
    char component_id[37];
    bool signaled;
    int exit_code;       // when !signaled
    int signal;          // when signaled
    const char *reason;  // "exit", "crash", "killed-after-sigterm", "power-off", "stop", …
};

// Appends one JSON line to path. Returns 0, or -1 with errno.
int sim_exit_record_append(const char *path, const struct sim_exit_record *record);
