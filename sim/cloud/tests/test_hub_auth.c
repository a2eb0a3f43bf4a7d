// SPDX-License-Identifier: MIT
// Unit tests for the hub's CONNECT decisions and topic rules, over a real registry in a temporary
// SQLite file: X.509 devices by certificate CN, SAS devices by token (primary and secondary key,
// expiry, resource), usernames naming the device, disabled and unknown devices, and which topics
// and filters a connected device may use.

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

#include "cloud/hub_auth.h"
#include "cloud/hub_sas.h"

#define HOST "spheresim.azure-devices.net"
#define NOW 1800000000LL

struct fixture {
    char dir[64];
    struct hub_store *store;
    struct hub_device sas;
    char token[HUB_SAS_MAX_TOKEN];
    char reason[512];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-auth-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    char path[PATH_MAX];
    char err[256];
    snprintf(path, sizeof path, "%s/hub.db", f->dir);
    if (hub_store_open(path, &f->store, err, sizeof err) != HUB_STORE_OK) {
        return -1;
    }
    struct hub_device x509 = {.device_id = "cert-dev", .auth = HUB_AUTH_X509, .enabled = true};
    struct hub_device off = {.device_id = "off-dev", .auth = HUB_AUTH_X509, .enabled = false};
    f->sas = (struct hub_device){.device_id = "sas-dev", .auth = HUB_AUTH_SAS, .enabled = true};
    if (hub_sas_key_generate(f->sas.primary_key, sizeof f->sas.primary_key) != 0 ||
        hub_sas_key_generate(f->sas.secondary_key, sizeof f->sas.secondary_key) != 0 ||
        hub_store_device_add(f->store, &x509) != HUB_STORE_OK ||
        hub_store_device_add(f->store, &off) != HUB_STORE_OK ||
        hub_store_device_add(f->store, &f->sas) != HUB_STORE_OK ||
        hub_sas_token_make(HOST "/devices/sas-dev", f->sas.primary_key, NULL, NOW + 3600, f->token,
                           sizeof f->token) < 0) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static enum hub_result connect_as(struct fixture *f, const char *id, const char *username,
                                  const char *password, const char *cn) {
    struct hub_connect_request r = {
        .client_id = id,
        .username = username,
        .password = password,
        .cert_cn = cn,
        .hub_hostname = HOST,
        .now = NOW,
    };
    struct hub_device device;
    f->reason[0] = '\0';
    return hub_auth_connect(f->store, &r, &device, f->reason, sizeof f->reason);
}

static void test_hub_auth_connect_x509_matching_cn_succeeds(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "cert-dev", HOST "/cert-dev/?api-version=2021-04-12", NULL, "cert-dev"),
        HUB_OK);
    // Older and SDK-decorated usernames are accepted too.
    assert_int_equal(connect_as(f, "cert-dev",
                                HOST "/cert-dev/?api-version=2020-09-30&DeviceClientType="
                                     "iothubclient%2f1.0",
                                "", "cert-dev"),
                     HUB_OK);
}

static void test_hub_auth_connect_x509_other_cn_fails_auth(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "cert-dev", HOST "/cert-dev/?api-version=2021-04-12", NULL, "sas-dev"),
        HUB_ERR_AUTH);
    assert_non_null(strstr(f->reason, "CN"));
}

static void test_hub_auth_connect_x509_without_certificate_fails_auth(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "cert-dev", HOST "/cert-dev/?api-version=2021-04-12", f->token, NULL),
        HUB_ERR_AUTH);
}

static void test_hub_auth_connect_username_other_device_fails_auth(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "cert-dev", HOST "/sas-dev/?api-version=2021-04-12", NULL, "cert-dev"),
        HUB_ERR_AUTH);
    assert_non_null(strstr(f->reason, "sas-dev"));
}

static void test_hub_auth_connect_missing_or_malformed_username_fails(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "cert-dev", NULL, NULL, "cert-dev"), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "cert-dev", "", NULL, "cert-dev"), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "cert-dev", "no-slashes", NULL, "cert-dev"), HUB_ERR_INVALID);
}

static void test_hub_auth_connect_module_username_fails_auth(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "cert-dev", HOST "/cert-dev/mod1/?api-version=2021-04-12", NULL, "cert-dev"),
        HUB_ERR_AUTH);
}

static void test_hub_auth_connect_unknown_device_fails_no_match(void **state) {
    struct fixture *f = *state;
    assert_int_equal(connect_as(f, "ghost", HOST "/ghost/?api-version=2021-04-12", NULL, "ghost"),
                     HUB_ERR_NO_MATCH);
    assert_int_equal(connect_as(f, "bad/id", HOST "/x/", NULL, NULL), HUB_ERR_INVALID);
}

static void test_hub_auth_connect_disabled_device_fails_auth(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "off-dev", HOST "/off-dev/?api-version=2021-04-12", NULL, "off-dev"),
        HUB_ERR_AUTH);
    assert_non_null(strstr(f->reason, "disabled"));
}

