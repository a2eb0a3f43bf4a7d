// SPDX-License-Identifier: MIT
// JSON-lines writer for app exits; see exit_records.h.
#include "os/exit_records.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "os/device_clock.h"
#include "os/fs_util.h"

int sim_exit_record_append(const char *path, const struct sim_exit_record *record) {
    char stamp[40];
    sim_clock_format(record->time_ms, stamp, sizeof(stamp));
    cJSON *line = cJSON_CreateObject();
    cJSON_AddStringToObject(line, "time", stamp);
    cJSON_AddStringToObject(line, "component_id", record->component_id);
    cJSON_AddStringToObject(line, "reason", record->reason);
    cJSON_AddNumberToObject(line, "ran_ms", (double)record->ran_ms);
    if (record->signaled) {
        cJSON_AddNumberToObject(line, "signal", record->signal);
        const char *name = sigabbrev_np(record->signal);
        cJSON_AddStringToObject(line, "signal_name", name != NULL ? name : "unknown");
    } else {
        cJSON_AddNumberToObject(line, "exit_code", record->exit_code);
    }
    int result = sim_fs_append_json_line(path, line, NULL, 0);
    cJSON_Delete(line);
    return result;
}
