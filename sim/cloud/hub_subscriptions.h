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
// The table also holds IoT Hub's limit of five subscriptions per device: the hub refuses a sixth
// distinct filter (by closing the connection, as IoT Hub answers MQTT protocol errors). mosquitto
// 2.0 shows a plugin every UNSUBSCRIBE (an ACL check with MOSQ_ACL_UNSUBSCRIBE, before it takes
// effect), so an unsubscribe frees its slot.
//
// Owned by the broker thread; no locking.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"

// "A device can only subscribe to five topics at a time" (IoT Hub's MQTT documentation).
#define HUB_MAX_SUBSCRIPTIONS 5
// Longer than any filter a device may take ("devices/{128-char id}/messages/devicebound/#").
#define HUB_MAX_FILTER 255

struct hub_subscription {
    enum hub_subscription_kind kind;
    char filter[HUB_MAX_FILTER + 1];
};

struct hub_subscription_record {
    char device_id[HUB_MAX_ID + 1];
    // Distinct filters, as the broker keeps them: two filters of one kind (C2D with the device's
    // id and with '+') are two subscriptions.
    struct hub_subscription items[HUB_MAX_SUBSCRIPTIONS];
    size_t count;
    bool persistent;  // the current or last connection asked for a persistent session
};

struct hub_subscriptions {
    struct hub_subscription_record *items;  // sorted by device_id
    size_t count;
    size_t capacity;
};

enum hub_subscribe_result {
    HUB_SUBSCRIBE_OK = 0,
    HUB_SUBSCRIBE_LIMIT,   // the device has HUB_MAX_SUBSCRIPTIONS other filters already
    HUB_SUBSCRIBE_FAILED,  // out of memory, or device_id or filter too long
};

// A device connected: clean drops what it had subscribed (as does a previous session that was
// not persistent); otherwise its subscriptions carry over. Returns the mask of kinds now in force
// (bit 1 << enum hub_subscription_kind), or -1 when out of memory or device_id is too long.
int hub_subscriptions_connect(struct hub_subscriptions *subs, const char *device_id, bool clean);

// The device's current connection ended: a non-persistent session's subscriptions go with it.
void hub_subscriptions_disconnect(struct hub_subscriptions *subs, const char *device_id);

// Records a granted subscription to filter (of the given kind). Subscribing a filter the device
// has already replaces it, as MQTT does, and takes no new slot.
enum hub_subscribe_result hub_subscriptions_add(struct hub_subscriptions *subs,
                                                const char *device_id,
                                                enum hub_subscription_kind kind,
                                                const char *filter);

// Records an unsubscribe: the filter's slot is free again. Unknown filters are ignored.
void hub_subscriptions_remove(struct hub_subscriptions *subs, const char *device_id,
                              const char *filter);

// True while at least one of the device's filters is of this kind.
bool hub_subscriptions_has(const struct hub_subscriptions *subs, const char *device_id,
                           enum hub_subscription_kind kind);

// The number of distinct filters the device has.
size_t hub_subscriptions_count(const struct hub_subscriptions *subs, const char *device_id);

// Forgets the device entirely (it was removed from the registry).
void hub_subscriptions_forget(struct hub_subscriptions *subs, const char *device_id);

void hub_subscriptions_free(struct hub_subscriptions *subs);
