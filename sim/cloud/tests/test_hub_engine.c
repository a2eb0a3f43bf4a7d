// SPDX-License-Identifier: MIT
// Unit tests for the hub engine with a fake broker: the io records every message the engine
// sends, "kicks" by calling the engine's disconnect back (as mosquitto does), and the clock is a
// variable, so method timeouts, delays and C2D expiry run without waiting. Each test has its own
// state directory with a real SQLite store and service token.

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

#include "cloud/hub_engine.h"
#include "cloud/hub_store.h"

#define TOKEN "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SERVICE "spheresim-service-unit"
#define MAX_SENT 256

struct sent {
    char client[160];
    char topic[1024];
    char *payload;
    int qos;
};

struct fixture {
    char dir[64];
    struct hub_engine *engine;
    long long now;
    struct sent sent[MAX_SENT];
    size_t count;
    int kicks;
    int dev_handle;  // the fake broker's client handles are addresses of these
    int svc_handle;
};

static int fake_publish(void *ctx, const char *client_id, const char *topic, const void *payload,
                        size_t len, int qos) {
    struct fixture *f = ctx;
    if (f->count == MAX_SENT) {
        return -1;
    }
    struct sent *s = &f->sent[f->count++];
    snprintf(s->client, sizeof s->client, "%s", client_id);
    snprintf(s->topic, sizeof s->topic, "%s", topic);
    s->payload = strndup(payload != NULL ? payload : "", len);
    s->qos = qos;
    return 0;
}

static void fake_kick(void *ctx, const char *client_id) {
    struct fixture *f = ctx;
    f->kicks++;
    hub_engine_disconnect(f->engine, &f->dev_handle, client_id);
}

static long long fake_now(void *ctx) {
    return ((struct fixture *)ctx)->now;
}

