// SPDX-License-Identifier: MIT
// The update service's HTTP API, as pure request -> response functions (update_server.c moves
// the bytes). Paths, all under /update/v1 (docs/updates.md has the bodies):
//
//   administrator (Authorization: Bearer <admin.token>):
//     POST   /deployments?device=ID | ?group=G   body: a signed image package  -> 201
//     GET    /deployments                        -> {"deployments":[...]}
//     PUT    /groups/G/devices/ID                puts device ID into group G -> 204
//     DELETE /groups/G/devices/ID                takes it out -> 204
//     GET    /groups                             -> {"groups":{"G":["ID",...]}}
//     GET    /devices                            -> {"devices":[status...]}
//     GET    /devices/ID/events                  the uploaded failure-report events (JSON lines)
//     GET    /devices/ID/report                  the failure report, aggregated (JSON)
//   a device (TLS client certificate from the tenant CA with CN = ID):
//     POST   /devices/ID/check    {"app":{"component_id","version"},"os":{"version"},
//                                  "refused_packages":[sha256],"refused_versions":[{..}]}
//                                 -> {"update": null | {deployment, type, component_id,
//                                    version, sha256, size, url}}: the latest deployment for the
//                                    device's app component (an OS release first) that the
//                                    device has not refused, unless it runs that very version
//     POST   /devices/ID/status   {"deployment","state","version","reason"} -> 204
//     POST   /devices/ID/events?offset=N   JSON lines from byte N of the device's events file
//                                 -> {"received": total}; 409 with it when N is ahead
//     GET    /deployments/N/content        the package, for a device the deployment targets
//   anyone: GET /health -> 204
//
// Every input is checked (ids, versions, lengths, JSON shapes) and a bad one is a 4xx whose body
// names the field: {"error":{"code":"...","message":"..."}}.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "update/update_store.h"

#define UPDATE_API_MAX_BODY (1024 * 1024)
#define UPDATE_API_TOKEN_LEN 64

struct update_service {
    struct update_store *store;
    char token[UPDATE_API_TOKEN_LEN + 1];  // the administrator's bearer token
};

struct update_request {
    const char *method;
    const char *path;
    const char *device_param;   // ?device=
    const char *group_param;    // ?group=
    const char *offset_param;   // ?offset=
    const char *authorization;  // the Authorization header, or NULL
    const char *peer_device;    // CN of a verified client certificate, or NULL
    const char *body;
    size_t body_len;
    const char *upload_path;  // an upload: the received package, in a file (synced)
};

struct update_response {
    int status;
    char *body;  // malloc'd, or NULL
    const char *content_type;
    char file_path[PATH_MAX];  // when set: send this file as the body
};

// True for requests whose body is a package streamed to a file (POST /update/v1/deployments).
bool update_api_is_upload(const char *method, const char *path);

void update_api_handle(struct update_service *service, const struct update_request *req,
                       struct update_response *out);

void update_api_response_free(struct update_response *response);
