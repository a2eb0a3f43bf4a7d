// SPDX-License-Identifier: MIT
// The hub engine's core (see hub_engine.h): who may connect, which topics each client may use,
// dispatching what clients publish to the twin, method, telemetry and service parts, and the
// periodic work of the tick. Shared helpers for the other engine files are here too.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud/hub_engine_internal.h"
#include "cloud/hub_telemetry.h"

#define REGISTRY_CHECK_MS 1000

// ---- shared helpers ----

void hub_engine_log(struct hub_engine *e, enum hub_log_level level, const char *fmt, ...) {
    if (e->io.log == NULL) {
        return;
    }
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    e->io.log(e->io.ctx, level, line);
}

long long hub_engine_now_ms(const struct hub_engine *e) {
    long long now = e->io.now_ms != NULL ? e->io.now_ms(e->io.ctx) : hub_store_now_ms();
    return now + e->clock_offset_ms;
}

void hub_engine_now_iso(const struct hub_engine *e, char out[HUB_STORE_TIME_SIZE]) {
    hub_store_format_time(hub_engine_now_ms(e), out);
}

bool hub_engine_connected(const struct hub_engine *e, const char *device_id) {
    return hub_sessions_find(&e->sessions, device_id) != NULL;
}

bool hub_engine_listening(const struct hub_engine *e, const char *device_id,
                          enum hub_subscription_kind kind) {
    return hub_engine_connected(e, device_id) && hub_subscriptions_has(&e->subs, device_id, kind);
}

int hub_engine_send(struct hub_engine *e, const char *client_id, const char *topic,
                    const void *payload, size_t len, int qos) {
    if (e->io.publish(e->io.ctx, client_id, topic, payload, len, qos) != 0) {
        hub_engine_log(e, HUB_LOG_WARNING, "could not send %s to %s", topic, client_id);
        return -1;
    }
    return 0;
}

int hub_engine_send_json(struct hub_engine *e, const char *client_id, const char *topic,
                         const cJSON *json, int qos) {
    char *text = cJSON_PrintUnformatted(json);
    if (text == NULL) {
        hub_engine_log(e, HUB_LOG_ERR, "out of memory sending %s to %s", topic, client_id);
        return -1;
    }
    int rc = hub_engine_send(e, client_id, topic, text, strlen(text), qos);
    cJSON_free(text);
    return rc;
}

void hub_engine_answer(struct hub_engine *e, const struct hub_caller *caller, int status,
                       cJSON *body) {
    char topic[sizeof SPHERESIM_SERVICE_RESPONSE_PREFIX + SPHERESIM_SERVICE_MAX_RID];
    snprintf(topic, sizeof topic, "%s%s", SPHERESIM_SERVICE_RESPONSE_PREFIX, caller->rid);
    cJSON *answer = cJSON_CreateObject();
    if (answer == NULL || cJSON_AddNumberToObject(answer, "status", status) == NULL ||
        (body != NULL && !cJSON_AddItemToObject(answer, "body", body))) {
        cJSON_Delete(answer);
        // The caller times out rather than getting a half answer.
        hub_engine_log(e, HUB_LOG_ERR, "out of memory answering %s", caller->client_id);
        return;
    }
    hub_engine_send_json(e, caller->client_id, topic, answer, HUB_SERVICE_REPLY_QOS);
    cJSON_Delete(answer);
}

void hub_reply_error(struct hub_reply *reply, int status, const char *fmt, ...) {
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cJSON_Delete(reply->body);
    reply->status = status;
    reply->body = cJSON_CreateObject();
    if (reply->body != NULL) {
        cJSON_AddStringToObject(reply->body, "message", text);
    }
}

// Service client ids and request ids never hold '/', so it separates them.
void hub_caller_pack(const struct hub_caller *caller, char out[HUB_MAX_RID + 1]) {
    snprintf(out, HUB_MAX_RID + 1, "%s/%s", caller->client_id, caller->rid);
}

