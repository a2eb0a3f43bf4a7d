// SPDX-License-Identifier: MIT
// Unit tests for the `power-cut` control request (ctl_power_cut.c through sim_ctl_parse) and the
// run-time arming of the update agent's crash points (update_agent_crash.c): a request names an
// update step or none, a bad one comes back with the valid steps listed, and an armed step ends
// the process with the crash status at that step and at no other, like the environment variable.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/ctl_commands.h"
#include "os/update_agent_crash.h"

static void test_sim_ctl_parse_power_cut_step_fills_its_index(void **state) {
    (void)state;
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"power-cut\",\"at\":\"install-extracted\"}", &request, &error), 0);
    assert_null(error);
    assert_int_equal(request.cmd, SIM_CTL_POWER_CUT);
    assert_string_equal(sim_update_crash_steps[request.power_cut_step], "install-extracted");
}

static void test_sim_ctl_parse_power_cut_none_disarms(void **state) {
    (void)state;
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"power-cut\",\"at\":\"none\"}", &request, &error), 0);
    assert_int_equal(request.power_cut_step, -1);
}

static void test_sim_ctl_parse_power_cut_bad_step_lists_the_steps(void **state) {
    (void)state;
    static const char *const bad[] = {
        "{\"cmd\":\"power-cut\"}",
        "{\"cmd\":\"power-cut\",\"at\":7}",
        "{\"cmd\":\"power-cut\",\"at\":\"\"}",
        "{\"cmd\":\"power-cut\",\"at\":\"install\"}",
        "{\"cmd\":\"power-cut\",\"at\":\"INSTALL-EXTRACTED\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sim_ctl_request request;
        const char *error = NULL;
        assert_int_equal(sim_ctl_parse(bad[i], &request, &error), -1);
        assert_non_null(strstr(error, "power-cut: \"at\" must be none or an update step"));
        // Every step is named, the last one too, so the list was not cut short.
        assert_non_null(strstr(error, "download-created"));
        assert_non_null(strstr(error, sim_update_crash_steps[sim_update_crash_step_count - 1]));
    }
}

static void test_sim_update_crash_step_index_knows_every_step_and_nothing_else(void **state) {
    (void)state;
    for (size_t i = 0; i < sim_update_crash_step_count; i++) {
        assert_int_equal(sim_update_crash_step_index(sim_update_crash_steps[i]), (int)i);
    }
    assert_int_equal(sim_update_crash_step_index("none"), -1);
    assert_int_equal(sim_update_crash_step_index(NULL), -1);
}

static void test_sim_update_crash_arm_out_of_range_changes_nothing(void **state) {
    (void)state;
    assert_int_equal(sim_update_crash_arm(2), 0);
    assert_int_equal(sim_update_crash_arm((int)sim_update_crash_step_count), -1);
    assert_int_equal(sim_update_crash_arm(-2), -1);
    assert_string_equal(sim_update_crash_armed(), sim_update_crash_steps[2]);
    assert_int_equal(sim_update_crash_arm(-1), 0);
    assert_null(sim_update_crash_armed());
}

// Runs the crash point step in a child with the crash point armed at armed (-1: none); returns
// the child's wait status.
static int crash_point_in_child(int armed, const char *step) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        unsetenv(SIM_UPDATE_CRASH_ENV);
        sim_update_crash_arm(armed);
        sim_update_crash_point(step);
        _exit(0);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    return status;
}

static void test_sim_update_crash_point_armed_step_ends_the_process(void **state) {
    (void)state;
    int index = sim_update_crash_step_index("install-pointer-written");
    int status = crash_point_in_child(index, "install-pointer-written");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), SIM_UPDATE_CRASH_STATUS);
}

static void test_sim_update_crash_point_other_or_no_step_carries_on(void **state) {
    (void)state;
    int index = sim_update_crash_step_index("install-pointer-written");
    int status = crash_point_in_child(index, "install-pointer-renamed");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    status = crash_point_in_child(-1, "install-pointer-written");
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_ctl_parse_power_cut_step_fills_its_index),
        cmocka_unit_test(test_sim_ctl_parse_power_cut_none_disarms),
        cmocka_unit_test(test_sim_ctl_parse_power_cut_bad_step_lists_the_steps),
        cmocka_unit_test(test_sim_update_crash_step_index_knows_every_step_and_nothing_else),
        cmocka_unit_test(test_sim_update_crash_arm_out_of_range_changes_nothing),
        cmocka_unit_test(test_sim_update_crash_point_armed_step_ends_the_process),
        cmocka_unit_test(test_sim_update_crash_point_other_or_no_step_carries_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
