// SPDX-License-Identifier: MIT
// Connect authentication and topic authorisation for the local hub (see hub_auth.h). The registry
// is read on every CONNECT, never cached, so a device added or removed by the CLI takes effect on
// its next connection attempt.

#include "cloud/hub_auth.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cloud/hub_sas.h"

static enum hub_result check_username(const struct hub_connect_request *request, char *reason,
                                      size_t reason_size) {
    if (request->username == NULL || request->username[0] == '\0') {
        snprintf(reason, reason_size, "no username (expected {host}/%s/?api-version=...)",
                 request->client_id);
        return HUB_ERR_AUTH;
    }
    struct hub_username name;
    if (hub_parse_username(request->username, &name) != HUB_OK) {
        snprintf(reason, reason_size, "malformed username");
        return HUB_ERR_INVALID;
    }
    if (name.module_id[0] != '\0') {
        snprintf(reason, reason_size, "module identities are not supported");
        return HUB_ERR_AUTH;
    }
    if (strcmp(name.device_id, request->client_id) != 0) {
        snprintf(reason, reason_size, "username names device %s, not the client id",
                 name.device_id);
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

static enum hub_result check_sas(const struct hub_connect_request *request,
                                 const struct hub_device *device, char *reason,
                                 size_t reason_size) {
    if (request->password == NULL || request->password[0] == '\0') {
        snprintf(reason, reason_size, "SAS device connected without a SAS token");
        return HUB_ERR_AUTH;
    }
    char resource[HUB_SAS_MAX_RESOURCE];
    int n = snprintf(resource, sizeof resource, "%s/devices/%s", request->hub_hostname,
                     device->device_id);
    if (n < 0 || (size_t)n >= sizeof resource) {
        snprintf(reason, reason_size, "hub hostname too long");
        return HUB_ERR_INTERNAL;
    }
    char why[256] = "";
    enum hub_result result = hub_sas_token_verify(request->password, resource, device->primary_key,
                                                  request->now, why, sizeof why);
    // A token signed with the secondary key is as good; an expired or malformed one is reported
    // as such rather than as a signature mismatch against the other key.
    if (result == HUB_ERR_AUTH && device->secondary_key[0] != '\0') {
        result = hub_sas_token_verify(request->password, resource, device->secondary_key,
                                      request->now, why, sizeof why);
    }
    if (result != HUB_OK) {
        snprintf(reason, reason_size, "SAS token refused: %s", why);
        return result == HUB_ERR_INVALID ? HUB_ERR_AUTH : result;
    }
    return HUB_OK;
}

enum hub_result hub_auth_connect(struct hub_store *store, const struct hub_connect_request *request,
                                 struct hub_device *out_device, char *reason, size_t reason_size) {
    if (!hub_is_valid_device_id(request->client_id)) {
        snprintf(reason, reason_size, "client id is not a valid device id");
        return HUB_ERR_INVALID;
    }
    enum hub_store_result found = hub_store_device_get(store, request->client_id, out_device);
    if (found == HUB_STORE_ERR_NOT_FOUND) {
        snprintf(reason, reason_size, "device %s is not registered", request->client_id);
        return HUB_ERR_NO_MATCH;
    }
    if (found != HUB_STORE_OK) {
        snprintf(reason, reason_size, "registry: %s", hub_store_error(store));
        return HUB_ERR_INTERNAL;
    }
    if (!out_device->enabled) {
        snprintf(reason, reason_size, "device %s is disabled", request->client_id);
        return HUB_ERR_AUTH;
    }
    enum hub_result result = check_username(request, reason, reason_size);
    if (result != HUB_OK) {
        return result;
    }
    if (out_device->auth == HUB_AUTH_SAS) {
        return check_sas(request, out_device, reason, reason_size);
    }
    if (request->cert_cn == NULL) {
        snprintf(reason, reason_size, "X.509 device connected without a client certificate");
        return HUB_ERR_AUTH;
    }
    if (strcmp(request->cert_cn, request->client_id) != 0) {
        snprintf(reason, reason_size, "certificate CN %.*s does not match the client id",
                 HUB_MAX_ID, request->cert_cn);
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

bool hub_auth_may_publish(const char *client_id, const char *topic,
                          struct hub_publish_topic *out_topic) {
    struct hub_publish_topic classified;
    if (hub_classify_publish(topic, client_id, &classified) != HUB_OK) {
        return false;
    }
    if (classified.kind == HUB_PUB_DPS_REGISTER || classified.kind == HUB_PUB_DPS_POLL) {
        return false;  // DPS topics belong to DPS connections, not to hub ones
    }
    if (out_topic != NULL) {
        *out_topic = classified;
    }
    return true;
}

bool hub_auth_may_subscribe(const char *client_id, const char *filter) {
    enum hub_subscription_kind kind;
    if (hub_classify_subscription(filter, client_id, &kind) != HUB_OK) {
        return false;
    }
    return kind != HUB_SUB_DPS_RESPONSES;
}

static bool all_of(const char *s, size_t n, bool lower_only) {
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                  (!lower_only && c >= 'A' && c <= 'Z');
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool hub_auth_is_service_client(const char *client_id) {
    if (client_id == NULL || !hub_store_is_reserved_id(client_id)) {
        return false;
    }
    const char *rest = client_id + strlen(SPHERESIM_SERVICE_CLIENT_ID);
    if (*rest == '\0') {
        return true;
    }
    size_t n = strlen(rest + 1);
    return n >= 1 && n <= HUB_AUTH_MAX_SERVICE_SUFFIX && all_of(rest + 1, n, false);
}

enum hub_result hub_auth_service_connect(const char *token, const char *client_id,
                                         const char *username, const char *password, char *reason,
                                         size_t reason_size) {
    if (!hub_auth_is_service_client(client_id)) {
        snprintf(reason, reason_size, "not a service client id");
        return HUB_ERR_INVALID;
    }
    if (username == NULL || strcmp(username, SPHERESIM_SERVICE_CLIENT_ID) != 0) {
        snprintf(reason, reason_size, "service client without the service username");
        return HUB_ERR_AUTH;
    }
    size_t token_len = token != NULL ? strlen(token) : 0;
    if (token_len == 0) {
        snprintf(reason, reason_size, "the hub has no service token (is %s missing?)",
                 SPHERESIM_SERVICE_TOKEN_FILE);
        return HUB_ERR_AUTH;
    }
    // The length is no secret (every token is 64 hex digits); the bytes are compared in
    // constant time so response timing says nothing about how much of a guess was right.
    if (password == NULL || strlen(password) != token_len ||
        CRYPTO_memcmp(password, token, token_len) != 0) {
        snprintf(reason, reason_size, "wrong service token");
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

bool hub_auth_service_may_publish(const char *topic, char out_op[HUB_AUTH_MAX_SERVICE_OP + 1],
                                  char out_rid[SPHERESIM_SERVICE_MAX_RID + 1]) {
    size_t prefix_len = strlen(SPHERESIM_SERVICE_REQUEST_PREFIX);
    if (topic == NULL || strncmp(topic, SPHERESIM_SERVICE_REQUEST_PREFIX, prefix_len) != 0) {
        return false;
    }
    const char *op = topic + prefix_len;
    const char *slash = strchr(op, '/');
    if (slash == NULL) {
        return false;
    }
    size_t op_len = (size_t)(slash - op);
    const char *rid = slash + 1;
    size_t rid_len = strlen(rid);
    if (op_len == 0 || op_len > HUB_AUTH_MAX_SERVICE_OP || !all_of(op, op_len, true) ||
        rid_len == 0 || rid_len > SPHERESIM_SERVICE_MAX_RID || !all_of(rid, rid_len, false)) {
        return false;
    }
    if (out_op != NULL) {
        memcpy(out_op, op, op_len);
        out_op[op_len] = '\0';
    }
    if (out_rid != NULL) {
        memcpy(out_rid, rid, rid_len + 1);
    }
    return true;
}

bool hub_auth_service_may_subscribe(const char *filter) {
    return filter != NULL && (strcmp(filter, SPHERESIM_SERVICE_RESPONSE_PREFIX "#") == 0 ||
                              strcmp(filter, SPHERESIM_SERVICE_RESPONSE_PREFIX "+") == 0);
}