bool hub_caller_unpack(const char *packed, struct hub_caller *out) {
    const char *slash = strchr(packed, '/');
    if (slash == NULL || (size_t)(slash - packed) > HUB_AUTH_MAX_SERVICE_CLIENT_ID ||
        strlen(slash + 1) > SPHERESIM_SERVICE_MAX_RID) {
        return false;
    }
    snprintf(out->client_id, sizeof out->client_id, "%.*s", (int)(slash - packed), packed);
    snprintf(out->rid, sizeof out->rid, "%s", slash + 1);
    return true;
}

const char *hub_json_string(const cJSON *request, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

int hub_engine_c2d_schedule(struct hub_engine *e, const char *device_id) {
    struct hub_device_list *list = &e->c2d_due;
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->ids[i], device_id) == 0) {
            return 0;
        }
    }
    if (strlen(device_id) > HUB_MAX_ID) {
        return -1;
    }
    if (list->count == list->capacity) {
        size_t capacity = list->capacity == 0 ? 16 : list->capacity * 2;
        void *grown = realloc(list->ids, capacity * sizeof list->ids[0]);
        if (grown == NULL) {
            return -1;
        }
        list->ids = grown;
        list->capacity = capacity;
    }
    snprintf(list->ids[list->count++], HUB_MAX_ID + 1, "%s", device_id);
    return 0;
}

void hub_engine_kick(struct hub_engine *e, const char *device_id) {
    if (!hub_engine_connected(e, device_id)) {
        return;
    }
    // Copied: kick re-enters hub_engine_disconnect, which may free what device_id points into.
    char id[HUB_MAX_ID + 1];
    snprintf(id, sizeof id, "%s", device_id);
    hub_engine_log(e, HUB_LOG_NOTICE, "disconnecting device %s", id);
    e->io.kick(e->io.ctx, id);
}

// ---- lifecycle ----

// Reads the service token; an absent or unreadable file leaves it empty (service refused).
static void load_token(struct hub_engine *e) {
    e->token[0] = '\0';
    FILE *f = fopen(e->token_path, "re");
    if (f == NULL) {
        return;
    }
    size_t n = fread(e->token, 1, sizeof e->token - 1, f);
    fclose(f);
    e->token[n] = '\0';
    // A trailing newline is not part of the token (someone may have edited the file).
    while (n > 0 &&
           (e->token[n - 1] == '\n' || e->token[n - 1] == '\r' || e->token[n - 1] == ' ')) {
        e->token[--n] = '\0';
    }
}

int hub_engine_open(const struct hub_engine_options *options, struct hub_engine **out_engine,
                    char *err, size_t err_size) {
    *out_engine = NULL;
    if (options->state_dir == NULL || options->state_dir[0] == '\0' ||
        options->hub_hostname == NULL || options->hub_hostname[0] == '\0' ||
        options->io.publish == NULL || options->io.kick == NULL) {
        snprintf(err, err_size, "the hub needs a state directory, a host name and broker access");
        return -1;
    }
    struct hub_engine *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    e->io = options->io;
    hub_method_calls_init(&e->calls);
    char db_path[PATH_MAX];
    int n1 = snprintf(e->hub_hostname, sizeof e->hub_hostname, "%s", options->hub_hostname);
    int n2 = snprintf(db_path, sizeof db_path, "%s/%s", options->state_dir, HUB_STORE_FILE);
    int n3 = snprintf(e->token_path, sizeof e->token_path, "%s/%s", options->state_dir,
                      SPHERESIM_SERVICE_TOKEN_FILE);
    if (n1 < 0 || (size_t)n1 >= sizeof e->hub_hostname || n2 < 0 || (size_t)n2 >= sizeof db_path ||
        n3 < 0 || (size_t)n3 >= sizeof e->token_path) {
        snprintf(err, err_size, "state directory path or host name too long");
        free(e);
        return -1;
    }
    if (hub_store_open(db_path, &e->store, err, err_size) != HUB_STORE_OK) {
        free(e);
        return -1;
    }
    load_token(e);
    if (e->token[0] == '\0') {
        hub_engine_log(e, HUB_LOG_WARNING, "no service token in %s: service clients are refused",
                       e->token_path);
    }
    hub_store_registry_generation(e->store, &e->registry_generation);
    *out_engine = e;
    return 0;
}

