// SPDX-License-Identifier: MIT
// Test scaffolding for the fault proxy; see net_harness.h.
#include "net_harness.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#define SERVER_MAX_CONNS 64
#define SERVER_BUFFER 65536

// --- The proxy on its own thread. ---

static void record(const struct sim_net_event *event, void *context) {
    struct net_harness *h = context;  // called with h->lock held
    if (h->event_count == NET_HARNESS_MAX_EVENTS) {
        return;
    }
    struct net_recorded_event *r = &h->events[h->event_count++];
    r->event = *event;
    snprintf(r->endpoint, sizeof(r->endpoint), "%s", event->endpoint);
    snprintf(r->toxic, sizeof(r->toxic), "%s", event->toxic);
    r->event.endpoint = r->endpoint;
    r->event.toxic = r->toxic;
}

static void *proxy_loop(void *arg) {
    struct net_harness *h = arg;
    struct pollfd fds[2] = {{.fd = sim_net_proxy_fd(h->proxy), .events = POLLIN},
                            {.fd = h->stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0 && errno != EINTR) {
            return NULL;
        }
        if (fds[1].revents != 0) {
            return NULL;
        }
        if (fds[0].revents != 0) {
            pthread_mutex_lock(&h->lock);
            sim_net_proxy_step(h->proxy, 0);
            h->steps++;
            pthread_mutex_unlock(&h->lock);
        }
    }
}

void net_harness_start(struct net_harness *h, const struct sim_net_proxy_options *options) {
    memset(h, 0, sizeof(*h));
    struct sim_net_proxy_options o = *options;
    o.on_event = record;
    o.event_context = h;
    assert_int_equal(sim_net_proxy_create(&o, &h->proxy), SIM_NET_PROXY_OK);
    pthread_mutex_init(&h->lock, NULL);
    h->stop_fd = eventfd(0, EFD_CLOEXEC);
    assert_true(h->stop_fd >= 0);
    assert_int_equal(pthread_create(&h->thread, NULL, proxy_loop, h), 0);
}

void net_harness_stop(struct net_harness *h) {
    uint64_t one = 1;
    assert_int_equal(write(h->stop_fd, &one, sizeof(one)), sizeof(one));
    pthread_join(h->thread, NULL);
    sim_net_proxy_destroy(h->proxy);
    close(h->stop_fd);
    pthread_mutex_destroy(&h->lock);
}

void net_harness_lock(struct net_harness *h) {
    pthread_mutex_lock(&h->lock);
}

void net_harness_unlock(struct net_harness *h) {
    pthread_mutex_unlock(&h->lock);
}

uint16_t net_harness_endpoint(struct net_harness *h, const char *name, uint16_t upstream_port) {
    uint16_t port = 0;
    net_harness_lock(h);
    enum sim_net_proxy_result r =
        sim_net_proxy_add_endpoint(h->proxy, name, "127.0.0.1", upstream_port, &port);
    net_harness_unlock(h);
    assert_int_equal(r, SIM_NET_PROXY_OK);
    assert_true(port != 0);
    return port;
}

void net_harness_toxic(struct net_harness *h, const char *scope, const char *text) {
    struct sim_net_toxic toxic;
    char err[256];
    if (sim_net_toxic_parse(text, err, sizeof(err), &toxic) != SIM_NET_PROXY_OK) {
        fail_msg("toxic '%s': %s", text, err);
    }
    net_harness_lock(h);
    enum sim_net_proxy_result r = sim_net_proxy_add_toxic(h->proxy, scope, &toxic);
    net_harness_unlock(h);
    assert_int_equal(r, SIM_NET_PROXY_OK);
}

void net_harness_remove_toxic(struct net_harness *h, const char *scope, const char *name) {
    net_harness_lock(h);
    enum sim_net_proxy_result r = sim_net_proxy_remove_toxic(h->proxy, scope, name);
    net_harness_unlock(h);
    assert_int_equal(r, SIM_NET_PROXY_OK);
}

void net_harness_network(struct net_harness *h, bool up, enum sim_net_down_mode mode) {
    net_harness_lock(h);
    sim_net_proxy_set_network(h->proxy, up, mode);
    net_harness_unlock(h);
}

