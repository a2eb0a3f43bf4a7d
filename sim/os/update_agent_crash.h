// SPDX-License-Identifier: MIT
// Crash points for power-loss tests. The device OS's own update steps (download, verify, install,
// switch, commit, rollback) call sim_update_crash_point with the step's name; when the
// environment variable SPHERESIM_UPDATE_CRASH_AT names that step, spheresim ends at once with
// _exit, which is what a power loss looks like to the device's storage: nothing after the step
// happens, nothing is flushed or cleaned up, and the app dies with its OS (it is killed by
// PR_SET_PDEATHSIG). A test runs the device once per step and then boots it normally.
#pragma once

#include <stddef.h>

#define SIM_UPDATE_CRASH_ENV "SPHERESIM_UPDATE_CRASH_AT"
// spheresim's exit status at a crash point, so a test can tell it from other ends.
#define SIM_UPDATE_CRASH_STATUS 86

// Every crash point, in the order an update reaches them.
extern const char *const sim_update_crash_steps[];
extern const size_t sim_update_crash_step_count;

// Ends the process if SPHERESIM_UPDATE_CRASH_AT is step (which must be one of the steps above).
void sim_update_crash_point(const char *step);