void hub_engine_close(struct hub_engine *e) {
    if (e == NULL) {
        return;
    }
    hub_methods_free(e);
    hub_store_close(e->store);
    hub_sessions_free(&e->sessions);
    hub_subscriptions_free(&e->subs);
    hub_faults_free(&e->faults);
    hub_timers_free(&e->timers);
    free(e->c2d_due.ids);
    free(e);
}

// ---- connections ----

static bool service_connect(struct hub_engine *e, const struct hub_connect_info *info) {
    if (e->token[0] == '\0') {
        load_token(e);  // `hub start` may have written it after the broker came up
    }
    char reason[256] = "";
    if (hub_auth_service_connect(e->token, info->client_id, info->username, info->password, reason,
                                 sizeof reason) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_NOTICE, "refused service client %s: %s", info->client_id, reason);
        return false;
    }
    hub_engine_log(e, HUB_LOG_INFO, "service client %s connected", info->client_id);
    return true;
}

bool hub_engine_connect(struct hub_engine *e, const struct hub_connect_info *info) {
    if (hub_auth_is_service_client(info->client_id)) {
        return service_connect(e, info);
    }
    if (info->bad_certificate) {
        hub_engine_log(e, HUB_LOG_NOTICE, "refused %s: client certificate without a usable CN",
                       info->client_id);
        return false;
    }
    struct hub_connect_request request = {
        .client_id = info->client_id,
        .username = info->username,
        .password = info->password,
        .cert_cn = info->cert_cn,
        .hub_hostname = e->hub_hostname,
        .now = (long long)time(NULL),
    };
    struct hub_device device;
    char reason[512] = "";
    enum hub_result result = hub_auth_connect(e->store, &request, &device, reason, sizeof reason);
    if (result != HUB_OK) {
        hub_engine_log(e, HUB_LOG_NOTICE, "refused %s: %s", info->client_id, reason);
        // Only registered devices get a history; anyone can make up unknown ids.
        if (result != HUB_ERR_NO_MATCH && result != HUB_ERR_INVALID) {
            hub_store_connection_event_add(e->store, info->client_id, HUB_EVENT_REFUSED, reason);
        }
        return false;
    }
    bool replaced = false;
    int mask = hub_subscriptions_connect(&e->subs, info->client_id, info->clean_session);
    if (mask < 0 || hub_sessions_set(&e->sessions, info->client_id, info->client, device.auth,
                                     &replaced) != 0) {
        hub_engine_log(e, HUB_LOG_ERR, "refused %s: out of memory", info->client_id);
        return false;
    }
    // A kept session that subscribed to C2D gets what queued up meanwhile, once it is connected.
    if ((mask & (1 << HUB_SUB_C2D)) != 0) {
        hub_engine_c2d_schedule(e, info->client_id);
    }
    hub_store_connection_event_add(e->store, info->client_id, HUB_EVENT_CONNECTED,
                                   replaced ? "replaced the previous connection" : NULL);
    hub_engine_log(e, HUB_LOG_INFO, "device %s connected (%s, %s session)", info->client_id,
                   hub_auth_type_name(device.auth), info->clean_session ? "clean" : "persistent");
    return true;
}

void hub_engine_disconnect(struct hub_engine *e, const void *client, const char *client_id) {
    // Refused connections arrive here without an id; replaced ones are no longer current.
    if (client_id == NULL || hub_auth_is_service_client(client_id)) {
        return;
    }
    if (hub_sessions_remove(&e->sessions, client_id, client)) {
        hub_subscriptions_disconnect(&e->subs, client_id);
        hub_store_connection_event_add(e->store, client_id, HUB_EVENT_DISCONNECTED, NULL);
        hub_engine_log(e, HUB_LOG_INFO, "device %s disconnected", client_id);
    }
}

// ---- topic rules ----

static enum hub_verdict service_acl(struct hub_engine *e, const char *client_id,
                                    enum hub_access access, const char *topic) {
    bool ok = access == HUB_ACCESS_READ || access == HUB_ACCESS_UNSUBSCRIBE ||
              (access == HUB_ACCESS_WRITE && hub_auth_service_may_publish(topic, NULL, NULL)) ||
              (access == HUB_ACCESS_SUBSCRIBE && hub_auth_service_may_subscribe(topic));
    if (!ok) {
        hub_engine_log(e, HUB_LOG_NOTICE, "closing service client %s: may not %s %s", client_id,
                       access == HUB_ACCESS_WRITE ? "publish to" : "subscribe to", topic);
    }
    return ok ? HUB_VERDICT_ALLOW : HUB_VERDICT_CLOSE;
}

