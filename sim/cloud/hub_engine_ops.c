// SPDX-License-Identifier: MIT
// The plugin side of the hub's service protocol (hub_service_protocol.h): parsing a request,
// dispatching it by op, and answering {"status","body"} to the service client that asked. The
// registry, telemetry, connection-state and fault operations live here; twins, methods and C2D
// in their own files.
//
// Device records take IoT Hub's device identity shape (deviceId, generationId, etag, status,
// connectionState, lastActivityTime, cloudToDeviceMessageCount, authentication {type,
// symmetricKey, x509Thumbprint}, capabilities). spheresim's X.509 devices present certificates
// issued by the tenant CA, which is IoT Hub's "certificateAuthority" type.
//
// One operation IoT Hub has no counterpart for is plugin-only and not routed by the HTTP service:
// fault-clock {"advanceSeconds"} moves the hub's clock forward (C2D expiry, method timeouts,
// twin timestamps), so tests can watch a 60 s TTL lapse without waiting a minute.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cloud/hub_engine_internal.h"
#include "cloud/hub_sas.h"
#include "cloud/hub_telemetry.h"

#define DEFAULT_TELEMETRY_PAGE 100
#define MAX_TELEMETRY_PAGE 1000
// A page stops growing past this much message data, so one answer stays a sane MQTT packet.
#define MAX_TELEMETRY_PAGE_BYTES (4 * 1024 * 1024)
#define CONNECTION_EVENTS_SHOWN 20
#define DEFAULT_FAULT_DELAY_MS 1000
#define MAX_FAULT_DELAY_MS 600000
#define MAX_RATE 100000
#define MAX_CLOCK_ADVANCE_S (365L * 24 * 3600)
#define NEVER "0001-01-01T00:00:00Z" /* IoT Hub's time for "not yet" */

// An optional integer in [min, max]: false when present but not one; *out keeps its default.
static bool int_field(const cJSON *request, const char *name, long min, long max, long *out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request, name);
    if (item == NULL || cJSON_IsNull(item)) {
        return true;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble < (double)min ||
        item->valuedouble > (double)max || item->valuedouble != (double)(long)item->valuedouble) {
        return false;
    }
    *out = (long)item->valuedouble;
    return true;
}

// The request's deviceId when valid, else NULL after a 400.
static const char *device_id_of(const cJSON *request, struct hub_reply *reply) {
    const char *id = hub_json_string(request, "deviceId");
    if (id == NULL || !hub_is_valid_device_id(id)) {
        hub_reply_error(reply, 400, "deviceId is missing or not a valid device id");
        return NULL;
    }
    return id;
}

// Reads the registered device into out; false after a 404 or 500.
static bool registered(struct hub_engine *e, const char *id, struct hub_device *out,
                       struct hub_reply *reply) {
    enum hub_store_result found = hub_store_device_get(e->store, id, out);
    if (found == HUB_STORE_OK) {
        return true;
    }
    if (found == HUB_STORE_ERR_NOT_FOUND) {
        hub_reply_error(reply, 404, "device %s is not registered", id);
    } else {
        hub_reply_error(reply, 500, "registry: %s", hub_store_error(e->store));
    }
    return false;
}

// ---- device records ----

static cJSON *string_or_null(const char *text) {
    return text != NULL && text[0] != '\0' ? cJSON_CreateString(text) : cJSON_CreateNull();
}

static cJSON *authentication_json(const struct hub_device *d) {
    bool sas = d->auth == HUB_AUTH_SAS;
    cJSON *auth = cJSON_CreateObject();
    cJSON *keys = cJSON_AddObjectToObject(auth, "symmetricKey");
    cJSON *thumbprints = cJSON_AddObjectToObject(auth, "x509Thumbprint");
    if (keys == NULL || thumbprints == NULL) {
        cJSON_Delete(auth);
        return NULL;
    }
    cJSON_AddStringToObject(auth, "type", sas ? "sas" : "certificateAuthority");
    cJSON_AddItemToObject(keys, "primaryKey", string_or_null(sas ? d->primary_key : NULL));
    cJSON_AddItemToObject(keys, "secondaryKey", string_or_null(sas ? d->secondary_key : NULL));
    cJSON_AddNullToObject(thumbprints, "primaryThumbprint");
    cJSON_AddNullToObject(thumbprints, "secondaryThumbprint");
    return auth;
}

