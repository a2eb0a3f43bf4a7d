// SPDX-License-Identifier: MIT
// libFuzzer target for what a device controls in the local hub's protocol core
// (sim/cloud/hub_protocol.c, hub_username.c, hub_twin.c): the CONNECT username (hub and DPS),
// a telemetry property bag, the topics it publishes and subscribes, and a twin patch. The first
// input byte picks the parser; the rest is the device's text. Besides the sanitizers it checks
// promises callers rely on: a parsed device id is valid, a property bag that parses encodes and
// parses back to the same pairs and validates exactly when it parses, a telemetry bag lies within
// its topic, and a twin that took a patch serialises and loads back to the same document.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_twin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW "2026-12-06T00:00:00Z"

static void check_username(const char *text) {
    struct hub_username parsed;
    if (hub_parse_username(text, &parsed) == HUB_OK && !hub_is_valid_device_id(parsed.device_id)) {
        abort();
    }
    struct hub_dps_username dps;
    (void)hub_parse_dps_username(text, &dps);
}

static bool same_bag(const struct hub_property_bag *a, const struct hub_property_bag *b) {
    if (a->count != b->count) {
        return false;
    }
    for (size_t i = 0; i < a->count; i++) {
        if (strcmp(a->items[i].key, b->items[i].key) != 0 ||
            strcmp(a->items[i].value, b->items[i].value) != 0 ||
            a->items[i].has_value != b->items[i].has_value) {
            return false;
        }
    }
    return true;
}

static void check_property_bag(const char *text, size_t len) {
    static struct hub_property_bag parsed;
    static struct hub_property_bag again;
    // Every byte may grow to "%XX", plus the separators.
    static char encoded[HUB_MAX_PROPERTIES * (HUB_MAX_PROPERTY_KEY + HUB_MAX_PROPERTY_VALUE) * 3 +
                        HUB_MAX_PROPERTIES * 2];
    enum hub_result result = hub_parse_property_bag(text, len, &parsed);
    if ((result == HUB_OK) != (hub_validate_property_bag(text, len) == HUB_OK)) {
        abort();
    }
    if (result != HUB_OK) {
        return;
    }
    int n = hub_encode_property_bag(&parsed, encoded, sizeof(encoded));
    if (n < 0 || hub_parse_property_bag(encoded, (size_t)n, &again) != HUB_OK ||
        !same_bag(&parsed, &again)) {
        abort();
    }
}

static void check_topics(const char *text) {
    struct hub_publish_topic topic;
    if (hub_classify_publish(text, "dev1", &topic) == HUB_OK && topic.kind == HUB_PUB_TELEMETRY &&
        topic.properties_offset + topic.properties_len > strlen(text)) {
        abort();
    }
    (void)hub_classify_publish(text, "dev1/module1", &topic);
    enum hub_subscription_kind kind;
    (void)hub_classify_subscription(text, "dev1", &kind);
}

static void check_twin_patch(const char *text, size_t len) {
    cJSON *patch = cJSON_ParseWithLength(text, len);
    if (patch == NULL) {
        return;
    }
    char err[256];
    struct hub_twin twin;
    hub_twin_init(&twin);
    (void)hub_twin_apply_patch(&twin, 'r', patch, NOW, err, sizeof(err));
    (void)hub_twin_apply_patch(&twin, 'd', patch, NOW, err, sizeof(err));
    (void)hub_twin_apply_tags(&twin, patch, err, sizeof(err));
    char *saved = hub_twin_to_json(&twin);
    if (saved != NULL) {
        struct hub_twin loaded;
        if (hub_twin_from_json(saved, &loaded) != HUB_OK) {
            abort();  // what the hub saves it must be able to load after a restart
        }
        char *again = hub_twin_to_json(&loaded);
        if (again == NULL || strcmp(saved, again) != 0) {
            abort();
        }
        free(again);
        hub_twin_free(&loaded);
        free(saved);
    }
    cJSON *view = hub_twin_device_view(&twin);
    cJSON_Delete(view);
    hub_twin_free(&twin);
    cJSON_Delete(patch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1 || size > 1 << 16) {
        return 0;
    }
    char *text = malloc(size);
    if (text == NULL) {
        return 0;
    }
    // The text after the selector, NUL-terminated for the parsers that take a C string.
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    size_t len = size - 1;
    switch (data[0] % 4) {
        case 0:
            check_username(text);
            break;
        case 1:
            check_property_bag(text, len);
            break;
        case 2:
            check_topics(text);
            break;
        default:
            check_twin_patch(text, len);
            break;
    }
    free(text);
    return 0;
}
