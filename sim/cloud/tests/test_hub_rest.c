// SPDX-License-Identifier: MIT
// Unit tests for the service REST mapping (hub_rest.h): each route becomes the right operation
// with the right request body, each plugin answer the right HTTP reply, and every bad input a
// 4xx in IoT Hub's error shape whose text names the offending field.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "cloud/hub_rest.h"

static struct hub_rest_route route_query(const char *method, const char *path, const char *body,
                                         const struct hub_rest_param *query, size_t query_count) {
    struct hub_rest_request req = {
        .method = method,
        .path = path,
        .query = query,
        .query_count = query_count,
        .body = body,
        .body_len = body != NULL ? strlen(body) : 0,
    };
    struct hub_rest_route route;
    assert_int_equal(hub_rest_route(&req, &route), HUB_OK);
    return route;
}

static struct hub_rest_route route(const char *method, const char *path, const char *body) {
    return route_query(method, path, body, NULL, 0);
}

// Asserts a CALL of op and returns its parsed request (caller deletes).
static cJSON *expect_call(struct hub_rest_route *r, const char *op) {
    if (r->action != HUB_REST_CALL) {
        fail_msg("expected a call of %s, got status %d: %s", op, r->status,
                 r->body != NULL ? r->body : "");
    }
    assert_string_equal(r->op, op);
    cJSON *request = cJSON_Parse(r->request_json);
    assert_non_null(request);
    return request;
}

// Asserts a refusal with status whose text contains needle.
static void expect_refusal(struct hub_rest_route *r, int status, const char *needle) {
    if (r->action != HUB_REST_RESPOND || r->status != status) {
        fail_msg("expected %d mentioning '%s', got action %d status %d op %s", status, needle,
                 r->action, r->status, r->op);
    }
    cJSON *body = cJSON_Parse(r->body);
    const cJSON *message = cJSON_GetObjectItemCaseSensitive(body, "Message");
    const cJSON *text = cJSON_GetObjectItemCaseSensitive(body, "ExceptionMessage");
    assert_true(cJSON_IsString(message) && cJSON_IsString(text));
    assert_memory_equal(message->valuestring, "ErrorCode:", 10);
    if (strstr(text->valuestring, needle) == NULL) {
        fail_msg("'%s' does not mention '%s'", text->valuestring, needle);
    }
    cJSON_Delete(body);
    hub_rest_route_free(r);
}

static void refused(const char *method, const char *path, const char *body, int status,
                    const char *needle) {
    struct hub_rest_route r = route(method, path, body);
    expect_refusal(&r, status, needle);
}

