// SPDX-License-Identifier: MIT
// Unit tests for the device clock's text forms (device_clock_text.c): durations, UTC times and
// rates as `ctl clock` and `run --clock-rate` take them, and the formats the OS prints.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "os/device_clock.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)

static void test_sim_clock_parse_duration_valid_forms_give_ms(void **state) {
    const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"+2h", 2 * HOUR_MS},
        {"-30m", -30 * 60000},
        {"1h30m", 90 * 60000},
        {"1500ms", 1500},
        {"1d", DAY_MS},
        {"-1d2h3m4s5ms", -(DAY_MS + 2 * HOUR_MS + 184005)},
        {"0s", 0},
        {"-0s", 0},
        {"90s", 90000},
        {"36525d", 36525 * DAY_MS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = 12345;
        assert_int_equal(sim_clock_parse_duration(cases[i].text, &ms), SIM_CLOCK_OK);
        assert_int_equal(ms, cases[i].ms);
    }
}

static void test_sim_clock_parse_duration_malformed_fails_syntax(void **state) {
    const char *bad[] = {"",     "+",    "-",    "2",     "2x",    "h",   "1.5h",
                         "+-1h", "2h ",  " 2h",  "1hm",   "2H",    "1 h", "2hours",
                         "ms",   "--1s", "1e3s", "0x10s", "1h-1m", "\t1s"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 777;
        assert_int_equal(sim_clock_parse_duration(bad[i], &ms), SIM_CLOCK_ERR_SYNTAX);
        assert_int_equal(ms, 777);
    }
}

static void test_sim_clock_parse_duration_too_long_fails_range(void **state) {
    const char *bad[] = {"36526d",  "-36526d",   "9999999999999999999h",
                         "876601h", "36525d1ms", "99999999999999999999999999999ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 777;
        assert_int_equal(sim_clock_parse_duration(bad[i], &ms), SIM_CLOCK_ERR_RANGE);
        assert_int_equal(ms, 777);
    }
    // A typo still reads as a typo, even after a number that is too large.
    int64_t ms = 0;
    assert_int_equal(sim_clock_parse_duration("99999999999999999999999d1x", &ms),
                     SIM_CLOCK_ERR_SYNTAX);
}

static void test_sim_clock_parse_time_valid_utc_gives_epoch_ms(void **state) {
    const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        {"2030-01-01T00:00:00Z", INT64_C(1893456000000)},
        {"2030-01-01T00:00:00.5Z", INT64_C(1893456000500)},
        {"2030-01-01T00:00:00.123456789Z", INT64_C(1893456000123)},
        {"1970-01-01T00:00:00Z", 0},
        {"2024-02-29T12:34:56z", INT64_C(1709210096000)},
        {"2000-03-01t00:00:00Z", INT64_C(951868800000)},
        {"2199-12-31T23:59:59.999Z", SIM_CLOCK_WALL_MAX_MS},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t ms = -1;
        assert_int_equal(sim_clock_parse_time(cases[i].text, &ms), SIM_CLOCK_OK);
        assert_int_equal(ms, cases[i].ms);
    }
}

static void test_sim_clock_parse_time_malformed_fails_syntax(void **state) {
    const char *bad[] = {"",
                         "2030-01-01",
                         "2030-01-01 00:00:00Z",
                         "2030-01-01T00:00:00",
                         "2030-01-01T00:00:00+01:00",
                         "2030-01-01T00:00:00Zjunk",
                         "2030-1-01T00:00:00Z",
                         "2030-01-01T00:00:00.Z",
                         "2030-01-01T00:00:00.1234567890Z",
                         "20300101T000000Z",
                         "+030-01-01T00:00:00Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 777;
        assert_int_equal(sim_clock_parse_time(bad[i], &ms), SIM_CLOCK_ERR_SYNTAX);
        assert_int_equal(ms, 777);
    }
}

