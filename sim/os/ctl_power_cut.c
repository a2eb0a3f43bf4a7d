// SPDX-License-Identifier: MIT
// The power-cut control request; see ctl_power_cut.h.
#include "os/ctl_power_cut.h"

#include <stdio.h>
#include <string.h>

#include "os/supervisor.h"
#include "os/update_agent_crash.h"

// The refusal lists every step, so a user who misspelt one sees the right spelling.
static const char *bad_step_reason(void) {
    static char reason[768];
    if (reason[0] != '\0') {
        return reason;
    }
    size_t used = (size_t)snprintf(reason, sizeof(reason),
                                   "power-cut: \"at\" must be none or an update step:");
    for (size_t i = 0; i < sim_update_crash_step_count && used < sizeof(reason); i++) {
        used += (size_t)snprintf(reason + used, sizeof(reason) - used, "%s %s", i == 0 ? "" : ",",
                                 sim_update_crash_steps[i]);
    }
    return reason;
}

const char *sim_ctl_power_cut_parse(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *at = cJSON_GetObjectItemCaseSensitive(request, "at");
    if (!cJSON_IsString(at)) {
        return bad_step_reason();
    }
    if (strcmp(at->valuestring, "none") == 0) {
        out->power_cut_step = -1;
        return NULL;
    }
    out->power_cut_step = sim_update_crash_step_index(at->valuestring);
    return out->power_cut_step >= 0 ? NULL : bad_step_reason();
}

const char *sim_ctl_power_cut_execute(struct sim_supervisor *supervisor,
                                      const struct sim_ctl_request *request, cJSON *reply) {
    // The parser only lets valid indexes through, so arming cannot be refused here.
    (void)sim_update_crash_arm(request->power_cut_step);
    const char *armed = sim_update_crash_armed();
    if (armed != NULL) {
        sim_device_log_os(&supervisor->device->log,
                          "fault: the power will be cut when an update reaches %s", armed);
        cJSON_AddStringToObject(reply, "power_cut_at", armed);
    } else {
        sim_device_log_os(&supervisor->device->log, "fault: no power cut armed");
        cJSON_AddNullToObject(reply, "power_cut_at");
    }
    return NULL;
}
