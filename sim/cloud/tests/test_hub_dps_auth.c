// SPDX-License-Identifier: MIT
// Unit tests for DPS CONNECT decisions over a real enrollment list in a temporary SQLite file:
// X.509 by certificate CN through an individual enrollment or a group, symmetric keys through an
// individual enrollment (primary and secondary) or a group's derived key, and each refusal: id
// scope, username, key, expiry, key name, CN, attestation, missing enrollment. Also the DPS
// topic rules and telling DPS usernames from hub ones.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/hub_dps.h"
#include "cloud/hub_dps_auth.h"
#include "cloud/hub_sas.h"

#define SCOPE HUB_DPS_DEFAULT_ID_SCOPE
#define NOW 1800000000LL
#define GROUP_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="

struct fixture {
    char dir[64];
    struct hub_enrollments *e;
    struct hub_enrollment sym;  // individual symmetric-key enrollment "sym-dev"
    struct hub_dps_identity identity;
    char username[256];
    char token[HUB_SAS_MAX_TOKEN];
    char reason[512];
};

static void add(struct fixture *f, enum hub_enrollment_kind kind, const char *id,
                enum hub_attestation attestation, const char *key, bool enabled,
                struct hub_enrollment *out) {
    struct hub_enrollment e = {.kind = kind, .attestation = attestation, .enabled = enabled};
    snprintf(e.id, sizeof e.id, "%s", id);
    if (key != NULL) {
        snprintf(e.primary_key, sizeof e.primary_key, "%s", key);
    }
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_OK);
    if (out != NULL) {
        *out = e;
    }
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-dpsauth-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    char path[PATH_MAX];
    char err[256];
    snprintf(path, sizeof path, "%s/hub.db", f->dir);
    if (hub_enrollments_open(path, &f->e, err, sizeof err) != HUB_ENROLLMENT_OK) {
        return -1;
    }
    add(f, HUB_ENROLLMENT_INDIVIDUAL, "cert-dev", HUB_ATTESTATION_X509, NULL, true, NULL);
    add(f, HUB_ENROLLMENT_INDIVIDUAL, "sym-dev", HUB_ATTESTATION_SYMMETRIC_KEY, NULL, true,
        &f->sym);
    add(f, HUB_ENROLLMENT_INDIVIDUAL, "off-dev", HUB_ATTESTATION_X509, NULL, false, NULL);
    add(f, HUB_ENROLLMENT_GROUP, "factory-certs", HUB_ATTESTATION_X509, NULL, true, NULL);
    add(f, HUB_ENROLLMENT_GROUP, "a-other-keys", HUB_ATTESTATION_SYMMETRIC_KEY, NULL, true, NULL);
    add(f, HUB_ENROLLMENT_GROUP, "factory-keys", HUB_ATTESTATION_SYMMETRIC_KEY, GROUP_KEY, true,
        NULL);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_enrollments_close(f->e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static const char *username_for(struct fixture *f, const char *scope, const char *id) {
    snprintf(f->username, sizeof f->username, "%s/registrations/%s/api-version=2019-03-31", scope,
             id);
    return f->username;
}

// A token for "{SCOPE}/registrations/{id}" with skn key_name (NULL: none).
static const char *token_for(struct fixture *f, const char *id, const char *key,
                             const char *key_name, long long expiry) {
    char resource[256];
    snprintf(resource, sizeof resource, SCOPE "/registrations/%s", id);
    assert_true(hub_sas_token_make(resource, key, key_name, expiry, f->token, sizeof f->token) > 0);
    return f->token;
}

static enum hub_result connect_full(struct fixture *f, const char *id, const char *username,
                                    const char *password, const char *cn) {
    struct hub_dps_connect_request r = {
        .client_id = id,
        .username = username,
        .password = password,
        .cert_cn = cn,
        .id_scope = SCOPE,
        .now = NOW,
    };
    f->reason[0] = '\0';
    return hub_dps_auth_connect(f->e, &r, &f->identity, f->reason, sizeof f->reason);
}

static enum hub_result connect_as(struct fixture *f, const char *id, const char *password,
                                  const char *cn) {
    return connect_full(f, id, username_for(f, SCOPE, id), password, cn);
}

static const char *group_token(struct fixture *f, const char *id, long long expiry) {
    char key[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, id, key, sizeof key), 0);
    return token_for(f, id, key, HUB_DPS_SAS_KEY_NAME, expiry);
}

static void test_connect_x509_individual_accepted(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "cert-dev", NULL, "cert-dev"), HUB_OK);
    assert_string_equal(f->identity.registration_id, "cert-dev");
    assert_int_equal(f->identity.attestation, HUB_ATTESTATION_X509);
    assert_int_equal(f->identity.enrollment_kind, HUB_ENROLLMENT_INDIVIDUAL);
    assert_string_equal(f->identity.enrollment_id, "cert-dev");
}

