// SPDX-License-Identifier: MIT
// Routing and mapping for the hub's service REST API (see hub_rest.h). Every field a client sends
// is checked here, before anything reaches the broker, so a bad request costs no round trip and
// the plugin only ever sees well-formed operations. Range limits follow IoT Hub's documented ones
// (shared/reference/iothub-mqtt-protocol.md); identifiers use the same rules as the device side
// (hub_protocol.h) so the service cannot create something a device could never name.
#include "cloud/hub_rest.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_protocol.h"

#define MAX_SEGMENTS 5
#define MAX_TEXT 512
#define MAX_SYSTEM_ID 128             /* messageId, correlationId */
#define MAX_DELAY_MS 600000           /* fault delays: ten minutes is past any method timeout */
#define MAX_RATE 100000               /* throttle rates per second */
#define MAX_CURSOR 9007199254740991.0 /* 2^53 - 1: the largest integer a JSON number keeps */

static const char id_rule[] =
    "1 to 128 characters of A-Z a-z 0-9 and - . % _ * ? ! ( ) , : = @ $ '";

struct segment {
    const char *start;
    size_t len;
};

struct path {
    size_t count;
    struct segment seg[MAX_SEGMENTS];
};

// Splits "/a/b/c" into segments. False for a path that cannot match any route: no leading '/',
// an empty segment ("//", trailing '/'), or more segments than any route has.
static bool split_path(const char *path, struct path *out) {
    memset(out, 0, sizeof(*out));
    if (path == NULL || path[0] != '/') {
        return false;
    }
    const char *p = path + 1;
    while (true) {
        const char *slash = strchr(p, '/');
        size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
        if (len == 0 || out->count == MAX_SEGMENTS) {
            return false;
        }
        out->seg[out->count].start = p;
        out->seg[out->count].len = len;
        out->count++;
        if (slash == NULL) {
            return true;
        }
        p = slash + 1;
    }
}

static bool seg_is(const struct path *path, size_t i, const char *literal) {
    return i < path->count && path->seg[i].len == strlen(literal) &&
           memcmp(path->seg[i].start, literal, path->seg[i].len) == 0;
}

static bool shape_is(const struct path *path, size_t count, const char *const literals[4]) {
    if (path->count != count) {
        return false;
    }
    for (size_t i = 0; i < count && i < 4; i++) {
        if (literals[i] != NULL && !seg_is(path, i, literals[i])) {
            return false;
        }
    }
    return true;
}

// IoT Hub's error code names for the statuses the service answers with.
static const struct {
    int status;
    const char *code;
} codes[] = {
    {400, "ArgumentInvalid"},    {401, "IotHubUnauthorizedAccess"}, {403, "IotHubQuotaExceeded"},
    {404, "DeviceNotFound"},     {405, "MethodNotAllowed"},         {409, "DeviceAlreadyExists"},
    {412, "PreconditionFailed"}, {413, "MessageTooLarge"},          {429, "ThrottlingException"},
    {502, "BadGateway"},         {503, "ServiceUnavailable"},       {504, "GatewayTimeout"},
};

static const char *default_code(int status) {
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        if (codes[i].status == status) {
            return codes[i].code;
        }
    }
    return status >= 500 ? "ServerError" : "Error";
}

enum hub_result hub_rest_error(int status, const char *code, const char *text,
                               struct hub_rest_response *out) {
    if (text == NULL || out == NULL) {
        return HUB_ERR_INVALID;
    }
    memset(out, 0, sizeof(*out));
    char message[MAX_TEXT + 64];
    snprintf(message, sizeof(message), "ErrorCode:%s;%s",
             code != NULL ? code : default_code(status), text);
    cJSON *doc = cJSON_CreateObject();
    if (doc == NULL || cJSON_AddStringToObject(doc, "Message", message) == NULL ||
        cJSON_AddStringToObject(doc, "ExceptionMessage", text) == NULL) {
        cJSON_Delete(doc);
        return HUB_ERR_INTERNAL;
    }
    out->body = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (out->body == NULL) {
        return HUB_ERR_INTERNAL;
    }
    out->status = status;
    return HUB_OK;
}

