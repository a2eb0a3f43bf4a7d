// SPDX-License-Identifier: MIT
// The device's outbound network policy; see net_policy.h. Host names are compared in lower case
// without a trailing dot, which is how DNS treats them.
#include "os/net_policy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void set_err(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_size, const char *fmt, ...) {
    if (err == NULL || err_size == 0) {
        return;
    }
    va_list args;
    va_start(args, fmt);
    vsnprintf(err, err_size, fmt, args);
    va_end(args);
}

void sim_net_policy_init(struct sim_net_policy *policy) {
    memset(policy, 0, sizeof(*policy));
}

void sim_net_addr_from_ipv4(uint32_t ipv4, uint8_t out[SIM_NET_ADDR_SIZE]) {
    memset(out, 0, SIM_NET_ADDR_SIZE);
    out[10] = 0xff;
    out[11] = 0xff;
    out[12] = (uint8_t)(ipv4 >> 24);
    out[13] = (uint8_t)(ipv4 >> 16);
    out[14] = (uint8_t)(ipv4 >> 8);
    out[15] = (uint8_t)ipv4;
}

bool sim_net_addr_to_ipv4(const uint8_t addr[SIM_NET_ADDR_SIZE], uint32_t *out_ipv4) {
    static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (memcmp(addr, prefix, sizeof(prefix)) != 0) {
        return false;
    }
    *out_ipv4 = (uint32_t)addr[12] << 24 | (uint32_t)addr[13] << 16 | (uint32_t)addr[14] << 8 |
                (uint32_t)addr[15];
    return true;
}

void sim_net_addr_format(const uint8_t addr[SIM_NET_ADDR_SIZE], char *out, size_t out_size) {
    char text[INET6_ADDRSTRLEN];
    uint32_t ipv4;
    const char *done = NULL;
    if (sim_net_addr_to_ipv4(addr, &ipv4)) {
        struct in_addr in = {.s_addr = htonl(ipv4)};
        done = inet_ntop(AF_INET, &in, text, sizeof(text));
    } else {
        done = inet_ntop(AF_INET6, addr, text, sizeof(text));
    }
    snprintf(out, out_size, "%s", done != NULL ? text : "?");
}

static bool is_ip_literal(const char *text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

// Copies name into out in lower case without one trailing dot, if it is a valid DNS name: 1 to
// 253 characters of letters, digits, '-' and '_', in non-empty labels of at most 63.
static bool normalise_name(const char *name, char out[SIM_NET_NAME_SIZE]) {
    size_t len = strnlen(name, SIM_NET_NAME_SIZE + 1);
    if (len > 0 && name[len - 1] == '.') {
        len--;
    }
    if (len == 0 || len >= SIM_NET_NAME_SIZE) {
        return false;
    }
    size_t label = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0) {
                return false;
            }
            label = 0;
        } else if (isalnum(c) || c == '-' || c == '_') {
            if (++label > 63) {
                return false;
            }
        } else {
            return false;
        }
        out[i] = (char)tolower(c);
    }
    out[len] = '\0';
    return label > 0;
}

static struct sim_net_host *find_host(const struct sim_net_policy *policy, const char *name) {
    for (size_t i = 0; i < policy->host_count; i++) {
        if (strcmp(policy->hosts[i].name, name) == 0) {
            return (struct sim_net_host *)&policy->hosts[i];
        }
    }
    return NULL;
}

enum sim_net_result sim_net_policy_map(struct sim_net_policy *policy, const char *name,
                                       uint16_t from_port, const struct sim_net_endpoint *to,
                                       char *err, size_t err_size) {
    char normal[SIM_NET_NAME_SIZE];
    if (name == NULL || !normalise_name(name, normal) || is_ip_literal(normal)) {
        set_err(err, err_size, "'%.260s' is not a host name", name != NULL ? name : "(null)");
        return SIM_NET_ERR_INVALID;
    }
    uint32_t ipv4;
    if (!sim_net_addr_to_ipv4(to->addr, &ipv4) || (ipv4 >> 24) != 127) {
        char text[SIM_NET_TEXT_SIZE];
        sim_net_addr_format(to->addr, text, sizeof(text));
        set_err(err, err_size, "%s: the endpoint %s is not a loopback (127.0.0.0/8) address",
                normal, text);
        return SIM_NET_ERR_INVALID;
    }
    struct sim_net_host *host = find_host(policy, normal);
    if (host == NULL) {
        if (policy->host_count == SIM_NET_MAX_HOSTS) {
            set_err(err, err_size, "%s: the host map is full (%d names)", normal,
                    SIM_NET_MAX_HOSTS);
            return SIM_NET_ERR_FULL;
        }
        host = &policy->hosts[policy->host_count++];
        memset(host, 0, sizeof(*host));
        memcpy(host->name, normal, strlen(normal) + 1);
    }
    for (size_t i = 0; i < host->port_count; i++) {
        if (host->ports[i].from_port == from_port) {
            host->ports[i].to = *to;  // the later mapping wins
            return SIM_NET_OK;
        }
    }
    if (host->port_count == SIM_NET_MAX_PORTS) {
        set_err(err, err_size, "%s: more than %d port mappings", normal, SIM_NET_MAX_PORTS);
        return SIM_NET_ERR_FULL;
    }
    host->ports[host->port_count++] = (struct sim_net_port_map){.from_port = from_port, .to = *to};
    return SIM_NET_OK;
}

