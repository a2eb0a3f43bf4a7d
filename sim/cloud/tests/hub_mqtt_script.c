// SPDX-License-Identifier: MIT
// A scripted libmosquitto client for the hub's conformance tests: connects over TLS as MQTT 3.1.1
// (as IoT Hub devices do) and runs a list of steps, printing one fact per line as it happens, so
// a test can play a device (twin requests, method answers, C2D) or a raw service client on one
// connection and assert on exactly what the broker sent. Every line is flushed at once: tests read
// the output of a client still running in the background.
//
// usage: hub_mqtt_script --port N --cafile F --id ID [--cert F --key F] [--username U]
//            [--password P] [--qos Q] [--clean 0|1] [--will-topic T --will-message M]
//            [--protocol 4|5] STEP...
// --protocol 5 speaks MQTT 5 (IoT Hub's devices use 3.1.1, the default); a PUBACK then prints as
// "puback reason N" with its reason code.
// steps:  sub FILTER                 subscribe, wait for SUBACK          -> "suback Q"
//         unsub FILTER               unsubscribe, wait for UNSUBACK      -> "unsuback"
//         pub TOPIC TEXT             publish (QoS 1 waits for PUBACK)    -> "puback" | "sent"
//         pubfile TOPIC FILE         publish a file's contents           -> as pub
//         pubn TOPIC COUNT           publish "m1".."mCOUNT", each waiting for its PUBACK
//                                                             -> "pubacks N" (how many came)
//         expect PREFIX SECONDS      wait for a message whose topic starts with PREFIX
//                                                             -> "expect-ok S.SS" |
//                                                             "expect-timeout"
//         wait SECONDS               keep receiving for a while
//         answer STATUS JSON COUNT SECONDS
//                                    answer up to COUNT direct-method requests with STATUS and
//                                    JSON, for at most SECONDS          -> "answered NAME" each
//         drop                       end the process without DISCONNECT, as a device losing its
//                                    network does (the broker sends the will) -> "dropped"
//         reconnect SECONDS          wait until the broker drops the connection, then connect
//                                    again as a device's retry loop does (every 100 ms) until a
//                                    CONNACK, within SECONDS in all -> "lost" then
//                                    "reconnected N" | "reconnect-timeout"
// output: "connack N" | "no-connack REASON" first; "message TOPIC PAYLOAD" for every delivery;
//         "closed" when the broker dropped the connection (then the remaining steps are skipped).
// Exit status: 0 whatever the broker did (tests judge the output), 2 for usage errors.
#include <mosquitto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_PAYLOAD_SHOWN (256 * 1024)
#define METHOD_PREFIX "$iothub/methods/POST/"

struct script {
    struct mosquitto *mosq;
    int connack;  // -1 until CONNACK
    bool closed;
    bool disconnecting;
    int acked_mid;
    int ack_reason;  // MQTT 5: the last PUBACK's reason code
    bool v5;
    int granted_qos;
    // expect
    const char *want_prefix;
    bool seen;
    // answer
    int answer_status;
    const char *answer_json;
    int answers_left;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *m, void *ctx, int rc) {
    (void)m;
    ((struct script *)ctx)->connack = rc;
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc) {
    (void)m;
    (void)rc;
    struct script *s = ctx;
    if (!s->disconnecting) {
        s->closed = true;
    }
}

static void on_ack(struct mosquitto *m, void *ctx, int mid) {
    (void)m;
    ((struct script *)ctx)->acked_mid = mid;
}

static void on_publish_v5(struct mosquitto *m, void *ctx, int mid, int reason,
                          const mosquitto_property *props) {
    (void)m;
    (void)props;
    struct script *s = ctx;
    s->ack_reason = reason;
    s->acked_mid = mid;
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int count, const int *granted) {
    (void)m;
    struct script *s = ctx;
    s->granted_qos = count > 0 ? granted[0] : -1;
    s->acked_mid = mid;
}

