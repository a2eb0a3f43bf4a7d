// SPDX-License-Identifier: MIT
// Which connection is each device's current one. IoT Hub allows one connection per device and a
// new one drops the old; mosquitto does the same, but it reports the old connection's disconnect
// after the new one has authenticated. Keying the table by device id and remembering the
// broker's client handle lets the plugin tell "the device went away" from "an old connection was
// replaced", and answer "is this device connected" without asking the broker.
//
// Owned by the broker thread; no locking. Handles are compared, never dereferenced.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_store.h"

struct hub_session {
    char device_id[HUB_MAX_ID + 1];
    const void *client;  // the broker's handle for the connection
    enum hub_auth_type auth;
};

struct hub_sessions {
    struct hub_session *items;  // sorted by device_id
    size_t count;
    size_t capacity;
};

// Makes client the device's current connection. *out_replaced (optional) is true when another
// connection was current. Returns 0, or -1 when out of memory or device_id is too long.
int hub_sessions_set(struct hub_sessions *sessions, const char *device_id, const void *client,
                     enum hub_auth_type auth, bool *out_replaced);

// Forgets the device's connection if client is still the current one; returns true if it was
// (the device is now offline), false if client had already been replaced or was never current.
bool hub_sessions_remove(struct hub_sessions *sessions, const char *device_id, const void *client);

// The device's current connection, or NULL when it is offline.
const struct hub_session *hub_sessions_find(const struct hub_sessions *sessions,
                                            const char *device_id);

void hub_sessions_free(struct hub_sessions *sessions);