static double number(const cJSON *obj, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static const char *string(const cJSON *obj, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static void test_route_health_answers_without_the_broker(void **state) {
    struct hub_rest_route r = route("GET", "/spheresim/health", NULL);
    assert_int_equal(r.action, HUB_REST_RESPOND);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"ok\":true}");
    hub_rest_route_free(&r);
}

static void test_route_unknown_path_404(void **state) {
    const char *paths[] = {"/",
                           "",
                           "twins/dev1",
                           "/nope",
                           "/twins",
                           "/twins/",
                           "/twins/dev1/",
                           "/twins//methods",
                           "/twins/dev1/methods/x",
                           "/twins/dev1/extra",
                           "/devices/dev1/x",
                           "/spheresim",
                           "/spheresim/devices/dev1",
                           "/spheresim/devices/dev1/other",
                           "/a/b/c/d/e/f/g"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        refused("GET", paths[i], NULL, 404, "no such resource");
    }
    refused("POST", "/spheresim/faults/boom", "{}", 404, "no such fault");
}

static void test_route_wrong_method_405_lists_allowed(void **state) {
    struct {
        const char *method;
        const char *path;
        const char *allow;
    } cases[] = {
        {"DELETE", "/twins/dev1", "GET, PATCH"},
        {"PUT", "/twins/dev1", "GET, PATCH"},
        {"GET", "/twins/dev1/methods", "POST"},
        {"POST", "/devices", "GET"},
        {"PATCH", "/devices/dev1", "GET, PUT, DELETE"},
        {"POST", "/spheresim/health", "GET"},
        {"GET", "/spheresim/devices/dev1/messages", "POST"},
        {"GET", "/spheresim/faults/kick", "POST"},
        {"", "/twins/dev1", "GET, PATCH"},
        {"GE", "/twins/dev1", "GET, PATCH"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct hub_rest_route r = route(cases[i].method, cases[i].path, NULL);
        assert_non_null(r.allow);
        assert_string_equal(r.allow, cases[i].allow);
        expect_refusal(&r, 405, "not allowed");
    }
}

static void test_route_invalid_device_id_400(void **state) {
    char long_path[300] = "/twins/";
    memset(long_path + 7, 'a', 129);
    refused("GET", long_path, NULL, 400, "deviceId");
    refused("GET", "/twins/bad id", NULL, 400, "deviceId");
    refused("GET", "/twins/a+b", NULL, 400, "deviceId");
    refused("GET", "/devices/a#b", NULL, 400, "deviceId");
    refused("POST", "/twins/\x01/methods", "{\"methodName\":\"m\"}", 400, "deviceId");
    refused("POST", "/spheresim/devices/a&b/messages", "{\"body\":\"x\"}", 400, "deviceId");
    long_path[7 + 128] = '\0'; /* exactly 128 is fine */
    struct hub_rest_route r = route("GET", long_path, NULL);
    cJSON_Delete(expect_call(&r, "twin-get"));
    hub_rest_route_free(&r);
}

static void test_route_bad_json_400_names_the_problem(void **state) {
    const char *bodies[] = {"{", "{\"a\":}", "{} x", "nope", "{\"a\":1,}"};
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        refused("PATCH", "/twins/dev1", bodies[i], 400, "not valid JSON");
    }
    refused("PATCH", "/twins/dev1", "[1,2]", 400, "must be a JSON object");
    refused("PATCH", "/twins/dev1", "\"text\"", 400, "must be a JSON object");
    refused("PATCH", "/twins/dev1", NULL, 400, "empty");
    refused("POST", "/twins/dev1/methods", "", 400, "empty");

    struct hub_rest_request req = {
        .method = "PATCH", .path = "/twins/dev1", .body = "{}\0", .body_len = 3};
    struct hub_rest_route r;
    assert_int_equal(hub_rest_route(&req, &r), HUB_OK);
    expect_refusal(&r, 400, "NUL");

    char deep[3000];
    memset(deep, '[', sizeof(deep));
    memcpy(deep, "{\"tags\":", 8);
    deep[sizeof(deep) - 1] = '\0';
    refused("PATCH", "/twins/dev1", deep, 400, "not valid JSON");
}

static void test_route_oversize_body_413(void **state) {
    char *big = malloc(HUB_REST_MAX_BODY + 2);
    assert_non_null(big);
    memset(big, ' ', HUB_REST_MAX_BODY + 1);
    big[0] = '{';
    big[HUB_REST_MAX_BODY] = '}';
    big[HUB_REST_MAX_BODY + 1] = '\0';
    refused("PATCH", "/twins/dev1", big, 413, "larger than 262144");
    big[HUB_REST_MAX_BODY - 1] = '}'; /* exactly the limit is accepted as far as size goes */
    big[HUB_REST_MAX_BODY] = '\0';
    refused("PATCH", "/twins/dev1", big, 400, "neither tags nor properties.desired");
    free(big);
}

static void test_route_twin_get_and_patch(void **state) {
    struct hub_rest_param api_version = {"api-version", "2021-04-12"};
    struct hub_rest_route r = route_query("GET", "/twins/dev-1.x", NULL, &api_version, 1);
    cJSON *request = expect_call(&r, "twin-get");
    assert_int_equal(r.endpoint, HUB_REST_EP_TWIN_GET);
    assert_string_equal(string(request, "deviceId"), "dev-1.x");
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("PATCH", "/twins/dev1",
              "{\"deviceId\":\"dev1\",\"etag\":\"*\",\"tags\":{\"room\":\"a\"},"
              "\"properties\":{\"desired\":{\"led\":true,\"gone\":null}}}");
    request = expect_call(&r, "twin-patch");
    const cJSON *patch = cJSON_GetObjectItemCaseSensitive(request, "patch");
    const cJSON *desired =
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(patch, "properties"), "desired");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItem(desired, "led")));
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(desired, "gone")));
    assert_string_equal(string(cJSON_GetObjectItem(patch, "tags"), "room"), "a");
    assert_null(cJSON_GetObjectItem(patch, "etag"));
    cJSON_Delete(request);
    hub_rest_route_free(&r);
}

