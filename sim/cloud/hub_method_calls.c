// SPDX-License-Identifier: MIT
// Bookkeeping for direct methods in flight; see hub_method_calls.h. The table is small and
// scanned linearly: at most a few hundred calls are ever outstanding on a local hub.
#include "cloud/hub_method_calls.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void hub_method_calls_init(struct hub_method_calls *calls) {
    memset(calls, 0, sizeof(*calls));
    calls->next_rid = 1;
}

enum hub_result hub_method_calls_start(struct hub_method_calls *calls, const char *device_id,
                                       const char *caller_rid, int64_t now_ms, int64_t timeout_ms,
                                       char out_device_rid[HUB_DEVICE_RID_SIZE]) {
    if (strlen(device_id) > HUB_MAX_ID || strlen(caller_rid) > HUB_MAX_RID) {
        return HUB_ERR_INVALID;
    }
    struct hub_method_call *slot = NULL;
    for (size_t i = 0; i < HUB_MAX_METHOD_CALLS && slot == NULL; i++) {
        if (!calls->calls[i].active) {
            slot = &calls->calls[i];
        }
    }
    if (slot == NULL) {
        return HUB_ERR_TOO_LARGE;
    }
    *slot = (struct hub_method_call){.active = true, .deadline_ms = now_ms + timeout_ms};
    snprintf(slot->device_id, sizeof(slot->device_id), "%s", device_id);
    snprintf(slot->caller_rid, sizeof(slot->caller_rid), "%s", caller_rid);
    // Hex counter: unique for the hub's lifetime and never a valid-looking caller id to confuse.
    snprintf(slot->device_rid, sizeof(slot->device_rid), "%" PRIx64, calls->next_rid++);
    memcpy(out_device_rid, slot->device_rid, HUB_DEVICE_RID_SIZE);
    return HUB_OK;
}

enum hub_result hub_method_calls_finish(struct hub_method_calls *calls, const char *device_id,
                                        const char *device_rid,
                                        char out_caller_rid[HUB_MAX_RID + 1]) {
    for (size_t i = 0; i < HUB_MAX_METHOD_CALLS; i++) {
        struct hub_method_call *call = &calls->calls[i];
        if (call->active && strcmp(call->device_rid, device_rid) == 0 &&
            strcmp(call->device_id, device_id) == 0) {
            memcpy(out_caller_rid, call->caller_rid, sizeof(call->caller_rid));
            call->active = false;
            return HUB_OK;
        }
    }
    return HUB_ERR_NO_MATCH;
}

size_t hub_method_calls_expire(struct hub_method_calls *calls, int64_t now_ms,
                               void (*on_timeout)(const char *caller_rid, void *context),
                               void *context) {
    size_t ended = 0;
    for (size_t i = 0; i < HUB_MAX_METHOD_CALLS; i++) {
        struct hub_method_call *call = &calls->calls[i];
        if (call->active && now_ms >= call->deadline_ms) {
            call->active = false;
            ended++;
            on_timeout(call->caller_rid, context);
        }
    }
    return ended;
}

int64_t hub_method_calls_next_deadline(const struct hub_method_calls *calls) {
    int64_t next = -1;
    for (size_t i = 0; i < HUB_MAX_METHOD_CALLS; i++) {
        const struct hub_method_call *call = &calls->calls[i];
        if (call->active && (next < 0 || call->deadline_ms < next)) {
            next = call->deadline_ms;
        }
    }
    return next;
}
