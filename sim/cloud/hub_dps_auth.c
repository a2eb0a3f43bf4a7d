// SPDX-License-Identifier: MIT
// DPS connect authentication and topic rules (see hub_dps_auth.h). Enrollments are read on every
// CONNECT, never cached, so an enrollment the CLI adds, disables or removes counts from the next
// connection attempt on.

#include "cloud/hub_dps_auth.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#include "cloud/hub_sas.h"

#define SAS_PREFIX "SharedAccessSignature "

bool hub_dps_is_dps_username(const char *username) {
    if (username == NULL) {
        return false;
    }
    const char *slash = strchr(username, '/');
    if (slash == NULL || memchr(username, '.', (size_t)(slash - username)) != NULL) {
        return false;
    }
    return strncmp(slash + 1, "registrations/", strlen("registrations/")) == 0;
}

// True when the token names the key "registration", which DPS requires of device tokens. The
// token is hostile: fields are bounded and the name is URL-decoded before comparing.
static bool token_names_registration_key(const char *token) {
    size_t prefix_len = strlen(SAS_PREFIX);
    if (strnlen(token, HUB_SAS_MAX_TOKEN + 1) > HUB_SAS_MAX_TOKEN ||
        strncmp(token, SAS_PREFIX, prefix_len) != 0) {
        return false;
    }
    const char *p = token + prefix_len;
    while (*p != '\0') {
        const char *amp = strchr(p, '&');
        size_t len = amp != NULL ? (size_t)(amp - p) : strlen(p);
        if (len > 4 && strncmp(p, "skn=", 4) == 0) {
            char name[64];
            return hub_url_decode(p + 4, len - 4, name, sizeof name, NULL) == HUB_OK &&
                   strcmp(name, HUB_DPS_SAS_KEY_NAME) == 0;
        }
        p += amp != NULL ? len + 1 : len;
    }
    return false;
}

// Verifies the token against one key, then another (may be "" or NULL). A wrong signature with
// the first key falls through to the second; an expired or malformed token does not.
static enum hub_result verify_with(const char *token, const char *resource, const char *key,
                                   const char *other_key, long long now, char *why,
                                   size_t why_size) {
    enum hub_result result = hub_sas_token_verify(token, resource, key, now, why, why_size);
    if (result == HUB_ERR_AUTH && other_key != NULL && other_key[0] != '\0') {
        result = hub_sas_token_verify(token, resource, other_key, now, why, why_size);
    }
    return result;
}

struct group_search {
    const struct hub_dps_connect_request *request;
    const char *resource;
    enum hub_result result;  // HUB_ERR_NO_MATCH until a group was tried
    char group[HUB_MAX_ID + 1];
    char why[256];
};

static int first_x509_group(const struct hub_enrollment *group, void *ctx) {
    struct group_search *search = ctx;
    snprintf(search->group, sizeof search->group, "%s", group->id);
    search->result = HUB_OK;
    return 1;
}

