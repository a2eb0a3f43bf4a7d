// SPDX-License-Identifier: MIT
// Telemetry ingest (see hub_telemetry.h): decode the topic's property bag, build the two JSON
// objects a back end reads, and hand the row to the store.

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

// Adds key: value (null when the bag had no value) unless key is already present.
static bool add_once(cJSON *object, const char *key, const struct hub_property *item) {
    if (cJSON_GetObjectItemCaseSensitive(object, key) != NULL) {
        return true;
    }
    cJSON *value = item->has_value ? cJSON_CreateString(item->value) : cJSON_CreateNull();
    return value != NULL && cJSON_AddItemToObject(object, key, value);
}

static enum hub_result build_properties(const struct hub_telemetry_input *in,
                                        const struct hub_property_bag *bag, const char *enqueued,
                                        char **out_system, char **out_app) {
    enum hub_result result = HUB_ERR_INTERNAL;
    cJSON *system = cJSON_CreateObject();
    cJSON *app = cJSON_CreateObject();
    if (system == NULL || app == NULL) {
        goto out;
    }
    for (size_t i = 0; i < bag->count; i++) {
        const struct hub_property *item = &bag->items[i];
        bool ok = hub_is_system_property(item->key) ? add_once(system, system_name(item->key), item)
                                                    : add_once(app, item->key, item);
        if (!ok) {
            goto out;
        }
    }
    if (in->retain && cJSON_GetObjectItemCaseSensitive(app, "mqtt-retain") == NULL &&
        cJSON_AddStringToObject(app, "mqtt-retain", "true") == NULL) {
        goto out;
    }
    if (cJSON_AddStringToObject(system, "iothub-connection-device-id", in->device_id) == NULL ||
        cJSON_AddStringToObject(system, "iothub-enqueuedtime", enqueued) == NULL ||
        cJSON_AddStringToObject(system, "iothub-message-source", "Telemetry") == NULL) {
        goto out;
    }
    *out_system = cJSON_PrintUnformatted(system);
    *out_app = cJSON_PrintUnformatted(app);
    if (*out_system != NULL && *out_app != NULL) {
        result = HUB_OK;
    }
out:
    cJSON_Delete(system);
    cJSON_Delete(app);
    return result;
}

enum hub_result hub_telemetry_accept(struct hub_store *store, const struct hub_telemetry_input *in,
                                     long long *out_sequence, char *reason, size_t reason_size) {
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
    // Heap, not stack: a full bag is about 80 KB.
    struct hub_property_bag *bag = malloc(sizeof *bag);
    char *system = NULL;
    char *app = NULL;
    enum hub_result result = HUB_ERR_INTERNAL;
    if (bag == NULL) {
        snprintf(reason, reason_size, "out of memory");
        goto out;
    }
    result =
        hub_parse_property_bag(in->topic + topic->properties_offset, topic->properties_len, bag);
    if (result != HUB_OK) {
        snprintf(reason, reason_size, "malformed property bag (%s)", hub_result_name(result));
        result = HUB_ERR_INVALID;
        goto out;
    }
    struct hub_telemetry message = {
        .device_id = in->device_id,
        .body = in->payload,
        .body_len = in->payload_len,
    };
    hub_store_format_time(in->now_ms, message.enqueued_time);
    result = build_properties(in, bag, message.enqueued_time, &system, &app);
    if (result != HUB_OK) {
        snprintf(reason, reason_size, "out of memory");
        goto out;
    }
    message.system_properties = system;
    message.properties = app;
    if (hub_store_telemetry_add(store, &message, out_sequence) != HUB_STORE_OK) {
        snprintf(reason, reason_size, "%s", hub_store_error(store));
        result = HUB_ERR_INTERNAL;
    }
out:
    free(bag);
    cJSON_free(system);
    cJSON_free(app);
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
