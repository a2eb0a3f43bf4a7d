// SPDX-License-Identifier: MIT
// Device twin documents for the local hub (see hub_twin.h): patch validation against IoT Hub's
// documented twin rules, JSON merge into a section with its "$metadata" mirror, versions and
// etag, the device/service/notification views, and a single-text form for the store.
//
// A patch comes from a device or a service caller, so it is validated completely before
// anything is touched, and merged into copies that replace the live trees only once the size
// limit is known to hold: a refused patch leaves the twin exactly as it was.

#include "cloud/hub_twin.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define MAX_VERSION 9007199254740991L /* 2^53 - 1: versions survive a round trip through double */
#define PATH_BUF 256
#define MAX_TIMESTAMP 64

// ---- errors with a path ----

__attribute__((format(printf, 5, 6))) static enum hub_result fail(enum hub_result r, char *err,
                                                                  size_t err_size, const char *path,
                                                                  const char *fmt, ...) {
    if (err == NULL || err_size == 0) {
        return r;
    }
    char reason[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(err, err_size, "%s: %s", path[0] != '\0' ? path : "(root)", reason);
    return r;
}

// Appends ".key" (or "key" at the root) or "[i]" to path; a long path is cut, never overrun.
static void path_push(char *path, size_t cap, const char *key, long index) {
    size_t len = strnlen(path, cap);
    if (len + 1 >= cap) {
        return;
    }
    if (key != NULL) {
        snprintf(path + len, cap - len, "%s%s", len > 0 ? "." : "", key);
    } else {
        snprintf(path + len, cap - len, "[%ld]", index);
    }
}

// ---- validation ----

// Strict UTF-8: no overlong forms, no surrogates, nothing past U+10FFFF.
static bool utf8_valid(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t extra;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i <= extra) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff))) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

static enum hub_result check_key(const char *key, char *path, char *err, size_t err_size) {
    if (key == NULL || key[0] == '\0') {
        return fail(HUB_ERR_INVALID, err, err_size, path, "empty key");
    }
    size_t n = strnlen(key, HUB_TWIN_MAX_KEY_BYTES + 1);
    if (n > HUB_TWIN_MAX_KEY_BYTES) {
        return fail(HUB_ERR_TOO_LARGE, err, err_size, path, "key longer than %d bytes",
                    HUB_TWIN_MAX_KEY_BYTES);
    }
    if (!utf8_valid((const unsigned char *)key, n)) {
        return fail(HUB_ERR_INVALID, err, err_size, path, "key is not valid UTF-8");
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c == '.' || c == '$' || c == ' ') {
            return fail(HUB_ERR_INVALID, err, err_size, path, "key contains '%c'", c);
        }
        if (c < 0x20 || c == 0x7f) {
            return fail(HUB_ERR_INVALID, err, err_size, path, "key contains a control character");
        }
    }
    return HUB_OK;
}

static int compare_keys(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

// Sorting keeps this O(n log n): a hostile patch may carry thousands of members.
static enum hub_result check_unique_keys(const cJSON *obj, char *path, char *err, size_t err_size) {
    size_t n = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        n++;
    }
    if (n < 2) {
        return HUB_OK;
    }
    const char **keys = calloc(n, sizeof *keys);
    if (keys == NULL) {
        return fail(HUB_ERR_INTERNAL, err, err_size, path, "out of memory");
    }
    size_t i = 0;
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        keys[i++] = c->string;
    }
    qsort(keys, n, sizeof *keys, compare_keys);
    enum hub_result r = HUB_OK;
    for (i = 1; i < n; i++) {
        if (strcmp(keys[i - 1], keys[i]) == 0) {
            path_push(path, PATH_BUF, keys[i], 0);
            r = fail(HUB_ERR_INVALID, err, err_size, path, "duplicate key");
            break;
        }
    }
    free(keys);
    return r;
}

