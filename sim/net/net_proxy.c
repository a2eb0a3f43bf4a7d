// SPDX-License-Identifier: MIT
// The fault proxy object: its epoll set and timer, the endpoints it listens for, the toxics in
// force, the network switch and the counters. The connections themselves are in net_conn.c. See
// net_proxy.h for the contract.
#include "net/net_proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "net/net_internal.h"

#define EVENTS_PER_STEP 32
#define ACCEPTS_PER_EVENT 16
#define LISTEN_BACKLOG 64
#define ACCEPT_PAUSE_US 100000

void net_emit(struct sim_net_proxy *proxy, enum sim_net_event_kind kind, uint64_t connection_id,
              const char *endpoint, unsigned direction, const char *toxic, int64_t value) {
    if (proxy->options.on_event == NULL) {
        return;
    }
    struct sim_net_event event = {.time_us = sim_net_now_us(),
                                  .kind = kind,
                                  .connection_id = connection_id,
                                  .endpoint = endpoint != NULL ? endpoint : "",
                                  .direction = direction,
                                  .toxic = toxic != NULL ? toxic : "",
                                  .value = value};
    proxy->options.on_event(&event, proxy->options.event_context);
}

const char *sim_net_event_kind_name(enum sim_net_event_kind kind) {
    switch (kind) {
        case SIM_NET_EVENT_OPEN:
            return "open";
        case SIM_NET_EVENT_CLOSE:
            return "close";
        case SIM_NET_EVENT_REFUSED:
            return "refused";
        case SIM_NET_EVENT_UPSTREAM_FAILED:
            return "upstream-failed";
        case SIM_NET_EVENT_APPLY:
            return "apply";
        case SIM_NET_EVENT_SKIP:
            return "skip";
        case SIM_NET_EVENT_JITTER:
            return "jitter";
        case SIM_NET_EVENT_SLICE:
            return "slice";
        case SIM_NET_EVENT_RESET:
            return "reset";
        case SIM_NET_EVENT_CUT:
            return "cut";
        case SIM_NET_EVENT_SLOW_CLOSE:
            return "slow-close";
        case SIM_NET_EVENT_NETWORK_DOWN:
            return "network-down";
        case SIM_NET_EVENT_NETWORK_UP:
            return "network-up";
        case SIM_NET_EVENT_NETWORK_RESET:
            return "network-reset";
    }
    return "unknown";
}

void sim_net_event_format(const struct sim_net_event *e, char *out, size_t out_size) {
    snprintf(out, out_size, "conn=%" PRIu64 " endpoint=%s dir=%s toxic=%s %s value=%" PRId64,
             e->connection_id, e->endpoint[0] != '\0' ? e->endpoint : "-",
             e->direction != 0 ? sim_net_direction_name(e->direction) : "-",
             e->toxic[0] != '\0' ? e->toxic : "-", sim_net_event_kind_name(e->kind), e->value);
}

// --- The loop. ---

static void rearm_timer(struct sim_net_proxy *proxy) {
    int64_t deadline = SIM_NET_NO_DEADLINE;
    for (struct net_conn *c = proxy->conns; c != NULL; c = c->next) {
        if (!c->dead && c->deadline_us < deadline) {
            deadline = c->deadline_us;
        }
    }
    for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
        const struct net_endpoint *ep = &proxy->endpoints[i];
        if (ep->used && ep->accept_paused_until_us != 0 && ep->accept_paused_until_us < deadline) {
            deadline = ep->accept_paused_until_us;
        }
    }
    if (deadline != SIM_NET_NO_DEADLINE) {
        // Every deadline left after a pump lies ahead; if one does not, waiting a millisecond
        // beats spinning on it.
        int64_t now = sim_net_now_us();
        deadline = deadline > now ? deadline : now + 1000;
    }
    if (deadline == proxy->timer_armed_us) {
        return;
    }
    struct itimerspec spec = {0};
    if (deadline != SIM_NET_NO_DEADLINE) {
        spec.it_value.tv_sec = deadline / 1000000;
        spec.it_value.tv_nsec = (long)(deadline % 1000000) * 1000;
    }
    timerfd_settime(proxy->timer_fd, TFD_TIMER_ABSTIME, &spec, NULL);
    proxy->timer_armed_us = deadline;
}

static void reap(struct sim_net_proxy *proxy) {
    struct net_conn **link = &proxy->conns;
    while (*link != NULL) {
        struct net_conn *c = *link;
        if (c->dead) {
            *link = c->next;
            net_conn_free(c);
        } else {
            link = &c->next;
        }
    }
}

