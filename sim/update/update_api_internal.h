// SPDX-License-Identifier: MIT
// What update_api.c (authentication, routing, deployments, administration) and
// update_api_device.c (the device's requests and its status file) share. Not for use elsewhere.
#pragma once

#include <cjson/cJSON.h>

#include "update/update_api.h"

// An error reply: {"error":{"code","message"}} with status.
void update_api_error(struct update_response *out, int status, const char *code, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));
// A JSON reply; takes root.
void update_api_json(struct update_response *out, int status, cJSON *root);

// The device's status.json (an empty object with its id if there is none or it is damaged).
cJSON *update_api_load_status(struct update_service *service, const char *device_id);
void update_api_set_string(cJSON *obj, const char *key, const char *value);

// The device's requests; device_id is already checked against its certificate.
void update_api_device_check(struct update_service *service, const char *device_id,
                             const struct update_request *req, struct update_response *out);
void update_api_device_status(struct update_service *service, const char *device_id,
                              const struct update_request *req, struct update_response *out);
void update_api_device_events(struct update_service *service, const char *device_id,
                              const struct update_request *req, struct update_response *out);