static void test_sim_clock_parse_time_impossible_date_fails_range(void **state) {
    const char *bad[] = {"1969-12-31T23:59:59Z", "2030-13-01T00:00:00Z", "2030-00-10T00:00:00Z",
                         "2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2030-04-31T00:00:00Z",
                         "2030-01-01T24:00:00Z", "2030-01-01T00:60:00Z", "2030-01-01T00:00:60Z",
                         "2030-01-00T00:00:00Z", "2200-01-01T00:00:00Z", "9999-12-31T23:59:59Z"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ms = 777;
        assert_int_equal(sim_clock_parse_time(bad[i], &ms), SIM_CLOCK_ERR_RANGE);
        assert_int_equal(ms, 777);
    }
}

static void test_sim_clock_parse_rate_decimals_within_limits(void **state) {
    double rate = 0;
    assert_int_equal(sim_clock_parse_rate("3600", &rate), SIM_CLOCK_OK);
    assert_true(rate == 3600);
    assert_int_equal(sim_clock_parse_rate("0.5", &rate), SIM_CLOCK_OK);
    assert_true(rate == 0.5);
    assert_int_equal(sim_clock_parse_rate("1000000", &rate), SIM_CLOCK_OK);
    assert_int_equal(sim_clock_parse_rate(".001", &rate), SIM_CLOCK_OK);

    const char *syntax[] = {"", "abc", "1e3", "inf", "nan", "-1", "+2", "0x10", "1..2", ".", "1 "};
    for (size_t i = 0; i < sizeof(syntax) / sizeof(syntax[0]); i++) {
        assert_int_equal(sim_clock_parse_rate(syntax[i], &rate), SIM_CLOCK_ERR_SYNTAX);
    }
    const char *range[] = {"0", "0.0009", "1000000.5", "99999999999"};
    for (size_t i = 0; i < sizeof(range) / sizeof(range[0]); i++) {
        assert_int_equal(sim_clock_parse_rate(range[i], &rate), SIM_CLOCK_ERR_RANGE);
    }
}

static void test_sim_clock_format_duration_reads_back(void **state) {
    const struct {
        int64_t ms;
        const char *text;
    } cases[] = {
        {0, "+0s"},
        {-250, "-250ms"},
        {2 * HOUR_MS, "+2h"},
        {-(DAY_MS + 2 * HOUR_MS + 3000), "-1d2h3s"},
        {90 * 60000 + 1, "+1h30m1ms"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[48];
        sim_clock_format_duration(cases[i].ms, text, sizeof(text));
        assert_string_equal(text, cases[i].text);
        int64_t back = 0;
        assert_int_equal(sim_clock_parse_duration(text, &back), SIM_CLOCK_OK);
        assert_int_equal(back, cases[i].ms);
    }
    char tiny[4];
    sim_clock_format_duration(-(DAY_MS + 2 * HOUR_MS), tiny, sizeof(tiny));
    assert_string_equal(tiny, "-1d");
}

static void test_sim_clock_format_limits_give_iso_8601(void **state) {
    char text[40];
    sim_clock_format(0, text, sizeof(text));
    assert_string_equal(text, "1970-01-01T00:00:00.000Z");
    sim_clock_format(SIM_CLOCK_WALL_MAX_MS, text, sizeof(text));
    assert_string_equal(text, "2199-12-31T23:59:59.999Z");
    sim_clock_format(INT64_C(253402300799999), text, sizeof(text));
    assert_string_equal(text, "9999-12-31T23:59:59.999Z");
    sim_clock_format(SIM_CLOCK_UNSYNCED_MS, text, sizeof(text));
    assert_string_equal(text, "2026-01-01T00:00:00.000Z");
    sim_clock_format(-1, text, sizeof(text));
    assert_string_equal(text, "1969-12-31T23:59:59.999Z");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_clock_parse_duration_valid_forms_give_ms),
        cmocka_unit_test(test_sim_clock_parse_duration_malformed_fails_syntax),
        cmocka_unit_test(test_sim_clock_parse_duration_too_long_fails_range),
        cmocka_unit_test(test_sim_clock_parse_time_valid_utc_gives_epoch_ms),
        cmocka_unit_test(test_sim_clock_parse_time_malformed_fails_syntax),
        cmocka_unit_test(test_sim_clock_parse_time_impossible_date_fails_range),
        cmocka_unit_test(test_sim_clock_parse_rate_decimals_within_limits),
        cmocka_unit_test(test_sim_clock_format_duration_reads_back),
        cmocka_unit_test(test_sim_clock_format_limits_give_iso_8601),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
