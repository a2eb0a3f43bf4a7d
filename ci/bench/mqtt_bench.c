// SPDX-License-Identifier: MIT
// A small MQTT load generator for the hub benchmarks: one TLS client (libmosquitto) that either
// publishes QoS 1 telemetry as fast as the broker acknowledges it, with a bounded window of
// messages in flight, or measures twin GET round trips one at a time. It prints one JSON line of
// figures. Loopback only: the benchmark scripts start every broker they measure.
//
//   mqtt_bench publish  --port P --cafile F [--cert F --key F] --id ID --username U
//                       --topic T [--count N] [--size B] [--window W]
//   mqtt_bench twin-rtt --port P --cafile F --cert F --key F --id ID --username U [--count N]
//   mqtt_bench method-responder ... [--count N]   answers N direct-method calls with 200 {}
#include <errno.h>
#include <mosquitto.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct options {
    const char *mode;
    int port;
    const char *cafile;
    const char *cert;
    const char *key;
    const char *id;
    const char *username;
    const char *topic;
    long count;
    long size;
    long window;
};

struct bench {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool connected;
    int connect_rc;
    long acknowledged;
    long responses;
    int subscribe_mid;
    bool subscribed;
    char last_response_topic[256];
};

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *mosq, void *context, int rc) {
    struct bench *b = context;
    pthread_mutex_lock(&b->lock);
    b->connected = rc == 0;
    b->connect_rc = rc;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

static void on_publish(struct mosquitto *mosq, void *context, int mid) {
    struct bench *b = context;
    pthread_mutex_lock(&b->lock);
    b->acknowledged++;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

static void on_message(struct mosquitto *mosq, void *context, const struct mosquitto_message *m) {
    struct bench *b = context;
    pthread_mutex_lock(&b->lock);
    b->responses++;
    snprintf(b->last_response_topic, sizeof(b->last_response_topic), "%s", m->topic);
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

static void on_subscribe(struct mosquitto *mosq, void *context, int mid, int qos_count,
                         const int *granted_qos) {
    struct bench *b = context;
    pthread_mutex_lock(&b->lock);
    if (mid == b->subscribe_mid) {
        b->subscribed = qos_count > 0 && granted_qos[0] <= 2;
        pthread_cond_broadcast(&b->changed);
    }
    pthread_mutex_unlock(&b->lock);
}

static int parse(int argc, char **argv, struct options *o) {
    *o = (struct options){.count = 20000, .size = 256, .window = 100};
    if (argc < 2) {
        return -1;
    }
    o->mode = argv[1];
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        const char *v = argv[i + 1];
        if (strcmp(k, "--port") == 0) {
            o->port = (int)strtol(v, NULL, 10);
        } else if (strcmp(k, "--cafile") == 0) {
            o->cafile = v;
        } else if (strcmp(k, "--cert") == 0) {
            o->cert = v;
        } else if (strcmp(k, "--key") == 0) {
            o->key = v;
        } else if (strcmp(k, "--id") == 0) {
            o->id = v;
        } else if (strcmp(k, "--username") == 0) {
            o->username = v;
        } else if (strcmp(k, "--topic") == 0) {
            o->topic = v;
        } else if (strcmp(k, "--count") == 0) {
            o->count = strtol(v, NULL, 10);
        } else if (strcmp(k, "--size") == 0) {
            o->size = strtol(v, NULL, 10);
        } else if (strcmp(k, "--window") == 0) {
            o->window = strtol(v, NULL, 10);
        } else {
            fprintf(stderr, "mqtt_bench: unknown option %s\n", k);
            return -1;
        }
    }
    bool ok = o->port > 0 && o->cafile != NULL && o->id != NULL && o->count > 0 && o->size >= 0 &&
              o->size <= 262144 && o->window > 0;
    return ok ? 0 : -1;
}

// Waits until pred holds or 30 s pass; returns false on timeout.
static bool wait_for(struct bench *b, bool (*pred)(const struct bench *, long), long arg) {
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    pthread_mutex_lock(&b->lock);
    int rc = 0;
    while (!pred(b, arg) && rc != ETIMEDOUT) {
        rc = pthread_cond_timedwait(&b->changed, &b->lock, &deadline);
    }
    bool held = pred(b, arg);
    pthread_mutex_unlock(&b->lock);
    return held;
}

static bool is_connected(const struct bench *b, long unused) {
    return b->connected || b->connect_rc != 0;
}

static bool acknowledged_at_least(const struct bench *b, long n) {
    return b->acknowledged >= n;
}

static bool responses_at_least(const struct bench *b, long n) {
    return b->responses >= n;
}

// Answers each method request with status 200 and an empty object, as a device would.
static void on_method_request(struct mosquitto *mosq, void *context,
                              const struct mosquitto_message *m) {
    const char *rid = strstr(m->topic, "?$rid=");
    if (strncmp(m->topic, "$iothub/methods/POST/", 21) == 0 && rid != NULL) {
        char topic[256];
        snprintf(topic, sizeof(topic), "$iothub/methods/res/200/%s", rid);
        mosquitto_publish(mosq, NULL, topic, 2, "{}", 0, false);
    }
    on_message(mosq, context, m);
}

static bool is_subscribed(const struct bench *b, long unused) {
    return b->subscribed;
}

static int run_method_responder(struct mosquitto *mosq, struct bench *b, const struct options *o) {
    mosquitto_message_callback_set(mosq, on_method_request);
    // The hub answers 404 to a call for a device not yet subscribed to its methods: "ready" only
    // once the SUBACK is in, so the benchmark's first call cannot race the subscription.
    pthread_mutex_lock(&b->lock);
    int rc = mosquitto_subscribe(mosq, &b->subscribe_mid, "$iothub/methods/POST/#", 0);
    pthread_mutex_unlock(&b->lock);
    if (rc != MOSQ_ERR_SUCCESS || !wait_for(b, is_subscribed, 0)) {
        fprintf(stderr, "mqtt_bench: no SUBACK for the method subscription\n");
        return 1;
    }
    printf("{\"mode\":\"method-responder\",\"ready\":true}\n");
    fflush(stdout);
    // Answers until count calls are served; the benchmark script stops it otherwise.
    for (long served = 0; served < o->count;) {
        if (wait_for(b, responses_at_least, served + 1)) {
            served++;
        }
    }
    return 0;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run_publish(struct mosquitto *mosq, struct bench *b, const struct options *o) {
    char *payload = malloc((size_t)o->size + 1);
    if (payload == NULL) {
        return 1;
    }
    memset(payload, 'x', (size_t)o->size);
    double start = now_seconds();
    for (long sent = 0; sent < o->count; sent++) {
        // Keep at most `window` messages unacknowledged, like a device's QoS 1 in-flight limit.
        while (!wait_for(b, acknowledged_at_least, sent - o->window + 1)) {
            fprintf(stderr, "mqtt_bench: no PUBACK for 30 s\n");
            free(payload);
            return 1;
        }
        if (mosquitto_publish(mosq, NULL, o->topic, (int)o->size, payload, 1, false) !=
            MOSQ_ERR_SUCCESS) {
            fprintf(stderr, "mqtt_bench: publish failed\n");
            free(payload);
            return 1;
        }
    }
    bool done = wait_for(b, acknowledged_at_least, o->count);
    double elapsed = now_seconds() - start;
    free(payload);
    if (!done) {
        fprintf(stderr, "mqtt_bench: only %ld of %ld acknowledged\n", b->acknowledged, o->count);
        return 1;
    }
    printf(
        "{\"mode\":\"publish\",\"messages\":%ld,\"bytes\":%ld,\"seconds\":%.3f,"
        "\"messages_per_second\":%.0f}\n",
        o->count, o->size, elapsed, (double)o->count / elapsed);
    return 0;
}

static int run_twin_rtt(struct mosquitto *mosq, struct bench *b, const struct options *o) {
    if (mosquitto_subscribe(mosq, NULL, "$iothub/twin/res/#", 1) != MOSQ_ERR_SUCCESS) {
        return 1;
    }
    double *samples = calloc((size_t)o->count, sizeof(double));
    if (samples == NULL) {
        return 1;
    }
    int status = 1;
    for (long i = 0; i < o->count; i++) {
        char topic[64];
        snprintf(topic, sizeof(topic), "$iothub/twin/GET/?$rid=%ld", i + 1);
        double start = now_seconds();
        if (mosquitto_publish(mosq, NULL, topic, 0, NULL, 0, false) != MOSQ_ERR_SUCCESS ||
            !wait_for(b, responses_at_least, i + 1)) {
            fprintf(stderr, "mqtt_bench: twin GET %ld got no response\n", i + 1);
            goto out;
        }
        samples[i] = (now_seconds() - start) * 1000.0;
    }
    qsort(samples, (size_t)o->count, sizeof(double), compare_doubles);
    printf(
        "{\"mode\":\"twin-rtt\",\"requests\":%ld,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
        "\"max_ms\":%.3f,\"last_topic\":\"%s\"}\n",
        o->count, samples[o->count / 2], samples[(o->count * 99) / 100], samples[o->count - 1],
        b->last_response_topic);
    status = 0;
out:
    free(samples);
    return status;
}

int main(int argc, char **argv) {
    struct options o;
    if (parse(argc, argv, &o) != 0) {
        fprintf(stderr,
                "usage: mqtt_bench publish|twin-rtt --port P --cafile F [--cert F "
                "--key F] --id ID [--username U] [--topic T] [--count N] [--size B] "
                "[--window W]\n");
        return 2;
    }
    mosquitto_lib_init();
    struct bench b = {.lock = PTHREAD_MUTEX_INITIALIZER, .changed = PTHREAD_COND_INITIALIZER};
    struct mosquitto *mosq = mosquitto_new(o.id, true, &b);
    int status = 1;
    if (mosq == NULL) {
        goto out;
    }
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_publish_callback_set(mosq, on_publish);
    mosquitto_message_callback_set(mosq, on_message);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, (int)o.window);
    mosquitto_max_inflight_messages_set(mosq, (unsigned)o.window);
    if (mosquitto_tls_set(mosq, o.cafile, NULL, o.cert, o.key, NULL) != MOSQ_ERR_SUCCESS ||
        (o.username != NULL && mosquitto_username_pw_set(mosq, o.username, NULL) != 0) ||
        mosquitto_connect(mosq, "127.0.0.1", o.port, 240) != MOSQ_ERR_SUCCESS ||
        mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt_bench: cannot connect to 127.0.0.1:%d\n", o.port);
        goto out;
    }
    if (!wait_for(&b, is_connected, 0) || !b.connected) {
        fprintf(stderr, "mqtt_bench: connection refused (CONNACK %d)\n", b.connect_rc);
        goto stop;
    }
    if (strcmp(o.mode, "publish") == 0 && o.topic != NULL) {
        status = run_publish(mosq, &b, &o);
    } else if (strcmp(o.mode, "twin-rtt") == 0) {
        status = run_twin_rtt(mosq, &b, &o);
    } else if (strcmp(o.mode, "method-responder") == 0) {
        status = run_method_responder(mosq, &b, &o);
    } else {
        fprintf(stderr, "mqtt_bench: unknown mode %s (or missing --topic)\n", o.mode);
        status = 2;
    }
    // Not forced: the loop thread still has to send what the callbacks queued (the responder's
    // last answer) before the DISCONNECT, and exits once that is out.
    mosquitto_disconnect(mosq);
    mosquitto_loop_stop(mosq, false);
    goto out;
stop:
    mosquitto_loop_stop(mosq, true);
out:
    if (mosq != NULL) {
        mosquitto_destroy(mosq);
    }
    mosquitto_lib_cleanup();
    return status;
}
