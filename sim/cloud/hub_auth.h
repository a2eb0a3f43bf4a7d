// SPDX-License-Identifier: MIT
// Who may connect to the local hub and what a connected device may do, decided the way IoT Hub
// decides it. Pure decisions over the registry and the protocol core: the plugin feeds in what
// mosquitto saw (client id, username, password, the client certificate's CN) and acts on the
// answer, which keeps these rules testable without a broker.
//
// CONNECT: the client id is a registered, enabled device id; the username is
// "{host}/{deviceId}/?api-version=…" naming that same device (parsed leniently, modules are not
// supported yet); an X.509 device presented a certificate (TLS already checked that the tenant CA
// issued it) whose CN is the device id; a SAS device's password is a token for
// "{hub hostname}/devices/{deviceId}" signed with its primary or secondary key and not expired.
//
// Service clients (hub_service_protocol.h) are the hub's own: client id SPHERESIM_SERVICE_CLIENT_ID
// (or that id, '-' and 1..32 of [A-Za-z0-9-], so tests and tools can talk to the hub beside the
// HTTP service without taking over its connection), the same id as username, and the token from
// <state dir>/service.token as password. They may publish only service requests and subscribe
// only to the response prefix. No device can hold such an id (hub_store_is_reserved_id).
//
// Topics: a device may publish to its own telemetry topic and to the twin and method-response
// topics, and subscribe to its own C2D filter and the twin and method filters. Everything else,
// including DPS topics on a hub connection, is refused; IoT Hub then closes the connection.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_service_protocol.h"
#include "cloud/hub_store.h"

struct hub_connect_request {
    const char *client_id;
    const char *username;      // NULL when the client sent none
    const char *password;      // NULL when the client sent none
    const char *cert_cn;       // NULL when the client presented no certificate
    const char *hub_hostname;  // e.g. "spheresim.azure-devices.net"
    long long now;             // seconds since the epoch, for SAS expiry
};

// Decides a CONNECT. Returns HUB_OK and fills *out_device with the registration; otherwise
// HUB_ERR_NO_MATCH (not a registered device), HUB_ERR_AUTH (disabled, wrong username, missing
// or wrong credentials), HUB_ERR_EXPIRED (an expired SAS token), HUB_ERR_INVALID (malformed client
// id or username) or HUB_ERR_INTERNAL (the registry could not be read). reason gets one line for
// the broker log; it never contains the password.
enum hub_result hub_auth_connect(struct hub_store *store, const struct hub_connect_request *request,
                                 struct hub_device *out_device, char *reason, size_t reason_size);

#define HUB_AUTH_MAX_SERVICE_OP 32
#define HUB_AUTH_MAX_SERVICE_SUFFIX 32
#define HUB_AUTH_MAX_SERVICE_CLIENT_ID \
    (sizeof SPHERESIM_SERVICE_CLIENT_ID + HUB_AUTH_MAX_SERVICE_SUFFIX) /* with '-', no NUL */
#define HUB_AUTH_SERVICE_TOKEN_MAX 128

// True for the client ids service clients use (see above); such a client is never a device.
bool hub_auth_is_service_client(const char *client_id);

// Decides a service client's CONNECT against the expected token (NULL or "" when the hub has
// none, which refuses everyone). Compares in constant time. HUB_OK, HUB_ERR_AUTH for a wrong
// username or password, HUB_ERR_INVALID for a client id that is not a service client's.
enum hub_result hub_auth_service_connect(const char *token, const char *client_id,
                                         const char *username, const char *password, char *reason,
                                         size_t reason_size);

// True when topic is "$spheresim/service/req/{op}/{rid}" with op 1..HUB_AUTH_MAX_SERVICE_OP of
// [a-z0-9-] and rid 1..SPHERESIM_SERVICE_MAX_RID of [A-Za-z0-9-]; out_op and out_rid (optional)
// get them.
bool hub_auth_service_may_publish(const char *topic, char out_op[HUB_AUTH_MAX_SERVICE_OP + 1],
                                  char out_rid[SPHERESIM_SERVICE_MAX_RID + 1]);

// True for the response filters a service client may subscribe: the prefix with '#' or '+'.
bool hub_auth_service_may_subscribe(const char *filter);

// True when the connected device client_id may publish to topic; *out_topic (optional) gets the
// classification for dispatch.
bool hub_auth_may_publish(const char *client_id, const char *topic,
                          struct hub_publish_topic *out_topic);

// True when the connected device client_id may subscribe to filter.
bool hub_auth_may_subscribe(const char *client_id, const char *filter);
