// SPDX-License-Identifier: MIT
// What the OS writes down when the app exits, whatever happens next.
#pragma once

#include <stdint.h>

#include "os/supervisor.h"

// Records the exit of the app (status from waitpid, ran_ms since it started): a line in
// records/exits.jsonl, a failure event when the exit was not the OS's doing, the reason for a
// memory-budget kill, the device-log line, the least-privilege report, and the last exit that
// `ctl status` shows. Failing to write a record is logged, never fatal.
void sim_supervisor_record_exit(struct sim_supervisor *s, int status, int64_t ran_ms);