// Turns the route into a refusal. Returns false so validators can `return refuse(...)`; a route
// whose body could not be allocated is left with a NULL body and status 500.
__attribute__((format(printf, 4, 5))) static bool refuse(struct hub_rest_route *out, int status,
                                                         const char *code, const char *fmt, ...) {
    char text[MAX_TEXT];
    va_list args;
    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);
    struct hub_rest_response response;
    free(out->body);
    out->body = NULL;
    out->action = HUB_REST_RESPOND;
    if (hub_rest_error(status, code, text, &response) != HUB_OK) {
        out->status = 500;
        return false;
    }
    out->status = response.status;
    out->body = response.body;
    return false;
}

// Copies the device id in a path segment into id, refusing (400) one that breaks IoT Hub's rules.
static bool take_device_id(const struct segment *seg, struct hub_rest_route *out,
                           char id[HUB_MAX_ID + 1]) {
    if (seg->len > HUB_MAX_ID) {
        return refuse(out, 400, NULL, "deviceId in the path is too long: a device id is %s",
                      id_rule);
    }
    memcpy(id, seg->start, seg->len);
    id[seg->len] = '\0';
    if (!hub_is_valid_device_id(id)) {
        return refuse(out, 400, NULL, "deviceId in the path is not a valid device id: %s", id_rule);
    }
    return true;
}

// Parses the request body as a JSON object. An empty body is {} when empty_ok, else refused.
static cJSON *parse_object(const struct hub_rest_request *req, bool empty_ok,
                           struct hub_rest_route *out) {
    if (req->body_len == 0 || req->body == NULL) {
        if (empty_ok) {
            return cJSON_CreateObject();
        }
        refuse(out, 400, NULL, "request body is empty: expected a JSON object");
        return NULL;
    }
    if (memchr(req->body, '\0', req->body_len) != NULL) {
        refuse(out, 400, NULL, "request body is not valid JSON: it contains a NUL byte");
        return NULL;
    }
    const char *end = NULL;
    cJSON *doc = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, false);
    if (doc == NULL) {
        size_t at = end != NULL && end >= req->body ? (size_t)(end - req->body) : 0;
        refuse(out, 400, NULL, "request body is not valid JSON (error near byte %zu)", at);
        return NULL;
    }
    while (end < req->body + req->body_len &&
           (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n')) {
        end++;
    }
    if (end != req->body + req->body_len) {
        cJSON_Delete(doc);
        refuse(out, 400, NULL, "request body is not valid JSON: text after the value at byte %zu",
               (size_t)(end - req->body));
        return NULL;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        refuse(out, 400, NULL, "request body must be a JSON object");
        return NULL;
    }
    return doc;
}

static const cJSON *field(const cJSON *obj, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    return cJSON_IsNull(item) ? NULL : item;
}

// An optional integer field in [min, max]; *out keeps its value when the field is absent.
static bool int_field(const cJSON *obj, const char *name, double min, double max, double *out,
                      struct hub_rest_route *route) {
    const cJSON *item = field(obj, name);
    if (item == NULL) {
        return true;
    }
    if (!cJSON_IsNumber(item) || item->valuedouble != floor(item->valuedouble) ||
        item->valuedouble < min || item->valuedouble > max) {
        return refuse(route, 400, NULL, "%s must be an integer from %.0f to %.0f", name, min, max);
    }
    *out = item->valuedouble;
    return true;
}

// An optional string field of 1..max_len bytes; *out is NULL when absent.
static bool string_field(const cJSON *obj, const char *name, size_t max_len, const char **out,
                         struct hub_rest_route *route) {
    const cJSON *item = field(obj, name);
    *out = NULL;
    if (item == NULL) {
        return true;
    }
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0' ||
        strlen(item->valuestring) > max_len) {
        return refuse(route, 400, NULL, "%s must be a string of 1 to %zu characters", name,
                      max_len);
    }
    *out = item->valuestring;
    return true;
}

// An optional string field that must be one of the NULL-terminated choices; label is how the
// refusal names it (a nested field's full path).
static bool enum_field(const cJSON *obj, const char *name, const char *label,
                       const char *const *choices, const char **out, struct hub_rest_route *route) {
    const cJSON *item = field(obj, name);
    *out = NULL;
    if (item == NULL) {
        return true;
    }
    char listed[128] = "";
    size_t used = 0;
    for (size_t i = 0; choices[i] != NULL; i++) {
        if (cJSON_IsString(item) && strcmp(item->valuestring, choices[i]) == 0) {
            *out = choices[i];
            return true;
        }
        int n = snprintf(listed + used, sizeof(listed) - used, "%s\"%s\"", i > 0 ? ", " : "",
                         choices[i]);
        if (n > 0 && (size_t)n < sizeof(listed) - used) {
            used += (size_t)n;
        }
    }
    return refuse(route, 400, NULL, "%s must be one of %s", label, listed);
}