static void test_hub_auth_connect_sas_valid_token_succeeds(void **state) {
    struct fixture *f = *state;
    assert_int_equal(
        connect_as(f, "sas-dev", HOST "/sas-dev/?api-version=2021-04-12", f->token, NULL), HUB_OK);
}

static void test_hub_auth_connect_sas_secondary_key_succeeds(void **state) {
    struct fixture *f = *state;
    char token[HUB_SAS_MAX_TOKEN];
    assert_true(hub_sas_token_make(HOST "/devices/sas-dev", f->sas.secondary_key, NULL, NOW + 60,
                                   token, sizeof token) > 0);
    assert_int_equal(connect_as(f, "sas-dev", HOST "/sas-dev/?api-version=2021-04-12", token, NULL),
                     HUB_OK);
}

static void test_hub_auth_connect_sas_expired_fails_expired(void **state) {
    struct fixture *f = *state;
    char token[HUB_SAS_MAX_TOKEN];
    assert_true(hub_sas_token_make(HOST "/devices/sas-dev", f->sas.primary_key, NULL, NOW - 1,
                                   token, sizeof token) > 0);
    assert_int_equal(connect_as(f, "sas-dev", HOST "/sas-dev/?api-version=2021-04-12", token, NULL),
                     HUB_ERR_EXPIRED);
    assert_null(strstr(f->reason, token));  // never log the credential
}

static void test_hub_auth_connect_sas_wrong_key_or_resource_fails_auth(void **state) {
    struct fixture *f = *state;
    char key[HUB_SAS_KEY_BASE64_SIZE];
    char token[HUB_SAS_MAX_TOKEN];
    assert_int_equal(hub_sas_key_generate(key, sizeof key), 0);
    assert_true(
        hub_sas_token_make(HOST "/devices/sas-dev", key, NULL, NOW + 60, token, sizeof token) > 0);
    assert_int_equal(connect_as(f, "sas-dev", HOST "/sas-dev/?api-version=2021-04-12", token, NULL),
                     HUB_ERR_AUTH);
    assert_true(hub_sas_token_make("otherhub.azure-devices.net/devices/sas-dev", f->sas.primary_key,
                                   NULL, NOW + 60, token, sizeof token) > 0);
    assert_int_equal(connect_as(f, "sas-dev", HOST "/sas-dev/?api-version=2021-04-12", token, NULL),
                     HUB_ERR_AUTH);
}

static void test_hub_auth_connect_sas_missing_or_garbage_password_fails_auth(void **state) {
    struct fixture *f = *state;
    const char *username = HOST "/sas-dev/?api-version=2021-04-12";
    assert_int_equal(connect_as(f, "sas-dev", username, NULL, NULL), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "sas-dev", username, "", NULL), HUB_ERR_AUTH);
    assert_int_equal(connect_as(f, "sas-dev", username, "SharedAccessSignature", NULL),
                     HUB_ERR_AUTH);
    // A tenant certificate whose CN matches does not stand in for the token of a SAS device.
    assert_int_equal(connect_as(f, "sas-dev", username, NULL, "sas-dev"), HUB_ERR_AUTH);
}

static void test_hub_auth_may_publish_own_topics_only(void **state) {
    (void)state;
    struct hub_publish_topic topic;
    assert_true(hub_auth_may_publish("d1", "devices/d1/messages/events/", &topic));
    assert_int_equal(topic.kind, HUB_PUB_TELEMETRY);
    assert_true(hub_auth_may_publish("d1", "devices/d1/messages/events/a=1&%24.mid=2", NULL));
    assert_true(hub_auth_may_publish("d1", "$iothub/twin/GET/?$rid=1", &topic));
    assert_int_equal(topic.kind, HUB_PUB_TWIN_GET);
    assert_true(hub_auth_may_publish("d1", "$iothub/twin/PATCH/properties/reported/?$rid=2", NULL));
    assert_true(hub_auth_may_publish("d1", "$iothub/methods/res/200/?$rid=3", NULL));

    assert_false(hub_auth_may_publish("d1", "devices/d2/messages/events/", NULL));
    assert_false(hub_auth_may_publish("d1", "devices/d1/messages/events", NULL));
    assert_false(hub_auth_may_publish("d1", "devices/d1/messages/devicebound/", NULL));
    assert_false(hub_auth_may_publish("d1", "devices/d1/messages/events/a=%zz", NULL));
    assert_false(
        hub_auth_may_publish("d1", "$dps/registrations/PUT/iotdps-register/?$rid=1", NULL));
    assert_false(hub_auth_may_publish("d1", "anything/else", NULL));
}

