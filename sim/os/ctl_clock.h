// SPDX-License-Identifier: MIT
// The `clock` control request, kept apart from the other requests in ctl_commands.c:
//   {"cmd":"clock"}                                   the clock's state
//   {"cmd":"clock","action":"jump","by":"+2h"}        move device wall time
//   {"cmd":"clock","action":"set","time":"2030-01-01T00:00:00Z"}
//   {"cmd":"clock","action":"rate","rate":3600}       device seconds per real second
// Every reply carries the clock's state after the request.
#pragma once

#include <cjson/cJSON.h>

#include "os/ctl_commands.h"
#include "os/device.h"

// Parses the clock fields of request into out. Returns NULL, or the one-line reason (static
// text, or a static buffer quoting the bad value, overwritten by the next call).
const char *sim_ctl_clock_parse(const cJSON *request, struct sim_ctl_request *out);

// Carries out a parsed clock request and adds the clock's state to reply. Returns NULL, or the
// reason nothing was changed.
const char *sim_ctl_clock_execute(struct sim_supervisor *supervisor,
                                  const struct sim_ctl_request *request, cJSON *reply);

// Adds the clock's state as members of object: device_time, network_time, offset_ms, offset,
// rate, synced, uptime_ms, lead_ms.
void sim_ctl_clock_add_status(cJSON *object, const struct sim_device *device);
