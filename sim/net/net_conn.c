// SPDX-License-Identifier: MIT
// One proxied connection: the device's socket, the upstream socket, and a flow for each direction
// that carries bytes from one to the other through the toxics in force. See net_internal.h.
//
// Each flow reads its source into a bounded ring, stamping each chunk with the time it may leave
// (latency, jitter), and writes what is due to its destination, paced by the bandwidth cap and the
// slicer. A full ring stops reading (backpressure); a full socket buffer waits for EPOLLOUT. A FIN
// from one side is passed on once everything before it has been written (later, under
// slow_close), so half-closed connections behave as they would without the proxy; a reset from
// one side is passed on as a reset to the other.
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net/net_internal.h"

// Reads per flow per pump: enough to fill a ring, few enough that one busy connection cannot
// starve the others.
#define READS_PER_PUMP 8
#define SCRATCH_BYTES 16384
// A graceful close reads away what the peer sent but nobody will read, because closing a socket
// with unread data makes the kernel send a reset instead of a FIN. Bounded: a peer that keeps
// sending gets the reset.
#define DRAIN_READS 16

static bool side_ready(const struct net_conn *c, int side) {
    return c->fd[side] >= 0 && !(side == 1 && c->connecting);
}

static void emit(struct net_conn *c, enum sim_net_event_kind kind, unsigned direction,
                 const char *toxic, int64_t value) {
    net_emit(c->proxy, kind, c->id, c->endpoint->name, direction, toxic, value);
}

// --- Toxics: which ones this connection meets, decided once per toxic and direction. ---

static const struct net_toxic_state *find_state(const struct net_flow *f, uint32_t id) {
    for (size_t i = 0; i < f->state_count; i++) {
        if (f->states[i].id == id) {
            return &f->states[i];
        }
    }
    return NULL;
}

static void combine(struct net_flow *f) {
    f->latency_us = f->jitter_us = f->rate = 0;
    f->blackhole = false;
    f->slicer = NULL;
    f->slow_close_us = 0;
    f->has_slow_close = false;
    for (size_t i = 0; i < f->state_count; i++) {
        const struct net_toxic_state *s = &f->states[i];
        if (!s->active) {
            continue;
        }
        switch (s->kind) {
            case SIM_NET_TOXIC_LATENCY:
                f->latency_us += s->toxic.latency_us;
                f->jitter_us += s->toxic.jitter_us;
                break;
            case SIM_NET_TOXIC_BANDWIDTH:
                f->rate = f->rate == 0 || s->toxic.rate < f->rate ? s->toxic.rate : f->rate;
                break;
            case SIM_NET_TOXIC_BLACKHOLE:
                f->blackhole = true;
                break;
            case SIM_NET_TOXIC_SLICER:
                f->slicer = f->slicer == NULL ? s : f->slicer;
                break;
            case SIM_NET_TOXIC_SLOW_CLOSE:
                f->has_slow_close = true;
                if (s->toxic.delay_us > f->slow_close_us) {
                    f->slow_close_us = s->toxic.delay_us;
                }
                break;
            default:
                break;
        }
    }
    if (f->slicer == NULL) {
        f->slice_left = 0;
    }
}

// The fewest bytes any active limit_data still lets through, and which toxic that is.
static bool limit_remaining(struct net_flow *f, uint64_t *out_remaining,
                            struct net_toxic_state **out_state) {
    bool limited = false;
    for (size_t i = 0; i < f->state_count; i++) {
        struct net_toxic_state *s = &f->states[i];
        if (!s->active || s->kind != SIM_NET_TOXIC_LIMIT_DATA) {
            continue;
        }
        uint64_t left = s->toxic.bytes > s->passed ? s->toxic.bytes - s->passed : 0;
        if (!limited || left < *out_remaining) {
            *out_remaining = left;
            *out_state = s;
        }
        limited = true;
    }
    return limited;
}

