// SPDX-License-Identifier: MIT
// A DNS server that stops answering: while the fault is on, the app's name lookups (all of them,
// or those matching one name or "*.domain" pattern) fail with EAI_AGAIN, as when the network is
// down, although the link stays up and Networking_IsNetworkingReady still says ready.
// Connections already open are not touched, and neither are connections to addresses the app
// already has. net_service.c consults it for every lookup; `ctl dns` sets it.
#pragma once

#include <stdbool.h>

#include "os/net_policy.h"

struct sim_dns_fault {
    bool failing;
    char host[SIM_NET_NAME_SIZE];  // "": every name; else a name or "*.domain" pattern
};

// Turns the fault on for host (NULL or "" = every name). Returns 0, or -1 when host is longer
// than a DNS name (nothing changes then).
int sim_dns_fault_fail(struct sim_dns_fault *fault, const char *host);

// Turns the fault off.
void sim_dns_fault_clear(struct sim_dns_fault *fault);

// True when a lookup of name must go unanswered: the fault is on and covers name (equal ignoring
// case, or for "*.domain" a name with at least one more label ending in ".domain").
bool sim_dns_fault_applies(const struct sim_dns_fault *fault, const char *name);
