// SPDX-License-Identifier: MIT
// Bus requests for the app's outbound networking; see net_service.h. What arrives is hostile:
// lengths are checked against the message and names are printed only after unprintable bytes
// are replaced.
#include "os/net_service.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "os/device_proxy.h"
#include "os/dns_fault.h"
#include "os/net_policy.h"

bool sim_net_available(const struct sim_device *device) {
    return device->network.interface_enabled && device->network.link_up;
}

static void refuse(struct devbus_msg *reply, int err) {
    reply->result = -1;
    reply->err = err;
}

// Copies len bytes of name into out (NUL-terminated, cut to fit) with anything unprintable
// replaced by '?', for logs.
static void printable(const char *name, size_t len, char *out, size_t out_size) {
    size_t n = len < out_size - 1 ? len : out_size - 1;
    for (size_t i = 0; i < n; i++) {
        out[i] = isprint((unsigned char)name[i]) ? name[i] : '?';
    }
    out[n] = '\0';
}

// The request's data as a C string; false (EINVAL) when it cannot be a host name.
static bool request_name(const struct devbus_msg *request, size_t offset, char *out,
                         size_t out_size) {
    if (request->len < offset) {
        return false;
    }
    size_t len = request->len - offset;
    if (len == 0 || len >= out_size || memchr(request->data + offset, '\0', len) != NULL) {
        return false;
    }
    memcpy(out, request->data + offset, len);
    out[len] = '\0';
    return true;
}

static void handle_resolve(struct sim_device *device, const struct devbus_msg *request,
                           struct devbus_msg *reply) {
    char name[SIM_NET_NAME_SIZE + 1];
    char shown[80];
    printable(request->data, request->len, shown, sizeof(shown));
    if (!request_name(request, 0, name, sizeof(name))) {
        sim_device_log_os(&device->log,
                          "net: lookup of \"%s\" failed: not a host name (EAI_NONAME)", shown);
        refuse(reply, ENOENT);
        return;
    }
    // A DNS server that does not answer looks to the app like no network at all (EAI_AGAIN),
    // though the link is up; a down link is still reported as such.
    if (sim_net_available(device) && sim_dns_fault_applies(&device->network.dns, name)) {
        sim_device_log_os(&device->log,
                          "net: lookup of %s failed: the DNS server does not answer (dns fault, "
                          "EAI_AGAIN)",
                          shown);
        refuse(reply, ENETDOWN);
        return;
    }
    struct sim_net_lookup lookup;
    int err = sim_net_policy_lookup(&device->net, sim_net_available(device), name, &lookup);
    if (err == ENETDOWN) {
        sim_device_log_os(&device->log, "net: lookup of %s failed: network down (EAI_AGAIN)",
                          shown);
        refuse(reply, err);
        return;
    }
    if (err != 0) {
        sim_device_log_os(&device->log,
                          "net: lookup of %s failed: not in the device's host map (EAI_NONAME)",
                          shown);
        refuse(reply, err);
        return;
    }
    reply->arg[0] = lookup.kind == SIM_NET_LOOKUP_MAPPED ? DEVBUS_NET_RESOLVE_MAPPED
                                                         : DEVBUS_NET_RESOLVE_REAL_DNS;
    reply->arg[1] = (int32_t)lookup.ipv4;
    if (device->debug) {
        sim_device_log_os(&device->log, "net: lookup of %s: %s", shown,
                          lookup.kind == SIM_NET_LOOKUP_MAPPED ? "mapped" : "real DNS");
    }
}

static void handle_resolved(struct sim_device *device, const struct devbus_msg *request,
                            struct devbus_msg *reply) {
    int32_t count = request->arg[0];
    char name[SIM_NET_NAME_SIZE + 1];
    if (count < 0 || count > (int32_t)DEVBUS_NET_MAX_RESOLVED ||
        !request_name(request, (size_t)count * DEVBUS_NET_ADDR_SIZE, name, sizeof(name))) {
        refuse(reply, EINVAL);
        return;
    }
    for (int32_t i = 0; i < count; i++) {
        sim_net_policy_note_resolved(&device->net, name,
                                     (const uint8_t *)request->data + i * DEVBUS_NET_ADDR_SIZE);
    }
}

