// SPDX-License-Identifier: MIT
// The fault proxy's timing arithmetic, kept free of sockets so it can be tested exactly: when a
// delayed chunk may leave, how a bandwidth cap spaces writes, how big the next slice is, and how a
// deadline becomes an epoll timeout. All times are microseconds on the monotonic clock.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/net_prng.h"

#define SIM_NET_NO_DEADLINE INT64_MAX

// A pacer that lets bytes leave at a fixed rate. Its clock is the time the next byte may leave;
// it advances by exactly bytes / rate for each write (the remainder carried in microsecond
// fractions), so late wake-ups do not slow the average rate, and it never runs ahead of rate.
struct sim_net_pacer {
    int64_t clock_us;
    uint64_t remainder;  // fraction of a microsecond owed, in units of 1/rate
};

// The host's monotonic clock in microseconds.
int64_t sim_net_now_us(void);

// A jitter drawn uniformly from [-jitter_us, +jitter_us]; 0 without drawing when jitter_us is 0.
int64_t sim_net_jitter_draw(struct sim_net_prng *prng, uint64_t jitter_us);

// When a chunk read at now_us may leave, given a latency and a drawn jitter: now + latency +
// jitter, never before now, and never before the previous chunk's release (TCP keeps order).
int64_t sim_net_latency_release(int64_t now_us, uint64_t latency_us, int64_t jitter_us,
                                int64_t previous_release_us);

// The largest write the bandwidth cap allows at once: about a twentieth of a second's worth,
// between 1 byte and 16 KiB, so the cap shows as a steady trickle rather than bursts.
size_t sim_net_pacer_piece(uint64_t rate);

// Records that bytes left at now_us and returns when the next byte may leave. An idle pacer (its
// clock more than SIM_NET_PACER_CATCH_UP_US behind now) starts from now, so idle time is not
// banked as a burst.
#define SIM_NET_PACER_CATCH_UP_US 20000
int64_t sim_net_pacer_charge(struct sim_net_pacer *pacer, int64_t now_us, uint64_t rate,
                             size_t bytes);

// A slice size drawn uniformly from [size - variation, size + variation], at least 1.
uint64_t sim_net_slice_size(struct sim_net_prng *prng, uint64_t size, uint64_t variation);

// Milliseconds to wait for a deadline, rounded up so a wait never ends early: 0 when it has
// passed, at most limit_ms when limit_ms >= 0, and limit_ms itself (-1: forever) for
// SIM_NET_NO_DEADLINE.
int sim_net_timeout_ms(int64_t now_us, int64_t deadline_us, int limit_ms);
