// SPDX-License-Identifier: MIT
// Parsers and builders for IoT Hub's MQTT device protocol (see hub_protocol.h). Every input here
// comes straight from an MQTT client, so each function checks lengths before copying, treats a
// malformed %-escape as malformed input rather than guessing, and never lets a decoded NUL turn
// into a shorter C string than the client sent.

#include "cloud/hub_protocol.h"
#include "cloud/hub_protocol_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

const char *hub_result_name(enum hub_result r) {
    switch (r) {
        case HUB_OK:
            return "ok";
        case HUB_ERR_INVALID:
            return "invalid";
        case HUB_ERR_TOO_LARGE:
            return "too-large";
        case HUB_ERR_NO_MATCH:
            return "no-match";
        case HUB_ERR_AUTH:
            return "auth";
        case HUB_ERR_EXPIRED:
            return "expired";
        case HUB_ERR_INTERNAL:
            return "internal";
    }
    return "unknown";
}

// ---- characters and escapes ----

static int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static bool is_unreserved(unsigned char c) {
    return hub_char_is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

// Decodes n bytes at s into out (always NUL-terminated when out_size > 0). A decoded NUL is
// refused: the result is a C string and must not silently lose the bytes after it.
static enum hub_result pct_decode(const char *s, size_t n, char *out, size_t out_size,
                                  size_t *out_len) {
    size_t o = 0;
    if (out_size == 0) {
        return HUB_ERR_TOO_LARGE;
    }
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\0') {
            return HUB_ERR_INVALID;
        }
        if (c == '%') {
            if (n - i < 3) {
                return HUB_ERR_INVALID;
            }
            int hi = hex_value(s[i + 1]);
            int lo = hex_value(s[i + 2]);
            if (hi < 0 || lo < 0) {
                return HUB_ERR_INVALID;
            }
            c = (unsigned char)((hi << 4) | lo);
            if (c == '\0') {
                return HUB_ERR_INVALID;
            }
            i += 2;
        }
        if (o + 1 >= out_size) {
            return HUB_ERR_TOO_LARGE;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    if (out_len != NULL) {
        *out_len = o;
    }
    return HUB_OK;
}

// The escape rules of pct_decode without an output buffer.
bool hub_pct_valid(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\0') {
            return false;
        }
        if (s[i] == '%') {
            if (n - i < 3 || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0 ||
                (s[i + 1] == '0' && s[i + 2] == '0')) {
                return false;
            }
            i += 2;
        }
    }
    return true;
}

static bool starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

// The rest of s after "{id}/", or NULL. Ids compare exactly: IoT Hub ids are case-sensitive.
static const char *skip_id_segment(const char *s, const char *id) {
    size_t n = strlen(id);
    if (strncmp(s, id, n) != 0 || s[n] != '/') {
        return NULL;
    }
    return s + n + 1;
}

// ---- bounded output ----

struct out_buf {
    char *p;
    size_t size;
    size_t len;
    bool bad;
};

static void ob_init(struct out_buf *b, char *p, size_t size) {
    b->p = p;
    b->size = p == NULL ? 0 : size;
    b->len = 0;
    b->bad = b->size == 0;
    if (!b->bad) {
        p[0] = '\0';
    }
}

static void ob_append(struct out_buf *b, const char *s, size_t n) {
    if (b->bad) {
        return;
    }
    if (n >= b->size - b->len) {
        b->bad = true;
        return;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void ob_str(struct out_buf *b, const char *s) {
    ob_append(b, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void ob_fmt(struct out_buf *b, const char *fmt, ...) {
    char tmp[64];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->bad = true;
        return;
    }
    ob_append(b, tmp, (size_t)n);
}

static void ob_encoded(struct out_buf *b, const char *s) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)s; *c != '\0' && !b->bad; c++) {
        if (is_unreserved(*c)) {
            ob_append(b, (const char *)c, 1);
        } else {
            char esc[3] = {'%', hex[*c >> 4], hex[*c & 0x0f]};
            ob_append(b, esc, sizeof esc);
        }
    }
}

static int ob_finish(struct out_buf *b) {
    if (b->bad || b->len > INT_MAX) {
        if (b->size > 0) {
            b->p[0] = '\0';
        }
        return -1;
    }
    return (int)b->len;
}

