// SPDX-License-Identifier: MIT
// The toxic text form: every kind with its parameters and defaults, the common options, errors
// that name the bad token, validation of toxics built in C, and format -> parse round trips.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "net/net_toxic.h"

static char err[512];

static struct sim_net_toxic parse_ok(const char *text) {
    struct sim_net_toxic t;
    memset(&t, 0xAB, sizeof(t));
    enum sim_net_proxy_result r = sim_net_toxic_parse(text, err, sizeof(err), &t);
    if (r != SIM_NET_PROXY_OK) {
        fail_msg("'%s' did not parse: %s", text, err);
    }
    return t;
}

static void assert_parse_error(const char *text, const char *fragment) {
    struct sim_net_toxic t;
    memset(&t, 0, sizeof(t));
    err[0] = '\0';
    assert_int_equal(sim_net_toxic_parse(text, err, sizeof(err), &t), SIM_NET_PROXY_ERR_INVALID);
    if (strstr(err, fragment) == NULL) {
        fail_msg("'%s': error '%s' lacks '%s'", text, err, fragment);
    }
    assert_int_equal(t.kind, SIM_NET_TOXIC_NONE);  // untouched on failure
}

static void assert_toxic_equal(const struct sim_net_toxic *a, const struct sim_net_toxic *b) {
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->directions, b->directions);
    assert_int_equal(a->probability_ppm, b->probability_ppm);
    assert_true(a->latency_us == b->latency_us && a->jitter_us == b->jitter_us);
    assert_true(a->rate == b->rate && a->after_us == b->after_us && a->delay_us == b->delay_us);
    assert_true(a->size == b->size && a->variation == b->variation && a->bytes == b->bytes);
}

static void test_toxic_parse_latency_with_jitter_and_direction(void **state) {
    struct sim_net_toxic t = parse_ok("latency 200ms jitter 50ms down");
    assert_int_equal(t.kind, SIM_NET_TOXIC_LATENCY);
    assert_true(t.latency_us == 200000);
    assert_true(t.jitter_us == 50000);
    assert_int_equal(t.directions, SIM_NET_DOWN);
    assert_int_equal(t.probability_ppm, 1000000);
    assert_string_equal(t.name, "latency_down");
}

static void test_toxic_parse_options_any_order(void **state) {
    struct sim_net_toxic t = parse_ok("latency name slow probability 25% up jitter 1ms 10ms");
    assert_true(t.latency_us == 10000);
    assert_true(t.jitter_us == 1000);
    assert_int_equal(t.directions, SIM_NET_UP);
    assert_int_equal(t.probability_ppm, 250000);
    assert_string_equal(t.name, "slow");
}

static void test_toxic_parse_every_kind_defaults(void **state) {
    struct sim_net_toxic t = parse_ok("bandwidth 64kB/s");
    assert_int_equal(t.kind, SIM_NET_TOXIC_BANDWIDTH);
    assert_true(t.rate == 64000);
    assert_int_equal(t.directions, SIM_NET_BOTH);
    assert_string_equal(t.name, "bandwidth_both");

    t = parse_ok("reset");
    assert_int_equal(t.kind, SIM_NET_TOXIC_RESET);
    assert_true(t.after_us == 0);
    t = parse_ok("reset after 2s down");
    assert_true(t.after_us == 2000000);

    t = parse_ok("blackhole up");
    assert_int_equal(t.kind, SIM_NET_TOXIC_BLACKHOLE);
    assert_string_equal(t.name, "blackhole_up");

    t = parse_ok("slow_close 3s");
    assert_int_equal(t.kind, SIM_NET_TOXIC_SLOW_CLOSE);
    assert_true(t.delay_us == 3000000);
    t = parse_ok("slow-close 1ms");
    assert_int_equal(t.kind, SIM_NET_TOXIC_SLOW_CLOSE);

    t = parse_ok("slicer");
    assert_int_equal(t.kind, SIM_NET_TOXIC_SLICER);
    assert_true(t.size == 8 && t.variation == 0 && t.delay_us == 1000);
    t = parse_ok("slicer size 16 variation 4 delay 0us");
    assert_true(t.size == 16 && t.variation == 4 && t.delay_us == 0);

    t = parse_ok("limit_data 1000 down");
    assert_int_equal(t.kind, SIM_NET_TOXIC_LIMIT_DATA);
    assert_true(t.bytes == 1000);
    t = parse_ok("cut 1KiB");
    assert_int_equal(t.kind, SIM_NET_TOXIC_LIMIT_DATA);
    assert_true(t.bytes == 1024);
    assert_string_equal(t.name, "limit_data_both");
}

static void test_toxic_parse_tokens_array_same_as_text(void **state) {
    const char *tokens[] = {"latency", "200ms", "down"};
    struct sim_net_toxic a;
    assert_int_equal(sim_net_toxic_parse_tokens(tokens, 3, err, sizeof(err), &a), SIM_NET_PROXY_OK);
    struct sim_net_toxic b = parse_ok("  latency\t200ms   down\n");
    assert_toxic_equal(&a, &b);
}

