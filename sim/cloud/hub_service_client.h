// SPDX-License-Identifier: MIT
// The requesting side of the hub's internal service protocol (hub_service_protocol.h): one MQTT
// connection to the broker as the privileged service client, over which any number of threads
// send operations and wait for their answers, matched by request id. The connection is kept up
// by a thread of its own and comes back by itself when the broker restarts; calls made while it
// is down wait a little for it and then fail, rather than queueing work the broker never saw.
#ifndef SPHERESIM_CLOUD_HUB_SERVICE_CLIENT_H
#define SPHERESIM_CLOUD_HUB_SERVICE_CLIENT_H

#include <stdbool.h>

struct hub_service_client;

struct hub_service_client_options {
    const char *host;      /* broker address; NULL means 127.0.0.1 */
    int port;              /* broker's MQTT port */
    const char *state_dir; /* where service.token is; read again before every connect */
    const char *ca_file;   /* CA that signed the broker's certificate; NULL for plain TCP
                              (tests only: the hub's broker accepts TLS alone) */
};

enum hub_call_result {
    HUB_CALL_OK = 0,
    HUB_CALL_INVALID,       /* bad arguments: op or request */
    HUB_CALL_NOT_CONNECTED, /* the broker was not reachable within the wait */
    HUB_CALL_LOST,          /* the connection dropped before the answer came */
    HUB_CALL_TIMEOUT,       /* connected, but no answer within timeout_ms */
    HUB_CALL_BAD_ANSWER,    /* an answer came that is not {"status": int, "body": ...} */
    HUB_CALL_INTERNAL,      /* out of memory, or the MQTT library refused the publish */
};

// Starts the connection thread; the first connect happens in the background, so this succeeds
// while the broker is still down. Returns 0, or -1 for bad options or when the MQTT library or
// the thread cannot be set up (a reason goes to stderr).
int hub_service_client_start(const struct hub_service_client_options *options,
                             struct hub_service_client **out_client);

// Fails calls still waiting (HUB_CALL_LOST) and makes new ones fail at once (NOT_CONNECTED), so
// whoever is blocked in hub_service_call returns promptly; the client stays valid. NULL is fine.
void hub_service_client_cancel(struct hub_service_client *client);

// Cancels, disconnects, joins the thread and frees the client. No call may still be in progress
// (cancel first, then wait for the callers to return). NULL is fine.
void hub_service_client_stop(struct hub_service_client *client);

// Makes a connection that is down try again now rather than after its back-off (which grows to
// 2 s): for when the broker is known to be back, e.g. right after restarting it. NULL is fine.
void hub_service_client_wake(struct hub_service_client *client);

// How many times the client has become ready (connected and subscribed) so far: a caller that
// restarted the broker waits for this to pass the value it saw before, since the old connection
// may not have been noticed as lost yet.
unsigned long hub_service_client_connections(struct hub_service_client *client);

// True while connected and subscribed to the response prefix.
bool hub_service_client_ready(struct hub_service_client *client);

// Sends op (e.g. "twin-get") with request_json and waits up to timeout_ms for the answer. On
// HUB_CALL_OK, *out_status is the answer's status and *out_body_json the JSON text of its body
// (malloc'd; NULL when the answer had none). Safe to call from many threads at once.
enum hub_call_result hub_service_call(struct hub_service_client *client, const char *op,
                                      const char *request_json, int timeout_ms, int *out_status,
                                      char **out_body_json);

// A short description of a call result for error messages. Never NULL.
const char *hub_call_result_text(enum hub_call_result result);

#endif