// Pumps every connection (after a control change, which may concern any of them) and settles.
static void pump_all(struct sim_net_proxy *proxy) {
    for (struct net_conn *c = proxy->conns; c != NULL; c = c->next) {
        net_conn_pump(c);
    }
    reap(proxy);
    rearm_timer(proxy);
}

static void reset_client(int fd) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

static void accept_connections(struct sim_net_proxy *proxy, struct net_endpoint *ep) {
    for (int i = 0; i < ACCEPTS_PER_EVENT; i++) {
        int fd = accept4(ep->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
            // The connection stays queued and the listener stays readable: watching it now would
            // spin. Rest it for a moment; descriptors may be free by then.
            epoll_ctl(proxy->epoll_fd, EPOLL_CTL_DEL, ep->listen_fd, NULL);
            ep->accept_paused_until_us = sim_net_now_us() + ACCEPT_PAUSE_US;
            return;
        }
        if (fd < 0) {
            return;  // EAGAIN, or an aborted handshake: nothing to do either way
        }
        ep->total++;
        if (proxy->conn_count >= proxy->options.max_connections) {
            ep->refused++;
            net_emit(proxy, SIM_NET_EVENT_REFUSED, 0, ep->name, 0, "", (int64_t)proxy->conn_count);
            reset_client(fd);
            continue;
        }
        if (net_conn_open(proxy, ep, fd) != SIM_NET_PROXY_OK) {
            ep->refused++;
        }
    }
}

static void resume_accepting(struct sim_net_proxy *proxy, int64_t now) {
    for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
        struct net_endpoint *ep = &proxy->endpoints[i];
        if (ep->used && ep->accept_paused_until_us != 0 && ep->accept_paused_until_us <= now) {
            ep->accept_paused_until_us = 0;
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ep->watch};
            if (ep->listening) {
                epoll_ctl(proxy->epoll_fd, EPOLL_CTL_ADD, ep->listen_fd, &ev);
            }
        }
    }
}

enum sim_net_proxy_result sim_net_proxy_step(struct sim_net_proxy *proxy, int timeout_ms) {
    struct epoll_event events[EVENTS_PER_STEP];
    int n = epoll_wait(proxy->epoll_fd, events, EVENTS_PER_STEP, timeout_ms);
    if (n < 0) {
        if (errno != EINTR) {
            return SIM_NET_PROXY_ERR_SYSTEM;
        }
        n = 0;
    }
    for (int i = 0; i < n; i++) {
        struct net_watch *w = events[i].data.ptr;
        if (w->kind == NET_WATCH_LISTENER) {
            struct net_endpoint *ep = w->owner;
            if (ep->used && ep->listening) {
                accept_connections(proxy, ep);
            }
        } else if (w->kind == NET_WATCH_SIDE) {
            net_conn_pump(w->owner);  // a no-op for a connection closed earlier in this batch
        } else {
            uint64_t expirations;
            if (read(proxy->timer_fd, &expirations, sizeof(expirations)) < 0) {
                // EAGAIN: already read; the deadlines are checked below either way.
            }
            proxy->timer_armed_us = SIM_NET_NO_DEADLINE;
        }
    }
    int64_t now = sim_net_now_us();
    for (struct net_conn *c = proxy->conns; c != NULL; c = c->next) {
        if (!c->dead && c->deadline_us <= now) {
            net_conn_pump(c);
        }
    }
    resume_accepting(proxy, now);
    reap(proxy);
    rearm_timer(proxy);
    return SIM_NET_PROXY_OK;
}

int sim_net_proxy_fd(const struct sim_net_proxy *proxy) {
    return proxy->epoll_fd;
}

// --- Life cycle. ---

enum sim_net_proxy_result sim_net_proxy_create(const struct sim_net_proxy_options *options,
                                               struct sim_net_proxy **out_proxy) {
    if (options == NULL || out_proxy == NULL) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    struct sim_net_proxy *proxy = calloc(1, sizeof(*proxy));
    if (proxy == NULL) {
        return SIM_NET_PROXY_ERR_SYSTEM;
    }
    proxy->options = *options;
    if (proxy->options.buffer_bytes == 0) {
        proxy->options.buffer_bytes = SIM_NET_DEFAULT_BUFFER;
    }
    if (proxy->options.max_connections == 0) {
        proxy->options.max_connections = SIM_NET_DEFAULT_MAX_CONNECTIONS;
    }
    proxy->network_up = true;
    proxy->toxic_generation = 1;  // new connections start at 0, so they sync at once
    proxy->timer_armed_us = SIM_NET_NO_DEADLINE;
    proxy->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    proxy->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    proxy->timer_watch = (struct net_watch){.kind = NET_WATCH_TIMER, .owner = proxy};
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &proxy->timer_watch};
    if (proxy->epoll_fd < 0 || proxy->timer_fd < 0 ||
        epoll_ctl(proxy->epoll_fd, EPOLL_CTL_ADD, proxy->timer_fd, &ev) != 0) {
        int err = errno;
        sim_net_proxy_destroy(proxy);
        errno = err;
        return SIM_NET_PROXY_ERR_SYSTEM;
    }
    *out_proxy = proxy;
    return SIM_NET_PROXY_OK;
}