// Makes the route a CALL carrying request (which it takes over). False when out of memory.
static bool call(struct hub_rest_route *out, enum hub_rest_endpoint endpoint, const char *op,
                 cJSON *request, int timeout_ms) {
    out->action = HUB_REST_CALL;
    out->endpoint = endpoint;
    snprintf(out->op, sizeof(out->op), "%s", op);
    out->timeout_ms = timeout_ms;
    out->request_json = request != NULL ? cJSON_PrintUnformatted(request) : NULL;
    cJSON_Delete(request);
    if (out->request_json == NULL) {
        out->action = HUB_REST_RESPOND;
        out->status = 500;
        return false;
    }
    return true;
}

static cJSON *device_request(const char *device_id) {
    cJSON *request = cJSON_CreateObject();
    if (request != NULL && device_id != NULL) {
        cJSON_AddStringToObject(request, "deviceId", device_id);
    }
    return request;
}

// Adds a copy of item under name; cJSON_AddItemToObject takes ownership only on success.
static void add_copy(cJSON *obj, const char *name, const cJSON *item) {
    cJSON *copy = cJSON_Duplicate(item, true);
    if (copy != NULL && !cJSON_AddItemToObject(obj, name, copy)) {
        cJSON_Delete(copy);
    }
}

static bool twin_patch(const char *id, const cJSON *body, struct hub_rest_route *out) {
    const cJSON *tags = field(body, "tags");
    const cJSON *properties = field(body, "properties");
    const cJSON *desired = field(properties, "desired");
    if (tags != NULL && !cJSON_IsObject(tags)) {
        return refuse(out, 400, NULL, "tags must be a JSON object");
    }
    if (properties != NULL && !cJSON_IsObject(properties)) {
        return refuse(out, 400, NULL, "properties must be a JSON object");
    }
    if (field(properties, "reported") != NULL) {
        return refuse(out, 400, NULL,
                      "properties.reported is written by the device, not the service");
    }
    if (desired != NULL && !cJSON_IsObject(desired)) {
        return refuse(out, 400, NULL, "properties.desired must be a JSON object");
    }
    if (tags == NULL && desired == NULL) {
        return refuse(out, 400, NULL, "the patch has neither tags nor properties.desired");
    }
    cJSON *request = device_request(id);
    cJSON *patch = cJSON_AddObjectToObject(request, "patch");
    if (tags != NULL) {
        add_copy(patch, "tags", tags);
    }
    if (desired != NULL) {
        add_copy(cJSON_AddObjectToObject(patch, "properties"), "desired", desired);
    }
    return call(out, HUB_REST_EP_TWIN_PATCH, "twin-patch", request, HUB_REST_DEFAULT_CALL_MS);
}

static bool method_invoke(const char *id, const cJSON *body, struct hub_rest_route *out) {
    const cJSON *name = field(body, "methodName");
    if (name == NULL) {
        return refuse(out, 400, NULL, "methodName is required");
    }
    if (!cJSON_IsString(name) || !hub_is_valid_method_name(name->valuestring)) {
        return refuse(out, 400, NULL,
                      "methodName must be 1 to %d printable ASCII characters other than "
                      "space / ? # + & %%",
                      HUB_MAX_METHOD);
    }
    double response_timeout = 30;
    double connect_timeout = 0;
    if (!int_field(body, "responseTimeoutInSeconds", 5, 300, &response_timeout, out) ||
        !int_field(body, "connectTimeoutInSeconds", 0, 300, &connect_timeout, out)) {
        return false;
    }
    const cJSON *payload = field(body, "payload");
    if (payload != NULL) {
        char *text = cJSON_PrintUnformatted(payload);
        size_t len = text != NULL ? strlen(text) : 0;
        free(text);
        if (len > HUB_REST_MAX_METHOD_PAYLOAD) {
            return refuse(out, 413, NULL, "payload is larger than %d bytes",
                          HUB_REST_MAX_METHOD_PAYLOAD);
        }
    }
    cJSON *request = device_request(id);
    cJSON_AddStringToObject(request, "methodName", name->valuestring);
    if (payload != NULL) {
        add_copy(request, "payload", payload);
    }
    cJSON_AddNumberToObject(request, "responseTimeoutInSeconds", response_timeout);
    cJSON_AddNumberToObject(request, "connectTimeoutInSeconds", connect_timeout);
    // The plugin always answers, at the latest with a 504 once the device's time is up; the
    // margin covers the round trip so that answer is the one the caller sees.
    int timeout_ms = (int)(response_timeout + connect_timeout + 10) * 1000;
    return call(out, HUB_REST_EP_METHOD_INVOKE, "method-invoke", request, timeout_ms);
}