static cJSON *device_record(struct hub_engine *e, const struct hub_device *d) {
    char activity[HUB_STORE_TIME_SIZE] = "";
    char change[HUB_STORE_TIME_SIZE] = "";
    long long queued = 0;
    long long expired = 0;
    hub_store_device_activity(e->store, d->device_id, activity, change);
    hub_store_c2d_stats(e->store, d->device_id, &queued, &expired);
    // IoT Hub's device etags are base64 text too; ours encodes the registry version.
    char version[32];
    unsigned char etag[48];
    int n = snprintf(version, sizeof version, "%lld", d->version);
    EVP_EncodeBlock(etag, (const unsigned char *)version, n);
    cJSON *r = cJSON_CreateObject();
    if (r == NULL) {
        return NULL;
    }
    cJSON_AddStringToObject(r, "deviceId", d->device_id);
    cJSON_AddStringToObject(r, "generationId", d->generation_id);
    cJSON_AddStringToObject(r, "etag", (const char *)etag);
    cJSON_AddStringToObject(r, "status", d->enabled ? "enabled" : "disabled");
    cJSON_AddNullToObject(r, "statusReason");
    cJSON_AddStringToObject(r, "statusUpdatedTime",
                            d->status_updated_time[0] != '\0' ? d->status_updated_time : NEVER);
    cJSON_AddStringToObject(r, "connectionState",
                            hub_engine_connected(e, d->device_id) ? "Connected" : "Disconnected");
    cJSON_AddStringToObject(r, "connectionStateUpdatedTime", change[0] != '\0' ? change : NEVER);
    cJSON_AddStringToObject(r, "lastActivityTime", activity[0] != '\0' ? activity : NEVER);
    cJSON_AddNumberToObject(r, "cloudToDeviceMessageCount", (double)queued);
    cJSON_AddNumberToObject(r, "cloudToDeviceExpiredCount", (double)expired);
    cJSON_AddStringToObject(r, "createdTime", d->created_time);
    cJSON *auth = authentication_json(d);
    cJSON *capabilities = cJSON_AddObjectToObject(r, "capabilities");
    if (auth == NULL || capabilities == NULL || !cJSON_AddItemToObject(r, "authentication", auth)) {
        cJSON_Delete(auth);
        cJSON_Delete(r);
        return NULL;
    }
    cJSON_AddFalseToObject(capabilities, "iotEdge");
    return r;
}

static void reply_record(struct hub_engine *e, const struct hub_device *d,
                         struct hub_reply *reply) {
    reply->status = 200;
    reply->body = device_record(e, d);
    if (reply->body == NULL) {
        hub_reply_error(reply, 500, "out of memory");
    }
}

// ---- registry operations ----

// A key is usable when the hub can sign with it; a key it cannot decode would only show up as
// every connection of the device being refused.
static bool copy_key(const char *given, char *out, size_t out_size) {
    char token[HUB_SAS_MAX_TOKEN];
    if (given == NULL) {
        return hub_sas_key_generate(out, out_size) == 0;
    }
    if (strlen(given) >= out_size ||
        hub_sas_token_make("check/devices/key", given, NULL, 1, token, sizeof token) < 0) {
        return false;
    }
    snprintf(out, out_size, "%s", given);
    return true;
}

static void op_device_add(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    const char *type = hub_json_string(request, "authentication");
    const char *primary = hub_json_string(request, "primaryKey");
    const char *secondary = hub_json_string(request, "secondaryKey");
    if (id == NULL) {
        return;
    }
    bool sas = type == NULL || strcmp(type, "sas") == 0;
    bool x509 =
        type != NULL && (strcmp(type, "x509") == 0 || strcmp(type, "certificateAuthority") == 0 ||
                         strcmp(type, "selfSigned") == 0);
    if (!sas && !x509) {
        hub_reply_error(reply, 400, "authentication must be \"sas\" or \"x509\"");
        return;
    }
    struct hub_device d = {.auth = sas ? HUB_AUTH_SAS : HUB_AUTH_X509, .enabled = true};
    snprintf(d.device_id, sizeof d.device_id, "%s", id);
    if (sas) {
        if (!copy_key(primary, d.primary_key, sizeof d.primary_key) ||
            !copy_key(secondary, d.secondary_key, sizeof d.secondary_key)) {
            hub_reply_error(reply, 400, "primaryKey or secondaryKey is not a usable key");
            return;
        }
    }
    enum hub_store_result added = hub_store_device_add(e->store, &d);
    if (added == HUB_STORE_ERR_EXISTS) {
        hub_reply_error(reply, 409, "device %s already exists", id);
    } else if (added == HUB_STORE_ERR_INVALID) {
        hub_reply_error(reply, 400, "%s", hub_store_error(e->store));
    } else if (added != HUB_STORE_OK) {
        hub_reply_error(reply, 500, "%s", hub_store_error(e->store));
    } else {
        hub_engine_log(e, HUB_LOG_NOTICE, "device %s registered (%s)", id,
                       hub_auth_type_name(d.auth));
        reply_record(e, &d, reply);
    }
}