// Parses "PORT" (1-65535) from text[0..len).
static bool parse_port(const char *text, size_t len, uint16_t *out) {
    if (len == 0 || len > 5) {
        return false;
    }
    unsigned long value = 0;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)text[i])) {
            return false;
        }
        value = value * 10 + (unsigned long)(text[i] - '0');
    }
    if (value == 0 || value > 65535) {
        return false;
    }
    *out = (uint16_t)value;
    return true;
}

enum sim_net_result sim_net_policy_map_text(struct sim_net_policy *policy, const char *text,
                                            char *err, size_t err_size) {
    const char *equals = strchr(text, '=');
    if (equals == NULL || strchr(equals + 1, '=') != NULL) {
        set_err(err, err_size, "'%.260s': expected NAME[:PORT]=ADDRESS[:PORT]", text);
        return SIM_NET_ERR_INVALID;
    }
    char name[SIM_NET_NAME_SIZE + 8];
    size_t left_len = (size_t)(equals - text);
    if (left_len >= sizeof(name)) {
        set_err(err, err_size, "'%.260s': the host name is too long", text);
        return SIM_NET_ERR_INVALID;
    }
    memcpy(name, text, left_len);
    name[left_len] = '\0';
    uint16_t from_port = 0;
    char *colon = strchr(name, ':');
    if (colon != NULL) {
        if (!parse_port(colon + 1, strlen(colon + 1), &from_port)) {
            set_err(err, err_size, "'%.260s': '%s' is not a port (1-65535)", text, colon + 1);
            return SIM_NET_ERR_INVALID;
        }
        *colon = '\0';
    }
    const char *right = equals + 1;
    char address[INET_ADDRSTRLEN];
    const char *right_colon = strchr(right, ':');
    size_t address_len = right_colon != NULL ? (size_t)(right_colon - right) : strlen(right);
    struct sim_net_endpoint to = {.port = 0};
    struct in_addr in;
    if (address_len == 0 || address_len >= sizeof(address)) {
        set_err(err, err_size, "'%.260s': expected an IPv4 address after '='", text);
        return SIM_NET_ERR_INVALID;
    }
    memcpy(address, right, address_len);
    address[address_len] = '\0';
    if (inet_pton(AF_INET, address, &in) != 1) {
        set_err(err, err_size, "'%.260s': '%s' is not an IPv4 address", text, address);
        return SIM_NET_ERR_INVALID;
    }
    if (right_colon != NULL && !parse_port(right_colon + 1, strlen(right_colon + 1), &to.port)) {
        set_err(err, err_size, "'%.260s': '%s' is not a port (1-65535)", text, right_colon + 1);
        return SIM_NET_ERR_INVALID;
    }
    sim_net_addr_from_ipv4(ntohl(in.s_addr), to.addr);
    return sim_net_policy_map(policy, name, from_port, &to, err, err_size);
}

bool sim_net_entry_matches(const char *entry, const char *host) {
    if (entry == NULL || host == NULL) {
        return false;
    }
    size_t host_len = strlen(host);
    if (host_len > 0 && host[host_len - 1] == '.') {
        host_len--;
    }
    if (strncmp(entry, "*.", 2) != 0) {
        return strlen(entry) == host_len && strncasecmp(entry, host, host_len) == 0;
    }
    if (is_ip_literal(host)) {
        return false;
    }
    const char *domain = entry + 1;  // ".domain"
    size_t domain_len = strlen(domain);
    // At least one label before the domain: "x" + ".domain", so never the bare domain.
    return host_len > domain_len && host[0] != '.' &&
           strncasecmp(host + host_len - domain_len, domain, domain_len) == 0;
}

const char *sim_net_allowed_entry(const struct sim_manifest_capabilities *caps, const char *host) {
    for (size_t i = 0; i < caps->allowed_connection_count; i++) {
        if (sim_net_entry_matches(caps->allowed_connections[i], host)) {
            return caps->allowed_connections[i];
        }
    }
    return NULL;
}

int sim_net_policy_lookup(const struct sim_net_policy *policy, bool network_up, const char *name,
                          struct sim_net_lookup *out) {
    if (!network_up) {
        return ENETDOWN;
    }
    char normal[SIM_NET_NAME_SIZE];
    if (name == NULL || !normalise_name(name, normal)) {
        return ENOENT;
    }
    for (size_t i = 0; i < policy->host_count; i++) {
        if (strcmp(policy->hosts[i].name, normal) == 0) {
            *out = (struct sim_net_lookup){.kind = SIM_NET_LOOKUP_MAPPED,
                                           .ipv4 = SIM_NET_SYNTHETIC_NET | (uint32_t)(i + 1)};
            return 0;
        }
    }
    if (policy->real_dns) {
        *out = (struct sim_net_lookup){.kind = SIM_NET_LOOKUP_REAL_DNS};
        return 0;
    }
    return ENOENT;
}

