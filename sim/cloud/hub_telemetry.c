// SPDX-License-Identifier: MIT
// Telemetry ingest (see hub_telemetry.h): decode the topic's property bag, build the two JSON
// objects a back end reads, and hand the row to the ingest journal.

#include "cloud/hub_telemetry.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

struct system_name {
    const char *wire;  // decoded key as the device sends it
    const char *name;  // as a back end sees it
};

static const struct system_name system_names[] = {
    {"$.mid", "message-id"},  {"$.cid", "correlation-id"},
    {"$.ct", "content-type"}, {"$.ce", "content-encoding"},
    {"$.uid", "user-id"},     {"$.ctime", "iothub-creation-time-utc"},
    {"$.sub", "dt-subject"},  {"$.exp", "absolute-expiry-time"},
    {"$.to", "to"},
};

static const char *system_name(const char *key) {
    for (size_t i = 0; i < sizeof system_names / sizeof system_names[0]; i++) {
        if (strcmp(system_names[i].wire, key) == 0) {
            return system_names[i].name;
        }
    }
    return key;
}

// A growing text buffer for the two property objects: written directly rather than through cJSON,
// because every device message is built here on the broker thread and a document tree per message
// costs more than the rest of the ingest.
struct text {
    char *data;
    size_t len;
    size_t capacity;
    bool failed;
};

static void put(struct text *t, const char *s, size_t n) {
    if (t->failed) {
        return;
    }
    if (t->capacity - t->len <= n) {
        size_t capacity = t->capacity == 0 ? 256 : t->capacity;
        while (capacity - t->len <= n) {
            capacity *= 2;
        }
        char *grown = realloc(t->data, capacity);
        if (grown == NULL) {
            t->failed = true;
            return;
        }
        t->data = grown;
        t->capacity = capacity;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void put_str(struct text *t, const char *s) {
    put(t, s, strlen(s));
}

// A JSON string: quotes, backslashes and control characters escaped; other bytes as they are
// (property values are whatever the device URL-encoded).
static void put_json_string(struct text *t, const char *s) {
    put(t, "\"", 1);
    const char *run = s;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }
        put(t, run, (size_t)(s - run));
        char escaped[8];
        switch (c) {
            case '"':
            case '\\':
                snprintf(escaped, sizeof escaped, "\\%c", c);
                break;
            case '\b':
                snprintf(escaped, sizeof escaped, "\\b");
                break;
            case '\f':
                snprintf(escaped, sizeof escaped, "\\f");
                break;
            case '\n':
                snprintf(escaped, sizeof escaped, "\\n");
                break;
            case '\r':
                snprintf(escaped, sizeof escaped, "\\r");
                break;
            case '\t':
                snprintf(escaped, sizeof escaped, "\\t");
                break;
            default:
                snprintf(escaped, sizeof escaped, "\\u%04x", c);
                break;
        }
        put_str(t, escaped);
        run = s + 1;
    }
    put(t, run, (size_t)(s - run));
    put(t, "\"", 1);
}

// Appends "key":value to an object being written (value NULL is JSON null).
static void put_member(struct text *t, bool *first, const char *key, const char *value) {
    if (!*first) {
        put(t, ",", 1);
    }
    *first = false;
    put_json_string(t, key);
    put(t, ":", 1);
    if (value != NULL) {
        put_json_string(t, value);
    } else {
        put(t, "null", 4);
    }
}

// The name a bag key has in its object: system keys under a back end's names.
static const char *member_name(const struct hub_property *item, bool *out_system) {
    *out_system = hub_is_system_property(item->key);
    return *out_system ? system_name(item->key) : item->key;
}

// True when an earlier pair of the bag lands on the same member (the first occurrence counts).
static bool seen_before(const struct hub_property_bag *bag, size_t index, bool system,
                        const char *name) {
    for (size_t i = 0; i < index; i++) {
        bool other_system;
        const char *other = member_name(&bag->items[i], &other_system);
        if (other_system == system && strcmp(other, name) == 0) {
            return true;
        }
    }
    return false;
}

// Writes the application properties (into app) and system properties (into system) as JSON
// objects.
static void build_properties(const struct hub_telemetry_input *in,
                             const struct hub_property_bag *bag, const char *enqueued,
                             struct text *system, struct text *app) {
    bool system_first = true;
    bool app_first = true;
    bool has_retain = false;
    put(system, "{", 1);
    put(app, "{", 1);
    // The hub's own marker wins over a device's property of the same name.
    if (in->will) {
        put_member(app, &app_first, HUB_TELEMETRY_MESSAGE_TYPE, "Will");
    }
    for (size_t i = 0; i < bag->count; i++) {
        const struct hub_property *item = &bag->items[i];
        bool is_system;
        const char *name = member_name(item, &is_system);
        if (seen_before(bag, i, is_system, name) ||
            (!is_system && in->will && strcmp(name, HUB_TELEMETRY_MESSAGE_TYPE) == 0)) {
            continue;
        }
        has_retain = has_retain || (!is_system && strcmp(name, "mqtt-retain") == 0);
        put_member(is_system ? system : app, is_system ? &system_first : &app_first, name,
                   item->has_value ? item->value : NULL);
    }
    if (in->retain && !has_retain) {
        put_member(app, &app_first, "mqtt-retain", "true");
    }
    put_member(system, &system_first, "iothub-connection-device-id", in->device_id);
    put_member(system, &system_first, "iothub-enqueuedtime", enqueued);
    put_member(system, &system_first, "iothub-message-source", "Telemetry");
    put(system, "}", 1);
    put(app, "}", 1);
}

