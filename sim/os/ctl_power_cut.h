// SPDX-License-Identifier: MIT
// The power-cut control request: power goes when the update agent reaches a named step of an
// update, as a power loss in the middle of a download or an install would take it.
//   {"cmd":"power-cut","at":"install-extracted"}  arms that crash point (update_agent_crash.h)
//   {"cmd":"power-cut","at":"none"}               disarms it
// When the step is reached, `spheresim run` ends at once with status SIM_UPDATE_CRASH_STATUS;
// whoever started it powers the device on again by starting it again. The reply says what is
// armed ("power_cut_at": a step name or null).
#pragma once

#include <cjson/cJSON.h>

#include "os/ctl_commands.h"

struct sim_supervisor;

// Parses the fields of a power-cut request (out->cmd already set). Returns NULL, or the one-line
// reason (static text).
const char *sim_ctl_power_cut_parse(const cJSON *request, struct sim_ctl_request *out);

// Arms or disarms the crash point and says so in the device log and the reply. Returns NULL
// (a parsed request cannot fail).
const char *sim_ctl_power_cut_execute(struct sim_supervisor *supervisor,
                                      const struct sim_ctl_request *request, cJSON *reply);
