// SPDX-License-Identifier: MIT
// Shared by hub_broker.c and hub_service_process.c only: the process checks both use for the
// children `hub start` leaves running (the broker and the HTTP service process).
#pragma once

#include <stdbool.h>

// True when pid is a live (not zombie) process whose command line contains needle, so a recycled
// pid is never mistaken for ours.
bool hub_broker_process_alive(long pid, const char *needle);

// The pid in <state_dir>/<name>, 0 when missing or malformed.
long hub_broker_read_pid(const char *state_dir, const char *name);