// Answers "$iothub/methods/POST/{name}/?$rid={rid}" on "$iothub/methods/res/{status}/?$rid=".
static void answer_method(struct script *s, const char *topic) {
    const char *name = topic + strlen(METHOD_PREFIX);
    const char *slash = strchr(name, '/');
    const char *rid = strstr(topic, "?$rid=");
    if (slash == NULL || rid == NULL) {
        return;
    }
    char reply[512];
    snprintf(reply, sizeof reply, "$iothub/methods/res/%d/?$rid=%s", s->answer_status, rid + 6);
    mosquitto_publish(s->mosq, NULL, reply, (int)strlen(s->answer_json), s->answer_json, 0, false);
    s->answers_left--;
    printf("answered %.*s\n", (int)(slash - name), name);
    fflush(stdout);
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg) {
    (void)m;
    struct script *s = ctx;
    int shown = msg->payloadlen > MAX_PAYLOAD_SHOWN ? MAX_PAYLOAD_SHOWN : msg->payloadlen;
    printf("message %s %.*s\n", msg->topic, shown,
           msg->payload != NULL ? (const char *)msg->payload : "");
    fflush(stdout);
    if (s->want_prefix != NULL &&
        strncmp(msg->topic, s->want_prefix, strlen(s->want_prefix)) == 0) {
        s->seen = true;
    }
    if (s->answers_left > 0 && strncmp(msg->topic, METHOD_PREFIX, strlen(METHOD_PREFIX)) == 0) {
        answer_method(s, msg->topic);
    }
}

// Runs the network loop until done(s) or the connection closes or seconds pass.
static bool run_until(struct script *s, double seconds, bool (*done)(const struct script *, int),
                      int arg) {
    double deadline = now_s() + seconds;
    while (now_s() < deadline) {
        if (done != NULL && done(s, arg)) {
            return true;
        }
        if (s->closed) {
            return false;
        }
        if (mosquitto_loop(s->mosq, 20, 1) != MOSQ_ERR_SUCCESS) {
            s->closed = true;
        }
    }
    return done != NULL && done(s, arg);
}

static bool have_connack(const struct script *s, int arg) {
    (void)arg;
    return s->connack >= 0;
}

static bool have_ack(const struct script *s, int mid) {
    return s->acked_mid == mid;
}

static bool have_message(const struct script *s, int arg) {
    (void)arg;
    return s->seen;
}

static bool is_closed(const struct script *s, int arg) {
    (void)arg;
    return s->closed;
}

// Waits for the connection to drop, then retries until a CONNACK or the deadline.
static void reconnect(struct script *s, double seconds) {
    double deadline = now_s() + seconds;
    while (!s->closed && now_s() < deadline) {
        run_until(s, deadline - now_s(), is_closed, 0);
    }
    if (!s->closed) {
        printf("reconnect-timeout\n");
        return;
    }
    printf("lost\n");
    fflush(stdout);
    while (now_s() < deadline) {
        s->closed = false;
        s->connack = -1;
        if (mosquitto_reconnect(s->mosq) == MOSQ_ERR_SUCCESS &&
            run_until(s, deadline - now_s() < 5 ? deadline - now_s() : 5, have_connack, 0) &&
            s->connack == 0) {
            printf("reconnected %d\n", s->connack);
            return;
        }
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100 * 1000000L};
        nanosleep(&pause, NULL);
    }
    s->closed = true;
    printf("reconnect-timeout\n");
}

static bool answered_all(const struct script *s, int arg) {
    (void)arg;
    return s->answers_left <= 0;
}

static char *read_file(const char *path, int *out_len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    char *data = NULL;
    long len = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)len + 1);
    }
    if (data != NULL && fread(data, 1, (size_t)len, f) != (size_t)len) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *out_len = (int)len;
    return data;
}

static double number(const char *text) {
    char *end = NULL;
    double value = strtod(text, &end);
    return end != text && *end == '\0' ? value : -1;
}

static int usage(void) {
    fputs(
        "usage: hub_mqtt_script --port N --cafile F --id ID [--cert F --key F] [--username U] "
        "[--password P] [--qos Q] [--clean 0|1] STEP... (see the source for steps)\n",
        stderr);
    return 2;
}

