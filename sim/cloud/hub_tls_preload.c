// SPDX-License-Identifier: MIT
// Preloaded into the broker (LD_PRELOAD, by hub_broker_launch.c), for two reasons.
//
// One TLS port for both kinds of IoT Hub device, as the real hub's port 8883 does: X.509 devices
// present a client certificate and SAS devices present none. mosquitto 2.0 offers only two modes:
// `require_certificate true` (SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT: SAS devices
// cannot connect) and `false` (SSL_VERIFY_NONE: the server never asks for a certificate, so
// mosquitto_client_certificate is always NULL and X.509 devices cannot authenticate). This
// wrapper turns the server-side SSL_VERIFY_NONE into SSL_VERIFY_PEER without
// FAIL_IF_NO_PEER_CERT: a certificate is requested and, when sent, must chain to the listener's
// cafile (the tenant CA) or the handshake fails; a client without one still connects and
// authenticates with a SAS token in the plugin.
//
// And what the plugin API does not show (hub_tls_observer.h): every byte a client sends or gets
// passes SSL_read and SSL_write in the clear, so wrapping them shows the hub each client's will
// topic at CONNECT and the PUBACK that completes each C2D message. The bytes go through hub_wire's
// parser untouched; nothing here changes what the broker reads or writes. Client-side contexts
// (bridges) are left alone. The broker has one thread; the lock only guards against a surprise.

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "cloud/hub_tls_observer.h"
#include "cloud/hub_wire.h"

#define EXPORT __attribute__((visibility("default")))
#define BUCKETS 1024
#define MAX_IN_FLIGHT 128     // C2D messages awaiting PUBACK per connection (the broker sends 20)
#define MAX_COMPLETIONS 4096  // not yet taken by the plugin; past that the oldest are forgotten
#define C2D_MARK "/messages/devicebound/"

struct in_flight {
    uint16_t packet_id;
    char *topic;
};

struct conn {
    const SSL *ssl;
    struct hub_wire_stream in;   // client to broker: CONNECT, PUBACK
    struct hub_wire_stream out;  // broker to client: PUBLISH
    char client_id[HUB_WIRE_MAX_ID + 1];
    struct in_flight sent[MAX_IN_FLIGHT];
    size_t sent_count;
    struct conn *next;
};