static int open_fixture(void **state, bool c2d_acks) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-engine-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL) {
        return -1;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/service.token", f->dir);
    FILE *token = fopen(path, "w");
    if (token == NULL) {
        return -1;
    }
    fputs(TOKEN "\n", token);
    fclose(token);
    f->now = 1800000000000LL;
    struct hub_engine_options options = {
        .state_dir = f->dir,
        .hub_hostname = "spheresim.azure-devices.net",
        .io = {.ctx = f, .publish = fake_publish, .kick = fake_kick, .now_ms = fake_now},
        .c2d_acks = c2d_acks,
    };
    char err[256];
    if (hub_engine_open(&options, &f->engine, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int setup(void **state) {
    return open_fixture(state, false);
}

// The plugin with the broker's TLS shim: C2D messages complete on their PUBACK.
static int setup_acks(void **state) {
    return open_fixture(state, true);
}

static void clear_sent(struct fixture *f) {
    for (size_t i = 0; i < f->count; i++) {
        free(f->sent[i].payload);
    }
    f->count = 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    clear_sent(f);
    hub_engine_close(f->engine);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

// ---- helpers: a service client and one X.509 device "dev" ----

static void connect_service(struct fixture *f) {
    struct hub_connect_info info = {.client = &f->svc_handle,
                                    .client_id = SERVICE,
                                    .username = "spheresim-service",
                                    .password = TOKEN,
                                    .clean_session = true};
    assert_true(hub_engine_connect(f->engine, &info));
}

// One ACL check from the given connection (no payload).
static enum hub_verdict acl_check(struct fixture *f, const void *client, const char *id,
                                  enum hub_access access, const char *topic) {
    struct hub_acl_request request = {
        .client = client, .client_id = id, .access = access, .topic = topic};
    return hub_engine_acl(f->engine, &request);
}

// Sends op and returns the answer ({"status","body"}), or NULL when none came. Caller frees.
static cJSON *call(struct fixture *f, const char *op, const char *request) {
    char topic[128];
    snprintf(topic, sizeof topic, "$spheresim/service/req/%s/rid-1", op);
    size_t before = f->count;
    assert_int_equal(acl_check(f, &f->svc_handle, SERVICE, HUB_ACCESS_WRITE, topic),
                     HUB_VERDICT_ALLOW);
    assert_int_equal(hub_engine_message(f->engine, SERVICE, topic, request, strlen(request), false),
                     HUB_VERDICT_CONSUMED);
    for (size_t i = before; i < f->count; i++) {
        if (strcmp(f->sent[i].client, SERVICE) == 0 &&
            strcmp(f->sent[i].topic, "$spheresim/service/res/rid-1") == 0) {
            return cJSON_Parse(f->sent[i].payload);
        }
    }
    return NULL;
}

static int status_of(const cJSON *answer) {
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(answer, "status");
    return cJSON_IsNumber(status) ? status->valueint : -1;
}

// The answer's status, freeing it.
static int call_status(struct fixture *f, const char *op, const char *request) {
    cJSON *answer = call(f, op, request);
    int status = status_of(answer);
    cJSON_Delete(answer);
    return status;
}

static void add_device(struct fixture *f) {
    connect_service(f);
    assert_int_equal(
        call_status(f, "device-add", "{\"deviceId\":\"dev\",\"authentication\":\"x509\"}"), 200);
}

static void connect_device(struct fixture *f, bool clean) {
    struct hub_connect_info info = {
        .client = &f->dev_handle,
        .client_id = "dev",
        .username = "spheresim.azure-devices.net/dev/?api-version=2021-04-12",
        .cert_cn = "dev",
        .clean_session = clean,
    };
    assert_true(hub_engine_connect(f->engine, &info));
}

static void subscribe(struct fixture *f, const char *filter) {
    assert_int_equal(acl_check(f, &f->dev_handle, "dev", HUB_ACCESS_SUBSCRIBE, filter),
                     HUB_VERDICT_ALLOW);
}

static enum hub_verdict device_publish(struct fixture *f, const char *topic, const char *payload) {
    assert_int_equal(acl_check(f, &f->dev_handle, "dev", HUB_ACCESS_WRITE, topic),
                     HUB_VERDICT_ALLOW);
    return hub_engine_message(f->engine, "dev", topic, payload, strlen(payload), false);
}

// The last message sent to client, or NULL.
static const struct sent *last_to(const struct fixture *f, const char *client) {
    for (size_t i = f->count; i > 0; i--) {
        if (strcmp(f->sent[i - 1].client, client) == 0) {
            return &f->sent[i - 1];
        }
    }
    return NULL;
}

// ---- tests ----

static void test_hub_engine_service_client_needs_token_and_own_topics(void **state) {
    struct fixture *f = *state;
    struct hub_connect_info info = {.client = &f->svc_handle,
                                    .client_id = SERVICE,
                                    .username = "spheresim-service",
                                    .password = "wrong"};
    assert_false(hub_engine_connect(f->engine, &info));
    info.password = TOKEN;
    info.username = "someone";
    assert_false(hub_engine_connect(f->engine, &info));
    info.username = "spheresim-service";
    assert_true(hub_engine_connect(f->engine, &info));
    const void *svc = &f->svc_handle;
    assert_int_equal(acl_check(f, svc, SERVICE, HUB_ACCESS_SUBSCRIBE, "$spheresim/service/res/#"),
                     HUB_VERDICT_ALLOW);
    assert_int_equal(acl_check(f, svc, SERVICE, HUB_ACCESS_SUBSCRIBE, "#"), HUB_VERDICT_CLOSE);
    assert_int_equal(acl_check(f, svc, SERVICE, HUB_ACCESS_WRITE, "devices/dev/messages/events/"),
                     HUB_VERDICT_CLOSE);
    assert_int_equal(
        acl_check(f, svc, SERVICE, HUB_ACCESS_WRITE, "$spheresim/service/req/twin-get/bad/rid"),
        HUB_VERDICT_CLOSE);
    // A device may never publish to the service prefix.
    add_device(f);
    connect_device(f, true);
    assert_int_equal(
        acl_check(f, &f->dev_handle, "dev", HUB_ACCESS_WRITE, "$spheresim/service/req/twin-get/x"),
        HUB_VERDICT_CLOSE);
}

static void test_hub_engine_twin_get_and_reported_patch(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    subscribe(f, "$iothub/twin/res/#");
    assert_int_equal(device_publish(f, "$iothub/twin/GET/?$rid=1", ""), HUB_VERDICT_CONSUMED);
    const struct sent *s = last_to(f, "dev");
    assert_non_null(s);
    assert_string_equal(s->topic, "$iothub/twin/res/200/?$rid=1");
    assert_string_equal(s->payload, "{\"desired\":{\"$version\":1},\"reported\":{\"$version\":1}}");
    assert_int_equal(s->qos, 0);
    assert_int_equal(
        device_publish(f, "$iothub/twin/PATCH/properties/reported/?$rid=2", "{\"t\":1}"),
        HUB_VERDICT_CONSUMED);
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/204/?$rid=2&$version=2");
    assert_int_equal(device_publish(f, "$iothub/twin/PATCH/properties/reported/?$rid=3", "[1"),
                     HUB_VERDICT_CONSUMED);
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/400/?$rid=3");
}

static void test_hub_engine_desired_patch_pushed_only_when_subscribed(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    size_t before = f->count;
    const char *patch = "{\"deviceId\":\"dev\",\"patch\":{\"properties\":{\"desired\":{\"a\":1}}}}";
    assert_int_equal(call_status(f, "twin-patch", patch), 200);
    assert_null(last_to(f, "dev"));
    subscribe(f, "$iothub/twin/PATCH/properties/desired/#");
    assert_int_equal(call_status(f, "twin-patch", patch), 200);
    const struct sent *s = last_to(f, "dev");
    assert_non_null(s);
    assert_true(f->count > before);
    assert_string_equal(s->topic, "$iothub/twin/PATCH/properties/desired/?$version=3");
    assert_string_equal(s->payload, "{\"a\":1,\"$version\":3}");
}

static void test_hub_engine_method_answered_then_timed_out(void **state) {
    struct fixture *f = *state;
    add_device(f);
    const char *invoke =
        "{\"deviceId\":\"dev\",\"methodName\":\"go\",\"payload\":{\"x\":1},"
        "\"responseTimeoutInSeconds\":5}";
    assert_int_equal(call_status(f, "method-invoke", invoke), 404);
    connect_device(f, true);
    subscribe(f, "$iothub/methods/POST/#");
    assert_null(call(f, "method-invoke", invoke));  // deferred until the device answers
    const struct sent *request = last_to(f, "dev");
    assert_non_null(request);
    assert_string_equal(request->topic, "$iothub/methods/POST/go/?$rid=1");
    assert_string_equal(request->payload, "{\"x\":1}");
    assert_int_equal(device_publish(f, "$iothub/methods/res/202/?$rid=1", "{\"ok\":true}"),
                     HUB_VERDICT_CONSUMED);
    const struct sent *answer = last_to(f, SERVICE);
    assert_string_equal(answer->payload,
                        "{\"status\":200,\"body\":{\"status\":202,\"payload\":{\"ok\":true}}}");
    // Unanswered: 504 once the clock passes the deadline.
    assert_null(call(f, "method-invoke", invoke));
    size_t before = f->count;
    f->now += 4999;
    hub_engine_tick(f->engine);
    assert_int_equal(f->count, before);
    f->now += 1;
    hub_engine_tick(f->engine);
    answer = last_to(f, SERVICE);
    assert_non_null(strstr(answer->payload, "\"status\":504"));
    // A late answer matches nothing and is just consumed.
    assert_int_equal(device_publish(f, "$iothub/methods/res/200/?$rid=2", "{}"),
                     HUB_VERDICT_CONSUMED);
}

static void test_hub_engine_c2d_queued_then_delivered_on_subscribe(void **state) {
    struct fixture *f = *state;
    add_device(f);
    cJSON *answer = call(f, "c2d-send",
                         "{\"deviceId\":\"dev\",\"body\":\"hi\",\"messageId\":\"m\","
                         "\"properties\":{\"k\":\"v w\"}}");
    assert_int_equal(status_of(answer), 200);
    cJSON_Delete(answer);
    connect_device(f, true);
    hub_engine_tick(f->engine);
    assert_null(last_to(f, "dev"));  // not subscribed yet
    subscribe(f, "devices/dev/messages/devicebound/#");
    hub_engine_tick(f->engine);
    const struct sent *s = last_to(f, "dev");
    assert_non_null(s);
    assert_int_equal(s->qos, 1);
    assert_string_equal(s->payload, "hi");
    assert_non_null(strstr(s->topic, "devices/dev/messages/devicebound/%24.mid=m&"));
    assert_non_null(strstr(s->topic, "&iothub-ack=none&k=v%20w"));
    size_t before = f->count;
    hub_engine_tick(f->engine);
    assert_int_equal(f->count, before);  // delivered once
}

static int queued_count(struct fixture *f) {
    cJSON *record = call(f, "device-get", "{\"deviceId\":\"dev\"}");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(record, "body");
    int count = cJSON_GetObjectItemCaseSensitive(body, "cloudToDeviceMessageCount")->valueint;
    cJSON_Delete(record);
    return count;
}

// Sends one C2D message to dev (connected and subscribed) and returns the topic it went out on.
static void send_c2d(struct fixture *f, const char *message_id, char *out_topic, size_t size) {
    char request[128];
    snprintf(request, sizeof request, "{\"deviceId\":\"dev\",\"body\":\"b\",\"messageId\":\"%s\"}",
             message_id);
    cJSON *answer = call(f, "c2d-send", request);
    assert_int_equal(status_of(answer), 200);
    // "queued" counts what still waits to be sent: this one went out.
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(answer, "body");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(body, "queued")->valueint, 0);
    cJSON_Delete(answer);
    const struct sent *s = last_to(f, "dev");
    assert_non_null(s);
    assert_non_null(strstr(s->topic, message_id));
    snprintf(out_topic, size, "%s", s->topic);
}

static void test_hub_engine_c2d_stays_queued_until_puback(void **state) {
    struct fixture *f = *state;
    char topic[1024];
    add_device(f);
    connect_device(f, true);
    subscribe(f, "devices/dev/messages/devicebound/#");
    send_c2d(f, "m1", topic, sizeof topic);
    assert_int_equal(queued_count(f), 1);  // locked, not complete
    size_t before = f->count;
    hub_engine_tick(f->engine);
    assert_int_equal(f->count, before);  // and not sent again while locked
    hub_engine_c2d_acked(f->engine, "dev", topic);
    assert_int_equal(queued_count(f), 0);
    hub_engine_c2d_acked(f->engine, "dev", topic);  // a stray PUBACK changes nothing
    hub_engine_c2d_acked(f->engine, "dev", "devices/dev/messages/devicebound/%zz");
    hub_engine_c2d_acked(f->engine, "dev", "not/a/c2d/topic");
    assert_int_equal(queued_count(f), 0);
}

static void test_hub_engine_c2d_unacked_clean_session_gets_it_again(void **state) {
    struct fixture *f = *state;
    char topic[1024];
    add_device(f);
    connect_device(f, true);
    subscribe(f, "devices/dev/messages/devicebound/#");
    send_c2d(f, "m1", topic, sizeof topic);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");  // before its PUBACK
    clear_sent(f);
    connect_device(f, true);
    hub_engine_tick(f->engine);
    assert_null(last_to(f, "dev"));  // not subscribed yet
    subscribe(f, "devices/dev/messages/devicebound/#");
    hub_engine_tick(f->engine);
    assert_non_null(last_to(f, "dev"));
    assert_string_equal(last_to(f, "dev")->topic, topic);
    hub_engine_c2d_acked(f->engine, "dev", topic);
    assert_int_equal(queued_count(f), 0);
}

static void test_hub_engine_c2d_unacked_kept_session_is_left_to_the_broker(void **state) {
    struct fixture *f = *state;
    char topic[1024];
    add_device(f);
    connect_device(f, false);
    subscribe(f, "devices/dev/messages/devicebound/#");
    send_c2d(f, "m1", topic, sizeof topic);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    clear_sent(f);
    // The broker sends the kept session's message again itself; the hub must not add a copy.
    connect_device(f, false);
    hub_engine_tick(f->engine);
    assert_null(last_to(f, "dev"));
    assert_int_equal(queued_count(f), 1);
    hub_engine_c2d_acked(f->engine, "dev", topic);
    assert_int_equal(queued_count(f), 0);
    // A clean session after a kept one: the broker dropped that session, so the hub sends again.
    send_c2d(f, "m2", topic, sizeof topic);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    clear_sent(f);
    connect_device(f, true);
    subscribe(f, "devices/dev/messages/devicebound/#");
    hub_engine_tick(f->engine);
    assert_non_null(last_to(f, "dev"));
    assert_string_equal(last_to(f, "dev")->topic, topic);
}

static bool connect_with_will(struct fixture *f, bool seen, const char *will_topic) {
    struct hub_connect_info info = {
        .client = &f->dev_handle,
        .client_id = "dev",
        .username = "spheresim.azure-devices.net/dev/?api-version=2021-04-12",
        .cert_cn = "dev",
        .clean_session = true,
        .will_seen = seen,
        .will = true,
        .will_topic = will_topic,
    };
    bool accepted = hub_engine_connect(f->engine, &info);
    if (accepted) {
        hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    }
    return accepted;
}

static void test_hub_engine_connect_with_will_elsewhere_is_refused(void **state) {
    struct fixture *f = *state;
    add_device(f);
    assert_true(connect_with_will(f, true, "devices/dev/messages/events/"));
    assert_true(connect_with_will(f, true, "devices/dev/messages/events/a=b"));
    assert_false(connect_with_will(f, true, "devices/dev/status"));
    assert_false(connect_with_will(f, true, "devices/other/messages/events/"));
    assert_false(connect_with_will(f, true, "$iothub/twin/GET/?$rid=1"));
    assert_false(connect_with_will(f, true, NULL));  // a will whose topic could not be read
    // Without the TLS shim nothing is known of the will: the CONNECT goes through.
    assert_true(connect_with_will(f, false, NULL));
    cJSON *answer = call(f, "connection-state", "{\"deviceId\":\"dev\"}");
    char *text = cJSON_PrintUnformatted(answer);
    assert_non_null(strstr(text, "a will is allowed only on devices/dev/messages/events/"));
    free(text);
    cJSON_Delete(answer);
}

static void test_hub_engine_c2d_expired_is_dropped(void **state) {
    struct fixture *f = *state;
    add_device(f);
    assert_int_equal(
        call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"old\",\"ttlSeconds\":60}"),
        200);
    f->now += 60000;
    connect_device(f, true);
    subscribe(f, "devices/dev/messages/devicebound/#");
    hub_engine_tick(f->engine);
    assert_null(last_to(f, "dev"));
    cJSON *record = call(f, "device-get", "{\"deviceId\":\"dev\"}");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(record, "body");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(body, "cloudToDeviceExpiredCount")->valueint,
                     1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(body, "cloudToDeviceMessageCount")->valueint,
                     0);
    cJSON_Delete(record);
}

static void test_hub_engine_c2d_queue_limit_is_fifty(void **state) {
    struct fixture *f = *state;
    add_device(f);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"x\"}"), 200);
    }
    assert_int_equal(call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"x\"}"), 429);
}

