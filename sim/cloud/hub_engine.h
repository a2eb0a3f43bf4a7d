// SPDX-License-Identifier: MIT
// The local IoT Hub's behaviour, independent of mosquitto: what happens when a device or a service
// client connects, subscribes, publishes or goes away, and on every broker tick. The mosquitto
// plugin (hub_plugin.c) translates broker events into these calls and supplies struct hub_io for
// the few things only the broker can do (send a message to one client, drop a connection, log).
// That split keeps the plugin thin and lets unit tests drive the whole hub with a fake broker.
//
// Devices speak IoT Hub's MQTT protocol (telemetry, twin, direct methods, C2D; see
// hub_protocol.h). Service clients (SPHERESIM_SERVICE_CLIENT_ID, or that id followed by '-' and
// up to 32 of [A-Za-z0-9-], authenticated with <state dir>/service.token) send the operations of
// hub_service_protocol.h and get each answer on their own response topic.
//
// Not thread-safe: every call must come from the broker's thread, one at a time. hub_io.kick may
// call hub_engine_disconnect back before it returns; the engine is written for that.
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum hub_log_level {
    HUB_LOG_ERR = 0,
    HUB_LOG_WARNING,
    HUB_LOG_NOTICE,
    HUB_LOG_INFO,
};

struct hub_io {
    void *ctx;
    // Queues a message for one connected client or kept session (the broker's per-client publish,
    // which neither matches subscriptions nor checks ACLs). Returns 0, or -1 when refused.
    int (*publish)(void *ctx, const char *client_id, const char *topic, const void *payload,
                   size_t payload_len, int qos);
    // Drops the client's connection, without its will.
    void (*kick)(void *ctx, const char *client_id);
    void (*log)(void *ctx, enum hub_log_level level, const char *line);
    // Milliseconds since the epoch; NULL means the real clock.
    long long (*now_ms)(void *ctx);
};

struct hub_engine_options {
    const char *state_dir;     // holds hub.db and service.token
    const char *hub_hostname;  // "{name}.azure-devices.net": what SAS tokens are signed for
    struct hub_io io;
    // The plugin reports devices' PUBACKs for C2D messages (hub_engine_c2d_acked): a message then
    // stays queued, locked, until its PUBACK. Without them it completes when handed to the broker.
    bool c2d_acks;
};

struct hub_engine;

// Opens the hub state. Returns 0, or -1 with a one-line reason in err (missing options, the
// database cannot be opened). A missing service.token is not an error: service clients are then
// refused until it exists.
int hub_engine_open(const struct hub_engine_options *options, struct hub_engine **out_engine,
                    char *err, size_t err_size);

// Answers nothing further and frees everything. NULL is fine.
void hub_engine_close(struct hub_engine *engine);

struct hub_connect_info {
    const void *client;     // the broker's handle, compared, never dereferenced
    const char *client_id;  // never NULL
    const char *username;   // NULL when absent
    const char *password;   // NULL when absent
    const char *cert_cn;    // the client certificate's CN; NULL without a certificate
    bool bad_certificate;   // a certificate was presented but has no usable CN
    bool clean_session;
    // The CONNECT's will, as the TLS shim in the broker saw it (hub_tls_observer.h). will_seen is
    // false when the plugin runs without the shim; the will is then not checked at CONNECT.
    bool will_seen;
    bool will;
    const char *will_topic;  // NULL without a will, or when the topic could not be read
};

// Decides a CONNECT. Returns true to accept. A will anywhere but the device's telemetry topic is
// refused, as IoT Hub does, when info says what the will is.
bool hub_engine_connect(struct hub_engine *engine, const struct hub_connect_info *info);

// A connection ended (also for refused and replaced ones).
void hub_engine_disconnect(struct hub_engine *engine, const void *client, const char *client_id);

enum hub_access {
    HUB_ACCESS_READ = 0,  // a message about to be delivered to the client
    HUB_ACCESS_WRITE,     // the client published
    HUB_ACCESS_SUBSCRIBE,
    HUB_ACCESS_UNSUBSCRIBE,
};

enum hub_verdict {
    HUB_VERDICT_ALLOW = 0,
    HUB_VERDICT_CONSUMED,  // acknowledge the publish and route it nowhere
    HUB_VERDICT_CLOSE,     // drop the connection, as IoT Hub does for a protocol violation
    HUB_VERDICT_FAIL,      // drop the connection without acknowledging (internal failure)
};

struct hub_acl_request {
    const void *client;     // the broker's handle, compared, never dereferenced
    const char *client_id;  // NULL when the broker has none
    enum hub_access access;
    const char *topic;  // the topic or filter
    // HUB_ACCESS_WRITE only: the message (mosquitto passes it with the check).
    const void *payload;
    size_t payload_len;
    bool retain;
};

// Authorises a publish, subscribe or unsubscribe: ALLOW, or CLOSE for what IoT Hub refuses
// (another device's topics, an unknown topic, a sixth subscription).
//
// A WRITE check for a device connection that is no longer the device's current one is its Will:
// mosquitto 2.0 checks the will it is about to send for a connection that dropped without
// DISCONNECT, after reporting the disconnect (or after the connection that replaced it
// authenticated), and gives a plugin no other sight of it. The hub forwards a will on the
// device's telemetry topic as telemetry marked "iothub-MessageType": "Will" and answers CONSUMED
// (the broker then routes it nowhere); any other will is dropped (CLOSE).
enum hub_verdict hub_engine_acl(struct hub_engine *engine, const struct hub_acl_request *request);

// Handles a message a client published: CONSUMED when the hub took it, CLOSE or FAIL otherwise.
enum hub_verdict hub_engine_message(struct hub_engine *engine, const char *client_id,
                                    const char *topic, const void *payload, size_t payload_len,
                                    bool retain);

// The device acknowledged (PUBACK) the C2D message the hub sent it on topic: the message is
// complete and leaves the queue. Unknown or malformed topics are ignored.
void hub_engine_c2d_acked(struct hub_engine *engine, const char *device_id, const char *topic);

// Runs what is due: delayed messages, method timeouts, C2D deliveries, registry changes made by
// other processes. The plugin calls it on every broker tick.
void hub_engine_tick(struct hub_engine *engine);
