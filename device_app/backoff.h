// SPDX-License-Identifier: MIT
// Retry delays for connecting to IoT Hub (and DPS): exponential backoff with full jitter. After
// the n-th consecutive failure the delay is drawn uniformly between a floor and a ceiling that
// doubles with each failure up to a cap, so a fleet that lost its hub at the same moment does
// not come back at the same moment. The floor is 1 s normally; when the service said it is
// overloaded (429 throttling, 5xx) the floor is much longer, because retrying quickly is exactly
// what makes an overloaded hub worse. A success resets everything.
//
// No clock and no randomness of its own: the caller supplies the random source, so tests are
// deterministic and the device can use whatever entropy it has.
#pragma once

#include <stdint.h>

/// The bounds: never sooner than 1 s, never later than 10 min.
#define BACKOFF_DEFAULT_MIN_DELAY_MS 1000u
#define BACKOFF_DEFAULT_MAX_DELAY_MS 600000u
/// Floor after 429/5xx: long enough for a throttled hub's traffic shaping to drain.
#define BACKOFF_DEFAULT_THROTTLED_MIN_DELAY_MS 30000u

/// Returns a uniformly distributed 32-bit value; context is the pointer given to Backoff_Init.
typedef uint32_t (*Backoff_RandomSource)(void *context);

typedef enum {
    /// The connection failed or dropped for a transport reason (DNS, TCP, TLS, keep-alive).
    Backoff_Failure_Transient,
    /// The service answered 429 or 5xx: back off from the longer floor.
    Backoff_Failure_Throttled,
} Backoff_Failure;

typedef struct {
    uint32_t minDelayMs;
    uint32_t maxDelayMs;
    uint32_t throttledMinDelayMs;
    uint32_t failures;
    Backoff_RandomSource random;
    void *randomContext;
} Backoff;

/// Sets up a backoff with the given bounds (0 for any of them selects its default) and random
/// source. Bounds are put in order: min <= throttled min <= max.
void Backoff_Init(Backoff *backoff, uint32_t minDelayMs, uint32_t maxDelayMs,
                  uint32_t throttledMinDelayMs, Backoff_RandomSource random, void *randomContext);

/// Records one more consecutive failure and returns how long to wait before the next attempt,
/// in milliseconds, within [floor, min(max, floor-or-min * 2^failures)]. retryAfterMs, when not
/// 0, is a server's explicit hint (DPS retry-after) and raises the result to at least that,
/// still capped at the maximum. Returns the maximum when backoff or its random source is NULL.
uint32_t Backoff_NextDelayMs(Backoff *backoff, Backoff_Failure failure, uint32_t retryAfterMs);

/// Forgets all failures, after a successful connection.
void Backoff_Reset(Backoff *backoff);

/// Returns the number of consecutive failures since the last reset.
uint32_t Backoff_Failures(const Backoff *backoff);

/// Classifies a status code from the hub or DPS: 429 and 5xx are Backoff_Failure_Throttled,
/// anything else Backoff_Failure_Transient.
Backoff_Failure Backoff_FailureFromStatus(int status);
