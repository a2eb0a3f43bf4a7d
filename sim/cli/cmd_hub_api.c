// SPDX-License-Identifier: MIT
// The hub verbs' HTTP client (see cmd_hub_api.h). Every error is one line naming the verb, and a
// hub that is not running is told apart from one whose service cannot be reached.
#include "cli/cmd_hub_api.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cloud/hub_broker.h"
#include "cloud/hub_service_process.h"
#include "cloud/hub_store.h"

#define MAX_REPLY (64L * 1024 * 1024)

static size_t collect(char *data, size_t size, size_t count, void *userdata) {
    struct hub_api_reply *reply = userdata;
    size_t n = size * count;
    if (reply->len + n > MAX_REPLY) {
        return 0; /* makes curl fail the transfer */
    }
    char *grown = realloc(reply->body, reply->len + n + 1);
    if (grown == NULL) {
        return 0;
    }
    memcpy(grown + reply->len, data, n);
    reply->body = grown;
    reply->len += n;
    reply->body[reply->len] = '\0';
    return n;
}

// Finds the running service's port and sets up curl. Returns 0, or the exit status after
// reporting: 1 when state_dir holds no hub, HUB_API_EXIT_NOT_RUNNING when the hub or its service
// API is not running. The port comes from the live service process (service.pid and service.json),
// never from hub.json, which keeps the last start's values after a stop.
int hub_api_open(const char *state_dir, const char *verb, struct hub_api *api) {
    memset(api, 0, sizeof(*api));
    snprintf(api->verb, sizeof(api->verb), "%s", verb);
    if (!hub_store_state_exists(state_dir)) {
        return sim_cli_fail("hub %s: %s holds no hub (no " HUB_STORE_FILE
                            "); 'spheresim hub start --state-dir %s' creates one",
                            verb, state_dir, state_dir);
    }
    // The service process is recognised by the canonical path on its command line.
    char canonical[PATH_MAX];
    long service_pid = 0;
    hub_service_process_query(realpath(state_dir, canonical) != NULL ? canonical : state_dir,
                              &service_pid, &api->port);
    if (api->port == 0) {
        struct hub_broker_info *info = calloc(1, sizeof(*info));
        char err[256];
        bool broker = info != NULL &&
                      hub_broker_query(state_dir, NULL, info, err, sizeof(err)) == HUB_BROKER_OK &&
                      info->running;
        free(info);
        sim_cli_fail(broker ? "hub %s: the hub in %s runs, but its service API does not "
                              "('spheresim hub start --state-dir %s' starts it again)"
                            : "hub %s: the hub in %s is not running (start it with 'spheresim "
                              "hub start --state-dir %s')",
                     verb, state_dir, state_dir);
        return HUB_API_EXIT_NOT_RUNNING;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    api->curl = curl_easy_init();
    if (api->curl == NULL) {
        return sim_cli_fail("hub %s: cannot set up libcurl", verb);
    }
    return 0;
}

void hub_api_close(struct hub_api *api) {
    curl_easy_cleanup(api->curl);
    curl_global_cleanup();
}

// Escapes text for a URL path segment or query value into out. Returns 0, or -1 if it does not fit.
int hub_api_escape(struct hub_api *api, const char *text, char *out, size_t out_size) {
    char *escaped = curl_easy_escape(api->curl, text, 0);
    int n = escaped != NULL ? snprintf(out, out_size, "%s", escaped) : -1;
    curl_free(escaped);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

// One request. Returns 0 with reply filled (any HTTP status), or the exit status after reporting
// a transport failure.
int hub_api_call(struct hub_api *api, const char *method, const char *path, const char *body,
                 long timeout_s, struct hub_api_reply *reply) {
    char url[4096];
    char err[CURL_ERROR_SIZE] = "";
    memset(reply, 0, sizeof(*reply));
    int n = snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", api->port, path);
    if (n < 0 || (size_t)n >= sizeof(url)) {
        return sim_cli_fail("hub %s: request too long", api->verb);
    }
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    CURL *curl = api->curl;
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*"); /* never send loopback calls to a proxy */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 5L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    if (body != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
        free(reply->body);
        memset(reply, 0, sizeof(*reply));
        return sim_cli_fail("hub %s: cannot reach the hub service on 127.0.0.1:%d: %s", api->verb,
                            api->port, err[0] != '\0' ? err : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply->status);
    return 0;
}

void hub_api_print_body(const struct hub_api_reply *reply, bool one_line) {
    cJSON *doc = reply->body != NULL ? cJSON_Parse(reply->body) : NULL;
    char *text = doc != NULL ? (one_line ? cJSON_PrintUnformatted(doc) : cJSON_Print(doc)) : NULL;
    puts(text != NULL ? text : reply->body != NULL ? reply->body : "{}");
    fflush(stdout);
    free(text);
    cJSON_Delete(doc);
}

// Reports a non-2xx reply with the hub's own words. Returns 1.
int hub_api_report_refusal(const struct hub_api *api, const struct hub_api_reply *reply) {
    cJSON *doc = reply->body != NULL ? cJSON_Parse(reply->body) : NULL;
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(doc, "ExceptionMessage");
    if (!cJSON_IsString(text)) {
        text = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    }
    int status =
        sim_cli_fail("hub %s: %s (HTTP %ld)", api->verb,
                     cJSON_IsString(text) ? text->valuestring : "the hub refused", reply->status);
    cJSON_Delete(doc);
    return status;
}

int hub_api_call_and_print(struct hub_api *api, const char *method, const char *path, cJSON *body,
                           long timeout_s) {
    char *text = body != NULL ? cJSON_PrintUnformatted(body) : NULL;
    if (body != NULL && text == NULL) {
        return sim_cli_fail("hub %s: out of memory", api->verb);
    }
    struct hub_api_reply reply;
    int status = hub_api_call(api, method, path, text, timeout_s, &reply);
    free(text);
    if (status != 0) {
        return status;
    }
    if (reply.status == 204) {
        // No content: success says nothing.
    } else if (reply.status >= 200 && reply.status < 300) {
        hub_api_print_body(&reply, false);
    } else {
        status = hub_api_report_refusal(api, &reply);
    }
    free(reply.body);
    return status;
}