static void mark_cut(struct net_conn *c, struct net_flow *f, const struct net_toxic_state *s) {
    f->cut = true;
    emit(c, SIM_NET_EVENT_CUT, f->direction, s->name, (int64_t)s->toxic.bytes);
}

static void sync_flow(struct net_conn *c, struct net_flow *f, int64_t now) {
    struct net_toxic_state next[NET_FLOW_TOXICS];
    size_t count = 0;
    const struct net_scope *scopes[2] = {&c->proxy->all, &c->endpoint->scope};
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < scopes[k]->count && count < NET_FLOW_TOXICS; i++) {
            const struct net_toxic_entry *e = &scopes[k]->entries[i];
            if ((e->toxic.directions & f->direction) == 0) {
                continue;
            }
            const struct net_toxic_state *old = find_state(f, e->id);
            if (old != NULL) {
                next[count++] = *old;
                continue;
            }
            struct net_toxic_state *s = &next[count++];
            memset(s, 0, sizeof(*s));
            s->id = e->id;
            s->kind = e->toxic.kind;
            s->toxic = e->toxic;
            memcpy(s->name, e->toxic.name, sizeof(s->name));
            // One draw per decision, whatever the probability, keeps the stream aligned.
            uint64_t draw = sim_net_prng_below(&f->prng, SIM_NET_PPM);
            s->active = draw < e->toxic.probability_ppm;
            s->reset_at = s->active && s->kind == SIM_NET_TOXIC_RESET
                              ? now + (int64_t)e->toxic.after_us
                              : SIM_NET_NO_DEADLINE;
            emit(c, s->active ? SIM_NET_EVENT_APPLY : SIM_NET_EVENT_SKIP, f->direction, s->name,
                 (int64_t)draw);
        }
    }
    memcpy(f->states, next, count * sizeof(next[0]));
    f->state_count = count;
    combine(f);
    uint64_t remaining = 0;
    struct net_toxic_state *limit = NULL;
    if (!f->cut && limit_remaining(f, &remaining, &limit) && remaining == 0) {
        mark_cut(c, f, limit);
    }
}

static void sync_toxics(struct net_conn *c, int64_t now) {
    if (c->toxic_generation == c->proxy->toxic_generation) {
        return;
    }
    c->toxic_generation = c->proxy->toxic_generation;
    sync_flow(c, &c->flow[0], now);
    sync_flow(c, &c->flow[1], now);
}

// --- Closing. ---

static void drain(int fd) {
    char scratch[4096];
    for (int i = 0; i < DRAIN_READS; i++) {
        if (read(fd, scratch, sizeof(scratch)) <= 0) {
            return;
        }
    }
}

