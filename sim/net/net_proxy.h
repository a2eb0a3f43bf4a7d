// SPDX-License-Identifier: MIT
// The fault proxy: every TCP connection a device makes runs through it. For each upstream
// endpoint (the broker, DPS, …) it listens on a free 127.0.0.1 port; each connection accepted
// there is forwarded to the endpoint's upstream address, and the toxics in force (net_toxic.h)
// are applied to its bytes, separately in each direction.
//
// Driving it: the proxy owns one epoll descriptor, sim_net_proxy_fd, which becomes readable
// whenever the proxy has work, including its own timers (a timerfd inside the set). The OS's event
// loop adds that descriptor to its own epoll set and calls sim_net_proxy_step(proxy, 0) when it
// is readable; a standalone program calls sim_net_proxy_step(proxy, -1) in a loop. No threads,
// and the caller never has to merge the proxy's deadlines into its own. Everything, control calls
// included, must run on one thread.
//
// Randomness: options.seed drives every random choice through per-connection streams
// (net_prng.h). Each choice and each fault the proxy acts on is reported through
// options.on_event, so a scenario trace can record it.
//
// Limits keep memory bounded: a fixed number of endpoints, toxics and connections, and a fixed
// buffer per direction of each connection. A full buffer stops the proxy reading from that side
// until the other side takes the data (backpressure), as TCP itself would.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/net_result.h"
#include "net/net_toxic.h"

#define SIM_NET_MAX_ENDPOINTS 16
#define SIM_NET_MAX_TOXICS 16  // per scope: all endpoints, or one endpoint
#define SIM_NET_DEFAULT_BUFFER (64 * 1024)
#define SIM_NET_DEFAULT_MAX_CONNECTIONS 64
#define SIM_NET_ALL_ENDPOINTS "all"   // scope name for toxics on every endpoint, present and future
#define SIM_NET_ENDPOINT_NAME_MAX 63  // e.g. "hub" or "example.azure-devices.net:8883"

struct sim_net_proxy;

enum sim_net_event_kind {
    SIM_NET_EVENT_OPEN = 1,         // a connection was accepted; value: its ordinal on the endpoint
    SIM_NET_EVENT_CLOSE,            // a connection ended; value: 1 if reset, else 0
    SIM_NET_EVENT_REFUSED,          // accepted over the connection limit and reset at once
    SIM_NET_EVENT_UPSTREAM_FAILED,  // the upstream connect failed; value: errno
    SIM_NET_EVENT_APPLY,            // decision: the toxic applies; value: the draw (ppm)
    SIM_NET_EVENT_SKIP,             // decision: it does not; value: the draw (ppm)
    SIM_NET_EVENT_JITTER,           // decision: a chunk's delay; value: latency + jitter (us)
    SIM_NET_EVENT_SLICE,            // decision: the next slice; value: its size (bytes)
    SIM_NET_EVENT_RESET,            // a reset toxic fired
    SIM_NET_EVENT_CUT,              // limit_data reached; value: bytes let through
    SIM_NET_EVENT_SLOW_CLOSE,       // a FIN is held back; value: the delay (us)
    SIM_NET_EVENT_NETWORK_DOWN,     // value: 1 for stall mode, else 0
    SIM_NET_EVENT_NETWORK_UP,
    SIM_NET_EVENT_NETWORK_RESET,  // a connection was reset because the network went down
};

// One record. Strings are valid only during the callback.
struct sim_net_event {
    int64_t time_us;  // monotonic clock (sim_net_now_us)
    enum sim_net_event_kind kind;
    uint64_t connection_id;  // proxy-wide, from 1; 0 for events of no one connection
    const char *endpoint;    // "" for proxy-wide events
    unsigned direction;      // SIM_NET_UP, SIM_NET_DOWN, or 0
    const char *toxic;       // the toxic's name, or ""
    int64_t value;
};

// Called synchronously from whichever proxy call made the decision; must not call the proxy.
typedef void (*sim_net_event_fn)(const struct sim_net_event *event, void *context);

struct sim_net_proxy_options {
    uint64_t seed;
    size_t buffer_bytes;     // per direction of each connection; 0: SIM_NET_DEFAULT_BUFFER
    size_t max_connections;  // open at once, all endpoints; 0: SIM_NET_DEFAULT_MAX_CONNECTIONS
    sim_net_event_fn on_event;
    void *event_context;
};

// What happens to connections when the network goes down. Either way new connections are refused
// (ECONNREFUSED) until it comes back up.
enum sim_net_down_mode {
    SIM_NET_DOWN_RESET = 0,  // open connections are reset (ECONNRESET on both sides)
    SIM_NET_DOWN_STALL,      // open connections stay, nothing moves until the network is back
};

struct sim_net_endpoint_info {
    char name[SIM_NET_ENDPOINT_NAME_MAX + 1];
    char upstream[64];     // "127.0.0.1:8883"
    uint16_t listen_port;  // on 127.0.0.1
    uint64_t connections_open;
    uint64_t connections_total;    // accepted, including refused ones
    uint64_t connections_refused;  // over the limit, or the upstream connect failed
    uint64_t bytes[2];             // forwarded: [0] up, [1] down
    uint64_t dropped[2];           // discarded by blackhole or limit_data
    size_t toxics;                 // toxics on this endpoint alone (not the "all" scope)
};

const char *sim_net_event_kind_name(enum sim_net_event_kind kind);