enum hub_verdict hub_engine_acl(struct hub_engine *e, const char *client_id, enum hub_access access,
                                const char *topic) {
    if (client_id == NULL) {
        return HUB_VERDICT_CLOSE;
    }
    if (hub_auth_is_service_client(client_id)) {
        return service_acl(e, client_id, access, topic);
    }
    if (access == HUB_ACCESS_READ) {
        // Deliveries to a device only ever match the filters allowed below (also for a session
        // kept while it is offline), and the hub's own messages are addressed to one client.
        return HUB_VERDICT_ALLOW;
    }
    enum hub_subscription_kind kind;
    if (access == HUB_ACCESS_UNSUBSCRIBE) {
        if (hub_classify_subscription(topic, client_id, &kind) == HUB_OK) {
            hub_subscriptions_remove(&e->subs, client_id, kind);
        }
        return HUB_VERDICT_ALLOW;
    }
    if (!hub_engine_connected(e, client_id)) {
        return HUB_VERDICT_CLOSE;
    }
    if (access == HUB_ACCESS_SUBSCRIBE) {
        if (!hub_auth_may_subscribe(client_id, topic) ||
            hub_classify_subscription(topic, client_id, &kind) != HUB_OK) {
            hub_engine_log(e, HUB_LOG_NOTICE, "closing %s: may not subscribe to %s", client_id,
                           topic);
            return HUB_VERDICT_CLOSE;
        }
        if (hub_subscriptions_add(&e->subs, client_id, kind) != 0) {
            return HUB_VERDICT_FAIL;
        }
        // The subscription completes after this check; the tick delivers what is queued.
        if (kind == HUB_SUB_C2D) {
            hub_engine_c2d_schedule(e, client_id);
        }
        return HUB_VERDICT_ALLOW;
    }
    if (hub_auth_may_publish(client_id, topic, NULL)) {
        return HUB_VERDICT_ALLOW;
    }
    hub_engine_log(e, HUB_LOG_NOTICE, "closing %s: may not publish to %s", client_id, topic);
    return HUB_VERDICT_CLOSE;
}

// ---- messages ----

static enum hub_verdict handle_telemetry(struct hub_engine *e, const char *device_id,
                                         const char *topic_text,
                                         const struct hub_publish_topic *topic, const void *payload,
                                         size_t payload_len, bool retain) {
    long long now = hub_engine_now_ms(e);
    // Past the rate IoT Hub shapes traffic (delays it) before it refuses; over MQTT the hub
    // can only take it or drop the connection, so it takes it up to ten times the rate.
    if (hub_faults_admit(&e->faults, device_id, HUB_RATE_TELEMETRY, now) == HUB_ADMIT_ABUSIVE) {
        hub_engine_log(e, HUB_LOG_NOTICE,
                       "closing %s: telemetry at more than %d times its throttled rate", device_id,
                       HUB_FAULTS_ABUSE_FACTOR);
        return HUB_VERDICT_CLOSE;
    }
    struct hub_telemetry_input input = {
        .device_id = device_id,
        .topic = topic_text,
        .classified = topic,
        .payload = payload,
        .payload_len = payload_len,
        .retain = retain,
        .now_ms = now,
    };
    char reason[512] = "";
    enum hub_result result = hub_telemetry_accept(e->store, &input, NULL, reason, sizeof reason);
    if (result == HUB_OK) {
        return HUB_VERDICT_CONSUMED;
    }
    if (result == HUB_ERR_INTERNAL) {
        // Not acknowledged: the device keeps the message and sends it again after reconnecting.
        hub_engine_log(e, HUB_LOG_ERR, "closing %s: telemetry not stored: %s", device_id, reason);
        return HUB_VERDICT_FAIL;
    }
    hub_engine_log(e, HUB_LOG_NOTICE, "closing %s: telemetry refused: %s", device_id, reason);
    return HUB_VERDICT_CLOSE;
}

