// SPDX-License-Identifier: MIT
// Unit tests for the DPS registration state machine over a real hub registry and enrollment list
// in a temporary SQLite file, driven the way the plugin drives it (connect, then publishes):
// register → 202 → poll → 202 → 200 assigned with the registry updated, repeated polls and
// registrations, the device then passing the hub's own CONNECT check, group-derived keys, a
// disabled enrollment, a registration id that is not the client's, unknown operations, the
// device's payload, and the configurable polling.

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

#include <cjson/cJSON.h>

#include "cloud/hub_auth.h"
#include "cloud/hub_dps.h"
#include "cloud/hub_sas.h"

#define HUB_HOST "spheresim.azure-devices.net"
#define T0 1800000000000LL
#define GROUP_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define REGISTER_TOPIC "$dps/registrations/PUT/iotdps-register/?$rid="
#define POLL_TOPIC "$dps/registrations/GET/iotdps-get-operationstatus/?$rid="

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    struct hub_store *store;
    struct hub_dps *dps;
    struct hub_dps_response response;
    cJSON *body;
    char operation_id[HUB_DPS_OPERATION_ID_SIZE];
    char token[HUB_SAS_MAX_TOKEN];
    int client;  // its address stands for the broker's client handle
};

static int open_dps(struct fixture *f, int assigning_polls, long long delay_ms) {
    hub_dps_close(f->dps);
    f->dps = NULL;
    struct hub_dps_options options = {
        .db_path = f->path,
        .hub_hostname = HUB_HOST,
        .assigning_polls = assigning_polls,
        .assign_delay_ms = delay_ms,
    };
    char err[256];
    return hub_dps_open(&options, &f->dps, err, sizeof err);
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-dps-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
    char err[256];
    if (hub_store_open(f->path, &f->store, err, sizeof err) != HUB_STORE_OK ||
        open_dps(f, -1, 0) != 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static void forget_response(struct fixture *f) {
    hub_dps_response_free(&f->response);
    cJSON_Delete(f->body);
    f->body = NULL;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    forget_response(f);
    hub_dps_close(f->dps);
    hub_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static struct hub_enrollment enroll(struct fixture *f, enum hub_enrollment_kind kind,
                                    const char *id, enum hub_attestation attestation,
                                    const char *key, bool enabled) {
    struct hub_enrollment e = {.kind = kind, .attestation = attestation, .enabled = enabled};
    snprintf(e.id, sizeof e.id, "%s", id);
    if (key != NULL) {
        snprintf(e.primary_key, sizeof e.primary_key, "%s", key);
    }
    assert_int_equal(hub_enrollment_add(hub_dps_enrollments(f->dps), &e), HUB_ENROLLMENT_OK);
    return e;
}

static enum hub_result connect_with(struct fixture *f, const char *id, const char *key,
                                    const char *cn) {
    char username[256];
    char resource[256];
    snprintf(username, sizeof username, HUB_DPS_DEFAULT_ID_SCOPE "/registrations/%s/api-version=%s",
             id, HUB_DPS_API_VERSION);
    snprintf(resource, sizeof resource, HUB_DPS_DEFAULT_ID_SCOPE "/registrations/%s", id);
    if (key != NULL) {
        assert_true(hub_sas_token_make(resource, key, HUB_DPS_SAS_KEY_NAME, T0 / 1000 + 3600,
                                       f->token, sizeof f->token) > 0);
    }
    struct hub_dps_connect_request request = {
        .client_id = id,
        .username = username,
        .password = key != NULL ? f->token : NULL,
        .cert_cn = cn,
        .now = T0 / 1000,
    };
    char reason[256];
    return hub_dps_connect(f->dps, &f->client, &request, reason, sizeof reason);
}

// Publishes as client id; the response lands in f->response and f->body.
static enum hub_result publish(struct fixture *f, const char *id, const char *topic,
                               const char *payload, long long now_ms) {
    forget_response(f);
    enum hub_result result =
        hub_dps_message(f->dps, f->store, id, topic, payload, payload != NULL ? strlen(payload) : 0,
                        now_ms, &f->response);
    if (result == HUB_OK) {
        assert_non_null(f->response.body);
        assert_int_equal(f->response.body_len, strlen(f->response.body));
        f->body = cJSON_Parse(f->response.body);
        assert_non_null(f->body);
    }
    return result;
}

static const char *str(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static const cJSON *state_of(const struct fixture *f) {
    return cJSON_GetObjectItemCaseSensitive(f->body, "registrationState");
}

// Registers id with request id "1" and keeps the operation id.
static void register_ok(struct fixture *f, const char *id, long long now_ms) {
    char body[256];
    snprintf(body, sizeof body, "{\"registrationId\":\"%s\"}", id);
    assert_int_equal(publish(f, id, REGISTER_TOPIC "1", body, now_ms), HUB_OK);
    assert_int_equal(f->response.status, 202);
    assert_string_equal(f->response.topic, "$dps/registrations/res/202/?$rid=1&retry-after=3");
    assert_string_equal(str(f->body, "status"), "assigning");
    assert_non_null(str(f->body, "operationId"));
    snprintf(f->operation_id, sizeof f->operation_id, "%s", str(f->body, "operationId"));
}

static enum hub_result poll(struct fixture *f, const char *id, const char *rid, long long now_ms) {
    char topic[256];
    snprintf(topic, sizeof topic, POLL_TOPIC "%s&operationId=%s", rid, f->operation_id);
    return publish(f, id, topic, "", now_ms);
}

// Registers and polls until the operation is decided (one 202 poll with the defaults).
static void provision(struct fixture *f, const char *id) {
    register_ok(f, id, T0);
    assert_int_equal(poll(f, id, "2", T0 + 3000), HUB_OK);
    assert_int_equal(f->response.status, 202);
    assert_string_equal(f->response.topic, "$dps/registrations/res/202/?$rid=2&retry-after=3");
    assert_string_equal(str(f->body, "status"), "assigning");
    assert_string_equal(str(state_of(f), "status"), "assigning");
    assert_int_equal(poll(f, id, "3", T0 + 6000), HUB_OK);
    assert_string_equal(f->response.topic, "$dps/registrations/res/200/?$rid=3");
}

static void test_dps_register_poll_assigns_and_registers_sas_device(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment e =
        enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "sym-dev", HUB_ATTESTATION_SYMMETRIC_KEY, NULL, true);
    assert_int_equal(connect_with(f, "sym-dev", e.primary_key, NULL), HUB_OK);
    assert_true(hub_dps_is_client(f->dps, "sym-dev"));
    provision(f, "sym-dev");
    assert_int_equal(f->response.status, 200);
    assert_int_equal(f->response.qos, HUB_DPS_RESPONSE_QOS);
    assert_string_equal(str(f->body, "operationId"), f->operation_id);
    assert_string_equal(str(f->body, "status"), "assigned");
    const cJSON *rs = state_of(f);
    assert_string_equal(str(rs, "registrationId"), "sym-dev");
    assert_string_equal(str(rs, "assignedHub"), HUB_HOST);
    assert_string_equal(str(rs, "deviceId"), "sym-dev");
    assert_string_equal(str(rs, "status"), "assigned");
    assert_string_equal(str(rs, "substatus"), "initialAssignment");
    assert_string_equal(str(rs, "createdDateTimeUtc"), "2027-01-15T08:00:06.0000000Z");
    assert_string_equal(str(rs, "lastUpdatedDateTimeUtc"), "2027-01-15T08:00:06.0000000Z");
    assert_non_null(str(rs, "etag"));
    assert_null(cJSON_GetObjectItem(rs, "payload"));
    assert_true(strstr(f->response.log, "assigned") != NULL);

    struct hub_device device;
    assert_int_equal(hub_store_device_get(f->store, "sym-dev", &device), HUB_STORE_OK);
    assert_int_equal(device.auth, HUB_AUTH_SAS);
    assert_true(device.enabled);
    assert_string_equal(device.primary_key, e.primary_key);
    assert_string_equal(device.secondary_key, e.secondary_key);
    struct hub_dps_registration registration;
    assert_int_equal(
        hub_dps_registration_get(hub_dps_enrollments(f->dps), "sym-dev", &registration),
        HUB_ENROLLMENT_OK);
    assert_string_equal(registration.assigned_hub, HUB_HOST);
    assert_string_equal(registration.etag, str(rs, "etag"));

    // The device can now connect to the hub with a token signed by the same key.
    char token[HUB_SAS_MAX_TOKEN];
    assert_true(hub_sas_token_make(HUB_HOST "/devices/sym-dev", e.primary_key, NULL, T0 / 1000 + 60,
                                   token, sizeof token) > 0);
    struct hub_connect_request hub_request = {
        .client_id = "sym-dev",
        .username = HUB_HOST "/sym-dev/?api-version=2021-04-12",
        .password = token,
        .hub_hostname = HUB_HOST,
        .now = T0 / 1000,
    };
    char reason[256];
    assert_int_equal(hub_auth_connect(f->store, &hub_request, &device, reason, sizeof reason),
                     HUB_OK);
}

static void test_dps_x509_assignment_registers_certificate_device(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_GROUP, "certs", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "cert-dev", NULL, "cert-dev"), HUB_OK);
    provision(f, "cert-dev");
    assert_int_equal(f->response.status, 200);
    assert_string_equal(str(f->body, "status"), "assigned");
    struct hub_device device;
    assert_int_equal(hub_store_device_get(f->store, "cert-dev", &device), HUB_STORE_OK);
    assert_int_equal(device.auth, HUB_AUTH_X509);
    assert_string_equal(device.primary_key, "");
}

static void test_dps_poll_after_assignment_repeats_the_result(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    provision(f, "dev");
    char first[1024];
    snprintf(first, sizeof first, "%s", f->response.body);
    assert_int_equal(poll(f, "dev", "9", T0 + 60000), HUB_OK);
    assert_int_equal(f->response.status, 200);
    assert_string_equal(f->response.topic, "$dps/registrations/res/200/?$rid=9");
    assert_string_equal(f->response.body, first);
}

static void test_dps_second_registration_is_reprovisioned_keeping_created_time(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    provision(f, "dev");
    char created[HUB_DPS_TIME_SIZE];
    char etag[HUB_DPS_ETAG_SIZE];
    snprintf(created, sizeof created, "%s", str(state_of(f), "createdDateTimeUtc"));
    snprintf(etag, sizeof etag, "%s", str(state_of(f), "etag"));
    register_ok(f, "dev", T0 + 100000);
    assert_int_equal(poll(f, "dev", "4", T0 + 101000), HUB_OK);
    assert_int_equal(poll(f, "dev", "5", T0 + 102000), HUB_OK);
    assert_int_equal(f->response.status, 200);
    const cJSON *rs = state_of(f);
    assert_string_equal(str(rs, "substatus"), "reprovisionedToInitialAssignment");
    assert_string_equal(str(rs, "createdDateTimeUtc"), created);
    assert_string_equal(str(rs, "lastUpdatedDateTimeUtc"), "2027-01-15T08:01:42.0000000Z");
    assert_string_not_equal(str(rs, "etag"), etag);
}

static void test_dps_group_derived_key_assigns_device_with_derived_keys(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_GROUP, "kits", HUB_ATTESTATION_SYMMETRIC_KEY, GROUP_KEY, true);
    char key[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, "kit-7", key, sizeof key), 0);
    assert_int_equal(connect_with(f, "kit-7", key, NULL), HUB_OK);
    provision(f, "kit-7");
    assert_string_equal(str(f->body, "status"), "assigned");
    struct hub_device device;
    assert_int_equal(hub_store_device_get(f->store, "kit-7", &device), HUB_STORE_OK);
    assert_int_equal(device.auth, HUB_AUTH_SAS);
    assert_string_equal(device.primary_key, key);
    struct hub_dps_registration registration;
    assert_int_equal(hub_dps_registration_get(hub_dps_enrollments(f->dps), "kit-7", &registration),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(registration.enrollment_kind, HUB_ENROLLMENT_GROUP);
    assert_string_equal(registration.enrollment_id, "kits");
}