static void close_side(struct net_conn *c, int side, bool reset) {
    int fd = c->fd[side];
    if (fd < 0) {
        return;
    }
    if (c->registered[side]) {
        epoll_ctl(c->proxy->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
        c->registered[side] = false;
    }
    if (reset) {
        // A zero linger time makes close() abort the connection with a RST.
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    } else {
        drain(fd);
    }
    close(fd);
    c->fd[side] = -1;
}

void net_conn_abort(struct net_conn *c, bool reset_device, bool reset_upstream) {
    if (c->dead) {
        return;
    }
    close_side(c, 0, reset_device);
    close_side(c, 1, reset_upstream);
    c->dead = true;
    c->deadline_us = SIM_NET_NO_DEADLINE;
    c->endpoint->open--;
    c->proxy->conn_count--;
    emit(c, SIM_NET_EVENT_CLOSE, 0, "", reset_device || reset_upstream ? 1 : 0);
}

// A side failed with a reset or another error: the other side is told the same way.
static void side_failed(struct net_conn *c, int failed_side) {
    net_conn_abort(c, failed_side == 1, failed_side == 0);
}

// --- Reading. ---

static bool can_read(const struct net_conn *c, const struct net_flow *f) {
    if (c->dead || c->proxy->stalled || !side_ready(c, f->src) || f->src_eof || f->cut) {
        return false;
    }
    return f->blackhole || (f->used < f->ring_size && f->seg_count < NET_SEGMENTS);
}

static void enqueue(struct net_conn *c, struct net_flow *f, size_t n, int64_t now) {
    int64_t release = 0;
    if (f->latency_us > 0 || f->jitter_us > 0) {
        int64_t jitter = sim_net_jitter_draw(&f->jitter_prng, f->jitter_us);
        if (f->jitter_us > 0) {
            emit(c, SIM_NET_EVENT_JITTER, f->direction, "", (int64_t)f->latency_us + jitter);
        }
        release = sim_net_latency_release(now, f->latency_us, jitter, f->last_release_us);
        f->last_release_us = release;
    }
    f->used += n;
    if (f->seg_count > 0) {
        struct net_segment *tail = &f->segments[(f->seg_head + f->seg_count - 1) % NET_SEGMENTS];
        if (tail->release_us <= now && release <= now) {
            tail->len += n;
            return;
        }
    }
    f->segments[(f->seg_head + f->seg_count) % NET_SEGMENTS] =
        (struct net_segment){.len = n, .release_us = release};
    f->seg_count++;
}

// Returns false if the connection was closed.
static bool flow_read(struct net_conn *c, struct net_flow *f, int64_t now) {
    for (int round = 0; round < READS_PER_PUMP && can_read(c, f); round++) {
        int fd = c->fd[f->src];
        ssize_t n;
        if (f->blackhole) {
            uint8_t scratch[SCRATCH_BYTES];
            n = read(fd, scratch, sizeof(scratch));
            if (n > 0) {
                c->endpoint->dropped[f->direction == SIM_NET_UP ? 0 : 1] += (uint64_t)n;
                continue;
            }
        } else {
            uint64_t remaining = 0;
            struct net_toxic_state *limit = NULL;
            bool limited = limit_remaining(f, &remaining, &limit);
            size_t want = f->ring_size - f->used;
            if (limited && remaining < want) {
                want = (size_t)remaining;
            }
            if (want == 0) {
                break;  // a read of 0 bytes would look like a FIN
            }
            size_t tail = (f->head + f->used) % f->ring_size;
            size_t first = want < f->ring_size - tail ? want : f->ring_size - tail;
            struct iovec iov[2] = {{f->ring + tail, first}, {f->ring, want - first}};
            n = readv(fd, iov, want > first ? 2 : 1);
            if (n > 0) {
                enqueue(c, f, (size_t)n, now);
                for (size_t i = 0; i < f->state_count; i++) {
                    if (f->states[i].active && f->states[i].kind == SIM_NET_TOXIC_LIMIT_DATA) {
                        f->states[i].passed += (uint64_t)n;
                    }
                }
                if (limited && (uint64_t)n == remaining) {
                    mark_cut(c, f, limit);
                }
                continue;
            }
        }
        if (n == 0) {
            f->src_eof = true;
        } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            side_failed(c, f->src);
            return false;
        }
        break;
    }
    return true;
}

// --- Writing. ---

