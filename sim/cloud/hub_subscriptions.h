// SPDX-License-Identifier: MIT
// Which of IoT Hub's topics each device has subscribed, as far as the hub can know. mosquitto 2.0
// gives a plugin no way to ask a client's subscriptions, and a plugin's per-client publish
// reaches the client whether it subscribed or not, so the hub must remember the filters it
// allowed to decide what IoT Hub would deliver: no twin response, desired patch, method request
// or C2D message to a device that did not subscribe for it.
//
// The broker keeps a session's subscriptions across reconnects when the client connected with
// clean session off; this table does the same: a device's record survives its disconnect only
// then, and a connect with clean session on starts it empty. Both are lost when the broker
// restarts, because spheresim runs the broker without persistence.
//
// Owned by the broker thread; no locking.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"

struct hub_subscription_record {
    char device_id[HUB_MAX_ID + 1];
    unsigned mask;    // bit (1u << enum hub_subscription_kind) per subscribed filter
    bool persistent;  // the current or last connection asked for a persistent session
};

struct hub_subscriptions {
    struct hub_subscription_record *items;  // sorted by device_id
    size_t count;
    size_t capacity;
};

// A device connected: clean drops what it had subscribed (as does a previous session that was
// not persistent); otherwise its subscriptions carry over. Returns the mask now in force, or -1
// when out of memory or device_id is too long.
int hub_subscriptions_connect(struct hub_subscriptions *subs, const char *device_id, bool clean);

// The device's current connection ended: a non-persistent session's subscriptions go with it.
void hub_subscriptions_disconnect(struct hub_subscriptions *subs, const char *device_id);

// Records a granted subscription / an unsubscribe. Returns 0, or -1 when out of memory or
// device_id is too long.
int hub_subscriptions_add(struct hub_subscriptions *subs, const char *device_id,
                          enum hub_subscription_kind kind);
void hub_subscriptions_remove(struct hub_subscriptions *subs, const char *device_id,
                              enum hub_subscription_kind kind);

bool hub_subscriptions_has(const struct hub_subscriptions *subs, const char *device_id,
                           enum hub_subscription_kind kind);

// Forgets the device entirely (it was removed from the registry).
void hub_subscriptions_forget(struct hub_subscriptions *subs, const char *device_id);

void hub_subscriptions_free(struct hub_subscriptions *subs);