struct sim_net_endpoint_info net_harness_info(struct net_harness *h, const char *name) {
    struct sim_net_endpoint_info info;
    net_harness_lock(h);
    enum sim_net_proxy_result r = sim_net_proxy_endpoint_info(h->proxy, name, &info);
    net_harness_unlock(h);
    assert_int_equal(r, SIM_NET_PROXY_OK);
    return info;
}

size_t net_harness_count(struct net_harness *h, enum sim_net_event_kind kind) {
    size_t n = 0;
    net_harness_lock(h);
    for (size_t i = 0; i < h->event_count; i++) {
        n += h->events[i].event.kind == kind ? 1 : 0;
    }
    net_harness_unlock(h);
    return n;
}

unsigned long net_harness_steps(struct net_harness *h) {
    net_harness_lock(h);
    unsigned long steps = h->steps;
    net_harness_unlock(h);
    return steps;
}

// --- The upstream server: one poll loop over all its connections. ---

uint8_t net_pattern(size_t i) {
    return (uint8_t)((i * 7 + i / 251) & 0xFF);
}

struct server_conn {
    int fd;
    uint8_t buf[SERVER_BUFFER];
    size_t len;
    size_t off;
    size_t sent;  // source mode: pattern bytes sent
    bool eof;
    bool shut;
};

static void server_close(struct net_server *s, struct server_conn *c, bool reset) {
    if (reset) {
        __atomic_add_fetch(&s->resets, 1, __ATOMIC_SEQ_CST);
    }
    close(c->fd);
    c->fd = -1;
}

static void server_io(struct net_server *s, struct server_conn *c) {
    if (!c->eof && c->len == c->off) {
        ssize_t n = recv(c->fd, c->buf, sizeof(c->buf), MSG_DONTWAIT);
        if (n == 0) {
            c->eof = true;
        } else if (n < 0 && errno != EAGAIN) {
            server_close(s, c, errno == ECONNRESET);
            return;
        } else if (n > 0) {
            // A source ignores what it is sent.
            c->len = s->mode == NET_SERVER_ECHO ? (size_t)n : 0;
            c->off = 0;
        }
    }
    if (s->mode == NET_SERVER_SOURCE && c->sent < s->source_bytes && c->len == c->off) {
        size_t n =
            s->source_bytes - c->sent < sizeof(c->buf) ? s->source_bytes - c->sent : sizeof(c->buf);
        for (size_t i = 0; i < n; i++) {
            c->buf[i] = net_pattern(c->sent + i);
        }
        c->len = n;
        c->off = 0;
        c->sent += n;
    }
    if (c->off < c->len) {
        ssize_t n = send(c->fd, c->buf + c->off, c->len - c->off, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN) {
            server_close(s, c, errno == ECONNRESET);
            return;
        }
        c->off += n > 0 ? (size_t)n : 0;
    }
    bool done_sending =
        c->off == c->len && (s->mode == NET_SERVER_ECHO ? c->eof : c->sent == s->source_bytes);
    if (done_sending && !c->shut) {
        shutdown(c->fd, SHUT_WR);
        c->shut = true;
    }
    if (c->shut && c->eof) {
        server_close(s, c, false);
    }
}