// True when name can name an endpoint: 1 to SIM_NET_ENDPOINT_NAME_MAX characters of
// [A-Za-z0-9_.:-], and not SIM_NET_ALL_ENDPOINTS.
int sim_net_endpoint_name_valid(const char *name);

// One line for logs and traces: "conn=3 endpoint=hub dir=down toxic=latency_down apply
// value=123456".
void sim_net_event_format(const struct sim_net_event *event, char *out, size_t out_size);

// Creates a proxy with no endpoints and the network up. Returns SIM_NET_PROXY_OK,
// SIM_NET_PROXY_ERR_INVALID for a NULL argument, or SIM_NET_PROXY_ERR_SYSTEM (errno set) if the
// epoll set or timer cannot be made.
enum sim_net_proxy_result sim_net_proxy_create(const struct sim_net_proxy_options *options,
                                               struct sim_net_proxy **out_proxy);

// Closes every connection (reset) and listener and frees the proxy. NULL is a no-op.
void sim_net_proxy_destroy(struct sim_net_proxy *proxy);

// The epoll descriptor: readable when sim_net_proxy_step has work.
int sim_net_proxy_fd(const struct sim_net_proxy *proxy);

// Waits up to timeout_ms (-1: until there is work, 0: not at all) and does everything that is
// due. Returns SIM_NET_PROXY_OK (also when interrupted by a signal) or SIM_NET_PROXY_ERR_SYSTEM.
enum sim_net_proxy_result sim_net_proxy_step(struct sim_net_proxy *proxy, int timeout_ms);

// Starts listening on a free 127.0.0.1 port for connections to forward to upstream_host (a
// numeric IPv4 or IPv6 address) : upstream_port. Returns SIM_NET_PROXY_OK with the port in
// out_listen_port (may be NULL), SIM_NET_PROXY_ERR_INVALID (a name sim_net_endpoint_name_valid
// refuses, a bad address or port 0),
// SIM_NET_PROXY_ERR_EXISTS, SIM_NET_PROXY_ERR_FULL or SIM_NET_PROXY_ERR_SYSTEM.
enum sim_net_proxy_result sim_net_proxy_add_endpoint(struct sim_net_proxy *proxy, const char *name,
                                                     const char *upstream_host,
                                                     uint16_t upstream_port,
                                                     uint16_t *out_listen_port);

// Stops listening and resets the endpoint's connections. SIM_NET_PROXY_OK or
// SIM_NET_PROXY_ERR_NOT_FOUND.
enum sim_net_proxy_result sim_net_proxy_remove_endpoint(struct sim_net_proxy *proxy,
                                                        const char *name);

// Adds a toxic to an endpoint, or to every endpoint (present and future) with scope
// SIM_NET_ALL_ENDPOINTS or NULL. Open connections meet it at once (each draws its decision then).
// Returns SIM_NET_PROXY_OK, SIM_NET_PROXY_ERR_INVALID (the toxic fails sim_net_toxic_validate),
// SIM_NET_PROXY_ERR_NOT_FOUND (no such endpoint), SIM_NET_PROXY_ERR_EXISTS (the name is taken in
// that scope) or SIM_NET_PROXY_ERR_FULL.
enum sim_net_proxy_result sim_net_proxy_add_toxic(struct sim_net_proxy *proxy, const char *scope,
                                                  const struct sim_net_toxic *toxic);

// Removes a toxic by name; its effects stop at once (data it already delayed keeps its time).
// SIM_NET_PROXY_OK or SIM_NET_PROXY_ERR_NOT_FOUND.
enum sim_net_proxy_result sim_net_proxy_remove_toxic(struct sim_net_proxy *proxy, const char *scope,
                                                     const char *name);

// Removes every toxic in a scope. SIM_NET_PROXY_OK or SIM_NET_PROXY_ERR_NOT_FOUND.
enum sim_net_proxy_result sim_net_proxy_clear_toxics(struct sim_net_proxy *proxy,
                                                     const char *scope);

// Copies up to capacity toxics of a scope, in the order they were added, to out_toxics and their
// number to out_count. SIM_NET_PROXY_OK or SIM_NET_PROXY_ERR_NOT_FOUND.
enum sim_net_proxy_result sim_net_proxy_list_toxics(const struct sim_net_proxy *proxy,
                                                    const char *scope,
                                                    struct sim_net_toxic *out_toxics,
                                                    size_t capacity, size_t *out_count);

// Takes the network down (new connections refused; open ones reset or stalled) or brings it back.
void sim_net_proxy_set_network(struct sim_net_proxy *proxy, int up, enum sim_net_down_mode mode);
int sim_net_proxy_network_up(const struct sim_net_proxy *proxy);

// The number of endpoints, and each one's counters by index (in the order they were added) or by
// name. SIM_NET_PROXY_OK or SIM_NET_PROXY_ERR_NOT_FOUND.
size_t sim_net_proxy_endpoint_count(const struct sim_net_proxy *proxy);
enum sim_net_proxy_result sim_net_proxy_endpoint_at(const struct sim_net_proxy *proxy, size_t index,
                                                    struct sim_net_endpoint_info *out_info);
enum sim_net_proxy_result sim_net_proxy_endpoint_info(const struct sim_net_proxy *proxy,
                                                      const char *name,
                                                      struct sim_net_endpoint_info *out_info);
