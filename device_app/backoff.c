// SPDX-License-Identifier: MIT
// The ceiling is computed with saturating arithmetic so that a device that has been failing
// for days neither overflows the shift nor wraps around to short delays. Drawing a uniform value
// in a range uses a 64-bit multiply rather than a modulo: the bias is at most one part in 2^32
// per value either way, and this keeps the arithmetic obviously bounded.

#include <stddef.h>

#include "backoff.h"

void Backoff_Init(Backoff *backoff, uint32_t minDelayMs, uint32_t maxDelayMs,
                  uint32_t throttledMinDelayMs, Backoff_RandomSource random, void *randomContext) {
    if (backoff == NULL) {
        return;
    }
    backoff->minDelayMs = minDelayMs != 0 ? minDelayMs : BACKOFF_DEFAULT_MIN_DELAY_MS;
    backoff->maxDelayMs = maxDelayMs != 0 ? maxDelayMs : BACKOFF_DEFAULT_MAX_DELAY_MS;
    backoff->throttledMinDelayMs =
        throttledMinDelayMs != 0 ? throttledMinDelayMs : BACKOFF_DEFAULT_THROTTLED_MIN_DELAY_MS;
    if (backoff->maxDelayMs < backoff->minDelayMs) {
        backoff->maxDelayMs = backoff->minDelayMs;
    }
    if (backoff->throttledMinDelayMs < backoff->minDelayMs) {
        backoff->throttledMinDelayMs = backoff->minDelayMs;
    }
    if (backoff->throttledMinDelayMs > backoff->maxDelayMs) {
        backoff->throttledMinDelayMs = backoff->maxDelayMs;
    }
    backoff->failures = 0;
    backoff->random = random;
    backoff->randomContext = randomContext;
}

// base * 2^exponent, saturating at limit.
static uint32_t ScaledCeiling(uint32_t base, uint32_t exponent, uint32_t limit) {
    uint64_t value = base;
    for (uint32_t i = 0; i < exponent && value < limit; i++) {
        value *= 2;
    }
    return value < limit ? (uint32_t)value : limit;
}

uint32_t Backoff_NextDelayMs(Backoff *backoff, Backoff_Failure failure, uint32_t retryAfterMs) {
    if (backoff == NULL) {
        return BACKOFF_DEFAULT_MAX_DELAY_MS;
    }
    if (backoff->random == NULL) {
        return backoff->maxDelayMs;
    }
    if (backoff->failures < UINT32_MAX) {
        backoff->failures++;
    }
    uint32_t floor =
        failure == Backoff_Failure_Throttled ? backoff->throttledMinDelayMs : backoff->minDelayMs;
    // The first failure already spans [floor, 2 * floor]: full jitter from the first retry on,
    // so devices that failed together are spread from the start.
    uint32_t ceiling = ScaledCeiling(floor, backoff->failures, backoff->maxDelayMs);
    uint64_t span = (uint64_t)(ceiling - floor) + 1u;
    uint32_t delay =
        floor + (uint32_t)(((uint64_t)backoff->random(backoff->randomContext) * span) >> 32);
    if (retryAfterMs > delay) {
        delay = retryAfterMs < backoff->maxDelayMs ? retryAfterMs : backoff->maxDelayMs;
    }
    return delay;
}

void Backoff_Reset(Backoff *backoff) {
    if (backoff != NULL) {
        backoff->failures = 0;
    }
}

uint32_t Backoff_Failures(const Backoff *backoff) {
    return backoff != NULL ? backoff->failures : 0;
}

Backoff_Failure Backoff_FailureFromStatus(int status) {
    return (status == 429 || (status >= 500 && status <= 599)) ? Backoff_Failure_Throttled
                                                               : Backoff_Failure_Transient;
}
