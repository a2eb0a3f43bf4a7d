// SPDX-License-Identifier: MIT
// libFuzzer target for the MQTT stream watcher inside the broker (sim/cloud/hub_wire.c), which
// reads every byte a client sends, before any authentication. Besides the sanitizers it checks
// the parser's promises: strings it reports are NUL-terminated and within their limits, QoS is
// 1 or 2 for a reported PUBLISH, and the events do not depend on how the stream is cut into
// pieces (SSL_read hands the bytes over in arbitrary chunks), so the input is fed once whole and
// once in chunks whose sizes the input's first byte chooses.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_EVENTS 64
#define DIGEST_TEXT 64

struct seen_event {
    enum hub_wire_kind kind;
    int protocol_level;
    bool will;
    int qos;
    bool dup;
    uint16_t packet_id;
    char client_id[DIGEST_TEXT];
    char topic[DIGEST_TEXT];
    size_t client_id_len;
    size_t topic_len;
};

struct record {
    struct seen_event events[MAX_EVENTS];
    size_t count;
    size_t total;
};

static size_t checked_length(const char *s, size_t limit) {
    if (s == NULL) {
        return 0;
    }
    size_t n = strnlen(s, limit + 1);
    if (n > limit) {
        abort();  // a reported string must end within its limit
    }
    return n;
}

static void copy_prefix(char out[DIGEST_TEXT], const char *s, size_t n) {
    size_t keep = n < DIGEST_TEXT - 1 ? n : DIGEST_TEXT - 1;
    if (keep > 0) {
        memcpy(out, s, keep);
    }
    out[keep] = '\0';
}

static void on_event(const struct hub_wire_event *e, void *ctx) {
    struct record *r = ctx;
    r->total++;
    // Zeroed whole, padding included, so that records compare with memcmp.
    struct seen_event seen;
    memset(&seen, 0, sizeof(seen));
    seen.kind = e->kind;
    seen.packet_id = e->packet_id;
    switch (e->kind) {
        case HUB_WIRE_CONNECT:
            seen.protocol_level = e->protocol_level;
            seen.will = e->will;
            seen.client_id_len = checked_length(e->client_id, HUB_WIRE_MAX_ID);
            copy_prefix(seen.client_id, e->client_id, seen.client_id_len);
            if (!e->will && e->will_topic != NULL) {
                abort();
            }
            seen.topic_len = checked_length(e->will_topic, HUB_WIRE_MAX_TOPIC);
            copy_prefix(seen.topic, e->will_topic, seen.topic_len);
            break;
        case HUB_WIRE_PUBLISH:
            if (e->qos != 1 && e->qos != 2) {
                abort();
            }
            seen.qos = e->qos;
            seen.dup = e->dup;
            seen.topic_len = checked_length(e->topic, HUB_WIRE_MAX_TOPIC);
            copy_prefix(seen.topic, e->topic, seen.topic_len);
            break;
        case HUB_WIRE_PUBACK:
            break;
        default:
            abort();
    }
    if (r->count < MAX_EVENTS) {
        r->events[r->count++] = seen;
    }
}

static void feed(const uint8_t *data, size_t size, size_t chunk, struct record *out) {
    struct hub_wire_stream stream;
    memset(&stream, 0, sizeof(stream));
    stream.want_kinds = HUB_WIRE_WANT_CONNECT | HUB_WIRE_WANT_PUBLISH | HUB_WIRE_WANT_PUBACK;
    for (size_t at = 0; at < size;) {
        size_t n = size - at < chunk ? size - at : chunk;
        if (!hub_wire_feed(&stream, data + at, n, on_event, out)) {
            break;
        }
        at += n;
    }
    hub_wire_reset(&stream);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) {
        return 0;
    }
    size_t chunk = (size_t)data[0] % 7 + 1;
    data++;
    size--;
    static struct record whole;
    static struct record pieces;
    memset(&whole, 0, sizeof(whole));
    memset(&pieces, 0, sizeof(pieces));
    feed(data, size, size > 0 ? size : 1, &whole);
    feed(data, size, chunk, &pieces);
    if (whole.total != pieces.total ||
        memcmp(whole.events, pieces.events, whole.count * sizeof(whole.events[0])) != 0) {
        abort();  // the same bytes in other pieces must give the same events
    }
    return 0;
}
