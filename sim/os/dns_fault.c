// SPDX-License-Identifier: MIT
// The DNS-server fault; see dns_fault.h. Patterns match as AllowedConnections entries do, so a
// scenario names the hub the same way the manifest does.
#include "os/dns_fault.h"

#include <stdio.h>
#include <string.h>

int sim_dns_fault_fail(struct sim_dns_fault *fault, const char *host) {
    const char *pattern = host != NULL ? host : "";
    if (strlen(pattern) >= sizeof(fault->host)) {
        return -1;
    }
    snprintf(fault->host, sizeof(fault->host), "%s", pattern);
    fault->failing = true;
    return 0;
}

void sim_dns_fault_clear(struct sim_dns_fault *fault) {
    fault->failing = false;
    fault->host[0] = '\0';
}

bool sim_dns_fault_applies(const struct sim_dns_fault *fault, const char *name) {
    if (!fault->failing) {
        return false;
    }
    return fault->host[0] == '\0' || sim_net_entry_matches(fault->host, name);
}
