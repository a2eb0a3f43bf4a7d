// SPDX-License-Identifier: MIT
// Unit tests for telemetry ingest: property bags split into system and application properties
// under a back end's names, RETAIN as mqtt-retain, Will messages, JSON escaping, the 256 KB
// limit, malformed bags, and the stored row, over a real ingest journal and SQLite store in a
// temporary directory.

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

#include "cloud/hub_telemetry.h"

struct fixture {
    char dir[64];
    struct hub_store *store;
    struct hub_ingest *ingest;
    char reason[256];
    char system[2048];
    char app[2048];
    char body[64];
    size_t body_len;
    int rows;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-telemetry-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    char path[PATH_MAX];
    char err[256];
    snprintf(path, sizeof path, "%s/hub.db", f->dir);
    if (hub_store_open(path, &f->store, err, sizeof err) != HUB_STORE_OK) {
        return -1;
    }
    snprintf(path, sizeof path, "%s/telemetry.journal", f->dir);
    if (hub_ingest_open(f->store, path, &f->ingest, NULL, err, sizeof err) != HUB_STORE_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_ingest_close(f->ingest);
    hub_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static int keep_last(const struct hub_telemetry *m, void *ctx) {
    struct fixture *f = ctx;
    snprintf(f->system, sizeof f->system, "%s", m->system_properties);
    snprintf(f->app, sizeof f->app, "%s", m->properties);
    f->body_len = m->body_len < sizeof f->body ? m->body_len : sizeof f->body;
    memcpy(f->body, m->body, f->body_len);
    f->rows++;
    return 0;
}

static enum hub_result accept_as(struct fixture *f, const char *topic, const void *payload,
                                 size_t len, bool retain, bool will) {
    struct hub_publish_topic classified;
    if (hub_classify_publish(topic, "d1", &classified) != HUB_OK) {
        return HUB_ERR_NO_MATCH;
    }
    struct hub_telemetry_input in = {
        .device_id = "d1",
        .topic = topic,
        .classified = &classified,
        .payload = payload,
        .payload_len = len,
        .retain = retain,
        .will = will,
        .now_ms = 1700000000123LL,
    };
    enum hub_result r = hub_telemetry_accept(f->ingest, &in, NULL, f->reason, sizeof f->reason);
    f->rows = 0;
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    hub_store_telemetry_list(f->store, "d1", 0, 0, keep_last, f);
    return r;
}

static enum hub_result accept_topic(struct fixture *f, const char *topic, const void *payload,
                                    size_t len, bool retain) {
    return accept_as(f, topic, payload, len, retain, false);
}

static const char *field(const char *json, const char *key, char *out, size_t out_size) {
    cJSON *root = cJSON_Parse(json);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, key);
    if (item == NULL) {
        snprintf(out, out_size, "<absent>");
    } else if (cJSON_IsNull(item)) {
        snprintf(out, out_size, "<null>");
    } else {
        snprintf(out, out_size, "%s", cJSON_IsString(item) ? item->valuestring : "<not string>");
    }
    cJSON_Delete(root);
    return out;
}

static void test_hub_telemetry_accept_bag_splits_system_and_app_properties(void **state) {
    struct fixture *f = *state;
    const char *topic =
        "devices/d1/messages/events/%24.mid=m%201&%24.cid=c1&%24.ct=application%2F"
        "json&%24.ce=utf-8&%24.uid=u&%24.ctime=t&%24.sub=comp&%24.future=x"
        "&room=kitchen%26hall&flag&empty=";
    assert_int_equal(accept_topic(f, topic, "{\"t\":1}", 7, false), HUB_OK);
    assert_int_equal(f->rows, 1);
    char v[256];
    assert_string_equal(field(f->system, "message-id", v, sizeof v), "m 1");
    assert_string_equal(field(f->system, "correlation-id", v, sizeof v), "c1");
    assert_string_equal(field(f->system, "content-type", v, sizeof v), "application/json");
    assert_string_equal(field(f->system, "content-encoding", v, sizeof v), "utf-8");
    assert_string_equal(field(f->system, "user-id", v, sizeof v), "u");
    assert_string_equal(field(f->system, "iothub-creation-time-utc", v, sizeof v), "t");
    assert_string_equal(field(f->system, "dt-subject", v, sizeof v), "comp");
    assert_string_equal(field(f->system, "$.future", v, sizeof v), "x");
    assert_string_equal(field(f->system, "iothub-connection-device-id", v, sizeof v), "d1");
    assert_string_equal(field(f->system, "iothub-enqueuedtime", v, sizeof v),
                        "2023-11-14T22:13:20.123Z");
    assert_string_equal(field(f->system, "iothub-message-source", v, sizeof v), "Telemetry");
    assert_string_equal(field(f->app, "room", v, sizeof v), "kitchen&hall");
    assert_string_equal(field(f->app, "flag", v, sizeof v), "<null>");
    assert_string_equal(field(f->app, "empty", v, sizeof v), "");
    assert_string_equal(field(f->app, "$.mid", v, sizeof v), "<absent>");
    assert_int_equal(f->body_len, 7);
    assert_memory_equal(f->body, "{\"t\":1}", 7);
}

static void test_hub_telemetry_accept_empty_bag_and_body_is_stored(void **state) {
    struct fixture *f = *state;
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/", NULL, 0, false), HUB_OK);
    assert_int_equal(f->rows, 1);
    assert_string_equal(f->app, "{}");
    assert_int_equal(f->body_len, 0);
}

static void test_hub_telemetry_accept_retained_adds_mqtt_retain(void **state) {
    struct fixture *f = *state;
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/a=1", "x", 1, true), HUB_OK);
    char v[64];
    assert_string_equal(field(f->app, "mqtt-retain", v, sizeof v), "true");
    assert_string_equal(field(f->app, "a", v, sizeof v), "1");
}

static void test_hub_telemetry_accept_repeated_key_keeps_first(void **state) {
    struct fixture *f = *state;
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/k=1&k=2", "x", 1, false), HUB_OK);
    char v[64];
    assert_string_equal(field(f->app, "k", v, sizeof v), "1");
}

static void test_hub_telemetry_accept_256kb_succeeds_one_more_fails_too_large(void **state) {
    struct fixture *f = *state;
    size_t limit = HUB_TELEMETRY_MAX_BYTES;
    char *big = calloc(1, limit + 1);
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/", big, limit, false), HUB_OK);
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/", big, limit + 1, false),
                     HUB_ERR_TOO_LARGE);
    // The property bag counts towards the limit.
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/a=1", big, limit - 2, false),
                     HUB_ERR_TOO_LARGE);
    assert_int_equal(f->rows, 1);
    free(big);
}

