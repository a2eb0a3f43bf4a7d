// SPDX-License-Identifier: MIT
// Unit tests for the `cert` control request's parsing (ctl_cert.c through sim_ctl_parse): the
// action, and the validity's type and bounds, each refused with a reason naming the field.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "os/ctl_cert.h"
#include "ctl_parse_assert.h"
#include "os/ctl_commands.h"

static void test_sim_ctl_parse_cert_rotate_without_validity_means_default(void **state) {
    (void)state;
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"cert\",\"action\":\"rotate\"}", &request, &error),
                     0);
    assert_int_equal(request.cmd, SIM_CTL_CERT);
    assert_int_equal(request.cert_validity_ms, 0);
}

static void test_sim_ctl_parse_cert_rotate_bounds_are_accepted(void **state) {
    (void)state;
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"cert\",\"action\":\"rotate\",\"validity_ms\":60000}",
                                   &request, &error),
                     0);
    assert_int_equal(request.cert_validity_ms, SIM_CTL_CERT_VALIDITY_MIN_MS);
    assert_int_equal(
        sim_ctl_parse("{\"cmd\":\"cert\",\"action\":\"rotate\",\"validity_ms\":31536000000}",
                      &request, &error),
        0);
    assert_int_equal(request.cert_validity_ms, SIM_CTL_CERT_VALIDITY_MAX_MS);
}

static void test_sim_ctl_parse_cert_bad_fields_name_them(void **state) {
    (void)state;
    assert_ctl_error("{\"cmd\":\"cert\"}", "cert: \"action\" must be rotate");
    assert_ctl_error("{\"cmd\":\"cert\",\"action\":\"renew\"}", "cert: \"action\" must be rotate");
    assert_ctl_error("{\"cmd\":\"cert\",\"action\":7}", "cert: \"action\"");
    const char *const bad[] = {"59999",  "31536000001", "-60000", "60000.5",
                               "\"2m\"", "null",        "1e999",  "true"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line), "{\"cmd\":\"cert\",\"action\":\"rotate\",\"validity_ms\":%s}",
                 bad[i]);
        assert_ctl_error(line, "cert rotate: \"validity_ms\" must be a whole number");
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_ctl_parse_cert_rotate_without_validity_means_default),
        cmocka_unit_test(test_sim_ctl_parse_cert_rotate_bounds_are_accepted),
        cmocka_unit_test(test_sim_ctl_parse_cert_bad_fields_name_them),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
