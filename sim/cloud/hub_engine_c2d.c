// SPDX-License-Identifier: MIT
// Cloud-to-device messages in the hub engine. c2d-send queues a message in the store (at most 50
// per device, TTL 60 s..48 h, default 1 h) and the hub delivers the queue, oldest first at QoS 1
// on "devices/{id}/messages/devicebound/{property bag}", whenever the device is connected and
// subscribed to its C2D filter: right after the send, and on the tick after it subscribes or a
// kept session reconnects. Expired messages are dropped and counted instead.
//
// Completion: IoT Hub completes a message on the device's PUBACK. mosquitto 2.0's plugin API
// reports no PUBACK, but the TLS shim in the broker sees them on the wire (hub_tls_observer.h), and
// with it (option c2d_acks) a sent message stays in the queue, locked, until its PUBACK
// (hub_engine_c2d_acked). If the connection ends first, a clean session's locked messages are
// free again and go out at the device's next subscription; a kept session's stay locked, because
// the broker itself sends them again when the device comes back. Without the shim a message
// counts as completed once handed to the broker, as a last resort.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_engine_internal.h"

#define MIN_TTL_S 60
#define MAX_TTL_S 172800
#define MAX_BODY (64 * 1024)
#define MAX_TOPIC 65535 /* MQTT's limit for a topic name */

static const char *const ack_modes[] = {"none", "positive", "negative", "full"};

static bool add_property(struct hub_property_bag *bag, const char *key, const char *value) {
    if (bag->count == HUB_MAX_PROPERTIES || strlen(key) >= HUB_MAX_PROPERTY_KEY ||
        strlen(value) >= HUB_MAX_PROPERTY_VALUE) {
        return false;
    }
    struct hub_property *p = &bag->items[bag->count++];
    snprintf(p->key, sizeof p->key, "%s", key);
    snprintf(p->value, sizeof p->value, "%s", value);
    p->has_value = true;
    return true;
}

// Builds the delivery topic with system properties first, then the application properties.
// Returns the topic length, or -1 when the properties do not fit a topic.
static int build_topic(const struct hub_c2d_message *m, char *out, size_t out_size) {
    struct hub_property_bag *bag = calloc(1, sizeof *bag);
    cJSON *app = cJSON_Parse(m->properties);
    int n = -1;
    char to[32 + HUB_MAX_ID];
    char expiry[HUB_STORE_TIME_SIZE];
    snprintf(to, sizeof to, "/devices/%s/messages/devicebound", m->device_id);
    hub_store_format_time(m->expiry_ms, expiry);
    bool ok = bag != NULL && cJSON_IsObject(app) && add_property(bag, "$.mid", m->message_id) &&
              (m->correlation_id[0] == '\0' || add_property(bag, "$.cid", m->correlation_id)) &&
              add_property(bag, "$.to", to) && add_property(bag, "$.exp", expiry) &&
              add_property(bag, "iothub-ack", m->ack);
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, app) {
        ok = ok && cJSON_IsString(item) && add_property(bag, item->string, item->valuestring);
    }
    if (ok) {
        n = hub_topic_c2d(out, out_size, m->device_id, bag);
    }
    cJSON_Delete(app);
    free(bag);
    return n;
}

// ---- locks: sent, awaiting the PUBACK ----

static bool is_locked(const struct hub_engine *e, long long id) {
    for (size_t i = 0; i < e->c2d_locks.count; i++) {
        if (e->c2d_locks.items[i].id == id) {
            return true;
        }
    }
    return false;
}