// Returns false if the connection was closed.
static bool flow_write(struct net_conn *c, struct net_flow *f, int64_t now) {
    if (c->dead || c->proxy->stalled || !side_ready(c, f->dst) || f->fin_sent) {
        return true;
    }
    f->write_blocked = false;
    while (f->seg_count > 0) {
        struct net_segment *seg = &f->segments[f->seg_head];
        if (seg->release_us > now || f->gate_us > now) {
            break;
        }
        size_t allowed = seg->len;
        if (f->slicer != NULL) {
            if (f->slice_left == 0) {
                f->slice_left = sim_net_slice_size(&f->slice_prng, f->slicer->toxic.size,
                                                   f->slicer->toxic.variation);
                if (f->slicer->toxic.variation > 0) {
                    emit(c, SIM_NET_EVENT_SLICE, f->direction, f->slicer->name,
                         (int64_t)f->slice_left);
                }
            }
            allowed = f->slice_left < allowed ? (size_t)f->slice_left : allowed;
        }
        if (f->rate > 0) {
            size_t piece = sim_net_pacer_piece(f->rate);
            allowed = piece < allowed ? piece : allowed;
        }
        size_t first = allowed < f->ring_size - f->head ? allowed : f->ring_size - f->head;
        struct iovec iov[2] = {{f->ring + f->head, first}, {f->ring, allowed - first}};
        struct msghdr msg = {.msg_iov = iov, .msg_iovlen = allowed > first ? 2 : 1};
        // MSG_NOSIGNAL: a peer that has gone must be an EPIPE here, not a SIGPIPE for the OS.
        ssize_t n = sendmsg(c->fd[f->dst], &msg, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                f->write_blocked = true;
                break;
            }
            side_failed(c, f->dst);
            return false;
        }
        f->head = (f->head + (size_t)n) % f->ring_size;
        f->used -= (size_t)n;
        seg->len -= (size_t)n;
        if (seg->len == 0) {
            f->seg_head = (f->seg_head + 1) % NET_SEGMENTS;
            f->seg_count--;
        }
        c->endpoint->bytes[f->direction == SIM_NET_UP ? 0 : 1] += (uint64_t)n;
        if (f->rate > 0) {
            f->gate_us = sim_net_pacer_charge(&f->pacer, now, f->rate, (size_t)n);
        }
        if (f->slicer != NULL) {
            f->slice_left -= (uint64_t)n;
            int64_t pause = now + (int64_t)f->slicer->toxic.delay_us;
            if (f->slice_left == 0 && pause > f->gate_us) {
                f->gate_us = pause;
            }
        }
        if ((size_t)n < allowed) {
            f->write_blocked = true;
            break;
        }
    }
    if (f->used == 0) {
        f->head = 0;  // keeps the next read contiguous
    }
    return true;
}

// Passes a FIN on once everything before it is written and any slow_close delay has run out.
static void flow_close(struct net_conn *c, struct net_flow *f, int64_t now) {
    if (f->fin_sent || !f->src_eof || f->used > 0 || f->cut || !side_ready(c, f->dst)) {
        return;
    }
    if (f->has_slow_close && f->slow_close_us > 0) {
        if (f->fin_at_us == 0) {
            f->fin_at_us = now + (int64_t)f->slow_close_us;
            const char *name = "";
            for (size_t i = 0; i < f->state_count; i++) {
                if (f->states[i].active && f->states[i].kind == SIM_NET_TOXIC_SLOW_CLOSE &&
                    f->states[i].toxic.delay_us == f->slow_close_us) {
                    name = f->states[i].name;
                }
            }
            emit(c, SIM_NET_EVENT_SLOW_CLOSE, f->direction, name, (int64_t)f->slow_close_us);
        }
        if (now < f->fin_at_us) {
            return;
        }
    }
    shutdown(c->fd[f->dst], SHUT_WR);
    f->fin_sent = true;
}

// Fires reset toxics that are due. Returns false if the connection was closed. A reset waits
// for the upstream connection to be established, so it always resets a connection both ends
// have seen, never a connect still in progress.
static bool fire_resets(struct net_conn *c, int64_t now) {
    bool reset[2] = {false, false};  // by side
    if (c->connecting) {
        return true;
    }
    for (int i = 0; i < 2; i++) {
        struct net_flow *f = &c->flow[i];
        for (size_t k = 0; k < f->state_count; k++) {
            struct net_toxic_state *s = &f->states[k];
            if (s->kind == SIM_NET_TOXIC_RESET && s->active && s->reset_at <= now) {
                s->reset_at = SIM_NET_NO_DEADLINE;
                // "down" resets the socket the down flow delivers to: the device's.
                reset[f->dst] = true;
                emit(c, SIM_NET_EVENT_RESET, f->direction, s->name, 0);
            }
        }
    }
    if (reset[0] || reset[1]) {
        net_conn_abort(c, reset[0], reset[1]);
        return false;
    }
    return true;
}

