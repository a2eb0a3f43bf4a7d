// SPDX-License-Identifier: MIT
// Unit tests for the MQTT stream watcher (hub_wire.c): CONNECT with and without a will in MQTT
// 3.1.1 and 5, PUBLISH and PUBACK, whatever pieces the bytes come in, and hostile framing.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cloud/hub_wire.h"

struct seen {
    int count;
    struct hub_wire_event last;
    char client_id[HUB_WIRE_MAX_ID + 1];
    char topic[512];
    bool has_will_topic;
};

static void record(const struct hub_wire_event *event, void *ctx) {
    struct seen *seen = ctx;
    seen->count++;
    seen->last = *event;
    snprintf(seen->client_id, sizeof seen->client_id, "%s",
             event->client_id != NULL ? event->client_id : "");
    const char *topic = event->kind == HUB_WIRE_CONNECT ? event->will_topic : event->topic;
    seen->has_will_topic = event->will_topic != NULL;
    snprintf(seen->topic, sizeof seen->topic, "%s", topic != NULL ? topic : "");
}

// Appends a two-byte length and the string.
static size_t put_string(unsigned char *out, const char *s) {
    size_t len = strlen(s);
    out[0] = (unsigned char)(len >> 8);
    out[1] = (unsigned char)len;
    memcpy(out + 2, s, len);
    return 2 + len;
}

// Builds a packet: header byte, remaining length (one or two bytes), body.
static size_t packet(unsigned char *out, uint8_t header, const unsigned char *body, size_t len) {
    size_t n = 0;
    out[n++] = header;
    if (len < 128) {
        out[n++] = (unsigned char)len;
    } else {
        out[n++] = (unsigned char)(0x80 | (len & 0x7f));
        out[n++] = (unsigned char)(len >> 7);
    }
    if (len > 0) {
        memcpy(out + n, body, len);
    }
    return n + len;
}

static size_t connect_packet(unsigned char *out, int level, const char *id, const char *will) {
    unsigned char body[1024];
    size_t n = put_string(body, level == 3 ? "MQIsdp" : "MQTT");
    body[n++] = (unsigned char)level;
    body[n++] = (unsigned char)(0x02 | (will != NULL ? 0x04 | 0x08 : 0));  // clean, will QoS 1
    body[n++] = 0;
    body[n++] = 60;
    if (level == 5) {
        body[n++] = 5;  // properties: session expiry interval (0x11) = 0
        body[n++] = 0x11;
        memset(body + n, 0, 4);
        n += 4;
    }
    n += put_string(body + n, id);
    if (will != NULL) {
        if (level == 5) {
            body[n++] = 2;  // will properties: payload format indicator (0x01) = 1
            body[n++] = 0x01;
            body[n++] = 1;
        }
        n += put_string(body + n, will);
        n += put_string(body + n, "gone");
    }
    return packet(out, 0x10, body, n);
}

// Feeds data one byte at a time, as the broker's reads of a header may come.
static void feed_bytewise(struct hub_wire_stream *st, const unsigned char *data, size_t len,
                          struct seen *seen) {
    for (size_t i = 0; i < len; i++) {
        assert_true(hub_wire_feed(st, data + i, 1, record, seen));
    }
}

static void test_hub_wire_feed_connect_311_with_will_reports_topic(void **state) {
    (void)state;
    unsigned char data[1024];
    size_t len = connect_packet(data, 4, "dev-1", "devices/dev-1/messages/events/");
    struct hub_wire_stream st = {.want_kinds = HUB_WIRE_WANT_CONNECT | HUB_WIRE_WANT_PUBACK};
    struct seen seen = {0};
    feed_bytewise(&st, data, len, &seen);
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.last.kind, HUB_WIRE_CONNECT);
    assert_int_equal(seen.last.protocol_level, 4);
    assert_string_equal(seen.client_id, "dev-1");
    assert_true(seen.last.will);
    assert_string_equal(seen.topic, "devices/dev-1/messages/events/");
    // A second CONNECT on the same stream is a protocol error, not a new client: not reported.
    assert_true(hub_wire_feed(&st, data, len, record, &seen));
    assert_int_equal(seen.count, 1);
    hub_wire_reset(&st);
}

static void test_hub_wire_feed_connect_v5_skips_properties(void **state) {
    (void)state;
    unsigned char data[1024];
    size_t len = connect_packet(data, 5, "dev-5", "elsewhere/topic");
    struct hub_wire_stream st = {.want_kinds = HUB_WIRE_WANT_CONNECT};
    struct seen seen = {0};
    assert_true(hub_wire_feed(&st, data, len, record, &seen));
    assert_int_equal(seen.count, 1);
    assert_int_equal(seen.last.protocol_level, 5);
    assert_string_equal(seen.client_id, "dev-5");
    assert_string_equal(seen.topic, "elsewhere/topic");
    hub_wire_reset(&st);
}

static void test_hub_wire_feed_connect_without_will_has_no_topic(void **state) {
    (void)state;
    unsigned char data[1024];
    size_t len = connect_packet(data, 3, "old", NULL);
    struct hub_wire_stream st = {.want_kinds = HUB_WIRE_WANT_CONNECT};
    struct seen seen = {0};
    assert_true(hub_wire_feed(&st, data, len, record, &seen));
    assert_int_equal(seen.count, 1);
    assert_false(seen.last.will);
    assert_false(seen.has_will_topic);
    hub_wire_reset(&st);
}