enum hub_result hub_url_decode(const char *s, size_t n, char *out, size_t out_size,
                               size_t *out_len) {
    if ((s == NULL && n > 0) || out == NULL) {
        return HUB_ERR_INVALID;
    }
    return pct_decode(s, n, out, out_size, out_len);
}

int hub_url_encode(const char *s, char *out, size_t out_size) {
    struct out_buf b;
    ob_init(&b, out, out_size);
    if (s == NULL) {
        b.bad = true;
    }
    if (!b.bad) {
        ob_encoded(&b, s);
    }
    return ob_finish(&b);
}

// ---- ids ----

bool hub_is_valid_device_id(const char *id) {
    static const char extra[] = "-.%_*?!(),:=@$'";
    if (id == NULL) {
        return false;
    }
    size_t n = strnlen(id, HUB_MAX_ID + 1);
    if (n == 0 || n > HUB_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)id[i];
        if (!hub_char_is_alnum(c) && strchr(extra, c) == NULL) {
            return false;
        }
    }
    return true;
}

static bool rid_valid_n(const char *rid, size_t n) {
    if (n == 0 || n > HUB_MAX_RID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)rid[i];
        if (c < 0x21 || c > 0x7e || c == '+' || c == '#' || c == '&') {
            return false;
        }
    }
    return hub_pct_valid(rid, n);
}

bool hub_is_valid_request_id(const char *rid) {
    return rid != NULL && rid_valid_n(rid, strnlen(rid, HUB_MAX_RID + 1));
}

bool hub_is_valid_method_name(const char *name) {
    if (name == NULL) {
        return false;
    }
    size_t n = strnlen(name, HUB_MAX_METHOD + 1);
    if (n == 0 || n > HUB_MAX_METHOD) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x21 || c > 0x7e || strchr("/?#+&%", c) != NULL) {
            return false;
        }
    }
    return true;
}