// --- Bookkeeping after a pump. ---

static void update_interest(struct net_conn *c) {
    for (int side = 0; side < 2; side++) {
        if (c->fd[side] < 0) {
            continue;
        }
        uint32_t mask = 0;
        if (!c->proxy->stalled) {
            // flow[side] reads from this side; flow[1 - side] writes to it.
            mask |= can_read(c, &c->flow[side]) ? EPOLLIN : 0;
            mask |= c->flow[1 - side].write_blocked ? EPOLLOUT : 0;
            mask |= side == 1 && c->connecting ? EPOLLOUT : 0;
        }
        if (mask == c->mask[side] && c->registered[side] == (mask != 0)) {
            continue;
        }
        // An idle socket leaves the set: a peer's FIN or reset on a socket nobody is reading
        // would otherwise keep epoll reporting it (EPOLLHUP) and spin the loop.
        if (mask == 0) {
            epoll_ctl(c->proxy->epoll_fd, EPOLL_CTL_DEL, c->fd[side], NULL);
            c->registered[side] = false;
        } else {
            struct epoll_event ev = {.events = mask, .data.ptr = &c->watch[side]};
            epoll_ctl(c->proxy->epoll_fd, c->registered[side] ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
                      c->fd[side], &ev);
            c->registered[side] = true;
        }
        c->mask[side] = mask;
    }
}

static int64_t earlier(int64_t a, int64_t b) {
    return a < b ? a : b;
}

static int64_t next_deadline(const struct net_conn *c, int64_t now) {
    int64_t d = SIM_NET_NO_DEADLINE;
    if (c->proxy->stalled) {
        return d;
    }
    for (int i = 0; i < 2; i++) {
        const struct net_flow *f = &c->flow[i];
        if (side_ready(c, f->dst) && !f->write_blocked && f->seg_count > 0 && !f->fin_sent) {
            int64_t release = f->segments[f->seg_head].release_us;
            int64_t t = release > f->gate_us ? release : f->gate_us;
            if (t > now) {
                d = earlier(d, t);
            }
        }
        if (f->src_eof && f->used == 0 && !f->fin_sent && f->fin_at_us > now) {
            d = earlier(d, f->fin_at_us);
        }
        for (size_t k = 0; k < f->state_count && !c->connecting; k++) {
            if (f->states[k].kind == SIM_NET_TOXIC_RESET && f->states[k].active) {
                d = earlier(d, f->states[k].reset_at);
            }
        }
    }
    return d;
}

static bool check_connect(struct net_conn *c) {
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(c->fd[1], SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        err = errno;
    }
    if (err != 0) {
        emit(c, SIM_NET_EVENT_UPSTREAM_FAILED, 0, "", err);
        c->endpoint->refused++;
        net_conn_abort(c, true, false);
        return false;
    }
    struct sockaddr_storage peer;
    socklen_t peer_len = sizeof(peer);
    if (getpeername(c->fd[1], (struct sockaddr *)&peer, &peer_len) == 0) {
        c->connecting = false;
    }
    return true;
}

void net_conn_pump(struct net_conn *c) {
    if (c->dead) {
        return;
    }
    int64_t now = sim_net_now_us();
    if (!c->proxy->stalled) {
        if (c->connecting && !check_connect(c)) {
            return;
        }
        sync_toxics(c, now);
        if (!fire_resets(c, now)) {
            return;
        }
        for (int i = 0; i < 2; i++) {
            if (!flow_read(c, &c->flow[i], now)) {
                return;
            }
        }
        for (int i = 0; i < 2; i++) {
            if (!flow_write(c, &c->flow[i], now)) {
                return;
            }
            flow_close(c, &c->flow[i], now);
        }
        for (int i = 0; i < 2; i++) {
            if (c->flow[i].cut && c->flow[i].used == 0) {
                net_conn_abort(c, false, false);
                return;
            }
        }
        if (c->flow[0].fin_sent && c->flow[1].fin_sent) {
            net_conn_abort(c, false, false);
            return;
        }
    }
    update_interest(c);
    c->deadline_us = next_deadline(c, now);
}

