// SPDX-License-Identifier: MIT
// The fault proxy's insides, shared by net_proxy.c (the object, endpoints, toxics, the loop) and
// net_conn.c (one proxied connection and its two flows). Not for use outside sim/net.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "net/net_prng.h"
#include "net/net_proxy.h"
#include "net/net_schedule.h"
#include "net/net_units.h"

// Segment descriptors per flow: each read (or merged run of reads) is one segment with its own
// release time. A full table is backpressure, like a full buffer.
#define NET_SEGMENTS 128
// Toxic states per flow: the "all" scope's and the endpoint's.
#define NET_FLOW_TOXICS (2 * SIM_NET_MAX_TOXICS)

enum net_watch_kind { NET_WATCH_LISTENER = 1, NET_WATCH_SIDE, NET_WATCH_TIMER };

// What an epoll event's data.ptr points at.
struct net_watch {
    enum net_watch_kind kind;
    void *owner;  // struct net_endpoint or struct net_conn
    int side;     // NET_WATCH_SIDE: 0 the device's socket, 1 the upstream socket
};

struct net_toxic_entry {
    uint32_t id;  // proxy-wide, never reused: a connection tells a re-added toxic from the old
    struct sim_net_toxic toxic;
};

struct net_scope {
    struct net_toxic_entry entries[SIM_NET_MAX_TOXICS];
    size_t count;
};

struct net_endpoint {
    bool used;
    char name[SIM_NET_ENDPOINT_NAME_MAX + 1];
    uint64_t name_hash;
    struct sockaddr_storage upstream;
    socklen_t upstream_len;
    char upstream_text[64];
    int listen_fd;
    uint16_t listen_port;
    bool listening;  // false while the network is down (the listener is shut, connects refused)
    int64_t accept_paused_until_us;  // out of descriptors: the listener rests until then (or 0)
    struct net_watch watch;
    struct net_scope scope;
    uint64_t next_ordinal;
    uint64_t open;
    uint64_t total;
    uint64_t refused;
    uint64_t bytes[2];
    uint64_t dropped[2];
};

// One toxic as one flow of one connection met it.
struct net_toxic_state {
    uint32_t id;
    enum sim_net_toxic_kind kind;
    char name[SIM_NET_TOXIC_NAME_MAX + 1];
    bool active;  // the probability draw said yes
    struct sim_net_toxic toxic;
    uint64_t passed;   // limit_data: bytes let through since it met the connection
    int64_t reset_at;  // reset: when it fires; SIM_NET_NO_DEADLINE once fired or inactive
};

struct net_segment {
    size_t len;  // bytes not yet written
    int64_t release_us;
};

// One direction of a connection: bytes read from src wait in the ring until they may be written
// to dst.
struct net_flow {
    unsigned direction;  // SIM_NET_UP or SIM_NET_DOWN
    int src;             // side indexes into net_conn.fd
    int dst;
    // Three streams, so that how many jitters the kernel's chunking asks for never shifts a
    // probability decision or a slice size.
    struct sim_net_prng prng;  // probability decisions
    struct sim_net_prng jitter_prng;
    struct sim_net_prng slice_prng;
    struct net_toxic_state states[NET_FLOW_TOXICS];
    size_t state_count;

    uint8_t *ring;
    size_t ring_size;
    size_t head;  // first unwritten byte
    size_t used;
    struct net_segment segments[NET_SEGMENTS];
    size_t seg_head;
    size_t seg_count;
    int64_t last_release_us;

    // The active toxics, combined (recomputed when the toxics change).
    uint64_t latency_us;  // sum of active latencies
    uint64_t jitter_us;   // sum of their jitters
    uint64_t rate;        // lowest active bandwidth; 0 = none
    bool blackhole;
    const struct net_toxic_state *slicer;  // first active slicer, or NULL
    uint64_t slow_close_us;                // longest active slow_close
    bool has_slow_close;

    struct sim_net_pacer pacer;
    uint64_t slice_left;  // bytes left in the current slice
    int64_t gate_us;      // no write before this (bandwidth, slicer pause)
    bool src_eof;         // src sent FIN (or the flow was cut)
    bool cut;             // limit_data reached: the connection closes once the ring drains
    bool fin_sent;        // FIN passed on to dst
    int64_t fin_at_us;    // slow_close: when the FIN may go; 0 = not yet decided
    bool write_blocked;   // dst's socket buffer is full: wait for EPOLLOUT
};

struct net_conn {
    struct sim_net_proxy *proxy;
    struct net_endpoint *endpoint;
    struct net_conn *next;
    uint64_t id;
    uint64_t ordinal;
    int fd[2];  // [0] the device's (accepted) socket, [1] the upstream socket
    uint32_t mask[2];
    bool registered[2];
    struct net_watch watch[2];
    bool connecting;
    bool dead;  // closed; freed after the current batch of events
    uint64_t toxic_generation;
    struct net_flow flow[2];  // [0] up, [1] down
    int64_t deadline_us;
};

struct sim_net_proxy {
    struct sim_net_proxy_options options;
    int epoll_fd;
    int timer_fd;
    struct net_watch timer_watch;
    int64_t timer_armed_us;
    struct net_scope all;
    struct net_endpoint endpoints[SIM_NET_MAX_ENDPOINTS];
    size_t endpoint_order[SIM_NET_MAX_ENDPOINTS];  // indexes of used endpoints, oldest first
    size_t endpoint_count;
    struct net_conn *conns;
    size_t conn_count;
    uint64_t next_conn_id;
    uint32_t next_toxic_id;
    uint64_t toxic_generation;  // bumped on every toxic change
    bool network_up;
    bool stalled;
};

// Reports an event through the proxy's callback, stamped with the current time.
void net_emit(struct sim_net_proxy *proxy, enum sim_net_event_kind kind, uint64_t connection_id,
              const char *endpoint, unsigned direction, const char *toxic, int64_t value);

// Takes a freshly accepted socket for endpoint and starts forwarding it. Returns SIM_NET_PROXY_OK,
// or an error after closing the socket with a reset (the caller counts it as refused).
enum sim_net_proxy_result net_conn_open(struct sim_net_proxy *proxy, struct net_endpoint *endpoint,
                                        int client_fd);

// Does everything the connection can do now: toxics sync, connect completion, reads, due writes,
// closes, faults. Leaves conn->deadline_us at its next timed action and its epoll interest set.
void net_conn_pump(struct net_conn *conn);

// Closes both sockets, each with a reset (RST) or a graceful close, and marks the connection
// dead. Idempotent.
void net_conn_abort(struct net_conn *conn, bool reset_device, bool reset_upstream);

// Frees a dead connection's memory (its sockets are already closed).
void net_conn_free(struct net_conn *conn);
