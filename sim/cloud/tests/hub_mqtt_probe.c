// SPDX-License-Identifier: MIT
// A raw libmosquitto device client for the hub integration tests: connects over TLS as MQTT
// 3.1.1 (as IoT Hub devices do), performs one action and prints exactly what the broker did, one
// fact per line, so a test can assert on CONNACK codes, acknowledgements and closed connections
// that mosquitto_pub's exit codes blur together.
//
// usage: hub_mqtt_probe --port N --cafile F --id ID [--cert F --key F] [--username U]
//            [--password P] [--qos Q] [--retain] [--timeout S] ACTION
// actions: connect
//          publish TOPIC [--message TEXT | --size N]
//          subscribe FILTER [FILTER...] [--listen S]
// output:  "connack N" | "no-connack REASON", then "puback" (QoS 1/2 acknowledged) | "sent"
//          (QoS 0) | "suback Q" per filter (128 = refused) | "message TOPIC PAYLOAD" per delivery,
//          and "closed" whenever the broker dropped the connection; "timeout" if nothing came.
#include <mosquitto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_FILTERS 8

struct probe {
    int connack;  // -1 until CONNACK
    bool closed;  // the connection went away without our DISCONNECT
    bool disconnecting;
    int acked_mid;    // last mid acknowledged (publish) or subscribed
    int granted_qos;  // for the last SUBACK
};

static void on_connect(struct mosquitto *m, void *ctx, int rc) {
    (void)m;
    ((struct probe *)ctx)->connack = rc;
}

static void on_disconnect(struct mosquitto *m, void *ctx, int rc) {
    (void)m;
    (void)rc;
    struct probe *probe = ctx;
    if (!probe->disconnecting) {
        probe->closed = true;
    }
}

static void on_publish(struct mosquitto *m, void *ctx, int mid) {
    (void)m;
    ((struct probe *)ctx)->acked_mid = mid;
}

static void on_subscribe(struct mosquitto *m, void *ctx, int mid, int count, const int *granted) {
    (void)m;
    struct probe *probe = ctx;
    probe->granted_qos = count > 0 ? granted[0] : -1;
    probe->acked_mid = mid;
}