// Copies the segment [s, s+n) into out (size HUB_MAX_ID + 1) when it is a valid id.
bool hub_copy_id(const char *s, size_t n, char *out) {
    if (n == 0 || n > HUB_MAX_ID) {
        return false;
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return hub_is_valid_device_id(out);
}

struct client_ids {
    char device[HUB_MAX_ID + 1];
    char module[HUB_MAX_ID + 1];
    bool has_module;
};

// A module's MQTT client id is "{deviceId}/{moduleId}"; a device's is just its id.
static bool split_client_id(const char *client_id, struct client_ids *out) {
    memset(out, 0, sizeof *out);
    size_t n = strnlen(client_id, 2 * HUB_MAX_ID + 2);
    const char *slash = memchr(client_id, '/', n);
    if (slash == NULL) {
        return hub_copy_id(client_id, n, out->device);
    }
    out->has_module = true;
    return hub_copy_id(client_id, (size_t)(slash - client_id), out->device) &&
           hub_copy_id(slash + 1, n - (size_t)(slash - client_id) - 1, out->module);
}

// ---- query strings and property bags ----

// Next "k[=v]" segment; empty segments are skipped, so "a&&b" and a trailing '&' are harmless.
bool hub_pair_next(struct hub_pair_iter *it, struct hub_pair *out) {
    while (it->p < it->end) {
        const char *seg = it->p;
        const char *amp = memchr(seg, '&', (size_t)(it->end - seg));
        const char *seg_end = amp != NULL ? amp : it->end;
        it->p = amp != NULL ? amp + 1 : it->end;
        if (seg_end == seg) {
            continue;
        }
        const char *eq = memchr(seg, '=', (size_t)(seg_end - seg));
        out->key = seg;
        out->key_len = (size_t)((eq != NULL ? eq : seg_end) - seg);
        out->has_value = eq != NULL;
        out->value = eq != NULL ? eq + 1 : seg_end;
        out->value_len = (size_t)(seg_end - out->value);
        return true;
    }
    return false;
}

// Shared by parse and validate: out may be NULL, and then the pairs go to scratch buffers.
static enum hub_result bag_walk(const char *text, size_t len, struct hub_property_bag *out) {
    char key[HUB_MAX_PROPERTY_KEY];
    char value[HUB_MAX_PROPERTY_VALUE];
    struct hub_pair_iter it = {text, text + len};
    struct hub_pair p;
    size_t count = 0;

    if (text == NULL) {
        return len == 0 ? HUB_OK : HUB_ERR_INVALID;
    }
    while (hub_pair_next(&it, &p)) {
        if (count == HUB_MAX_PROPERTIES) {
            return HUB_ERR_TOO_LARGE;
        }
        if (p.key_len == 0) {
            return HUB_ERR_INVALID;
        }
        struct hub_property *item = out != NULL ? &out->items[count] : NULL;
        char *k = item != NULL ? item->key : key;
        char *v = item != NULL ? item->value : value;
        enum hub_result r = pct_decode(p.key, p.key_len, k, HUB_MAX_PROPERTY_KEY, NULL);
        if (r != HUB_OK) {
            return r;
        }
        r = pct_decode(p.value, p.value_len, v, HUB_MAX_PROPERTY_VALUE, NULL);
        if (r != HUB_OK) {
            return r;
        }
        if (item != NULL) {
            item->has_value = p.has_value;
            out->count = count + 1;
        }
        count++;
    }
    return HUB_OK;
}

enum hub_result hub_parse_property_bag(const char *text, size_t len, struct hub_property_bag *out) {
    if (out == NULL) {
        return HUB_ERR_INVALID;
    }
    // Not the whole 80 KB struct: telemetry parses a bag per message, most with a few pairs.
    out->count = 0;
    enum hub_result r = bag_walk(text, len, out);
    if (r != HUB_OK) {
        out->count = 0;
    }
    return r;
}

enum hub_result hub_validate_property_bag(const char *text, size_t len) {
    return bag_walk(text, len, NULL);
}

int hub_encode_property_bag(const struct hub_property_bag *bag, char *out, size_t out_size) {
    struct out_buf b;
    ob_init(&b, out, out_size);
    if (bag == NULL || bag->count > HUB_MAX_PROPERTIES) {
        b.bad = true;
        return ob_finish(&b);
    }
    for (size_t i = 0; i < bag->count; i++) {
        const struct hub_property *item = &bag->items[i];
        size_t klen = strnlen(item->key, sizeof item->key);
        // An empty key would not parse back; an unterminated one is not a string at all.
        if (klen == 0 || klen == sizeof item->key ||
            strnlen(item->value, sizeof item->value) == sizeof item->value) {
            b.bad = true;
            break;
        }
        if (i > 0) {
            ob_str(&b, "&");
        }
        ob_encoded(&b, item->key);
        if (item->has_value) {
            ob_str(&b, "=");
            ob_encoded(&b, item->value);
        }
    }
    return ob_finish(&b);
}

bool hub_is_system_property(const char *key) {
    return key != NULL && starts_with(key, "$.");
}

const char *hub_property_get(const struct hub_property_bag *bag, const char *key) {
    if (bag == NULL || key == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < bag->count && i < HUB_MAX_PROPERTIES; i++) {
        const struct hub_property *item = &bag->items[i];
        if (strncmp(item->key, key, sizeof item->key) == 0) {
            return item->has_value ? item->value : "";
        }
    }
    return NULL;
}

// Decodes a query key for comparison with the few names we look for. Returns HUB_ERR_TOO_LARGE
// for keys longer than any of those (the caller ignores them), HUB_ERR_INVALID for bad escapes.
enum hub_result hub_query_key(const struct hub_pair *p, char key[HUB_QUERY_KEY_BUF]) {
    enum hub_result r = pct_decode(p->key, p->key_len, key, HUB_QUERY_KEY_BUF, NULL);
    if (r == HUB_ERR_TOO_LARGE && !hub_pct_valid(p->key, p->key_len)) {
        return HUB_ERR_INVALID;
    }
    return r;
}

// Decodes a value for a field that may appear once; *seen tracks repeats.
enum hub_result hub_query_field_once(const struct hub_pair *p, bool *seen, char *out,
                                     size_t out_size) {
    if (*seen) {
        return HUB_ERR_INVALID;
    }
    *seen = true;
    return pct_decode(p->value, p->value_len, out, out_size, NULL) == HUB_OK ? HUB_OK
                                                                             : HUB_ERR_INVALID;
}

// ---- topics a device publishes ----

// Reads the query of a request topic ("?…" after the path): $rid always, operationId when
// want_op. The rid is kept as sent so that the reply echoes it byte for byte.
static enum hub_result request_query(const char *rest, bool want_op,
                                     struct hub_publish_topic *out) {
    if (*rest != '?') {
        return HUB_ERR_INVALID;
    }
    const char *q = rest + 1;
    struct hub_pair_iter it = {q, q + strlen(q)};
    struct hub_pair p;
    bool seen_rid = false, seen_op = false;
    while (hub_pair_next(&it, &p)) {
        char key[HUB_QUERY_KEY_BUF];
        enum hub_result r = hub_query_key(&p, key);
        if (r == HUB_ERR_INVALID) {
            return r;
        }
        if (r != HUB_OK) {
            continue;
        }
        if (strcmp(key, "$rid") == 0) {
            if (seen_rid || !rid_valid_n(p.value, p.value_len)) {
                return HUB_ERR_INVALID;
            }
            seen_rid = true;
            memcpy(out->request_id, p.value, p.value_len);
            out->request_id[p.value_len] = '\0';
        } else if (want_op && strcmp(key, "operationId") == 0) {
            if (hub_query_field_once(&p, &seen_op, out->operation_id, sizeof out->operation_id) !=
                    HUB_OK ||
                out->operation_id[0] == '\0') {
                return HUB_ERR_INVALID;
            }
        }
    }
    if (!seen_rid || (want_op && !seen_op)) {
        return HUB_ERR_INVALID;
    }
    return HUB_OK;
}

// A decimal int with an optional '-': no '+', spaces, or values outside int.
static bool parse_status(const char *s, size_t n, int *out) {
    size_t i = 0;
    bool negative = false;
    if (n > 0 && s[0] == '-') {
        negative = true;
        i = 1;
    }
    if (i == n || n - i > 10) {
        return false;
    }
    long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        v = v * 10 + (s[i] - '0');
    }
    if (negative) {
        v = -v;
    }
    if (v < INT_MIN || v > INT_MAX) {
        return false;
    }
    *out = (int)v;
    return true;
}