static void test_route_twin_patch_bad_fields_400(void **state) {
    refused("PATCH", "/twins/d", "{\"properties\":{\"reported\":{\"a\":1}}}", 400,
            "properties.reported");
    refused("PATCH", "/twins/d", "{\"properties\":{\"desired\":[1]}}", 400, "properties.desired");
    refused("PATCH", "/twins/d", "{\"properties\":3}", 400, "properties must be");
    refused("PATCH", "/twins/d", "{\"tags\":\"x\"}", 400, "tags must be");
    refused("PATCH", "/twins/d", "{\"properties\":{}}", 400, "neither tags");
}

static void test_route_method_defaults_and_timeout(void **state) {
    struct hub_rest_route r =
        route("POST", "/twins/dev1/methods", "{\"methodName\":\"reboot\",\"payload\":{\"x\":[1]}}");
    cJSON *request = expect_call(&r, "method-invoke");
    assert_int_equal(r.endpoint, HUB_REST_EP_METHOD_INVOKE);
    assert_string_equal(string(request, "methodName"), "reboot");
    assert_int_equal(number(request, "responseTimeoutInSeconds"), 30);
    assert_int_equal(number(request, "connectTimeoutInSeconds"), 0);
    assert_non_null(cJSON_GetObjectItem(request, "payload"));
    assert_int_equal(r.timeout_ms, 40000);
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("POST", "/twins/dev1/methods",
              "{\"methodName\":\"m\",\"responseTimeoutInSeconds\":300,"
              "\"connectTimeoutInSeconds\":300,\"payload\":null}");
    request = expect_call(&r, "method-invoke");
    assert_int_equal(r.timeout_ms, 610000);
    assert_null(cJSON_GetObjectItem(request, "payload"));
    cJSON_Delete(request);
    hub_rest_route_free(&r);
}

static void test_route_method_bad_fields(void **state) {
    const char *path = "/twins/dev1/methods";
    refused("POST", path, "{}", 400, "methodName is required");
    refused("POST", path, "{\"methodName\":5}", 400, "methodName must be");
    refused("POST", path, "{\"methodName\":\"\"}", 400, "methodName must be");
    refused("POST", path, "{\"methodName\":\"a/b\"}", 400, "methodName must be");
    refused("POST", path, "{\"methodName\":\"a b\"}", 400, "methodName must be");
    const char *timeouts[] = {"4", "301", "5.5", "\"10\"", "-1", "1e9", "true"};
    char body[128];
    for (size_t i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
        snprintf(body, sizeof(body), "{\"methodName\":\"m\",\"responseTimeoutInSeconds\":%s}",
                 timeouts[i]);
        refused("POST", path, body, 400, "responseTimeoutInSeconds must be an integer from 5");
    }
    refused("POST", path, "{\"methodName\":\"m\",\"connectTimeoutInSeconds\":-1}", 400,
            "connectTimeoutInSeconds");
    refused("POST", path, "{\"methodName\":\"m\",\"connectTimeoutInSeconds\":301}", 400,
            "connectTimeoutInSeconds");

    size_t size = HUB_REST_MAX_METHOD_PAYLOAD + 64;
    char *big = malloc(size);
    assert_non_null(big);
    int n = snprintf(big, size, "{\"methodName\":\"m\",\"payload\":\"");
    memset(big + n, 'x', HUB_REST_MAX_METHOD_PAYLOAD);
    snprintf(big + n + HUB_REST_MAX_METHOD_PAYLOAD, size - (size_t)n - HUB_REST_MAX_METHOD_PAYLOAD,
             "\"}");
    refused("POST", path, big, 413, "payload is larger");
    free(big);
}