static void on_message(struct mosquitto *m, void *ctx, const struct mosquitto_message *msg) {
    (void)m;
    (void)ctx;
    printf("message %s %.*s\n", msg->topic, msg->payloadlen > 200 ? 200 : msg->payloadlen,
           msg->payload != NULL ? (const char *)msg->payload : "");
    fflush(stdout);
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

// Runs the network loop until done(probe) or the connection closes or seconds pass. Returns
// true when done.
static bool run_until(struct mosquitto *m, struct probe *probe, double seconds,
                      bool (*done)(const struct probe *, int), int arg) {
    double deadline = now_s() + seconds;
    while (now_s() < deadline) {
        if (done != NULL && done(probe, arg)) {
            return true;
        }
        if (probe->closed) {
            return false;
        }
        int rc = mosquitto_loop(m, 50, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            probe->closed = true;
            return done != NULL && done(probe, arg);
        }
    }
    return done != NULL && done(probe, arg);
}

static bool have_connack(const struct probe *probe, int arg) {
    (void)arg;
    return probe->connack >= 0;
}

static bool have_ack(const struct probe *probe, int mid) {
    return probe->acked_mid == mid;
}

static double number(const char *text) {
    char *end = NULL;
    double value = strtod(text, &end);
    return end != text && *end == '\0' ? value : -1;
}

static int usage(void) {
    fputs(
        "usage: hub_mqtt_probe --port N --cafile F --id ID [--cert F --key F] [--username U] "
        "[--password P] [--qos Q] [--retain] [--timeout S] connect | publish TOPIC "
        "[--message T | --size N] | subscribe FILTER... [--listen S]\n",
        stderr);
    return 2;
}

int main(int argc, char **argv) {
    const char *cafile = NULL, *cert = NULL, *key = NULL, *id = NULL, *username = NULL;
    const char *password = NULL, *message = "probe", *action = NULL;
    const char *args[MAX_FILTERS];
    int arg_count = 0, port = 0, qos = 1;
    long size = -1;
    double timeout = 5, listen = 0;
    bool retain = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--retain") == 0) {
            retain = true;
            continue;
        }
        if (strncmp(a, "--", 2) == 0 && v == NULL) {
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
        } else if (strcmp(a, "--timeout") == 0) {
            timeout = number(v);
        } else if (strcmp(a, "--listen") == 0) {
            listen = number(v);
        } else if (strcmp(a, "--message") == 0) {
            message = v;
        } else if (strcmp(a, "--size") == 0) {
            size = (long)number(v);
        } else if (action == NULL) {
            action = a;
            continue;
        } else if (arg_count < MAX_FILTERS) {
            args[arg_count++] = a;
            continue;
        } else {
            return usage();
        }
        i++;
    }
    if (action == NULL || port <= 0 || qos < 0 || qos > 2 || cafile == NULL || id == NULL) {
        return usage();
    }

    mosquitto_lib_init();
    struct probe probe = {.connack = -1, .acked_mid = -1, .granted_qos = -1};
    struct mosquitto *m = mosquitto_new(id, true, &probe);
    mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(m, on_connect);
    mosquitto_disconnect_callback_set(m, on_disconnect);
    mosquitto_publish_callback_set(m, on_publish);
    mosquitto_subscribe_callback_set(m, on_subscribe);
    mosquitto_message_callback_set(m, on_message);
    mosquitto_username_pw_set(m, username, password);
    if (mosquitto_tls_set(m, cafile, NULL, cert, key, NULL) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "hub_mqtt_probe: cannot load TLS files\n");
        return 2;
    }
    int status = 0;
    int rc = mosquitto_connect(m, "localhost", port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        printf("no-connack %s\n", mosquitto_strerror(rc));
        goto out;
    }
    if (!run_until(m, &probe, timeout, have_connack, 0)) {
        printf("no-connack %s\n", probe.closed ? "connection closed" : "timeout");
        goto out;
    }
    printf("connack %d\n", probe.connack);
    if (probe.connack != 0) {
        goto out;
    }

    if (strcmp(action, "publish") == 0 && arg_count == 1) {
        char *payload = NULL;
        int len = (int)strlen(message);
        if (size >= 0) {
            payload = malloc((size_t)size + 1);
            memset(payload, 'a', (size_t)size);
            len = (int)size;
        }
        int mid = 0;
        mosquitto_publish(m, &mid, args[0], len, payload != NULL ? payload : message, qos, retain);
        free(payload);
        if (run_until(m, &probe, timeout, have_ack, mid)) {
            printf("%s\n", qos == 0 ? "sent" : "puback");
            // A QoS 0 refusal shows only as the connection going away afterwards.
            run_until(m, &probe, qos == 0 ? 0.5 : 0.1, NULL, 0);
        }
    } else if (strcmp(action, "subscribe") == 0 && arg_count > 0) {
        for (int i = 0; i < arg_count && !probe.closed; i++) {
            int mid = 0;
            mosquitto_subscribe(m, &mid, args[i], qos);
            if (run_until(m, &probe, timeout, have_ack, mid)) {
                printf("suback %d\n", probe.granted_qos);
            }
        }
        if (!probe.closed) {
            fflush(stdout);
            run_until(m, &probe, listen, NULL, 0);
        }
    } else if (strcmp(action, "connect") != 0) {
        status = usage();
        goto out;
    }
    if (probe.closed) {
        printf("closed\n");
    } else if (probe.acked_mid < 0 && strcmp(action, "connect") != 0) {
        printf("timeout\n");
    }
    probe.disconnecting = true;
    mosquitto_disconnect(m);
    mosquitto_loop(m, 50, 1);
out:
    mosquitto_destroy(m);
    mosquitto_lib_cleanup();
    return status;
}
