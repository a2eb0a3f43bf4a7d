// SPDX-License-Identifier: MIT
// Device twins in the hub engine: a device's GET and reported PATCH over MQTT, and the service's
// twin-get and twin-patch, with desired changes pushed to a connected, subscribed device. Twins
// live in the store as hub_twin_to_json text and are loaded per request: a twin is small, and
// never caching means the database is the one truth across broker restarts.
//
// Answers to devices follow IoT Hub: "$iothub/twin/res/{status}/?$rid=" at QoS 0, 200 with the
// device view for GET, 204 with "&$version=" for PATCH, 400 for malformed JSON or a patch the
// twin rules refuse, 429 when throttled. A reported patch over 32 KB also gets 400 (the hub
// documents 400 for bad patches and no other code for size) and leaves the twin unchanged.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_engine_internal.h"
#include "cloud/hub_twin.h"

#define TWIN_ERROR_BAD_REQUEST 400000
#define TWIN_ERROR_THROTTLED 429001
#define TWIN_ERROR_SERVER 500000

// Stamps a new twin's sections as written now, as the real hub shows a fresh twin's metadata.
static enum hub_result twin_new(const struct hub_engine *e, struct hub_twin *out) {
    char now[HUB_STORE_TIME_SIZE];
    hub_engine_now_iso(e, now);
    hub_twin_init(out);
    if (cJSON_AddStringToObject(out->desired_metadata, "$lastUpdated", now) == NULL ||
        cJSON_AddStringToObject(out->reported_metadata, "$lastUpdated", now) == NULL) {
        return HUB_ERR_INTERNAL;
    }
    return HUB_OK;
}

static enum hub_result twin_save(struct hub_engine *e, const char *device_id,
                                 const struct hub_twin *twin, char *reason, size_t reason_size);

// Loads the device's twin; the first time, makes and stores a new one, so its creation time stays
// put. On error out still holds a twin hub_twin_free releases, and reason says why.
static enum hub_result twin_load(struct hub_engine *e, const char *device_id, struct hub_twin *out,
                                 char *reason, size_t reason_size) {
    char *json = NULL;
    enum hub_store_result found = hub_store_twin_get(e->store, device_id, &json);
    if (found == HUB_STORE_ERR_NOT_FOUND) {
        if (twin_new(e, out) != HUB_OK) {
            snprintf(reason, reason_size, "out of memory");
            return HUB_ERR_INTERNAL;
        }
        return twin_save(e, device_id, out, reason, reason_size);
    }
    if (found != HUB_STORE_OK) {
        hub_twin_init(out);
        snprintf(reason, reason_size, "%s", hub_store_error(e->store));
        return HUB_ERR_INTERNAL;
    }
    enum hub_result result = hub_twin_from_json(json, out);
    free(json);
    if (result != HUB_OK) {
        snprintf(reason, reason_size, "the stored twin of %s is unreadable", device_id);
        return HUB_ERR_INTERNAL;
    }
    return HUB_OK;
}

static enum hub_result twin_save(struct hub_engine *e, const char *device_id,
                                 const struct hub_twin *twin, char *reason, size_t reason_size) {
    char *json = hub_twin_to_json(twin);
    if (json == NULL) {
        snprintf(reason, reason_size, "out of memory");
        return HUB_ERR_INTERNAL;
    }
    enum hub_store_result stored = hub_store_twin_put(e->store, device_id, json);
    cJSON_free(json);
    if (stored != HUB_STORE_OK) {
        snprintf(reason, reason_size, "%s", hub_store_error(e->store));
        return HUB_ERR_INTERNAL;
    }
    return HUB_OK;
}

// ---- device requests ----

struct twin_answer {
    int status;
    long version;  // for "&$version=", < 0 for none
    cJSON *body;   // owned; NULL for an empty payload
};

static void answer_error(struct twin_answer *a, int status, int code, const char *message) {
    cJSON_Delete(a->body);
    a->status = status;
    a->version = -1;
    a->body = cJSON_CreateObject();
    if (a->body != NULL) {
        cJSON_AddNumberToObject(a->body, "errorCode", code);
        cJSON_AddStringToObject(a->body, "message", message);
    }
}