static void op_device_get(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    struct hub_device d;
    if (id != NULL && registered(e, id, &d, reply)) {
        reply_record(e, &d, reply);
    }
}

struct list_ctx {
    struct hub_engine *e;
    cJSON *array;
    bool failed;
};

static int list_one(const struct hub_device *d, void *ctx) {
    struct list_ctx *list = ctx;
    cJSON *record = device_record(list->e, d);
    if (record == NULL || !cJSON_AddItemToArray(list->array, record)) {
        cJSON_Delete(record);
        list->failed = true;
        return 1;
    }
    return 0;
}

static void op_device_list(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    (void)request;
    struct list_ctx list = {.e = e, .array = cJSON_CreateArray()};
    if (list.array == NULL || hub_store_device_list(e->store, list_one, &list) != HUB_STORE_OK ||
        list.failed) {
        cJSON_Delete(list.array);
        hub_reply_error(reply, 500, "cannot list devices: %s", hub_store_error(e->store));
        return;
    }
    reply->status = 200;
    reply->body = list.array;
}

static void op_device_update(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    struct hub_device d;
    if (id == NULL || !registered(e, id, &d, reply)) {
        return;
    }
    const char *status = hub_json_string(request, "status");
    if (status != NULL && strcmp(status, "enabled") != 0 && strcmp(status, "disabled") != 0) {
        hub_reply_error(reply, 400, "status must be \"enabled\" or \"disabled\"");
        return;
    }
    if (status != NULL) {
        bool enabled = strcmp(status, "enabled") == 0;
        if (hub_store_device_set_enabled(e->store, id, enabled) != HUB_STORE_OK ||
            hub_store_device_get(e->store, id, &d) != HUB_STORE_OK) {
            hub_reply_error(reply, 500, "%s", hub_store_error(e->store));
            return;
        }
        if (!enabled) {
            hub_engine_kick(e, id);  // a disabled device may not stay connected
        }
    }
    reply_record(e, &d, reply);
}

static void op_device_remove(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    if (id == NULL) {
        return;
    }
    enum hub_store_result removed = hub_store_device_remove(e->store, id);
    if (removed == HUB_STORE_ERR_NOT_FOUND) {
        hub_reply_error(reply, 404, "device %s is not registered", id);
        return;
    }
    if (removed != HUB_STORE_OK) {
        hub_reply_error(reply, 500, "%s", hub_store_error(e->store));
        return;
    }
    hub_engine_kick(e, id);
    hub_subscriptions_forget(&e->subs, id);
    hub_engine_log(e, HUB_LOG_NOTICE, "device %s removed", id);
    reply->status = 204;
}

// ---- telemetry and connection state ----

struct page {
    cJSON *messages;
    long long next;
    size_t bytes;
    bool failed;
};

static int page_one(const struct hub_telemetry *m, void *ctx) {
    struct page *p = ctx;
    if (p->bytes > 0 && p->bytes + m->body_len > MAX_TELEMETRY_PAGE_BYTES) {
        return 1;  // the rest comes with the next page
    }
    cJSON *item = hub_telemetry_to_json(m);
    if (item == NULL || !cJSON_AddItemToArray(p->messages, item)) {
        cJSON_Delete(item);
        p->failed = true;
        return 1;
    }
    p->bytes += m->body_len + strlen(m->system_properties) + strlen(m->properties) + 128;
    p->next = m->sequence;
    return 0;
}

static void op_telemetry_read(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const cJSON *device = cJSON_GetObjectItemCaseSensitive(request, "deviceId");
    const char *id = NULL;
    long after = 0;
    long limit = DEFAULT_TELEMETRY_PAGE;
    if (device != NULL && !cJSON_IsNull(device) && (id = device_id_of(request, reply)) == NULL) {
        return;
    }
    if (!int_field(request, "after", 0, 9007199254740991L, &after) ||
        !int_field(request, "limit", 1, MAX_TELEMETRY_PAGE, &limit)) {
        hub_reply_error(reply, 400, "after must be a cursor >= 0 and limit 1..%d",
                        MAX_TELEMETRY_PAGE);
        return;
    }
    // hub_service_request moved the journal into the store just now, unless the store refused.
    if (hub_ingest_pending(e->ingest) > 0) {
        hub_reply_error(reply, 503, "accepted telemetry is not in the store yet: %s",
                        hub_ingest_error(e->ingest));
        return;
    }
    struct page p = {.messages = cJSON_CreateArray(), .next = after};
    if (p.messages == NULL ||
        hub_store_telemetry_list(e->store, id, after, (int)limit, page_one, &p) != HUB_STORE_OK ||
        p.failed) {
        cJSON_Delete(p.messages);
        hub_reply_error(reply, 500, "cannot read telemetry: %s", hub_store_error(e->store));
        return;
    }
    reply->status = 200;
    reply->body = cJSON_CreateObject();
    if (reply->body == NULL || !cJSON_AddItemToObject(reply->body, "messages", p.messages) ||
        cJSON_AddNumberToObject(reply->body, "next", (double)p.next) == NULL) {
        hub_reply_error(reply, 500, "out of memory");
    }
}

