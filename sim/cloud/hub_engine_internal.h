// SPDX-License-Identifier: MIT
// What the files of the hub engine share (see hub_engine.h): the engine's state and the helpers
// every part uses to log, tell the time, answer service callers and reach devices.
//   hub_engine.c          connections, topic rules, message dispatch, the tick
//   hub_engine_twin.c     device twins: device requests, desired pushes, twin-get/twin-patch
//   hub_engine_methods.c  direct methods: invoke, device responses, timeouts
//   hub_engine_c2d.c      cloud-to-device: c2d-send, the queue, delivery
//   hub_engine_ops.c      the service protocol: parsing, dispatch, registry, telemetry, faults
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cloud/hub_auth.h"
#include "cloud/hub_dps.h"
#include "cloud/hub_engine.h"
#include "cloud/hub_faults.h"
#include "cloud/hub_ingest.h"
#include "cloud/hub_method_calls.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_service_protocol.h"
#include "cloud/hub_sessions.h"
#include "cloud/hub_store.h"
#include "cloud/hub_subscriptions.h"
#include "cloud/hub_timers.h"

#define HUB_C2D_MAX_QUEUED 50
#define HUB_C2D_DEFAULT_TTL_S 3600
#define HUB_METHOD_MAX_PAYLOAD (128 * 1024)
#define HUB_METHOD_MAX_WAITS 256
#define HUB_SERVICE_REPLY_QOS 1

// Who asked: a service client and the request id it will match the answer by.
struct hub_caller {
    char client_id[HUB_AUTH_MAX_SERVICE_CLIENT_ID + 1];
    char rid[SPHERESIM_SERVICE_MAX_RID + 1];
};

// A method invocation waiting for its device to come online (connectTimeoutInSeconds).
struct hub_method_wait {
    bool active;
    struct hub_caller caller;
    char device_id[HUB_MAX_ID + 1];
    char method[HUB_MAX_METHOD + 1];
    char *payload;  // JSON text, malloc'd
    long long connect_deadline_ms;
    long long response_timeout_ms;
};

// Device ids whose C2D queue the next tick should try to deliver.
struct hub_device_list {
    char (*ids)[HUB_MAX_ID + 1];
    size_t count;
    size_t capacity;
};

// A C2D message handed to the broker and not yet acknowledged: locked, so it is not sent again,
// and still in the store, so it is not lost (engine option c2d_acks).
struct hub_c2d_lock {
    long long id;  // the store's row id
    char device_id[HUB_MAX_ID + 1];
    char message_id[HUB_STORE_MAX_SYSTEM_ID + 1];
};

struct hub_engine {
    struct hub_io io;
    bool c2d_acks;
    struct {
        struct hub_c2d_lock *items;
        size_t count;
        size_t capacity;
    } c2d_locks;
    struct hub_device_list c2d_persistent;  // connected devices with a kept (not clean) session
    struct hub_store *store;
    struct hub_ingest *ingest;  // accepted telemetry on its way into the store
    struct hub_dps *dps;        // the Device Provisioning Service on the same port
    struct hub_sessions sessions;
    struct hub_subscriptions subs;
    struct hub_faults faults;
    struct hub_timers timers;
    struct hub_method_calls calls;
    struct hub_method_wait waits[HUB_METHOD_MAX_WAITS];
    struct hub_device_list c2d_due;
    // The connection that ended last: mosquitto checks its will (if any) right after reporting
    // the end, within the same broker call. Only such a connection may have a will forwarded.
    struct {
        const void *client;  // NULL when none
        char device_id[HUB_MAX_ID + 1];
    } ended;
    char hub_hostname[256];
    char token_path[PATH_MAX];
    char token[HUB_AUTH_SERVICE_TOKEN_MAX + 1];
    long long clock_offset_ms;  // fault-clock: moves the hub's clock forward for tests
    long long registry_generation;
    long long next_registry_check_ms;
};

// An operation's answer: status and body (owned; NULL sends no body).
struct hub_reply {
    int status;
    cJSON *body;
    bool deferred;  // answered later (a method call in flight); nothing is sent now
};

__attribute__((format(printf, 3, 4))) void hub_engine_log(struct hub_engine *e,
                                                          enum hub_log_level level, const char *fmt,
                                                          ...);