static void init_flow(struct net_conn *c, struct net_flow *f, int index, uint8_t *ring,
                      size_t ring_size) {
    f->direction = index == 0 ? SIM_NET_UP : SIM_NET_DOWN;
    f->src = index;
    f->dst = 1 - index;
    f->ring = ring;
    f->ring_size = ring_size;
    uint64_t seed = sim_net_prng_stream_seed(c->proxy->options.seed, c->endpoint->name_hash,
                                             c->ordinal, (unsigned)index);
    sim_net_prng_seed(&f->prng, seed);
    sim_net_prng_seed(&f->jitter_prng, sim_net_prng_mix(seed ^ 0x6a6974746572ull));  // "jitter"
    sim_net_prng_seed(&f->slice_prng, sim_net_prng_mix(seed ^ 0x736c696365ull));     // "slice"
}

static void set_nodelay(int fd) {
    // Delays are the toxics' job: Nagle would merge slices and add its own.
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void reset_and_close(int fd) {
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    close(fd);
}

enum sim_net_proxy_result net_conn_open(struct sim_net_proxy *proxy, struct net_endpoint *endpoint,
                                        int client_fd) {
    enum sim_net_proxy_result result = SIM_NET_PROXY_ERR_SYSTEM;
    size_t ring_size = proxy->options.buffer_bytes;
    struct net_conn *c = calloc(1, sizeof(*c));
    uint8_t *rings = malloc(2 * ring_size);
    int upstream_fd = -1;
    if (c == NULL || rings == NULL) {
        goto out;
    }
    c->proxy = proxy;
    c->endpoint = endpoint;
    c->id = ++proxy->next_conn_id;
    c->ordinal = ++endpoint->next_ordinal;
    c->deadline_us = SIM_NET_NO_DEADLINE;
    init_flow(c, &c->flow[0], 0, rings, ring_size);
    init_flow(c, &c->flow[1], 1, rings + ring_size, ring_size);
    upstream_fd =
        socket(endpoint->upstream.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (upstream_fd < 0) {
        goto out;
    }
    set_nodelay(client_fd);
    set_nodelay(upstream_fd);
    if (connect(upstream_fd, (const struct sockaddr *)&endpoint->upstream,
                endpoint->upstream_len) == 0) {
        c->connecting = false;
    } else if (errno == EINPROGRESS) {
        c->connecting = true;
    } else {
        int err = errno;
        net_emit(proxy, SIM_NET_EVENT_UPSTREAM_FAILED, c->id, endpoint->name, 0, "", err);
        goto out;
    }
    c->fd[0] = client_fd;
    c->fd[1] = upstream_fd;
    for (int side = 0; side < 2; side++) {
        c->watch[side] = (struct net_watch){.kind = NET_WATCH_SIDE, .owner = c, .side = side};
    }
    c->next = proxy->conns;
    proxy->conns = c;
    proxy->conn_count++;
    endpoint->open++;
    net_emit(proxy, SIM_NET_EVENT_OPEN, c->id, endpoint->name, 0, "", (int64_t)c->ordinal);
    net_conn_pump(c);
    return SIM_NET_PROXY_OK;
out:
    if (upstream_fd >= 0) {
        close(upstream_fd);
    }
    reset_and_close(client_fd);
    free(rings);
    free(c);
    return result;
}

void net_conn_free(struct net_conn *c) {
    if (c != NULL) {
        free(c->flow[0].ring);  // both rings are one allocation
        free(c);
    }
}