static void test_route_devices(void **state) {
    struct hub_rest_route r = route("GET", "/devices", NULL);
    cJSON_Delete(expect_call(&r, "device-list"));
    hub_rest_route_free(&r);
    r = route("GET", "/devices/dev1", NULL);
    cJSON_Delete(expect_call(&r, "device-get"));
    hub_rest_route_free(&r);
    r = route("DELETE", "/devices/dev1", NULL);
    cJSON_Delete(expect_call(&r, "device-remove"));
    hub_rest_route_free(&r);

    r = route("PUT", "/devices/dev1",
              "{\"deviceId\":\"dev1\",\"authentication\":{\"type\":\"sas\",\"symmetricKey\":"
              "{\"primaryKey\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}}}");
    cJSON *request = expect_call(&r, "device-add");
    assert_string_equal(string(request, "authentication"), "sas");
    assert_string_equal(string(request, "primaryKey"),
                        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
    assert_false(hub_rest_wants_update(&r, 409)); /* no status: an existing device is a 409 */
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("PUT", "/devices/dev1", "{\"authentication\":{\"type\":\"selfSigned\"}}");
    request = expect_call(&r, "device-add");
    assert_string_equal(string(request, "authentication"), "x509");
    cJSON_Delete(request);
    hub_rest_route_free(&r);
}

static void test_route_device_status_change(void **state) {
    struct hub_rest_route r = route("PUT", "/devices/dev1", "{\"status\":\"disabled\"}");
    cJSON_Delete(expect_call(&r, "device-add"));
    assert_true(hub_rest_wants_update(&r, 409));
    assert_true(hub_rest_wants_update(&r, 200)); /* created: now disable it */
    assert_false(hub_rest_wants_update(&r, 400));
    cJSON *update = cJSON_Parse(r.update_json);
    assert_string_equal(string(update, "status"), "disabled");
    cJSON_Delete(update);
    hub_rest_route_free(&r);

    r = route("PUT", "/devices/dev1", "{\"status\":\"enabled\"}");
    assert_true(hub_rest_wants_update(&r, 409));
    assert_false(hub_rest_wants_update(&r, 200));
    hub_rest_route_free(&r);

    struct hub_rest_request req = {.method = "PUT",
                                   .path = "/devices/dev1",
                                   .if_match = "*",
                                   .body = "{\"status\":\"enabled\"}",
                                   .body_len = 20};
    assert_int_equal(hub_rest_route(&req, &r), HUB_OK);
    cJSON *request = expect_call(&r, "device-update");
    assert_string_equal(string(request, "status"), "enabled");
    assert_false(hub_rest_wants_update(&r, 409));
    cJSON_Delete(request);
    hub_rest_route_free(&r);
}

static void test_route_device_bad_fields(void **state) {
    refused("PUT", "/devices/dev1", "{\"deviceId\":\"other\"}", 400, "deviceId in the body");
    refused("PUT", "/devices/dev1", "{\"deviceId\":7}", 400, "deviceId in the body");
    refused("PUT", "/devices/dev1", "{\"status\":\"off\"}", 400, "status must be one of");
    refused("PUT", "/devices/dev1", "{\"authentication\":[]}", 400, "authentication must be");
    refused("PUT", "/devices/dev1", "{\"authentication\":{\"type\":\"tpm\"}}", 400,
            "authentication.type");
    refused("PUT", "/devices/dev1", "{\"authentication\":{\"symmetricKey\":\"k\"}}", 400,
            "authentication.symmetricKey");
    const char *keys[] = {"\"short\"", "\"AAAA\"", "\"!!!!AAAAAAAAAAAAAAAAAAAA\"", "12",
                          "\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\""};
    char body[256];
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(body, sizeof(body), "{\"authentication\":{\"symmetricKey\":{\"primaryKey\":%s}}}",
                 keys[i]);
        refused("PUT", "/devices/dev1", body, 400, "primaryKey");
    }
}

