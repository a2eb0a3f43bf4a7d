// SPDX-License-Identifier: MIT
// The probe's MQTT mode; see mqtt_probe.h. It blocks (a test app may), with bounded waits.
#include "mqtt_probe.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mosquitto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <applibs/application.h>
#include <applibs/log.h>
#include <applibs/storage.h>
#include <tlsutils/deviceauth.h>

#define MQTT_PROBE_WAIT_MS 5000

static int connackCode = -1;
static int publishedMid = -1;
static bool pubackSeen = false;

static void OnConnect(struct mosquitto *mosq, void *context, int code) {
    (void)mosq;
    (void)context;
    connackCode = code;
}

static void OnPublish(struct mosquitto *mosq, void *context, int mid) {
    (void)mosq;
    (void)context;
    if (mid == publishedMid) {
        pubackSeen = true;
    }
}

// The device id is the certificate's common name, as on the device.
static bool ReadDeviceId(const char *certPath, char *out, size_t outSize) {
    FILE *file = fopen(certPath, "r");
    if (file == NULL) {
        return false;
    }
    X509 *cert = PEM_read_X509(file, NULL, NULL, NULL);
    fclose(file);
    if (cert == NULL) {
        return false;
    }
    int len =
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, out, (int)outSize);
    X509_free(cert);
    return len > 0 && (size_t)len < outSize;
}

static long long NowMs(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

// Runs the client's loop until *done or the wait is over; returns the loop's error, if any.
// (The TLS handshake may finish inside mosquitto_connect or here, depending on timing.)
static int LoopUntil(struct mosquitto *mosq, const bool *done, const int *code) {
    long long deadline = NowMs() + MQTT_PROBE_WAIT_MS;
    while ((done != NULL ? !*done : *code < 0) && NowMs() < deadline) {
        int rc = mosquitto_loop(mosq, 100, 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            return rc;
        }
    }
    return MOSQ_ERR_SUCCESS;
}

void ProbeMqtt_Run(const char *target, const char *caPath) {
    char host[256];
    const char *colon = target != NULL ? strrchr(target, ':') : NULL;
    if (colon == NULL || (size_t)(colon - target) >= sizeof(host) || caPath == NULL) {
        Log_Debug("PROBE error mqtt needs --target HOST:PORT and --ca PATH\n");
        return;
    }
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = '\0';
    int port = atoi(colon + 1);

    bool ready = false;
    for (int i = 0; i < 50 && (Application_IsDeviceAuthReady(&ready) != 0 || !ready); i++) {
        struct timespec pause = {.tv_sec = 0, .tv_nsec = 100000000};
        nanosleep(&pause, NULL);
    }
    const char *certPath = DeviceAuth_GetCertificatePath();
    char deviceId[160];
    char *caFile = Storage_GetAbsolutePathInImagePackage(caPath);
    if (!ready || !ReadDeviceId(certPath, deviceId, sizeof(deviceId)) || caFile == NULL) {
        Log_Debug("PROBE mqtt-connect error no device certificate or CA (ready %d)\n", ready);
        Log_Debug("PROBE mqtt-done\n");
        free(caFile);
        return;
    }
    char username[512];
    snprintf(username, sizeof(username), "%s/%s/?api-version=2021-04-12", host, deviceId);

    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(deviceId, true, NULL);
    int rc = mosq == NULL ? MOSQ_ERR_NOMEM : MOSQ_ERR_SUCCESS;
    if (rc == MOSQ_ERR_SUCCESS) {
        mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
        mosquitto_connect_callback_set(mosq, OnConnect);
        mosquitto_publish_callback_set(mosq, OnPublish);
        rc = mosquitto_username_pw_set(mosq, username, NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_tls_set(mosq, caFile, NULL, certPath, certPath, NULL);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_connect(mosq, host, port, 60);
    }
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = LoopUntil(mosq, NULL, &connackCode);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        Log_Debug("PROBE mqtt-connect error %s\n", mosquitto_strerror(rc));
    } else if (connackCode < 0) {
        Log_Debug("PROBE mqtt-connect error no CONNACK\n");
    } else {
        Log_Debug("PROBE mqtt-connack %d\n", connackCode);
    }
    if (connackCode == 0) {
        char topic[256];
        snprintf(topic, sizeof(topic), "devices/%s/messages/events/", deviceId);
        static const char payload[] = "{\"probe\":1}";
        rc = mosquitto_publish(mosq, &publishedMid, topic, (int)sizeof(payload) - 1, payload, 1,
                               false);
        if (rc == MOSQ_ERR_SUCCESS) {
            LoopUntil(mosq, &pubackSeen, NULL);
        }
        Log_Debug("PROBE mqtt-puback %s\n", pubackSeen ? "ok" : "timeout");
        mosquitto_disconnect(mosq);
    }
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    free(caFile);
    Log_Debug("PROBE mqtt-done\n");
}