enum hub_result hub_telemetry_accept(struct hub_ingest *ingest,
                                     const struct hub_telemetry_input *in, long long *out_sequence,
                                     char *reason, size_t reason_size) {
    const struct hub_publish_topic *topic = in->classified;
    size_t topic_len = strlen(in->topic);
    if (topic->kind != HUB_PUB_TELEMETRY || topic->properties_offset > topic_len ||
        topic->properties_len > topic_len - topic->properties_offset) {
        snprintf(reason, reason_size, "%s is not a telemetry topic", in->topic);
        return HUB_ERR_INVALID;
    }
    size_t size = in->payload_len + topic->properties_len;
    if (in->payload_len > HUB_TELEMETRY_MAX_BYTES || size > HUB_TELEMETRY_MAX_BYTES) {
        snprintf(reason, reason_size, "message of %zu bytes exceeds the %d byte limit", size,
                 HUB_TELEMETRY_MAX_BYTES);
        return HUB_ERR_TOO_LARGE;
    }
    static const struct hub_property_bag no_properties;
    // Heap, not stack: a full bag is about 80 KB. Most messages have a short bag or none.
    struct hub_property_bag *bag = NULL;
    struct text system = {0};
    struct text app = {0};
    enum hub_result result = HUB_ERR_INTERNAL;
    if (topic->properties_len > 0) {
        bag = malloc(sizeof *bag);
        if (bag == NULL) {
            snprintf(reason, reason_size, "out of memory");
            goto out;
        }
        result = hub_parse_property_bag(in->topic + topic->properties_offset, topic->properties_len,
                                        bag);
        if (result != HUB_OK) {
            snprintf(reason, reason_size, "malformed property bag (%s)", hub_result_name(result));
            result = HUB_ERR_INVALID;
            goto out;
        }
    }
    struct hub_telemetry message = {
        .device_id = in->device_id,
        .body = in->payload,
        .body_len = in->payload_len,
    };
    hub_store_format_time(in->now_ms, message.enqueued_time);
    build_properties(in, bag != NULL ? bag : &no_properties, message.enqueued_time, &system, &app);
    if (system.failed || app.failed) {
        snprintf(reason, reason_size, "out of memory");
        result = HUB_ERR_INTERNAL;
        goto out;
    }
    message.system_properties = system.data;
    message.properties = app.data;
    if (hub_ingest_add(ingest, &message, in->now_ms) != HUB_STORE_OK) {
        snprintf(reason, reason_size, "%s", hub_ingest_error(ingest));
        result = HUB_ERR_INTERNAL;
        goto out;
    }
    if (out_sequence != NULL) {
        *out_sequence = message.sequence;
    }
    result = HUB_OK;
out:
    free(bag);
    free(system.data);
    free(app.data);
    return result;
}

bool hub_telemetry_is_text(const void *body, size_t len) {
    const unsigned char *s = body;
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        size_t extra;
        unsigned long cp;
        unsigned long min;
        if (c == 0) {
            return false;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1, cp = c & 0x1fu, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            extra = 2, cp = c & 0x0fu, min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3, cp = c & 0x07u, min = 0x10000;
        } else {
            return false;
        }
        if (len - i <= extra) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3fu);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

cJSON *hub_telemetry_to_json(const struct hub_telemetry *message) {
    bool text = hub_telemetry_is_text(message->body, message->body_len);
    char *body = NULL;
    if (text) {
        body = strndup(message->body != NULL ? message->body : "", message->body_len);
    } else if (message->body_len <= (size_t)INT32_MAX / 2) {
        body = malloc(4 * ((message->body_len + 2) / 3) + 1);
        if (body != NULL) {
            EVP_EncodeBlock((unsigned char *)body, message->body, (int)message->body_len);
        }
    }
    cJSON *item = body != NULL ? cJSON_CreateObject() : NULL;
    if (item == NULL) {
        free(body);
        return NULL;
    }
    // A property text that is not JSON (a database edited by hand) shows as an empty object.
    cJSON *system = cJSON_Parse(message->system_properties);
    cJSON *app = cJSON_Parse(message->properties);
    bool ok = cJSON_AddNumberToObject(item, "sequence", (double)message->sequence) != NULL &&
              cJSON_AddStringToObject(item, "deviceId", message->device_id) != NULL &&
              cJSON_AddStringToObject(item, "enqueuedTime", message->enqueued_time) != NULL &&
              cJSON_AddItemToObject(item, "systemProperties",
                                    system != NULL ? system : cJSON_CreateObject()) &&
              cJSON_AddItemToObject(item, "properties", app != NULL ? app : cJSON_CreateObject()) &&
              cJSON_AddStringToObject(item, "body", body) != NULL &&
              cJSON_AddStringToObject(item, "bodyEncoding", text ? "utf-8" : "base64") != NULL;
    free(body);
    if (!ok) {
        cJSON_Delete(item);
        return NULL;
    }
    return item;
}
