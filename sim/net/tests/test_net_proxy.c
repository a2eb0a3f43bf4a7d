// SPDX-License-Identifier: MIT
// The proxy as a forwarder, over real loopback sockets: bytes intact under load with small buffers
// (partial writes, backpressure), half-close passed through, no busy loop while a reader stalls,
// no descriptor leaks, upstream failures and the connection limit, the network switch, counters,
// and seeded decisions that replay.
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "net_harness.h"

static uint8_t probe_byte = 'x';

static void echo_byte(int fd) {
    uint8_t back = 0;
    net_send_all(fd, &probe_byte, 1);
    net_recv_exact(fd, &back, 1);
    assert_int_equal(back, probe_byte);
}

// Writes total pattern bytes and reads the echo back at the same time (non-blocking, so neither
// side's buffers can deadlock the test), checking every byte.
static void echo_stream(int fd, size_t total) {
    size_t sent = 0;
    size_t got = 0;
    uint8_t buf[8192];
    while (got < total) {
        struct pollfd p = {.fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0)};
        assert_true(poll(&p, 1, 10000) > 0);
        if ((p.revents & POLLOUT) && sent < total) {
            size_t n = total - sent < sizeof(buf) ? total - sent : sizeof(buf);
            for (size_t i = 0; i < n; i++) {
                buf[i] = net_pattern(sent + i);
            }
            ssize_t w = send(fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
            assert_true(w > 0 || errno == EAGAIN);
            sent += w > 0 ? (size_t)w : 0;
        }
        if (p.revents & POLLIN) {
            ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
            if (r <= 0) {
                fail_msg("echo stream ended after %zu of %zu bytes (%s)", got, total,
                         r == 0 ? "EOF" : strerror(errno));
            }
            for (ssize_t i = 0; i < r; i++) {
                if (buf[i] != net_pattern(got + (size_t)i)) {
                    fail_msg("byte %zu differs", got + (size_t)i);
                }
            }
            got += (size_t)r;
        }
    }
}

static void test_proxy_echo_large_stream_small_buffer_intact(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1, .buffer_bytes = 4096};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    echo_stream(fd, 4 * 1024 * 1024);
    close(fd);
    struct sim_net_endpoint_info info = net_harness_info(&h, "hub");
    assert_true(info.bytes[0] == 4 * 1024 * 1024);
    assert_true(info.bytes[1] == 4 * 1024 * 1024);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_proxy_half_close_client_fin_passes_both_ways(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1, .buffer_bytes = 4096};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    enum { LEN = 3000 };
    uint8_t out[LEN];
    for (size_t i = 0; i < LEN; i++) {
        out[i] = net_pattern(i);
    }
    net_send_all(fd, out, LEN);
    // The client stops sending but keeps reading: the echo must still arrive in full, then the
    // server's own FIN.
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    uint8_t in[LEN + 1];
    int err = -1;
    size_t got = net_recv_until_close(fd, in, sizeof(in), &err);
    assert_int_equal(err, 0);
    assert_int_equal(got, LEN);
    assert_memory_equal(in, out, LEN);
    close(fd);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_proxy_stalled_reader_no_busy_loop_then_intact(void **state) {
    enum { TOTAL = 4 * 1024 * 1024 };
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1, .buffer_bytes = 16384};
    net_server_start(&server, NET_SERVER_SOURCE, TOTAL);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    usleep(200000);  // let every buffer on the way fill up
    unsigned long before = net_harness_steps(&h);
    usleep(500000);
    unsigned long idle_steps = net_harness_steps(&h) - before;
    print_message("proxy steps while the reader stalled for 500 ms: %lu\n", idle_steps);
    // A busy loop would step thousands of times; a blocked proxy does not step at all.
    assert_true(idle_steps < 20);
    uint8_t *data = malloc(TOTAL);
    int err = -1;
    size_t got = net_recv_until_close(fd, data, TOTAL, &err);
    assert_int_equal(err, 0);
    assert_int_equal(got, TOTAL);
    for (size_t i = 0; i < got; i++) {
        if (data[i] != net_pattern(i)) {
            fail_msg("byte %zu differs", i);
        }
    }
    free(data);
    close(fd);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_proxy_many_connections_no_fd_leak(void **state) {
    int before = net_open_fds();
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 3};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    for (int i = 0; i < 30; i++) {
        int fd = net_connect(port);
        echo_byte(fd);
        close(fd);
    }
    // Some connections reset by a toxic, some left open at shutdown.
    net_harness_toxic(&h, "hub", "reset after 1ms probability 0.5");
    for (int i = 0; i < 10; i++) {
        int fd = net_connect(port);
        uint8_t b = 0;
        // Either the echo or the reset comes back; which one does not matter here.
        (void)send(fd, &probe_byte, 1, MSG_NOSIGNAL);
        (void)recv(fd, &b, 1, 0);
        close(fd);
    }
    int open_fds[3];
    for (int i = 0; i < 3; i++) {
        open_fds[i] = net_connect(port);
    }
    net_harness_stop(&h);
    net_server_stop(&server);
    for (int i = 0; i < 3; i++) {
        close(open_fds[i]);
    }
    assert_int_equal(net_open_fds(), before);
}

