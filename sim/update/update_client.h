// SPDX-License-Identifier: MIT
// The administrator's side of the update service's HTTP API (update_api.h), with libcurl: what
// `spheresim deploy` and `spheresim reports --device` use. It finds the service through the
// files the service keeps in its state directory: service.json (URL and CA) and admin.token.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct update_client {
    char url[128];
    char ca[PATH_MAX];
    char token[65];  // empty: requests go without one
};

// Fills client from <state_dir>/service.json and admin.token. Returns 0, or -1 with a reason in
// err (the service never ran there, or its files are damaged).
int update_client_open(const char *state_dir, struct update_client *client, char *err,
                       size_t err_size);

// One request. body (len bytes, may be NULL) is sent as content_type. *out_status is the HTTP
// status; *out_reply (malloc'd, NUL-terminated; free it) the body. Returns 0 when an answer came,
// or -1 with a reason in err (no connection, TLS failure, timeout).
int update_client_call(const struct update_client *client, const char *method, const char *path,
                       const void *body, size_t len, const char *content_type, long *out_status,
                       char **out_reply, size_t *out_len, char *err, size_t err_size);

// The message of an error reply ({"error":{"message":...}}), or the reply itself, into out.
void update_client_error_text(const char *reply, char *out, size_t out_size);