static void *server_loop(void *arg) {
    struct net_server *s = arg;
    struct server_conn *conns = calloc(SERVER_MAX_CONNS, sizeof(*conns));
    for (int i = 0; i < SERVER_MAX_CONNS; i++) {
        conns[i].fd = -1;
    }
    for (;;) {
        struct pollfd fds[SERVER_MAX_CONNS + 2];
        int map[SERVER_MAX_CONNS + 2];
        nfds_t n = 0;
        fds[n++] = (struct pollfd){.fd = s->stop_fd, .events = POLLIN};
        fds[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
        for (int i = 0; i < SERVER_MAX_CONNS; i++) {
            struct server_conn *c = &conns[i];
            if (c->fd < 0) {
                continue;
            }
            short ev = (!c->eof && c->len == c->off) ? POLLIN : 0;
            bool more =
                c->off < c->len || (s->mode == NET_SERVER_SOURCE && c->sent < s->source_bytes);
            ev |= more ? POLLOUT : 0;
            if (c->shut && !c->eof) {
                ev |= POLLIN;
            }
            map[n] = i;
            fds[n++] = (struct pollfd){.fd = c->fd, .events = ev};
        }
        if (poll(fds, n, -1) < 0 && errno != EINTR) {
            break;
        }
        if (fds[0].revents != 0) {
            break;
        }
        if (fds[1].revents & POLLIN) {
            int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            for (int i = 0; fd >= 0 && i < SERVER_MAX_CONNS; i++) {
                if (conns[i].fd < 0) {
                    memset(&conns[i], 0, sizeof(conns[i]));
                    conns[i].fd = fd;
                    fd = -1;
                    __atomic_add_fetch(&s->accepted, 1, __ATOMIC_SEQ_CST);
                    server_io(s, &conns[i]);
                }
            }
            if (fd >= 0) {
                close(fd);
            }
        }
        for (nfds_t k = 2; k < n; k++) {
            if (fds[k].revents != 0 && conns[map[k]].fd >= 0) {
                server_io(s, &conns[map[k]]);
            }
        }
    }
    for (int i = 0; i < SERVER_MAX_CONNS; i++) {
        if (conns[i].fd >= 0) {
            close(conns[i].fd);
        }
    }
    free(conns);
    return NULL;
}

void net_server_start(struct net_server *s, enum net_server_mode mode, size_t source_bytes) {
    memset(s, 0, sizeof(*s));
    s->mode = mode;
    s->source_bytes = source_bytes;
    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(s->listen_fd, 64), 0);
    assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&addr, &len), 0);
    s->port = ntohs(addr.sin_port);
    s->stop_fd = eventfd(0, EFD_CLOEXEC);
    assert_int_equal(pthread_create(&s->thread, NULL, server_loop, s), 0);
}

void net_server_stop(struct net_server *s) {
    uint64_t one = 1;
    assert_int_equal(write(s->stop_fd, &one, sizeof(one)), sizeof(one));
    pthread_join(s->thread, NULL);
    close(s->listen_fd);
    close(s->stop_fd);
}

// --- Clients. ---

int net_connect_errno(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port)};
    int result = connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 ? 0 : errno;
    close(fd);
    return result;
}

int net_connect(uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    struct timeval tv = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in addr = {
        .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK), .sin_port = htons(port)};
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fail_msg("connect to 127.0.0.1:%u: %s", port, strerror(errno));
    }
    return fd;
}

void net_send_all(int fd, const void *data, size_t len) {
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0) {
            fail_msg("send: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
}

void net_recv_exact(int fd, void *data, size_t len) {
    uint8_t *p = data;
    while (len > 0) {
        ssize_t n = recv(fd, p, len, 0);
        if (n == 0) {
            fail_msg("recv: EOF with %zu bytes still expected", len);
        }
        if (n < 0) {
            fail_msg("recv: %s with %zu bytes still expected", strerror(errno), len);
        }
        p += n;
        len -= (size_t)n;
    }
}

size_t net_recv_until_close(int fd, uint8_t *data, size_t cap, int *out_errno) {
    size_t got = 0;
    for (;;) {
        uint8_t scratch[4096];
        ssize_t n = recv(fd, scratch, sizeof(scratch), 0);
        if (n == 0) {
            *out_errno = 0;
            return got;
        }
        if (n < 0) {
            *out_errno = errno;
            return got;
        }
        size_t keep = got + (size_t)n <= cap ? (size_t)n : cap - got;
        if (data != NULL) {
            memcpy(data + got, scratch, keep);
        }
        got += keep;
    }
}

bool net_readable_within(int fd, int ms) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

int64_t net_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void net_wait_counter(int *counter, int value) {
    for (int i = 0; i < 1000; i++) {
        if (__atomic_load_n(counter, __ATOMIC_SEQ_CST) >= value) {
            return;
        }
        usleep(10000);
    }
    fail_msg("counter stayed at %d, below %d, for 10 s", __atomic_load_n(counter, __ATOMIC_SEQ_CST),
             value);
}

int net_open_fds(void) {
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    for (struct dirent *e = readdir(d); e != NULL; e = readdir(d)) {
        n += e->d_name[0] != '.' ? 1 : 0;
    }
    closedir(d);
    return n - 1;  // the directory's own descriptor
}
