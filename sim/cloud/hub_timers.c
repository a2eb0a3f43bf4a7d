// SPDX-License-Identifier: MIT
// Delayed messages (see hub_timers.h). A fault delays a handful of messages at a time, so an
// unordered array and a scan per tick cost less than keeping a heap in order.

#include "cloud/hub_timers.h"

#include <stdlib.h>
#include <string.h>

int hub_timers_add(struct hub_timers *timers, long long due_ms, const char *client_id,
                   const char *topic, const void *payload, size_t payload_len, int qos) {
    size_t id_len = strlen(client_id);
    if (id_len > HUB_MAX_ID || timers->count >= HUB_TIMERS_MAX) {
        return -1;
    }
    if (timers->count == timers->capacity) {
        size_t capacity = timers->capacity == 0 ? 16 : timers->capacity * 2;
        struct hub_timer *items = realloc(timers->items, capacity * sizeof *items);
        if (items == NULL) {
            return -1;
        }
        timers->items = items;
        timers->capacity = capacity;
    }
    struct hub_timer t = {.due_ms = due_ms, .seq = timers->next_seq, .qos = qos};
    memcpy(t.client_id, client_id, id_len + 1);
    t.topic = strdup(topic);
    // One spare byte: malloc(0) may return NULL, which would look like a failure.
    t.payload = malloc(payload_len + 1);
    if (t.topic == NULL || t.payload == NULL) {
        free(t.topic);
        free(t.payload);
        return -1;
    }
    if (payload_len > 0) {
        memcpy(t.payload, payload, payload_len);
    }
    ((char *)t.payload)[payload_len] = '\0';
    t.payload_len = payload_len;
    timers->next_seq++;
    timers->items[timers->count++] = t;
    return 0;
}

// Index of the earliest pending timer (by due time, then insertion), or count when none.
static size_t earliest(const struct hub_timers *timers) {
    size_t best = timers->count;
    for (size_t i = 0; i < timers->count; i++) {
        const struct hub_timer *t = &timers->items[i];
        if (best == timers->count || t->due_ms < timers->items[best].due_ms ||
            (t->due_ms == timers->items[best].due_ms && t->seq < timers->items[best].seq)) {
            best = i;
        }
    }
    return best;
}

size_t hub_timers_fire(struct hub_timers *timers, long long now_ms, hub_timer_fn fn, void *ctx) {
    size_t fired = 0;
    while (timers->count > 0) {
        size_t at = earliest(timers);
        if (timers->items[at].due_ms > now_ms) {
            break;
        }
        // Take it out before calling fn, which may add timers and move the array.
        struct hub_timer t = timers->items[at];
        timers->items[at] = timers->items[timers->count - 1];
        timers->count--;
        fn(&t, ctx);
        free(t.topic);
        free(t.payload);
        fired++;
    }
    return fired;
}

long long hub_timers_next_due(const struct hub_timers *timers) {
    size_t at = earliest(timers);
    return at < timers->count ? timers->items[at].due_ms : -1;
}

void hub_timers_free(struct hub_timers *timers) {
    for (size_t i = 0; i < timers->count; i++) {
        free(timers->items[i].topic);
        free(timers->items[i].payload);
    }
    free(timers->items);
    memset(timers, 0, sizeof *timers);
}
