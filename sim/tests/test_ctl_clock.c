// SPDX-License-Identifier: MIT
// Unit tests for the `clock` control request's parsing (ctl_clock.c through sim_ctl_parse): what
// each action takes, and that a bad value comes back named in a one-line error.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "ctl_parse_assert.h"
#include "os/ctl_commands.h"

static void test_sim_ctl_parse_clock_without_action_is_status(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"clock\"}", &request, &error), 0);
    assert_int_equal(request.cmd, SIM_CTL_CLOCK);
    assert_int_equal(request.clock_action, SIM_CTL_CLOCK_STATUS);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"clock\",\"action\":\"status\"}", &request, &error),
                     0);
    assert_int_equal(request.clock_action, SIM_CTL_CLOCK_STATUS);
}

static void test_sim_ctl_parse_clock_valid_actions_fill_request(void **state) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"-30m\"}", &request, &error),
        0);
    assert_int_equal(request.clock_action, SIM_CTL_CLOCK_JUMP);
    assert_int_equal(request.clock_ms, -30 * 60000);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"clock\",\"action\":\"set\",\"time\":"
                                   "\"2030-01-01T00:00:00Z\"}",
                                   &request, &error),
                     0);
    assert_int_equal(request.clock_action, SIM_CTL_CLOCK_SET);
    assert_int_equal(request.clock_ms, INT64_C(1893456000000));
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"clock\",\"action\":\"rate\",\"rate\":3600}", &request, &error),
        0);
    assert_true(request.clock_rate == 3600);
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"clock\",\"action\":\"rate\",\"rate\":\"0.5\"}", &request, &error),
        0);
    assert_true(request.clock_rate == 0.5);
}

static void test_sim_ctl_parse_clock_bad_values_name_them(void **state) {
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"+2x\"}",
                     "clock jump: '+2x' is not a duration");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"36526d\"}",
                     "clock jump: '36526d' is longer than 100 years");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"set\",\"time\":\"2030-02-30T00:00:00Z\"}",
                     "clock set: '2030-02-30T00:00:00Z' is not a date and time from 1970 to 2199");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"set\",\"time\":\"tomorrow\"}",
                     "clock set: 'tomorrow' is not a UTC time");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"rate\",\"rate\":\"fast\"}",
                     "clock rate: 'fast' is not a number");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"rate\",\"rate\":0}",
                     "clock rate: '0' is outside 0.001 to 1000000");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"rate\",\"rate\":\"2000000\"}",
                     "clock rate: '2000000' is outside");
}

static void test_sim_ctl_parse_clock_missing_or_mistyped_fields_fail(void **state) {
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"rewind\"}",
                     "clock: \"action\" must be status, jump, set or rate");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":7}", "clock: \"action\" must be");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"jump\"}", "clock jump: \"by\" must be");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":7200}",
                     "clock jump: \"by\" must be");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"set\"}", "clock set: \"time\" must be");
    assert_ctl_error("{\"cmd\":\"clock\",\"action\":\"rate\"}", "clock rate: \"rate\" must be");
}

static void test_sim_ctl_parse_clock_hostile_value_is_quoted_short_and_on_one_line(void **state) {
    char line[2048];
    char value[1200];
    memset(value, 'x', sizeof(value) - 1);
    value[sizeof(value) - 1] = '\0';
    snprintf(line, sizeof(line), "{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"\\n%s\"}", value);
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse(line, &request, &error), -1);
    assert_null(strchr(error, '\n'));
    assert_non_null(strstr(error, "'?xxx"));
    assert_non_null(strstr(error, "...'"));
    assert_true(strlen(error) < 256);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_ctl_parse_clock_without_action_is_status),
        cmocka_unit_test(test_sim_ctl_parse_clock_valid_actions_fill_request),
        cmocka_unit_test(test_sim_ctl_parse_clock_bad_values_name_them),
        cmocka_unit_test(test_sim_ctl_parse_clock_missing_or_mistyped_fields_fail),
        cmocka_unit_test(test_sim_ctl_parse_clock_hostile_value_is_quoted_short_and_on_one_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