static int lock_message(struct hub_engine *e, const struct hub_c2d_message *m) {
    if (e->c2d_locks.count == e->c2d_locks.capacity) {
        size_t capacity = e->c2d_locks.capacity == 0 ? 16 : e->c2d_locks.capacity * 2;
        struct hub_c2d_lock *grown = realloc(e->c2d_locks.items, capacity * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        e->c2d_locks.items = grown;
        e->c2d_locks.capacity = capacity;
    }
    struct hub_c2d_lock *lock = &e->c2d_locks.items[e->c2d_locks.count++];
    lock->id = m->id;
    snprintf(lock->device_id, sizeof lock->device_id, "%s", m->device_id);
    snprintf(lock->message_id, sizeof lock->message_id, "%s", m->message_id);
    return 0;
}

// Drops lock i, keeping the others in the order they were sent.
static void unlock_at(struct hub_engine *e, size_t i) {
    memmove(&e->c2d_locks.items[i], &e->c2d_locks.items[i + 1],
            (e->c2d_locks.count - i - 1) * sizeof e->c2d_locks.items[0]);
    e->c2d_locks.count--;
}

static void unlock_device(struct hub_engine *e, const char *device_id) {
    for (size_t i = e->c2d_locks.count; i > 0; i--) {
        if (strcmp(e->c2d_locks.items[i - 1].device_id, device_id) == 0) {
            unlock_at(e, i - 1);
        }
    }
}

size_t hub_c2d_locked_count(const struct hub_engine *e, const char *device_id) {
    size_t count = 0;
    for (size_t i = 0; i < e->c2d_locks.count; i++) {
        count += strcmp(e->c2d_locks.items[i].device_id, device_id) == 0;
    }
    return count;
}

static bool is_persistent(const struct hub_engine *e, const char *device_id) {
    for (size_t i = 0; i < e->c2d_persistent.count; i++) {
        if (strcmp(e->c2d_persistent.ids[i], device_id) == 0) {
            return true;
        }
    }
    return false;
}

static void forget_persistent(struct hub_engine *e, const char *device_id) {
    struct hub_device_list *list = &e->c2d_persistent;
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->ids[i], device_id) == 0) {
            memcpy(list->ids[i], list->ids[list->count - 1], sizeof list->ids[0]);
            list->count--;
            return;
        }
    }
}

void hub_c2d_connected(struct hub_engine *e, const char *device_id, bool clean_session) {
    if (clean_session) {
        // Any session the broker kept is gone, with the messages it would have sent again.
        unlock_device(e, device_id);
        forget_persistent(e, device_id);
    } else if (hub_device_list_add(&e->c2d_persistent, device_id) != 0) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: out of memory", device_id);
    }
}

void hub_c2d_disconnected(struct hub_engine *e, const char *device_id) {
    if (!is_persistent(e, device_id)) {
        unlock_device(e, device_id);
    }
}

void hub_engine_c2d_acked(struct hub_engine *e, const char *device_id, const char *topic) {
    static const char mark[] = "/messages/devicebound/";
    const char *bag_text = topic != NULL ? strstr(topic, mark) : NULL;
    struct hub_property_bag *bag = calloc(1, sizeof *bag);
    const char *message_id = NULL;
    if (bag != NULL && bag_text != NULL && device_id != NULL &&
        hub_parse_property_bag(bag_text + sizeof mark - 1, strlen(bag_text + sizeof mark - 1),
                               bag) == HUB_OK) {
        message_id = hub_property_get(bag, "$.mid");
    }
    for (size_t i = 0; message_id != NULL && i < e->c2d_locks.count; i++) {
        struct hub_c2d_lock *lock = &e->c2d_locks.items[i];
        if (strcmp(lock->device_id, device_id) == 0 && strcmp(lock->message_id, message_id) == 0) {
            // NOT_FOUND: it expired or the device was removed while it was on its way.
            enum hub_store_result removed = hub_store_c2d_remove(e->store, lock->id);
            if (removed != HUB_STORE_OK && removed != HUB_STORE_ERR_NOT_FOUND) {
                hub_engine_log(e, HUB_LOG_ERR, "device %s: C2D queue: %s", device_id,
                               hub_store_error(e->store));
            }
            hub_engine_log(e, HUB_LOG_INFO, "device %s: C2D message %s completed", device_id,
                           message_id);
            unlock_at(e, i);
            break;
        }
    }
    free(bag);
}

void hub_c2d_free(struct hub_engine *e) {
    free(e->c2d_locks.items);
    free(e->c2d_persistent.ids);
    memset(&e->c2d_locks, 0, sizeof e->c2d_locks);
    memset(&e->c2d_persistent, 0, sizeof e->c2d_persistent);
}

// ---- delivery ----

struct delivery {
    struct hub_engine *e;
    char *topic;
    long long *ids;  // delivered, to remove once the listing is done
    size_t count;
    size_t capacity;
    size_t sent;  // sent and locked, awaiting their PUBACK (c2d_acks)
};

