// SPDX-License-Identifier: MIT
// The hub's HTTP service API: a libmicrohttpd server on 127.0.0.1 that takes IoT Hub style REST
// requests, turns each into a service operation (hub_rest.h), sends it to the broker plugin
// through the service client (hub_service_client.h) and answers with the plugin's reply. One
// thread per connection, because a direct method call may wait minutes for a device while other
// requests must go on.
#ifndef SPHERESIM_CLOUD_HUB_SERVICE_H
#define SPHERESIM_CLOUD_HUB_SERVICE_H

struct hub_service;
struct hub_service_client;

#include <stdbool.h>
#include <stddef.h>

// Restarts the broker (POST /spheresim/faults/broker-restart): returns once the new broker
// listens, 0; or -1 with a one-line reason in err. Whoever runs the service owns the broker
// process, so it supplies this; the service then waits for its client to reconnect.
typedef int (*hub_service_restart_fn)(void *ctx, bool kill_hard, char *err, size_t err_size);

// Restarts the broker presenting an untrusted certificate, or the hub's own again
// (POST /spheresim/faults/server-ca); returns as hub_service_restart_fn does.
typedef int (*hub_service_server_ca_fn)(void *ctx, bool untrusted, char *err, size_t err_size);

struct hub_service_options {
    int http_port;                      /* 0 picks a free port; see hub_service_port */
    struct hub_service_client *client;  /* not owned; must outlive the service */
    hub_service_restart_fn restart;     /* NULL: the broker-restart fault answers 501 */
    hub_service_server_ca_fn server_ca; /* NULL: the server-ca fault answers 501 */
    void *restart_ctx;                  /* passed to both */
};

// Starts listening on 127.0.0.1 only. Returns 0, or -1 (with a reason on stderr) when the port
// cannot be bound or the server cannot start.
int hub_service_start(const struct hub_service_options *options, struct hub_service **out_service);

// The port the server listens on (the one picked when 0 was asked for).
int hub_service_port(const struct hub_service *service);

// Stops accepting, waits for requests in progress to finish, frees the service. NULL is fine.
void hub_service_stop(struct hub_service *service);

#endif