// True when key is canonical base64 of 16 to 64 bytes, the key sizes IoT Hub accepts.
static bool is_base64_key(const char *key) {
    size_t len = strlen(key);
    if (len == 0 || len % 4 != 0 || len > 88) {
        return false;
    }
    size_t pad = 0;
    for (size_t i = 0; i < len; i++) {
        char c = key[i];
        bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (c == '=' && i >= len - 2) {
            pad++;
        } else if ((!alnum && c != '+' && c != '/') || pad > 0) {
            return false;
        }
    }
    size_t bytes = len / 4 * 3 - pad;
    return bytes >= 16 && bytes <= 64;
}

static bool device_put(const char *id, const struct hub_rest_request *req, const cJSON *body,
                       struct hub_rest_route *out) {
    static const char *const statuses[] = {"enabled", "disabled", NULL};
    static const char *const auth_types[] = {"sas", "selfSigned", "certificateAuthority", NULL};
    const cJSON *body_id = field(body, "deviceId");
    if (body_id != NULL && (!cJSON_IsString(body_id) || strcmp(body_id->valuestring, id) != 0)) {
        return refuse(out, 400, NULL,
                      "deviceId in the body does not match the device id in the path");
    }
    const char *status = NULL;
    if (!enum_field(body, "status", "status", statuses, &status, out)) {
        return false;
    }
    const cJSON *auth = field(body, "authentication");
    if (auth != NULL && !cJSON_IsObject(auth)) {
        return refuse(out, 400, NULL, "authentication must be a JSON object");
    }
    const char *type = NULL;
    if (!enum_field(auth, "type", "authentication.type", auth_types, &type, out)) {
        return false;
    }
    const cJSON *symmetric = field(auth, "symmetricKey");
    const cJSON *primary = field(symmetric, "primaryKey");
    if (symmetric != NULL && !cJSON_IsObject(symmetric)) {
        return refuse(out, 400, NULL, "authentication.symmetricKey must be a JSON object");
    }
    if (primary != NULL && (!cJSON_IsString(primary) || !is_base64_key(primary->valuestring))) {
        return refuse(out, 400, NULL,
                      "authentication.symmetricKey.primaryKey must be base64 of 16 to 64 bytes");
    }
    cJSON *update = NULL;
    if (status != NULL || req->if_match != NULL) {
        update = device_request(id);
        if (status != NULL) {
            cJSON_AddStringToObject(update, "status", status);
        }
    }
    if (req->if_match != NULL) {
        // If-Match is IoT Hub's "update, do not create"; only the status can change here.
        return call(out, HUB_REST_EP_DEVICE_PUT, "device-update", update, HUB_REST_DEFAULT_CALL_MS);
    }
    if (update != NULL) {
        out->update_json = cJSON_PrintUnformatted(update);
        cJSON_Delete(update);
        out->update_after_add = strcmp(status, "disabled") == 0;
        if (out->update_json == NULL) {
            out->status = 500;
            return false;
        }
    }
    bool x509 = type != NULL && strcmp(type, "sas") != 0;
    cJSON *request = device_request(id);
    cJSON_AddStringToObject(request, "authentication", x509 ? "x509" : "sas");
    if (primary != NULL && !x509) {
        cJSON_AddStringToObject(request, "primaryKey", primary->valuestring);
    }
    return call(out, HUB_REST_EP_DEVICE_PUT, "device-add", request, HUB_REST_DEFAULT_CALL_MS);
}

