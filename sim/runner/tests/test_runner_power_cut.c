// SPDX-License-Identifier: MIT
// Which update step power_cut_during_install's progress picks (rn_power_cut_step): the install's
// five steps in equal fifths, the documented table in docs/scenarios.md, and never a step
// outside the install whatever the value.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "runner/runner_internal.h"

static void test_rn_power_cut_step_fifths_pick_the_install_steps_in_order(void **state) {
    (void)state;
    assert_string_equal(rn_power_cut_step(0.1), "install-slot-cleared");
    assert_string_equal(rn_power_cut_step(0.3), "install-extracted");
    assert_string_equal(rn_power_cut_step(0.5), "install-pointer-written");
    assert_string_equal(rn_power_cut_step(0.7), "install-pointer-renamed");
    assert_string_equal(rn_power_cut_step(0.9), "install-switched");
}

static void test_rn_power_cut_step_band_edges_start_the_next_step(void **state) {
    (void)state;
    assert_string_equal(rn_power_cut_step(0.25), "install-extracted");
    assert_string_equal(rn_power_cut_step(0.4), "install-pointer-written");
    assert_string_equal(rn_power_cut_step(0.8), "install-switched");
}

static void test_rn_power_cut_step_out_of_range_stays_in_the_install(void **state) {
    (void)state;
    assert_string_equal(rn_power_cut_step(0.0), "install-slot-cleared");
    assert_string_equal(rn_power_cut_step(-3.0), "install-slot-cleared");
    assert_string_equal(rn_power_cut_step(0.999999), "install-switched");
    assert_string_equal(rn_power_cut_step(1.0), "install-switched");
    assert_string_equal(rn_power_cut_step(42.0), "install-switched");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rn_power_cut_step_fifths_pick_the_install_steps_in_order),
        cmocka_unit_test(test_rn_power_cut_step_band_edges_start_the_next_step),
        cmocka_unit_test(test_rn_power_cut_step_out_of_range_stays_in_the_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