static enum hub_result classify_telemetry(const char *topic, const char *after_devices,
                                          const struct client_ids *ids,
                                          struct hub_publish_topic *out) {
    const char *rest = skip_id_segment(after_devices, ids->device);
    if (rest != NULL && ids->has_module) {
        rest = hub_skip_literal(rest, "modules/");
        rest = rest != NULL ? skip_id_segment(rest, ids->module) : NULL;
    }
    rest = rest != NULL ? hub_skip_literal(rest, "messages/events/") : NULL;
    if (rest == NULL) {
        return HUB_ERR_NO_MATCH;
    }
    size_t len = strlen(rest);
    if (hub_validate_property_bag(rest, len) != HUB_OK) {
        return HUB_ERR_INVALID;
    }
    out->kind = HUB_PUB_TELEMETRY;
    out->properties_offset = (size_t)(rest - topic);
    out->properties_len = len;
    return HUB_OK;
}

enum hub_result hub_classify_publish(const char *topic, const char *device_id,
                                     struct hub_publish_topic *out) {
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    struct client_ids ids;
    if (topic == NULL || device_id == NULL || out == NULL || !split_client_id(device_id, &ids)) {
        return HUB_ERR_INVALID;
    }
    enum hub_result r = HUB_ERR_NO_MATCH;
    const char *rest;
    if ((rest = hub_skip_literal(topic, "devices/")) != NULL) {
        r = classify_telemetry(topic, rest, &ids, out);
    } else if ((rest = hub_skip_literal(topic, "$iothub/twin/GET/")) != NULL) {
        out->kind = HUB_PUB_TWIN_GET;
        r = request_query(rest, false, out);
    } else if ((rest = hub_skip_literal(topic, "$iothub/twin/PATCH/properties/reported/")) !=
               NULL) {
        out->kind = HUB_PUB_TWIN_PATCH_REPORTED;
        r = request_query(rest, false, out);
    } else if ((rest = hub_skip_literal(topic, "$iothub/methods/res/")) != NULL) {
        out->kind = HUB_PUB_METHOD_RESPONSE;
        const char *slash = strchr(rest, '/');
        if (slash == NULL || !parse_status(rest, (size_t)(slash - rest), &out->status)) {
            r = HUB_ERR_INVALID;
        } else {
            r = request_query(slash + 1, false, out);
        }
    } else if ((rest = hub_skip_literal(topic, "$dps/registrations/PUT/iotdps-register/")) !=
               NULL) {
        out->kind = HUB_PUB_DPS_REGISTER;
        r = request_query(rest, false, out);
    } else if ((rest = hub_skip_literal(
                    topic, "$dps/registrations/GET/iotdps-get-operationstatus/")) != NULL) {
        out->kind = HUB_PUB_DPS_POLL;
        r = request_query(rest, true, out);
    }
    if (r != HUB_OK) {
        memset(out, 0, sizeof *out);
    }
    return r;
}