static void test_hub_wire_feed_publish_and_puback_in_pieces(void **state) {
    (void)state;
    unsigned char data[4096];
    unsigned char body[512];
    size_t n = put_string(body, "devices/d/messages/devicebound/%24.mid=m1");
    body[n++] = 0x01;  // packet id 0x0102
    body[n++] = 0x02;
    memcpy(body + n, "payload", 7);
    n += 7;
    size_t len = packet(data, 0x32 | 0x08, body, n);  // QoS 1, DUP
    unsigned char qos0[64];
    size_t m = put_string(qos0, "$iothub/twin/res/200/?$rid=1");
    len += packet(data + len, 0x30, qos0, m);          // QoS 0: skipped
    len += packet(data + len, 0xC0, NULL, 0);          // PINGREQ: skipped
    len += packet(data + len, 0x40, body + n - 9, 2);  // PUBACK 0x0102
    struct hub_wire_stream out = {.want_kinds = HUB_WIRE_WANT_PUBLISH | HUB_WIRE_WANT_PUBACK};
    struct seen seen = {0};
    // In uneven pieces, as SSL_write and SSL_read may move them.
    size_t at = 0;
    size_t step = 1;
    while (at < len) {
        size_t take = len - at < step ? len - at : step;
        assert_true(hub_wire_feed(&out, data + at, take, record, &seen));
        at += take;
        step = step * 3 + 1;
        if (seen.count == 1) {
            assert_int_equal(seen.last.kind, HUB_WIRE_PUBLISH);
            assert_string_equal(seen.topic, "devices/d/messages/devicebound/%24.mid=m1");
            assert_int_equal(seen.last.packet_id, 0x0102);
            assert_int_equal(seen.last.qos, 1);
            assert_true(seen.last.dup);
        }
    }
    assert_int_equal(seen.count, 2);
    assert_int_equal(seen.last.kind, HUB_WIRE_PUBACK);
    assert_int_equal(seen.last.packet_id, 0x0102);
    hub_wire_reset(&out);
}

static void test_hub_wire_feed_unwanted_kinds_are_not_reported(void **state) {
    (void)state;
    unsigned char data[256];
    unsigned char body[64];
    size_t n = put_string(body, "t");
    body[n++] = 0;
    body[n++] = 7;
    size_t len = packet(data, 0x32, body, n);
    struct hub_wire_stream in = {.want_kinds = HUB_WIRE_WANT_PUBACK};
    struct seen seen = {0};
    assert_true(hub_wire_feed(&in, data, len, record, &seen));
    assert_int_equal(seen.count, 0);
    assert_null(in.buf);  // nothing was kept for it
    hub_wire_reset(&in);
}

static void test_hub_wire_feed_hostile_framing_breaks_the_stream(void **state) {
    (void)state;
    struct seen seen = {0};
    // A remaining length of five bytes.
    static const unsigned char too_long[] = {0x30, 0xff, 0xff, 0xff, 0xff, 0x01};
    struct hub_wire_stream st = {.want_kinds = HUB_WIRE_WANT_PUBLISH};
    assert_false(hub_wire_feed(&st, too_long, sizeof too_long, record, &seen));
    assert_false(hub_wire_feed(&st, too_long, 1, record, &seen));  // stays broken
    hub_wire_reset(&st);
    // QoS 3 and packet type 0.
    static const unsigned char qos3[] = {0x36, 0x00};
    assert_false(hub_wire_feed(&st, qos3, sizeof qos3, record, &seen));
    hub_wire_reset(&st);
    static const unsigned char type0[] = {0x00, 0x00};
    assert_false(hub_wire_feed(&st, type0, sizeof type0, record, &seen));
    hub_wire_reset(&st);
    // A topic length past the packet's end, and a topic holding a NUL: framed fine, not reported.
    static const unsigned char short_topic[] = {0x32, 0x04, 0x00, 0x09, 'a', 'b'};
    static const unsigned char nul_topic[] = {0x32, 0x06, 0x00, 0x02, 'a', 0x00, 0x00, 0x01};
    st.want_kinds = HUB_WIRE_WANT_PUBLISH;
    assert_true(hub_wire_feed(&st, short_topic, sizeof short_topic, record, &seen));
    assert_true(hub_wire_feed(&st, nul_topic, sizeof nul_topic, record, &seen));
    // A CONNECT whose will topic is cut off: the client is reported, the topic is not.
    unsigned char data[1024];
    size_t len = connect_packet(data, 4, "dev", "devices/dev/messages/events/");
    data[1] = (unsigned char)(data[1] - 10);  // the packet ends inside the will topic
    struct hub_wire_stream in = {.want_kinds = HUB_WIRE_WANT_CONNECT};
    assert_true(hub_wire_feed(&in, data, len - 10, record, &seen));
    assert_int_equal(seen.count, 1);
    assert_true(seen.last.will);
    assert_false(seen.has_will_topic);
    hub_wire_reset(&st);
    hub_wire_reset(&in);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_wire_feed_connect_311_with_will_reports_topic),
        cmocka_unit_test(test_hub_wire_feed_connect_v5_skips_properties),
        cmocka_unit_test(test_hub_wire_feed_connect_without_will_has_no_topic),
        cmocka_unit_test(test_hub_wire_feed_publish_and_puback_in_pieces),
        cmocka_unit_test(test_hub_wire_feed_unwanted_kinds_are_not_reported),
        cmocka_unit_test(test_hub_wire_feed_hostile_framing_breaks_the_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
