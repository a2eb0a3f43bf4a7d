// SPDX-License-Identifier: MIT
// The MQTT stream watcher (see hub_wire.h): fixed header, remaining length, then as much of the
// body as the packet's kind needs, whatever sizes the bytes arrive in.

#include "cloud/hub_wire.h"

#include <stdlib.h>
#include <string.h>

enum {
    STATE_HEADER = 0,
    STATE_LENGTH,
    STATE_BODY,
};

#define TYPE_CONNECT 1
#define TYPE_PUBLISH 3
#define TYPE_PUBACK 4
#define PUBLISH_PREFIX_MAX (2 + HUB_WIRE_MAX_TOPIC + 2)

// A cursor over the kept body prefix; every read checks the bounds.
struct reader {
    const unsigned char *p;
    size_t left;
};

static bool read_u8(struct reader *r, uint8_t *out) {
    if (r->left < 1) {
        return false;
    }
    *out = r->p[0];
    r->p++;
    r->left--;
    return true;
}

static bool read_u16(struct reader *r, uint16_t *out) {
    if (r->left < 2) {
        return false;
    }
    *out = (uint16_t)((r->p[0] << 8) | r->p[1]);
    r->p += 2;
    r->left -= 2;
    return true;
}

// A length-prefixed string; *out points into the buffer (not NUL-terminated).
static bool read_string(struct reader *r, const unsigned char **out, uint16_t *out_len) {
    uint16_t len = 0;
    if (!read_u16(r, &len) || r->left < len) {
        return false;
    }
    *out = r->p;
    *out_len = len;
    r->p += len;
    r->left -= len;
    return true;
}

// Skips an MQTT 5 property block (a variable byte integer length, then that many bytes).
static bool skip_properties(struct reader *r) {
    uint32_t len = 0;
    uint32_t multiplier = 1;
    for (int i = 0;; i++) {
        uint8_t byte = 0;
        if (i == 4 || !read_u8(r, &byte)) {
            return false;
        }
        len += (uint32_t)(byte & 0x7f) * multiplier;
        multiplier *= 128;
        if ((byte & 0x80) == 0) {
            break;
        }
    }
    if (r->left < len) {
        return false;
    }
    r->p += len;
    r->left -= len;
    return true;
}

// Copies a string into a NUL-terminated buffer; false when it holds a NUL (or does not fit).
static bool terminate(const unsigned char *s, uint16_t len, char *out, size_t out_size) {
    if (len >= out_size || memchr(s, '\0', len) != NULL) {
        return false;
    }
    memcpy(out, s, len);
    out[len] = '\0';
    return true;
}

static void emit_connect(const struct hub_wire_stream *st, hub_wire_fn fn, void *ctx) {
    struct reader r = {st->buf, st->got};
    const unsigned char *name = NULL;
    uint16_t name_len = 0;
    uint8_t level = 0;
    uint8_t flags = 0;
    uint16_t keepalive = 0;
    if (!read_string(&r, &name, &name_len) || !read_u8(&r, &level) || !read_u8(&r, &flags) ||
        !read_u16(&r, &keepalive) || (level == 5 && !skip_properties(&r))) {
        return;
    }
    const unsigned char *id = NULL;
    uint16_t id_len = 0;
    char client_id[HUB_WIRE_MAX_ID + 1];
    if (!read_string(&r, &id, &id_len)) {
        return;
    }
    if (!terminate(id, id_len < HUB_WIRE_MAX_ID ? id_len : HUB_WIRE_MAX_ID, client_id,
                   sizeof client_id)) {
        return;
    }
    struct hub_wire_event event = {
        .kind = HUB_WIRE_CONNECT,
        .protocol_level = level,
        .client_id = client_id,
        .will = (flags & 0x04) != 0,
    };
    // The will topic: NULL when it cannot be read (cut off by the cap, or holding a NUL).
    static char will_topic[HUB_WIRE_MAX_TOPIC + 1];
    const unsigned char *topic = NULL;
    uint16_t topic_len = 0;
    if (event.will && (level != 5 || skip_properties(&r)) && read_string(&r, &topic, &topic_len) &&
        terminate(topic, topic_len, will_topic, sizeof will_topic)) {
        event.will_topic = will_topic;
    }
    fn(&event, ctx);
}