static void handle_connect(struct sim_device *device, const struct devbus_msg *request,
                           struct devbus_msg *reply) {
    if (request->len != DEVBUS_NET_ADDR_SIZE || request->arg[0] < 0 || request->arg[0] > 65535) {
        refuse(reply, EINVAL);
        return;
    }
    uint16_t port = (uint16_t)request->arg[0];
    const char *kind = request->arg[1] == SOCK_DGRAM ? "udp" : "tcp";
    struct sim_net_connect decision;
    int err =
        sim_net_policy_connect(&device->net, &device->manifest.caps, sim_net_available(device),
                               (const uint8_t *)request->data, port, &decision);
    char capability[SIM_AUDIT_NAME_SIZE];
    switch (err) {
        case 0: {
            snprintf(capability, sizeof(capability), "AllowedConnections:%s", decision.allowed_by);
            sim_audit_record(&device->audit, capability, true);
            char dial[SIM_NET_TEXT_SIZE];
            sim_net_addr_format(decision.dial.addr, dial, sizeof(dial));
            struct sim_net_endpoint upstream = decision.dial;
            // Only TCP has a fault proxy; datagrams go straight to their endpoint.
            bool proxied = request->arg[1] != SOCK_DGRAM && device->proxy != NULL;
            if (proxied) {
                int proxy_err =
                    sim_device_proxy_dial(device, decision.host, port, &upstream, &decision.dial);
                if (proxy_err != 0) {
                    sim_device_log_os(&device->log,
                                      "net: %s connect to %s:%u failed: the fault proxy has no "
                                      "room for it (%s)",
                                      kind, decision.host, port, strerror(proxy_err));
                    refuse(reply, proxy_err);
                    return;
                }
            }
            sim_device_log_os(&device->log,
                              "net: %s connect to %s:%u -> %s:%u%s (AllowedConnections "
                              "\"%s\")",
                              kind, decision.host, port, dial, upstream.port,
                              proxied ? " via the fault proxy" : "", decision.allowed_by);
            memcpy(reply->data, decision.dial.addr, DEVBUS_NET_ADDR_SIZE);
            reply->len = DEVBUS_NET_ADDR_SIZE;
            reply->arg[0] = decision.dial.port;
            return;
        }
        case EACCES:
            snprintf(capability, sizeof(capability), "AllowedConnections:%s", decision.host);
            sim_audit_record(&device->audit, capability, false);
            sim_device_log_os(&device->log,
                              "denied %s connect to %s:%u: the manifest's AllowedConnections does "
                              "not list it (EACCES)",
                              kind, decision.host, port);
            break;
        case ENETUNREACH:
            sim_device_log_os(&device->log,
                              "net: %s connect to %s:%u failed: network down "
                              "(ENETUNREACH)",
                              kind, decision.host, port);
            break;
        case ECONNREFUSED:
            sim_device_log_os(&device->log,
                              "net: %s connect to %s:%u refused: the host map has nothing on "
                              "port %u (ECONNREFUSED)",
                              kind, decision.host, port, port);
            break;
        default:
            sim_device_log_os(&device->log, "net: %s connect to %s:%u failed: %s", kind,
                              decision.host, port, strerror(err));
            break;
    }
    refuse(reply, err);
}

void sim_net_handle(struct sim_device *device, const struct devbus_msg *request,
                    struct devbus_msg *reply) {
    switch (request->op) {
        case DEVBUS_OP_NET_RESOLVE:
            handle_resolve(device, request, reply);
            break;
        case DEVBUS_OP_NET_RESOLVED:
            handle_resolved(device, request, reply);
            break;
        case DEVBUS_OP_NET_CONNECT:
            handle_connect(device, request, reply);
            break;
        default:
            refuse(reply, EINVAL);
            break;
    }
}