static void test_hub_telemetry_accept_non_telemetry_topic_fails_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_publish_topic classified;
    assert_int_equal(hub_classify_publish("$iothub/twin/GET/?$rid=1", "d1", &classified), HUB_OK);
    struct hub_telemetry_input in = {
        .device_id = "d1",
        .topic = "$iothub/twin/GET/?$rid=1",
        .classified = &classified,
    };
    assert_int_equal(hub_telemetry_accept(f->ingest, &in, NULL, f->reason, sizeof f->reason),
                     HUB_ERR_INVALID);
}

static void test_hub_telemetry_accept_offsets_outside_topic_fail_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_publish_topic classified = {
        .kind = HUB_PUB_TELEMETRY, .properties_offset = 10, .properties_len = 100};
    struct hub_telemetry_input in = {
        .device_id = "d1",
        .topic = "devices/d1/messages/events/",
        .classified = &classified,
    };
    assert_int_equal(hub_telemetry_accept(f->ingest, &in, NULL, f->reason, sizeof f->reason),
                     HUB_ERR_INVALID);
}

static void test_hub_telemetry_accept_will_marks_message_type(void **state) {
    struct fixture *f = *state;
    const char *topic = "devices/d1/messages/events/iothub-MessageType=Custom&a=1";
    assert_int_equal(accept_as(f, topic, "gone", 4, false, true), HUB_OK);
    char v[64];
    // The hub's marker, not the device's property of the same name.
    assert_string_equal(field(f->app, "iothub-MessageType", v, sizeof v), "Will");
    assert_string_equal(field(f->app, "a", v, sizeof v), "1");
    assert_string_equal(field(f->system, "iothub-message-source", v, sizeof v), "Telemetry");
    assert_int_equal(f->body_len, 4);
}