static void test_hub_engine_disabling_kicks_and_refuses(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    assert_int_equal(
        call_status(f, "device-update", "{\"deviceId\":\"dev\",\"status\":\"disabled\"}"), 200);
    assert_int_equal(f->kicks, 1);
    struct hub_connect_info info = {
        .client = &f->dev_handle,
        .client_id = "dev",
        .username = "spheresim.azure-devices.net/dev/?api-version=2021-04-12",
        .cert_cn = "dev",
        .clean_session = true,
    };
    assert_false(hub_engine_connect(f->engine, &info));
    assert_int_equal(call_status(f, "device-remove", "{\"deviceId\":\"dev\"}"), 204);
    assert_int_equal(call_status(f, "device-get", "{\"deviceId\":\"dev\"}"), 404);
}

static void test_hub_engine_twin_throttle_answers_429(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    subscribe(f, "$iothub/twin/res/#");
    assert_int_equal(call_status(f, "fault-throttle", "{\"deviceId\":\"dev\",\"twinPerSecond\":1}"),
                     204);
    device_publish(f, "$iothub/twin/GET/?$rid=a", "");
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/200/?$rid=a");
    device_publish(f, "$iothub/twin/GET/?$rid=b", "");
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/429/?$rid=b");
    f->now += 1000;
    device_publish(f, "$iothub/twin/GET/?$rid=c", "");
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/200/?$rid=c");
}