static enum hub_result validate_value(const cJSON *v, int depth, char *path, char *err,
                                      size_t err_size);

// depth is the nesting of obj below the section root (the root itself is 0).
static enum hub_result validate_object(const cJSON *obj, int depth, bool root, char *path,
                                       char *err, size_t err_size) {
    size_t base = strnlen(path, PATH_BUF);
    for (const cJSON *c = obj->child; c != NULL; c = c->next) {
        // Notifications and GET answers carry "$version"; a caller echoing one back is harmless.
        if (root && c->string != NULL && strcmp(c->string, "$version") == 0) {
            continue;
        }
        path_push(path, PATH_BUF, c->string != NULL ? c->string : "", 0);
        enum hub_result r = check_key(c->string, path, err, err_size);
        if (r == HUB_OK) {
            r = validate_value(c, depth, path, err, err_size);
        }
        if (r != HUB_OK) {
            return r;
        }
        path[base] = '\0';
    }
    return check_unique_keys(obj, path, err, err_size);
}

// v sits inside a container at depth; a container v itself is at depth + 1.
static enum hub_result validate_value(const cJSON *v, int depth, char *path, char *err,
                                      size_t err_size) {
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        if (depth + 1 > HUB_TWIN_MAX_DEPTH) {
            return fail(HUB_ERR_TOO_LARGE, err, err_size, path, "nested deeper than %d levels",
                        HUB_TWIN_MAX_DEPTH);
        }
        if (cJSON_IsObject(v)) {
            return validate_object(v, depth + 1, false, path, err, err_size);
        }
        size_t base = strnlen(path, PATH_BUF);
        long i = 0;
        for (const cJSON *c = v->child; c != NULL; c = c->next, i++) {
            path_push(path, PATH_BUF, NULL, i);
            enum hub_result r = validate_value(c, depth + 1, path, err, err_size);
            if (r != HUB_OK) {
                return r;
            }
            path[base] = '\0';
        }
        return HUB_OK;
    }
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring != NULL ? v->valuestring : "";
        size_t n = strnlen(s, HUB_TWIN_MAX_STRING_BYTES + 1);
        if (n > HUB_TWIN_MAX_STRING_BYTES) {
            return fail(HUB_ERR_TOO_LARGE, err, err_size, path, "string longer than %d bytes",
                        HUB_TWIN_MAX_STRING_BYTES);
        }
        if (!utf8_valid((const unsigned char *)s, n)) {
            return fail(HUB_ERR_INVALID, err, err_size, path, "string is not valid UTF-8");
        }
        return HUB_OK;
    }
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        // cJSON keeps no integer/float distinction: an integral value is taken as an integer.
        if (!isfinite(d)) {
            return fail(HUB_ERR_INVALID, err, err_size, path, "number is not finite");
        }
        if (floor(d) == d && fabs(d) > HUB_TWIN_MAX_SAFE_INTEGER) {
            return fail(HUB_ERR_INVALID, err, err_size, path, "integer outside +-4503599627370495");
        }
        return HUB_OK;
    }
    if (cJSON_IsBool(v) || cJSON_IsNull(v)) {
        return HUB_OK;
    }
    return fail(HUB_ERR_INVALID, err, err_size, path, "not a JSON value");
}

static enum hub_result validate_rooted(const cJSON *patch, const char *root, char *err,
                                       size_t err_size) {
    char path[PATH_BUF];
    snprintf(path, sizeof path, "%s", root);
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (!cJSON_IsObject(patch)) {
        return fail(HUB_ERR_INVALID, err, err_size, path, "patch is not a JSON object");
    }
    return validate_object(patch, 0, true, path, err, err_size);
}

enum hub_result hub_twin_validate_patch(const cJSON *patch, char *err, size_t err_size) {
    return validate_rooted(patch, "", err, err_size);
}

// ---- lifecycle ----

