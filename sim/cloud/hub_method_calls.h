// SPDX-License-Identifier: MIT
// Direct-method invocations in flight: the hub sends a request to a device under a request id of
// its own, and must match the device's response to the service caller that asked, or answer the
// caller with a timeout when the device stays silent. Pure bookkeeping, driven by the plugin.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_result.h"

#define HUB_MAX_METHOD_CALLS 256
#define HUB_DEVICE_RID_SIZE 24

struct hub_method_call {
    bool active;
    char device_id[HUB_MAX_ID + 1];
    char device_rid[HUB_DEVICE_RID_SIZE];
    char caller_rid[HUB_MAX_RID + 1];
    int64_t deadline_ms;
};

struct hub_method_calls {
    struct hub_method_call calls[HUB_MAX_METHOD_CALLS];
    uint64_t next_rid;
};

void hub_method_calls_init(struct hub_method_calls *calls);

// Records a call to device_id for the caller's request id, answering by now_ms + timeout_ms.
// Writes the request id to put in the device's topic. HUB_ERR_TOO_LARGE when too many calls are
// in flight, HUB_ERR_INVALID for an over-long id.
enum hub_result hub_method_calls_start(struct hub_method_calls *calls, const char *device_id,
                                       const char *caller_rid, int64_t now_ms, int64_t timeout_ms,
                                       char out_device_rid[HUB_DEVICE_RID_SIZE]);

// Matches a device's response. HUB_OK with the caller's request id (the call is then over);
// HUB_ERR_NO_MATCH for an unknown or already answered request id, or one sent to another device.
enum hub_result hub_method_calls_finish(struct hub_method_calls *calls, const char *device_id,
                                        const char *device_rid,
                                        char out_caller_rid[HUB_MAX_RID + 1]);

// Ends every call whose deadline has passed, calling on_timeout with each caller's request id.
// Returns how many ended.
size_t hub_method_calls_expire(struct hub_method_calls *calls, int64_t now_ms,
                               void (*on_timeout)(const char *caller_rid, void *context),
                               void *context);

// The earliest deadline in flight, or -1 when none.
int64_t hub_method_calls_next_deadline(const struct hub_method_calls *calls);