static void test_dps_disabled_enrollment_answers_disabled_and_registers_nothing(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "off-dev", HUB_ATTESTATION_X509, NULL, false);
    assert_int_equal(connect_with(f, "off-dev", NULL, "off-dev"), HUB_OK);
    provision(f, "off-dev");
    assert_int_equal(f->response.status, 200);
    assert_string_equal(str(f->body, "status"), "disabled");
    const cJSON *rs = state_of(f);
    assert_string_equal(str(rs, "registrationId"), "off-dev");
    assert_string_equal(str(rs, "status"), "disabled");
    assert_int_equal(cJSON_GetObjectItem(rs, "errorCode")->valueint, 401002);
    assert_non_null(str(rs, "errorMessage"));
    assert_null(str(rs, "assignedHub"));
    struct hub_device device;
    assert_int_equal(hub_store_device_get(f->store, "off-dev", &device), HUB_STORE_ERR_NOT_FOUND);
}

static void test_dps_enrollment_disabled_after_connect_is_noticed(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    register_ok(f, "dev", T0);
    assert_int_equal(hub_enrollment_set_enabled(hub_dps_enrollments(f->dps),
                                                HUB_ENROLLMENT_INDIVIDUAL, "dev", false),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(poll(f, "dev", "2", T0 + 3000), HUB_OK);
    assert_int_equal(poll(f, "dev", "3", T0 + 6000), HUB_OK);
    assert_string_equal(str(f->body, "status"), "disabled");
}

static void test_dps_registration_id_mismatch_is_400(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    assert_int_equal(publish(f, "dev", REGISTER_TOPIC "7", "{\"registrationId\":\"other\"}", T0),
                     HUB_OK);
    assert_int_equal(f->response.status, 400);
    assert_string_equal(f->response.topic, "$dps/registrations/res/400/?$rid=7");
    assert_int_equal(cJSON_GetObjectItem(f->body, "errorCode")->valueint, 400004);
    assert_non_null(str(f->body, "trackingId"));
    assert_non_null(strstr(str(f->body, "message"), "other"));
    assert_string_equal(str(f->body, "timestampUtc"), "2027-01-15T08:00:00.0000000Z");

    assert_int_equal(publish(f, "dev", REGISTER_TOPIC "8", "not json", T0), HUB_OK);
    assert_int_equal(f->response.status, 400);
    assert_int_equal(publish(f, "dev", REGISTER_TOPIC "8", "", T0), HUB_OK);
    assert_int_equal(f->response.status, 400);
    assert_int_equal(publish(f, "dev", REGISTER_TOPIC "8", "{\"registrationId\":5}", T0), HUB_OK);
    assert_int_equal(f->response.status, 400);
}

static void test_dps_unknown_operation_is_404(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev2", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    snprintf(f->operation_id, sizeof f->operation_id, "4.0000000000000000.nope");
    assert_int_equal(poll(f, "dev", "5", T0), HUB_OK);
    assert_int_equal(f->response.status, 404);
    assert_string_equal(f->response.topic, "$dps/registrations/res/404/?$rid=5");
    assert_int_equal(cJSON_GetObjectItem(f->body, "errorCode")->valueint, 404002);
    assert_non_null(str(f->body, "trackingId"));
    // Another registration's operation is not found either.
    register_ok(f, "dev", T0);
    assert_int_equal(connect_with(f, "dev2", NULL, "dev2"), HUB_OK);
    assert_int_equal(poll(f, "dev2", "6", T0 + 3000), HUB_OK);
    assert_int_equal(f->response.status, 404);
}

static void test_dps_payload_comes_back_in_registration_state(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(open_dps(f, 0, 0), 0);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    assert_int_equal(
        publish(f, "dev", REGISTER_TOPIC "1",
                "{\"registrationId\":\"dev\",\"payload\":{\"modelId\":\"dtmi:x;1\"}}", T0),
        HUB_OK);
    snprintf(f->operation_id, sizeof f->operation_id, "%s", str(f->body, "operationId"));
    assert_int_equal(poll(f, "dev", "2", T0 + 3000), HUB_OK);
    assert_int_equal(f->response.status, 200);
    const cJSON *payload = cJSON_GetObjectItem(state_of(f), "payload");
    assert_string_equal(str(payload, "modelId"), "dtmi:x;1");
}

static void test_dps_zero_polls_and_delay_are_configurable(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(open_dps(f, 0, 5000), 0);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    register_ok(f, "dev", T0);
    assert_int_equal(poll(f, "dev", "2", T0 + 1000), HUB_OK);
    assert_int_equal(f->response.status, 202);
    assert_int_equal(poll(f, "dev", "3", T0 + 5000), HUB_OK);
    assert_int_equal(f->response.status, 200);
}

static void test_dps_existing_device_with_other_credentials_is_replaced_keeping_twin(void **state) {
    struct fixture *f = *state;
    struct hub_device old = {.device_id = "dev", .auth = HUB_AUTH_X509, .enabled = true};
    assert_int_equal(hub_store_device_add(f->store, &old), HUB_STORE_OK);
    assert_int_equal(hub_store_twin_put(f->store, "dev", "{\"kept\":true}"), HUB_STORE_OK);
    struct hub_enrollment e =
        enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_SYMMETRIC_KEY, NULL, true);
    assert_int_equal(connect_with(f, "dev", e.primary_key, NULL), HUB_OK);
    provision(f, "dev");
    assert_string_equal(str(f->body, "status"), "assigned");
    struct hub_device device;
    assert_int_equal(hub_store_device_get(f->store, "dev", &device), HUB_STORE_OK);
    assert_int_equal(device.auth, HUB_AUTH_SAS);
    assert_string_equal(device.primary_key, e.primary_key);
    char *twin = NULL;
    assert_int_equal(hub_store_twin_get(f->store, "dev", &twin), HUB_STORE_OK);
    assert_string_equal(twin, "{\"kept\":true}");
    free(twin);
}

