// SPDX-License-Identifier: MIT
// Watching the MQTT bytes of one direction of one connection, as the TLS shim inside the broker
// sees them (hub_tls_preload.c): what the broker reads from a client and writes to it, in the
// arbitrary pieces SSL_read and SSL_write move. mosquitto 2.0's plugin API shows a plugin neither
// a client's will at CONNECT nor the PUBACK that completes a message it sent; on the wire both are
// plain to see. The parser reports only what the hub needs:
//   - CONNECT (the first packet a client sends): client id and will topic;
//   - PUBLISH at QoS 1 or 2: topic and packet id;
//   - PUBACK: packet id.
// Everything else is skipped without being buffered. Input is hostile: lengths are checked
// against what the packet holds, and a stream that breaks MQTT's framing is given up on (no more
// events), never read out of bounds. No I/O: unit-tested on its own. The strings an event points
// to live in buffers shared by all streams, so one thread (the broker's) feeds them all.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HUB_WIRE_MAX_ID 256       // longer client ids are reported cut ("" would be ambiguous)
#define HUB_WIRE_MAX_TOPIC 65535  // MQTT's own limit
#define HUB_WIRE_CONNECT_CAP \
    140000  // CONNECT bytes kept: room for every field up to the will topic

enum hub_wire_kind {
    HUB_WIRE_CONNECT = 1,
    HUB_WIRE_PUBLISH,
    HUB_WIRE_PUBACK,
};

struct hub_wire_event {
    enum hub_wire_kind kind;
    // CONNECT
    int protocol_level;  // 3 (3.1), 4 (3.1.1) or 5
    const char *client_id;
    bool will;               // the will flag was set
    const char *will_topic;  // NUL-terminated; NULL when will is false or the topic was unreadable
    // PUBLISH
    const char *topic;  // NUL-terminated (a topic holding NUL is not reported)
    int qos;
    bool dup;
    // PUBLISH and PUBACK
    uint16_t packet_id;
};

typedef void (*hub_wire_fn)(const struct hub_wire_event *event, void *ctx);

#define HUB_WIRE_WANT_CONNECT (1u << HUB_WIRE_CONNECT)
#define HUB_WIRE_WANT_PUBLISH (1u << HUB_WIRE_PUBLISH)
#define HUB_WIRE_WANT_PUBACK (1u << HUB_WIRE_PUBACK)

// One direction of one connection. Zero it, then set want (HUB_WIRE_WANT_* bits): packets of
// other kinds are skipped without being kept. hub_wire_reset frees what it holds.
struct hub_wire_stream {
    unsigned want_kinds;
    int state;
    uint8_t header;
    uint32_t remaining;  // body bytes of the current packet still to come
    uint32_t length;     // the current packet's remaining length
    uint32_t multiplier;
    int length_bytes;
    unsigned char *buf;  // the body prefix kept for the current packet
    size_t cap;          // buf's size
    size_t want;         // how much of the body to keep
    size_t got;
    bool seen_first;
    bool broken;  // framing was violated: nothing more is reported
};

// Feeds bytes in stream order; fn is called for each complete packet of interest, with pointers
// valid only during the call. Returns false once the stream is broken (or memory ran out).
bool hub_wire_feed(struct hub_wire_stream *stream, const void *data, size_t len, hub_wire_fn fn,
                   void *ctx);

// Frees the stream's buffer and zeroes it (want_kinds included).
void hub_wire_reset(struct hub_wire_stream *stream);