static void test_route_c2d(void **state) {
    struct hub_rest_route r = route("POST", "/spheresim/devices/dev1/messages",
                                    "{\"body\":\"hi\",\"properties\":{\"k\":\"v\"},"
                                    "\"messageId\":\"m1\",\"correlationId\":\"c1\","
                                    "\"ttlSeconds\":60,\"ack\":\"full\"}");
    cJSON *request = expect_call(&r, "c2d-send");
    assert_string_equal(string(request, "deviceId"), "dev1");
    assert_string_equal(string(request, "body"), "hi");
    assert_string_equal(string(cJSON_GetObjectItem(request, "properties"), "k"), "v");
    assert_string_equal(string(request, "messageId"), "m1");
    assert_string_equal(string(request, "correlationId"), "c1");
    assert_int_equal(number(request, "ttlSeconds"), 60);
    assert_string_equal(string(request, "ack"), "full");
    cJSON_Delete(request);
    hub_rest_route_free(&r);
}

static void test_route_c2d_bad_fields(void **state) {
    const char *path = "/spheresim/devices/dev1/messages";
    refused("POST", path, "{}", 400, "body is required");
    refused("POST", path, "{\"body\":{}}", 400, "body must be a string");
    refused("POST", path, "{\"body\":\"x\",\"properties\":[]}", 400, "properties must be");
    refused("POST", path, "{\"body\":\"x\",\"properties\":{\"k\":1}}", 400, "properties.k");
    refused("POST", path, "{\"body\":\"x\",\"properties\":{\"$.mid\":\"1\"}}", 400,
            "properties keys");
    refused("POST", path, "{\"body\":\"x\",\"ttlSeconds\":59}", 400, "ttlSeconds");
    refused("POST", path, "{\"body\":\"x\",\"ttlSeconds\":172801}", 400, "ttlSeconds");
    refused("POST", path, "{\"body\":\"x\",\"ack\":\"maybe\"}", 400, "ack must be one of");
    refused("POST", path, "{\"body\":\"x\",\"messageId\":\"\"}", 400, "messageId");
    refused("POST", path, "{\"body\":\"x\",\"correlationId\":3}", 400, "correlationId");

    size_t size = HUB_REST_MAX_C2D_BODY + 32;
    char *big = malloc(size);
    assert_non_null(big);
    memcpy(big, "{\"body\":\"", 9);
    memset(big + 9, 'x', HUB_REST_MAX_C2D_BODY + 1);
    memcpy(big + 9 + HUB_REST_MAX_C2D_BODY + 1, "\"}", 3);
    refused("POST", path, big, 413, "body is larger");
    free(big);
}

static void test_route_telemetry_query(void **state) {
    struct hub_rest_param query[] = {
        {"api-version", "2020-03-13"}, {"deviceId", "dev1"}, {"after", "42"}, {"limit", "1000"}};
    struct hub_rest_route r = route_query("GET", "/spheresim/telemetry", NULL, query, 4);
    cJSON *request = expect_call(&r, "telemetry-read");
    assert_string_equal(string(request, "deviceId"), "dev1");
    assert_int_equal(number(request, "after"), 42);
    assert_int_equal(number(request, "limit"), 1000);
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("GET", "/spheresim/telemetry", NULL);
    request = expect_call(&r, "telemetry-read");
    assert_null(cJSON_GetObjectItem(request, "deviceId"));
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    const struct {
        const char *key;
        const char *value;
    } bad[] = {{"after", "-1"}, {"after", "1e3"},  {"after", ""},    {"after", "99999999999999999"},
               {"limit", "0"},  {"limit", "1001"}, {"limit", "abc"}, {"deviceId", "a b"},
               {"deviceId", ""}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct hub_rest_param param = {bad[i].key, bad[i].value};
        r = route_query("GET", "/spheresim/telemetry", NULL, &param, 1);
        expect_refusal(&r, 400, bad[i].key);
    }
}