// The hub's clock: real (or the io's) time plus the fault-clock offset, ms since the epoch.
long long hub_engine_now_ms(const struct hub_engine *e);

// ISO 8601 UTC with milliseconds for the hub's current time.
void hub_engine_now_iso(const struct hub_engine *e, char out[HUB_STORE_TIME_SIZE]);

// True when the device has a current connection.
bool hub_engine_connected(const struct hub_engine *e, const char *device_id);

// True when the device is connected and subscribed to kind.
bool hub_engine_listening(const struct hub_engine *e, const char *device_id,
                          enum hub_subscription_kind kind);

// Sends to one client through the broker. Returns 0 or -1.
int hub_engine_send(struct hub_engine *e, const char *client_id, const char *topic,
                    const void *payload, size_t len, int qos);

// Sends a JSON document (printed unformatted) to one client. Returns 0 or -1.
int hub_engine_send_json(struct hub_engine *e, const char *client_id, const char *topic,
                         const cJSON *json, int qos);

// Answers a service caller with {"status","body"}; takes ownership of body (may be NULL).
void hub_engine_answer(struct hub_engine *e, const struct hub_caller *caller, int status,
                       cJSON *body);

// Fills reply with an error: status and {"message": text}.
__attribute__((format(printf, 3, 4))) void hub_reply_error(struct hub_reply *reply, int status,
                                                           const char *fmt, ...);

// Packs / unpacks a caller into the one string hub_method_calls keeps per call.
void hub_caller_pack(const struct hub_caller *caller, char out[HUB_MAX_RID + 1]);
bool hub_caller_unpack(const char *packed, struct hub_caller *out);

// Adds device_id to the C2D delivery list for the next tick (once). -1 when out of memory.
int hub_engine_c2d_schedule(struct hub_engine *e, const char *device_id);

// Adds device_id to the list unless it is there. 0, or -1 when out of memory or too long.
int hub_device_list_add(struct hub_device_list *list, const char *device_id);

// Drops the device's connection if it has one. Safe to call from any engine code path except
// that device's own callbacks; the session tables may change underneath (kick re-enters).
void hub_engine_kick(struct hub_engine *e, const char *device_id);

// A request's string field: NULL when absent or not a string.
const char *hub_json_string(const cJSON *request, const char *name);

// ---- per-feature entry points ----

// Device twin requests ($iothub/twin/...). Returns CONSUMED, or FAIL if the store failed.
enum hub_verdict hub_twin_device_request(struct hub_engine *e, const char *device_id,
                                         const struct hub_publish_topic *topic, const void *payload,
                                         size_t payload_len);
void hub_op_twin_get(struct hub_engine *e, const cJSON *request, struct hub_reply *reply);
void hub_op_twin_patch(struct hub_engine *e, const cJSON *request, struct hub_reply *reply);

// Direct methods.
void hub_op_method_invoke(struct hub_engine *e, const struct hub_caller *caller,
                          const cJSON *request, struct hub_reply *reply);
void hub_method_device_response(struct hub_engine *e, const char *device_id,
                                const struct hub_publish_topic *topic, const void *payload,
                                size_t payload_len);
void hub_methods_tick(struct hub_engine *e, long long now_ms);
void hub_methods_free(struct hub_engine *e);

// Cloud-to-device messages.
void hub_op_c2d_send(struct hub_engine *e, const cJSON *request, struct hub_reply *reply);
// Delivers the device's queued, unexpired messages if it is connected and subscribed.
void hub_c2d_deliver(struct hub_engine *e, const char *device_id);
void hub_c2d_tick(struct hub_engine *e);
// A device connected (clean: the broker dropped any session it had) or its connection ended:
// which sent messages stay locked (a kept session's, which the broker delivers again itself) and
// which are free to be sent again (a clean session's).
void hub_c2d_connected(struct hub_engine *e, const char *device_id, bool clean_session);
void hub_c2d_disconnected(struct hub_engine *e, const char *device_id);
// The number of the device's messages sent and awaiting their PUBACK.
size_t hub_c2d_locked_count(const struct hub_engine *e, const char *device_id);
void hub_c2d_free(struct hub_engine *e);

// The service protocol: one request from a service client.
void hub_service_request(struct hub_engine *e, const char *client_id, const char *op,
                         const char *rid, const void *payload, size_t payload_len);