// Sends the answer unless the device cannot hear it (then it goes nowhere, as on IoT Hub) or a
// twin fault drops or delays it.
static void send_answer(struct hub_engine *e, const char *device_id, const char *rid,
                        const struct twin_answer *a) {
    if (!hub_engine_listening(e, device_id, HUB_SUB_TWIN_RESPONSES)) {
        hub_engine_log(e, HUB_LOG_INFO,
                       "device %s: twin answer %d ($rid=%s) not sent: not "
                       "subscribed to $iothub/twin/res/#",
                       device_id, a->status, rid);
        return;
    }
    char topic[64 + HUB_MAX_RID];
    if (hub_topic_twin_response(topic, sizeof topic, a->status, rid, a->version) < 0) {
        return;  // the rid was validated when the request was classified
    }
    char *payload = a->body != NULL ? cJSON_PrintUnformatted(a->body) : NULL;
    size_t len = payload != NULL ? strlen(payload) : 0;
    struct hub_fault fault = hub_faults_get(&e->faults, device_id, HUB_FAULT_TWIN);
    if (fault.mode == HUB_FAULT_DROP) {
        hub_engine_log(e, HUB_LOG_INFO, "device %s: twin answer ($rid=%s) dropped by a fault",
                       device_id, rid);
    } else if (fault.mode == HUB_FAULT_DELAY) {
        if (hub_timers_add(&e->timers, hub_engine_now_ms(e) + fault.delay_ms, device_id, topic,
                           payload, len, 0) != 0) {
            hub_engine_log(e, HUB_LOG_WARNING, "device %s: twin answer lost: too many delayed",
                           device_id);
        }
    } else {
        hub_engine_send(e, device_id, topic, payload, len, 0);
    }
    cJSON_free(payload);
}

static void device_get(struct hub_engine *e, const char *device_id, struct twin_answer *a) {
    struct hub_twin twin;
    char reason[256] = "";
    if (twin_load(e, device_id, &twin, reason, sizeof reason) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: twin GET failed: %s", device_id, reason);
        answer_error(a, 500, TWIN_ERROR_SERVER, "the hub could not read the twin");
    } else {
        a->status = 200;
        a->body = hub_twin_device_view(&twin);
        if (a->body == NULL) {
            answer_error(a, 500, TWIN_ERROR_SERVER, "out of memory");
        }
    }
    hub_twin_free(&twin);
}

static void device_patch(struct hub_engine *e, const char *device_id, const void *payload,
                         size_t payload_len, struct twin_answer *a) {
    char err[256] = "";
    if (payload_len > HUB_TWIN_MAX_SECTION_BYTES) {
        snprintf(err, sizeof err, "patch of %zu bytes is over the %d-byte limit", payload_len,
                 HUB_TWIN_MAX_SECTION_BYTES);
        answer_error(a, 400, TWIN_ERROR_BAD_REQUEST, err);
        return;
    }
    cJSON *patch = cJSON_ParseWithLength(payload, payload_len);
    if (patch == NULL) {
        answer_error(a, 400, TWIN_ERROR_BAD_REQUEST, "malformed JSON");
        return;
    }
    struct hub_twin twin;
    char now[HUB_STORE_TIME_SIZE];
    hub_engine_now_iso(e, now);
    if (twin_load(e, device_id, &twin, err, sizeof err) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: reported PATCH failed: %s", device_id, err);
        answer_error(a, 500, TWIN_ERROR_SERVER, "the hub could not read the twin");
        goto out;
    }
    enum hub_result result = hub_twin_apply_patch(&twin, 'r', patch, now, err, sizeof err);
    if (result == HUB_ERR_INTERNAL) {
        answer_error(a, 500, TWIN_ERROR_SERVER, err);
        goto out;
    }
    if (result != HUB_OK) {
        answer_error(a, 400, TWIN_ERROR_BAD_REQUEST, err);
        goto out;
    }
    if (twin_save(e, device_id, &twin, err, sizeof err) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: reported PATCH not stored: %s", device_id, err);
        answer_error(a, 500, TWIN_ERROR_SERVER, "the hub could not store the twin");
        goto out;
    }
    a->status = 204;
    a->version = twin.reported_version;
out:
    hub_twin_free(&twin);
    cJSON_Delete(patch);
}

enum hub_verdict hub_twin_device_request(struct hub_engine *e, const char *device_id,
                                         const struct hub_publish_topic *topic, const void *payload,
                                         size_t payload_len) {
    struct twin_answer a = {.status = 500, .version = -1};
    if (hub_faults_admit(&e->faults, device_id, HUB_RATE_TWIN, hub_engine_now_ms(e)) !=
        HUB_ADMIT_OK) {
        answer_error(&a, 429, TWIN_ERROR_THROTTLED, "twin operations throttled");
    } else if (topic->kind == HUB_PUB_TWIN_GET) {
        device_get(e, device_id, &a);
    } else {
        device_patch(e, device_id, payload, payload_len, &a);
    }
    if (a.status >= 400) {
        hub_engine_log(e, HUB_LOG_INFO, "device %s: twin request ($rid=%s) answered %d", device_id,
                       topic->request_id, a.status);
    }
    send_answer(e, device_id, topic->request_id, &a);
    cJSON_Delete(a.body);
    return HUB_VERDICT_CONSUMED;
}

