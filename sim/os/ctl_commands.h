// SPDX-License-Identifier: MIT
// What each control request does to a running device, and the device status it reports.
// Requests are JSON objects with a "cmd" member: status, button, gpio, net, reboot, power-off,
// power-on. Replies are JSON objects with "ok" and either the result or "error".
#pragma once

#include <stddef.h>

struct sim_supervisor;

// Executes one request line and writes the reply JSON (always a valid object) into out.
void sim_ctl_execute(struct sim_supervisor *supervisor, const char *line, char *out,
                     size_t out_size);
