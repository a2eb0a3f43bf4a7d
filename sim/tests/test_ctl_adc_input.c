// SPDX-License-Identifier: MIT
// Unit tests for the `adc` and `potentiometer` control requests' parsing (sim_ctl_parse): a
// voltage, noise with its seed, or both; and each bad field named in the error.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_parse_assert.h"
#include "os/ctl_commands.h"

static void test_potentiometer_volts_alone_sets_no_noise(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"potentiometer\",\"volts\":1.5}", &request, &error),
                     0);
    assert_int_equal(request.cmd, SIM_CTL_POTENTIOMETER);
    assert_true(request.set_volts);
    assert_true(request.volts == 1.5);
    assert_false(request.adc_noise.set);
}

static void test_potentiometer_noise_alone_keeps_the_voltage(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"potentiometer\",\"noise\":0.02,\"seed\":99}", &request, &error),
        0);
    assert_false(request.set_volts);
    assert_true(request.adc_noise.set);
    assert_true(request.adc_noise.sigma == 0.02);
    assert_int_equal(request.adc_noise.seed, 99);
}

static void test_adc_channel_volts_and_noise_together(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"adc\",\"channel\":3,\"volts\":0.5,\"noise\":0}",
                                   &request, &error),
                     0);
    assert_int_equal(request.adc_channel, 3);
    assert_true(request.set_volts);
    assert_true(request.adc_noise.set);
    assert_true(request.adc_noise.sigma == 0);
}

static void test_bad_fields_are_named(void **state) {
    assert_ctl_error("{\"cmd\":\"potentiometer\"}", "potentiometer: \"volts\" must be a number");
    assert_ctl_error("{\"cmd\":\"potentiometer\",\"volts\":\"1\"}", "\"volts\" must be a number");
    assert_ctl_error("{\"cmd\":\"potentiometer\",\"noise\":-1}",
                     "potentiometer: \"noise\" must be a standard deviation in V");
    assert_ctl_error("{\"cmd\":\"potentiometer\",\"noise\":1e999}", "\"noise\" must be");
    assert_ctl_error("{\"cmd\":\"potentiometer\",\"volts\":1,\"seed\":3}",
                     "potentiometer: \"seed\" only goes with \"noise\"");
    assert_ctl_error("{\"cmd\":\"adc\",\"channel\":1,\"noise\":0.1,\"seed\":1.5}",
                     "adc: \"seed\" must be a whole number");
    assert_ctl_error("{\"cmd\":\"adc\",\"channel\":9,\"volts\":1}", "adc: \"channel\"");
    assert_ctl_error("{\"cmd\":\"sensor\",\"sensor\":\"temperature\",\"noise\":-2}",
                     "sensor: \"noise\" must be a standard deviation in °C");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_potentiometer_volts_alone_sets_no_noise),
        cmocka_unit_test(test_potentiometer_noise_alone_keeps_the_voltage),
        cmocka_unit_test(test_adc_channel_volts_and_noise_together),
        cmocka_unit_test(test_bad_fields_are_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