static void emit_publish(const struct hub_wire_stream *st, hub_wire_fn fn, void *ctx) {
    struct reader r = {st->buf, st->got};
    const unsigned char *topic = NULL;
    uint16_t topic_len = 0;
    uint16_t packet_id = 0;
    if (!read_string(&r, &topic, &topic_len) || !read_u16(&r, &packet_id)) {
        return;
    }
    static char text[HUB_WIRE_MAX_TOPIC + 1];
    if (!terminate(topic, topic_len, text, sizeof text)) {
        return;
    }
    struct hub_wire_event event = {
        .kind = HUB_WIRE_PUBLISH,
        .topic = text,
        .qos = (st->header >> 1) & 3,
        .dup = (st->header & 0x08) != 0,
        .packet_id = packet_id,
    };
    fn(&event, ctx);
}

static void emit(struct hub_wire_stream *st, hub_wire_fn fn, void *ctx) {
    int type = st->header >> 4;
    bool first = !st->seen_first;
    st->seen_first = true;
    if (type == TYPE_CONNECT && first && (st->want_kinds & HUB_WIRE_WANT_CONNECT) != 0) {
        emit_connect(st, fn, ctx);
    } else if (type == TYPE_PUBLISH && st->want > 0) {
        emit_publish(st, fn, ctx);
    } else if (type == TYPE_PUBACK && st->want > 0 && st->got == 2) {
        struct hub_wire_event event = {
            .kind = HUB_WIRE_PUBACK,
            .packet_id = (uint16_t)((st->buf[0] << 8) | st->buf[1]),
        };
        fn(&event, ctx);
    }
}

// How much of the body the packet in st->header needs kept; -1 for a malformed header.
static long body_wanted(const struct hub_wire_stream *st) {
    int type = st->header >> 4;
    size_t length = st->length;
    if (type == 0 || type == 15) {
        return -1;  // reserved (15 is AUTH in MQTT 5, which no device of the hub sends)
    }
    if (type == TYPE_CONNECT && (st->want_kinds & HUB_WIRE_WANT_CONNECT) != 0 && !st->seen_first) {
        return (long)(length < HUB_WIRE_CONNECT_CAP ? length : HUB_WIRE_CONNECT_CAP);
    }
    if (type == TYPE_PUBLISH) {
        int qos = (st->header >> 1) & 3;
        if (qos == 3) {
            return -1;
        }
        if (qos == 0 || (st->want_kinds & HUB_WIRE_WANT_PUBLISH) == 0) {
            return 0;
        }
        return (long)(length < PUBLISH_PREFIX_MAX ? length : PUBLISH_PREFIX_MAX);
    }
    if (type == TYPE_PUBACK && (st->want_kinds & HUB_WIRE_WANT_PUBACK) != 0) {
        return length >= 2 ? 2 : 0;
    }
    return 0;
}

// The remaining length is complete: get ready for the body.
static bool start_body(struct hub_wire_stream *st, hub_wire_fn fn, void *ctx) {
    long wanted = body_wanted(st);
    if (wanted < 0) {
        return false;
    }
    st->want = (size_t)wanted;
    st->got = 0;
    st->remaining = st->length;
    if (st->want > st->cap) {
        unsigned char *grown = realloc(st->buf, st->want);
        if (grown == NULL) {
            return false;
        }
        st->buf = grown;
        st->cap = st->want;
    }
    st->state = STATE_BODY;
    if (st->remaining == 0) {
        emit(st, fn, ctx);
        st->state = STATE_HEADER;
    }
    return true;
}

bool hub_wire_feed(struct hub_wire_stream *st, const void *data, size_t len, hub_wire_fn fn,
                   void *ctx) {
    const unsigned char *p = data;
    while (!st->broken && len > 0) {
        if (st->state == STATE_HEADER) {
            st->header = *p++;
            len--;
            st->length = 0;
            st->multiplier = 1;
            st->length_bytes = 0;
            st->state = STATE_LENGTH;
        } else if (st->state == STATE_LENGTH) {
            uint8_t byte = *p++;
            len--;
            st->length += (uint32_t)(byte & 0x7f) * st->multiplier;
            st->multiplier *= 128;
            if (++st->length_bytes > 4) {
                st->broken = true;
            } else if ((byte & 0x80) == 0 && !start_body(st, fn, ctx)) {
                st->broken = true;
            }
        } else {
            size_t take = len < st->remaining ? len : st->remaining;
            if (st->got < st->want) {
                size_t keep = st->want - st->got < take ? st->want - st->got : take;
                memcpy(st->buf + st->got, p, keep);
                st->got += keep;
            }
            p += take;
            len -= take;
            st->remaining -= (uint32_t)take;
            if (st->remaining == 0) {
                emit(st, fn, ctx);
                st->state = STATE_HEADER;
            }
        }
    }
    return !st->broken;
}

void hub_wire_reset(struct hub_wire_stream *stream) {
    free(stream->buf);
    memset(stream, 0, sizeof *stream);
}