static void test_proxy_upstream_refused_client_reset(void **state) {
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1};
    // A port nobody listens on: bound, read and released.
    struct net_server gone;
    net_server_start(&gone, NET_SERVER_ECHO, 0);
    uint16_t dead_port = gone.port;
    net_server_stop(&gone);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", dead_port);
    int fd = net_connect(port);
    uint8_t b;
    assert_int_equal(recv(fd, &b, 1, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    close(fd);
    assert_true(net_harness_info(&h, "hub").connections_refused == 1);
    assert_int_equal(net_harness_count(&h, SIM_NET_EVENT_UPSTREAM_FAILED), 1);
    net_harness_stop(&h);
}

static void test_proxy_connection_limit_extra_reset(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1, .max_connections = 2};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int a = net_connect(port);
    int b = net_connect(port);
    echo_byte(a);
    echo_byte(b);
    int c = net_connect(port);
    uint8_t byte;
    assert_int_equal(recv(c, &byte, 1, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    assert_int_equal(net_harness_count(&h, SIM_NET_EVENT_REFUSED), 1);
    struct sim_net_endpoint_info info = net_harness_info(&h, "hub");
    assert_true(info.connections_open == 2 && info.connections_total == 3);
    close(a);
    close(b);
    close(c);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_network_down_reset_existing_refuses_new_then_recovers(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    echo_byte(fd);
    net_harness_network(&h, false, SIM_NET_DOWN_RESET);
    uint8_t b;
    assert_int_equal(recv(fd, &b, 1, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    close(fd);
    assert_int_equal(net_connect_errno(port), ECONNREFUSED);
    assert_int_equal(net_harness_count(&h, SIM_NET_EVENT_NETWORK_RESET), 1);
    net_harness_network(&h, true, SIM_NET_DOWN_RESET);
    fd = net_connect(port);  // the same port again
    echo_byte(fd);
    close(fd);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_network_down_stall_holds_data_until_up(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    echo_byte(fd);
    net_harness_network(&h, false, SIM_NET_DOWN_STALL);
    net_send_all(fd, "abc", 3);
    assert_false(net_readable_within(fd, 300));
    assert_int_equal(net_connect_errno(port), ECONNREFUSED);
    net_harness_network(&h, true, SIM_NET_DOWN_RESET);
    char in[3];
    net_recv_exact(fd, in, 3);
    assert_memory_equal(in, "abc", 3);
    close(fd);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_remove_endpoint_resets_its_connections(void **state) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = 1};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    int fd = net_connect(port);
    echo_byte(fd);
    net_harness_lock(&h);
    assert_int_equal(sim_net_proxy_remove_endpoint(h.proxy, "hub"), SIM_NET_PROXY_OK);
    assert_int_equal(sim_net_proxy_remove_endpoint(h.proxy, "hub"), SIM_NET_PROXY_ERR_NOT_FOUND);
    net_harness_unlock(&h);
    uint8_t b;
    assert_int_equal(recv(fd, &b, 1, 0), -1);
    assert_int_equal(errno, ECONNRESET);
    close(fd);
    assert_int_equal(net_connect_errno(port), ECONNREFUSED);
    net_harness_stop(&h);
    net_server_stop(&server);
}

static void test_add_endpoint_bad_arguments_rejected(void **state) {
    struct sim_net_proxy *proxy = NULL;
    struct sim_net_proxy_options options = {.seed = 1};
    uint16_t port = 0;
    assert_int_equal(sim_net_proxy_create(&options, &proxy), SIM_NET_PROXY_OK);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "all", "127.0.0.1", 1, &port),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "bad name", "127.0.0.1", 1, &port),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub", "localhost", 1, &port),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub", "127.0.0.1", 0, &port),
                     SIM_NET_PROXY_ERR_INVALID);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub:x", "::1", 8883, NULL),
                     SIM_NET_PROXY_OK);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub", "::1", 8883, &port),
                     SIM_NET_PROXY_OK);
    assert_int_equal(sim_net_proxy_add_endpoint(proxy, "hub", "127.0.0.1", 1, &port),
                     SIM_NET_PROXY_ERR_EXISTS);
    struct sim_net_endpoint_info info;
    assert_int_equal(sim_net_proxy_endpoint_info(proxy, "hub", &info), SIM_NET_PROXY_OK);
    assert_string_equal(info.upstream, "[::1]:8883");
    assert_int_equal(info.listen_port, port);
    sim_net_proxy_destroy(proxy);
}

