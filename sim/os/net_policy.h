// SPDX-License-Identifier: MIT
// The device's outbound network policy: which host names the app can resolve, which endpoints a
// connection to them really reaches, and whether the manifest's AllowedConnections lets the app
// connect at all. It is pure bookkeeping with no I/O, so the bus service (net_service.c) and the
// unit tests drive the same decisions.
//
// Name resolution never uses real DNS unless real_dns is set (`run --hub HOSTNAME`): each name in
// the host map gets a synthetic address in 127.77.0.0/16, and a connection to that address is
// decided by the name it stands for, then sent to the endpoint the map gives. With real DNS the
// app resolves for real and reports what it got, so a connection to a real address can still be
// checked by name, as the device's firewall does with its own DNS answers.
//
// Addresses are 16 bytes in network order; IPv4 is IPv4-mapped IPv6 (::ffff:a.b.c.d).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os/manifest.h"

#define SIM_NET_MAX_HOSTS 32
#define SIM_NET_MAX_PORTS 8      // port mappings per host
#define SIM_NET_MAX_RESOLVED 64  // real-DNS answers remembered (oldest forgotten first)
#define SIM_NET_NAME_SIZE 254    // 253 characters of DNS name plus NUL
#define SIM_NET_ADDR_SIZE 16
#define SIM_NET_SYNTHETIC_NET 0x7F4D0000u  // 127.77.0.0/16, host order
#define SIM_NET_TEXT_SIZE 300              // room for "name:port" or an address with a port

struct sim_net_endpoint {
    uint8_t addr[SIM_NET_ADDR_SIZE];
    uint16_t port;
};

struct sim_net_port_map {
    uint16_t from_port;          // 0: every port
    struct sim_net_endpoint to;  // to.port 0: the port the app asked for
};

struct sim_net_host {
    char name[SIM_NET_NAME_SIZE];  // lower case, no trailing dot
    struct sim_net_port_map ports[SIM_NET_MAX_PORTS];
    size_t port_count;
};

struct sim_net_resolved {
    uint8_t addr[SIM_NET_ADDR_SIZE];
    char name[SIM_NET_NAME_SIZE];
};

struct sim_net_policy {
    struct sim_net_host hosts[SIM_NET_MAX_HOSTS];
    size_t host_count;
    bool real_dns;
    struct sim_net_resolved resolved[SIM_NET_MAX_RESOLVED];
    size_t resolved_count;
    size_t resolved_next;  // ring position of the next record
};

enum sim_net_result {
    SIM_NET_OK = 0,
    SIM_NET_ERR_INVALID,  // a bad name, address or port (err says which)
    SIM_NET_ERR_FULL,     // the host map or a host's port list is full
};

enum sim_net_lookup_kind { SIM_NET_LOOKUP_MAPPED = 1, SIM_NET_LOOKUP_REAL_DNS = 2 };

struct sim_net_lookup {
    enum sim_net_lookup_kind kind;
    uint32_t ipv4;  // MAPPED: the synthetic address, host order
};

// What a permitted connection does, and what the OS logs and audits about it.
struct sim_net_connect {
    struct sim_net_endpoint dial;        // where the app's socket really connects
    char host[SIM_NET_NAME_SIZE];        // the name (or address text) the connection was for
    char allowed_by[SIM_NET_NAME_SIZE];  // the AllowedConnections entry that matched, or ""
};

void sim_net_policy_init(struct sim_net_policy *policy);

// Adds a mapping: connections to name (on from_port, or any port when 0) go to `to` (its port
// 0 meaning the same port). `to` must be in 127.0.0.0/8, so nothing the simulator does leaves
// the host. A name already mapped keeps its synthetic address and gains the port mapping.
enum sim_net_result sim_net_policy_map(struct sim_net_policy *policy, const char *name,
                                       uint16_t from_port, const struct sim_net_endpoint *to,
                                       char *err, size_t err_size);

// Parses and adds "NAME[:PORT]=ADDR[:PORT]" (the form `run --map-host` takes).
enum sim_net_result sim_net_policy_map_text(struct sim_net_policy *policy, const char *text,
                                            char *err, size_t err_size);

// True when one AllowedConnections entry admits host: equal ignoring case, or for "*.domain"
// any name with at least one more label that ends in ".domain" (never the bare domain, never
// an IP address).
bool sim_net_entry_matches(const char *entry, const char *host);

// The first AllowedConnections entry that admits host, or NULL.
const char *sim_net_allowed_entry(const struct sim_manifest_capabilities *caps, const char *host);

// Decides a lookup. Returns 0 with *out filled, or ENETDOWN (no network), ENOENT (not a name the
// map knows, or not a valid name, while real DNS is off).
int sim_net_policy_lookup(const struct sim_net_policy *policy, bool network_up, const char *name,
                          struct sim_net_lookup *out);

// Remembers that a real-DNS lookup of name gave addr (only kept while real_dns is on).
void sim_net_policy_note_resolved(struct sim_net_policy *policy, const char *name,
                                  const uint8_t addr[SIM_NET_ADDR_SIZE]);

// Decides a connection to addr:port. Returns 0 with *out filled, or ENETUNREACH (no network),
// EACCES (the name or address is not in AllowedConnections; out->host names it),
// or ECONNREFUSED (a mapped name, but nothing mapped on that port). TCP connections then go
// through the fault proxy (device_proxy.h), which the caller applies.
int sim_net_policy_connect(const struct sim_net_policy *policy,
                           const struct sim_manifest_capabilities *caps, bool network_up,
                           const uint8_t addr[SIM_NET_ADDR_SIZE], uint16_t port,
                           struct sim_net_connect *out);

// Helpers for addresses: build an IPv4-mapped address, read one back (false if not IPv4), and
// format one as text ("127.0.0.1" or an IPv6 form).
void sim_net_addr_from_ipv4(uint32_t ipv4, uint8_t out[SIM_NET_ADDR_SIZE]);
bool sim_net_addr_to_ipv4(const uint8_t addr[SIM_NET_ADDR_SIZE], uint32_t *out_ipv4);
void sim_net_addr_format(const uint8_t addr[SIM_NET_ADDR_SIZE], char *out, size_t out_size);