// A second device, "dev2", on its own connection handle.
static void add_and_connect_dev2(struct fixture *f, const void *handle) {
    assert_int_equal(
        call_status(f, "device-add", "{\"deviceId\":\"dev2\",\"authentication\":\"x509\"}"), 200);
    struct hub_connect_info info = {
        .client = handle,
        .client_id = "dev2",
        .username = "spheresim.azure-devices.net/dev2/?api-version=2021-04-12",
        .cert_cn = "dev2",
        .clean_session = true,
    };
    assert_true(hub_engine_connect(f->engine, &info));
    assert_int_equal(acl_check(f, handle, "dev2", HUB_ACCESS_SUBSCRIBE, "$iothub/twin/res/#"),
                     HUB_VERDICT_ALLOW);
}

static const char *dev2_get(struct fixture *f, const void *handle, const char *rid) {
    char topic[64];
    snprintf(topic, sizeof topic, "$iothub/twin/GET/?$rid=%s", rid);
    assert_int_equal(acl_check(f, handle, "dev2", HUB_ACCESS_WRITE, topic), HUB_VERDICT_ALLOW);
    hub_engine_message(f->engine, "dev2", topic, "", 0, false);
    return last_to(f, "dev2")->topic;
}

static void test_hub_engine_hub_wide_twin_rate_counts_every_device(void **state) {
    struct fixture *f = *state;
    static int dev2_handle;
    add_device(f);
    connect_device(f, true);
    subscribe(f, "$iothub/twin/res/#");
    add_and_connect_dev2(f, &dev2_handle);
    // The hub as a whole takes two twin requests a second; dev2's own rate (unlimited) and dev's
    // (five) do not lift that.
    assert_int_equal(call_status(f, "fault-throttle", "{\"twinPerSecond\":2}"), 204);
    assert_int_equal(call_status(f, "fault-throttle", "{\"deviceId\":\"dev\",\"twinPerSecond\":5}"),
                     204);
    assert_int_equal(
        call_status(f, "fault-throttle", "{\"deviceId\":\"dev2\",\"twinPerSecond\":0}"), 204);
    device_publish(f, "$iothub/twin/GET/?$rid=a1", "");
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/200/?$rid=a1");
    assert_string_equal(dev2_get(f, &dev2_handle, "b1"), "$iothub/twin/res/200/?$rid=b1");
    // The third request of the second, whichever device sends it, is past the hub's rate.
    assert_string_equal(dev2_get(f, &dev2_handle, "b2"), "$iothub/twin/res/429/?$rid=b2");
    device_publish(f, "$iothub/twin/PATCH/properties/reported/?$rid=a2", "{\"x\":1}");
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/429/?$rid=a2");
    f->now += 1000;
    assert_string_equal(dev2_get(f, &dev2_handle, "b3"), "$iothub/twin/res/200/?$rid=b3");
    // Unlimited again: nothing is refused.
    assert_int_equal(call_status(f, "fault-throttle", "{\"twinPerSecond\":0}"), 204);
    for (int i = 0; i < 10; i++) {
        assert_string_equal(dev2_get(f, &dev2_handle, "c"), "$iothub/twin/res/200/?$rid=c");
    }
}