static int event_one(const struct hub_connection_record *record, void *ctx) {
    cJSON *item = cJSON_CreateObject();
    if (item == NULL) {
        return 1;
    }
    cJSON_AddStringToObject(item, "time", record->time);
    cJSON_AddStringToObject(item, "event", record->event);
    cJSON_AddItemToObject(item, "detail", string_or_null(record->detail));
    cJSON_AddItemToArray(ctx, item);
    return 0;
}

static void op_connection_state(struct hub_engine *e, const cJSON *request,
                                struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    struct hub_device d;
    if (id == NULL || !registered(e, id, &d, reply)) {
        return;
    }
    char activity[HUB_STORE_TIME_SIZE];
    char change[HUB_STORE_TIME_SIZE];
    hub_store_device_activity(e->store, id, activity, change);
    cJSON *events = cJSON_CreateArray();
    reply->status = 200;
    reply->body = cJSON_CreateObject();
    if (events == NULL || reply->body == NULL ||
        hub_store_connection_event_list(e->store, id, CONNECTION_EVENTS_SHOWN, event_one, events) !=
            HUB_STORE_OK) {
        cJSON_Delete(events);
        hub_reply_error(reply, 500, "cannot read connection events: %s", hub_store_error(e->store));
        return;
    }
    cJSON_AddBoolToObject(reply->body, "connected", hub_engine_connected(e, id));
    cJSON_AddItemToObject(reply->body, "since", string_or_null(change));
    cJSON_AddItemToObject(reply->body, "events", events);
}

// ---- faults ----

static void op_fault_kick(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = device_id_of(request, reply);
    struct hub_device d;
    if (id != NULL && registered(e, id, &d, reply)) {
        hub_engine_kick(e, id);
        reply->status = 204;
    }
}

// deviceId absent or null means the whole hub; else it must be valid.
static bool fault_scope(const cJSON *request, const char **out_id, struct hub_reply *reply) {
    const cJSON *device = cJSON_GetObjectItemCaseSensitive(request, "deviceId");
    *out_id = NULL;
    if (device == NULL || cJSON_IsNull(device)) {
        return true;
    }
    *out_id = device_id_of(request, reply);
    return *out_id != NULL;
}

static void set_fault(struct hub_engine *e, const cJSON *request, enum hub_fault_target target,
                      struct hub_reply *reply) {
    const char *id = NULL;
    if (!fault_scope(request, &id, reply)) {
        return;
    }
    const char *mode = hub_json_string(request, "mode");
    struct hub_fault fault = {HUB_FAULT_NORMAL, DEFAULT_FAULT_DELAY_MS};
    if (mode != NULL && strcmp(mode, "drop") == 0) {
        fault.mode = HUB_FAULT_DROP;
    } else if (mode != NULL && strcmp(mode, "delay") == 0) {
        fault.mode = HUB_FAULT_DELAY;
    } else if (mode == NULL || strcmp(mode, "normal") != 0) {
        hub_reply_error(reply, 400, "mode must be \"normal\", \"drop\" or \"delay\"");
        return;
    }
    if (!int_field(request, "delayMs", 0, MAX_FAULT_DELAY_MS, &fault.delay_ms)) {
        hub_reply_error(reply, 400, "delayMs must be 0..%d", MAX_FAULT_DELAY_MS);
        return;
    }
    if (hub_faults_set(&e->faults, id, target, fault) != 0) {
        hub_reply_error(reply, 500, "out of memory");
        return;
    }
    hub_engine_log(e, HUB_LOG_NOTICE, "fault: %s %s for %s (%ld ms)",
                   target == HUB_FAULT_TWIN ? "twin answers" : "method requests", mode,
                   id != NULL ? id : "every device", fault.delay_ms);
    reply->status = 204;
}

static void op_fault_twin(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    set_fault(e, request, HUB_FAULT_TWIN, reply);
}

