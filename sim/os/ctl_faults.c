// SPDX-License-Identifier: MIT
// The dns, time-sync, storage and memory control requests; see ctl_faults.h. Each is the world
// around the app misbehaving (a DNS server, a time server, the flash, the RAM running short), so
// each logs a line naming the fault when it starts and when it ends.
#include "os/ctl_faults.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "os/app_stats.h"
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

// Either a limit in bytes or "state":"ok", never both; or, alone, the app's memory budget.
static const char *parse_memory(const cJSON *request, struct sim_ctl_request *out) {
    static const char usage[] =
        "memory: expected \"limit\" (a whole number of bytes, 1 to 1073741824) or "
        "\"state\":\"ok\", or \"budget\" (0 for none, or 16384 to 1073741824 bytes)";
    const cJSON *limit = cJSON_GetObjectItemCaseSensitive(request, "limit");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(request, "state");
    const cJSON *budget = cJSON_GetObjectItemCaseSensitive(request, "budget");
    out->set_memory_budget = false;
    if (budget != NULL) {
        if (limit != NULL || state != NULL || !cJSON_IsNumber(budget) ||
            !(budget->valuedouble >= 0) || budget->valuedouble > (double)SIM_MEMORY_BUDGET_MAX ||
            budget->valuedouble != floor(budget->valuedouble) ||
            !sim_app_stats_budget_valid((uint64_t)budget->valuedouble)) {
            return usage;
        }
        out->set_memory_budget = true;
        out->memory_budget_bytes = (uint64_t)budget->valuedouble;
        return NULL;
    }
    if (limit != NULL && state == NULL) {
        if (!cJSON_IsNumber(limit) || !(limit->valuedouble >= 1) ||
            limit->valuedouble > (double)SIM_HEAP_LIMIT_MAX ||
            limit->valuedouble != floor(limit->valuedouble)) {
            return usage;
        }
        out->heap_limit_bytes = (uint64_t)limit->valuedouble;
        return NULL;
    }
    if (limit == NULL && cJSON_IsString(state) && strcmp(state->valuestring, "ok") == 0) {
        out->heap_limit_bytes = 0;
        return NULL;
    }
    return usage;
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
        case SIM_CTL_MEMORY:
            return parse_memory(request, out);
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

// Refused where nothing could apply it (an AddressSanitizer build); lifting is always fine.
static const char *set_heap_limit(struct sim_device *d, uint64_t limit_bytes) {
    if (limit_bytes != 0 && !SIM_HEAP_LIMIT_SUPPORTED) {
        return "memory: " SIM_HEAP_LIMIT_UNSUPPORTED_REASON;
    }
    uint64_t was = d->faults.heap_limit_bytes;
    sim_fault_page_set_heap_limit(&d->faults, limit_bytes);
    if (limit_bytes != 0) {
        sim_device_log_os(&d->log,
                          "fault: memory pressure: the app's allocations fail past %" PRIu64
                          " bytes (ENOMEM)",
                          limit_bytes);
    } else if (was != 0) {
        sim_device_log_os(&d->log, "fault: memory pressure over (no heap limit)");
    }
    return NULL;
}

// Not a fault but the device's own limit, so it is logged as the OS logs it at start-up.
static void set_memory_budget(struct sim_device *d, uint64_t budget_bytes) {
    sim_fault_page_set_memory_budget(&d->faults, budget_bytes);
    char text[128];
    sim_app_stats_budget_text(budget_bytes, text, sizeof(text));
    sim_device_log_os(&d->log, "memory budget: %s", text);
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
        case SIM_CTL_MEMORY: {
            if (request->set_memory_budget) {
                set_memory_budget(d, request->memory_budget_bytes);
                break;
            }
            const char *refused = set_heap_limit(d, request->heap_limit_bytes);
            if (refused != NULL) {
                return refused;
            }
            break;
        }
        default:
            return "request: not a fault request";
    }
    sim_ctl_faults_add_status(cJSON_AddObjectToObject(reply, "faults"), d);
    cJSON_AddBoolToObject(reply, "time_synced", d->network.time_synced);
    if (d->faults.memory_budget_bytes != 0) {
        cJSON_AddNumberToObject(reply, "memory_budget_bytes",
                                (double)d->faults.memory_budget_bytes);
    } else {
        cJSON_AddNullToObject(reply, "memory_budget_bytes");
    }
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
    if (device->faults.heap_limit_bytes != 0) {
        cJSON_AddNumberToObject(object, "memory_limit_bytes",
                                (double)device->faults.heap_limit_bytes);
    } else {
        cJSON_AddNullToObject(object, "memory_limit_bytes");
    }
}