static void test_hub_engine_twin_delay_fault_sends_on_tick(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    subscribe(f, "$iothub/twin/res/#");
    assert_int_equal(call_status(f, "fault-twin", "{\"mode\":\"delay\",\"delayMs\":300}"), 204);
    device_publish(f, "$iothub/twin/GET/?$rid=d", "");
    assert_null(last_to(f, "dev"));
    f->now += 299;
    hub_engine_tick(f->engine);
    assert_null(last_to(f, "dev"));
    f->now += 1;
    hub_engine_tick(f->engine);
    assert_string_equal(last_to(f, "dev")->topic, "$iothub/twin/res/200/?$rid=d");
}

static void test_hub_engine_persistent_session_keeps_c2d_subscription(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, false);
    subscribe(f, "devices/dev/messages/devicebound/#");
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    assert_int_equal(call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"kept\"}"), 200);
    assert_null(last_to(f, "dev"));  // offline: stays queued
    connect_device(f, false);
    hub_engine_tick(f->engine);
    assert_string_equal(last_to(f, "dev")->payload, "kept");
}

static void test_hub_engine_bad_requests_get_400(void **state) {
    struct fixture *f = *state;
    connect_service(f);
    assert_int_equal(call_status(f, "twin-get", "[]"), 400);
    assert_int_equal(call_status(f, "nope", "{}"), 400);
    assert_int_equal(call_status(f, "device-add", "{\"deviceId\":\"a/b\"}"), 400);
    assert_int_equal(call_status(f, "device-add", "{\"deviceId\":\"spheresim-service\"}"), 400);
    assert_int_equal(call_status(f, "fault-twin", "{\"mode\":\"sometimes\"}"), 400);
    assert_int_equal(call_status(f, "fault-clock", "{\"advanceSeconds\":-1}"), 400);
    assert_int_equal(call_status(f, "telemetry-read", "{\"limit\":0}"), 400);
    assert_int_equal(call_status(f, "device-add", "{\"deviceId\":\"k\",\"primaryKey\":\"!!\"}"),
                     400);
    assert_int_equal(
        call_status(f, "device-add",
                    "{\"deviceId\":\"k\",\"primaryKey\":\"a2V5LWtleS1rZXkta2V5LQ==\"}"),
        200);
}

