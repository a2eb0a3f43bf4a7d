// SPDX-License-Identifier: MIT
// The proxy's text commands: adding, listing, removing and clearing toxics per scope, the network
// switch, counters, and errors that say what was wrong without changing anything.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "net/net_command.h"

static char out[4096];

static int setup(void **state) {
    struct sim_net_proxy *proxy = NULL;
    struct sim_net_proxy_options options = {.seed = 1};
    assert_int_equal(sim_net_proxy_create(&options, &proxy), SIM_NET_PROXY_OK);
    // Upstream port 9 (discard): nothing connects in these tests.
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub", "127.0.0.1", 9, NULL),
                     SIM_NET_PROXY_OK);
    *state = proxy;
    return 0;
}

static int teardown(void **state) {
    sim_net_proxy_destroy(*state);
    return 0;
}

static void run_ok(struct sim_net_proxy *proxy, const char *line) {
    if (sim_net_command_line(proxy, line, out, sizeof(out)) != SIM_NET_PROXY_OK) {
        fail_msg("'%s' failed: %s", line, out);
    }
}

static void run_fails(struct sim_net_proxy *proxy, const char *line, enum sim_net_proxy_result want,
                      const char *fragment) {
    enum sim_net_proxy_result r = sim_net_command_line(proxy, line, out, sizeof(out));
    if (r != want || strstr(out, fragment) == NULL) {
        fail_msg("'%s': got %s '%s', wanted %s with '%s'", line, sim_net_proxy_result_name(r), out,
                 sim_net_proxy_result_name(want), fragment);
    }
}

static void test_command_toxic_add_echoes_canonical_form(void **state) {
    run_ok(*state, "toxic add all latency 200ms jitter 50ms down");
    assert_string_equal(out,
                        "all: latency 200ms jitter 50ms down probability 100% name "
                        "latency_down\n");
    run_ok(*state, "toxic add hub bandwidth 1kB/s up");
    assert_string_equal(out, "hub: bandwidth 1000B/s up probability 100% name bandwidth_up\n");
}

static void test_command_toxic_list_every_scope(void **state) {
    run_ok(*state, "toxic add all reset after 1s");
    run_ok(*state, "toxic add hub blackhole down");
    run_ok(*state, "toxic list");
    assert_string_equal(out,
                        "all: reset after 1s both probability 100% name reset_both\n"
                        "hub: blackhole down probability 100% name blackhole_down\n");
    run_ok(*state, "toxic list hub");
    assert_string_equal(out, "hub: blackhole down probability 100% name blackhole_down\n");
}

static void test_command_toxic_remove_and_clear(void **state) {
    run_ok(*state, "toxic add hub blackhole down");
    run_ok(*state, "toxic add hub slicer name s");
    run_ok(*state, "toxic remove hub s");
    run_ok(*state, "toxic list hub");
    assert_string_equal(out, "hub: blackhole down probability 100% name blackhole_down\n");
    run_ok(*state, "toxic clear hub");
    run_ok(*state, "toxic list hub");
    assert_string_equal(out, "");
}

static void test_command_bad_input_clear_error_nothing_changed(void **state) {
    run_fails(*state, "", SIM_NET_PROXY_ERR_INVALID, "empty command");
    run_fails(*state, "toxik add all reset", SIM_NET_PROXY_ERR_INVALID, "unknown command 'toxik'");
    run_fails(*state, "toxic put all reset", SIM_NET_PROXY_ERR_INVALID, "unknown action 'put'");
    run_fails(*state, "toxic add", SIM_NET_PROXY_ERR_INVALID, "missing the scope");
    run_fails(*state, "toxic add dps reset", SIM_NET_PROXY_ERR_NOT_FOUND, "no endpoint 'dps'");
    run_fails(*state, "toxic add all latency 200ms jiter 5ms", SIM_NET_PROXY_ERR_INVALID,
              "token 3 'jiter': unknown parameter for latency");
    run_fails(*state, "toxic add all", SIM_NET_PROXY_ERR_INVALID, "empty toxic");
    run_ok(*state, "toxic add all reset");
    run_fails(*state, "toxic add all reset", SIM_NET_PROXY_ERR_EXISTS,
              "already has a toxic named "
              "'reset_both'");
    run_fails(*state, "toxic remove all nope", SIM_NET_PROXY_ERR_NOT_FOUND,
              "no toxic named 'nope'");
    run_fails(*state, "toxic remove dps x", SIM_NET_PROXY_ERR_NOT_FOUND, "no endpoint 'dps'");
    run_fails(*state, "toxic list dps", SIM_NET_PROXY_ERR_NOT_FOUND, "no endpoint 'dps'");
    run_fails(*state, "network sideways", SIM_NET_PROXY_ERR_INVALID, "expected up, or down");
    run_fails(*state, "network down gently", SIM_NET_PROXY_ERR_INVALID, "unknown mode 'gently'");
    run_fails(*state, "stats dps", SIM_NET_PROXY_ERR_NOT_FOUND, "no endpoint 'dps'");
    run_ok(*state, "toxic list");
    assert_string_equal(out, "all: reset both probability 100% name reset_both\n");
    assert_true(sim_net_proxy_network_up(*state));
}

static void test_command_toxic_full_scope_refused(void **state) {
    char line[64];
    for (int i = 0; i < SIM_NET_MAX_TOXICS; i++) {
        snprintf(line, sizeof(line), "toxic add hub reset name r%d", i);
        run_ok(*state, line);
    }
    run_fails(*state, "toxic add hub reset name one_more", SIM_NET_PROXY_ERR_FULL,
              "already has 16");
}

static void test_command_network_down_up_reported_in_stats(void **state) {
    run_ok(*state, "network down stall");
    assert_string_equal(out, "network down (stall)\n");
    assert_false(sim_net_proxy_network_up(*state));
    run_ok(*state, "stats");
    assert_non_null(strstr(out, "network down\n"));
    run_ok(*state, "network up");
    run_ok(*state, "stats hub");
    assert_non_null(strstr(out, "hub: listen 127.0.0.1:"));
    assert_non_null(strstr(out, " upstream 127.0.0.1:9 open 0 total 0 refused 0 bytes_up 0 "));
}

static void test_command_tokens_form_same_as_line(void **state) {
    const char *tokens[] = {"toxic", "add", "hub", "limit_data", "10", "up"};
    assert_int_equal(sim_net_command(*state, tokens, 6, out, sizeof(out)), SIM_NET_PROXY_OK);
    assert_string_equal(out, "hub: limit_data 10B up probability 100% name limit_data_up\n");
}

static void test_command_small_reply_buffer_terminated(void **state) {
    char tiny[8];
    assert_int_equal(sim_net_command_line(*state, "network up", tiny, sizeof(tiny)),
                     SIM_NET_PROXY_OK);
    assert_int_equal(strlen(tiny), 7);
    assert_int_equal(sim_net_command_line(*state, "nonsense here", tiny, sizeof(tiny)),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(strlen(tiny), 7);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_command_toxic_add_echoes_canonical_form, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_command_toxic_list_every_scope, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_toxic_remove_and_clear, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_bad_input_clear_error_nothing_changed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_command_toxic_full_scope_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_network_down_up_reported_in_stats, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_command_tokens_form_same_as_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_command_small_reply_buffer_terminated, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