static int publish(struct script *s, const char *topic, const void *payload, int len, int qos) {
    int mid = 0;
    if (mosquitto_publish(s->mosq, &mid, topic, len, payload, qos, false) != MOSQ_ERR_SUCCESS) {
        s->closed = true;
        return 1;
    }
    if (qos == 0) {
        run_until(s, 0.05, NULL, 0);  // gives the packet a chance to leave
        printf("sent\n");
        return 0;
    }
    if (!run_until(s, 10, have_ack, mid)) {
        return 1;
    }
    if (s->v5) {
        printf("puback reason %d\n", s->ack_reason);
    } else {
        printf("puback\n");
    }
    return 0;
}

// Runs steps from argv[at]; returns the exit status.
static int run_steps(struct script *s, int argc, char **argv, int at, int qos) {
    int status = 0;
    // A closed connection skips the remaining steps, up to a reconnect.
    for (int i = at; i < argc && (!s->closed || strcmp(argv[i], "reconnect") == 0); i++) {
        const char *step = argv[i];
        int left = argc - i - 1;
        int mid = 0;
        if (strcmp(step, "sub") == 0 && left >= 1) {
            mosquitto_subscribe(s->mosq, &mid, argv[++i], qos);
            if (run_until(s, 10, have_ack, mid)) {
                printf("suback %d\n", s->granted_qos);
            }
        } else if (strcmp(step, "unsub") == 0 && left >= 1) {
            mosquitto_unsubscribe(s->mosq, &mid, argv[++i]);
            if (run_until(s, 10, have_ack, mid)) {
                printf("unsuback\n");
            }
        } else if (strcmp(step, "pub") == 0 && left >= 2) {
            const char *topic = argv[++i];
            const char *text = argv[++i];
            publish(s, topic, text, (int)strlen(text), qos);
        } else if (strcmp(step, "pubfile") == 0 && left >= 2) {
            const char *topic = argv[++i];
            int len = 0;
            char *data = read_file(argv[++i], &len);
            if (data == NULL) {
                fprintf(stderr, "hub_mqtt_script: cannot read %s\n", argv[i]);
                return 2;
            }
            publish(s, topic, data, len, qos);
            free(data);
        } else if (strcmp(step, "pubn") == 0 && left >= 2) {
            const char *topic = argv[++i];
            int count = (int)number(argv[++i]);
            int acked = 0;
            for (int n = 1; n <= count && !s->closed; n++) {
                char text[32];
                snprintf(text, sizeof text, "m%d", n);
                if (mosquitto_publish(s->mosq, &mid, topic, (int)strlen(text), text, qos, false) ==
                        MOSQ_ERR_SUCCESS &&
                    run_until(s, 10, have_ack, mid)) {
                    acked++;
                }
            }
            printf("pubacks %d\n", acked);
        } else if (strcmp(step, "drop") == 0) {
            printf("dropped\n");
            fflush(stdout);
            _exit(0);  // no DISCONNECT: the kernel closes the socket
        } else if (strcmp(step, "expect") == 0 && left >= 2) {
            s->want_prefix = argv[++i];
            s->seen = false;
            double start = now_s();
            if (run_until(s, number(argv[++i]), have_message, 0)) {
                printf("expect-ok %.2f\n", now_s() - start);
            } else if (!s->closed) {
                printf("expect-timeout\n");
            }
            s->want_prefix = NULL;
        } else if (strcmp(step, "reconnect") == 0 && left >= 1) {
            reconnect(s, number(argv[++i]));
        } else if (strcmp(step, "wait") == 0 && left >= 1) {
            run_until(s, number(argv[++i]), NULL, 0);
        } else if (strcmp(step, "answer") == 0 && left >= 4) {
            s->answer_status = (int)number(argv[++i]);
            s->answer_json = argv[++i];
            s->answers_left = (int)number(argv[++i]);
            run_until(s, number(argv[++i]), answered_all, 0);
            s->answers_left = 0;
        } else {
            return usage();
        }
        fflush(stdout);
    }
    return status;
}

