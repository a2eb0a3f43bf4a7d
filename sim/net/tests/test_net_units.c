// SPDX-License-Identifier: MIT
// Durations, byte counts, rates and probabilities as the proxy's text form spells them: each unit,
// decimals, exactness, overflow, and messages that quote the bad value.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/net_units.h"

static char err[256];

static uint64_t duration(const char *text) {
    uint64_t us = 0;
    assert_int_equal(sim_net_parse_duration(text, err, sizeof(err), &us), SIM_NET_PROXY_OK);
    return us;
}

static void assert_duration_error(const char *text, const char *fragment) {
    uint64_t us = 7;
    err[0] = '\0';
    assert_int_equal(sim_net_parse_duration(text, err, sizeof(err), &us),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, fragment));
    assert_true(us == 7);
}

static void test_parse_duration_each_unit_converts(void **state) {
    assert_true(duration("250us") == 250);
    assert_true(duration("200ms") == 200000);
    assert_true(duration("3s") == 3000000);
    assert_true(duration("2min") == 120000000);
    assert_true(duration("0ms") == 0);
}

static void test_parse_duration_decimal_exact_accepted(void **state) {
    assert_true(duration("1.5s") == 1500000);
    assert_true(duration("0.25ms") == 250);
}

static void test_parse_duration_bad_input_names_value(void **state) {
    assert_duration_error("200", "missing unit");
    assert_duration_error("200x", "unknown unit 'x'");
    assert_duration_error("ms", "'ms' is not a duration");
    assert_duration_error("", "is not a duration");
    assert_duration_error("1.5us", "finer than");
    assert_duration_error("-5ms", "'-5ms' is not");
    assert_duration_error("1.ms", "unknown unit '.ms'");
    assert_duration_error("2day", "unknown unit 'day'");
    assert_duration_error("25h", "unknown unit");
    assert_duration_error("1441min", "too large");
    assert_duration_error("9999999999999999ms", "is not a duration");
    assert_duration_error("999999999999999min", "too large");
}

static void test_parse_bytes_bare_and_units_convert(void **state) {
    uint64_t b = 0;
    assert_int_equal(sim_net_parse_bytes("100", err, sizeof(err), &b), SIM_NET_PROXY_OK);
    assert_true(b == 100);
    assert_int_equal(sim_net_parse_bytes("4KiB", err, sizeof(err), &b), SIM_NET_PROXY_OK);
    assert_true(b == 4096);
    assert_int_equal(sim_net_parse_bytes("1.5kB", err, sizeof(err), &b), SIM_NET_PROXY_OK);
    assert_true(b == 1500);
    assert_int_equal(sim_net_parse_bytes("2MiB", err, sizeof(err), &b), SIM_NET_PROXY_OK);
    assert_true(b == 2097152);
    assert_int_equal(sim_net_parse_bytes("1.5B", err, sizeof(err), &b), SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_parse_bytes("4kb", err, sizeof(err), &b), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "unknown unit 'kb'"));
}

static void test_parse_rate_bytes_and_bits_convert(void **state) {
    uint64_t r = 0;
    assert_int_equal(sim_net_parse_rate("64kB/s", err, sizeof(err), &r), SIM_NET_PROXY_OK);
    assert_true(r == 64000);
    assert_int_equal(sim_net_parse_rate("1Mbit/s", err, sizeof(err), &r), SIM_NET_PROXY_OK);
    assert_true(r == 125000);
    assert_int_equal(sim_net_parse_rate("8bit/s", err, sizeof(err), &r), SIM_NET_PROXY_OK);
    assert_true(r == 1);
    assert_int_equal(sim_net_parse_rate("1bit/s", err, sizeof(err), &r), SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_parse_rate("0B/s", err, sizeof(err), &r), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "at least 1B/s"));
    assert_int_equal(sim_net_parse_rate("1000", err, sizeof(err), &r), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "missing unit"));
}

static void test_parse_probability_fraction_and_percent(void **state) {
    uint32_t ppm = 0;
    assert_int_equal(sim_net_parse_probability("0.25", err, sizeof(err), &ppm), SIM_NET_PROXY_OK);
    assert_int_equal(ppm, 250000);
    assert_int_equal(sim_net_parse_probability("1", err, sizeof(err), &ppm), SIM_NET_PROXY_OK);
    assert_int_equal(ppm, 1000000);
    assert_int_equal(sim_net_parse_probability("12.5%", err, sizeof(err), &ppm), SIM_NET_PROXY_OK);
    assert_int_equal(ppm, 125000);
    assert_int_equal(sim_net_parse_probability("0", err, sizeof(err), &ppm), SIM_NET_PROXY_OK);
    assert_int_equal(ppm, 0);
    assert_int_equal(sim_net_parse_probability("1.5", err, sizeof(err), &ppm),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "at most 1"));
    assert_int_equal(sim_net_parse_probability("150%", err, sizeof(err), &ppm),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_parse_probability("half", err, sizeof(err), &ppm),
                     SIM_NET_PROXY_ERR_INVALID);
}

static void test_format_values_largest_exact_unit(void **state) {
    char out[32];
    sim_net_format_duration(2000000, out, sizeof(out));
    assert_string_equal(out, "2s");
    sim_net_format_duration(1500000, out, sizeof(out));
    assert_string_equal(out, "1500ms");
    sim_net_format_duration(250, out, sizeof(out));
    assert_string_equal(out, "250us");
    sim_net_format_duration(0, out, sizeof(out));
    assert_string_equal(out, "0us");
    sim_net_format_bytes(4096, out, sizeof(out));
    assert_string_equal(out, "4096B");
    sim_net_format_rate(64000, out, sizeof(out));
    assert_string_equal(out, "64000B/s");
    sim_net_format_probability(1000000, out, sizeof(out));
    assert_string_equal(out, "100%");
    sim_net_format_probability(125000, out, sizeof(out));
    assert_string_equal(out, "12.5%");
    sim_net_format_probability(1, out, sizeof(out));
    assert_string_equal(out, "0.0001%");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_duration_each_unit_converts),
        cmocka_unit_test(test_parse_duration_decimal_exact_accepted),
        cmocka_unit_test(test_parse_duration_bad_input_names_value),
        cmocka_unit_test(test_parse_bytes_bare_and_units_convert),
        cmocka_unit_test(test_parse_rate_bytes_and_bits_convert),
        cmocka_unit_test(test_parse_probability_fraction_and_percent),
        cmocka_unit_test(test_format_values_largest_exact_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
