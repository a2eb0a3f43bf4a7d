// SPDX-License-Identifier: MIT
// Crash points for power-loss tests. The device OS's own update steps (download, verify, install,
// switch, commit, rollback) call sim_update_crash_point with the step's name; when the
// environment variable SPHERESIM_UPDATE_CRASH_AT names that step, spheresim ends at once with
// _exit, which is what a power loss looks like to the device's storage: nothing after the step
// happens, nothing is flushed or cleaned up, and the app dies with its OS (it is killed by
// PR_SET_PDEATHSIG). A test runs the device once per step and then boots it normally.
//
// A running device can also be armed at run time (the control request
// {"cmd":"power-cut","at":STEP}), which is how the scenario runner cuts power during an install it
// started: the variable is read only by the process it was set for. The armed step lives in this
// process only, so the power-on that follows starts disarmed, as the environment variable cannot.
#pragma once

#include <stddef.h>

#define SIM_UPDATE_CRASH_ENV "SPHERESIM_UPDATE_CRASH_AT"
// spheresim's exit status at a crash point, so a test can tell it from other ends.
#define SIM_UPDATE_CRASH_STATUS 86

// Every crash point, in the order an update reaches them.
extern const char *const sim_update_crash_steps[];
extern const size_t sim_update_crash_step_count;

// The index of the crash point called name in sim_update_crash_steps, or -1 if there is none.
int sim_update_crash_step_index(const char *name);

// Arms the crash point at index (from sim_update_crash_step_index) for the rest of this process's
// life; -1 disarms. Returns 0, or -1 (nothing changed) for an index out of range.
int sim_update_crash_arm(int index);

// The armed crash point's name, or NULL when none is armed (the environment variable aside).
const char *sim_update_crash_armed(void);

// Ends the process if SPHERESIM_UPDATE_CRASH_AT or the armed crash point is step (which must be
// one of the steps above).
void sim_update_crash_point(const char *step);