enum hub_result hub_classify_subscription(const char *filter, const char *device_id,
                                          enum hub_subscription_kind *out) {
    static const struct {
        const char *filter;
        enum hub_subscription_kind kind;
    } fixed[] = {
        {"$iothub/methods/POST/#", HUB_SUB_METHODS},
        {"$iothub/twin/res/#", HUB_SUB_TWIN_RESPONSES},
        {"$iothub/twin/PATCH/properties/desired/#", HUB_SUB_TWIN_DESIRED},
        {"$dps/registrations/res/#", HUB_SUB_DPS_RESPONSES},
    };
    struct client_ids ids;
    if (filter == NULL || device_id == NULL || out == NULL || !split_client_id(device_id, &ids)) {
        return HUB_ERR_INVALID;
    }
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        if (strcmp(filter, fixed[i].filter) == 0) {
            *out = fixed[i].kind;
            return HUB_OK;
        }
    }
    // Modules get no cloud-to-device messages, so only a device client may take this filter.
    const char *rest = hub_skip_literal(filter, "devices/");
    if (rest == NULL || ids.has_module) {
        return HUB_ERR_NO_MATCH;
    }
    const char *after_id = skip_id_segment(rest, ids.device);
    if (after_id == NULL) {
        after_id = hub_skip_literal(rest, "+/");
    }
    if (after_id == NULL || strcmp(after_id, "messages/devicebound/#") != 0) {
        return HUB_ERR_NO_MATCH;
    }
    *out = HUB_SUB_C2D;
    return HUB_OK;
}

// ---- topics the hub publishes ----

int hub_topic_twin_response(char *out, size_t size, int status, const char *rid, long version) {
    struct out_buf b;
    ob_init(&b, out, size);
    if (!hub_is_valid_request_id(rid)) {
        b.bad = true;
        return ob_finish(&b);
    }
    ob_fmt(&b, "$iothub/twin/res/%d/?$rid=", status);
    ob_str(&b, rid);
    if (version >= 0) {
        ob_fmt(&b, "&$version=%ld", version);
    }
    return ob_finish(&b);
}

int hub_topic_twin_desired(char *out, size_t size, long version) {
    struct out_buf b;
    ob_init(&b, out, size);
    if (version < 0) {
        b.bad = true;
        return ob_finish(&b);
    }
    ob_fmt(&b, "$iothub/twin/PATCH/properties/desired/?$version=%ld", version);
    return ob_finish(&b);
}

int hub_topic_method_request(char *out, size_t size, const char *method, const char *rid) {
    struct out_buf b;
    ob_init(&b, out, size);
    if (!hub_is_valid_method_name(method) || !hub_is_valid_request_id(rid)) {
        b.bad = true;
        return ob_finish(&b);
    }
    ob_str(&b, "$iothub/methods/POST/");
    ob_str(&b, method);
    ob_str(&b, "/?$rid=");
    ob_str(&b, rid);
    return ob_finish(&b);
}

int hub_topic_c2d(char *out, size_t size, const char *device_id,
                  const struct hub_property_bag *bag) {
    struct out_buf b;
    ob_init(&b, out, size);
    if (!hub_is_valid_device_id(device_id)) {
        b.bad = true;
        return ob_finish(&b);
    }
    ob_str(&b, "devices/");
    ob_str(&b, device_id);
    ob_str(&b, "/messages/devicebound/");
    if (bag != NULL && bag->count > 0 && !b.bad) {
        int n = hub_encode_property_bag(bag, b.p + b.len, b.size - b.len);
        if (n < 0) {
            b.bad = true;
        } else {
            b.len += (size_t)n;
        }
    }
    return ob_finish(&b);
}

int hub_topic_dps_response(char *out, size_t size, int status, const char *rid, int retry_after) {
    struct out_buf b;
    ob_init(&b, out, size);
    if (!hub_is_valid_request_id(rid)) {
        b.bad = true;
        return ob_finish(&b);
    }
    ob_fmt(&b, "$dps/registrations/res/%d/?$rid=", status);
    ob_str(&b, rid);
    if (retry_after >= 0) {
        ob_fmt(&b, "&retry-after=%d", retry_after);
    }
    return ob_finish(&b);
}
