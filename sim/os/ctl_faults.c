// SPDX-License-Identifier: MIT
// The dns, time-sync and storage control requests; see ctl_faults.h. Each is the world around
// the device misbehaving (a DNS server, a time server, the flash), so each logs a line naming the
// fault when it starts and when it ends.
#include "os/ctl_faults.h"

#include <stdio.h>
#include <string.h>

#include "os/supervisor.h"

static const char *state_of(const cJSON *request) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(request, "state");
    return cJSON_IsString(state) ? state->valuestring : "";
}

// A host name, or "*." and one: letters, digits, '-' and '.', at most 253 characters after "*.".
static bool valid_host_pattern(const char *text) {
    const char *name = strncmp(text, "*.", 2) == 0 ? text + 2 : text;
    size_t len = strlen(name);
    if (len == 0 || len > SIM_CTL_DNS_HOST_MAX) {
        return false;
    }
    for (const char *p = name; *p != '\0'; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '-' || *p == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static const char *parse_dns(const cJSON *request, struct sim_ctl_request *out) {
    const char *state = state_of(request);
    if (strcmp(state, "fail") != 0 && strcmp(state, "ok") != 0) {
        return "dns: \"state\" must be fail or ok";
    }
    out->dns_fail = strcmp(state, "fail") == 0;
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(request, "host");
    if (host != NULL) {
        if (!out->dns_fail) {
            return "dns: \"host\" goes with \"state\":\"fail\"";
        }
        if (!cJSON_IsString(host) || !valid_host_pattern(host->valuestring)) {
            return "dns: \"host\" must be a host name or a *.domain pattern (letters, digits, '-' "
                   "and '.', at most 253 characters)";
        }
        snprintf(out->dns_host, sizeof(out->dns_host), "%s", host->valuestring);
    }
    return NULL;
}

const char *sim_ctl_faults_parse(const cJSON *request, struct sim_ctl_request *out) {
    const char *state = state_of(request);
    switch (out->cmd) {
        case SIM_CTL_DNS:
            return parse_dns(request, out);
        case SIM_CTL_TIME_SYNC:
            if (strcmp(state, "synced") != 0 && strcmp(state, "unsynced") != 0) {
                return "time-sync: \"state\" must be synced or unsynced";
            }
            out->time_server_answers = strcmp(state, "synced") == 0;
            return NULL;
        case SIM_CTL_STORAGE:
            if (strcmp(state, "full") == 0) {
                out->storage_fault = DEVBUS_STORAGE_FULL;
            } else if (strcmp(state, "eio") == 0) {
                out->storage_fault = DEVBUS_STORAGE_EIO;
            } else if (strcmp(state, "ok") == 0) {
                out->storage_fault = DEVBUS_STORAGE_OK;
            } else {
                return "storage: \"state\" must be full, eio or ok";
            }
            return NULL;
        default:
            return "request: not a fault request";
    }
}

static void set_dns(struct sim_device *d, const struct sim_ctl_request *request) {
    if (!request->dns_fail) {
        bool was = d->network.dns.failing;
        sim_dns_fault_clear(&d->network.dns);
        if (was) {
            sim_device_log_os(&d->log, "fault: DNS server answering again");
        }
        return;
    }
    // The parser bounds the pattern, so this cannot be refused.
    (void)sim_dns_fault_fail(&d->network.dns, request->dns_host);
    if (request->dns_host[0] == '\0') {
        sim_device_log_os(&d->log, "fault: DNS server not answering (every name lookup fails)");
    } else {
        sim_device_log_os(&d->log, "fault: DNS server not answering for %s", request->dns_host);
    }
}

static void set_storage(struct sim_device *d, enum devbus_storage_fault fault) {
    enum devbus_storage_fault was = d->faults.storage;
    sim_fault_page_set_storage(&d->faults, fault);
    switch (fault) {
        case DEVBUS_STORAGE_FULL:
            sim_device_log_os(&d->log, "fault: mutable storage full (writes fail with ENOSPC)");
            break;
        case DEVBUS_STORAGE_EIO:
            sim_device_log_os(&d->log, "fault: mutable storage failing (I/O fails with EIO)");
            break;
        default:
            if (was != DEVBUS_STORAGE_OK) {
                sim_device_log_os(&d->log, "fault: mutable storage healthy again");
            }
            break;
    }
}

const char *sim_ctl_faults_execute(struct sim_supervisor *s, const struct sim_ctl_request *request,
                                   cJSON *reply) {
    struct sim_device *d = s->device;
    switch (request->cmd) {
        case SIM_CTL_DNS:
            set_dns(d, request);
            break;
        case SIM_CTL_TIME_SYNC:
            sim_supervisor_set_time_sync(s, request->time_server_answers);
            break;
        case SIM_CTL_STORAGE:
            set_storage(d, (enum devbus_storage_fault)request->storage_fault);
            break;
        default:
            return "request: not a fault request";
    }
    sim_ctl_faults_add_status(cJSON_AddObjectToObject(reply, "faults"), d);
    cJSON_AddBoolToObject(reply, "time_synced", d->network.time_synced);
    return NULL;
}

void sim_ctl_faults_add_status(cJSON *object, const struct sim_device *device) {
    const struct sim_network *net = &device->network;
    cJSON_AddBoolToObject(object, "dns_failing", net->dns.failing);
    if (net->dns.failing && net->dns.host[0] != '\0') {
        cJSON_AddStringToObject(object, "dns_host", net->dns.host);
    } else {
        cJSON_AddNullToObject(object, "dns_host");
    }
    cJSON_AddBoolToObject(object, "time_server_answering", !net->time_server_down);
    cJSON_AddStringToObject(object, "storage", sim_fault_page_storage_name(device->faults.storage));
}