static void test_hub_auth_may_subscribe_own_filters_only(void **state) {
    (void)state;
    assert_true(hub_auth_may_subscribe("d1", "devices/d1/messages/devicebound/#"));
    assert_true(hub_auth_may_subscribe("d1", "$iothub/twin/res/#"));
    assert_true(hub_auth_may_subscribe("d1", "$iothub/methods/POST/#"));
    assert_true(hub_auth_may_subscribe("d1", "$iothub/twin/PATCH/properties/desired/#"));

    assert_false(hub_auth_may_subscribe("d1", "#"));
    assert_false(hub_auth_may_subscribe("d1", "devices/#"));
    assert_false(hub_auth_may_subscribe("d1", "devices/d2/messages/devicebound/#"));
    assert_false(hub_auth_may_subscribe("d1", "devices/d1/messages/events/#"));
    assert_false(hub_auth_may_subscribe("d1", "$share/g/devices/d1/messages/devicebound/#"));
    assert_false(hub_auth_may_subscribe("d1", "$dps/registrations/res/#"));
    assert_false(hub_auth_may_subscribe("d1", "$SYS/#"));
}

static void test_hub_auth_is_service_client_exact_or_suffixed(void **state) {
    (void)state;
    assert_true(hub_auth_is_service_client("spheresim-service"));
    assert_true(hub_auth_is_service_client("spheresim-service-cli-2"));
    assert_false(hub_auth_is_service_client("spheresim-service-"));
    assert_false(hub_auth_is_service_client("spheresim-servicex"));
    assert_false(hub_auth_is_service_client("spheresim-service-a/b"));
    assert_false(
        hub_auth_is_service_client("spheresim-service-0123456789012345678901234567890123"));
    assert_false(hub_auth_is_service_client(NULL));
}

static void test_hub_auth_service_connect_needs_username_and_token(void **state) {
    (void)state;
    char reason[128];
    const char *token = "00ff";
    assert_int_equal(hub_auth_service_connect(token, "spheresim-service", "spheresim-service",
                                              "00ff", reason, sizeof reason),
                     HUB_OK);
    assert_int_equal(hub_auth_service_connect(token, "spheresim-service", "spheresim-service",
                                              "00fe", reason, sizeof reason),
                     HUB_ERR_AUTH);
    assert_int_equal(hub_auth_service_connect(token, "spheresim-service", "spheresim-service",
                                              "00ff0", reason, sizeof reason),
                     HUB_ERR_AUTH);
    assert_int_equal(
        hub_auth_service_connect(token, "spheresim-service", "dev", "00ff", reason, sizeof reason),
        HUB_ERR_AUTH);
    assert_int_equal(hub_auth_service_connect("", "spheresim-service", "spheresim-service", "",
                                              reason, sizeof reason),
                     HUB_ERR_AUTH);
    assert_int_equal(
        hub_auth_service_connect(token, "dev", "spheresim-service", "00ff", reason, sizeof reason),
        HUB_ERR_INVALID);
}

static void test_hub_auth_service_topics(void **state) {
    (void)state;
    char op[HUB_AUTH_MAX_SERVICE_OP + 1];
    char rid[SPHERESIM_SERVICE_MAX_RID + 1];
    assert_true(hub_auth_service_may_publish("$spheresim/service/req/c2d-send/a-1B", op, rid));
    assert_string_equal(op, "c2d-send");
    assert_string_equal(rid, "a-1B");
    assert_false(hub_auth_service_may_publish("$spheresim/service/req/twin-get/", op, rid));
    assert_false(hub_auth_service_may_publish("$spheresim/service/req/Twin/r", op, rid));
    assert_false(hub_auth_service_may_publish("$spheresim/service/req/twin-get/r/s", op, rid));
    assert_false(hub_auth_service_may_publish("$spheresim/service/res/r", op, rid));
    assert_false(hub_auth_service_may_publish("$spheresim/service/req/op/r+", op, rid));
    assert_true(hub_auth_service_may_subscribe("$spheresim/service/res/#"));
    assert_true(hub_auth_service_may_subscribe("$spheresim/service/res/+"));
    assert_false(hub_auth_service_may_subscribe("$spheresim/service/req/#"));
    assert_false(hub_auth_service_may_subscribe("#"));
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_auth_connect_x509_matching_cn_succeeds),
        T(test_hub_auth_connect_x509_other_cn_fails_auth),
        T(test_hub_auth_connect_x509_without_certificate_fails_auth),
        T(test_hub_auth_connect_username_other_device_fails_auth),
        T(test_hub_auth_connect_missing_or_malformed_username_fails),
        T(test_hub_auth_connect_module_username_fails_auth),
        T(test_hub_auth_connect_unknown_device_fails_no_match),
        T(test_hub_auth_connect_disabled_device_fails_auth),
        T(test_hub_auth_connect_sas_valid_token_succeeds),
        T(test_hub_auth_connect_sas_secondary_key_succeeds),
        T(test_hub_auth_connect_sas_expired_fails_expired),
        T(test_hub_auth_connect_sas_wrong_key_or_resource_fails_auth),
        T(test_hub_auth_connect_sas_missing_or_garbage_password_fails_auth),
        cmocka_unit_test(test_hub_auth_may_publish_own_topics_only),
        cmocka_unit_test(test_hub_auth_is_service_client_exact_or_suffixed),
        cmocka_unit_test(test_hub_auth_service_connect_needs_username_and_token),
        cmocka_unit_test(test_hub_auth_service_topics),
        cmocka_unit_test(test_hub_auth_may_subscribe_own_filters_only),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
