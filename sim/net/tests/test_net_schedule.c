// SPDX-License-Identifier: MIT
// The proxy's timing arithmetic, exactly: latency release times and their order, the bandwidth
// pacer's spacing and remainders, slice sizes, and deadline-to-timeout rounding.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "net/net_schedule.h"

static void test_latency_release_plain_delay_adds_latency(void **state) {
    assert_int_equal(sim_net_latency_release(1000, 200000, 0, 0), 201000);
}

static void test_latency_release_jitter_shifts_either_way(void **state) {
    assert_int_equal(sim_net_latency_release(1000, 200000, 50000, 0), 251000);
    assert_int_equal(sim_net_latency_release(1000, 200000, -50000, 0), 151000);
}

static void test_latency_release_jitter_below_zero_never_before_now(void **state) {
    assert_int_equal(sim_net_latency_release(1000, 10000, -50000, 0), 1000);
}

static void test_latency_release_earlier_than_previous_keeps_order(void **state) {
    // A chunk with a smaller jitter must still not overtake the one before it.
    assert_int_equal(sim_net_latency_release(2000, 100000, -40000, 150000), 150000);
}

static void test_jitter_draw_range_stays_within_bounds(void **state) {
    struct sim_net_prng prng;
    sim_net_prng_seed(&prng, 3);
    int64_t low = 0;
    int64_t high = 0;
    for (int i = 0; i < 5000; i++) {
        int64_t j = sim_net_jitter_draw(&prng, 50);
        assert_in_range(j + 50, 0, 100);
        low = j < low ? j : low;
        high = j > high ? j : high;
    }
    assert_int_equal(low, -50);
    assert_int_equal(high, 50);
    assert_int_equal(sim_net_jitter_draw(&prng, 0), 0);
}

static void test_jitter_draw_same_seed_same_values(void **state) {
    struct sim_net_prng a;
    struct sim_net_prng b;
    sim_net_prng_seed(&a, 1);
    sim_net_prng_seed(&b, 1);
    for (int i = 0; i < 100; i++) {
        assert_int_equal(sim_net_jitter_draw(&a, 10000), sim_net_jitter_draw(&b, 10000));
    }
}

static void test_pacer_charge_steady_rate_spaces_writes_exactly(void **state) {
    struct sim_net_pacer pacer = {0};
    // 1000 B/s: 50 bytes cost 50 ms.
    assert_int_equal(sim_net_pacer_charge(&pacer, 1000000, 1000, 50), 1050000);
    assert_int_equal(sim_net_pacer_charge(&pacer, 1050000, 1000, 50), 1100000);
}

static void test_pacer_charge_late_wakeup_does_not_lose_rate(void **state) {
    struct sim_net_pacer pacer = {0};
    sim_net_pacer_charge(&pacer, 1000000, 1000, 50);  // next at 1.05 s
    // Woken 5 ms late: the next slot is still counted from the schedule, not from the wake-up.
    assert_int_equal(sim_net_pacer_charge(&pacer, 1055000, 1000, 50), 1100000);
}

static void test_pacer_charge_after_idle_starts_from_now(void **state) {
    struct sim_net_pacer pacer = {0};
    sim_net_pacer_charge(&pacer, 1000000, 1000, 50);
    // Idle for a second: no banked burst.
    assert_int_equal(sim_net_pacer_charge(&pacer, 2050000, 1000, 50), 2100000);
}

static void test_pacer_charge_fractional_cost_carries_remainder(void **state) {
    struct sim_net_pacer pacer = {0};
    // 3 B/s: each byte costs 333333.33 us; three bytes cost exactly one second in total.
    int64_t t = sim_net_pacer_charge(&pacer, 0, 3, 1);
    assert_int_equal(t, 333333);
    t = sim_net_pacer_charge(&pacer, t, 3, 1);
    assert_int_equal(t, 666666);
    t = sim_net_pacer_charge(&pacer, t, 3, 1);
    assert_int_equal(t, 1000000);
}

static void test_pacer_piece_rates_clamped(void **state) {
    assert_int_equal(sim_net_pacer_piece(1), 1);
    assert_int_equal(sim_net_pacer_piece(1000), 50);
    assert_int_equal(sim_net_pacer_piece(100000000), 16384);
}

static void test_slice_size_no_variation_exact(void **state) {
    struct sim_net_prng prng;
    sim_net_prng_seed(&prng, 9);
    assert_int_equal(sim_net_slice_size(&prng, 8, 0), 8);
}

static void test_slice_size_variation_within_band_never_zero(void **state) {
    struct sim_net_prng prng;
    sim_net_prng_seed(&prng, 9);
    for (int i = 0; i < 2000; i++) {
        assert_in_range(sim_net_slice_size(&prng, 10, 4), 6, 14);
        assert_in_range(sim_net_slice_size(&prng, 2, 5), 1, 7);
    }
}

static void test_timeout_ms_rounding_up_never_early(void **state) {
    assert_int_equal(sim_net_timeout_ms(1000, 1001, -1), 1);
    assert_int_equal(sim_net_timeout_ms(1000, 3000, -1), 2);
    assert_int_equal(sim_net_timeout_ms(1000, 3001, -1), 3);
    assert_int_equal(sim_net_timeout_ms(5000, 1000, -1), 0);
    assert_int_equal(sim_net_timeout_ms(0, 10000000, 100), 100);
    assert_int_equal(sim_net_timeout_ms(0, SIM_NET_NO_DEADLINE, -1), -1);
    assert_int_equal(sim_net_timeout_ms(0, SIM_NET_NO_DEADLINE, 250), 250);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_latency_release_plain_delay_adds_latency),
        cmocka_unit_test(test_latency_release_jitter_shifts_either_way),
        cmocka_unit_test(test_latency_release_jitter_below_zero_never_before_now),
        cmocka_unit_test(test_latency_release_earlier_than_previous_keeps_order),
        cmocka_unit_test(test_jitter_draw_range_stays_within_bounds),
        cmocka_unit_test(test_jitter_draw_same_seed_same_values),
        cmocka_unit_test(test_pacer_charge_steady_rate_spaces_writes_exactly),
        cmocka_unit_test(test_pacer_charge_late_wakeup_does_not_lose_rate),
        cmocka_unit_test(test_pacer_charge_after_idle_starts_from_now),
        cmocka_unit_test(test_pacer_charge_fractional_cost_carries_remainder),
        cmocka_unit_test(test_pacer_piece_rates_clamped),
        cmocka_unit_test(test_slice_size_no_variation_exact),
        cmocka_unit_test(test_slice_size_variation_within_band_never_zero),
        cmocka_unit_test(test_timeout_ms_rounding_up_never_early),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