// The will mosquitto checks for a connection that ended without DISCONNECT.
static enum hub_verdict will(struct fixture *f, const void *client, const char *topic,
                             const char *payload) {
    struct hub_acl_request request = {
        .client = client,
        .client_id = "dev",
        .access = HUB_ACCESS_WRITE,
        .topic = topic,
        .payload = payload,
        .payload_len = strlen(payload),
    };
    return hub_engine_acl(f->engine, &request);
}

// The device's stored telemetry (through the service operation), as JSON; caller frees.
static cJSON *telemetry_of(struct fixture *f) {
    cJSON *answer = call(f, "telemetry-read", "{\"deviceId\":\"dev\"}");
    assert_int_equal(status_of(answer), 200);
    cJSON *messages = cJSON_DetachItemFromObjectCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(answer, "body"), "messages");
    cJSON_Delete(answer);
    return messages;
}

static const char *app_property(const cJSON *message, const char *name) {
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(message, "properties"), name);
    return cJSON_IsString(value) ? value->valuestring : NULL;
}

static void test_hub_engine_telemetry_readable_right_after_publish(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    assert_int_equal(device_publish(f, "devices/dev/messages/events/a=1", "t1"),
                     HUB_VERDICT_CONSUMED);
    cJSON *messages = telemetry_of(f);
    assert_int_equal(cJSON_GetArraySize(messages), 1);
    assert_string_equal(app_property(cJSON_GetArrayItem(messages, 0), "a"), "1");
    assert_null(app_property(cJSON_GetArrayItem(messages, 0), "iothub-MessageType"));
    cJSON_Delete(messages);
}

