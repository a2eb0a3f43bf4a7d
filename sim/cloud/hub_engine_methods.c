// SPDX-License-Identifier: MIT
// Direct methods in the hub engine. The service's method-invoke becomes a request to the device
// on "$iothub/methods/POST/{name}/?$rid={hub rid}" (QoS 0, as IoT Hub sends it), tracked in
// hub_method_calls under the hub's own request id; the device's "$iothub/methods/res/{status}/
// ?$rid=" completes it and the caller gets {"status": device status, "payload": device JSON or
// null}. Nobody answering by responseTimeoutInSeconds gives the caller 504; a device that is not
// connected and subscribed to "$iothub/methods/POST/#" gives 404 at once, or after
// connectTimeoutInSeconds when the caller is willing to wait for it to come online.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_engine_internal.h"

#define DEFAULT_RESPONSE_TIMEOUT_S 30
#define MIN_RESPONSE_TIMEOUT_S 5
#define MAX_TIMEOUT_S 300

// An optional whole number of seconds in [min, max]; false when present but not one.
static bool seconds_field(const cJSON *request, const char *name, int min, int max, int *out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request, name);
    if (item == NULL || cJSON_IsNull(item)) {
        return true;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max ||
        item->valuedouble != (double)(int)item->valuedouble) {
        return false;
    }
    *out = (int)item->valuedouble;
    return true;
}

// Sends the request to the device (or lets a fault drop or delay it) and tracks the call.
// Returns 0, or an HTTP-like status for the caller.
static int start_call(struct hub_engine *e, const struct hub_caller *caller, const char *device_id,
                      const char *method, const char *payload, long long timeout_ms) {
    char packed[HUB_MAX_RID + 1];
    char device_rid[HUB_DEVICE_RID_SIZE];
    char topic[64 + HUB_MAX_METHOD + HUB_DEVICE_RID_SIZE];
    long long now = hub_engine_now_ms(e);
    hub_caller_pack(caller, packed);
    enum hub_result started =
        hub_method_calls_start(&e->calls, device_id, packed, now, timeout_ms, device_rid);
    if (started == HUB_ERR_TOO_LARGE) {
        return 429;
    }
    if (started != HUB_OK ||
        hub_topic_method_request(topic, sizeof topic, method, device_rid) < 0) {
        return 500;
    }
    struct hub_fault fault = hub_faults_get(&e->faults, device_id, HUB_FAULT_METHOD);
    size_t len = strlen(payload);
    if (fault.mode == HUB_FAULT_DROP) {
        hub_engine_log(e, HUB_LOG_INFO, "device %s: method %s ($rid=%s) dropped by a fault",
                       device_id, method, device_rid);
    } else if (fault.mode == HUB_FAULT_DELAY) {
        if (hub_timers_add(&e->timers, now + fault.delay_ms, device_id, topic, payload, len, 0) !=
            0) {
            hub_engine_log(e, HUB_LOG_WARNING, "device %s: method request lost: too many delayed",
                           device_id);
        }
    } else {
        hub_engine_send(e, device_id, topic, payload, len, 0);
    }
    return 0;
}

static void start_or_answer(struct hub_engine *e, const struct hub_caller *caller,
                            const char *device_id, const char *method, const char *payload,
                            long long timeout_ms) {
    int status = start_call(e, caller, device_id, method, payload, timeout_ms);
    if (status != 0) {
        struct hub_reply reply = {0};
        hub_reply_error(&reply, status,
                        status == 429 ? "too many method calls in flight"
                                      : "the hub could not send the request");
        hub_engine_answer(e, caller, reply.status, reply.body);
    }
}

static int add_wait(struct hub_engine *e, const struct hub_caller *caller, const char *device_id,
                    const char *method, const char *payload, long long connect_deadline_ms,
                    long long timeout_ms) {
    for (size_t i = 0; i < HUB_METHOD_MAX_WAITS; i++) {
        struct hub_method_wait *w = &e->waits[i];
        if (w->active) {
            continue;
        }
        char *copy = strdup(payload);  // freed with free(): the engine's own copy
        if (copy == NULL) {
            return -1;
        }
        *w = (struct hub_method_wait){
            .active = true,
            .caller = *caller,
            .payload = copy,
            .connect_deadline_ms = connect_deadline_ms,
            .response_timeout_ms = timeout_ms,
        };
        snprintf(w->device_id, sizeof w->device_id, "%s", device_id);
        snprintf(w->method, sizeof w->method, "%s", method);
        return 0;
    }
    return -1;
}

