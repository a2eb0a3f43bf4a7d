// SPDX-License-Identifier: MIT
// The hub's service REST API as pure functions: which IoT Hub style request (method, path, query,
// body) becomes which service operation (hub_service_protocol.h) with which request body, and how
// the operation's answer becomes the HTTP reply. No sockets and no threads here, so every route
// and every refusal can be unit-tested; hub_service.c only moves bytes.
//
// Errors follow IoT Hub's REST error shape: {"Message":"ErrorCode:<Code>;<text>",
// "ExceptionMessage":"<text>"}, where <text> names the offending field.
#ifndef SPHERESIM_CLOUD_HUB_REST_H
#define SPHERESIM_CLOUD_HUB_REST_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_result.h"

#define HUB_REST_MAX_BODY (256 * 1024)           /* request body; larger gets 413 */
#define HUB_REST_MAX_METHOD_PAYLOAD (128 * 1024) /* serialized method payload; larger gets 413 */
#define HUB_REST_MAX_C2D_BODY (64 * 1024)        /* IoT Hub's C2D message size limit */
#define HUB_REST_MAX_OP 32
#define HUB_REST_DEFAULT_CALL_MS 30000

// One decoded query parameter ("?deviceId=a%2Bb" arrives as key "deviceId", value "a+b").
struct hub_rest_param {
    const char *key;
    const char *value;
};

struct hub_rest_request {
    const char *method; /* "GET", "PUT", ... */
    const char *path;   /* URL-decoded path without the query, e.g. "/twins/dev1" */
    const struct hub_rest_param *query;
    size_t query_count;
    const char *if_match; /* the If-Match header, NULL when absent */
    const char *body;     /* not NUL-terminated; may be NULL when body_len is 0 */
    size_t body_len;
};

// Which endpoint a request matched; hub_rest_reply needs it to shape the answer.
enum hub_rest_endpoint {
    HUB_REST_EP_NONE = 0,
    HUB_REST_EP_TWIN_GET,
    HUB_REST_EP_TWIN_PATCH,
    HUB_REST_EP_METHOD_INVOKE,
    HUB_REST_EP_DEVICE_PUT,
    HUB_REST_EP_DEVICE_GET,
    HUB_REST_EP_DEVICE_LIST,
    HUB_REST_EP_DEVICE_DELETE,
    HUB_REST_EP_C2D_SEND,
    HUB_REST_EP_TELEMETRY_READ,
    HUB_REST_EP_CONNECTION_STATE,
    HUB_REST_EP_FAULT,
    HUB_REST_EP_BROKER_RESTART,
    HUB_REST_EP_SERVER_CA,
};

enum hub_rest_action {
    HUB_REST_RESPOND = 0,    /* answer now with status/body: health, or a refused request */
    HUB_REST_CALL,           /* ask the plugin: op/request_json, then hub_rest_reply */
    HUB_REST_BROKER_RESTART, /* restart the broker (the service process owns that, not the
                                plugin): kill_hard, then answer 204 once reconnected */
    HUB_REST_SERVER_CA,      /* restart it presenting the hub's certificate or an untrusted
                                one: untrusted_ca, then as for BROKER_RESTART */
};

struct hub_rest_route {
    enum hub_rest_action action;
    enum hub_rest_endpoint endpoint;
    // HUB_REST_RESPOND
    int status;
    char *body;        /* JSON text (malloc'd), NULL for an empty body */
    const char *allow; /* static "GET, PATCH"-style list for a 405, else NULL */
    // HUB_REST_CALL
    char op[HUB_REST_MAX_OP];
    char *request_json; /* malloc'd */
    int timeout_ms;     /* how long to wait for the plugin's answer */
    // PUT /devices/{id} may need a device-update after (or instead of) the device-add: see
    // hub_rest_wants_update.
    char *update_json; /* malloc'd device-update request, NULL when none applies */
    bool update_after_add;
    // HUB_REST_BROKER_RESTART: SIGKILL (a crash) rather than SIGTERM
    bool kill_hard;
    // HUB_REST_SERVER_CA: the certificate from a CA devices do not trust, or the hub's own
    bool untrusted_ca;
};

struct hub_rest_response {
    int status;
    char *body; /* JSON text (malloc'd), NULL for an empty body (204) */
};

// Routes one request. Always fills out (zeroed first) and returns HUB_OK, with refusals as
// HUB_REST_RESPOND routes: 404 unknown path, 405 wrong method (allow set), 413 body or payload
// too large, 400 malformed JSON or field (the text names it). HUB_ERR_INVALID for NULL
// arguments, HUB_ERR_INTERNAL when memory runs out (out is then empty; answer 500).
enum hub_result hub_rest_route(const struct hub_rest_request *req, struct hub_rest_route *out);

// Frees what a route owns and zeroes it. NULL is fine.
void hub_rest_route_free(struct hub_rest_route *route);

// True when a PUT /devices/{id} whose device-add answered add_status must be followed by the
// route's device-update: the device exists (409) and the body carried a status, or the device
// was just created and the body asked for it disabled.
bool hub_rest_wants_update(const struct hub_rest_route *route, int add_status);

// Shapes the plugin's answer (status, and the JSON text of its "body", NULL when absent) as the
// endpoint's HTTP reply: 2xx bodies pass through (204 has none), errors get IoT Hub's error shape
// with the plugin's message. A status outside 100..599 becomes 502. HUB_ERR_INVALID for a NULL
// out, HUB_ERR_INTERNAL when memory runs out.
enum hub_result hub_rest_reply(enum hub_rest_endpoint endpoint, int status, const char *body_json,
                               struct hub_rest_response *out);

// An error reply with IoT Hub's shape; code NULL picks one from the status. HUB_ERR_INVALID for
// NULL text or out, HUB_ERR_INTERNAL when memory runs out.
enum hub_result hub_rest_error(int status, const char *code, const char *text,
                               struct hub_rest_response *out);

// Frees a response's body and zeroes it. NULL is fine.
void hub_rest_response_free(struct hub_rest_response *response);

#endif
