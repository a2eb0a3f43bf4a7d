// SPDX-License-Identifier: MIT
// The device log: the app's Log_Debug output and the OS's own messages, each line stamped with
// device time, written to the device's log file and echoed to the console.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "os/device_clock.h"

struct sim_device_log {
    FILE *file;
    FILE *console;  // NULL: no echo
    const struct sim_clock *clock;
    char partial[2048];  // an app line not yet ended by '\n'
    size_t partial_len;
};

// Opens (appends to) path. console may be NULL. Returns 0, or -1 with errno.
int sim_device_log_open(struct sim_device_log *log, const char *path, FILE *console,
                        const struct sim_clock *clock);

// Logs one OS line ("os: …").
void sim_device_log_os(struct sim_device_log *log, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

// Feeds raw app output; complete lines are logged as "app: …", the rest waits for more.
void sim_device_log_app_output(struct sim_device_log *log, const char *data, size_t len);

// Logs whatever partial app line remains (the app died mid-line).
void sim_device_log_app_flush(struct sim_device_log *log);

void sim_device_log_close(struct sim_device_log *log);
