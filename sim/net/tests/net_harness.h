// SPDX-License-Identifier: MIT
// Test scaffolding for the fault proxy with real sockets on 127.0.0.1: the proxy driven on its
// own thread (the library itself never starts one; the OS drives it from its loop), an upstream
// server (echo, or a source that sends a fixed number of bytes and closes), and blocking client
// helpers with receive timeouts so a broken proxy fails a test instead of hanging it.
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net_proxy.h"

#define NET_HARNESS_MAX_EVENTS 4096

struct net_recorded_event {
    struct sim_net_event event;
    char endpoint[SIM_NET_ENDPOINT_NAME_MAX + 1];
    char toxic[SIM_NET_TOXIC_NAME_MAX + 1];
};

struct net_harness {
    struct sim_net_proxy *proxy;
    pthread_t thread;
    pthread_mutex_t lock;  // held around every proxy call, by the loop thread and the test
    int stop_fd;
    unsigned long steps;  // sim_net_proxy_step calls that found work
    struct net_recorded_event events[NET_HARNESS_MAX_EVENTS];
    size_t event_count;
};

// Creates the proxy with options (seed, buffer, limit; the event callback is the harness's) and
// starts its loop thread. Fails the test on error.
void net_harness_start(struct net_harness *h, const struct sim_net_proxy_options *options);
// Stops the loop and destroys the proxy.
void net_harness_stop(struct net_harness *h);
void net_harness_lock(struct net_harness *h);
void net_harness_unlock(struct net_harness *h);
// Adds an endpoint forwarding to 127.0.0.1:upstream_port; returns its listen port.
uint16_t net_harness_endpoint(struct net_harness *h, const char *name, uint16_t upstream_port);
// Parses and adds a toxic (fails the test if either step fails).
void net_harness_toxic(struct net_harness *h, const char *scope, const char *text);
void net_harness_remove_toxic(struct net_harness *h, const char *scope, const char *name);
void net_harness_network(struct net_harness *h, bool up, enum sim_net_down_mode mode);
struct sim_net_endpoint_info net_harness_info(struct net_harness *h, const char *name);
// Counts recorded events of a kind (any connection).
size_t net_harness_count(struct net_harness *h, enum sim_net_event_kind kind);
unsigned long net_harness_steps(struct net_harness *h);

enum net_server_mode {
    NET_SERVER_ECHO = 0,  // echoes everything; passes a FIN back once it has echoed all
    NET_SERVER_SOURCE,    // sends source_bytes of a pattern on accept, then FIN
};

struct net_server {
    int listen_fd;
    uint16_t port;
    int stop_fd;
    pthread_t thread;
    enum net_server_mode mode;
    size_t source_bytes;
    int accepted;  // atomics: read with __atomic_load_n
    int resets;    // connections that ended with ECONNRESET on the server's side
};

void net_server_start(struct net_server *s, enum net_server_mode mode, size_t source_bytes);
void net_server_stop(struct net_server *s);

// The byte at offset i of the pattern the source sends and the tests write: not periodic in any
// power of two, so a dropped or repeated chunk shows.
uint8_t net_pattern(size_t i);

// A blocking client socket connected to 127.0.0.1:port with a 10 s receive timeout. Fails the
// test if the connect fails.
int net_connect(uint16_t port);
// connect() to 127.0.0.1:port and return 0 or the errno it failed with.
int net_connect_errno(uint16_t port);
void net_send_all(int fd, const void *data, size_t len);
// Reads exactly len bytes (fails the test on EOF, error or timeout).
void net_recv_exact(int fd, void *data, size_t len);
// Reads until EOF or error, up to cap bytes; returns the count and the final errno (0 on EOF).
size_t net_recv_until_close(int fd, uint8_t *data, size_t cap, int *out_errno);
// True if fd has data or EOF within ms milliseconds.
bool net_readable_within(int fd, int ms);
int64_t net_now_ms(void);
// Waits (bounded by 10 s, then fails) until *counter >= value.
void net_wait_counter(int *counter, int value);
// Open descriptors of this process.
int net_open_fds(void);