static void test_hub_telemetry_accept_plain_message_has_no_message_type(void **state) {
    struct fixture *f = *state;
    assert_int_equal(accept_topic(f, "devices/d1/messages/events/a=1", "x", 1, false), HUB_OK);
    char v[64];
    assert_string_equal(field(f->app, "iothub-MessageType", v, sizeof v), "<absent>");
}

static void test_hub_telemetry_accept_values_needing_escapes_round_trip(void **state) {
    struct fixture *f = *state;
    // Quote, backslash, newline, tab, a control byte, UTF-8 and a key with a quote in it.
    const char *topic =
        "devices/d1/messages/events/q=%22hi%22&b=a%5Cb&n=1%0A2%093&c=%01&u=%C3%A9t%C3%A9"
        "&k%22ey=v&%24.mid=%22m%22";
    assert_int_equal(accept_topic(f, topic, "x", 1, false), HUB_OK);
    char v[64];
    assert_string_equal(field(f->app, "q", v, sizeof v), "\"hi\"");
    assert_string_equal(field(f->app, "b", v, sizeof v), "a\\b");
    assert_string_equal(field(f->app, "n", v, sizeof v), "1\n2\t3");
    assert_string_equal(field(f->app, "c", v, sizeof v), "\x01");
    assert_string_equal(field(f->app, "u", v, sizeof v), "\xc3\xa9t\xc3\xa9");
    assert_string_equal(field(f->app, "k\"ey", v, sizeof v), "v");
    assert_string_equal(field(f->system, "message-id", v, sizeof v), "\"m\"");
}

static void test_hub_telemetry_accept_repeated_system_key_keeps_first(void **state) {
    struct fixture *f = *state;
    // Two spellings of one key: both decode to "$.mid".
    const char *topic = "devices/d1/messages/events/%24.mid=one&$.mid=two";
    assert_int_equal(accept_topic(f, topic, "x", 1, false), HUB_OK);
    char v[64];
    assert_string_equal(field(f->system, "message-id", v, sizeof v), "one");
}

static void test_hub_telemetry_accept_gives_increasing_sequences(void **state) {
    struct fixture *f = *state;
    struct hub_publish_topic classified;
    assert_int_equal(hub_classify_publish("devices/d1/messages/events/", "d1", &classified),
                     HUB_OK);
    struct hub_telemetry_input in = {
        .device_id = "d1",
        .topic = "devices/d1/messages/events/",
        .classified = &classified,
        .payload = "x",
        .payload_len = 1,
    };
    long long first = 0;
    long long second = 0;
    assert_int_equal(hub_telemetry_accept(f->ingest, &in, &first, f->reason, sizeof f->reason),
                     HUB_OK);
    assert_int_equal(hub_telemetry_accept(f->ingest, &in, &second, f->reason, sizeof f->reason),
                     HUB_OK);
    assert_true(first > 0);
    assert_int_equal(second, first + 1);
    assert_int_equal(hub_ingest_pending(f->ingest), 2);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_telemetry_accept_bag_splits_system_and_app_properties),
        T(test_hub_telemetry_accept_empty_bag_and_body_is_stored),
        T(test_hub_telemetry_accept_retained_adds_mqtt_retain),
        T(test_hub_telemetry_accept_repeated_key_keeps_first),
        T(test_hub_telemetry_accept_256kb_succeeds_one_more_fails_too_large),
        T(test_hub_telemetry_accept_non_telemetry_topic_fails_invalid),
        T(test_hub_telemetry_accept_offsets_outside_topic_fail_invalid),
        T(test_hub_telemetry_accept_will_marks_message_type),
        T(test_hub_telemetry_accept_plain_message_has_no_message_type),
        T(test_hub_telemetry_accept_values_needing_escapes_round_trip),
        T(test_hub_telemetry_accept_repeated_system_key_keeps_first),
        T(test_hub_telemetry_accept_gives_increasing_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