static void test_hub_engine_will_after_drop_is_forwarded_as_telemetry(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    // mosquitto reports the disconnect, then checks the will.
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/messages/events/k=v", "gone"),
                     HUB_VERDICT_CONSUMED);
    cJSON *messages = telemetry_of(f);
    assert_int_equal(cJSON_GetArraySize(messages), 1);
    const cJSON *m = cJSON_GetArrayItem(messages, 0);
    assert_string_equal(app_property(m, "iothub-MessageType"), "Will");
    assert_string_equal(app_property(m, "k"), "v");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(m, "body")->valuestring, "gone");
    cJSON_Delete(messages);
}

static void test_hub_engine_will_of_replaced_connection_is_forwarded(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    int newer = 0;
    struct hub_connect_info info = {
        .client = &newer,
        .client_id = "dev",
        .username = "spheresim.azure-devices.net/dev/?api-version=2021-04-12",
        .cert_cn = "dev",
        .clean_session = true,
    };
    assert_true(hub_engine_connect(f->engine, &info));
    // The old connection's will comes before its disconnect.
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/messages/events/", "old"),
                     HUB_VERDICT_CONSUMED);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    // The new connection is still current and publishes normally.
    assert_int_equal(acl_check(f, &newer, "dev", HUB_ACCESS_WRITE, "devices/dev/messages/events/"),
                     HUB_VERDICT_ALLOW);
    cJSON *messages = telemetry_of(f);
    assert_int_equal(cJSON_GetArraySize(messages), 1);
    cJSON_Delete(messages);
}

static void test_hub_engine_will_on_other_topic_is_dropped(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/status", "gone"), HUB_VERDICT_CLOSE);
    connect_device(f, true);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    assert_int_equal(will(f, &f->dev_handle, "devices/other/messages/events/", "gone"),
                     HUB_VERDICT_CLOSE);
    cJSON *messages = telemetry_of(f);
    assert_int_equal(cJSON_GetArraySize(messages), 0);
    cJSON_Delete(messages);
}

