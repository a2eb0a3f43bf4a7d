// SPDX-License-Identifier: MIT
// Each toxic observed from the client's side, through the real proxy over real loopback sockets:
// latency (at least the delay), bandwidth (at least bytes/rate, and slower than an unshaped run in
// the same test), reset (ECONNRESET), blackhole (nothing arrives, the connection stays open),
// slow close (the FIN comes late), slicer (bytes intact and in order) and limit_data (exactly N
// bytes, then EOF). No test puts an upper bound on time.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_harness.h"

struct fixture {
    struct net_harness harness;
    struct net_server server;
    uint16_t port;  // the proxy's listener for endpoint "hub"
};

static int setup_with(void **state, enum net_server_mode mode, size_t source_bytes) {
    struct fixture *f = calloc(1, sizeof(*f));
    struct sim_net_proxy_options options = {.seed = 1};
    net_server_start(&f->server, mode, source_bytes);
    net_harness_start(&f->harness, &options);
    f->port = net_harness_endpoint(&f->harness, "hub", f->server.port);
    *state = f;
    return 0;
}

static int setup_echo(void **state) {
    return setup_with(state, NET_SERVER_ECHO, 0);
}

static int setup_source(void **state) {
    return setup_with(state, NET_SERVER_SOURCE, 200000);
}

static int setup_small_source(void **state) {
    return setup_with(state, NET_SERVER_SOURCE, 10000);
}

static int teardown(void **state) {
    struct fixture *f = *state;
    net_harness_stop(&f->harness);
    net_server_stop(&f->server);
    free(f);
    return 0;
}

static int64_t echo_round_trip_ms(int fd, size_t len) {
    uint8_t out[256];
    uint8_t in[256];
    for (size_t i = 0; i < len; i++) {
        out[i] = net_pattern(i);
    }
    int64_t start = net_now_ms();
    net_send_all(fd, out, len);
    net_recv_exact(fd, in, len);
    int64_t elapsed = net_now_ms() - start;
    assert_memory_equal(in, out, len);
    return elapsed;
}

static void test_latency_down_round_trip_at_least_delay(void **state) {
    struct fixture *f = *state;
    int fd = net_connect(f->port);
    int64_t plain = echo_round_trip_ms(fd, 64);
    net_harness_toxic(&f->harness, "hub", "latency 200ms down");
    int64_t delayed = echo_round_trip_ms(fd, 64);
    print_message("round trip: %lld ms plain, %lld ms with latency 200ms\n", (long long)plain,
                  (long long)delayed);
    assert_true(delayed >= 200);
    close(fd);
}

static void test_latency_both_directions_add_up(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "all", "latency 100ms");
    int fd = net_connect(f->port);
    assert_true(echo_round_trip_ms(fd, 32) >= 200);
    close(fd);
}

static void test_latency_jitter_recorded_within_band(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "latency 100ms jitter 40ms up");
    int fd = net_connect(f->port);
    for (int i = 0; i < 5; i++) {
        assert_true(echo_round_trip_ms(fd, 16) >= 60);
    }
    close(fd);
    size_t jitters = 0;
    net_harness_lock(&f->harness);
    for (size_t i = 0; i < f->harness.event_count; i++) {
        const struct sim_net_event *e = &f->harness.events[i].event;
        if (e->kind == SIM_NET_EVENT_JITTER) {
            jitters++;
            assert_int_equal(e->direction, SIM_NET_UP);
            assert_in_range(e->value, 60000, 140000);
        }
    }
    net_harness_unlock(&f->harness);
    assert_true(jitters >= 5);
}

static int64_t download_ms(uint16_t port, size_t expect) {
    int64_t start = net_now_ms();
    int fd = net_connect(port);
    uint8_t *data = malloc(expect);
    int err = -1;
    size_t got = net_recv_until_close(fd, data, expect, &err);
    int64_t elapsed = net_now_ms() - start;
    assert_int_equal(err, 0);
    assert_int_equal(got, expect);
    for (size_t i = 0; i < got; i++) {
        if (data[i] != net_pattern(i)) {
            fail_msg("byte %zu differs", i);
        }
    }
    free(data);
    close(fd);
    return elapsed;
}

static void test_bandwidth_down_slower_than_unshaped_by_rate(void **state) {
    struct fixture *f = *state;
    const size_t bytes = 200000;
    const uint64_t rate = 400000;
    int64_t plain = download_ms(f->port, bytes);
    net_harness_toxic(&f->harness, "hub", "bandwidth 400kB/s down");
    int64_t shaped = download_ms(f->port, bytes);
    print_message("200000 bytes: %lld ms plain, %lld ms at 400kB/s\n", (long long)plain,
                  (long long)shaped);
    // The first piece may go at once; everything after it waits for the pacer.
    size_t piece = rate / 20;
    assert_true(shaped >= (int64_t)((bytes - piece) * 1000 / rate));
    assert_true(shaped >= 2 * plain);
}

static void test_reset_down_client_sees_econnreset(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "reset after 100ms down");
    int64_t start = net_now_ms();
    int fd = net_connect(f->port);
    uint8_t byte;
    ssize_t n = recv(fd, &byte, 1, 0);
    int err = errno;
    assert_int_equal(n, -1);
    assert_int_equal(err, ECONNRESET);
    assert_true(net_now_ms() - start >= 100);
    assert_int_equal(net_harness_count(&f->harness, SIM_NET_EVENT_RESET), 1);
    close(fd);
}