static void test_dps_message_refuses_non_dps_clients_and_topics(void **state) {
    struct fixture *f = *state;
    enroll(f, HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509, NULL, true);
    assert_int_equal(publish(f, "dev", REGISTER_TOPIC "1", "{\"registrationId\":\"dev\"}", T0),
                     HUB_ERR_INVALID);
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    assert_int_equal(publish(f, "dev", "devices/dev/messages/events/", "{}", T0), HUB_ERR_INVALID);
    assert_int_equal(publish(f, "dev", "$dps/registrations/PUT/iotdps-register/", "{}", T0),
                     HUB_ERR_INVALID);
    // A replaced connection ending leaves the current one; the current one ending removes it.
    int other = 0;
    hub_dps_disconnect(f->dps, &other, "dev");
    assert_true(hub_dps_is_client(f->dps, "dev"));
    hub_dps_disconnect(f->dps, &f->client, "dev");
    assert_false(hub_dps_is_client(f->dps, "dev"));
    assert_int_equal(connect_with(f, "dev", NULL, "dev"), HUB_OK);
    hub_dps_disconnect(f->dps, NULL, "dev");
    assert_false(hub_dps_is_client(f->dps, "dev"));
}

static void test_dps_refused_connect_is_not_a_client(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_with(f, "nobody", NULL, "nobody"), HUB_ERR_NO_MATCH);
    assert_false(hub_dps_is_client(f->dps, "nobody"));
}