static void test_route_connection_and_faults(void **state) {
    struct hub_rest_route r = route("GET", "/spheresim/devices/dev1/connection", NULL);
    cJSON_Delete(expect_call(&r, "connection-state"));
    hub_rest_route_free(&r);

    r = route("POST", "/spheresim/faults/kick", "{\"deviceId\":\"dev1\"}");
    cJSON_Delete(expect_call(&r, "fault-kick"));
    hub_rest_route_free(&r);

    r = route("POST", "/spheresim/faults/method", "{\"mode\":\"delay\",\"delayMs\":1500}");
    cJSON *request = expect_call(&r, "fault-method");
    assert_string_equal(string(request, "mode"), "delay");
    assert_int_equal(number(request, "delayMs"), 1500);
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("POST", "/spheresim/faults/throttle", NULL);
    request = expect_call(&r, "fault-throttle");
    assert_int_equal(cJSON_GetArraySize(request), 0);
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    r = route("POST", "/spheresim/faults/throttle", "{\"deviceId\":\"d\",\"twinPerSecond\":2}");
    request = expect_call(&r, "fault-throttle");
    assert_int_equal(number(request, "twinPerSecond"), 2);
    cJSON_Delete(request);
    hub_rest_route_free(&r);

    refused("POST", "/spheresim/faults/kick", "{}", 400, "deviceId is required");
    refused("POST", "/spheresim/faults/kick", "{\"deviceId\":\"a/b\"}", 400, "deviceId");
    refused("POST", "/spheresim/faults/twin", "{}", 400, "mode is required");
    refused("POST", "/spheresim/faults/twin", "{\"mode\":\"slow\"}", 400, "mode must be one of");
    refused("POST", "/spheresim/faults/twin", "{\"mode\":\"delay\",\"delayMs\":-5}", 400,
            "delayMs");
    refused("POST", "/spheresim/faults/throttle", "{\"telemetryPerSecond\":1.5}", 400,
            "telemetryPerSecond");
    refused("POST", "/spheresim/faults/throttle", "[]", 400, "JSON object");
}

static void test_route_server_ca_fault(void **state) {
    struct hub_rest_route r =
        route("POST", "/spheresim/faults/server-ca", "{\"ca\":\"untrusted\"}");
    assert_int_equal(r.action, HUB_REST_SERVER_CA);
    assert_int_equal(r.endpoint, HUB_REST_EP_SERVER_CA);
    assert_true(r.untrusted_ca);
    hub_rest_route_free(&r);
    r = route("POST", "/spheresim/faults/server-ca", "{\"ca\":\"trusted\"}");
    assert_int_equal(r.action, HUB_REST_SERVER_CA);
    assert_false(r.untrusted_ca);
    hub_rest_route_free(&r);

    refused("POST", "/spheresim/faults/server-ca", "{}", 400, "ca is required");
    refused("POST", "/spheresim/faults/server-ca", NULL, 400, "ca is required");
    refused("POST", "/spheresim/faults/server-ca", "{\"ca\":\"evil\"}", 400,
            "ca must be one of \"untrusted\", \"trusted\"");
    refused("POST", "/spheresim/faults/server-ca", "{\"ca\":true}", 400, "ca must be one of");
    refused("POST", "/spheresim/faults/server-ca", "{\"ca\":\"untrusted\",\"deviceId\":\"d\"}", 400,
            "deviceId does not apply");
    refused("GET", "/spheresim/faults/server-ca", NULL, 405, "POST");
}

static void expect_reply(enum hub_rest_endpoint endpoint, int status, const char *body,
                         int want_status, const char *want_in_body) {
    struct hub_rest_response reply;
    assert_int_equal(hub_rest_reply(endpoint, status, body, &reply), HUB_OK);
    assert_int_equal(reply.status, want_status);
    if (want_in_body == NULL) {
        assert_null(reply.body);
    } else if (strstr(reply.body, want_in_body) == NULL) {
        fail_msg("'%s' does not contain '%s'", reply.body, want_in_body);
    }
    hub_rest_response_free(&reply);
}