static bool c2d_send(const char *id, const cJSON *body, struct hub_rest_route *out) {
    static const char *const acks[] = {"none", "positive", "negative", "full", NULL};
    const cJSON *text = field(body, "body");
    if (text == NULL) {
        return refuse(out, 400, NULL, "body is required (the message text)");
    }
    if (!cJSON_IsString(text)) {
        return refuse(out, 400, NULL, "body must be a string");
    }
    if (strlen(text->valuestring) > HUB_REST_MAX_C2D_BODY) {
        return refuse(out, 413, NULL, "body is larger than %d bytes", HUB_REST_MAX_C2D_BODY);
    }
    const cJSON *properties = field(body, "properties");
    if (properties != NULL && !cJSON_IsObject(properties)) {
        return refuse(out, 400, NULL, "properties must be a JSON object of strings");
    }
    int count = 0;
    const cJSON *property = NULL;
    cJSON_ArrayForEach(property, properties) {
        size_t key_len = strlen(property->string);
        if (++count > HUB_MAX_PROPERTIES) {
            return refuse(out, 400, NULL, "properties has more than %d entries",
                          HUB_MAX_PROPERTIES);
        }
        if (key_len == 0 || key_len >= HUB_MAX_PROPERTY_KEY || property->string[0] == '$') {
            return refuse(out, 400, NULL,
                          "properties keys must be 1 to %d characters and not start with '$'",
                          HUB_MAX_PROPERTY_KEY - 1);
        }
        if (!cJSON_IsString(property) || strlen(property->valuestring) >= HUB_MAX_PROPERTY_VALUE) {
            return refuse(out, 400, NULL,
                          "properties.%.64s must be a string of at most %d characters",
                          property->string, HUB_MAX_PROPERTY_VALUE - 1);
        }
    }
    const char *message_id = NULL;
    const char *correlation_id = NULL;
    const char *ack = NULL;
    double ttl = -1;
    if (!string_field(body, "messageId", MAX_SYSTEM_ID, &message_id, out) ||
        !string_field(body, "correlationId", MAX_SYSTEM_ID, &correlation_id, out) ||
        !int_field(body, "ttlSeconds", 60, 172800, &ttl, out) ||
        !enum_field(body, "ack", "ack", acks, &ack, out)) {
        return false;
    }
    cJSON *request = device_request(id);
    cJSON_AddStringToObject(request, "body", text->valuestring);
    if (properties != NULL) {
        add_copy(request, "properties", properties);
    }
    if (message_id != NULL) {
        cJSON_AddStringToObject(request, "messageId", message_id);
    }
    if (correlation_id != NULL) {
        cJSON_AddStringToObject(request, "correlationId", correlation_id);
    }
    if (ttl >= 0) {
        cJSON_AddNumberToObject(request, "ttlSeconds", ttl);
    }
    if (ack != NULL) {
        cJSON_AddStringToObject(request, "ack", ack);
    }
    return call(out, HUB_REST_EP_C2D_SEND, "c2d-send", request, HUB_REST_DEFAULT_CALL_MS);
}

static const char *query_value(const struct hub_rest_request *req, const char *key) {
    for (size_t i = 0; i < req->query_count; i++) {
        if (req->query[i].key != NULL && strcmp(req->query[i].key, key) == 0) {
            return req->query[i].value != NULL ? req->query[i].value : "";
        }
    }
    return NULL;
}

// A decimal query parameter in [min, max]; digits only, so "-1", "1e3" and " 5" are refused.
static bool query_int(const struct hub_rest_request *req, const char *key, double min, double max,
                      double *out, bool *out_present, struct hub_rest_route *route) {
    const char *text = query_value(req, key);
    *out_present = text != NULL;
    if (text == NULL) {
        return true;
    }
    double value = 0;
    size_t len = strlen(text);
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9' || i >= 16) {
            len = 0;
            break;
        }
        value = value * 10 + (text[i] - '0');
    }
    if (len == 0 || value < min || value > max) {
        return refuse(route, 400, NULL, "query parameter %s must be an integer from %.0f to %.0f",
                      key, min, max);
    }
    *out = value;
    return true;
}

static bool telemetry_read(const struct hub_rest_request *req, struct hub_rest_route *out) {
    const char *device_id = query_value(req, "deviceId");
    if (device_id != NULL && !hub_is_valid_device_id(device_id)) {
        return refuse(out, 400, NULL, "query parameter deviceId is not a valid device id: %s",
                      id_rule);
    }
    double after = 0;
    double limit = 0;
    bool has_after = false;
    bool has_limit = false;
    if (!query_int(req, "after", 0, MAX_CURSOR, &after, &has_after, out) ||
        !query_int(req, "limit", 1, 1000, &limit, &has_limit, out)) {
        return false;
    }
    cJSON *request = device_request(device_id);
    if (has_after) {
        cJSON_AddNumberToObject(request, "after", after);
    }
    if (has_limit) {
        cJSON_AddNumberToObject(request, "limit", limit);
    }
    return call(out, HUB_REST_EP_TELEMETRY_READ, "telemetry-read", request,
                HUB_REST_DEFAULT_CALL_MS);
}