void hub_op_method_invoke(struct hub_engine *e, const struct hub_caller *caller,
                          const cJSON *request, struct hub_reply *reply) {
    const char *device_id = hub_json_string(request, "deviceId");
    const char *method = hub_json_string(request, "methodName");
    int response_timeout = DEFAULT_RESPONSE_TIMEOUT_S;
    int connect_timeout = 0;
    if (device_id == NULL || !hub_is_valid_device_id(device_id)) {
        hub_reply_error(reply, 400, "deviceId is missing or not a valid device id");
        return;
    }
    if (method == NULL || !hub_is_valid_method_name(method)) {
        hub_reply_error(reply, 400, "methodName is missing or not a valid method name");
        return;
    }
    if (!seconds_field(request, "responseTimeoutInSeconds", MIN_RESPONSE_TIMEOUT_S, MAX_TIMEOUT_S,
                       &response_timeout) ||
        !seconds_field(request, "connectTimeoutInSeconds", 0, MAX_TIMEOUT_S, &connect_timeout)) {
        hub_reply_error(reply, 400,
                        "responseTimeoutInSeconds must be %d..%d and connectTimeoutInSeconds "
                        "0..%d",
                        MIN_RESPONSE_TIMEOUT_S, MAX_TIMEOUT_S, MAX_TIMEOUT_S);
        return;
    }
    struct hub_device device;
    enum hub_store_result found = hub_store_device_get(e->store, device_id, &device);
    if (found != HUB_STORE_OK) {
        hub_reply_error(reply, found == HUB_STORE_ERR_NOT_FOUND ? 404 : 500,
                        "device %s is not registered", device_id);
        return;
    }
    // No payload reaches the device as JSON null, the way IoT Hub sends it.
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(request, "payload");
    cJSON *null = payload == NULL ? cJSON_CreateNull() : NULL;
    char *text = cJSON_PrintUnformatted(payload != NULL ? payload : null);
    cJSON_Delete(null);
    if (text == NULL) {
        hub_reply_error(reply, 500, "out of memory");
        return;
    }
    long long timeout_ms = (long long)response_timeout * 1000;
    if (strlen(text) > HUB_METHOD_MAX_PAYLOAD) {
        hub_reply_error(reply, 413, "payload is larger than %d bytes", HUB_METHOD_MAX_PAYLOAD);
    } else if (hub_engine_listening(e, device_id, HUB_SUB_METHODS)) {
        int status = start_call(e, caller, device_id, method, text, timeout_ms);
        if (status != 0) {
            hub_reply_error(reply, status, "the hub could not start the call");
        } else {
            reply->deferred = true;
        }
    } else if (connect_timeout > 0) {
        long long deadline = hub_engine_now_ms(e) + (long long)connect_timeout * 1000;
        if (add_wait(e, caller, device_id, method, text, deadline, timeout_ms) != 0) {
            hub_reply_error(reply, 429, "too many method calls waiting for devices");
        } else {
            reply->deferred = true;
        }
    } else {
        hub_reply_error(reply, 404,
                        "device %s is not online (not connected, or not subscribed to "
                        "$iothub/methods/POST/#)",
                        device_id);
    }
    cJSON_free(text);
}

void hub_method_device_response(struct hub_engine *e, const char *device_id,
                                const struct hub_publish_topic *topic, const void *payload,
                                size_t payload_len) {
    char packed[HUB_MAX_RID + 1];
    struct hub_caller caller;
    if (hub_method_calls_finish(&e->calls, device_id, topic->request_id, packed) != HUB_OK ||
        !hub_caller_unpack(packed, &caller)) {
        hub_engine_log(e, HUB_LOG_INFO,
                       "device %s: method response ($rid=%s) matches no call in flight", device_id,
                       topic->request_id);
        return;
    }
    // The device's payload should be JSON; anything else reaches the caller as null.
    cJSON *parsed = payload_len > 0 ? cJSON_ParseWithLength(payload, payload_len) : NULL;
    cJSON *body = cJSON_CreateObject();
    if (body == NULL || cJSON_AddNumberToObject(body, "status", topic->status) == NULL ||
        !cJSON_AddItemToObject(body, "payload", parsed != NULL ? parsed : cJSON_CreateNull())) {
        cJSON_Delete(body);
        hub_engine_answer(e, &caller, 500, NULL);
        return;
    }
    hub_engine_answer(e, &caller, 200, body);
}

static void on_timeout(const char *packed, void *ctx) {
    struct hub_engine *e = ctx;
    struct hub_caller caller;
    if (!hub_caller_unpack(packed, &caller)) {
        return;
    }
    struct hub_reply reply = {0};
    hub_reply_error(&reply, 504, "the device did not answer within responseTimeoutInSeconds");
    hub_engine_answer(e, &caller, reply.status, reply.body);
}

void hub_methods_tick(struct hub_engine *e, long long now_ms) {
    if (hub_method_calls_next_deadline(&e->calls) >= 0) {
        hub_method_calls_expire(&e->calls, now_ms, on_timeout, e);
    }
    for (size_t i = 0; i < HUB_METHOD_MAX_WAITS; i++) {
        struct hub_method_wait *w = &e->waits[i];
        if (!w->active) {
            continue;
        }
        if (hub_engine_listening(e, w->device_id, HUB_SUB_METHODS)) {
            w->active = false;
            start_or_answer(e, &w->caller, w->device_id, w->method, w->payload,
                            w->response_timeout_ms);
        } else if (now_ms >= w->connect_deadline_ms) {
            w->active = false;
            struct hub_reply reply = {0};
            hub_reply_error(&reply, 404,
                            "device %s did not come online within "
                            "connectTimeoutInSeconds",
                            w->device_id);
            hub_engine_answer(e, &w->caller, reply.status, reply.body);
        }
        if (!w->active) {
            free(w->payload);
            w->payload = NULL;
        }
    }
}

void hub_methods_free(struct hub_engine *e) {
    for (size_t i = 0; i < HUB_METHOD_MAX_WAITS; i++) {
        free(e->waits[i].payload);
        e->waits[i].payload = NULL;
        e->waits[i].active = false;
    }
}