static int try_symmetric_group(const struct hub_enrollment *group, void *ctx) {
    struct group_search *search = ctx;
    const char *registration_id = search->request->client_id;
    char primary[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    char secondary[HUB_ENROLLMENT_DERIVED_KEY_SIZE] = "";
    if (hub_enrollment_derive_device_key(group->primary_key, registration_id, primary,
                                         sizeof primary) != 0) {
        return 0;  // a group with an unusable key covers nobody; the others may
    }
    if (group->secondary_key[0] != '\0') {
        hub_enrollment_derive_device_key(group->secondary_key, registration_id, secondary,
                                         sizeof secondary);
    }
    enum hub_result result =
        verify_with(search->request->password, search->resource, primary, secondary,
                    search->request->now, search->why, sizeof search->why);
    OPENSSL_cleanse(primary, sizeof primary);
    OPENSSL_cleanse(secondary, sizeof secondary);
    // A malformed token or one for another resource fails the same way for every group.
    if (result == HUB_OK || result == HUB_ERR_EXPIRED || result == HUB_ERR_INVALID ||
        search->result == HUB_ERR_NO_MATCH) {
        search->result = result;
        snprintf(search->group, sizeof search->group, "%s", group->id);
    }
    return result == HUB_ERR_AUTH ? 0 : 1;
}

static enum hub_result check_certificate(const struct hub_dps_connect_request *request,
                                         char *reason, size_t reason_size) {
    if (request->cert_cn == NULL) {
        snprintf(reason, reason_size, "X.509 enrollment but no client certificate");
        return HUB_ERR_AUTH;
    }
    if (strcmp(request->cert_cn, request->client_id) != 0) {
        snprintf(reason, reason_size, "certificate CN %.*s is not the registration id", HUB_MAX_ID,
                 request->cert_cn);
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

static enum hub_result check_token_form(const struct hub_dps_connect_request *request, char *reason,
                                        size_t reason_size) {
    if (request->password == NULL || request->password[0] == '\0') {
        snprintf(reason, reason_size, "symmetric-key enrollment but no SAS token");
        return HUB_ERR_AUTH;
    }
    if (!token_names_registration_key(request->password)) {
        snprintf(reason, reason_size, "SAS token without skn=%s", HUB_DPS_SAS_KEY_NAME);
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

// The outcome of a SAS verification as a CONNECT result: a malformed token is bad credentials.
static enum hub_result token_result(enum hub_result verified, const char *why, char *reason,
                                    size_t reason_size) {
    if (verified == HUB_OK) {
        return HUB_OK;
    }
    snprintf(reason, reason_size, "SAS token refused: %s", why);
    return verified == HUB_ERR_INVALID ? HUB_ERR_AUTH : verified;
}

static enum hub_result check_individual(const struct hub_dps_connect_request *request,
                                        const struct hub_enrollment *enrollment,
                                        const char *resource, char *reason, size_t reason_size) {
    if (enrollment->attestation == HUB_ATTESTATION_X509) {
        return check_certificate(request, reason, reason_size);
    }
    enum hub_result result = check_token_form(request, reason, reason_size);
    if (result != HUB_OK) {
        return result;
    }
    char why[256] = "";
    result = verify_with(request->password, resource, enrollment->primary_key,
                         enrollment->secondary_key, request->now, why, sizeof why);
    return token_result(result, why, reason, reason_size);
}

static enum hub_result check_groups(struct hub_enrollments *enrollments,
                                    const struct hub_dps_connect_request *request,
                                    const char *resource, struct hub_dps_identity *identity,
                                    char *reason, size_t reason_size) {
    struct group_search search = {
        .request = request, .resource = resource, .result = HUB_ERR_NO_MATCH};
    bool x509 = request->cert_cn != NULL;
    enum hub_attestation attestation = x509 ? HUB_ATTESTATION_X509 : HUB_ATTESTATION_SYMMETRIC_KEY;
    if (!x509) {
        enum hub_result result = check_token_form(request, reason, reason_size);
        if (result != HUB_OK) {
            return result;
        }
    } else {
        enum hub_result result = check_certificate(request, reason, reason_size);
        if (result != HUB_OK) {
            return result;
        }
    }
    if (hub_enrollment_list_groups(enrollments, attestation,
                                   x509 ? first_x509_group : try_symmetric_group,
                                   &search) != HUB_ENROLLMENT_OK) {
        snprintf(reason, reason_size, "enrollments: %s", hub_enrollments_error(enrollments));
        return HUB_ERR_INTERNAL;
    }
    if (search.result == HUB_ERR_NO_MATCH) {
        snprintf(reason, reason_size, "no enrollment covers %s (%s)", request->client_id,
                 x509 ? "no individual enrollment nor X.509 group"
                      : "no individual enrollment nor symmetric-key group");
        return HUB_ERR_NO_MATCH;
    }
    if (search.result != HUB_OK) {
        return token_result(search.result, search.why, reason, reason_size);
    }
    identity->attestation = attestation;
    identity->enrollment_kind = HUB_ENROLLMENT_GROUP;
    snprintf(identity->enrollment_id, sizeof identity->enrollment_id, "%s", search.group);
    return HUB_OK;
}

// The client id and username: a valid registration id, named again under our id scope.
static enum hub_result check_names(const struct hub_dps_connect_request *request, char *reason,
                                   size_t reason_size) {
    if (!hub_enrollment_id_is_valid(request->client_id)) {
        snprintf(reason, reason_size, "client id is not a valid registration id");
        return HUB_ERR_INVALID;
    }
    if (hub_store_is_reserved_id(request->client_id)) {
        snprintf(reason, reason_size, "%s is reserved for the hub's service clients",
                 request->client_id);
        return HUB_ERR_AUTH;
    }
    if (request->username == NULL || request->username[0] == '\0') {
        snprintf(reason, reason_size, "no username (expected {idScope}/registrations/%s/...)",
                 request->client_id);
        return HUB_ERR_AUTH;
    }
    struct hub_dps_username name;
    if (hub_parse_dps_username(request->username, &name) != HUB_OK) {
        snprintf(reason, reason_size, "malformed DPS username");
        return HUB_ERR_INVALID;
    }
    // Id scopes are generated upper/lowercase text that people copy by hand.
    if (request->id_scope == NULL || strcasecmp(name.id_scope, request->id_scope) != 0) {
        snprintf(reason, reason_size, "id scope %s is not this service's", name.id_scope);
        return HUB_ERR_AUTH;
    }
    if (strcmp(name.registration_id, request->client_id) != 0) {
        snprintf(reason, reason_size, "username names registration %s, not the client id",
                 name.registration_id);
        return HUB_ERR_AUTH;
    }
    return HUB_OK;
}

enum hub_result hub_dps_auth_connect(struct hub_enrollments *enrollments,
                                     const struct hub_dps_connect_request *request,
                                     struct hub_dps_identity *out_identity, char *reason,
                                     size_t reason_size) {
    memset(out_identity, 0, sizeof *out_identity);
    enum hub_result result = check_names(request, reason, reason_size);
    if (result != HUB_OK) {
        return result;
    }
    char resource[HUB_SAS_MAX_RESOURCE];
    int n = snprintf(resource, sizeof resource, "%s/registrations/%s", request->id_scope,
                     request->client_id);
    if (n < 0 || (size_t)n >= sizeof resource) {
        snprintf(reason, reason_size, "id scope too long");
        return HUB_ERR_INTERNAL;
    }
    struct hub_enrollment enrollment;
    enum hub_enrollment_result found =
        hub_enrollment_get(enrollments, HUB_ENROLLMENT_INDIVIDUAL, request->client_id, &enrollment);
    if (found == HUB_ENROLLMENT_OK) {
        result = check_individual(request, &enrollment, resource, reason, reason_size);
        out_identity->attestation = enrollment.attestation;
        out_identity->enrollment_kind = HUB_ENROLLMENT_INDIVIDUAL;
        snprintf(out_identity->enrollment_id, sizeof out_identity->enrollment_id, "%s",
                 enrollment.id);
        OPENSSL_cleanse(&enrollment, sizeof enrollment);
    } else if (found == HUB_ENROLLMENT_ERR_NOT_FOUND) {
        result = check_groups(enrollments, request, resource, out_identity, reason, reason_size);
    } else {
        snprintf(reason, reason_size, "enrollments: %s", hub_enrollments_error(enrollments));
        result = HUB_ERR_INTERNAL;
    }
    if (result != HUB_OK) {
        memset(out_identity, 0, sizeof *out_identity);
        return result;
    }
    snprintf(out_identity->registration_id, sizeof out_identity->registration_id, "%s",
             request->client_id);
    return HUB_OK;
}

bool hub_dps_may_publish(const char *client_id, const char *topic,
                         struct hub_publish_topic *out_topic) {
    struct hub_publish_topic classified;
    if (hub_classify_publish(topic, client_id, &classified) != HUB_OK ||
        (classified.kind != HUB_PUB_DPS_REGISTER && classified.kind != HUB_PUB_DPS_POLL)) {
        return false;
    }
    if (out_topic != NULL) {
        *out_topic = classified;
    }
    return true;
}

bool hub_dps_may_subscribe(const char *client_id, const char *filter) {
    enum hub_subscription_kind kind;
    return hub_classify_subscription(filter, client_id, &kind) == HUB_OK &&
           kind == HUB_SUB_DPS_RESPONSES;
}