// The fault a path segment names, NULL for none.
static const char *fault_name(const struct segment *seg) {
    static const char *const names[] = {"kick",           "twin",      "method", "throttle",
                                        "broker-restart", "server-ca", NULL};
    for (size_t i = 0; names[i] != NULL; i++) {
        if (seg->len == strlen(names[i]) && memcmp(seg->start, names[i], seg->len) == 0) {
            return names[i];
        }
    }
    return NULL;
}

// Validates against the fault's fields and builds its request; the throttle's two rates share
// int_field's checks, with -1 meaning "not given".
// {"signal"?: "SIGTERM" (default) | "SIGKILL"}: how the broker is stopped before it starts again.
static bool broker_restart(const cJSON *body, struct hub_rest_route *out) {
    static const char *const signals[] = {"SIGTERM", "SIGKILL", NULL};
    const char *sig = NULL;
    if (field(body, "deviceId") != NULL) {
        return refuse(out, 400, NULL, "deviceId does not apply: the broker serves every device");
    }
    if (!enum_field(body, "signal", "signal", signals, &sig, out)) {
        return false;
    }
    out->action = HUB_REST_BROKER_RESTART;
    out->endpoint = HUB_REST_EP_BROKER_RESTART;
    out->kill_hard = sig != NULL && strcmp(sig, "SIGKILL") == 0;
    return true;
}

// {"ca": "untrusted" | "trusted"}: which certificate the broker presents after its restart.
static bool server_ca(const cJSON *body, struct hub_rest_route *out) {
    static const char *const choices[] = {"untrusted", "trusted", NULL};
    const char *ca = NULL;
    if (field(body, "deviceId") != NULL) {
        return refuse(out, 400, NULL,
                      "deviceId does not apply: the broker presents one certificate to every "
                      "device");
    }
    if (!enum_field(body, "ca", "ca", choices, &ca, out)) {
        return false;
    }
    if (ca == NULL) {
        return refuse(out, 400, NULL, "ca is required: \"untrusted\" or \"trusted\"");
    }
    out->action = HUB_REST_SERVER_CA;
    out->endpoint = HUB_REST_EP_SERVER_CA;
    out->untrusted_ca = strcmp(ca, "untrusted") == 0;
    return true;
}

static bool fault(const char *which, const cJSON *body, struct hub_rest_route *out) {
    static const char *const modes[] = {"normal", "drop", "delay", NULL};
    if (strcmp(which, "broker-restart") == 0) {
        return broker_restart(body, out);
    }
    if (strcmp(which, "server-ca") == 0) {
        return server_ca(body, out);
    }
    static const char *const rates[] = {"twinPerSecond", "telemetryPerSecond"};
    bool kick = strcmp(which, "kick") == 0;
    bool throttle = strcmp(which, "throttle") == 0;
    const cJSON *device = field(body, "deviceId");
    const char *mode = NULL;
    double numbers[2] = {-1, -1}; /* delayMs, or the two rates */
    if (device != NULL &&
        (!cJSON_IsString(device) || !hub_is_valid_device_id(device->valuestring))) {
        return refuse(out, 400, NULL, "deviceId is not a valid device id: %s", id_rule);
    }
    if (kick && device == NULL) {
        return refuse(out, 400, NULL, "deviceId is required");
    }
    if (throttle && (!int_field(body, rates[0], 0, MAX_RATE, &numbers[0], out) ||
                     !int_field(body, rates[1], 0, MAX_RATE, &numbers[1], out))) {
        return false;
    }
    if (!kick && !throttle) {
        if (!enum_field(body, "mode", "mode", modes, &mode, out) ||
            !int_field(body, "delayMs", 0, MAX_DELAY_MS, &numbers[0], out)) {
            return false;
        }
        if (mode == NULL) {
            return refuse(out, 400, NULL, "mode is required: \"normal\", \"drop\" or \"delay\"");
        }
    }
    cJSON *request = device_request(device != NULL ? device->valuestring : NULL);
    if (mode != NULL) {
        cJSON_AddStringToObject(request, "mode", mode);
    }
    for (size_t i = 0; i < 2; i++) {
        const char *name = throttle ? rates[i] : i == 0 ? "delayMs" : NULL;
        if (name != NULL && numbers[i] >= 0) {
            cJSON_AddNumberToObject(request, name, numbers[i]);
        }
    }
    char op[HUB_REST_MAX_OP];
    snprintf(op, sizeof(op), "fault-%s", which);
    return call(out, HUB_REST_EP_FAULT, op, request, HUB_REST_DEFAULT_CALL_MS);
}

