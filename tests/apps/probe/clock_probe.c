// SPDX-License-Identifier: MIT
// The probe's clock modes; see clock_probe.h. The TLS mode uses libmosquitto only for the
// handshake: no MQTT session is needed to see whether the certificate check passed. libmosquitto
// may return from mosquitto_connect with the handshake still under way, so the probe drives its
// loop until OpenSSL says the handshake is finished or it fails.
#include "clock_probe.h"

#include <errno.h>
#include <limits.h>
#include <mosquitto.h>
#include <openssl/asn1.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <applibs/log.h>

#include "eventloop_timer_utilities.h"

#define LIBCRYPTO_FAILED LLONG_MIN
// Loop passes of 100 ms a handshake with a local server gets before it counts as hung.
#define HANDSHAKE_PASSES 50

static EventLoopTimer *probeTimer = NULL;
static char tlsHost[256];
static int tlsPort = 0;
static const char *tlsCaFile = NULL;
static ASN1_TIME *year2029 = NULL;

// libcrypto's idea of now, as certificate checks use it, in Unix seconds.
static long long LibcryptoNow(void) {
    ASN1_TIME *now = X509_time_adj_ex(NULL, 0, 0, NULL);
    struct tm tm;
    long long seconds = LIBCRYPTO_FAILED;
    if (now != NULL && ASN1_TIME_to_tm(now, &tm) == 1) {
        seconds = (long long)timegm(&tm);
    }
    ASN1_TIME_free(now);
    return seconds;
}

static long long Seconds(clockid_t id) {
    struct timespec ts;
    return clock_gettime(id, &ts) == 0 ? (long long)ts.tv_sec : -1;
}

static void TimeTick(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        return;
    }
    struct timeval tv = {0};
    struct timespec spec = {0};
    struct timespec mono = {0};
    gettimeofday(&tv, NULL);
    timespec_get(&spec, TIME_UTC);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    Log_Debug(
        "PROBE time libc=%lld gtod=%lld realtime=%lld coarse=%lld timespec=%lld libcrypto=%lld "
        "x509-2029=%d mono=%lld\n",
        (long long)time(NULL), (long long)tv.tv_sec, Seconds(CLOCK_REALTIME),
        Seconds(CLOCK_REALTIME_COARSE), (long long)spec.tv_sec, LibcryptoNow(),
        X509_cmp_time(year2029, NULL), (long long)mono.tv_sec * 1000000000LL + mono.tv_nsec);
}

static void LogMosquitto(struct mosquitto *mosq, void *context, int level, const char *text) {
    (void)mosq;
    (void)context;
    if (level == MOSQ_LOG_ERR) {
        Log_Debug("PROBE tls-detail %s\n", text);
    }
}

static void TlsTick(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        return;
    }
    struct mosquitto *mosq = mosquitto_new(NULL, true, NULL);
    if (mosq == NULL) {
        Log_Debug("PROBE tls error mosquitto_new\n");
        return;
    }
    mosquitto_log_callback_set(mosq, LogMosquitto);
    int result = mosquitto_tls_set(mosq, tlsCaFile, NULL, NULL, NULL, NULL);
    if (result == MOSQ_ERR_SUCCESS) {
        result = mosquitto_connect(mosq, tlsHost, tlsPort, 60);
    }
    bool finished = false;
    for (int pass = 0; result == MOSQ_ERR_SUCCESS && pass < HANDSHAKE_PASSES; pass++) {
        SSL *ssl = mosquitto_ssl_get(mosq);
        finished = ssl != NULL && SSL_is_init_finished(ssl);
        if (finished) {
            break;
        }
        result = mosquitto_loop(mosq, 100, 1);
    }
    if (result == MOSQ_ERR_SUCCESS && !finished) {
        Log_Debug("PROBE tls error handshake did not finish\n");
    } else if (result == MOSQ_ERR_SUCCESS) {
        Log_Debug("PROBE tls ok\n");
        mosquitto_disconnect(mosq);
    } else {
        Log_Debug("PROBE tls error %s\n", mosquitto_strerror(result));
    }
    mosquitto_destroy(mosq);
}

bool ClockProbe_StartTime(EventLoop *loop) {
    year2029 = ASN1_TIME_new();
    if (year2029 == NULL || ASN1_TIME_set_string(year2029, "20290101000000Z") != 1) {
        Log_Debug("PROBE error asn1-time\n");
        return false;
    }
    static const struct timespec period = {.tv_sec = 0, .tv_nsec = 250000000};
    probeTimer = CreateEventLoopPeriodicTimer(loop, TimeTick, &period);
    if (probeTimer == NULL) {
        Log_Debug("PROBE error time-timer errno %d\n", errno);
        return false;
    }
    return true;
}

bool ClockProbe_StartTls(EventLoop *loop, const char *target, const char *caFile) {
    const char *colon = target != NULL ? strrchr(target, ':') : NULL;
    if (colon == NULL || caFile == NULL || (size_t)(colon - target) >= sizeof(tlsHost)) {
        Log_Debug("PROBE error tls-arguments (need --target HOST:PORT and --ca FILE)\n");
        return false;
    }
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || *end != '\0' || port <= 0 || port > 65535) {
        Log_Debug("PROBE error tls-port %s\n", colon + 1);
        return false;
    }
    memcpy(tlsHost, target, (size_t)(colon - target));
    tlsHost[colon - target] = '\0';
    tlsPort = (int)port;
    tlsCaFile = caFile;
    mosquitto_lib_init();
    static const struct timespec period = {.tv_sec = 0, .tv_nsec = 300000000};
    probeTimer = CreateEventLoopPeriodicTimer(loop, TlsTick, &period);
    if (probeTimer == NULL) {
        Log_Debug("PROBE error tls-timer errno %d\n", errno);
        return false;
    }
    return true;
}

void ClockProbe_Stop(void) {
    DisposeEventLoopTimer(probeTimer);
    probeTimer = NULL;
    ASN1_TIME_free(year2029);
    year2029 = NULL;
}