static void test_connect_x509_group_accepted_for_any_tenant_certificate(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "new-cert-dev", NULL, "new-cert-dev"), HUB_OK);
    assert_int_equal(f->identity.attestation, HUB_ATTESTATION_X509);
    assert_int_equal(f->identity.enrollment_kind, HUB_ENROLLMENT_GROUP);
    assert_string_equal(f->identity.enrollment_id, "factory-certs");
}

static void test_connect_symmetric_individual_primary_and_secondary_accepted(void **state) {
    struct fixture *f = *state;
    const char *token = token_for(f, "sym-dev", f->sym.primary_key, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_OK);
    assert_int_equal(f->identity.attestation, HUB_ATTESTATION_SYMMETRIC_KEY);
    assert_int_equal(f->identity.enrollment_kind, HUB_ENROLLMENT_INDIVIDUAL);
    token = token_for(f, "sym-dev", f->sym.secondary_key, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_OK);
}

static void test_connect_symmetric_group_with_derived_key_accepted(void **state) {
    struct fixture *f = *state;
    const char *token = group_token(f, "kit-0042", NOW + 60);
    assert_int_equal(connect_as(f, "kit-0042", token, NULL), HUB_OK);
    assert_int_equal(f->identity.attestation, HUB_ATTESTATION_SYMMETRIC_KEY);
    assert_int_equal(f->identity.enrollment_kind, HUB_ENROLLMENT_GROUP);
    assert_string_equal(f->identity.enrollment_id, "factory-keys");
}

static void test_connect_group_key_itself_is_refused(void **state) {
    struct fixture *f = *state;
    // The group key signs nothing for devices; only keys derived from it do.
    const char *token = token_for(f, "kit-0042", GROUP_KEY, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "kit-0042", token, NULL), HUB_ERR_AUTH);
    // Nor does another device's derived key.
    char other[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    hub_enrollment_derive_device_key(GROUP_KEY, "kit-0043", other, sizeof other);
    token = token_for(f, "kit-0042", other, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "kit-0042", token, NULL), HUB_ERR_AUTH);
    assert_string_equal(f->identity.registration_id, "");
}

static void test_connect_wrong_scope_refused(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_full(f, "cert-dev", username_for(f, "0ne00000000", "cert-dev"), NULL, "cert-dev"),
        HUB_ERR_AUTH);
    assert_true(strstr(f->reason, "scope") != NULL);
    // Scopes compare without regard to case.
    assert_int_equal(
        connect_full(f, "cert-dev", username_for(f, "0NE00ab12cd", "cert-dev"), NULL, "cert-dev"),
        HUB_OK);
}

static void test_connect_wrong_key_refused(void **state) {
    struct fixture *f = *state;
    const char *token = token_for(f, "sym-dev", GROUP_KEY, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_ERR_AUTH);
    assert_true(strstr(f->reason, "SAS token refused") != NULL);
    assert_null(strstr(f->reason, GROUP_KEY));
}

static void test_connect_expired_token_refused(void **state) {
    struct fixture *f = *state;
    const char *token = token_for(f, "sym-dev", f->sym.primary_key, "registration", NOW - 1);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_ERR_EXPIRED);
    token = group_token(f, "kit-0042", NOW);
    assert_int_equal(connect_as(f, "kit-0042", token, NULL), HUB_ERR_EXPIRED);
}

static void test_connect_token_for_another_registration_refused(void **state) {
    struct fixture *f = *state;
    const char *token = token_for(f, "other", f->sym.primary_key, "registration", NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_ERR_AUTH);
}

static void test_connect_token_without_registration_key_name_refused(void **state) {
    struct fixture *f = *state;
    const char *token = token_for(f, "sym-dev", f->sym.primary_key, NULL, NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_ERR_AUTH);
    assert_true(strstr(f->reason, "skn") != NULL);
    token = token_for(f, "sym-dev", f->sym.primary_key, "iothubowner", NOW + 60);
    assert_int_equal(connect_as(f, "sym-dev", token, NULL), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "sym-dev", "SharedAccessSignature garbage", NULL), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "sym-dev", NULL, NULL), HUB_ERR_AUTH);
}

static void test_connect_cn_mismatch_refused(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "cert-dev", NULL, "someone-else"), HUB_ERR_AUTH);
    assert_true(strstr(f->reason, "CN") != NULL);
    assert_int_equal(connect_as(f, "new-cert-dev", NULL, "cert-dev"), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "cert-dev", NULL, NULL), HUB_ERR_AUTH);
}