static void test_reply_mapping(void **state) {
    expect_reply(HUB_REST_EP_METHOD_INVOKE, 200, "{\"status\":500,\"payload\":{\"e\":1}}", 200,
                 "\"status\":500");
    expect_reply(HUB_REST_EP_TWIN_GET, 200, NULL, 200, "{}");
    expect_reply(HUB_REST_EP_DEVICE_DELETE, 204, "null", 204, NULL);
    expect_reply(HUB_REST_EP_METHOD_INVOKE, 404, "{\"message\":\"device dev1 is offline\"}", 404,
                 "ErrorCode:DeviceNotOnline;device dev1 is offline");
    expect_reply(HUB_REST_EP_DEVICE_GET, 404, "{\"message\":\"no device\"}", 404,
                 "ErrorCode:DeviceNotFound;");
    expect_reply(HUB_REST_EP_METHOD_INVOKE, 504, "{\"message\":\"timed out\"}", 504,
                 "GatewayTimeout");
    expect_reply(HUB_REST_EP_C2D_SEND, 429, "{\"message\":\"queue full\"}", 429,
                 "DeviceMaximumQueueDepthExceeded");
    expect_reply(HUB_REST_EP_DEVICE_PUT, 409, "not json", 409, "status 409");
    expect_reply(HUB_REST_EP_TWIN_PATCH, 400, "{\"message\":\"key $x\"}", 400, "key $x");
    expect_reply(HUB_REST_EP_TWIN_GET, 42, "{}", 502, "invalid status");
    expect_reply(HUB_REST_EP_TWIN_GET, 1000, "{}", 502, "invalid status");
}

static void test_null_arguments_are_refused(void **state) {
    struct hub_rest_route r;
    struct hub_rest_request req = {.method = NULL, .path = "/devices"};
    assert_int_equal(hub_rest_route(NULL, &r), HUB_ERR_INVALID);
    assert_int_equal(hub_rest_route(&req, &r), HUB_ERR_INVALID);
    req.method = "GET";
    assert_int_equal(hub_rest_route(&req, NULL), HUB_ERR_INVALID);
    req.path = NULL;
    assert_int_equal(hub_rest_route(&req, &r), HUB_OK);
    expect_refusal(&r, 404, "no such resource");
    assert_int_equal(hub_rest_reply(HUB_REST_EP_TWIN_GET, 200, "{}", NULL), HUB_ERR_INVALID);
    struct hub_rest_response reply;
    assert_int_equal(hub_rest_error(400, NULL, NULL, &reply), HUB_ERR_INVALID);
    assert_false(hub_rest_wants_update(NULL, 409));
    hub_rest_route_free(NULL);
    hub_rest_response_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_health_answers_without_the_broker),
        cmocka_unit_test(test_route_unknown_path_404),
        cmocka_unit_test(test_route_wrong_method_405_lists_allowed),
        cmocka_unit_test(test_route_invalid_device_id_400),
        cmocka_unit_test(test_route_bad_json_400_names_the_problem),
        cmocka_unit_test(test_route_oversize_body_413),
        cmocka_unit_test(test_route_twin_get_and_patch),
        cmocka_unit_test(test_route_twin_patch_bad_fields_400),
        cmocka_unit_test(test_route_method_defaults_and_timeout),
        cmocka_unit_test(test_route_method_bad_fields),
        cmocka_unit_test(test_route_devices),
        cmocka_unit_test(test_route_device_status_change),
        cmocka_unit_test(test_route_device_bad_fields),
        cmocka_unit_test(test_route_c2d),
        cmocka_unit_test(test_route_server_ca_fault),
        cmocka_unit_test(test_route_c2d_bad_fields),
        cmocka_unit_test(test_route_telemetry_query),
        cmocka_unit_test(test_route_connection_and_faults),
        cmocka_unit_test(test_reply_mapping),
        cmocka_unit_test(test_null_arguments_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