struct completion {
    char *client_id;
    char *topic;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct conn *table[BUCKETS];
static struct completion completions[MAX_COMPLETIONS];
static size_t completion_first;
static size_t completion_count;
static struct {
    bool seen;
    bool will;
    bool has_topic;
    char client_id[HUB_WIRE_MAX_ID + 1];
    char will_topic[HUB_WIRE_MAX_TOPIC + 1];
} last_connect;

typedef void (*set_verify_fn)(SSL_CTX *ctx, int mode, SSL_verify_cb callback);
typedef int (*io_fn)(SSL *ssl, void *buf, int num);
typedef int (*write_fn)(SSL *ssl, const void *buf, int num);
typedef void (*free_fn)(SSL *ssl);

// The real function behind a wrapped one. POSIX allows converting dlsym's object pointer to a
// function pointer.
static void *next_symbol(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

void SSL_CTX_set_verify(SSL_CTX *ctx, int mode, SSL_verify_cb callback) {
    static set_verify_fn real;
    if (real == NULL) {
        *(void **)&real = next_symbol("SSL_CTX_set_verify");
        if (real == NULL) {
            return;
        }
    }
    if (mode == SSL_VERIFY_NONE && ctx != NULL &&
        SSL_CTX_get_ssl_method(ctx) == TLS_server_method()) {
        mode = SSL_VERIFY_PEER;
    }
    real(ctx, mode, callback);
}

static size_t bucket(const SSL *ssl) {
    return ((uintptr_t)ssl >> 4) % BUCKETS;
}

// The connection's record, made on first use. NULL when out of memory.
static struct conn *conn_of(const SSL *ssl) {
    struct conn **head = &table[bucket(ssl)];
    for (struct conn *c = *head; c != NULL; c = c->next) {
        if (c->ssl == ssl) {
            return c;
        }
    }
    struct conn *c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->ssl = ssl;
    c->in.want_kinds = HUB_WIRE_WANT_CONNECT | HUB_WIRE_WANT_PUBACK;
    c->out.want_kinds = HUB_WIRE_WANT_PUBLISH;
    c->next = *head;
    *head = c;
    return c;
}

static void forget_sent(struct conn *c, size_t i) {
    free(c->sent[i].topic);
    c->sent[i] = c->sent[--c->sent_count];
}

static void drop_conn(const SSL *ssl) {
    for (struct conn **link = &table[bucket(ssl)]; *link != NULL; link = &(*link)->next) {
        struct conn *c = *link;
        if (c->ssl == ssl) {
            *link = c->next;
            while (c->sent_count > 0) {
                forget_sent(c, 0);
            }
            hub_wire_reset(&c->in);
            hub_wire_reset(&c->out);
            free(c);
            return;
        }
    }
}

static void add_completion(const char *client_id, char *topic) {
    char *id = strdup(client_id);
    if (id == NULL) {
        free(topic);
        return;
    }
    if (completion_count == MAX_COMPLETIONS) {
        // The plugin stopped taking them: the message stays queued and is delivered again.
        struct completion *oldest = &completions[completion_first];
        free(oldest->client_id);
        free(oldest->topic);
        completion_first = (completion_first + 1) % MAX_COMPLETIONS;
        completion_count--;
    }
    struct completion *slot = &completions[(completion_first + completion_count) % MAX_COMPLETIONS];
    slot->client_id = id;
    slot->topic = topic;
    completion_count++;
}

// From the client: its CONNECT, and PUBACKs that complete what the broker sent.
static void on_client_packet(const struct hub_wire_event *event, void *ctx) {
    struct conn *c = ctx;
    if (event->kind == HUB_WIRE_CONNECT) {
        size_t len = strlen(event->client_id);
        memcpy(c->client_id, event->client_id, len + 1);
        memcpy(last_connect.client_id, event->client_id, len + 1);
        last_connect.seen = true;
        last_connect.will = event->will;
        last_connect.has_topic = event->will_topic != NULL;
        if (event->will_topic != NULL) {
            size_t topic_len = strlen(event->will_topic);
            memcpy(last_connect.will_topic, event->will_topic, topic_len + 1);
        }
        return;
    }
    for (size_t i = 0; i < c->sent_count; i++) {
        if (c->sent[i].packet_id == event->packet_id) {
            add_completion(c->client_id, c->sent[i].topic);
            c->sent[i].topic = NULL;
            forget_sent(c, i);
            return;
        }
    }
}

// From the broker: QoS 1 C2D messages, remembered by packet id until their PUBACK.
static void on_broker_packet(const struct hub_wire_event *event, void *ctx) {
    struct conn *c = ctx;
    if (event->qos != 1 || strncmp(event->topic, "devices/", 8) != 0 ||
        strstr(event->topic, C2D_MARK) == NULL) {
        return;
    }
    for (size_t i = 0; i < c->sent_count; i++) {
        if (c->sent[i].packet_id == event->packet_id) {
            forget_sent(c, i);  // the same id again: a resend, or the id reused after a PUBACK
            break;
        }
    }
    if (c->sent_count == MAX_IN_FLIGHT) {
        forget_sent(c, 0);
    }
    char *topic = strdup(event->topic);
    if (topic != NULL) {
        c->sent[c->sent_count++] = (struct in_flight){event->packet_id, topic};
    }
}

static void observe(SSL *ssl, const void *buf, int len, bool from_client) {
    if (len <= 0 || !SSL_is_server(ssl)) {
        return;
    }
    pthread_mutex_lock(&lock);
    struct conn *c = conn_of(ssl);
    if (c != NULL) {
        if (from_client) {
            hub_wire_feed(&c->in, buf, (size_t)len, on_client_packet, c);
        } else {
            hub_wire_feed(&c->out, buf, (size_t)len, on_broker_packet, c);
        }
    }
    pthread_mutex_unlock(&lock);
}

int SSL_read(SSL *ssl, void *buf, int num) {
    static io_fn real;
    if (real == NULL) {
        *(void **)&real = next_symbol("SSL_read");
        if (real == NULL) {
            return -1;
        }
    }
    int n = real(ssl, buf, num);
    observe(ssl, buf, n, true);
    return n;
}

int SSL_write(SSL *ssl, const void *buf, int num) {
    static write_fn real;
    if (real == NULL) {
        *(void **)&real = next_symbol("SSL_write");
        if (real == NULL) {
            return -1;
        }
    }
    int n = real(ssl, buf, num);
    observe(ssl, buf, n, false);
    return n;
}

void SSL_free(SSL *ssl) {
    static free_fn real;
    if (real == NULL) {
        *(void **)&real = next_symbol("SSL_free");
        if (real == NULL) {
            return;
        }
    }
    if (ssl != NULL) {
        pthread_mutex_lock(&lock);
        drop_conn(ssl);
        pthread_mutex_unlock(&lock);
    }
    real(ssl);
}

EXPORT bool spheresim_tls_last_connect(const char **out_client_id, bool *out_will,
                                       const char **out_will_topic) {
    pthread_mutex_lock(&lock);
    bool seen = last_connect.seen;
    *out_client_id = last_connect.client_id;
    *out_will = last_connect.will;
    *out_will_topic = last_connect.will && last_connect.has_topic ? last_connect.will_topic : NULL;
    pthread_mutex_unlock(&lock);
    return seen;
}

EXPORT size_t spheresim_tls_take_completions(hub_tls_completion_fn fn, void *ctx) {
    size_t taken = 0;
    pthread_mutex_lock(&lock);
    while (completion_count > 0) {
        struct completion done = completions[completion_first];
        completion_first = (completion_first + 1) % MAX_COMPLETIONS;
        completion_count--;
        // fn runs the hub engine, which may write to the broker (and so come back here).
        pthread_mutex_unlock(&lock);
        fn(done.client_id, done.topic, ctx);
        free(done.client_id);
        free(done.topic);
        taken++;
        pthread_mutex_lock(&lock);
    }
    pthread_mutex_unlock(&lock);
    return taken;
}