void sim_net_policy_note_resolved(struct sim_net_policy *policy, const char *name,
                                  const uint8_t addr[SIM_NET_ADDR_SIZE]) {
    char normal[SIM_NET_NAME_SIZE];
    if (!policy->real_dns || name == NULL || !normalise_name(name, normal)) {
        return;
    }
    for (size_t i = 0; i < policy->resolved_count; i++) {
        struct sim_net_resolved *known = &policy->resolved[i];
        if (memcmp(known->addr, addr, SIM_NET_ADDR_SIZE) == 0 && strcmp(known->name, normal) == 0) {
            return;
        }
    }
    struct sim_net_resolved *slot = &policy->resolved[policy->resolved_next];
    memcpy(slot->addr, addr, SIM_NET_ADDR_SIZE);
    memcpy(slot->name, normal, strlen(normal) + 1);
    policy->resolved_next = (policy->resolved_next + 1) % SIM_NET_MAX_RESOLVED;
    if (policy->resolved_count < SIM_NET_MAX_RESOLVED) {
        policy->resolved_count++;
    }
}

static const struct sim_net_host *synthetic_host(const struct sim_net_policy *policy,
                                                 const uint8_t addr[SIM_NET_ADDR_SIZE]) {
    uint32_t ipv4;
    if (!sim_net_addr_to_ipv4(addr, &ipv4) || (ipv4 & 0xFFFF0000u) != SIM_NET_SYNTHETIC_NET) {
        return NULL;
    }
    uint32_t index = ipv4 & 0xFFFFu;
    return index >= 1 && index <= policy->host_count ? &policy->hosts[index - 1] : NULL;
}

static const struct sim_net_port_map *find_port(const struct sim_net_host *host, uint16_t port) {
    const struct sim_net_port_map *any = NULL;
    for (size_t i = 0; i < host->port_count; i++) {
        if (host->ports[i].from_port == port) {
            return &host->ports[i];
        }
        if (host->ports[i].from_port == 0) {
            any = &host->ports[i];
        }
    }
    return any;
}

// For a real address: the name a real-DNS lookup gave it that AllowedConnections admits (or, if
// none does, the latest name it was resolved for, so a denial names it), and the entry.
static const char *resolved_name(const struct sim_net_policy *policy,
                                 const struct sim_manifest_capabilities *caps,
                                 const uint8_t addr[SIM_NET_ADDR_SIZE], const char **out_entry) {
    const char *seen = NULL;
    *out_entry = NULL;
    for (size_t n = 0; n < policy->resolved_count; n++) {
        // Newest first.
        size_t i = (policy->resolved_next + SIM_NET_MAX_RESOLVED - 1 - n) % SIM_NET_MAX_RESOLVED;
        const struct sim_net_resolved *known = &policy->resolved[i];
        if (memcmp(known->addr, addr, SIM_NET_ADDR_SIZE) != 0) {
            continue;
        }
        const char *entry = sim_net_allowed_entry(caps, known->name);
        if (entry != NULL) {
            *out_entry = entry;
            return known->name;
        }
        if (seen == NULL) {
            seen = known->name;
        }
    }
    return seen;
}

int sim_net_policy_connect(const struct sim_net_policy *policy,
                           const struct sim_manifest_capabilities *caps, bool network_up,
                           const uint8_t addr[SIM_NET_ADDR_SIZE], uint16_t port,
                           struct sim_net_connect *out) {
    memset(out, 0, sizeof(*out));
    const char *entry = NULL;
    const struct sim_net_host *host = synthetic_host(policy, addr);
    const char *name = NULL;
    if (host != NULL) {
        name = host->name;
        entry = sim_net_allowed_entry(caps, name);
    } else if (policy->real_dns) {
        name = resolved_name(policy, caps, addr, &entry);
    }
    if (name != NULL) {
        snprintf(out->host, sizeof(out->host), "%s", name);
    } else {
        // An address the app did not get from a lookup: only an IP entry can admit it.
        sim_net_addr_format(addr, out->host, sizeof(out->host));
        entry = sim_net_allowed_entry(caps, out->host);
    }
    if (!network_up) {
        return ENETUNREACH;
    }
    if (entry == NULL) {
        return EACCES;
    }
    memcpy(out->dial.addr, addr, SIM_NET_ADDR_SIZE);
    out->dial.port = port;
    if (host != NULL) {
        const struct sim_net_port_map *map = find_port(host, port);
        if (map == NULL) {
            return ECONNREFUSED;
        }
        out->dial = map->to;
        if (out->dial.port == 0) {
            out->dial.port = port;
        }
    }
    snprintf(out->allowed_by, sizeof(out->allowed_by), "%s", entry);
    return 0;
}