static void test_connect_individual_enrollment_decides_attestation(void **state) {
    struct fixture *f = *state;
    // sym-dev is enrolled with a key: a certificate does not get it in through the X.509 group.
    assert_int_equal(connect_as(f, "sym-dev", NULL, "sym-dev"), HUB_ERR_AUTH);
    // cert-dev is enrolled with X.509: a group-derived key does not get it in.
    assert_int_equal(connect_as(f, "cert-dev", group_token(f, "cert-dev", NOW + 60), NULL),
                     HUB_ERR_AUTH);
}

static void test_connect_disabled_enrollment_still_authenticates(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "off-dev", NULL, "off-dev"), HUB_OK);
    assert_int_equal(f->identity.enrollment_kind, HUB_ENROLLMENT_INDIVIDUAL);
}

static void test_connect_no_enrollment_is_no_match(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_GROUP, "factory-certs"),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(connect_as(f, "stranger", NULL, "stranger"), HUB_ERR_NO_MATCH);
    assert_true(strstr(f->reason, "no enrollment") != NULL);
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_GROUP, "factory-keys"),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_GROUP, "a-other-keys"),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(connect_as(f, "stranger", group_token(f, "stranger", NOW + 60), NULL),
                     HUB_ERR_NO_MATCH);
}

static void test_connect_bad_names_refused(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_full(f, "cert-dev", username_for(f, SCOPE, "other"), NULL, "cert-dev"),
                     HUB_ERR_AUTH);
    assert_int_equal(connect_full(f, "cert-dev", NULL, NULL, "cert-dev"), HUB_ERR_AUTH);
    assert_int_equal(connect_full(f, "cert-dev", "garbage", NULL, "cert-dev"), HUB_ERR_INVALID);
    assert_int_equal(connect_full(f, "bad/id", "x", NULL, "bad/id"), HUB_ERR_INVALID);
    assert_int_equal(connect_as(f, "spheresim-service", NULL, "spheresim-service"), HUB_ERR_AUTH);
}

static void test_is_dps_username_tells_dps_from_hub(void **state) {
    (void)state;
    assert_true(hub_dps_is_dps_username(SCOPE "/registrations/dev/api-version=2019-03-31"));
    assert_true(hub_dps_is_dps_username(SCOPE "/registrations/dev/api-version=2019-03-31"
                                              "&ClientVersion=azsdk-c%2F1.5.0"));
    assert_false(
        hub_dps_is_dps_username("spheresim.azure-devices.net/dev/?api-version=2021-04-12"));
    assert_false(
        hub_dps_is_dps_username("spheresim.azure-devices.net/registrations/?api-version=1"));
    assert_false(hub_dps_is_dps_username("registrations"));
    assert_false(hub_dps_is_dps_username(NULL));
}

static void test_dps_topics_only_register_poll_and_responses(void **state) {
    (void)state;
    struct hub_publish_topic topic;
    assert_true(
        hub_dps_may_publish("dev", "$dps/registrations/PUT/iotdps-register/?$rid=1", &topic));
    assert_int_equal(topic.kind, HUB_PUB_DPS_REGISTER);
    assert_true(hub_dps_may_publish(
        "dev", "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=op", &topic));
    assert_int_equal(topic.kind, HUB_PUB_DPS_POLL);
    assert_string_equal(topic.operation_id, "op");
    assert_false(hub_dps_may_publish("dev", "devices/dev/messages/events/", NULL));
    assert_false(hub_dps_may_publish("dev", "$iothub/twin/GET/?$rid=1", NULL));
    assert_false(hub_dps_may_publish("dev", "$dps/registrations/PUT/iotdps-register/", NULL));
    assert_true(hub_dps_may_subscribe("dev", "$dps/registrations/res/#"));
    assert_false(hub_dps_may_subscribe("dev", "$iothub/twin/res/#"));
    assert_false(hub_dps_may_subscribe("dev", "#"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_connect_x509_individual_accepted),
        T(test_connect_x509_group_accepted_for_any_tenant_certificate),
        T(test_connect_symmetric_individual_primary_and_secondary_accepted),
        T(test_connect_symmetric_group_with_derived_key_accepted),
        T(test_connect_group_key_itself_is_refused),
        T(test_connect_wrong_scope_refused),
        T(test_connect_wrong_key_refused),
        T(test_connect_expired_token_refused),
        T(test_connect_token_for_another_registration_refused),
        T(test_connect_token_without_registration_key_name_refused),
        T(test_connect_cn_mismatch_refused),
        T(test_connect_individual_enrollment_decides_attestation),
        T(test_connect_disabled_enrollment_still_authenticates),
        T(test_connect_no_enrollment_is_no_match),
        T(test_connect_bad_names_refused),
#undef T
        cmocka_unit_test(test_is_dps_username_tells_dps_from_hub),
        cmocka_unit_test(test_dps_topics_only_register_poll_and_responses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
