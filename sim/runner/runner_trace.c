// SPDX-License-Identifier: MIT
// The JSON trace of a run: one object with the scenario, the seed, the replay command and the
// result, and an "events" array in time order (docs/scenarios.md, "The trace"). Events are
// written as they happen, one per line, so a run that is killed still leaves a readable
// prefix, and an event's index (its "i") is known at once for failure messages to point at.
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner/runner_internal.h"

static void put_json(FILE *f, const char *key, cJSON *value, bool comma) {
    char *text = cJSON_PrintUnformatted(value);
    fprintf(f, "\"%s\": %s%s\n", key, text != NULL ? text : "null", comma ? "," : "");
    free(text);
    cJSON_Delete(value);
}

int rn_trace_open(struct rn_runner *r) {
    r->trace_events = 0;
    if (r->cfg->trace_path == NULL) {
        return 0;
    }
    FILE *f = fopen(r->cfg->trace_path, "w");
    if (f == NULL) {
        return -1;
    }
    r->trace = f;
    char seed[32];
    snprintf(seed, sizeof(seed), "%" PRIu64, r->seed);
    fputs("{\n", f);
    put_json(f, "scenario", cJSON_CreateString(r->scn->name), true);
    put_json(f, "file", cJSON_CreateString(r->scn->source), true);
    put_json(f, "seed", cJSON_CreateString(seed), true);
    put_json(f, "replay", cJSON_CreateString(r->result->replay), true);
    put_json(f, "stateDir", cJSON_CreateString(r->root), true);
    cJSON *devices = cJSON_CreateArray();
    for (size_t i = 0; i < r->scn->device_count; i++) {
        cJSON *device = cJSON_CreateObject();
        cJSON_AddStringToObject(device, "id", r->scn->devices[i].id);
        cJSON_AddStringToObject(device, "app", r->scn->devices[i].app);
        cJSON_AddItemToArray(devices, device);
    }
    put_json(f, "devices", devices, true);
    fputs("\"events\": [\n", f);
    return 0;
}

size_t rn_trace(struct rn_runner *r, const char *type, cJSON *event) {
    size_t index = r->trace_events++;
    FILE *f = r->trace;
    if (f == NULL || event == NULL) {
        cJSON_Delete(event);
        return index;
    }
    // "i", "t" and "type" first, for a reader scanning the file.
    cJSON *ordered = cJSON_CreateObject();
    cJSON_AddNumberToObject(ordered, "i", (double)index);
    cJSON_AddNumberToObject(ordered, "t", (double)rn_now(r));
    cJSON_AddStringToObject(ordered, "type", type);
    while (event->child != NULL) {
        cJSON *item = cJSON_DetachItemViaPointer(event, event->child);
        cJSON_AddItemToObject(ordered, item->string, item);
    }
    cJSON_Delete(event);
    char *text = cJSON_PrintUnformatted(ordered);
    cJSON_Delete(ordered);
    fprintf(f, "%s%s\n", index == 0 ? "" : ",", text != NULL ? text : "{}");
    free(text);
    return index;
}

void rn_trace_close(struct rn_runner *r) {
    FILE *f = r->trace;
    if (f == NULL) {
        return;
    }
    static const char *const names[] = {[SCN_RUN_PASSED] = "passed",
                                        [SCN_RUN_FAILED] = "failed",
                                        [SCN_RUN_ERROR] = "error",
                                        [SCN_RUN_INTERRUPTED] = "interrupted",
                                        [SCN_RUN_SKIPPED] = "skipped"};
    fputs("],\n", f);
    cJSON *result = cJSON_CreateObject();
    cJSON_AddStringToObject(result, "status", names[r->result->status]);
    cJSON_AddNumberToObject(result, "seconds", r->result->seconds);
    cJSON_AddNumberToObject(result, "expectationsPassed", (double)r->result->expectations_passed);
    cJSON_AddNumberToObject(result, "expectationsFailed", (double)r->result->expectations_failed);
    cJSON *failures = cJSON_AddArrayToObject(result, "failures");
    size_t shown = r->result->failure_count < SCN_RUN_MAX_FAILURES ? r->result->failure_count
                                                                   : SCN_RUN_MAX_FAILURES;
    for (size_t i = 0; i < shown; i++) {
        cJSON_AddItemToArray(failures, cJSON_CreateString(r->result->failures[i].message));
    }
    put_json(f, "result", result, false);
    fputs("}\n", f);
    fclose(f);
    r->trace = NULL;
}