int main(int argc, char **argv) {
    const char *cafile = NULL, *cert = NULL, *key = NULL, *id = NULL, *username = NULL;
    const char *password = NULL, *will_topic = NULL, *will_message = "";
    int port = 0, qos = 1, first_step = argc, protocol = 4;
    bool clean = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strncmp(a, "--", 2) != 0) {
            first_step = i;
            break;
        }
        if (v == NULL) {
            return usage();
        }
        if (strcmp(a, "--port") == 0) {
            port = (int)number(v);
        } else if (strcmp(a, "--cafile") == 0) {
            cafile = v;
        } else if (strcmp(a, "--cert") == 0) {
            cert = v;
        } else if (strcmp(a, "--key") == 0) {
            key = v;
        } else if (strcmp(a, "--id") == 0) {
            id = v;
        } else if (strcmp(a, "--username") == 0) {
            username = v;
        } else if (strcmp(a, "--password") == 0) {
            password = v;
        } else if (strcmp(a, "--qos") == 0) {
            qos = (int)number(v);
        } else if (strcmp(a, "--clean") == 0) {
            clean = strcmp(v, "0") != 0;
        } else if (strcmp(a, "--will-topic") == 0) {
            will_topic = v;
        } else if (strcmp(a, "--will-message") == 0) {
            will_message = v;
        } else if (strcmp(a, "--protocol") == 0) {
            protocol = (int)number(v);
        } else {
            return usage();
        }
        i++;
    }
    if (port <= 0 || qos < 0 || qos > 2 || cafile == NULL || id == NULL ||
        (protocol != 4 && protocol != 5)) {
        return usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    mosquitto_lib_init();
    struct script s = {.connack = -1, .acked_mid = -1, .granted_qos = -1};
    s.mosq = mosquitto_new(id, clean, &s);
    s.v5 = protocol == 5;
    mosquitto_int_option(s.mosq, MOSQ_OPT_PROTOCOL_VERSION,
                         s.v5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
    if (s.v5) {
        mosquitto_publish_v5_callback_set(s.mosq, on_publish_v5);
    }
    mosquitto_connect_callback_set(s.mosq, on_connect);
    mosquitto_disconnect_callback_set(s.mosq, on_disconnect);
    mosquitto_publish_callback_set(s.mosq, on_ack);
    mosquitto_subscribe_callback_set(s.mosq, on_subscribe);
    mosquitto_unsubscribe_callback_set(s.mosq, on_ack);
    mosquitto_message_callback_set(s.mosq, on_message);
    mosquitto_username_pw_set(s.mosq, username, password);
    int status = 0;
    if (will_topic != NULL && mosquitto_will_set(s.mosq, will_topic, (int)strlen(will_message),
                                                 will_message, 1, false) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "hub_mqtt_script: cannot set the will\n");
        status = 2;
        goto out;
    }
    if (mosquitto_tls_set(s.mosq, cafile, NULL, cert, key, NULL) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "hub_mqtt_script: cannot load TLS files\n");
        status = 2;
        goto out;
    }
    int rc = mosquitto_connect(s.mosq, "localhost", port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        printf("no-connack %s\n", mosquitto_strerror(rc));
        goto out;
    }
    if (!run_until(&s, 10, have_connack, 0)) {
        printf("no-connack %s\n", s.closed ? "connection closed" : "timeout");
        goto out;
    }
    printf("connack %d\n", s.connack);
    if (s.connack != 0) {
        goto out;
    }
    status = run_steps(&s, argc, argv, first_step, qos);
    if (s.closed) {
        printf("closed\n");
    }
    s.disconnecting = true;
    mosquitto_disconnect(s.mosq);
    mosquitto_loop(s.mosq, 50, 1);
out:
    mosquitto_destroy(s.mosq);
    mosquitto_lib_cleanup();
    return status;
}