static void op_fault_method(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    set_fault(e, request, HUB_FAULT_METHOD, reply);
}

static void op_fault_throttle(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *id = NULL;
    long rates[HUB_RATE_KINDS] = {-1, -1};
    static const char *const names[HUB_RATE_KINDS] = {"twinPerSecond", "telemetryPerSecond"};
    if (!fault_scope(request, &id, reply)) {
        return;
    }
    for (int k = 0; k < HUB_RATE_KINDS; k++) {
        if (!int_field(request, names[k], 0, MAX_RATE, &rates[k])) {
            hub_reply_error(reply, 400, "%s must be 0..%d (0 = unlimited)", names[k], MAX_RATE);
            return;
        }
    }
    for (int k = 0; k < HUB_RATE_KINDS; k++) {
        if (rates[k] >= 0 &&
            hub_faults_set_rate(&e->faults, id, (enum hub_rate_kind)k, rates[k]) != 0) {
            hub_reply_error(reply, 500, "out of memory");
            return;
        }
    }
    hub_engine_log(e, HUB_LOG_NOTICE, "throttle for %s: twin %ld/s, telemetry %ld/s (-1: as was)",
                   id != NULL ? id : "the hub", rates[HUB_RATE_TWIN], rates[HUB_RATE_TELEMETRY]);
    reply->status = 204;
}

static void op_fault_clock(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    long advance = -1;
    if (!int_field(request, "advanceSeconds", 0, MAX_CLOCK_ADVANCE_S, &advance) || advance < 0) {
        hub_reply_error(reply, 400, "advanceSeconds must be 0..%ld", MAX_CLOCK_ADVANCE_S);
        return;
    }
    e->clock_offset_ms += advance * 1000L;
    hub_engine_log(e, HUB_LOG_NOTICE, "clock moved forward %ld s (now %lld s ahead)", advance,
                   e->clock_offset_ms / 1000);
    reply->status = 200;
    reply->body = cJSON_CreateObject();
    if (reply->body != NULL) {
        cJSON_AddNumberToObject(reply->body, "offsetSeconds", (double)(e->clock_offset_ms / 1000));
    }
}

// ---- dispatch ----

typedef void (*op_fn)(struct hub_engine *e, const cJSON *request, struct hub_reply *reply);

static const struct {
    const char *name;
    op_fn fn;
} ops[] = {
    {"twin-get", hub_op_twin_get},         {"twin-patch", hub_op_twin_patch},
    {"c2d-send", hub_op_c2d_send},         {"device-add", op_device_add},
    {"device-get", op_device_get},         {"device-list", op_device_list},
    {"device-update", op_device_update},   {"device-remove", op_device_remove},
    {"telemetry-read", op_telemetry_read}, {"connection-state", op_connection_state},
    {"fault-kick", op_fault_kick},         {"fault-twin", op_fault_twin},
    {"fault-method", op_fault_method},     {"fault-throttle", op_fault_throttle},
    {"fault-clock", op_fault_clock},
};

void hub_service_request(struct hub_engine *e, const char *client_id, const char *op,
                         const char *rid, const void *payload, size_t payload_len) {
    struct hub_caller caller;
    snprintf(caller.client_id, sizeof caller.client_id, "%s", client_id);
    snprintf(caller.rid, sizeof caller.rid, "%s", rid);
    struct hub_reply reply = {.status = 500};
    // Operations read what devices sent (telemetry, last activity) from the store: it must have
    // everything acknowledged so far.
    if (hub_ingest_flush(e->ingest) != HUB_STORE_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "cannot move telemetry into the store: %s",
                       hub_ingest_error(e->ingest));
    }
    cJSON *request = payload_len > 0 ? cJSON_ParseWithLength(payload, payload_len) : NULL;
    if (!cJSON_IsObject(request)) {
        hub_reply_error(&reply, 400, "the request body must be a JSON object");
    } else if (strcmp(op, "method-invoke") == 0) {
        hub_op_method_invoke(e, &caller, request, &reply);
    } else {
        size_t i = 0;
        while (i < sizeof ops / sizeof ops[0] && strcmp(ops[i].name, op) != 0) {
            i++;
        }
        if (i < sizeof ops / sizeof ops[0]) {
            ops[i].fn(e, request, &reply);
        } else {
            hub_reply_error(&reply, 400, "unknown operation %s", op);
        }
    }
    cJSON_Delete(request);
    if (reply.deferred) {
        cJSON_Delete(reply.body);
        return;
    }
    hub_engine_answer(e, &caller, reply.status, reply.body);
}
