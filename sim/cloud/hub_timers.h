// SPDX-License-Identifier: MIT
// Messages the hub has decided to send later: twin responses and method requests held back by a
// "delay" fault. mosquitto runs every plugin callback on its one thread and offers no timers, so
// the plugin keeps them here and sends the due ones from its MOSQ_EVT_TICK callback (the broker
// ticks at least every 100 ms or so, which bounds the lateness).
//
// Owned by the broker thread; no locking.
#pragma once

#include <stddef.h>

#include "cloud/hub_protocol.h"

#define HUB_TIMERS_MAX 4096  // a runaway delay fault must not eat the broker's memory

struct hub_timer {
    long long due_ms;
    long long seq;  // insertion order, so equal due times keep their order
    char client_id[HUB_MAX_ID + 1];
    char *topic;
    void *payload;  // payload_len bytes, and a NUL after them
    size_t payload_len;
    int qos;
};

struct hub_timers {
    struct hub_timer *items;  // unordered; the due ones are picked by scanning
    size_t count;
    size_t capacity;
    long long next_seq;
};

// Copies a message to send to client_id at due_ms. Returns 0, or -1 when out of memory, when
// HUB_TIMERS_MAX are pending or client_id is too long.
int hub_timers_add(struct hub_timers *timers, long long due_ms, const char *client_id,
                   const char *topic, const void *payload, size_t payload_len, int qos);

typedef void (*hub_timer_fn)(const struct hub_timer *timer, void *ctx);

// Calls fn for every message due by now_ms, earliest first, and forgets it. fn may add timers.
// Returns how many fired.
size_t hub_timers_fire(struct hub_timers *timers, long long now_ms, hub_timer_fn fn, void *ctx);

// The earliest due time, or -1 when nothing is pending.
long long hub_timers_next_due(const struct hub_timers *timers);

void hub_timers_free(struct hub_timers *timers);
