// SPDX-License-Identifier: MIT
// The libcurl client the `spheresim hub` verbs that drive a running hub share (cmd_hub_service.c,
// cmd_hub_fault.c): finding the running service's port, one request, and printing the JSON reply
// or the hub's refusal as a one-line error.
#pragma once

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#define HUB_API_EXIT_NOT_RUNNING 3 /* as `hub status` exits when the hub does not run */

struct hub_api_reply {
    long status;
    char *body; /* malloc'd, NUL-terminated; NULL when the reply had none */
    size_t len;
};

struct hub_api {
    CURL *curl;
    int port;
    char verb[32]; /* "twin get", for error lines */
};

// Finds the running service's port and sets up curl. Returns 0, or the exit status after
// reporting: 1 when state_dir holds no hub, HUB_API_EXIT_NOT_RUNNING when the hub or its service
// API is not running. hub_api_close must follow either way.
int hub_api_open(const char *state_dir, const char *verb, struct hub_api *api);

void hub_api_close(struct hub_api *api);

// Escapes text for a URL path segment or query value into out. Returns 0, or -1 if it does not fit.
int hub_api_escape(struct hub_api *api, const char *text, char *out, size_t out_size);

// One request (body: JSON text or NULL). Returns 0 with reply filled (any HTTP status; free its
// body), or the exit status after reporting a transport failure.
int hub_api_call(struct hub_api *api, const char *method, const char *path, const char *body,
                 long timeout_s, struct hub_api_reply *reply);

// Prints the reply's JSON (pretty, or on one line), or its raw text if it is not JSON.
void hub_api_print_body(const struct hub_api_reply *reply, bool one_line);

// Reports a non-2xx reply with the hub's own words. Returns 1.
int hub_api_report_refusal(const struct hub_api *api, const struct hub_api_reply *reply);

// Sends one request and prints the JSON reply (nothing for a 204); 0 for a 2xx, else 1 after
// reporting the refusal (or the transport failure's exit status).
int hub_api_call_and_print(struct hub_api *api, const char *method, const char *path, cJSON *body,
                           long timeout_s);

// `spheresim hub fault ...` (cmd_hub_fault.c); argv[0] is "fault".
int sim_cmd_hub_fault(int argc, char **argv);
