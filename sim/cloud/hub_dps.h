// SPDX-License-Identifier: MIT
// The local Device Provisioning Service over MQTT, without I/O: the plugin hands it what a DPS
// client connects with and publishes, and sends back the response it produces
// (shared/reference/iothub-mqtt-protocol.md, section 2).
//
//   register  $dps/registrations/PUT/iotdps-register/?$rid={rid}  {"registrationId"[,"payload"]}
//             → 202 ?$rid={rid}&retry-after=N  {"operationId","status":"assigning"}
//   poll      $dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={op}
//             → 202 (still assigning, with retry-after) for the configured number of polls and
//               delay, so clients exercise polling; then
//             → 200 {"operationId","status":"assigned","registrationState":{"registrationId",
//               "createdDateTimeUtc","assignedHub","deviceId","status":"assigned","substatus",
//               "lastUpdatedDateTimeUtc","etag"[,"payload"]}}
//               or, for a disabled enrollment, "status":"disabled" (and "failed" when the
//               assignment itself fails), registrationState carrying errorCode and errorMessage.
// Assignment puts the device in the hub's registry if it is not there, with the credential its
// attestation proved (X.509: a certificate device; symmetric key: a SAS device with the
// enrollment's or the group-derived keys), so it can connect to the hub right away. A device
// already registered with other credentials gets the new ones and keeps its twin.
//
// Errors outside an operation follow DPS's error body {"errorCode","trackingId","message",
// "timestampUtc"} with errorCode = status * 1000 + n, as clients read it (status = code / 1000):
//   400004  register body that is not JSON, lacks registrationId or names another registration
//   404002  unknown operationId (or another registration's)
//   500001  the registry or enrollments could not be read or written
// The codes DPS documents are the statuses; the three-digit suffixes are this simulator's.
//
// Not thread-safe: one caller (the broker thread) at a time.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_dps_auth.h"
#include "cloud/hub_enrollments.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_result.h"
#include "cloud/hub_store.h"

// An id scope in DPS's form ("0ne" and eight hex digits) that no real service uses.
#define HUB_DPS_DEFAULT_ID_SCOPE "0ne00AB12CD"
#define HUB_DPS_GLOBAL_HOST "global.azure-devices-provisioning.net"
#define HUB_DPS_API_VERSION "2019-03-31"
#define HUB_DPS_DEFAULT_RETRY_AFTER_S 3
#define HUB_DPS_DEFAULT_ASSIGNING_POLLS 1
#define HUB_DPS_MAX_OPERATIONS 256
#define HUB_DPS_OPERATION_TTL_MS (15LL * 60 * 1000)  // an unpolled operation is forgotten
#define HUB_DPS_MAX_REQUEST_BYTES (64 * 1024)
#define HUB_DPS_RESPONSE_QOS 1
#define HUB_DPS_TOPIC_SIZE 256
#define HUB_DPS_OPERATION_ID_SIZE 72

struct hub_dps_options {
    const char *db_path;       // the hub's SQLite file (<state dir>/hub.db); enrollments live there
    const char *id_scope;      // NULL or "": HUB_DPS_DEFAULT_ID_SCOPE
    const char *hub_hostname;  // "{name}.azure-devices.net": assignedHub
    int assigning_polls;       // polls answered 202 before the result; < 0: the default (1)
    long long assign_delay_ms;  // and at least this long after the register (0: no delay)
    int retry_after_s;          // retry-after on 202s; <= 0: the default (3)
};

// One response for the client that asked (never routed to other subscribers).
struct hub_dps_response {
    int status;
    char topic[HUB_DPS_TOPIC_SIZE];  // hub_topic_dps_response
    char *body;                      // JSON text, malloc'd, NUL-terminated
    size_t body_len;
    int qos;        // HUB_DPS_RESPONSE_QOS
    char log[256];  // one line on what happened, for the broker log ("" when nothing)
};

struct hub_dps_request {
    const struct hub_dps_identity *identity;  // from hub_dps_auth_connect for this client
    const struct hub_publish_topic *topic;    // HUB_PUB_DPS_REGISTER or HUB_PUB_DPS_POLL
    const void *payload;
    size_t payload_len;
    long long now_ms;  // the hub's clock
};

struct hub_dps;

// Opens the enrollment tables in options->db_path and sets up an empty operation table. Returns
// 0, or -1 with a one-line reason in err (missing db path or hub host name, an id scope that is
// not 1..63 alphanumerics, a database that cannot be opened).
int hub_dps_open(const struct hub_dps_options *options, struct hub_dps **out_dps, char *err,
                 size_t err_size);

// Frees everything. NULL is fine.
void hub_dps_close(struct hub_dps *dps);

// The enrollment handle hub_dps_open made (for hub_dps_auth_connect and the CLI-like callers).
struct hub_enrollments *hub_dps_enrollments(struct hub_dps *dps);

// The id scope in use.
const char *hub_dps_id_scope(const struct hub_dps *dps);

// Handles one DPS request and fills *out with the response to send (also for 4xx/5xx answers).
// Returns HUB_OK when *out holds a response; HUB_ERR_INVALID for a request that is not a DPS
// register or poll or has no identity (the caller closes the connection); HUB_ERR_INTERNAL when
// not even a response could be built (out of memory). store is the hub registry assignments
// write to. Call hub_dps_response_free afterwards in every case.
enum hub_result hub_dps_handle(struct hub_dps *dps, struct hub_store *store,
                               const struct hub_dps_request *request, struct hub_dps_response *out);

// Releases out->body. Safe on a zeroed or already freed response.
void hub_dps_response_free(struct hub_dps_response *response);

// ---- connection tracking for the plugin ----
// The plugin tells DPS connections from hub ones by username (hub_dps_is_dps_username) and keeps
// the identity of each connected DPS client here, so later publishes need only the client id.

// Decides a DPS CONNECT (hub_dps_auth_connect with this service's id scope; request->id_scope is
// ignored) and, on HUB_OK, remembers client (the broker's handle, compared, never dereferenced)
// as the DPS connection of request->client_id, replacing any earlier one. Results and reason as
// for hub_dps_auth_connect; HUB_ERR_INTERNAL also when out of memory.
enum hub_result hub_dps_connect(struct hub_dps *dps, const void *client,
                                const struct hub_dps_connect_request *request, char *reason,
                                size_t reason_size);

// Forgets client_id's DPS connection if it is client's; client NULL forgets it whoever holds it
// (call that when a hub device connection takes the id over).
void hub_dps_disconnect(struct hub_dps *dps, const void *client, const char *client_id);

// True when client_id has a DPS connection.
bool hub_dps_is_client(const struct hub_dps *dps, const char *client_id);

// Handles a publish of a connected DPS client: classifies topic (hub_dps_may_publish) and calls
// hub_dps_handle. HUB_ERR_INVALID (close the connection) for a client without a DPS connection
// or a topic DPS does not take; otherwise as hub_dps_handle.
enum hub_result hub_dps_message(struct hub_dps *dps, struct hub_store *store, const char *client_id,
                                const char *topic, const void *payload, size_t payload_len,
                                long long now_ms, struct hub_dps_response *out);