// ---- service operations ----

// The registered device the request names, or NULL after filling reply with 400 or 404.
static bool request_device(struct hub_engine *e, const cJSON *request, struct hub_device *out,
                           struct hub_reply *reply) {
    const char *id = hub_json_string(request, "deviceId");
    if (id == NULL || !hub_is_valid_device_id(id)) {
        hub_reply_error(reply, 400, "deviceId is missing or not a valid device id");
        return false;
    }
    enum hub_store_result found = hub_store_device_get(e->store, id, out);
    if (found == HUB_STORE_ERR_NOT_FOUND) {
        hub_reply_error(reply, 404, "device %s is not registered", id);
        return false;
    }
    if (found != HUB_STORE_OK) {
        hub_reply_error(reply, 500, "registry: %s", hub_store_error(e->store));
        return false;
    }
    return true;
}

static void reply_service_view(struct hub_engine *e, const struct hub_device *device,
                               const struct hub_twin *twin, struct hub_reply *reply) {
    reply->status = 200;
    reply->body =
        hub_twin_service_view(twin, device->device_id, device->enabled ? "enabled" : "disabled",
                              hub_engine_connected(e, device->device_id));
    if (reply->body == NULL) {
        hub_reply_error(reply, 500, "out of memory");
    }
}

void hub_op_twin_get(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    struct hub_device device;
    if (!request_device(e, request, &device, reply)) {
        return;
    }
    struct hub_twin twin;
    char reason[256] = "";
    if (twin_load(e, device.device_id, &twin, reason, sizeof reason) != HUB_OK) {
        hub_reply_error(reply, 500, "%s", reason);
    } else {
        reply_service_view(e, &device, &twin, reply);
    }
    hub_twin_free(&twin);
}

// Pushes a desired change to the device while it listens; IoT Hub never queues these.
static void push_desired(struct hub_engine *e, const char *device_id, const struct hub_twin *twin,
                         const cJSON *desired) {
    if (!hub_engine_listening(e, device_id, HUB_SUB_TWIN_DESIRED)) {
        return;
    }
    char topic[96];
    cJSON *notification = hub_twin_desired_notification(twin, desired);
    if (notification == NULL ||
        hub_topic_twin_desired(topic, sizeof topic, twin->desired_version) < 0) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: desired change not pushed: out of memory",
                       device_id);
    } else {
        hub_engine_send_json(e, device_id, topic, notification, 0);
    }
    cJSON_Delete(notification);
}

void hub_op_twin_patch(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    struct hub_device device;
    if (!request_device(e, request, &device, reply)) {
        return;
    }
    const cJSON *patch = cJSON_GetObjectItemCaseSensitive(request, "patch");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(patch, "tags");
    const cJSON *desired = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(patch, "properties"), "desired");
    if (!cJSON_IsObject(patch) || (tags != NULL && !cJSON_IsObject(tags)) ||
        (desired != NULL && !cJSON_IsObject(desired)) || (tags == NULL && desired == NULL)) {
        hub_reply_error(reply, 400, "patch must hold tags and/or properties.desired objects");
        return;
    }
    struct hub_twin twin;
    char err[256] = "";
    char now[HUB_STORE_TIME_SIZE];
    hub_engine_now_iso(e, now);
    enum hub_result result = twin_load(e, device.device_id, &twin, err, sizeof err);
    if (result == HUB_OK && tags != NULL) {
        result = hub_twin_apply_tags(&twin, tags, err, sizeof err);
    }
    if (result == HUB_OK && desired != NULL) {
        result = hub_twin_apply_patch(&twin, 'd', desired, now, err, sizeof err);
    }
    if (result == HUB_OK) {
        result = twin_save(e, device.device_id, &twin, err, sizeof err);
    }
    if (result == HUB_OK) {
        if (desired != NULL) {
            push_desired(e, device.device_id, &twin, desired);
        }
        reply_service_view(e, &device, &twin, reply);
    } else {
        hub_reply_error(reply, result == HUB_ERR_INTERNAL ? 500 : 400, "%s", err);
    }
    hub_twin_free(&twin);
}
