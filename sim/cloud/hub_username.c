// SPDX-License-Identifier: MIT
// CONNECT usernames for the local hub and DPS (declared in hub_protocol.h). A username is the
// first thing an unauthenticated client sends, so parsing is lenient about form, as the hub is,
// but strict about every character and length it keeps.

#include <string.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_protocol_internal.h"

static bool host_valid(const char *s, size_t n) {
    if (n == 0 || n > 255) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!hub_char_is_alnum(c) && strchr(".-_:[]", c) == NULL) {
            return false;
        }
    }
    return true;
}

// Username query: api-version and model-id are kept, other keys only need valid escapes.
static enum hub_result username_query(const char *q, char *api_version, size_t api_size,
                                      char *model_id, size_t model_size) {
    struct hub_pair_iter it = {q, q + strlen(q)};
    struct hub_pair p;
    bool seen_api = false, seen_model = false;
    while (hub_pair_next(&it, &p)) {
        char key[HUB_QUERY_KEY_BUF];
        enum hub_result r = hub_query_key(&p, key);
        if (r == HUB_ERR_INVALID || p.key_len == 0) {
            return HUB_ERR_INVALID;
        }
        if (r == HUB_OK && strcmp(key, "api-version") == 0) {
            r = hub_query_field_once(&p, &seen_api, api_version, api_size);
        } else if (r == HUB_OK && model_id != NULL && strcmp(key, "model-id") == 0) {
            r = hub_query_field_once(&p, &seen_model, model_id, model_size);
        } else {
            r = hub_pct_valid(p.value, p.value_len) ? HUB_OK : HUB_ERR_INVALID;
        }
        if (r != HUB_OK) {
            return r;
        }
    }
    return HUB_OK;
}

// After "{host}/{deviceId}/" or "…/{moduleId}/": nothing, "?query" or an old "api-version=…".
static const char *username_query_start(const char *p) {
    if (*p == '\0') {
        return p;
    }
    if (*p == '?') {
        return p + 1;
    }
    if (hub_skip_literal(p, "api-version=") != NULL) {
        return p;
    }
    return NULL;
}

enum hub_result hub_parse_username(const char *username, struct hub_username *out) {
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    if (username == NULL || out == NULL) {
        return HUB_ERR_INVALID;
    }
    enum hub_result r = HUB_ERR_INVALID;
    const char *slash = strchr(username, '/');
    if (slash == NULL || !host_valid(username, (size_t)(slash - username))) {
        goto out;
    }
    memcpy(out->host, username, (size_t)(slash - username));

    const char *dev = slash + 1;
    slash = strchr(dev, '/');
    if (slash == NULL || !hub_copy_id(dev, (size_t)(slash - dev), out->device_id)) {
        goto out;
    }

    const char *rest = slash + 1;
    const char *query = username_query_start(rest);
    if (query == NULL) {
        slash = strchr(rest, '/');
        if (slash == NULL || !hub_copy_id(rest, (size_t)(slash - rest), out->module_id)) {
            goto out;
        }
        query = username_query_start(slash + 1);
        if (query == NULL) {
            goto out;
        }
    }
    r = username_query(query, out->api_version, sizeof out->api_version, out->model_id,
                       sizeof out->model_id);
out:
    if (r != HUB_OK) {
        memset(out, 0, sizeof *out);
    }
    return r;
}

static bool registration_id_valid(const char *s, size_t n) {
    if (n == 0 || n > HUB_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!hub_char_is_alnum(c) && strchr("-._:", c) == NULL) {
            return false;
        }
    }
    return true;
}

enum hub_result hub_parse_dps_username(const char *username, struct hub_dps_username *out) {
    if (out != NULL) {
        memset(out, 0, sizeof *out);
    }
    if (username == NULL || out == NULL) {
        return HUB_ERR_INVALID;
    }
    enum hub_result r = HUB_ERR_INVALID;
    const char *slash = strchr(username, '/');
    if (slash == NULL) {
        goto out;
    }
    const char *rest = hub_skip_literal(slash + 1, "registrations/");
    if (rest == NULL) {
        r = HUB_ERR_NO_MATCH;
        goto out;
    }
    size_t scope_len = (size_t)(slash - username);
    if (scope_len == 0 || scope_len >= sizeof out->id_scope) {
        goto out;
    }
    for (size_t i = 0; i < scope_len; i++) {
        if (!hub_char_is_alnum((unsigned char)username[i])) {
            goto out;
        }
    }
    memcpy(out->id_scope, username, scope_len);

    slash = strchr(rest, '/');
    if (slash == NULL || !registration_id_valid(rest, (size_t)(slash - rest))) {
        goto out;
    }
    memcpy(out->registration_id, rest, (size_t)(slash - rest));
    const char *query = username_query_start(slash + 1);
    if (query == NULL) {
        goto out;
    }
    r = username_query(query, out->api_version, sizeof out->api_version, NULL, 0);
out:
    if (r != HUB_OK) {
        memset(out, 0, sizeof *out);
    }
    return r;
}
