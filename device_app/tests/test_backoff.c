// SPDX-License-Identifier: MIT
// Unit tests for backoff: the full-jitter range for each consecutive failure, the 1 s and
// 10 min bounds, the longer floor after 429/5xx, retry-after hints, reset on success. The random
// source is scripted, so each draw is known: 0 gives the floor, UINT32_MAX the ceiling.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

static uint32_t scriptedValue;
static unsigned int draws;

static uint32_t ScriptedRandom(void *context) {
    (void)context;
    draws++;
    return scriptedValue;
}

// A small linear congruential generator, for statistical checks with a fixed seed.
static uint32_t LcgRandom(void *context) {
    uint32_t *seed = context;
    *seed = *seed * 1664525u + 1013904223u;
    return *seed;
}

static void test_NextDelayMs_lowestDraws_alwaysFloor(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = 0;
    for (int i = 0; i < 40; i++) {
        assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 1000);
    }
    assert_int_equal(Backoff_Failures(&backoff), 40);
}

static void test_NextDelayMs_highestDraws_ceilingDoublesToTenMinutes(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = UINT32_MAX;
    const uint32_t expected[] = {2000,   4000,   8000,   16000,  32000,  64000,
                                 128000, 256000, 512000, 600000, 600000, 600000};
    for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
        assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), expected[i]);
    }
    // Days of failures neither overflow nor wrap back to short delays.
    for (int i = 0; i < 100000; i++) {
        assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 600000);
    }
}

static void test_NextDelayMs_middleDraw_uniformBetweenBounds(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = 0x80000000u;
    // Third failure: [1000, 8000], half way is 1000 + 7001 / 2.
    Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0);
    Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 1000 + 3500);
}

static void test_NextDelayMs_manyDraws_spreadAcrossWholeRange(void **state) {
    Backoff backoff;
    uint32_t seed = 42;
    uint32_t minimum = UINT32_MAX;
    uint32_t maximum = 0;
    uint64_t sum = 0;
    const int rounds = 20000;
    for (int i = 0; i < rounds; i++) {
        Backoff_Init(&backoff, 0, 0, 0, LcgRandom, &seed);
        for (int k = 0; k < 4; k++) {
            Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0);
        }
        // Fifth failure: uniform in [1000, 32000].
        uint32_t delay = Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0);
        assert_in_range(delay, 1000, 32000);
        minimum = delay < minimum ? delay : minimum;
        maximum = delay > maximum ? delay : maximum;
        sum += delay;
    }
    assert_true(minimum < 1000 + 500);
    assert_true(maximum > 32000 - 500);
    uint64_t mean = sum / (uint64_t)rounds;
    assert_in_range(mean, 16500 - 600, 16500 + 600);
}

static void test_NextDelayMs_throttled_longerFloorAndDoubling(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = 0;
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0),
                     BACKOFF_DEFAULT_THROTTLED_MIN_DELAY_MS);
    scriptedValue = UINT32_MAX;
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0), 120000);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0), 240000);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0), 480000);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0), 600000);
    // A transport failure afterwards keeps the accumulated ceiling but the short floor.
    scriptedValue = 0;
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 1000);
}

static void test_NextDelayMs_retryAfterHint_raisesButCapped(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = 0;
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 5000), 5000);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 500), 1000);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 3600000), 600000);
}

static void test_Reset_afterFailures_startsOver(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 0, 0, 0, ScriptedRandom, NULL);
    scriptedValue = UINT32_MAX;
    for (int i = 0; i < 8; i++) {
        Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0);
    }
    Backoff_Reset(&backoff);
    assert_int_equal(Backoff_Failures(&backoff), 0);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 2000);
}

static void test_Init_customAndDisorderedBounds_normalised(void **state) {
    Backoff backoff;
    Backoff_Init(&backoff, 5000, 2000, 1000, ScriptedRandom, NULL);
    assert_int_equal(backoff.minDelayMs, 5000);
    assert_int_equal(backoff.maxDelayMs, 5000);
    assert_int_equal(backoff.throttledMinDelayMs, 5000);
    scriptedValue = UINT32_MAX;
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Throttled, 0), 5000);

    // Without a random source the safest answer is the longest wait.
    Backoff_Init(&backoff, 0, 0, 0, NULL, NULL);
    assert_int_equal(Backoff_NextDelayMs(&backoff, Backoff_Failure_Transient, 0), 600000);
    assert_int_equal(Backoff_NextDelayMs(NULL, Backoff_Failure_Transient, 0), 600000);
}

static void test_FailureFromStatus_codes_throttledFor429And5xx(void **state) {
    assert_int_equal(Backoff_FailureFromStatus(429), Backoff_Failure_Throttled);
    assert_int_equal(Backoff_FailureFromStatus(500), Backoff_Failure_Throttled);
    assert_int_equal(Backoff_FailureFromStatus(503), Backoff_Failure_Throttled);
    assert_int_equal(Backoff_FailureFromStatus(599), Backoff_Failure_Throttled);
    assert_int_equal(Backoff_FailureFromStatus(400), Backoff_Failure_Transient);
    assert_int_equal(Backoff_FailureFromStatus(404), Backoff_Failure_Transient);
    assert_int_equal(Backoff_FailureFromStatus(0), Backoff_Failure_Transient);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_NextDelayMs_lowestDraws_alwaysFloor),
        cmocka_unit_test(test_NextDelayMs_highestDraws_ceilingDoublesToTenMinutes),
        cmocka_unit_test(test_NextDelayMs_middleDraw_uniformBetweenBounds),
        cmocka_unit_test(test_NextDelayMs_manyDraws_spreadAcrossWholeRange),
        cmocka_unit_test(test_NextDelayMs_throttled_longerFloorAndDoubling),
        cmocka_unit_test(test_NextDelayMs_retryAfterHint_raisesButCapped),
        cmocka_unit_test(test_Reset_afterFailures_startsOver),
        cmocka_unit_test(test_Init_customAndDisorderedBounds_normalised),
        cmocka_unit_test(test_FailureFromStatus_codes_throttledFor429And5xx),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