static void update_etag(struct hub_twin *t) {
    // The real hub's etags look like base64 of the big-endian version ("AAAAAAAAAAE=").
    unsigned char be[8];
    uint64_t v = (uint64_t)t->version;
    for (int i = 7; i >= 0; i--) {
        be[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
    unsigned char b64[16];
    EVP_EncodeBlock(b64, be, sizeof be);
    snprintf(t->etag, sizeof t->etag, "%s", (const char *)b64);
}

void hub_twin_init(struct hub_twin *t) {
    memset(t, 0, sizeof *t);
    t->tags = cJSON_CreateObject();
    t->desired = cJSON_CreateObject();
    t->reported = cJSON_CreateObject();
    t->desired_metadata = cJSON_CreateObject();
    t->reported_metadata = cJSON_CreateObject();
    if (t->tags == NULL || t->desired == NULL || t->reported == NULL ||
        t->desired_metadata == NULL || t->reported_metadata == NULL) {
        abort();
    }
    t->desired_version = 1;
    t->reported_version = 1;
    t->version = 1;
    update_etag(t);
}

void hub_twin_free(struct hub_twin *t) {
    if (t == NULL) {
        return;
    }
    cJSON_Delete(t->tags);
    cJSON_Delete(t->desired);
    cJSON_Delete(t->reported);
    cJSON_Delete(t->desired_metadata);
    cJSON_Delete(t->reported_metadata);
    memset(t, 0, sizeof *t);
}

// ---- merge ----

// Puts item under key, replacing what was there. Takes ownership of item even on failure.
static bool obj_set(cJSON *obj, const char *key, cJSON *item) {
    if (item == NULL) {
        return false;
    }
    bool ok = cJSON_GetObjectItemCaseSensitive(obj, key) != NULL
                  ? cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)
                  : cJSON_AddItemToObject(obj, key, item);
    if (!ok) {
        cJSON_Delete(item);
    }
    return ok;
}

struct stamp {
    const char *now;
    long version; /* $lastUpdatedVersion, or < 0 for reported */
};

static bool meta_stamp(cJSON *meta, const struct stamp *s) {
    if (!obj_set(meta, "$lastUpdated", cJSON_CreateString(s->now))) {
        return false;
    }
    return s->version < 0 ||
           obj_set(meta, "$lastUpdatedVersion", cJSON_CreateNumber((double)s->version));
}

// Fresh metadata for a value just written: a stamp, and for objects a stamp at every level.
static cJSON *meta_build(const cJSON *value, const struct stamp *s) {
    cJSON *meta = cJSON_CreateObject();
    if (meta == NULL || !meta_stamp(meta, s)) {
        goto fail;
    }
    if (cJSON_IsObject(value)) {
        for (const cJSON *c = value->child; c != NULL; c = c->next) {
            if (!obj_set(meta, c->string, meta_build(c, s))) {
                goto fail;
            }
        }
    }
    return meta;
fail:
    cJSON_Delete(meta);
    return NULL;
}

// RFC 7386 merge of patch into target, mirrored in meta. Returns false on allocation failure
// (target and meta are copies, so the caller just throws them away).
static bool merge_object(cJSON *target, cJSON *meta, const cJSON *patch, bool root,
                         const struct stamp *s) {
    for (const cJSON *c = patch->child; c != NULL; c = c->next) {
        const char *key = c->string;
        if (root && strcmp(key, "$version") == 0) {
            continue;
        }
        if (cJSON_IsNull(c)) {
            cJSON_DeleteItemFromObjectCaseSensitive(target, key);
            cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
            continue;
        }
        if (!cJSON_IsObject(c)) {
            if (!obj_set(target, key, cJSON_Duplicate(c, true)) ||
                !obj_set(meta, key, meta_build(c, s))) {
                return false;
            }
            continue;
        }
        // An object patch over a non-object starts from {}, so nulls inside it vanish.
        cJSON *child = cJSON_GetObjectItemCaseSensitive(target, key);
        if (!cJSON_IsObject(child)) {
            if (!obj_set(target, key, cJSON_CreateObject())) {
                return false;
            }
            child = cJSON_GetObjectItemCaseSensitive(target, key);
            cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
        }
        cJSON *child_meta = cJSON_GetObjectItemCaseSensitive(meta, key);
        if (!cJSON_IsObject(child_meta)) {
            if (!obj_set(meta, key, cJSON_CreateObject())) {
                return false;
            }
            child_meta = cJSON_GetObjectItemCaseSensitive(meta, key);
        }
        if (!meta_stamp(child_meta, s) || !merge_object(child, child_meta, c, false, s)) {
            return false;
        }
    }
    return true;
}

enum hub_result hub_twin_apply_patch(struct hub_twin *t, char which, const cJSON *patch,
                                     const char *now_iso, char *err, size_t err_size) {
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (t == NULL || t->desired == NULL || (which != 'd' && which != 'r') || now_iso == NULL ||
        now_iso[0] == '\0' || strnlen(now_iso, MAX_TIMESTAMP) == MAX_TIMESTAMP) {
        return fail(HUB_ERR_INVALID, err, err_size, "", "bad twin, section or timestamp");
    }
    const char *name = which == 'd' ? "desired" : "reported";
    cJSON **section = which == 'd' ? &t->desired : &t->reported;
    cJSON **meta = which == 'd' ? &t->desired_metadata : &t->reported_metadata;
    long *section_version = which == 'd' ? &t->desired_version : &t->reported_version;

    enum hub_result r = validate_rooted(patch, name, err, err_size);
    if (r != HUB_OK) {
        return r;
    }
    if (*section_version >= MAX_VERSION || t->version >= MAX_VERSION) {
        return fail(HUB_ERR_TOO_LARGE, err, err_size, name, "version would overflow");
    }

    struct stamp s = {now_iso, which == 'd' ? *section_version + 1 : -1};
    cJSON *new_section = cJSON_Duplicate(*section, true);
    cJSON *new_meta = cJSON_Duplicate(*meta, true);
    char *printed = NULL;
    r = HUB_ERR_INTERNAL;
    if (new_section == NULL || new_meta == NULL || !meta_stamp(new_meta, &s) ||
        !merge_object(new_section, new_meta, patch, true, &s)) {
        fail(r, err, err_size, name, "out of memory");
        goto out;
    }
    printed = cJSON_PrintUnformatted(new_section);
    if (printed == NULL) {
        fail(r, err, err_size, name, "out of memory");
        goto out;
    }
    size_t size = strlen(printed);
    if (size > HUB_TWIN_MAX_SECTION_BYTES) {
        r = fail(HUB_ERR_TOO_LARGE, err, err_size, name,
                 "section would be %zu bytes, over the %d-byte limit", size,
                 HUB_TWIN_MAX_SECTION_BYTES);
        goto out;
    }
    cJSON_Delete(*section);
    cJSON_Delete(*meta);
    *section = new_section;
    *meta = new_meta;
    new_section = new_meta = NULL;
    (*section_version)++;
    t->version++;
    update_etag(t);
    r = HUB_OK;
out:
    cJSON_free(printed);
    cJSON_Delete(new_section);
    cJSON_Delete(new_meta);
    return r;
}

// Tags have no "$metadata" and no section version, but merge by the same rules; a scratch
// mirror lets merge_object run unchanged.
enum hub_result hub_twin_apply_tags(struct hub_twin *t, const cJSON *patch, char *err,
                                    size_t err_size) {
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (t == NULL || t->tags == NULL) {
        return fail(HUB_ERR_INVALID, err, err_size, "", "bad twin");
    }
    enum hub_result r = validate_rooted(patch, "tags", err, err_size);
    if (r != HUB_OK) {
        return r;
    }
    if (t->version >= MAX_VERSION) {
        return fail(HUB_ERR_TOO_LARGE, err, err_size, "tags", "version would overflow");
    }
    struct stamp s = {"-", -1};
    cJSON *new_tags = cJSON_Duplicate(t->tags, true);
    cJSON *scratch = cJSON_CreateObject();
    char *printed = NULL;
    r = HUB_ERR_INTERNAL;
    if (new_tags == NULL || scratch == NULL || !merge_object(new_tags, scratch, patch, true, &s) ||
        (printed = cJSON_PrintUnformatted(new_tags)) == NULL) {
        fail(r, err, err_size, "tags", "out of memory");
        goto out;
    }
    size_t size = strlen(printed);
    if (size > HUB_TWIN_MAX_TAGS_BYTES) {
        r = fail(HUB_ERR_TOO_LARGE, err, err_size, "tags",
                 "tags would be %zu bytes, over the %d-byte limit", size, HUB_TWIN_MAX_TAGS_BYTES);
        goto out;
    }
    cJSON_Delete(t->tags);
    t->tags = new_tags;
    new_tags = NULL;
    t->version++;
    update_etag(t);
    r = HUB_OK;
out:
    cJSON_free(printed);
    cJSON_Delete(new_tags);
    cJSON_Delete(scratch);
    return r;
}

// ---- views ----

// A copy of section with "$metadata" (when meta is non-NULL) and "$version" appended.
static cJSON *section_view(const cJSON *section, const cJSON *meta, long version) {
    cJSON *v = cJSON_Duplicate(section, true);
    if (v == NULL) {
        return NULL;
    }
    if ((meta != NULL && !cJSON_AddItemToObject(v, "$metadata", cJSON_Duplicate(meta, true))) ||
        cJSON_AddNumberToObject(v, "$version", (double)version) == NULL) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

// Adds item to obj under key, freeing item when that fails; false on any failure.
static bool add_owned(cJSON *obj, const char *key, cJSON *item) {
    if (item == NULL) {
        return false;
    }
    if (!cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

cJSON *hub_twin_device_view(const struct hub_twin *t) {
    if (t == NULL || t->desired == NULL) {
        return NULL;
    }
    cJSON *v = cJSON_CreateObject();
    if (v == NULL || !add_owned(v, "desired", section_view(t->desired, NULL, t->desired_version)) ||
        !add_owned(v, "reported", section_view(t->reported, NULL, t->reported_version))) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

cJSON *hub_twin_desired_notification(const struct hub_twin *t, const cJSON *patch) {
    if (t == NULL || !cJSON_IsObject(patch)) {
        return NULL;
    }
    cJSON *v = cJSON_Duplicate(patch, true);
    if (v == NULL) {
        return NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(v, "$version");
    if (cJSON_AddNumberToObject(v, "$version", (double)t->desired_version) == NULL) {
        cJSON_Delete(v);
        return NULL;
    }
    return v;
}

cJSON *hub_twin_service_view(const struct hub_twin *t, const char *device_id, const char *status,
                             bool connected) {
    if (t == NULL || t->desired == NULL || device_id == NULL) {
        return NULL;
    }
    cJSON *v = cJSON_CreateObject();
    cJSON *props = cJSON_CreateObject();
    if (v == NULL || props == NULL) {
        goto fail;
    }
    if (cJSON_AddStringToObject(v, "deviceId", device_id) == NULL ||
        cJSON_AddStringToObject(v, "etag", t->etag) == NULL ||
        cJSON_AddStringToObject(v, "status", status != NULL ? status : "enabled") == NULL ||
        cJSON_AddStringToObject(v, "connectionState", connected ? "Connected" : "Disconnected") ==
            NULL ||
        cJSON_AddNumberToObject(v, "version", (double)t->version) == NULL ||
        !add_owned(v, "tags", cJSON_Duplicate(t->tags, true))) {
        goto fail;
    }
    if (!add_owned(props, "desired",
                   section_view(t->desired, t->desired_metadata, t->desired_version)) ||
        !add_owned(props, "reported",
                   section_view(t->reported, t->reported_metadata, t->reported_version))) {
        goto fail;
    }
    if (!add_owned(v, "properties", props)) {
        props = NULL;
        goto fail;
    }
    return v;
fail:
    cJSON_Delete(props);
    cJSON_Delete(v);
    return NULL;
}

// ---- store form ----

char *hub_twin_to_json(const struct hub_twin *t) {
    if (t == NULL || t->desired == NULL) {
        return NULL;
    }
    char *text = NULL;
    cJSON *root = cJSON_CreateObject();
    if (root == NULL || cJSON_AddNumberToObject(root, "version", (double)t->version) == NULL ||
        cJSON_AddNumberToObject(root, "desiredVersion", (double)t->desired_version) == NULL ||
        cJSON_AddNumberToObject(root, "reportedVersion", (double)t->reported_version) == NULL ||
        !add_owned(root, "tags", cJSON_Duplicate(t->tags, true)) ||
        !add_owned(root, "desired", cJSON_Duplicate(t->desired, true)) ||
        !add_owned(root, "reported", cJSON_Duplicate(t->reported, true)) ||
        !add_owned(root, "desiredMetadata", cJSON_Duplicate(t->desired_metadata, true)) ||
        !add_owned(root, "reportedMetadata", cJSON_Duplicate(t->reported_metadata, true))) {
        goto out;
    }
    text = cJSON_PrintUnformatted(root);
out:
    cJSON_Delete(root);
    return text;
}

static bool read_version(const cJSON *root, const char *key, long *out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= 1.0) || v->valuedouble > (double)MAX_VERSION ||
        floor(v->valuedouble) != v->valuedouble) {
        return false;
    }
    *out = (long)v->valuedouble;
    return true;
}

// Moves root[key] out of root when it is an object.
static cJSON *take_object(cJSON *root, const char *key) {
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, key))) {
        return NULL;
    }
    return cJSON_DetachItemFromObjectCaseSensitive(root, key);
}

static bool section_fits(const cJSON *section) {
    if (validate_rooted(section, "", NULL, 0) != HUB_OK) {
        return false;
    }
    char *printed = cJSON_PrintUnformatted(section);
    bool ok = printed != NULL && strlen(printed) <= HUB_TWIN_MAX_SECTION_BYTES;
    cJSON_free(printed);
    return ok;
}

enum hub_result hub_twin_from_json(const char *text, struct hub_twin *out) {
    if (out == NULL) {
        return HUB_ERR_INVALID;
    }
    struct hub_twin t;
    memset(&t, 0, sizeof t);
    enum hub_result r = HUB_ERR_INVALID;
    // Trailing bytes after the document mean the stored text is not what we wrote.
    cJSON *root = text != NULL ? cJSON_ParseWithOpts(text, NULL, true) : NULL;
    if (!cJSON_IsObject(root) || !read_version(root, "version", &t.version) ||
        !read_version(root, "desiredVersion", &t.desired_version) ||
        !read_version(root, "reportedVersion", &t.reported_version)) {
        goto out;
    }
    t.tags = take_object(root, "tags");
    t.desired = take_object(root, "desired");
    t.reported = take_object(root, "reported");
    t.desired_metadata = take_object(root, "desiredMetadata");
    t.reported_metadata = take_object(root, "reportedMetadata");
    if (t.tags == NULL || t.desired == NULL || t.reported == NULL || t.desired_metadata == NULL ||
        t.reported_metadata == NULL || !section_fits(t.desired) || !section_fits(t.reported)) {
        goto out;
    }
    update_etag(&t);
    *out = t;
    memset(&t, 0, sizeof t);
    r = HUB_OK;
out:
    cJSON_Delete(root);
    if (r != HUB_OK) {
        hub_twin_free(&t);
        hub_twin_init(out);
    }
    return r;
}