static bool method_is(const struct hub_rest_request *req, const char *method) {
    return strcmp(req->method, method) == 0;
}

static bool method_allowed(const struct hub_rest_request *req, const char *allow,
                           struct hub_rest_route *out) {
    // allow is a ", "-separated list: compare whole words.
    size_t len = strlen(req->method);
    for (const char *p = allow; *p != '\0';) {
        size_t word = strcspn(p, ",");
        if (len > 0 && word == len && memcmp(p, req->method, len) == 0) {
            return true;
        }
        p += word;
        p += strspn(p, ", ");
    }
    refuse(out, 405, NULL, "%.16s is not allowed here: use %s", req->method, allow);
    out->allow = allow;
    return false;
}

// Dispatches a path whose shape and method are known; id is the validated device id or "".
static void dispatch(const struct hub_rest_request *req, const struct path *path, const char *id,
                     struct hub_rest_route *out) {
    bool spheresim = seg_is(path, 0, "spheresim");
    bool needs_body = method_is(req, "PUT") || method_is(req, "PATCH") || method_is(req, "POST");
    cJSON *body = NULL;
    if (needs_body) {
        bool empty_ok = spheresim && seg_is(path, 1, "faults");
        body = parse_object(req, empty_ok, out);
        if (body == NULL) {
            return;
        }
    }
    if (seg_is(path, 0, "twins") && path->count == 2) {
        if (method_is(req, "GET")) {
            call(out, HUB_REST_EP_TWIN_GET, "twin-get", device_request(id),
                 HUB_REST_DEFAULT_CALL_MS);
        } else {
            twin_patch(id, body, out);
        }
    } else if (seg_is(path, 0, "twins")) {
        method_invoke(id, body, out);
    } else if (seg_is(path, 0, "devices") && path->count == 1) {
        call(out, HUB_REST_EP_DEVICE_LIST, "device-list", cJSON_CreateObject(),
             HUB_REST_DEFAULT_CALL_MS);
    } else if (seg_is(path, 0, "devices")) {
        if (method_is(req, "GET")) {
            call(out, HUB_REST_EP_DEVICE_GET, "device-get", device_request(id),
                 HUB_REST_DEFAULT_CALL_MS);
        } else if (method_is(req, "DELETE")) {
            call(out, HUB_REST_EP_DEVICE_DELETE, "device-remove", device_request(id),
                 HUB_REST_DEFAULT_CALL_MS);
        } else {
            device_put(id, req, body, out);
        }
    } else if (seg_is(path, 1, "telemetry")) {
        telemetry_read(req, out);
    } else if (seg_is(path, 1, "faults")) {
        fault(fault_name(&path->seg[2]), body, out);
    } else if (seg_is(path, 3, "messages")) {
        c2d_send(id, body, out);
    } else {
        call(out, HUB_REST_EP_CONNECTION_STATE, "connection-state", device_request(id),
             HUB_REST_DEFAULT_CALL_MS);
    }
    cJSON_Delete(body);
}

