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
#include "cloud/hub_journal.h"
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
    return hub_device_list_add(&e->c2d_due, device_id);
}

int hub_device_list_add(struct hub_device_list *list, const char *device_id) {
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
    e->c2d_acks = options->c2d_acks;
    hub_method_calls_init(&e->calls);
    char db_path[PATH_MAX];
    char journal_path[PATH_MAX];
    int n1 = snprintf(e->hub_hostname, sizeof e->hub_hostname, "%s", options->hub_hostname);
    int n2 = snprintf(db_path, sizeof db_path, "%s/%s", options->state_dir, HUB_STORE_FILE);
    int n3 = snprintf(e->token_path, sizeof e->token_path, "%s/%s", options->state_dir,
                      SPHERESIM_SERVICE_TOKEN_FILE);
    int n4 =
        snprintf(journal_path, sizeof journal_path, "%s/%s", options->state_dir, HUB_JOURNAL_FILE);
    if (n1 < 0 || (size_t)n1 >= sizeof e->hub_hostname || n2 < 0 || (size_t)n2 >= sizeof db_path ||
        n3 < 0 || (size_t)n3 >= sizeof e->token_path || n4 < 0 ||
        (size_t)n4 >= sizeof journal_path) {
        snprintf(err, err_size, "state directory path or host name too long");
        free(e);
        return -1;
    }
    if (hub_store_open(db_path, &e->store, err, err_size) != HUB_STORE_OK) {
        free(e);
        return -1;
    }
    // Telemetry a previous run acknowledged but did not store yet goes in before anything new.
    struct hub_ingest_recovery recovery = {0};
    if (hub_ingest_open(e->store, journal_path, &e->ingest, &recovery, err, err_size) !=
        HUB_STORE_OK) {
        hub_store_close(e->store);
        free(e);
        return -1;
    }
    // DPS keeps its enrollments in the same database and assigns devices into this registry.
    struct hub_dps_options dps_options = {
        .db_path = db_path,
        .id_scope = NULL,
        .hub_hostname = options->hub_hostname,
        .assigning_polls = -1,
    };
    if (hub_dps_open(&dps_options, &e->dps, err, err_size) != 0) {
        hub_ingest_close(e->ingest);
        hub_store_close(e->store);
        free(e);
        return -1;
    }
    if (recovery.replayed > 0 || recovery.dropped_bytes > 0) {
        hub_engine_log(e, HUB_LOG_NOTICE,
                       "ingest journal: %zu message(s) recovered, %zu byte(s) of an incomplete "
                       "record dropped",
                       recovery.replayed, recovery.dropped_bytes);
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
    hub_dps_close(e->dps);
    hub_ingest_close(e->ingest);
    hub_store_close(e->store);
    hub_sessions_free(&e->sessions);
    hub_subscriptions_free(&e->subs);
    hub_faults_free(&e->faults);
    hub_timers_free(&e->timers);
    free(e->c2d_due.ids);
    hub_c2d_free(e);
    free(e);
}

// ---- connections ----

static void remember_ended(struct hub_engine *e, const void *client, const char *device_id) {
    e->ended.client = client;
    snprintf(e->ended.device_id, sizeof e->ended.device_id, "%s", device_id);
}

// A registration client of the Device Provisioning Service, which shares the hub's port (its
// username names an id scope where a hub's names a host).
static bool dps_connect(struct hub_engine *e, const struct hub_connect_info *info) {
    struct hub_dps_connect_request request = {
        .client_id = info->client_id,
        .username = info->username,
        .password = info->password,
        .cert_cn = info->cert_cn,
        .now = (long long)time(NULL),
    };
    char reason[512] = "";
    if (hub_dps_connect(e->dps, info->client, &request, reason, sizeof reason) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_NOTICE, "refused DPS client %s: %s", info->client_id, reason);
        return false;
    }
    hub_engine_log(e, HUB_LOG_INFO, "DPS client %s connected", info->client_id);
    return true;
}

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
    if (hub_dps_is_dps_username(info->username)) {
        return dps_connect(e, info);
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
    // IoT Hub takes a will only on the device's telemetry topic and refuses the CONNECT otherwise.
    struct hub_publish_topic will_topic;
    if (info->will_seen && info->will &&
        (info->will_topic == NULL ||
         !hub_auth_may_publish(info->client_id, info->will_topic, &will_topic) ||
         will_topic.kind != HUB_PUB_TELEMETRY)) {
        snprintf(reason, sizeof reason,
                 "a will is allowed only on devices/%s/messages/events/, not %.300s",
                 info->client_id, info->will_topic != NULL ? info->will_topic : "(unreadable)");
        hub_engine_log(e, HUB_LOG_NOTICE, "refused %s: %s", info->client_id, reason);
        hub_store_connection_event_add(e->store, info->client_id, HUB_EVENT_REFUSED, reason);
        return false;
    }
    bool replaced = false;
    const struct hub_session *previous = hub_sessions_find(&e->sessions, info->client_id);
    if (previous != NULL) {
        // mosquitto sends the replaced connection's will next (see hub_engine_acl).
        remember_ended(e, previous->client, info->client_id);
    }
    int mask = hub_subscriptions_connect(&e->subs, info->client_id, info->clean_session);
    if (mask < 0 || hub_sessions_set(&e->sessions, info->client_id, info->client, device.auth,
                                     &replaced) != 0) {
        hub_engine_log(e, HUB_LOG_ERR, "refused %s: out of memory", info->client_id);
        return false;
    }
    // The id is the device's now: a registration connection it replaced no longer speaks for it.
    hub_dps_disconnect(e->dps, NULL, info->client_id);
    hub_c2d_connected(e, info->client_id, info->clean_session);
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
    hub_dps_disconnect(e->dps, client, client_id);
    if (hub_sessions_remove(&e->sessions, client_id, client)) {
        remember_ended(e, client, client_id);
        hub_subscriptions_disconnect(&e->subs, client_id);
        hub_c2d_disconnected(e, client_id);
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

static bool is_current(const struct hub_engine *e, const char *device_id, const void *client) {
    const struct hub_session *session = hub_sessions_find(&e->sessions, device_id);
    return session != NULL && session->client == client;
}

static enum hub_verdict subscribe_acl(struct hub_engine *e, const char *client_id,
                                      const char *filter) {
    enum hub_subscription_kind kind;
    if (!hub_auth_may_subscribe(client_id, filter) ||
        hub_classify_subscription(filter, client_id, &kind) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_NOTICE, "closing %s: may not subscribe to %s", client_id, filter);
        return HUB_VERDICT_CLOSE;
    }
    switch (hub_subscriptions_add(&e->subs, client_id, kind, filter)) {
        case HUB_SUBSCRIBE_OK:
            break;
        case HUB_SUBSCRIBE_LIMIT:
            hub_engine_log(e, HUB_LOG_NOTICE,
                           "closing %s: subscribing %s would make more than %d subscriptions",
                           client_id, filter, HUB_MAX_SUBSCRIPTIONS);
            return HUB_VERDICT_CLOSE;
        case HUB_SUBSCRIBE_FAILED:
            return HUB_VERDICT_FAIL;
    }
    // The subscription completes after this check; the tick delivers what is queued.
    if (kind == HUB_SUB_C2D) {
        hub_engine_c2d_schedule(e, client_id);
    }
    return HUB_VERDICT_ALLOW;
}

// A DPS registration client: its responses only, and the register and poll requests.
static enum hub_verdict dps_acl(struct hub_engine *e, const char *client_id, enum hub_access access,
                                const char *topic) {
    bool ok = access == HUB_ACCESS_READ || access == HUB_ACCESS_UNSUBSCRIBE ||
              (access == HUB_ACCESS_SUBSCRIBE && hub_dps_may_subscribe(client_id, topic)) ||
              (access == HUB_ACCESS_WRITE && hub_dps_may_publish(client_id, topic, NULL));
    if (!ok) {
        hub_engine_log(e, HUB_LOG_NOTICE, "closing DPS client %s: may not %s %s", client_id,
                       access == HUB_ACCESS_WRITE ? "publish to" : "subscribe to", topic);
    }
    return ok ? HUB_VERDICT_ALLOW : HUB_VERDICT_CLOSE;
}

// The will of the connection that just ended (see hub_engine_acl in hub_engine.h).
static enum hub_verdict will_message(struct hub_engine *e, const struct hub_acl_request *request) {
    const char *id = request->client_id;
    bool ended = e->ended.client != NULL && e->ended.client == request->client &&
                 strcmp(e->ended.device_id, id) == 0;
    e->ended.client = NULL;
    struct hub_publish_topic topic;
    if (!ended) {
        return HUB_VERDICT_CLOSE;  // not a connection the hub accepted: nothing to forward
    }
    if (!hub_auth_may_publish(id, request->topic, &topic) || topic.kind != HUB_PUB_TELEMETRY) {
        hub_engine_log(e, HUB_LOG_NOTICE,
                       "dropped the will of %s: IoT Hub takes a will only on "
                       "devices/%s/messages/events/, not %s",
                       id, id, request->topic);
        return HUB_VERDICT_CLOSE;
    }
    struct hub_telemetry_input input = {
        .device_id = id,
        .topic = request->topic,
        .classified = &topic,
        .payload = request->payload,
        .payload_len = request->payload_len,
        .retain = request->retain,
        .will = true,
        .now_ms = hub_engine_now_ms(e),
    };
    char reason[512] = "";
    if (hub_telemetry_accept(e->ingest, &input, NULL, reason, sizeof reason) != HUB_OK) {
        hub_engine_log(e, HUB_LOG_NOTICE, "dropped the will of %s: %s", id, reason);
        return HUB_VERDICT_CLOSE;
    }
    hub_engine_log(e, HUB_LOG_INFO, "forwarded the will of %s as telemetry", id);
    return HUB_VERDICT_CONSUMED;
}

enum hub_verdict hub_engine_acl(struct hub_engine *e, const struct hub_acl_request *request) {
    const char *client_id = request->client_id;
    const char *topic = request->topic;
    enum hub_access access = request->access;
    if (client_id == NULL || topic == NULL) {
        return HUB_VERDICT_CLOSE;
    }
    if (hub_auth_is_service_client(client_id)) {
        return service_acl(e, client_id, access, topic);
    }
    // A registration id may also be a device id; the device's own connection takes the hub path.
    if (hub_dps_is_client(e->dps, client_id) && !is_current(e, client_id, request->client)) {
        return dps_acl(e, client_id, access, topic);
    }
    if (access == HUB_ACCESS_READ) {
        // Deliveries to a device only ever match the filters allowed below (also for a session
        // kept while it is offline), and the hub's own messages are addressed to one client.
        return HUB_VERDICT_ALLOW;
    }
    if (access == HUB_ACCESS_UNSUBSCRIBE) {
        hub_subscriptions_remove(&e->subs, client_id, topic);
        return HUB_VERDICT_ALLOW;
    }
    if (!is_current(e, client_id, request->client)) {
        return access == HUB_ACCESS_WRITE ? will_message(e, request) : HUB_VERDICT_CLOSE;
    }
    if (access == HUB_ACCESS_SUBSCRIBE) {
        return subscribe_acl(e, client_id, topic);
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
    enum hub_result result = hub_telemetry_accept(e->ingest, &input, NULL, reason, sizeof reason);
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

// A DPS register or poll: answered to the client alone, never routed.
static enum hub_verdict dps_message(struct hub_engine *e, const char *client_id, const char *topic,
                                    const void *payload, size_t payload_len) {
    struct hub_dps_response response;
    enum hub_result result = hub_dps_message(e->dps, e->store, client_id, topic, payload,
                                             payload_len, hub_engine_now_ms(e), &response);
    enum hub_verdict verdict = HUB_VERDICT_CLOSE;
    if (result == HUB_OK) {
        if (response.log[0] != '\0') {
            hub_engine_log(e, HUB_LOG_INFO, "DPS %s: %s", client_id, response.log);
        }
        hub_engine_send(e, client_id, response.topic, response.body, response.body_len,
                        response.qos);
        verdict = HUB_VERDICT_CONSUMED;
    } else if (result == HUB_ERR_INTERNAL) {
        hub_engine_log(e, HUB_LOG_ERR, "closing DPS client %s: no response could be made",
                       client_id);
        verdict = HUB_VERDICT_FAIL;
    } else {
        hub_engine_log(e, HUB_LOG_NOTICE, "closing DPS client %s: not a DPS request: %s", client_id,
                       topic);
    }
    hub_dps_response_free(&response);
    return verdict;
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
    if (hub_dps_is_client(e->dps, client_id) && !hub_engine_connected(e, client_id)) {
        return dps_message(e, client_id, topic, payload, payload_len);
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
    // A will is checked within the broker call that ended its connection; none is due now.
    e->ended.client = NULL;
    hub_timers_fire(&e->timers, now, send_timer, e);
    hub_methods_tick(e, now);
    hub_c2d_tick(e);
    check_registry(e, now);
    hub_ingest_tick(e->ingest, now);
}