static void test_hub_engine_will_needs_a_connection_that_just_ended(void **state) {
    struct fixture *f = *state;
    add_device(f);
    int stranger = 0;
    // Never accepted (a refused CONNECT has no will checked, but the hub does not rely on it).
    assert_int_equal(will(f, &stranger, "devices/dev/messages/events/", "x"), HUB_VERDICT_CLOSE);
    connect_device(f, true);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    hub_engine_tick(f->engine);  // the broker call that ended it is over
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/messages/events/", "x"),
                     HUB_VERDICT_CLOSE);
    // One will per ended connection.
    connect_device(f, true);
    hub_engine_disconnect(f->engine, &f->dev_handle, "dev");
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/messages/events/", "x"),
                     HUB_VERDICT_CONSUMED);
    assert_int_equal(will(f, &f->dev_handle, "devices/dev/messages/events/", "x"),
                     HUB_VERDICT_CLOSE);
    cJSON *messages = telemetry_of(f);
    assert_int_equal(cJSON_GetArraySize(messages), 1);
    cJSON_Delete(messages);
}

static void test_hub_engine_subscriptions_count_distinct_filters(void **state) {
    struct fixture *f = *state;
    add_device(f);
    connect_device(f, true);
    // The five filters a device may hold: all granted, and again without taking new slots.
    const char *filters[] = {
        "$iothub/methods/POST/#",
        "$iothub/twin/res/#",
        "$iothub/twin/PATCH/properties/desired/#",
        "devices/dev/messages/devicebound/#",
        "devices/+/messages/devicebound/#",
    };
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
            subscribe(f, filters[i]);
        }
    }
    // One C2D filter gone, the other still delivers.
    assert_int_equal(acl_check(f, &f->dev_handle, "dev", HUB_ACCESS_UNSUBSCRIBE, filters[4]),
                     HUB_VERDICT_ALLOW);
    assert_int_equal(call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"one\"}"), 200);
    hub_engine_tick(f->engine);
    assert_string_equal(last_to(f, "dev")->payload, "one");
    // Both gone: C2D waits in the queue.
    assert_int_equal(acl_check(f, &f->dev_handle, "dev", HUB_ACCESS_UNSUBSCRIBE, filters[3]),
                     HUB_VERDICT_ALLOW);
    size_t before = f->count;
    assert_int_equal(call_status(f, "c2d-send", "{\"deviceId\":\"dev\",\"body\":\"two\"}"), 200);
    hub_engine_tick(f->engine);
    assert_int_equal(f->count, before + 1);  // only the service answer
    subscribe(f, filters[4]);
    hub_engine_tick(f->engine);
    assert_string_equal(last_to(f, "dev")->payload, "two");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_engine_service_client_needs_token_and_own_topics),
        T(test_hub_engine_twin_get_and_reported_patch),
        T(test_hub_engine_desired_patch_pushed_only_when_subscribed),
        T(test_hub_engine_method_answered_then_timed_out),
        T(test_hub_engine_c2d_queued_then_delivered_on_subscribe),
        T(test_hub_engine_c2d_expired_is_dropped),
        T(test_hub_engine_connect_with_will_elsewhere_is_refused),
        cmocka_unit_test_setup_teardown(test_hub_engine_c2d_stays_queued_until_puback, setup_acks,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hub_engine_c2d_unacked_clean_session_gets_it_again,
                                        setup_acks, teardown),
        cmocka_unit_test_setup_teardown(
            test_hub_engine_c2d_unacked_kept_session_is_left_to_the_broker, setup_acks, teardown),
        T(test_hub_engine_c2d_queue_limit_is_fifty),
        T(test_hub_engine_disabling_kicks_and_refuses),
        T(test_hub_engine_twin_throttle_answers_429),
        T(test_hub_engine_hub_wide_twin_rate_counts_every_device),
        T(test_hub_engine_twin_delay_fault_sends_on_tick),
        T(test_hub_engine_persistent_session_keeps_c2d_subscription),
        T(test_hub_engine_bad_requests_get_400),
        T(test_hub_engine_telemetry_readable_right_after_publish),
        T(test_hub_engine_will_after_drop_is_forwarded_as_telemetry),
        T(test_hub_engine_will_of_replaced_connection_is_forwarded),
        T(test_hub_engine_will_on_other_topic_is_dropped),
        T(test_hub_engine_will_needs_a_connection_that_just_ended),
        T(test_hub_engine_subscriptions_count_distinct_filters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
