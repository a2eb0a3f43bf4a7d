// SPDX-License-Identifier: MIT
// Timing arithmetic for the fault proxy; see net_schedule.h.
#include "net/net_schedule.h"

#include <time.h>

#define MAX_PIECE 16384

int64_t sim_net_now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sim_net_jitter_draw(struct sim_net_prng *prng, uint64_t jitter_us) {
    if (jitter_us == 0) {
        return 0;
    }
    return (int64_t)sim_net_prng_below(prng, 2 * jitter_us + 1) - (int64_t)jitter_us;
}

int64_t sim_net_latency_release(int64_t now_us, uint64_t latency_us, int64_t jitter_us,
                                int64_t previous_release_us) {
    int64_t delay = (int64_t)latency_us + jitter_us;
    int64_t release = now_us + (delay > 0 ? delay : 0);
    return release > previous_release_us ? release : previous_release_us;
}

size_t sim_net_pacer_piece(uint64_t rate) {
    uint64_t piece = rate / 20;
    if (piece < 1) {
        piece = 1;
    }
    return piece > MAX_PIECE ? MAX_PIECE : (size_t)piece;
}

int64_t sim_net_pacer_charge(struct sim_net_pacer *pacer, int64_t now_us, uint64_t rate,
                             size_t bytes) {
    if (pacer->clock_us < now_us - SIM_NET_PACER_CATCH_UP_US) {
        pacer->clock_us = now_us;
        pacer->remainder = 0;
    }
    // A write is at most a piece (16 KiB) and remainder < rate <= 2^40: no overflow.
    uint64_t owed = (uint64_t)bytes * 1000000u + pacer->remainder;
    pacer->clock_us += (int64_t)(owed / rate);
    pacer->remainder = owed % rate;
    return pacer->clock_us;
}

uint64_t sim_net_slice_size(struct sim_net_prng *prng, uint64_t size, uint64_t variation) {
    if (variation == 0) {
        return size > 0 ? size : 1;
    }
    uint64_t low = size > variation ? size - variation : 1;
    uint64_t high = size + variation;
    return low + sim_net_prng_below(prng, high - low + 1);
}

int sim_net_timeout_ms(int64_t now_us, int64_t deadline_us, int limit_ms) {
    if (deadline_us == SIM_NET_NO_DEADLINE) {
        return limit_ms;
    }
    if (deadline_us <= now_us) {
        return 0;
    }
    int64_t ms = (deadline_us - now_us + 999) / 1000;
    if (limit_ms >= 0 && ms > limit_ms) {
        return limit_ms;
    }
    return ms > 86400000 ? 86400000 : (int)ms;
}