static void test_toxic_parse_bad_tokens_named(void **state) {
    assert_parse_error("", "empty toxic");
    assert_parse_error("latnecy 200ms", "token 1 'latnecy': unknown toxic");
    assert_parse_error("latency 200ms jiter 50ms",
                       "token 3 'jiter': unknown parameter for "
                       "latency (expected jitter, up");
    assert_parse_error("latency 200ms jitter", "token 3 'jitter': missing a value");
    assert_parse_error("latency 200 down", "token 2: '200': missing unit");
    assert_parse_error("latency down", "latency: missing its delay");
    assert_parse_error("latency 1ms jitter 1ms jitter 2ms", "token 5 'jitter': given twice");
    assert_parse_error("latency 1ms up down", "token 4 'down': a second direction");
    assert_parse_error("latency 1ms 2ms", "token 3 '2ms': unknown parameter");
    assert_parse_error("bandwidth", "bandwidth: missing its rate");
    assert_parse_error("bandwidth 10", "token 2: '10': missing unit");
    assert_parse_error("blackhole 5ms",
                       "token 2 '5ms': unknown parameter for blackhole (expected "
                       "up, down");
    assert_parse_error("reset after", "token 2 'after': missing a value");
    assert_parse_error("slicer size 0", "size: a slice must be at least 1 byte");
    assert_parse_error("limit_data ten", "token 2: 'ten' is not a byte count");
    assert_parse_error("reset probability 2", "token 3: '2': a probability is at most 1");
    assert_parse_error("reset name bad/name", "token 3 'bad/name': not a toxic name");
    assert_parse_error("reset name abcdefghijabcdefghijabcdefghijabc", "not a toxic name");
}

static void test_toxic_parse_overlong_input_rejected(void **state) {
    char text[SIM_NET_TOXIC_TEXT_MAX + 10];
    memset(text, 'a', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    assert_parse_error(text, "longer than");
    char many[400] = "reset";
    for (int i = 0; i < 40; i++) {
        strcat(many, " up");
    }
    assert_parse_error(many, "more than 32 tokens");
}

static void test_toxic_format_each_kind_round_trips(void **state) {
    const char *texts[] = {
        "latency 200ms jitter 50ms down",
        "latency 1.5s up probability 0.125 name x",
        "bandwidth 1Mbit/s",
        "reset after 2s down probability 0",
        "blackhole",
        "slow_close 300ms up",
        "slicer size 10 variation 5 delay 2ms down",
        "limit_data 0 name zero",
    };
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        struct sim_net_toxic t = parse_ok(texts[i]);
        char out[SIM_NET_TOXIC_TEXT_MAX];
        sim_net_toxic_format(&t, out, sizeof(out));
        struct sim_net_toxic back = parse_ok(out);
        assert_toxic_equal(&t, &back);
    }
    struct sim_net_toxic t = parse_ok("latency 200ms jitter 50ms down");
    char out[SIM_NET_TOXIC_TEXT_MAX];
    sim_net_toxic_format(&t, out, sizeof(out));
    assert_string_equal(out, "latency 200ms jitter 50ms down probability 100% name latency_down");
}

static void test_toxic_validate_bad_fields_named(void **state) {
    struct sim_net_toxic t = parse_ok("bandwidth 1kB/s");
    t.rate = 0;
    assert_int_equal(sim_net_toxic_validate(&t, err, sizeof(err)), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "rate"));
    t = parse_ok("reset");
    t.directions = 0;
    assert_int_equal(sim_net_toxic_validate(&t, err, sizeof(err)), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "directions"));
    t = parse_ok("reset");
    t.probability_ppm = 1000001;
    assert_int_equal(sim_net_toxic_validate(&t, err, sizeof(err)), SIM_NET_PROXY_ERR_INVALID);
    t = parse_ok("reset");
    t.name[0] = '\0';
    assert_int_equal(sim_net_toxic_validate(&t, err, sizeof(err)), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "name"));
    t = parse_ok("reset");
    t.kind = (enum sim_net_toxic_kind)99;
    assert_int_equal(sim_net_toxic_validate(&t, err, sizeof(err)), SIM_NET_PROXY_ERR_INVALID);
    assert_non_null(strstr(err, "kind"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_toxic_parse_latency_with_jitter_and_direction),
        cmocka_unit_test(test_toxic_parse_options_any_order),
        cmocka_unit_test(test_toxic_parse_every_kind_defaults),
        cmocka_unit_test(test_toxic_parse_tokens_array_same_as_text),
        cmocka_unit_test(test_toxic_parse_bad_tokens_named),
        cmocka_unit_test(test_toxic_parse_overlong_input_rejected),
        cmocka_unit_test(test_toxic_format_each_kind_round_trips),
        cmocka_unit_test(test_toxic_validate_bad_fields_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