static void close_endpoint(struct sim_net_proxy *proxy, struct net_endpoint *ep) {
    for (struct net_conn *c = proxy->conns; c != NULL; c = c->next) {
        if (c->endpoint == ep) {
            net_conn_abort(c, true, true);
        }
    }
    reap(proxy);
    if (ep->listen_fd >= 0) {
        close(ep->listen_fd);
    }
    memset(ep, 0, sizeof(*ep));
    ep->listen_fd = -1;
}

void sim_net_proxy_destroy(struct sim_net_proxy *proxy) {
    if (proxy == NULL) {
        return;
    }
    for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
        if (proxy->endpoints[i].used) {
            close_endpoint(proxy, &proxy->endpoints[i]);
        }
    }
    if (proxy->timer_fd >= 0) {
        close(proxy->timer_fd);
    }
    if (proxy->epoll_fd >= 0) {
        close(proxy->epoll_fd);
    }
    free(proxy);
}

// --- Endpoints. ---

int sim_net_endpoint_name_valid(const char *name) {
    size_t len = 0;
    for (const char *p = name; *p != '\0'; p++, len++) {
        if (len >= SIM_NET_ENDPOINT_NAME_MAX ||
            !(isalnum((unsigned char)*p) || strchr("_.:-", *p) != NULL)) {
            return 0;
        }
    }
    return len > 0 && strcmp(name, SIM_NET_ALL_ENDPOINTS) != 0;
}

static struct net_endpoint *find_endpoint(const struct sim_net_proxy *proxy, const char *name) {
    for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
        const struct net_endpoint *ep = &proxy->endpoints[i];
        if (ep->used && strcmp(ep->name, name) == 0) {
            return (struct net_endpoint *)ep;
        }
    }
    return NULL;
}

static enum sim_net_proxy_result parse_upstream(const char *host, uint16_t port,
                                                struct net_endpoint *ep) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ep->upstream;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ep->upstream;
    if (host == NULL || port == 0) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        ep->upstream_len = sizeof(*v4);
        snprintf(ep->upstream_text, sizeof(ep->upstream_text), "%s:%u", host, port);
        return SIM_NET_PROXY_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        ep->upstream_len = sizeof(*v6);
        snprintf(ep->upstream_text, sizeof(ep->upstream_text), "[%s]:%u", host, port);
        return SIM_NET_PROXY_OK;
    }
    return SIM_NET_PROXY_ERR_INVALID;
}

// Binds a listener to a free loopback port chosen by the kernel, but bound by number: a socket
// bound to an explicit port keeps it when shut down, so the network can go down (the listener
// shut, connects refused) and come back on the same port without anyone else taking it.
static int bind_listener(uint16_t *out_port) {
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int result = -1;
    if (probe < 0 || fd < 0) {
        goto out;
    }
    setsockopt(probe, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(probe, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        getsockname(probe, (struct sockaddr *)&addr, &len) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        goto out;
    }
    *out_port = ntohs(addr.sin_port);
    result = fd;
    fd = -1;
out:
    if (probe >= 0) {
        close(probe);
    }
    if (fd >= 0) {
        close(fd);
    }
    return result;
}

static int start_listening(struct sim_net_proxy *proxy, struct net_endpoint *ep) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &ep->watch};
    if (listen(ep->listen_fd, LISTEN_BACKLOG) != 0 ||
        epoll_ctl(proxy->epoll_fd, EPOLL_CTL_ADD, ep->listen_fd, &ev) != 0) {
        return -1;
    }
    ep->listening = true;
    return 0;
}

static void stop_listening(struct sim_net_proxy *proxy, struct net_endpoint *ep) {
    if (!ep->listening) {
        return;
    }
    // A shut-down listener reports EPOLLHUP for ever: out of the set first.
    epoll_ctl(proxy->epoll_fd, EPOLL_CTL_DEL, ep->listen_fd, NULL);
    shutdown(ep->listen_fd, SHUT_RD);
    ep->listening = false;
    ep->accept_paused_until_us = 0;
}