enum hub_result hub_rest_route(const struct hub_rest_request *req, struct hub_rest_route *out) {
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (req == NULL || out == NULL || req->method == NULL) {
        return HUB_ERR_INVALID;
    }
    // The resources, as segment counts and literal segments (NULL: any value, e.g. an id).
    static const struct {
        size_t count;
        const char *lit[4];
        const char *allow;
        size_t id_at; /* index of the device id segment, 0 for none */
    } shapes[] = {
        {2, {"twins", NULL}, "GET, PATCH", 1},
        {3, {"twins", NULL, "methods"}, "POST", 1},
        {1, {"devices"}, "GET", 0},
        {2, {"devices", NULL}, "GET, PUT, DELETE", 1},
        {2, {"spheresim", "health"}, "GET", 0},
        {2, {"spheresim", "telemetry"}, "GET", 0},
        {3, {"spheresim", "faults", NULL}, "POST", 0},
        {4, {"spheresim", "devices", NULL, "messages"}, "POST", 2},
        {4, {"spheresim", "devices", NULL, "connection"}, "GET", 2},
    };
    struct path path;
    const char *allow = NULL;
    size_t id_at = 0;
    bool ok = split_path(req->path, &path);
    for (size_t i = 0; ok && allow == NULL && i < sizeof(shapes) / sizeof(shapes[0]); i++) {
        if (shape_is(&path, shapes[i].count, shapes[i].lit)) {
            allow = shapes[i].allow;
            id_at = shapes[i].id_at;
        }
    }
    if (allow != NULL && seg_is(&path, 1, "faults") && fault_name(&path.seg[2]) == NULL) {
        refuse(out, 404, "NotFound",
               "no such fault: use kick, twin, method, throttle, broker-restart or server-ca");
    } else if (allow == NULL) {
        refuse(out, 404, "NotFound", "no such resource: %.200s", req->path ? req->path : "");
    } else if (!method_allowed(req, allow, out)) {
        // refused with 405
    } else if (req->body_len > HUB_REST_MAX_BODY) {
        refuse(out, 413, NULL, "request body is larger than %d bytes", HUB_REST_MAX_BODY);
    } else {
        char id[HUB_MAX_ID + 1] = "";
        if (seg_is(&path, 1, "health")) {
            out->action = HUB_REST_RESPOND;
            out->status = 200;
            out->body = strdup("{\"ok\":true}");
            if (out->body == NULL) {
                out->status = 500;
            }
        } else if (id_at == 0 || take_device_id(&path.seg[id_at], out, id)) {
            dispatch(req, &path, id, out);
        }
    }
    if (out->status == 500) {
        hub_rest_route_free(out);
        return HUB_ERR_INTERNAL;
    }
    return HUB_OK;
}

void hub_rest_route_free(struct hub_rest_route *route) {
    if (route == NULL) {
        return;
    }
    free(route->body);
    free(route->request_json);
    free(route->update_json);
    memset(route, 0, sizeof(*route));
}

bool hub_rest_wants_update(const struct hub_rest_route *route, int add_status) {
    if (route == NULL || route->update_json == NULL || strcmp(route->op, "device-add") != 0) {
        return false;
    }
    if (add_status == 409) {
        return true;
    }
    return add_status >= 200 && add_status < 300 && route->update_after_add;
}

// The code for an error from the plugin: the endpoint says which 404 or 429 IoT Hub would give.
static const char *reply_code(enum hub_rest_endpoint endpoint, int status) {
    if (endpoint == HUB_REST_EP_METHOD_INVOKE && status == 404) {
        return "DeviceNotOnline";
    }
    if (endpoint == HUB_REST_EP_C2D_SEND && status == 429) {
        return "DeviceMaximumQueueDepthExceeded";
    }
    return default_code(status);
}

enum hub_result hub_rest_reply(enum hub_rest_endpoint endpoint, int status, const char *body_json,
                               struct hub_rest_response *out) {
    if (out == NULL) {
        return HUB_ERR_INVALID;
    }
    memset(out, 0, sizeof(*out));
    if (status < 100 || status > 599) {
        return hub_rest_error(502, NULL, "the hub answered with an invalid status", out);
    }
    if (status >= 200 && status < 300) {
        out->status = status;
        if (status == 204) {
            return HUB_OK;
        }
        out->body = strdup(body_json != NULL ? body_json : "{}");
        return out->body != NULL ? HUB_OK : HUB_ERR_INTERNAL;
    }
    cJSON *doc = body_json != NULL ? cJSON_Parse(body_json) : NULL;
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!cJSON_IsString(message)) {
        message = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    }
    char text[MAX_TEXT];
    if (cJSON_IsString(message)) {
        snprintf(text, sizeof(text), "%s", message->valuestring);
    } else {
        snprintf(text, sizeof(text), "the hub refused the request (status %d)", status);
    }
    cJSON_Delete(doc);
    return hub_rest_error(status, reply_code(endpoint, status), text, out);
}

void hub_rest_response_free(struct hub_rest_response *response) {
    if (response == NULL) {
        return;
    }
    free(response->body);
    memset(response, 0, sizeof(*response));
}