static void test_dps_open_rejects_bad_options(void **state) {
    struct fixture *f = *state;
    struct hub_dps *dps = NULL;
    char err[256];
    struct hub_dps_options options = {.db_path = f->path, .hub_hostname = NULL};
    assert_int_equal(hub_dps_open(&options, &dps, err, sizeof err), -1);
    options.hub_hostname = HUB_HOST;
    options.id_scope = "not a scope";
    assert_int_equal(hub_dps_open(&options, &dps, err, sizeof err), -1);
    assert_null(dps);
    options.id_scope = "0ne00000042";
    assert_int_equal(hub_dps_open(&options, &dps, err, sizeof err), 0);
    assert_string_equal(hub_dps_id_scope(dps), "0ne00000042");
    hub_dps_close(dps);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_dps_register_poll_assigns_and_registers_sas_device),
        T(test_dps_x509_assignment_registers_certificate_device),
        T(test_dps_poll_after_assignment_repeats_the_result),
        T(test_dps_second_registration_is_reprovisioned_keeping_created_time),
        T(test_dps_group_derived_key_assigns_device_with_derived_keys),
        T(test_dps_disabled_enrollment_answers_disabled_and_registers_nothing),
        T(test_dps_enrollment_disabled_after_connect_is_noticed),
        T(test_dps_registration_id_mismatch_is_400),
        T(test_dps_unknown_operation_is_404),
        T(test_dps_payload_comes_back_in_registration_state),
        T(test_dps_zero_polls_and_delay_are_configurable),
        T(test_dps_existing_device_with_other_credentials_is_replaced_keeping_twin),
        T(test_dps_message_refuses_non_dps_clients_and_topics),
        T(test_dps_refused_connect_is_not_a_client),
        T(test_dps_open_rejects_bad_options),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
