// SPDX-License-Identifier: MIT
// Bookkeeping for the least-privilege report; see capability_audit.h.
#include "os/capability_audit.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

void sim_audit_reset(struct sim_capability_audit *audit) {
    memset(audit, 0, sizeof(*audit));
}

static struct sim_audit_entry *find_or_add(struct sim_capability_audit *audit, const char *name) {
    for (size_t i = 0; i < audit->count; i++) {
        if (strcmp(audit->entries[i].capability, name) == 0) {
            return &audit->entries[i];
        }
    }
    if (audit->count == SIM_AUDIT_MAX_ENTRIES) {
        return NULL;
    }
    struct sim_audit_entry *entry = &audit->entries[audit->count++];
    snprintf(entry->capability, sizeof(entry->capability), "%s", name);
    return entry;
}

void sim_audit_record(struct sim_capability_audit *audit, const char *capability, bool allowed) {
    struct sim_audit_entry *entry = find_or_add(audit, capability);
    if (entry == NULL) {
        return;
    }
    if (allowed) {
        entry->used++;
    } else {
        entry->denied++;
    }
}

static bool was_used(const struct sim_capability_audit *audit, const char *name) {
    for (size_t i = 0; i < audit->count; i++) {
        if (audit->entries[i].used > 0 && strcmp(audit->entries[i].capability, name) == 0) {
            return true;
        }
    }
    return false;
}

// Capabilities whose use the simulator cannot observe yet; reporting them unused would mislead.
static bool is_untracked(const char *name) {
    static const char *const prefixes[] = {"AllowedTcpServerPorts", "AllowedUdpServerPorts",
                                           "MallocVersion"};
    for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strncmp(name, prefixes[i], strlen(prefixes[i])) == 0) {
            return true;
        }
    }
    return false;
}

int sim_audit_report_json(const struct sim_capability_audit *audit,
                          const struct sim_manifest *manifest, char *out, size_t out_size) {
    static char declared[SIM_AUDIT_MAX_ENTRIES * 2][SIM_AUDIT_NAME_SIZE];
    size_t declared_count =
        sim_manifest_declared_capabilities(manifest, declared, SIM_AUDIT_MAX_ENTRIES * 2);
    cJSON *root = cJSON_CreateObject();
    cJSON *unused = cJSON_AddArrayToObject(root, "unused");
    cJSON *untracked = cJSON_AddArrayToObject(root, "not_tracked");
    cJSON *denied = cJSON_AddArrayToObject(root, "denied");
    for (size_t i = 0; i < declared_count; i++) {
        if (is_untracked(declared[i])) {
            cJSON_AddItemToArray(untracked, cJSON_CreateString(declared[i]));
        } else if (!was_used(audit, declared[i])) {
            cJSON_AddItemToArray(unused, cJSON_CreateString(declared[i]));
        }
    }
    for (size_t i = 0; i < audit->count; i++) {
        if (audit->entries[i].denied == 0) {
            continue;
        }
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "capability", audit->entries[i].capability);
        cJSON_AddNumberToObject(item, "attempts", audit->entries[i].denied);
        cJSON_AddItemToArray(denied, item);
    }
    int written = -1;
    if (cJSON_PrintPreallocated(root, out, (int)out_size, false)) {
        written = (int)strlen(out);
    }
    cJSON_Delete(root);
    return written;
}
