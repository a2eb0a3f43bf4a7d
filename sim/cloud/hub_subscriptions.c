// SPDX-License-Identifier: MIT
// The subscription table (see hub_subscriptions.h): a sorted array searched by bisection, like
// the session table, since both are keyed by device id and change only on (un)subscribe and
// connection events.

#include "cloud/hub_subscriptions.h"

#include <stdlib.h>
#include <string.h>

static size_t locate(const struct hub_subscriptions *subs, const char *device_id, bool *out_found) {
    size_t low = 0;
    size_t high = subs->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int cmp = strcmp(subs->items[mid].device_id, device_id);
        if (cmp == 0) {
            *out_found = true;
            return mid;
        }
        if (cmp < 0) {
            low = mid + 1;
        } else {
            high = mid;
        }
    }
    *out_found = false;
    return low;
}

// The device's record, created empty if missing; NULL when out of memory or the id is too long.
static struct hub_subscription_record *record(struct hub_subscriptions *subs,
                                              const char *device_id) {
    size_t len = strlen(device_id);
    if (len > HUB_MAX_ID) {
        return NULL;
    }
    bool found = false;
    size_t at = locate(subs, device_id, &found);
    if (found) {
        return &subs->items[at];
    }
    if (subs->count == subs->capacity) {
        size_t capacity = subs->capacity == 0 ? 16 : subs->capacity * 2;
        struct hub_subscription_record *items = realloc(subs->items, capacity * sizeof *items);
        if (items == NULL) {
            return NULL;
        }
        subs->items = items;
        subs->capacity = capacity;
    }
    memmove(&subs->items[at + 1], &subs->items[at], (subs->count - at) * sizeof subs->items[0]);
    subs->count++;
    memset(&subs->items[at], 0, sizeof subs->items[at]);
    memcpy(subs->items[at].device_id, device_id, len + 1);
    return &subs->items[at];
}

void hub_subscriptions_forget(struct hub_subscriptions *subs, const char *device_id) {
    bool found = false;
    size_t at = locate(subs, device_id, &found);
    if (!found) {
        return;
    }
    memmove(&subs->items[at], &subs->items[at + 1], (subs->count - at - 1) * sizeof subs->items[0]);
    subs->count--;
}

static unsigned mask_of(const struct hub_subscription_record *r) {
    unsigned mask = 0;
    for (size_t i = 0; i < r->count; i++) {
        mask |= 1u << r->items[i].kind;
    }
    return mask;
}

static const struct hub_subscription_record *find(const struct hub_subscriptions *subs,
                                                  const char *device_id) {
    bool found = false;
    size_t at = locate(subs, device_id, &found);
    return found ? &subs->items[at] : NULL;
}

int hub_subscriptions_connect(struct hub_subscriptions *subs, const char *device_id, bool clean) {
    struct hub_subscription_record *r = record(subs, device_id);
    if (r == NULL) {
        return -1;
    }
    if (clean || !r->persistent) {
        r->count = 0;
    }
    r->persistent = !clean;
    return (int)mask_of(r);
}

void hub_subscriptions_disconnect(struct hub_subscriptions *subs, const char *device_id) {
    bool found = false;
    size_t at = locate(subs, device_id, &found);
    if (found && !subs->items[at].persistent) {
        hub_subscriptions_forget(subs, device_id);
    }
}

enum hub_subscribe_result hub_subscriptions_add(struct hub_subscriptions *subs,
                                                const char *device_id,
                                                enum hub_subscription_kind kind,
                                                const char *filter) {
    size_t len = strlen(filter);
    struct hub_subscription_record *r = len <= HUB_MAX_FILTER ? record(subs, device_id) : NULL;
    if (r == NULL) {
        return HUB_SUBSCRIBE_FAILED;
    }
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->items[i].filter, filter) == 0) {
            return HUB_SUBSCRIBE_OK;
        }
    }
    if (r->count == HUB_MAX_SUBSCRIPTIONS) {
        return HUB_SUBSCRIBE_LIMIT;
    }
    struct hub_subscription *item = &r->items[r->count++];
    item->kind = kind;
    memcpy(item->filter, filter, len + 1);
    return HUB_SUBSCRIBE_OK;
}

void hub_subscriptions_remove(struct hub_subscriptions *subs, const char *device_id,
                              const char *filter) {
    bool found = false;
    size_t at = locate(subs, device_id, &found);
    if (!found) {
        return;
    }
    struct hub_subscription_record *r = &subs->items[at];
    for (size_t i = 0; i < r->count; i++) {
        if (strcmp(r->items[i].filter, filter) == 0) {
            r->items[i] = r->items[--r->count];
            return;
        }
    }
}

bool hub_subscriptions_has(const struct hub_subscriptions *subs, const char *device_id,
                           enum hub_subscription_kind kind) {
    const struct hub_subscription_record *r = find(subs, device_id);
    return r != NULL && (mask_of(r) & (1u << kind)) != 0;
}

size_t hub_subscriptions_count(const struct hub_subscriptions *subs, const char *device_id) {
    const struct hub_subscription_record *r = find(subs, device_id);
    return r != NULL ? r->count : 0;
}

void hub_subscriptions_free(struct hub_subscriptions *subs) {
    free(subs->items);
    memset(subs, 0, sizeof *subs);
}
