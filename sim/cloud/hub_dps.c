// SPDX-License-Identifier: MIT
// The local DPS's registration state machine (see hub_dps.h). Operations live in memory only:
// they last seconds, and a client whose operation was lost to a broker restart gets 404 on its
// next poll and registers again, as it would after a DPS failover. What must outlive the broker,
// the enrollments and the registration records, is in SQLite (hub_enrollments.h).

#include "cloud/hub_dps.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#define ERR_BAD_REQUEST 400004
#define ERR_UNAUTHORIZED 401002
#define ERR_NO_OPERATION 404002
#define ERR_INTERNAL 500001

struct hub_dps_operation {
    bool used;
    char id[HUB_DPS_OPERATION_ID_SIZE];
    struct hub_dps_identity identity;
    long long created_ms;
    int polls_left;
    char *payload;  // the device's "payload" as JSON text; NULL when it sent none
    char *result;   // the final body once decided, so later polls get the same answer
};

struct hub_dps_session {
    char client_id[HUB_MAX_ID + 1];
    const void *client;
    struct hub_dps_identity identity;
};

struct hub_dps {
    struct hub_enrollments *enrollments;
    char id_scope[64];
    char hub_hostname[256];
    int assigning_polls;
    long long assign_delay_ms;
    int retry_after_s;
    struct hub_dps_operation operations[HUB_DPS_MAX_OPERATIONS];
    struct hub_dps_session *sessions;
    size_t session_count;
    size_t session_capacity;
};

// ---- lifecycle ----

