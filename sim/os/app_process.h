// SPDX-License-Identifier: MIT
// Starting the app as its own process, the way the device OS does: argv from the manifest's
// CmdArgs, the device bus on a known descriptor, stdout/stderr captured for the device log, the
// mutable-storage quota as a file-size limit, a fresh app stats page (app_stats.h), and death
// together with the OS.
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "os/app_stats.h"
#include "os/device.h"

struct sim_app_process {
    pid_t pid;
    int bus_fd;                  // OS end of the device bus
    int output_fd;               // read end of the app's stdout+stderr
    struct sim_app_stats stats;  // the app's heap figures; released by the caller after it exits
};

// Starts the app. Returns 0, or -1 with a one-line reason in err.
int sim_app_spawn(const struct sim_device *device, struct sim_app_process *out_process, char *err,
                  size_t err_size);