static enum hub_verdict service_message(struct hub_engine *e, const char *client_id,
                                        const char *topic, const void *payload,
                                        size_t payload_len) {
    char op[HUB_AUTH_MAX_SERVICE_OP + 1];
    char rid[SPHERESIM_SERVICE_MAX_RID + 1];
    if (!hub_auth_service_may_publish(topic, op, rid)) {
        return HUB_VERDICT_CLOSE;  // the ACL check lets nothing else through
    }
    hub_service_request(e, client_id, op, rid, payload, payload_len);
    return HUB_VERDICT_CONSUMED;
}

enum hub_verdict hub_engine_message(struct hub_engine *e, const char *client_id, const char *topic,
                                    const void *payload, size_t payload_len, bool retain) {
    if (client_id == NULL) {
        return HUB_VERDICT_CLOSE;
    }
    if (hub_auth_is_service_client(client_id)) {
        return service_message(e, client_id, topic, payload, payload_len);
    }
    struct hub_publish_topic classified;
    if (!hub_engine_connected(e, client_id) ||
        !hub_auth_may_publish(client_id, topic, &classified)) {
        return HUB_VERDICT_CLOSE;  // the ACL check lets nothing else through
    }
    switch (classified.kind) {
        case HUB_PUB_TELEMETRY:
            return handle_telemetry(e, client_id, topic, &classified, payload, payload_len, retain);
        case HUB_PUB_TWIN_GET:
        case HUB_PUB_TWIN_PATCH_REPORTED:
            return hub_twin_device_request(e, client_id, &classified, payload, payload_len);
        case HUB_PUB_METHOD_RESPONSE:
            hub_method_device_response(e, client_id, &classified, payload, payload_len);
            return HUB_VERDICT_CONSUMED;
        case HUB_PUB_DPS_REGISTER:
        case HUB_PUB_DPS_POLL:
            break;
    }
    return HUB_VERDICT_CLOSE;
}

// ---- the tick ----

static void send_timer(const struct hub_timer *timer, void *ctx) {
    hub_engine_send(ctx, timer->client_id, timer->topic, timer->payload, timer->payload_len,
                    timer->qos);
}

// The CLI edits the registry in the database directly; a device it disabled or removed must not
// stay connected. The generation counter makes the check one small read per second.
static void check_registry(struct hub_engine *e, long long now) {
    if (now < e->next_registry_check_ms) {
        return;
    }
    e->next_registry_check_ms = now + REGISTRY_CHECK_MS;
    long long generation = 0;
    if (hub_store_registry_generation(e->store, &generation) != HUB_STORE_OK ||
        generation == e->registry_generation) {
        return;
    }
    e->registry_generation = generation;
    // Decide first, kick after: kicking changes the session table being walked.
    struct hub_device_list doomed = {0};
    for (size_t i = 0; i < e->sessions.count; i++) {
        struct hub_device device;
        const char *id = e->sessions.items[i].device_id;
        enum hub_store_result found = hub_store_device_get(e->store, id, &device);
        if (found == HUB_STORE_ERR_NOT_FOUND || (found == HUB_STORE_OK && !device.enabled)) {
            if (doomed.count == doomed.capacity) {
                size_t capacity = doomed.capacity == 0 ? 8 : doomed.capacity * 2;
                void *grown = realloc(doomed.ids, capacity * sizeof doomed.ids[0]);
                if (grown == NULL) {
                    break;
                }
                doomed.ids = grown;
                doomed.capacity = capacity;
            }
            snprintf(doomed.ids[doomed.count++], HUB_MAX_ID + 1, "%s", id);
        }
    }
    for (size_t i = 0; i < doomed.count; i++) {
        hub_engine_kick(e, doomed.ids[i]);
    }
    free(doomed.ids);
}

void hub_engine_tick(struct hub_engine *e) {
    long long now = hub_engine_now_ms(e);
    hub_timers_fire(&e->timers, now, send_timer, e);
    hub_methods_tick(e, now);
    hub_c2d_tick(e);
    check_registry(e, now);
}
