// SPDX-License-Identifier: MIT
// The device-to-connection table (see hub_sessions.h): a sorted array searched by bisection.
// Connects and disconnects are rare next to messages, so an insert's memmove is cheap enough even
// for fleets of thousands of devices, and the array keeps lookups allocation-free.

#include "cloud/hub_sessions.h"

#include <stdlib.h>
#include <string.h>

// Index of device_id if present (*out_found true), else where it would be inserted.
static size_t locate(const struct hub_sessions *sessions, const char *device_id, bool *out_found) {
    size_t low = 0;
    size_t high = sessions->count;
    while (low < high) {
        size_t mid = low + (high - low) / 2;
        int cmp = strcmp(sessions->items[mid].device_id, device_id);
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

int hub_sessions_set(struct hub_sessions *sessions, const char *device_id, const void *client,
                     enum hub_auth_type auth, bool *out_replaced) {
    if (strlen(device_id) > HUB_MAX_ID) {
        return -1;
    }
    bool found = false;
    size_t at = locate(sessions, device_id, &found);
    if (out_replaced != NULL) {
        *out_replaced = found;
    }
    if (!found) {
        if (sessions->count == sessions->capacity) {
            size_t capacity = sessions->capacity == 0 ? 16 : sessions->capacity * 2;
            struct hub_session *items = realloc(sessions->items, capacity * sizeof *items);
            if (items == NULL) {
                return -1;
            }
            sessions->items = items;
            sessions->capacity = capacity;
        }
        memmove(&sessions->items[at + 1], &sessions->items[at],
                (sessions->count - at) * sizeof sessions->items[0]);
        sessions->count++;
        memset(&sessions->items[at], 0, sizeof sessions->items[at]);
        memcpy(sessions->items[at].device_id, device_id, strlen(device_id) + 1);
    }
    sessions->items[at].client = client;
    sessions->items[at].auth = auth;
    return 0;
}

bool hub_sessions_remove(struct hub_sessions *sessions, const char *device_id, const void *client) {
    bool found = false;
    size_t at = locate(sessions, device_id, &found);
    if (!found || sessions->items[at].client != client) {
        return false;
    }
    memmove(&sessions->items[at], &sessions->items[at + 1],
            (sessions->count - at - 1) * sizeof sessions->items[0]);
    sessions->count--;
    return true;
}

const struct hub_session *hub_sessions_find(const struct hub_sessions *sessions,
                                            const char *device_id) {
    bool found = false;
    size_t at = locate(sessions, device_id, &found);
    return found ? &sessions->items[at] : NULL;
}

void hub_sessions_free(struct hub_sessions *sessions) {
    free(sessions->items);
    memset(sessions, 0, sizeof *sessions);
}
