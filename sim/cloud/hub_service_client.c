// SPDX-License-Identifier: MIT
// The service client (hub_service_client.h). One libmosquitto connection, driven by a thread of
// our own rather than mosquitto_loop_start: the library's loop gives up for good on some errors
// (a failed TLS handshake, a refused CONNACK), and a broker restart must never leave the HTTP
// service without a way back. Callers register a pending entry under their request id before
// publishing, so an answer that arrives before they start waiting is not lost.
#include "cloud/hub_service_client.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud/hub_service_protocol.h"

#define MAX_TOKEN 512
#define MAX_OP 32
#define KEEPALIVE_S 30
#define READY_WAIT_MS 5000 /* how long a call waits for a (re)connecting broker */
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000
#define CONNECT_TIMEOUT_MS 3000 /* TCP, TLS, CONNACK and SUBACK; loopback takes milliseconds */

struct pending {
    char rid[SPHERESIM_SERVICE_MAX_RID + 1];
    bool done;
    enum hub_call_result result;
    int status;
    char *body;
    pthread_cond_t cond;
    struct pending *next;
};

struct hub_service_client {
    struct mosquitto *mosq;
    char host[64];
    int port;
    char token_path[PATH_MAX];
    char ca_file[PATH_MAX];
    bool tls_configured;
    pthread_t thread;
    atomic_bool stopping;
    atomic_bool wake; /* retry now: cuts the back-off pause short */
    // lock guards everything below it; io_lock keeps publishes apart from (re)connects.
    pthread_mutex_t lock;
    pthread_mutex_t io_lock;
    pthread_cond_t ready_cond;
    bool ready;
    unsigned long connections; /* times ready became true */
    bool said_down;            /* the last state reported on stderr was "down" */
    int subscribe_mid;
    unsigned int rid_tag;
    unsigned long long rid_next;
    struct pending *pending;
};

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    fputs("spheresim: hub service: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
}

static void monotonic_deadline(struct timespec *ts, int ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void init_monotonic_cond(pthread_cond_t *cond) {
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(cond, &attr);
    pthread_condattr_destroy(&attr);
}

// Fails every waiting call: their requests may or may not have reached the plugin, and the
// answers, if any, went to a connection that no longer exists.
static void mark_down(struct hub_service_client *c, const char *why) {
    pthread_mutex_lock(&c->lock);
    bool was_ready = c->ready;
    c->ready = false;
    for (struct pending *p = c->pending; p != NULL; p = p->next) {
        if (!p->done) {
            p->done = true;
            p->result = HUB_CALL_LOST;
            pthread_cond_signal(&p->cond);
        }
    }
    bool say = was_ready || !c->said_down;
    c->said_down = true;
    pthread_mutex_unlock(&c->lock);
    if (say && !atomic_load(&c->stopping)) {
        note("broker connection down (%s); retrying", why);
    }
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
    struct hub_service_client *c = obj;
    if (rc != 0) {
        note("the broker refused the service client: %s", mosquitto_connack_string(rc));
        return;
    }
    int mid = 0;
    if (mosquitto_subscribe(mosq, &mid, SPHERESIM_SERVICE_RESPONSE_PREFIX "#", 1) !=
        MOSQ_ERR_SUCCESS) {
        note("%s", "cannot subscribe to the response topic");
        return;
    }
    pthread_mutex_lock(&c->lock);
    c->subscribe_mid = mid;
    pthread_mutex_unlock(&c->lock);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int qos_count,
                         const int *granted_qos) {
    struct hub_service_client *c = obj;
    pthread_mutex_lock(&c->lock);
    bool ours = mid == c->subscribe_mid;
    if (ours) {
        c->ready = true;
        c->connections++;
        c->said_down = false;
        pthread_cond_broadcast(&c->ready_cond);
    }
    pthread_mutex_unlock(&c->lock);
    if (ours && qos_count > 0 && granted_qos[0] > 2) {
        // The plugin answers this client directly, so a refused subscription need not be fatal.
        note("%s", "the broker refused the response subscription; relying on direct delivery");
    }
    if (ours) {
        note("%s", "connected to the broker");
    }
}

// Takes an answer: {"status": <int>, "body": <JSON>} on SPHERESIM_SERVICE_RESPONSE_PREFIX{rid}.
static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg) {
    struct hub_service_client *c = obj;
    const size_t prefix_len = strlen(SPHERESIM_SERVICE_RESPONSE_PREFIX);
    if (msg->topic == NULL ||
        strncmp(msg->topic, SPHERESIM_SERVICE_RESPONSE_PREFIX, prefix_len) != 0) {
        return;
    }
    const char *rid = msg->topic + prefix_len;
    enum hub_call_result result = HUB_CALL_BAD_ANSWER;
    int status = 0;
    char *body = NULL;
    cJSON *doc =
        msg->payloadlen > 0 ? cJSON_ParseWithLength(msg->payload, (size_t)msg->payloadlen) : NULL;
    const cJSON *status_item = cJSON_GetObjectItemCaseSensitive(doc, "status");
    const cJSON *body_item = cJSON_GetObjectItemCaseSensitive(doc, "body");
    if (cJSON_IsNumber(status_item) && status_item->valuedouble >= 0 &&
        status_item->valuedouble <= 999 && status_item->valueint == status_item->valuedouble) {
        status = status_item->valueint;
        body = body_item != NULL ? cJSON_PrintUnformatted(body_item) : NULL;
        result = body_item != NULL && body == NULL ? HUB_CALL_INTERNAL : HUB_CALL_OK;
    }
    cJSON_Delete(doc);
    pthread_mutex_lock(&c->lock);
    struct pending *p = c->pending;
    while (p != NULL && (p->done || strcmp(p->rid, rid) != 0)) {
        p = p->next;
    }
    if (p != NULL) {
        p->done = true;
        p->result = result;
        p->status = status;
        p->body = body;
        body = NULL;
        pthread_cond_signal(&p->cond);
    }
    pthread_mutex_unlock(&c->lock);
    free(body); /* an answer nobody waits for any more: its caller timed out */
}