static int deliver_one(const struct hub_c2d_message *m, void *ctx) {
    struct delivery *d = ctx;
    if (d->e->c2d_acks && is_locked(d->e, m->id)) {
        return 0;  // sent already, awaiting its PUBACK
    }
    if (build_topic(m, d->topic, MAX_TOPIC + 1) < 0) {
        // Checked at send time, so only a database edited by hand gets here; drop it.
        hub_engine_log(d->e, HUB_LOG_WARNING, "device %s: C2D message %s undeliverable, dropped",
                       m->device_id, m->message_id);
    } else if (d->e->c2d_acks && lock_message(d->e, m) != 0) {
        return 1;  // out of memory: stays queued for the next try
    } else if (hub_engine_send(d->e, m->device_id, d->topic, m->body, m->body_len, 1) != 0) {
        if (d->e->c2d_acks) {
            d->e->c2d_locks.count--;  // the lock just taken
        }
        return 1;  // stays queued for the next try
    } else if (d->e->c2d_acks) {
        d->sent++;
        return 0;  // leaves the queue on its PUBACK
    }
    if (d->count == d->capacity) {
        size_t capacity = d->capacity == 0 ? 16 : d->capacity * 2;
        long long *grown = realloc(d->ids, capacity * sizeof *grown);
        if (grown == NULL) {
            return 1;
        }
        d->ids = grown;
        d->capacity = capacity;
    }
    d->ids[d->count++] = m->id;
    return 0;
}

void hub_c2d_deliver(struct hub_engine *e, const char *device_id) {
    if (!hub_engine_listening(e, device_id, HUB_SUB_C2D)) {
        return;
    }
    long long dropped = 0;
    if (hub_store_c2d_drop_expired(e->store, device_id, hub_engine_now_ms(e), &dropped) !=
        HUB_STORE_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: C2D queue: %s", device_id,
                       hub_store_error(e->store));
        return;
    }
    if (dropped > 0) {
        hub_engine_log(e, HUB_LOG_NOTICE, "device %s: %lld C2D message(s) expired undelivered",
                       device_id, dropped);
    }
    struct delivery d = {.e = e, .topic = malloc(MAX_TOPIC + 1)};
    if (d.topic == NULL) {
        return;
    }
    if (hub_store_c2d_list(e->store, device_id, HUB_C2D_MAX_QUEUED, deliver_one, &d) !=
        HUB_STORE_OK) {
        hub_engine_log(e, HUB_LOG_ERR, "device %s: C2D queue: %s", device_id,
                       hub_store_error(e->store));
    }
    for (size_t i = 0; i < d.count; i++) {
        hub_store_c2d_remove(e->store, d.ids[i]);
        // A locked message that expired in the meantime goes from the store, not from the locks.
    }
    if (d.count > 0 || d.sent > 0) {
        hub_engine_log(e, HUB_LOG_INFO, "device %s: %zu C2D message(s) %s", device_id,
                       d.count + d.sent, d.sent > 0 ? "sent" : "delivered");
    }
    free(d.ids);
    free(d.topic);
}

void hub_c2d_tick(struct hub_engine *e) {
    // Taken over first: delivering may schedule again (it does not today, but cheap to be safe).
    struct hub_device_list due = e->c2d_due;
    memset(&e->c2d_due, 0, sizeof e->c2d_due);
    for (size_t i = 0; i < due.count; i++) {
        hub_c2d_deliver(e, due.ids[i]);
    }
    free(due.ids);
}

// ---- c2d-send ----

// An optional string of 1..max bytes; false when present but not one.
static bool optional_string(const cJSON *request, const char *name, size_t max, const char **out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(request, name);
    *out = NULL;
    if (item == NULL || cJSON_IsNull(item)) {
        return true;
    }
    if (!cJSON_IsString(item) || item->valuestring[0] == '\0' || strlen(item->valuestring) > max) {
        return false;
    }
    *out = item->valuestring;
    return true;
}

static bool valid_properties(const cJSON *properties) {
    if (properties == NULL) {
        return true;
    }
    if (!cJSON_IsObject(properties) || cJSON_GetArraySize(properties) > HUB_MAX_PROPERTIES - 5) {
        return false;
    }
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, properties) {
        if (!cJSON_IsString(item) || item->string[0] == '\0' || item->string[0] == '$' ||
            strlen(item->string) >= HUB_MAX_PROPERTY_KEY ||
            strlen(item->valuestring) >= HUB_MAX_PROPERTY_VALUE) {
            return false;
        }
    }
    return true;
}

static bool parse_ttl(const cJSON *request, long *out) {
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(request, "ttlSeconds");
    *out = HUB_C2D_DEFAULT_TTL_S;
    if (ttl == NULL || cJSON_IsNull(ttl)) {
        return true;
    }
    if (!cJSON_IsNumber(ttl) || ttl->valuedouble < MIN_TTL_S || ttl->valuedouble > MAX_TTL_S ||
        ttl->valuedouble != (double)(long)ttl->valuedouble) {
        return false;
    }
    *out = (long)ttl->valuedouble;
    return true;
}