static bool scope_valid(const char *scope) {
    size_t n = strnlen(scope, 64);
    if (n == 0 || n >= 64) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = scope[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

int hub_dps_open(const struct hub_dps_options *options, struct hub_dps **out_dps, char *err,
                 size_t err_size) {
    *out_dps = NULL;
    const char *scope = options->id_scope != NULL && options->id_scope[0] != '\0'
                            ? options->id_scope
                            : HUB_DPS_DEFAULT_ID_SCOPE;
    if (options->db_path == NULL || options->db_path[0] == '\0' || options->hub_hostname == NULL ||
        options->hub_hostname[0] == '\0') {
        snprintf(err, err_size, "DPS needs the hub database and the hub's host name");
        return -1;
    }
    if (!scope_valid(scope)) {
        snprintf(err, err_size, "DPS id scope '%.64s' is not 1-63 letters and digits", scope);
        return -1;
    }
    struct hub_dps *dps = calloc(1, sizeof *dps);
    if (dps == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    snprintf(dps->id_scope, sizeof dps->id_scope, "%s", scope);
    int n = snprintf(dps->hub_hostname, sizeof dps->hub_hostname, "%s", options->hub_hostname);
    if (n < 0 || (size_t)n >= sizeof dps->hub_hostname) {
        snprintf(err, err_size, "hub host name too long");
        free(dps);
        return -1;
    }
    dps->assigning_polls =
        options->assigning_polls < 0 ? HUB_DPS_DEFAULT_ASSIGNING_POLLS : options->assigning_polls;
    dps->assign_delay_ms = options->assign_delay_ms > 0 ? options->assign_delay_ms : 0;
    dps->retry_after_s =
        options->retry_after_s > 0 ? options->retry_after_s : HUB_DPS_DEFAULT_RETRY_AFTER_S;
    if (hub_enrollments_open(options->db_path, &dps->enrollments, err, err_size) !=
        HUB_ENROLLMENT_OK) {
        free(dps);
        return -1;
    }
    *out_dps = dps;
    return 0;
}

static void operation_clear(struct hub_dps_operation *op) {
    free(op->payload);
    free(op->result);
    memset(op, 0, sizeof *op);
}

void hub_dps_close(struct hub_dps *dps) {
    if (dps == NULL) {
        return;
    }
    for (size_t i = 0; i < HUB_DPS_MAX_OPERATIONS; i++) {
        operation_clear(&dps->operations[i]);
    }
    hub_enrollments_close(dps->enrollments);
    free(dps->sessions);
    free(dps);
}

struct hub_enrollments *hub_dps_enrollments(struct hub_dps *dps) {
    return dps->enrollments;
}

const char *hub_dps_id_scope(const struct hub_dps *dps) {
    return dps->id_scope;
}

void hub_dps_response_free(struct hub_dps_response *response) {
    if (response == NULL) {
        return;
    }
    free(response->body);
    response->body = NULL;
    response->body_len = 0;
}

// ---- responses ----

// Fills out with status, the topic for rid and body (taken over and deleted). Returns HUB_OK, or
// HUB_ERR_INTERNAL when out of memory, HUB_ERR_INVALID when rid cannot go into a topic.
static enum hub_result respond(struct hub_dps_response *out, int status, const char *rid,
                               int retry_after, cJSON *body) {
    enum hub_result result = HUB_ERR_INTERNAL;
    char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
    if (text == NULL) {
        goto out;
    }
    if (hub_topic_dps_response(out->topic, sizeof out->topic, status, rid, retry_after) < 0) {
        result = HUB_ERR_INVALID;
        goto out;
    }
    out->status = status;
    out->qos = HUB_DPS_RESPONSE_QOS;
    out->body_len = strlen(text);
    // cJSON's allocator is malloc unless someone installs hooks, which nothing here does; a copy
    // keeps free() correct either way.
    out->body = strdup(text);
    result = out->body != NULL ? HUB_OK : HUB_ERR_INTERNAL;
out:
    cJSON_free(text);
    cJSON_Delete(body);
    return result;
}

__attribute__((format(printf, 5, 6))) static enum hub_result respond_error(
    struct hub_dps_response *out, const char *rid, long long now_ms, int error_code,
    const char *fmt, ...) {
    char message[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    char tracking[HUB_STORE_GUID_SIZE];
    char timestamp[HUB_DPS_TIME_SIZE];
    hub_store_guid(tracking);
    hub_dps_format_time(now_ms, timestamp);
    cJSON *body = cJSON_CreateObject();
    if (body == NULL || cJSON_AddNumberToObject(body, "errorCode", error_code) == NULL ||
        cJSON_AddStringToObject(body, "trackingId", tracking) == NULL ||
        cJSON_AddStringToObject(body, "message", message) == NULL ||
        cJSON_AddStringToObject(body, "timestampUtc", timestamp) == NULL) {
        cJSON_Delete(body);
        return HUB_ERR_INTERNAL;
    }
    snprintf(out->log, sizeof out->log, "%d: %.200s", error_code, message);
    return respond(out, error_code / 1000, rid, -1, body);
}

// ---- operations ----

// "4.{16 hex}.{GUID}", the shape DPS operation ids have; opaque to clients.
static int new_operation_id(char out[HUB_DPS_OPERATION_ID_SIZE]) {
    unsigned char bytes[8];
    char guid[HUB_STORE_GUID_SIZE];
    if (RAND_bytes(bytes, sizeof bytes) != 1 || hub_store_guid(guid) != 0) {
        return -1;
    }
    int n = snprintf(out, HUB_DPS_OPERATION_ID_SIZE, "4.");
    for (size_t i = 0; i < sizeof bytes; i++) {
        n += snprintf(out + n, HUB_DPS_OPERATION_ID_SIZE - (size_t)n, "%02x", bytes[i]);
    }
    snprintf(out + n, HUB_DPS_OPERATION_ID_SIZE - (size_t)n, ".%s", guid);
    return 0;
}

// A free slot, after forgetting operations nobody polled for HUB_DPS_OPERATION_TTL_MS; when all
// are in use, the oldest goes (its client gets 404 and registers again).
static struct hub_dps_operation *operation_slot(struct hub_dps *dps, long long now_ms) {
    struct hub_dps_operation *free_slot = NULL;
    struct hub_dps_operation *oldest = &dps->operations[0];
    for (size_t i = 0; i < HUB_DPS_MAX_OPERATIONS; i++) {
        struct hub_dps_operation *op = &dps->operations[i];
        if (op->used && now_ms - op->created_ms > HUB_DPS_OPERATION_TTL_MS) {
            operation_clear(op);
        }
        if (!op->used && free_slot == NULL) {
            free_slot = op;
        }
        if (op->used && op->created_ms < oldest->created_ms) {
            oldest = op;
        }
    }
    if (free_slot != NULL) {
        return free_slot;
    }
    operation_clear(oldest);
    return oldest;
}

static struct hub_dps_operation *operation_find(struct hub_dps *dps, const char *id,
                                                const char *registration_id) {
    for (size_t i = 0; i < HUB_DPS_MAX_OPERATIONS; i++) {
        struct hub_dps_operation *op = &dps->operations[i];
        if (op->used && strcmp(op->id, id) == 0 &&
            strcmp(op->identity.registration_id, registration_id) == 0) {
            return op;
        }
    }
    return NULL;
}

// ---- register ----

static enum hub_result handle_register(struct hub_dps *dps, const struct hub_dps_request *request,
                                       struct hub_dps_response *out) {
    const char *rid = request->topic->request_id;
    const char *registration_id = request->identity->registration_id;
    if (request->payload_len > HUB_DPS_MAX_REQUEST_BYTES) {
        return respond_error(out, rid, request->now_ms, ERR_BAD_REQUEST,
                             "request body larger than %d bytes", HUB_DPS_MAX_REQUEST_BYTES);
    }
    cJSON *body = cJSON_ParseWithLength(request->payload, request->payload_len);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(body, "registrationId");
    enum hub_result result = HUB_OK;
    if (!cJSON_IsObject(body) || !cJSON_IsString(id)) {
        result = respond_error(out, rid, request->now_ms, ERR_BAD_REQUEST,
                               "the body must be a JSON object with a registrationId");
        goto out;
    }
    if (strcmp(id->valuestring, registration_id) != 0) {
        result = respond_error(out, rid, request->now_ms, ERR_BAD_REQUEST,
                               "registrationId %.*s is not the connected registration %s",
                               HUB_MAX_ID, id->valuestring, registration_id);
        goto out;
    }
    struct hub_dps_operation *op = operation_slot(dps, request->now_ms);
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(body, "payload");
    if (payload != NULL && !cJSON_IsNull(payload)) {
        op->payload = cJSON_PrintUnformatted(payload);
        if (op->payload == NULL) {
            result = HUB_ERR_INTERNAL;
            goto out;
        }
    }
    if (new_operation_id(op->id) != 0) {
        operation_clear(op);
        result = respond_error(out, rid, request->now_ms, ERR_INTERNAL, "no random numbers");
        goto out;
    }
    op->used = true;
    op->identity = *request->identity;
    op->created_ms = request->now_ms;
    op->polls_left = dps->assigning_polls;
    cJSON *answer = cJSON_CreateObject();
    if (answer == NULL || cJSON_AddStringToObject(answer, "operationId", op->id) == NULL ||
        cJSON_AddStringToObject(answer, "status", "assigning") == NULL) {
        cJSON_Delete(answer);
        result = HUB_ERR_INTERNAL;
        goto out;
    }
    snprintf(out->log, sizeof out->log, "registration %s: operation %s assigning", registration_id,
             op->id);
    result = respond(out, 202, rid, dps->retry_after_s, answer);
out:
    cJSON_Delete(body);
    return result;
}

// ---- assignment ----

// The hub keys a device proves itself with: the individual enrollment's, or the group's derived
// for this registration id. "" for X.509.
static int device_keys(const struct hub_enrollment *enrollment, const char *registration_id,
                       struct hub_device *device) {
    if (enrollment->attestation == HUB_ATTESTATION_X509) {
        return 0;
    }
    if (enrollment->kind == HUB_ENROLLMENT_INDIVIDUAL) {
        snprintf(device->primary_key, sizeof device->primary_key, "%s", enrollment->primary_key);
        snprintf(device->secondary_key, sizeof device->secondary_key, "%s",
                 enrollment->secondary_key);
        return 0;
    }
    if (hub_enrollment_derive_device_key(enrollment->primary_key, registration_id,
                                         device->primary_key, sizeof device->primary_key) != 0) {
        return -1;
    }
    if (enrollment->secondary_key[0] != '\0' &&
        hub_enrollment_derive_device_key(enrollment->secondary_key, registration_id,
                                         device->secondary_key,
                                         sizeof device->secondary_key) != 0) {
        return -1;
    }
    return 0;
}

// Puts the device in the hub registry with wanted's credentials. A device already there with
// other credentials is registered again with the new ones, keeping its twin and status, which is
// what DPS's default reprovisioning ("migrate data") does. Returns 0 or -1 with err set.
static int ensure_device(struct hub_store *store, struct hub_device *wanted, char *err,
                         size_t err_size) {
    struct hub_device current;
    enum hub_store_result found = hub_store_device_get(store, wanted->device_id, &current);
    if (found == HUB_STORE_OK && current.auth == wanted->auth &&
        strcmp(current.primary_key, wanted->primary_key) == 0 &&
        strcmp(current.secondary_key, wanted->secondary_key) == 0) {
        return 0;
    }
    if (found != HUB_STORE_OK && found != HUB_STORE_ERR_NOT_FOUND) {
        snprintf(err, err_size, "registry: %s", hub_store_error(store));
        return -1;
    }
    char *twin = NULL;
    int rc = -1;
    if (found == HUB_STORE_OK) {
        wanted->enabled = current.enabled;
        if (hub_store_twin_get(store, wanted->device_id, &twin) == HUB_STORE_ERR_IO ||
            hub_store_device_remove(store, wanted->device_id) != HUB_STORE_OK) {
            snprintf(err, err_size, "registry: %s", hub_store_error(store));
            goto out;
        }
    }
    if (hub_store_device_add(store, wanted) != HUB_STORE_OK ||
        (twin != NULL && hub_store_twin_put(store, wanted->device_id, twin) != HUB_STORE_OK)) {
        snprintf(err, err_size, "registry: %s", hub_store_error(store));
        goto out;
    }
    rc = 0;
out:
    free(twin);
    OPENSSL_cleanse(&current, sizeof current);
    return rc;
}

// registrationState for a device that was not assigned ("disabled" or "failed").
// A broker log line: longer ones are cut to the caller's buffer on purpose, since a log line is
// only for people and the ids in it are already bounded.
__attribute__((format(printf, 3, 4))) static void log_line(char *log, size_t log_size,
                                                           const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(log, log_size, fmt, args);
    va_end(args);
    if (n < 0 && log_size > 0) {
        log[0] = '\0';
    }
}

static cJSON *unassigned_state(const char *registration_id, const char *status, int error_code,
                               const char *message, const char *now) {
    cJSON *state = cJSON_CreateObject();
    if (state == NULL ||
        cJSON_AddStringToObject(state, "registrationId", registration_id) == NULL ||
        cJSON_AddStringToObject(state, "createdDateTimeUtc", now) == NULL ||
        cJSON_AddStringToObject(state, "status", status) == NULL ||
        cJSON_AddNumberToObject(state, "errorCode", error_code) == NULL ||
        cJSON_AddStringToObject(state, "errorMessage", message) == NULL ||
        cJSON_AddStringToObject(state, "lastUpdatedDateTimeUtc", now) == NULL) {
        cJSON_Delete(state);
        return NULL;
    }
    return state;
}

static cJSON *assigned_state(const struct hub_dps_registration *registration, const char *payload) {
    cJSON *state = cJSON_CreateObject();
    bool ok =
        state != NULL &&
        cJSON_AddStringToObject(state, "registrationId", registration->registration_id) != NULL &&
        cJSON_AddStringToObject(state, "createdDateTimeUtc", registration->created_time) != NULL &&
        cJSON_AddStringToObject(state, "assignedHub", registration->assigned_hub) != NULL &&
        cJSON_AddStringToObject(state, "deviceId", registration->device_id) != NULL &&
        cJSON_AddStringToObject(state, "status", "assigned") != NULL &&
        cJSON_AddStringToObject(state, "substatus", registration->substatus) != NULL &&
        cJSON_AddStringToObject(state, "lastUpdatedDateTimeUtc", registration->updated_time) !=
            NULL &&
        cJSON_AddStringToObject(state, "etag", registration->etag) != NULL;
    // The device's own payload comes back, as from an allocation that passes it through.
    if (ok && payload != NULL) {
        cJSON *copy = cJSON_Parse(payload);
        ok = copy != NULL && cJSON_AddItemToObject(state, "payload", copy);
        if (!ok) {
            cJSON_Delete(copy);
        }
    }
    if (!ok) {
        cJSON_Delete(state);
        return NULL;
    }
    return state;
}

// Writes the registry entry and the registration record for an enabled enrollment. Returns 0,
// or -1 with why set.
static int record_assignment(struct hub_dps *dps, struct hub_store *store,
                             const struct hub_dps_identity *who,
                             const struct hub_enrollment *enrollment, const char *now,
                             struct hub_dps_registration *out, char *why, size_t why_size) {
    enum hub_enrollment_result had =
        hub_dps_registration_get(dps->enrollments, who->registration_id, out);
    if (had != HUB_ENROLLMENT_OK && had != HUB_ENROLLMENT_ERR_NOT_FOUND) {
        snprintf(why, why_size, "enrollments: %s", hub_enrollments_error(dps->enrollments));
        return -1;
    }
    struct hub_device device = {
        .auth = who->attestation == HUB_ATTESTATION_X509 ? HUB_AUTH_X509 : HUB_AUTH_SAS,
        .enabled = true,
    };
    snprintf(device.device_id, sizeof device.device_id, "%s", who->registration_id);
    int rc = -1;
    if (device_keys(enrollment, who->registration_id, &device) != 0) {
        snprintf(why, why_size, "enrollment %s has an unusable key", enrollment->id);
        goto out;
    }
    if (ensure_device(store, &device, why, why_size) != 0) {
        goto out;
    }
    bool first = had == HUB_ENROLLMENT_ERR_NOT_FOUND;
    if (first) {
        memset(out, 0, sizeof *out);
        snprintf(out->created_time, sizeof out->created_time, "%s", now);
    }
    snprintf(out->registration_id, sizeof out->registration_id, "%s", who->registration_id);
    out->enrollment_kind = who->enrollment_kind;
    snprintf(out->enrollment_id, sizeof out->enrollment_id, "%s", who->enrollment_id);
    snprintf(out->device_id, sizeof out->device_id, "%s", who->registration_id);
    snprintf(out->assigned_hub, sizeof out->assigned_hub, "%s", dps->hub_hostname);
    // One hub only, so a device registering again lands where it was before.
    snprintf(out->substatus, sizeof out->substatus, "%s",
             first ? "initialAssignment" : "reprovisionedToInitialAssignment");
    snprintf(out->updated_time, sizeof out->updated_time, "%s", now);
    if (hub_dps_new_etag(out->etag) != 0 ||
        hub_dps_registration_put(dps->enrollments, out) != HUB_ENROLLMENT_OK) {
        snprintf(why, why_size, "registration record: %s", hub_enrollments_error(dps->enrollments));
        goto out;
    }
    rc = 0;
out:
    OPENSSL_cleanse(&device, sizeof device);
    return rc;
}

// Decides the operation: assigns the device (registry and registration record) or says why not.
// Returns the registrationState and sets *out_status ("assigned", "disabled", "failed"); NULL
// when out of memory.
static cJSON *assign(struct hub_dps *dps, struct hub_store *store,
                     const struct hub_dps_operation *op, long long now_ms, const char **out_status,
                     char *log, size_t log_size) {
    const struct hub_dps_identity *who = &op->identity;
    char now[HUB_DPS_TIME_SIZE];
    hub_dps_format_time(now_ms, now);
    // Read again: the enrollment may have been disabled or removed since the CONNECT.
    struct hub_enrollment enrollment;
    enum hub_enrollment_result found =
        hub_enrollment_get(dps->enrollments, who->enrollment_kind, who->enrollment_id, &enrollment);
    struct hub_dps_registration registration;
    char why[384] = "";
    cJSON *state = NULL;
    if (found == HUB_ENROLLMENT_ERR_NOT_FOUND ||
        (found == HUB_ENROLLMENT_OK && !enrollment.enabled)) {
        bool removed = found == HUB_ENROLLMENT_ERR_NOT_FOUND;
        *out_status = removed ? "failed" : "disabled";
        log_line(log, log_size, "registration %s: enrollment %s is %s", who->registration_id,
                 who->enrollment_id, removed ? "gone" : "disabled");
        state = unassigned_state(
            who->registration_id, *out_status, ERR_UNAUTHORIZED,
            removed ? "The enrollment no longer exists." : "The enrollment is disabled.", now);
        goto out;
    }
    if (found != HUB_ENROLLMENT_OK) {
        snprintf(why, sizeof why, "enrollments: %s", hub_enrollments_error(dps->enrollments));
    } else {
        record_assignment(dps, store, who, &enrollment, now, &registration, why, sizeof why);
    }
    if (why[0] != '\0') {
        *out_status = "failed";
        log_line(log, log_size, "registration %s failed: %.200s", who->registration_id, why);
        state = unassigned_state(who->registration_id, "failed", ERR_INTERNAL,
                                 "The device could not be assigned to the hub.", now);
        goto out;
    }
    *out_status = "assigned";
    log_line(log, log_size, "registration %s assigned to %s (%s, %s)", who->registration_id,
             dps->hub_hostname, hub_attestation_name(who->attestation), registration.substatus);
    state = assigned_state(&registration, op->payload);
out:
    OPENSSL_cleanse(&enrollment, sizeof enrollment);
    return state;
}

// ---- poll ----

static enum hub_result handle_poll(struct hub_dps *dps, struct hub_store *store,
                                   const struct hub_dps_request *request,
                                   struct hub_dps_response *out) {
    const char *rid = request->topic->request_id;
    const char *registration_id = request->identity->registration_id;
    struct hub_dps_operation *op =
        operation_find(dps, request->topic->operation_id, registration_id);
    if (op == NULL) {
        return respond_error(out, rid, request->now_ms, ERR_NO_OPERATION,
                             "operation %.*s not found", HUB_DPS_OPERATION_ID_SIZE,
                             request->topic->operation_id);
    }
    if (op->result == NULL &&
        (op->polls_left > 0 || request->now_ms - op->created_ms < dps->assign_delay_ms)) {
        if (op->polls_left > 0) {
            op->polls_left--;
        }
        cJSON *answer = cJSON_CreateObject();
        cJSON *state = cJSON_AddObjectToObject(answer, "registrationState");
        if (state == NULL || cJSON_AddStringToObject(answer, "operationId", op->id) == NULL ||
            cJSON_AddStringToObject(answer, "status", "assigning") == NULL ||
            cJSON_AddStringToObject(state, "registrationId", registration_id) == NULL ||
            cJSON_AddStringToObject(state, "status", "assigning") == NULL) {
            cJSON_Delete(answer);
            return HUB_ERR_INTERNAL;
        }
        return respond(out, 202, rid, dps->retry_after_s, answer);
    }
    if (op->result == NULL) {
        const char *status = "failed";
        cJSON *state = assign(dps, store, op, request->now_ms, &status, out->log, sizeof out->log);
        cJSON *answer = cJSON_CreateObject();
        if (state == NULL || answer == NULL ||
            cJSON_AddStringToObject(answer, "operationId", op->id) == NULL ||
            cJSON_AddStringToObject(answer, "status", status) == NULL ||
            !cJSON_AddItemToObject(answer, "registrationState", state)) {
            cJSON_Delete(answer);
            cJSON_Delete(state);
            return HUB_ERR_INTERNAL;
        }
        op->result = cJSON_PrintUnformatted(answer);
        cJSON_Delete(answer);
        if (op->result == NULL) {
            return HUB_ERR_INTERNAL;
        }
    }
    return respond(out, 200, rid, -1, cJSON_Parse(op->result));
}

enum hub_result hub_dps_handle(struct hub_dps *dps, struct hub_store *store,
                               const struct hub_dps_request *request,
                               struct hub_dps_response *out) {
    memset(out, 0, sizeof *out);
    if (request->identity == NULL || request->topic == NULL ||
        request->identity->registration_id[0] == '\0' ||
        !hub_is_valid_request_id(request->topic->request_id)) {
        return HUB_ERR_INVALID;
    }
    if (request->topic->kind == HUB_PUB_DPS_REGISTER) {
        return handle_register(dps, request, out);
    }
    if (request->topic->kind == HUB_PUB_DPS_POLL) {
        return handle_poll(dps, store, request, out);
    }
    return HUB_ERR_INVALID;
}

// ---- connections ----

static struct hub_dps_session *session_find(const struct hub_dps *dps, const char *client_id) {
    for (size_t i = 0; i < dps->session_count; i++) {
        if (strcmp(dps->sessions[i].client_id, client_id) == 0) {
            return &dps->sessions[i];
        }
    }
    return NULL;
}

enum hub_result hub_dps_connect(struct hub_dps *dps, const void *client,
                                const struct hub_dps_connect_request *request, char *reason,
                                size_t reason_size) {
    struct hub_dps_connect_request ours = *request;
    ours.id_scope = dps->id_scope;
    struct hub_dps_identity identity;
    enum hub_result result =
        hub_dps_auth_connect(dps->enrollments, &ours, &identity, reason, reason_size);
    if (result != HUB_OK) {
        return result;
    }
    struct hub_dps_session *session = session_find(dps, identity.registration_id);
    if (session == NULL) {
        if (dps->session_count == dps->session_capacity) {
            size_t capacity = dps->session_capacity == 0 ? 8 : dps->session_capacity * 2;
            void *grown = realloc(dps->sessions, capacity * sizeof dps->sessions[0]);
            if (grown == NULL) {
                snprintf(reason, reason_size, "out of memory");
                return HUB_ERR_INTERNAL;
            }
            dps->sessions = grown;
            dps->session_capacity = capacity;
        }
        session = &dps->sessions[dps->session_count++];
    }
    snprintf(session->client_id, sizeof session->client_id, "%s", identity.registration_id);
    session->client = client;
    session->identity = identity;
    return HUB_OK;
}

void hub_dps_disconnect(struct hub_dps *dps, const void *client, const char *client_id) {
    if (client_id == NULL) {
        return;
    }
    struct hub_dps_session *session = session_find(dps, client_id);
    if (session == NULL || (client != NULL && session->client != client)) {
        return;  // a replaced connection ending: the current one stays
    }
    *session = dps->sessions[--dps->session_count];
}

bool hub_dps_is_client(const struct hub_dps *dps, const char *client_id) {
    return client_id != NULL && session_find(dps, client_id) != NULL;
}

enum hub_result hub_dps_message(struct hub_dps *dps, struct hub_store *store, const char *client_id,
                                const char *topic, const void *payload, size_t payload_len,
                                long long now_ms, struct hub_dps_response *out) {
    memset(out, 0, sizeof *out);
    const struct hub_dps_session *session = client_id != NULL ? session_find(dps, client_id) : NULL;
    struct hub_publish_topic classified;
    if (session == NULL || !hub_dps_may_publish(client_id, topic, &classified)) {
        return HUB_ERR_INVALID;
    }
    struct hub_dps_request request = {
        .identity = &session->identity,
        .topic = &classified,
        .payload = payload,
        .payload_len = payload_len,
        .now_ms = now_ms,
    };
    return hub_dps_handle(dps, store, &request, out);
}