// Reads the token file; the hub rewrites it on start, so it is read again for each connect.
static bool read_token(const char *path, char *out, size_t out_size) {
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return false;
    }
    size_t n = fread(out, 1, out_size - 1, f);
    fclose(f);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' ')) {
        out[--n] = '\0';
    }
    return n > 0;
}

static int connect_once(struct hub_service_client *c) {
    char token[MAX_TOKEN];
    int rc = MOSQ_ERR_SUCCESS;
    if (!read_token(c->token_path, token, sizeof(token))) {
        mark_down(c, "no service token yet");
        return MOSQ_ERR_AUTH;
    }
    pthread_mutex_lock(&c->io_lock);
    if (c->ca_file[0] != '\0' && !c->tls_configured) {
        // Set lazily: libmosquitto checks the CA file exists, and the hub may still be writing
        // its PKI when the service starts.
        rc = mosquitto_tls_set(c->mosq, c->ca_file, NULL, NULL, NULL, NULL);
        c->tls_configured = rc == MOSQ_ERR_SUCCESS;
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_username_pw_set(c->mosq, SPHERESIM_SERVICE_CLIENT_ID, token);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_connect(c->mosq, c->host, c->port, KEEPALIVE_S);
    }
    pthread_mutex_unlock(&c->io_lock);
    explicit_bzero(token, sizeof(token));
    if (rc != MOSQ_ERR_SUCCESS) {
        mark_down(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    }
    return rc;
}

static void pause_ms(struct hub_service_client *c, int ms) {
    for (int waited = 0; waited < ms && !atomic_load(&c->stopping); waited += 10) {
        if (atomic_exchange(&c->wake, false)) {
            return;
        }
        struct timespec ts = {.tv_sec = 0, .tv_nsec = 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static long long monotonic_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// A new libmosquitto handle, set up as this client needs. NULL when the library cannot make one.
static struct mosquitto *new_handle(struct hub_service_client *c) {
    struct mosquitto *mosq = mosquitto_new(SPHERESIM_SERVICE_CLIENT_ID, true, c);
    if (mosq == NULL) {
        return NULL;
    }
    // Other threads publish while this one loops: the library then only queues and wakes us.
    mosquitto_threaded_set(mosq, true);
    // Without it a request waits for the ACK of the PUBACK sent before it (Nagle's algorithm
    // against the broker's delayed ACK): about 40 ms on every call that follows an answer.
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    mosquitto_message_callback_set(mosq, on_message);
    return mosq;
}

// Replaces the handle after a connection attempt that never completed. libmosquitto 2.0 retries a
// TLS handshake whose socket failed (SSL_ERROR_SYSCALL) on every loop without reporting an error,
// so a connection made at the moment the broker died (a restart) would never end by itself.
static void reset_handle(struct hub_service_client *c) {
    struct mosquitto *fresh = new_handle(c);
    if (fresh == NULL) {
        return;  // keep the old one; the next attempt reconnects it
    }
    pthread_mutex_lock(&c->io_lock);
    mosquitto_destroy(c->mosq);
    c->mosq = fresh;
    c->tls_configured = false;
    pthread_mutex_unlock(&c->io_lock);
}

static void *connection_main(void *arg) {
    struct hub_service_client *c = arg;
    int delay_ms = RETRY_MIN_MS;
    bool socket_up = false;
    long long connect_deadline = 0;
    while (!atomic_load(&c->stopping)) {
        if (!socket_up) {
            socket_up = connect_once(c) == MOSQ_ERR_SUCCESS;
            if (!socket_up) {
                pause_ms(c, delay_ms);
                delay_ms = delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay_ms * 2;
                continue;
            }
            connect_deadline = monotonic_ms() + CONNECT_TIMEOUT_MS;
        }
        int rc = mosquitto_loop(c->mosq, 100, 1);
        bool ready = hub_service_client_ready(c);
        if (rc == MOSQ_ERR_SUCCESS && !ready && monotonic_ms() > connect_deadline) {
            reset_handle(c);
            rc = MOSQ_ERR_CONN_LOST;
        }
        if (rc != MOSQ_ERR_SUCCESS) {
            socket_up = false;
            mark_down(c, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
            pause_ms(c, delay_ms);
            delay_ms = delay_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay_ms * 2;
            continue;
        }
        if (ready) {
            delay_ms = RETRY_MIN_MS;
        }
    }
    if (socket_up) {
        mosquitto_disconnect(c->mosq);
        mosquitto_loop(c->mosq, 50, 1);
    }
    mark_down(c, "stopping");
    return NULL;
}

int hub_service_client_start(const struct hub_service_client_options *options,
                             struct hub_service_client **out_client) {
    if (options == NULL || out_client == NULL || options->state_dir == NULL || options->port <= 0 ||
        options->port > 65535) {
        return -1;
    }
    *out_client = NULL;
    struct hub_service_client *c = calloc(1, sizeof(*c));
    if (c == NULL) {
        return -1;
    }
    int n1 = snprintf(c->host, sizeof(c->host), "%s",
                      options->host != NULL ? options->host : "127.0.0.1");
    int n2 = snprintf(c->token_path, sizeof(c->token_path), "%s/%s", options->state_dir,
                      SPHERESIM_SERVICE_TOKEN_FILE);
    int n3 = snprintf(c->ca_file, sizeof(c->ca_file), "%s",
                      options->ca_file != NULL ? options->ca_file : "");
    if (n1 < 0 || (size_t)n1 >= sizeof(c->host) || n2 < 0 || (size_t)n2 >= sizeof(c->token_path) ||
        n3 < 0 || (size_t)n3 >= sizeof(c->ca_file)) {
        free(c);
        return -1;
    }
    c->port = options->port;
    c->rid_tag = (unsigned int)getpid() ^ (unsigned int)time(NULL);
    atomic_init(&c->stopping, false);
    atomic_init(&c->wake, false);
    pthread_mutex_init(&c->lock, NULL);
    pthread_mutex_init(&c->io_lock, NULL);
    init_monotonic_cond(&c->ready_cond);
    mosquitto_lib_init();
    c->mosq = new_handle(c);
    if (c->mosq == NULL) {
        note("%s", "cannot create the MQTT client");
        goto fail;
    }
    if (pthread_create(&c->thread, NULL, connection_main, c) != 0) {
        note("%s", "cannot start the connection thread");
        goto fail;
    }
    *out_client = c;
    return 0;
fail:
    mosquitto_destroy(c->mosq);
    mosquitto_lib_cleanup();
    pthread_cond_destroy(&c->ready_cond);
    pthread_mutex_destroy(&c->io_lock);
    pthread_mutex_destroy(&c->lock);
    free(c);
    return -1;
}

void hub_service_client_cancel(struct hub_service_client *client) {
    if (client == NULL) {
        return;
    }
    atomic_store(&client->stopping, true);
    mark_down(client, "stopping");
    pthread_mutex_lock(&client->lock);
    pthread_cond_broadcast(&client->ready_cond);
    pthread_mutex_unlock(&client->lock);
}

void hub_service_client_stop(struct hub_service_client *client) {
    if (client == NULL) {
        return;
    }
    hub_service_client_cancel(client);
    pthread_join(client->thread, NULL);
    mosquitto_destroy(client->mosq);
    mosquitto_lib_cleanup();
    pthread_cond_destroy(&client->ready_cond);
    pthread_mutex_destroy(&client->io_lock);
    pthread_mutex_destroy(&client->lock);
    free(client);
}

void hub_service_client_wake(struct hub_service_client *client) {
    if (client != NULL) {
        atomic_store(&client->wake, true);
    }
}

unsigned long hub_service_client_connections(struct hub_service_client *client) {
    if (client == NULL) {
        return 0;
    }
    pthread_mutex_lock(&client->lock);
    unsigned long connections = client->connections;
    pthread_mutex_unlock(&client->lock);
    return connections;
}

bool hub_service_client_ready(struct hub_service_client *client) {
    if (client == NULL) {
        return false;
    }
    pthread_mutex_lock(&client->lock);
    bool ready = client->ready;
    pthread_mutex_unlock(&client->lock);
    return ready;
}

static bool valid_op(const char *op) {
    size_t len = op != NULL ? strlen(op) : 0;
    if (len == 0 || len >= MAX_OP) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!((op[i] >= 'a' && op[i] <= 'z') || (op[i] >= '0' && op[i] <= '9') || op[i] == '-')) {
            return false;
        }
    }
    return true;
}

static void unlink_pending(struct hub_service_client *c, struct pending *p) {
    for (struct pending **link = &c->pending; *link != NULL; link = &(*link)->next) {
        if (*link == p) {
            *link = p->next;
            return;
        }
    }
}

enum hub_call_result hub_service_call(struct hub_service_client *client, const char *op,
                                      const char *request_json, int timeout_ms, int *out_status,
                                      char **out_body_json) {
    if (client == NULL || !valid_op(op) || request_json == NULL || timeout_ms <= 0 ||
        out_status == NULL || out_body_json == NULL) {
        return HUB_CALL_INVALID;
    }
    *out_status = 0;
    *out_body_json = NULL;
    struct pending p = {.done = false};
    char topic[sizeof(SPHERESIM_SERVICE_REQUEST_PREFIX) + MAX_OP + SPHERESIM_SERVICE_MAX_RID + 2];
    struct timespec deadline;
    enum hub_call_result result = HUB_CALL_OK;
    init_monotonic_cond(&p.cond);

    pthread_mutex_lock(&client->lock);
    monotonic_deadline(&deadline, timeout_ms < READY_WAIT_MS ? timeout_ms : READY_WAIT_MS);
    while (!client->ready && !atomic_load(&client->stopping) &&
           pthread_cond_timedwait(&client->ready_cond, &client->lock, &deadline) != ETIMEDOUT) {
    }
    // Checked under the lock that cancel's mark_down takes: a call either sees the stop here or
    // is registered in time to be failed by it.
    if (!client->ready || atomic_load(&client->stopping)) {
        pthread_mutex_unlock(&client->lock);
        result = HUB_CALL_NOT_CONNECTED;
        goto out;
    }
    snprintf(p.rid, sizeof(p.rid), "%08x-%llu", client->rid_tag, ++client->rid_next);
    p.next = client->pending;
    client->pending = &p;
    pthread_mutex_unlock(&client->lock);

    snprintf(topic, sizeof(topic), "%s%s/%s", SPHERESIM_SERVICE_REQUEST_PREFIX, op, p.rid);
    // QoS 0: a request must not be redelivered after a reconnect, where its caller has already
    // been told the connection was lost; loopback TCP loses nothing while connected.
    pthread_mutex_lock(&client->io_lock);
    int rc = mosquitto_publish(client->mosq, NULL, topic, (int)strlen(request_json), request_json,
                               0, false);
    pthread_mutex_unlock(&client->io_lock);

    pthread_mutex_lock(&client->lock);
    if (rc != MOSQ_ERR_SUCCESS && !p.done) {
        p.done = true;
        p.result =
            rc == MOSQ_ERR_NO_CONN || rc == MOSQ_ERR_CONN_LOST ? HUB_CALL_LOST : HUB_CALL_INTERNAL;
    }
    monotonic_deadline(&deadline, timeout_ms);
    while (!p.done && pthread_cond_timedwait(&p.cond, &client->lock, &deadline) != ETIMEDOUT) {
    }
    result = p.done ? p.result : HUB_CALL_TIMEOUT;
    unlink_pending(client, &p);
    pthread_mutex_unlock(&client->lock);
    if (result == HUB_CALL_OK) {
        *out_status = p.status;
        *out_body_json = p.body;
        p.body = NULL;
    }
out:
    free(p.body);
    pthread_cond_destroy(&p.cond);
    return result;
}

const char *hub_call_result_text(enum hub_call_result result) {
    switch (result) {
        case HUB_CALL_OK:
            return "ok";
        case HUB_CALL_INVALID:
            return "invalid request";
        case HUB_CALL_NOT_CONNECTED:
            return "the hub's broker is not reachable";
        case HUB_CALL_LOST:
            return "the connection to the hub's broker was lost before it answered";
        case HUB_CALL_TIMEOUT:
            return "the hub did not answer in time";
        case HUB_CALL_BAD_ANSWER:
            return "the hub sent an unreadable answer";
        case HUB_CALL_INTERNAL:
            return "internal error in the hub service";
    }
    return "unknown error";
}