static void test_reset_up_upstream_reset_client_sees_eof(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "reset up");
    int fd = net_connect(f->port);
    uint8_t byte;
    assert_int_equal(recv(fd, &byte, 1, 0), 0);
    net_wait_counter(&f->server.resets, 1);
    close(fd);
}

static void test_blackhole_down_drops_data_keeps_connection(void **state) {
    struct fixture *f = *state;
    int fd = net_connect(f->port);
    echo_round_trip_ms(fd, 8);  // the connection is up and echoing
    net_harness_toxic(&f->harness, "hub", "blackhole down");
    net_send_all(fd, "ping", 4);
    assert_false(net_readable_within(fd, 300));  // nothing, not even EOF
    net_harness_remove_toxic(&f->harness, "hub", "blackhole_down");
    net_send_all(fd, "pong", 4);
    char in[4];
    net_recv_exact(fd, in, 4);
    assert_memory_equal(in, "pong", 4);  // the echoed "ping" was dropped, the connection lived
    assert_true(net_harness_info(&f->harness, "hub").dropped[1] == 4);
    close(fd);
}

static void test_slow_close_down_fin_arrives_after_delay(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "slow_close 300ms down");
    int64_t start = net_now_ms();
    int fd = net_connect(f->port);
    int err = -1;
    size_t got = net_recv_until_close(fd, NULL, SIZE_MAX, &err);
    assert_int_equal(err, 0);
    assert_int_equal(got, 10000);
    assert_true(net_now_ms() - start >= 300);
    assert_int_equal(net_harness_count(&f->harness, SIM_NET_EVENT_SLOW_CLOSE), 1);
    close(fd);
}

static void test_slicer_down_bytes_intact_in_order(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "slicer size 10 variation 5 delay 100us down");
    int fd = net_connect(f->port);
    enum { LEN = 3000 };
    uint8_t out[LEN];
    uint8_t in[LEN];
    for (size_t i = 0; i < LEN; i++) {
        out[i] = net_pattern(i);
    }
    net_send_all(fd, out, LEN);
    net_recv_exact(fd, in, LEN);
    assert_memory_equal(in, out, LEN);
    // At most 15 bytes a slice: at least 200 slices, each size a recorded decision.
    assert_true(net_harness_count(&f->harness, SIM_NET_EVENT_SLICE) >= LEN / 15);
    close(fd);
}

static void test_limit_data_down_exactly_n_bytes_then_eof(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "limit_data 1000 down");
    int fd = net_connect(f->port);
    uint8_t data[10000];
    int err = -1;
    size_t got = net_recv_until_close(fd, data, sizeof(data), &err);
    assert_int_equal(err, 0);
    assert_int_equal(got, 1000);
    for (size_t i = 0; i < got; i++) {
        assert_int_equal(data[i], net_pattern(i));
    }
    assert_int_equal(net_harness_count(&f->harness, SIM_NET_EVENT_CUT), 1);
    close(fd);
}

static void test_limit_data_up_upstream_gets_exactly_n(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "limit_data 100 up");
    int fd = net_connect(f->port);
    uint8_t out[300];
    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = net_pattern(i);
    }
    net_send_all(fd, out, sizeof(out));
    // The whole connection closes once the 100 bytes are through: a FIN, not a reset.
    uint8_t in[300];
    int err = -1;
    size_t got = net_recv_until_close(fd, in, sizeof(in), &err);
    assert_int_equal(err, 0);
    assert_true(got <= 100);
    assert_memory_equal(in, out, got);
    assert_true(net_harness_info(&f->harness, "hub").bytes[0] == 100);
    close(fd);
}

static void test_probability_zero_toxic_never_applies(void **state) {
    struct fixture *f = *state;
    net_harness_toxic(&f->harness, "hub", "reset probability 0");
    int fd = net_connect(f->port);
    echo_round_trip_ms(fd, 16);
    close(fd);
    assert_int_equal(net_harness_count(&f->harness, SIM_NET_EVENT_SKIP), 2);  // up and down
    assert_int_equal(net_harness_count(&f->harness, SIM_NET_EVENT_RESET), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_latency_down_round_trip_at_least_delay, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_latency_both_directions_add_up, setup_echo, teardown),
        cmocka_unit_test_setup_teardown(test_latency_jitter_recorded_within_band, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_bandwidth_down_slower_than_unshaped_by_rate,
                                        setup_source, teardown),
        cmocka_unit_test_setup_teardown(test_reset_down_client_sees_econnreset, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_up_upstream_reset_client_sees_eof, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_blackhole_down_drops_data_keeps_connection, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_slow_close_down_fin_arrives_after_delay,
                                        setup_small_source, teardown),
        cmocka_unit_test_setup_teardown(test_slicer_down_bytes_intact_in_order, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_limit_data_down_exactly_n_bytes_then_eof,
                                        setup_small_source, teardown),
        cmocka_unit_test_setup_teardown(test_limit_data_up_upstream_gets_exactly_n, setup_echo,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_probability_zero_toxic_never_applies, setup_echo,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
