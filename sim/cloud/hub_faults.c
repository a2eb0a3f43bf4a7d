// SPDX-License-Identifier: MIT
// Fault and throttle settings (see hub_faults.h). Per-device entries are few (a test sets a
// handful) and scanned linearly.

#include "cloud/hub_faults.h"

#include <stdlib.h>
#include <string.h>

static struct hub_fault_entry *find(const struct hub_faults *faults, const char *device_id) {
    for (size_t i = 0; i < faults->count; i++) {
        if (strcmp(faults->devices[i].device_id, device_id) == 0) {
            return &faults->devices[i];
        }
    }
    return NULL;
}

// The entry to change: the hub-wide one for NULL, else the device's (created when missing).
static struct hub_fault_entry *entry(struct hub_faults *faults, const char *device_id) {
    if (device_id == NULL) {
        return &faults->hub;
    }
    size_t len = strlen(device_id);
    if (len == 0 || len > HUB_MAX_ID) {
        return NULL;
    }
    struct hub_fault_entry *e = find(faults, device_id);
    if (e != NULL) {
        return e;
    }
    if (faults->count == faults->capacity) {
        size_t capacity = faults->capacity == 0 ? 8 : faults->capacity * 2;
        struct hub_fault_entry *grown = realloc(faults->devices, capacity * sizeof *grown);
        if (grown == NULL) {
            return NULL;
        }
        faults->devices = grown;
        faults->capacity = capacity;
    }
    e = &faults->devices[faults->count++];
    memset(e, 0, sizeof *e);
    memcpy(e->device_id, device_id, len + 1);
    return e;
}

int hub_faults_set(struct hub_faults *faults, const char *device_id, enum hub_fault_target target,
                   struct hub_fault fault) {
    if ((int)target < 0 || target >= HUB_FAULT_TARGETS || fault.delay_ms < 0) {
        return -1;
    }
    struct hub_fault_entry *e = entry(faults, device_id);
    if (e == NULL) {
        return -1;
    }
    e->has_fault[target] = true;
    e->fault[target] = fault;
    return 0;
}

struct hub_fault hub_faults_get(const struct hub_faults *faults, const char *device_id,
                                enum hub_fault_target target) {
    struct hub_fault none = {HUB_FAULT_NORMAL, 0};
    if ((int)target < 0 || target >= HUB_FAULT_TARGETS) {
        return none;
    }
    const struct hub_fault_entry *e = device_id != NULL ? find(faults, device_id) : NULL;
    if (e != NULL && e->has_fault[target]) {
        return e->fault[target];
    }
    return faults->hub.has_fault[target] ? faults->hub.fault[target] : none;
}

static void update_any_rate(struct hub_faults *faults) {
    bool any = false;
    for (int k = 0; k < HUB_RATE_KINDS; k++) {
        any = any || faults->hub.rate[k] > 0;
        for (size_t i = 0; i < faults->count && !any; i++) {
            any = faults->devices[i].rate[k] > 0;
        }
    }
    faults->any_rate = any;
}

int hub_faults_set_rate(struct hub_faults *faults, const char *device_id, enum hub_rate_kind kind,
                        long per_second) {
    if ((int)kind < 0 || kind >= HUB_RATE_KINDS || per_second < 0) {
        return -1;
    }
    struct hub_fault_entry *e = entry(faults, device_id);
    if (e == NULL) {
        return -1;
    }
    e->rate[kind] = per_second;
    e->window[kind] = (struct hub_rate_window){0, 0};
    update_any_rate(faults);
    return 0;
}

static enum hub_admit count(struct hub_fault_entry *e, enum hub_rate_kind kind, long long now_ms) {
    long rate = e->rate[kind];
    if (rate <= 0) {
        return HUB_ADMIT_OK;
    }
    struct hub_rate_window *w = &e->window[kind];
    if (w->count == 0 || now_ms - w->start_ms >= 1000 || now_ms < w->start_ms) {
        w->start_ms = now_ms;
        w->count = 0;
    }
    w->count++;
    if (w->count <= rate) {
        return HUB_ADMIT_OK;
    }
    return w->count > rate * HUB_FAULTS_ABUSE_FACTOR ? HUB_ADMIT_ABUSIVE : HUB_ADMIT_THROTTLED;
}

enum hub_admit hub_faults_admit(struct hub_faults *faults, const char *device_id,
                                enum hub_rate_kind kind, long long now_ms) {
    if (!faults->any_rate || (int)kind < 0 || kind >= HUB_RATE_KINDS) {
        return HUB_ADMIT_OK;
    }
    enum hub_admit hub = count(&faults->hub, kind, now_ms);
    struct hub_fault_entry *e = find(faults, device_id);
    enum hub_admit own = e != NULL ? count(e, kind, now_ms) : HUB_ADMIT_OK;
    return hub > own ? hub : own;
}

void hub_faults_free(struct hub_faults *faults) {
    free(faults->devices);
    memset(faults, 0, sizeof *faults);
}