static const char *parse_ack(const cJSON *request) {
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(request, "ack");
    if (ack == NULL || cJSON_IsNull(ack)) {
        return ack_modes[0];
    }
    for (size_t i = 0; cJSON_IsString(ack) && i < sizeof ack_modes / sizeof ack_modes[0]; i++) {
        if (strcmp(ack->valuestring, ack_modes[i]) == 0) {
            return ack_modes[i];
        }
    }
    return NULL;
}

void hub_op_c2d_send(struct hub_engine *e, const cJSON *request, struct hub_reply *reply) {
    const char *device_id = hub_json_string(request, "deviceId");
    const char *body = hub_json_string(request, "body");
    const cJSON *properties = cJSON_GetObjectItemCaseSensitive(request, "properties");
    const char *message_id = NULL;
    const char *correlation_id = NULL;
    const char *ack = parse_ack(request);
    long ttl = 0;
    if (device_id == NULL || !hub_is_valid_device_id(device_id)) {
        hub_reply_error(reply, 400, "deviceId is missing or not a valid device id");
        return;
    }
    if (body == NULL) {
        hub_reply_error(reply, 400, "body is required (a string)");
        return;
    }
    if (strlen(body) > MAX_BODY) {
        hub_reply_error(reply, 413, "body is larger than %d bytes", MAX_BODY);
        return;
    }
    if (!valid_properties(properties) ||
        !optional_string(request, "messageId", HUB_STORE_MAX_SYSTEM_ID, &message_id) ||
        !optional_string(request, "correlationId", HUB_STORE_MAX_SYSTEM_ID, &correlation_id) ||
        !parse_ttl(request, &ttl) || ack == NULL) {
        hub_reply_error(reply, 400,
                        "bad properties, messageId, correlationId, ttlSeconds (%d.."
                        "%d) or ack",
                        MIN_TTL_S, MAX_TTL_S);
        return;
    }
    struct hub_device device;
    enum hub_store_result found = hub_store_device_get(e->store, device_id, &device);
    if (found != HUB_STORE_OK) {
        hub_reply_error(reply, found == HUB_STORE_ERR_NOT_FOUND ? 404 : 500,
                        "device %s is not registered", device_id);
        return;
    }
    char guid[HUB_STORE_GUID_SIZE];
    if (message_id == NULL) {
        if (hub_store_guid(guid) != 0) {
            hub_reply_error(reply, 500, "no random numbers for a message id");
            return;
        }
        message_id = guid;
    }
    cJSON *empty = properties == NULL ? cJSON_CreateObject() : NULL;
    char *props_text = cJSON_PrintUnformatted(properties != NULL ? properties : empty);
    cJSON_Delete(empty);
    char *topic = malloc(MAX_TOPIC + 1);
    long long now = hub_engine_now_ms(e);
    struct hub_c2d_message m = {
        .device_id = device_id,
        .message_id = message_id,
        .correlation_id = correlation_id != NULL ? correlation_id : "",
        .ack = ack,
        .properties = props_text,
        .body = body,
        .body_len = strlen(body),
        .enqueued_ms = now,
        .expiry_ms = now + ttl * 1000,
    };
    long long queued = 0;
    enum hub_store_result stored = HUB_STORE_ERR_IO;
    if (props_text == NULL || topic == NULL) {
        hub_reply_error(reply, 500, "out of memory");
    } else if (build_topic(&m, topic, MAX_TOPIC + 1) < 0) {
        hub_reply_error(reply, 400, "the properties do not fit an MQTT topic");
    } else if ((stored = hub_store_c2d_add(e->store, &m, now, HUB_C2D_MAX_QUEUED, NULL, &queued)) ==
               HUB_STORE_ERR_FULL) {
        hub_reply_error(reply, 429, "queue full: device %s already has %d messages queued",
                        device_id, HUB_C2D_MAX_QUEUED);
    } else if (stored != HUB_STORE_OK) {
        hub_reply_error(reply, 500, "%s", hub_store_error(e->store));
    }
    if (stored == HUB_STORE_OK) {
        hub_c2d_deliver(e, device_id);
        long long expired = 0;
        hub_store_c2d_stats(e->store, device_id, &queued, &expired);
        // What still waits to be sent; sent ones leave the queue on their PUBACK.
        queued -= (long long)hub_c2d_locked_count(e, device_id);
        reply->status = 200;
        reply->body = cJSON_CreateObject();
        if (reply->body != NULL) {
            cJSON_AddStringToObject(reply->body, "messageId", message_id);
            cJSON_AddNumberToObject(reply->body, "queued", (double)queued);
        }
    }
    free(topic);
    cJSON_free(props_text);
}