// The decisions and slice sizes of 12 sequential connections meeting two toxics, as one string.
static void decisions(uint64_t seed, char *out, size_t out_size) {
    struct net_server server;
    struct net_harness h;
    struct sim_net_proxy_options options = {.seed = seed};
    net_server_start(&server, NET_SERVER_ECHO, 0);
    net_harness_start(&h, &options);
    uint16_t port = net_harness_endpoint(&h, "hub", server.port);
    net_harness_toxic(&h, "all", "latency 1ms jitter 1ms probability 0.5 down");
    net_harness_toxic(&h, "hub", "slicer size 4 variation 2 probability 0.5 up");
    for (int i = 0; i < 12; i++) {
        int fd = net_connect(port);
        echo_byte(fd);
        close(fd);
    }
    net_harness_stop(&h);
    net_server_stop(&server);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < h.event_count; i++) {
        const struct sim_net_event *e = &h.events[i].event;
        // Jitter is left out: how many chunks the kernel delivers, and so how many jitters are
        // drawn, may vary; decisions and slice sizes may not.
        if (e->kind != SIM_NET_EVENT_APPLY && e->kind != SIM_NET_EVENT_SKIP &&
            e->kind != SIM_NET_EVENT_SLICE) {
            continue;
        }
        char line[160];
        sim_net_event_format(e, line, sizeof(line));
        int n = snprintf(out + used, out_size - used, "%s\n", line);
        assert_true(n > 0 && (size_t)n < out_size - used);
        used += (size_t)n;
    }
}

static void test_decisions_same_seed_replay_other_seed_differs(void **state) {
    static char first[8192];
    static char again[8192];
    static char other[8192];
    decisions(20240601, first, sizeof(first));
    decisions(20240601, again, sizeof(again));
    decisions(7, other, sizeof(other));
    assert_string_equal(first, again);
    assert_string_not_equal(first, other);
    // A fair coin over 24 decisions: both outcomes occur.
    assert_non_null(strstr(first, " apply "));
    assert_non_null(strstr(first, " skip "));
    assert_non_null(strstr(first, " slice "));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_proxy_echo_large_stream_small_buffer_intact),
        cmocka_unit_test(test_proxy_half_close_client_fin_passes_both_ways),
        cmocka_unit_test(test_proxy_stalled_reader_no_busy_loop_then_intact),
        cmocka_unit_test(test_proxy_many_connections_no_fd_leak),
        cmocka_unit_test(test_proxy_upstream_refused_client_reset),
        cmocka_unit_test(test_proxy_connection_limit_extra_reset),
        cmocka_unit_test(test_network_down_reset_existing_refuses_new_then_recovers),
        cmocka_unit_test(test_network_down_stall_holds_data_until_up),
        cmocka_unit_test(test_remove_endpoint_resets_its_connections),
        cmocka_unit_test(test_add_endpoint_bad_arguments_rejected),
        cmocka_unit_test(test_decisions_same_seed_replay_other_seed_differs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
