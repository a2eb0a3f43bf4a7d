// SPDX-License-Identifier: MIT
// Crash points for power-loss tests; see update_agent_crash.h.
#include "os/update_agent_crash.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *const sim_update_crash_steps[] = {
    "download-created",         // the partial download file exists, empty
    "download-partial",         // some of the package is written
    "download-written",         // all of it is written, not yet synced
    "download-synced",          // synced, not yet renamed to its final name
    "download-renamed",         // the complete download is in place
    "verified",                 // the signature and policy checks passed
    "install-slot-cleared",     // the inactive slot is gone
    "install-extracted",        // the package is in the inactive slot
    "install-pointer-written",  // the new current.json is written and synced beside the old
    "install-pointer-renamed",  // it replaced the old one; the directory is not yet synced
    "install-switched",         // the switch is durable; the app has not started from it yet
    "commit-pointer-written",   // the trial ends: the same two steps of the pointer file
    "commit-pointer-renamed",
    "rollback-pointer-written",  // a rollback's switch back
    "rollback-pointer-renamed",
};
const size_t sim_update_crash_step_count =
    sizeof(sim_update_crash_steps) / sizeof(sim_update_crash_steps[0]);

// The OS runs its update agent and its control socket on one thread, so a plain variable will do.
static int armed_index = -1;

int sim_update_crash_step_index(const char *name) {
    for (size_t i = 0; name != NULL && i < sim_update_crash_step_count; i++) {
        if (strcmp(sim_update_crash_steps[i], name) == 0) {
            return (int)i;
        }
    }
    return -1;
}

int sim_update_crash_arm(int index) {
    if (index < -1 || index >= (int)sim_update_crash_step_count) {
        return -1;
    }
    armed_index = index;
    return 0;
}

const char *sim_update_crash_armed(void) {
    return armed_index >= 0 ? sim_update_crash_steps[armed_index] : NULL;
}

void sim_update_crash_point(const char *step) {
    const char *wanted = getenv(SIM_UPDATE_CRASH_ENV);
    const char *armed = sim_update_crash_armed();
    bool by_env = wanted != NULL && strcmp(wanted, step) == 0;
    bool by_request = armed != NULL && strcmp(armed, step) == 0;
    if (!by_env && !by_request) {
        return;
    }
    // One line for the test's log; stdio is not flushed on purpose (a power loss flushes nothing),
    // so write(2) it directly.
    char line[128];
    int n = snprintf(line, sizeof(line), "spheresim: crash point %s: power lost\n", step);
    if (n > 0) {
        ssize_t ignored = write(STDERR_FILENO, line, (size_t)n < sizeof(line) ? (size_t)n : 0);
        (void)ignored;
    }
    _exit(SIM_UPDATE_CRASH_STATUS);
}