enum sim_net_proxy_result sim_net_proxy_add_endpoint(struct sim_net_proxy *proxy, const char *name,
                                                     const char *upstream_host,
                                                     uint16_t upstream_port,
                                                     uint16_t *out_listen_port) {
    if (name == NULL || !sim_net_endpoint_name_valid(name)) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    if (find_endpoint(proxy, name) != NULL) {
        return SIM_NET_PROXY_ERR_EXISTS;
    }
    struct net_endpoint *ep = NULL;
    for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS && ep == NULL; i++) {
        ep = proxy->endpoints[i].used ? NULL : &proxy->endpoints[i];
    }
    if (ep == NULL) {
        return SIM_NET_PROXY_ERR_FULL;
    }
    memset(ep, 0, sizeof(*ep));
    ep->listen_fd = -1;
    if (parse_upstream(upstream_host, upstream_port, ep) != SIM_NET_PROXY_OK) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    snprintf(ep->name, sizeof(ep->name), "%s", name);
    ep->name_hash = sim_net_prng_hash(name);
    ep->watch = (struct net_watch){.kind = NET_WATCH_LISTENER, .owner = ep};
    ep->listen_fd = bind_listener(&ep->listen_port);
    if (ep->listen_fd < 0 || (proxy->network_up && start_listening(proxy, ep) != 0)) {
        int err = errno;
        if (ep->listen_fd >= 0) {
            close(ep->listen_fd);
        }
        memset(ep, 0, sizeof(*ep));
        ep->listen_fd = -1;
        errno = err;
        return SIM_NET_PROXY_ERR_SYSTEM;
    }
    ep->used = true;
    proxy->endpoint_order[proxy->endpoint_count++] = (size_t)(ep - proxy->endpoints);
    if (out_listen_port != NULL) {
        *out_listen_port = ep->listen_port;
    }
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_proxy_remove_endpoint(struct sim_net_proxy *proxy,
                                                        const char *name) {
    struct net_endpoint *ep = name != NULL ? find_endpoint(proxy, name) : NULL;
    if (ep == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    size_t index = (size_t)(ep - proxy->endpoints);
    for (size_t i = 0; i < proxy->endpoint_count; i++) {
        if (proxy->endpoint_order[i] == index) {
            memmove(&proxy->endpoint_order[i], &proxy->endpoint_order[i + 1],
                    (proxy->endpoint_count - i - 1) * sizeof(proxy->endpoint_order[0]));
            proxy->endpoint_count--;
            break;
        }
    }
    close_endpoint(proxy, ep);
    rearm_timer(proxy);
    return SIM_NET_PROXY_OK;
}

size_t sim_net_proxy_endpoint_count(const struct sim_net_proxy *proxy) {
    return proxy->endpoint_count;
}

static void fill_info(const struct net_endpoint *ep, struct sim_net_endpoint_info *out) {
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", ep->name);
    snprintf(out->upstream, sizeof(out->upstream), "%s", ep->upstream_text);
    out->listen_port = ep->listen_port;
    out->connections_open = ep->open;
    out->connections_total = ep->total;
    out->connections_refused = ep->refused;
    memcpy(out->bytes, ep->bytes, sizeof(out->bytes));
    memcpy(out->dropped, ep->dropped, sizeof(out->dropped));
    out->toxics = ep->scope.count;
}

enum sim_net_proxy_result sim_net_proxy_endpoint_at(const struct sim_net_proxy *proxy, size_t index,
                                                    struct sim_net_endpoint_info *out_info) {
    if (index >= proxy->endpoint_count) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    fill_info(&proxy->endpoints[proxy->endpoint_order[index]], out_info);
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_proxy_endpoint_info(const struct sim_net_proxy *proxy,
                                                      const char *name,
                                                      struct sim_net_endpoint_info *out_info) {
    const struct net_endpoint *ep = name != NULL ? find_endpoint(proxy, name) : NULL;
    if (ep == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    fill_info(ep, out_info);
    return SIM_NET_PROXY_OK;
}

// --- Toxics. ---

static struct net_scope *find_scope(const struct sim_net_proxy *proxy, const char *scope) {
    if (scope == NULL || strcmp(scope, SIM_NET_ALL_ENDPOINTS) == 0) {
        return (struct net_scope *)&proxy->all;
    }
    struct net_endpoint *ep = find_endpoint(proxy, scope);
    return ep != NULL ? &ep->scope : NULL;
}

enum sim_net_proxy_result sim_net_proxy_add_toxic(struct sim_net_proxy *proxy, const char *scope,
                                                  const struct sim_net_toxic *toxic) {
    char err[160];
    if (toxic == NULL || sim_net_toxic_validate(toxic, err, sizeof(err)) != SIM_NET_PROXY_OK) {
        return SIM_NET_PROXY_ERR_INVALID;
    }
    struct net_scope *s = find_scope(proxy, scope);
    if (s == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->entries[i].toxic.name, toxic->name) == 0) {
            return SIM_NET_PROXY_ERR_EXISTS;
        }
    }
    if (s->count == SIM_NET_MAX_TOXICS) {
        return SIM_NET_PROXY_ERR_FULL;
    }
    s->entries[s->count++] =
        (struct net_toxic_entry){.id = ++proxy->next_toxic_id, .toxic = *toxic};
    proxy->toxic_generation++;
    pump_all(proxy);
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_proxy_remove_toxic(struct sim_net_proxy *proxy, const char *scope,
                                                     const char *name) {
    struct net_scope *s = find_scope(proxy, scope);
    if (s == NULL || name == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    for (size_t i = 0; i < s->count; i++) {
        if (strcmp(s->entries[i].toxic.name, name) == 0) {
            memmove(&s->entries[i], &s->entries[i + 1], (s->count - i - 1) * sizeof(s->entries[0]));
            s->count--;
            proxy->toxic_generation++;
            pump_all(proxy);
            return SIM_NET_PROXY_OK;
        }
    }
    return SIM_NET_PROXY_ERR_NOT_FOUND;
}

enum sim_net_proxy_result sim_net_proxy_clear_toxics(struct sim_net_proxy *proxy,
                                                     const char *scope) {
    struct net_scope *s = find_scope(proxy, scope);
    if (s == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    s->count = 0;
    proxy->toxic_generation++;
    pump_all(proxy);
    return SIM_NET_PROXY_OK;
}

enum sim_net_proxy_result sim_net_proxy_list_toxics(const struct sim_net_proxy *proxy,
                                                    const char *scope,
                                                    struct sim_net_toxic *out_toxics,
                                                    size_t capacity, size_t *out_count) {
    const struct net_scope *s = find_scope(proxy, scope);
    if (s == NULL) {
        return SIM_NET_PROXY_ERR_NOT_FOUND;
    }
    size_t n = s->count < capacity ? s->count : capacity;
    for (size_t i = 0; i < n; i++) {
        out_toxics[i] = s->entries[i].toxic;
    }
    *out_count = n;
    return SIM_NET_PROXY_OK;
}

// --- The network switch. ---

void sim_net_proxy_set_network(struct sim_net_proxy *proxy, int up, enum sim_net_down_mode mode) {
    if (!up) {
        if (proxy->network_up) {
            proxy->network_up = false;
            net_emit(proxy, SIM_NET_EVENT_NETWORK_DOWN, 0, "", 0, "",
                     mode == SIM_NET_DOWN_STALL ? 1 : 0);
            for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
                if (proxy->endpoints[i].used) {
                    stop_listening(proxy, &proxy->endpoints[i]);
                }
            }
        }
        proxy->stalled = mode == SIM_NET_DOWN_STALL;
        if (mode == SIM_NET_DOWN_RESET) {
            for (struct net_conn *c = proxy->conns; c != NULL; c = c->next) {
                if (!c->dead) {
                    net_emit(proxy, SIM_NET_EVENT_NETWORK_RESET, c->id, c->endpoint->name, 0, "",
                             0);
                    net_conn_abort(c, true, true);
                }
            }
        }
    } else if (!proxy->network_up) {
        proxy->network_up = true;
        proxy->stalled = false;
        for (size_t i = 0; i < SIM_NET_MAX_ENDPOINTS; i++) {
            struct net_endpoint *ep = &proxy->endpoints[i];
            if (ep->used && start_listening(proxy, ep) != 0) {
                // Should not happen (the port is still ours); say so rather than fail silently.
                net_emit(proxy, SIM_NET_EVENT_UPSTREAM_FAILED, 0, ep->name, 0, "", errno);
            }
        }
        net_emit(proxy, SIM_NET_EVENT_NETWORK_UP, 0, "", 0, "", 0);
    }
    pump_all(proxy);
}

int sim_net_proxy_network_up(const struct sim_net_proxy *proxy) {
    return proxy->network_up;
}
