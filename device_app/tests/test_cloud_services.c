// SPDX-License-Identifier: MIT
// Unit tests for cloud_services, the twin/method/C2D logic over the connection: GET on every
// connection, desired properties applied with version checks and acknowledged, the device
// report, 429 backoff, direct-method replies and actions, C2D handling. The connection, the
// telemetry queue and the event-loop timers are fakes; a test fires a timer by calling its
// handler.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <applibs/log.h>

#include "cloud_connection.h"
#include "cloud_services.h"
#include "eventloop_timer_utilities.h"
#include "telemetry.h"

#define MAX_PUBLISHED 32
#define MAX_TIMERS 8

typedef struct {
    char topic[256];
    char payload[1024];
    int qos;
} Published;

struct EventLoopTimer {
    EventLoopTimerHandler handler;
    bool armed;
    struct timespec delay;
};

static Published published[MAX_PUBLISHED];
static size_t publishedCount = 0;
static bool connected = true;
static struct EventLoopTimer timers[MAX_TIMERS];
static size_t timerCount = 0;
static uint32_t queueDepth = 0;

static uint32_t periodChanges = 0;
static uint32_t lastPeriod = 0;
static int ledCalls = 0;
static MethodHandlers_Led lastLed;
static bool lastLedOn;
static int rebootCalls = 0;
static int c2dCalls = 0;

// ---- fakes ----

int Log_Debug(const char *fmt, ...) {
    (void)fmt;
    return 0;
}

bool CloudConnection_IsConnected(void) {
    return connected;
}

const char *CloudConnection_GetDeviceId(void) {
    return "device-1";
}

bool CloudConnection_Publish(const char *topic, const void *payload, size_t length, int qos,
                             int *outMid) {
    assert_true(publishedCount < MAX_PUBLISHED);
    Published *p = &published[publishedCount++];
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    snprintf(p->payload, sizeof(p->payload), "%.*s", (int)length,
             payload != NULL ? (const char *)payload : "");
    p->qos = qos;
    if (outMid != NULL) {
        *outMid = (int)publishedCount;
    }
    return connected;
}

void CloudConnection_GetStatistics(MethodHandlers_ConnectionStatistics *out) {
    memset(out, 0, sizeof(*out));
    out->connected = connected;
    out->connects = 3;
}

uint32_t Telemetry_GetQueueDepth(void) {
    return queueDepth;
}

uint64_t Telemetry_GetDroppedCount(void) {
    return 0;
}

EventLoopTimer *CreateEventLoopDisarmedTimer(EventLoop *eventLoop, EventLoopTimerHandler handler) {
    (void)eventLoop;
    assert_true(timerCount < MAX_TIMERS);
    timers[timerCount] = (struct EventLoopTimer){.handler = handler};
    return &timers[timerCount++];
}

EventLoopTimer *CreateEventLoopPeriodicTimer(EventLoop *eventLoop, EventLoopTimerHandler handler,
                                             const struct timespec *period) {
    EventLoopTimer *timer = CreateEventLoopDisarmedTimer(eventLoop, handler);
    timer->armed = true;
    timer->delay = *period;
    return timer;
}

void DisposeEventLoopTimer(EventLoopTimer *timer) {
    if (timer != NULL) {
        timer->armed = false;
    }
}

int ConsumeEventLoopTimerEvent(EventLoopTimer *timer) {
    (void)timer;
    return 0;
}

int SetEventLoopTimerOneShot(EventLoopTimer *timer, const struct timespec *delay) {
    timer->armed = true;
    timer->delay = *delay;
    return 0;
}

int DisarmEventLoopTimer(EventLoopTimer *timer) {
    timer->armed = false;
    return 0;
}

// ---- app callbacks ----

static void PeriodChanged(uint32_t seconds) {
    periodChanges++;
    lastPeriod = seconds;
}

static void SetLed(MethodHandlers_Led led, bool on) {
    ledCalls++;
    lastLed = led;
    lastLedOn = on;
}

static void RebootRequested(uint32_t delaySeconds) {
    (void)delaySeconds;
    rebootCalls++;
}

static void CloudToDevice(void) {
    c2dCalls++;
}

static void FillDiagnostics(MethodHandlers_Diagnostics *diagnostics) {
    diagnostics->uptimeSeconds = 42;
    diagnostics->userMemoryKB = 100;
}

// ---- helpers ----

static int Setup(void **state) {
    memset(published, 0, sizeof(published));
    publishedCount = 0;
    connected = true;
    memset(timers, 0, sizeof(timers));
    timerCount = 0;
    queueDepth = 0;
    periodChanges = 0;
    lastPeriod = 0;
    ledCalls = 0;
    rebootCalls = 0;
    c2dCalls = 0;
    static const CloudServices_Callbacks callbacks = {.telemetryPeriodChanged = PeriodChanged,
                                                      .setLed = SetLed,
                                                      .rebootRequested = RebootRequested,
                                                      .cloudToDeviceReceived = CloudToDevice,
                                                      .fillDiagnostics = FillDiagnostics};
    static const CloudServices_DeviceInfo info = {.firmwareVersion = "9.9.9",
                                                  .lastBootReason = "firstStart",
                                                  .defaultTelemetryPeriodSeconds = 10};
    return CloudServices_Initialise((EventLoop *)&timers, &info, &callbacks) == ExitCode_Success
               ? 0
               : -1;
}

static int Teardown(void **state) {
    CloudServices_Cleanup();
    return 0;
}

static void Receive(const char *topic, const char *payload) {
    CloudServices_OnMessage(topic, payload, strlen(payload));
}

static bool StartsWith(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

// Returns the $rid of published message i (its topic ends with "?$rid=<id>").
static const char *RidOf(size_t i) {
    const char *rid = strstr(published[i].topic, "?$rid=");
    assert_non_null(rid);
    return rid + 6;
}

static void Answer(size_t request, int status, const char *payload) {
    char topic[128];
    snprintf(topic, sizeof(topic), "$iothub/twin/res/%d/?$rid=%s", status, RidOf(request));
    Receive(topic, payload);
}

// Connects and answers the GET with a twin whose desired section is desired.
static void ConnectWithTwin(const char *desired) {
    CloudServices_OnConnected();
    assert_int_equal(publishedCount, 1);
    char document[512];
    snprintf(document, sizeof(document), "{\"desired\":%s,\"reported\":{\"$version\":1}}", desired);
    Answer(0, 200, document);
}

// ---- tests ----

static void test_OnConnected_twinGet_publishedAtQos0(void **state) {
    CloudServices_OnConnected();
    assert_int_equal(publishedCount, 1);
    assert_true(StartsWith(published[0].topic, "$iothub/twin/GET/?$rid="));
    assert_string_equal(published[0].payload, "");
    assert_int_equal(published[0].qos, 0);
}

static void test_GetAnswer_document_periodAppliedAndAcknowledged(void **state) {
    ConnectWithTwin("{\"telemetryPeriodSeconds\":5,\"$version\":3}");
    assert_int_equal(periodChanges, 1);
    assert_int_equal(lastPeriod, 5);
    assert_int_equal(CloudServices_GetTelemetryPeriodSeconds(), 5);
    assert_int_equal(publishedCount, 2);
    assert_true(StartsWith(published[1].topic, "$iothub/twin/PATCH/properties/reported/?$rid="));
    const char *report = published[1].payload;
    assert_non_null(strstr(report, "\"telemetryPeriodSeconds\":{\"value\":5,\"ac\":200,\"av\":3,"));
    assert_non_null(strstr(report, "\"firmwareVersion\":\"9.9.9\""));
    assert_non_null(strstr(report, "\"serialNumber\":\"device-1\""));
    assert_non_null(strstr(report, "\"lastBootReason\":\"firstStart\""));
    assert_non_null(strstr(report, "\"queueDepth\":0"));
    assert_non_null(strstr(report, "\"droppedMessages\":0"));
}

static void test_DesiredPatch_newerThenStale_onlyNewerApplied(void **state) {
    ConnectWithTwin("{\"$version\":3}");
    Answer(1, 204, "");
    size_t before = publishedCount;
    Receive("$iothub/twin/PATCH/properties/desired/?$version=4",
            "{\"telemetryPeriodSeconds\":30,\"$version\":4}");
    assert_int_equal(lastPeriod, 30);
    assert_int_equal(publishedCount, before + 1);
    assert_non_null(strstr(published[before].payload, "\"av\":4"));
    Answer(before, 204, "");
    Receive("$iothub/twin/PATCH/properties/desired/?$version=4",
            "{\"telemetryPeriodSeconds\":60,\"$version\":4}");
    Receive("$iothub/twin/PATCH/properties/desired/?$version=2",
            "{\"telemetryPeriodSeconds\":60,\"$version\":2}");
    assert_int_equal(lastPeriod, 30);
    assert_int_equal(periodChanges, 1);
    assert_int_equal(publishedCount, before + 1);
}

static void test_DesiredPatch_beforeDocument_deferredUntilTwin(void **state) {
    CloudServices_OnConnected();
    Receive("$iothub/twin/PATCH/properties/desired/?$version=7",
            "{\"telemetryPeriodSeconds\":20,\"$version\":7}");
    assert_int_equal(periodChanges, 0);
    // A twin older than that notification is refused and asked for again.
    Answer(0, 200, "{\"desired\":{\"telemetryPeriodSeconds\":15,\"$version\":6},\"reported\":{}}");
    assert_int_equal(periodChanges, 0);
    assert_int_equal(publishedCount, 2);
    assert_true(StartsWith(published[1].topic, "$iothub/twin/GET/?$rid="));
    Answer(1, 200, "{\"desired\":{\"telemetryPeriodSeconds\":20,\"$version\":7},\"reported\":{}}");
    assert_int_equal(lastPeriod, 20);
}

static void test_GetAnswer_throttled_retriedAfterLongBackoff(void **state) {
    CloudServices_OnConnected();
    Answer(0, 429, "{\"errorCode\":429001}");
    assert_int_equal(publishedCount, 1);
    // cloud_services creates its timers in this order: request deadline, retry, report check.
    EventLoopTimer *retry = &timers[1];
    assert_true(retry->armed);
    assert_true(retry->delay.tv_sec >= 30 && retry->delay.tv_sec <= 60);
    retry->handler(retry);
    assert_int_equal(publishedCount, 2);
    assert_true(StartsWith(published[1].topic, "$iothub/twin/GET/?$rid="));
}

static void test_TwinAnswer_unknownRid_ignored(void **state) {
    CloudServices_OnConnected();
    Receive("$iothub/twin/res/200/?$rid=424242", "{\"desired\":{\"$version\":9}}");
    Receive("$iothub/twin/res/200/?$rid=", "{}");
    assert_int_equal(publishedCount, 1);
    assert_int_equal(periodChanges, 0);
}

static void test_ReportCheck_depthChanged_reportedAgain(void **state) {
    ConnectWithTwin("{\"$version\":1}");
    Answer(1, 204, "");
    size_t before = publishedCount;
    EventLoopTimer *check = &timers[2];
    assert_true(check->armed);
    assert_int_equal(check->delay.tv_sec, CLOUD_SERVICES_REPORT_CHECK_SECONDS);
    check->handler(check);
    assert_int_equal(publishedCount, before);
    queueDepth = 17;
    check->handler(check);
    assert_int_equal(publishedCount, before + 1);
    assert_non_null(strstr(published[before].payload, "\"queueDepth\":17"));
}

static void test_Method_setLed_replyAndAction(void **state) {
    Receive("$iothub/methods/POST/setLed/?$rid=abc", "{\"led\":\"LED2\",\"on\":true}");
    assert_int_equal(publishedCount, 1);
    assert_string_equal(published[0].topic, "$iothub/methods/res/200/?$rid=abc");
    assert_string_equal(published[0].payload, "{\"led\":\"LED2\",\"on\":true}");
    assert_int_equal(ledCalls, 1);
    assert_int_equal(lastLed, MethodHandlers_Led_Led2);
    assert_true(lastLedOn);
}

static void test_Method_unknownAndBad_statusesWithoutAction(void **state) {
    Receive("$iothub/methods/POST/launch/?$rid=1", "{}");
    assert_string_equal(published[0].topic, "$iothub/methods/res/404/?$rid=1");
    Receive("$iothub/methods/POST/reboot/?$rid=2", "{\"delaySeconds\":\"soon\"}");
    assert_string_equal(published[1].topic, "$iothub/methods/res/400/?$rid=2");
    assert_int_equal(rebootCalls, 0);
    assert_int_equal(ledCalls, 0);
    Receive("$iothub/methods/POST/reboot/?$rid=3", "{\"delaySeconds\":5}");
    assert_string_equal(published[2].topic, "$iothub/methods/res/200/?$rid=3");
    assert_int_equal(rebootCalls, 1);
}

static void test_Method_getDiagnostics_figuresFromEverywhere(void **state) {
    queueDepth = 4;
    Receive("$iothub/methods/POST/getDiagnostics/?$rid=9", "null");
    assert_string_equal(published[0].topic, "$iothub/methods/res/200/?$rid=9");
    const char *body = published[0].payload;
    assert_non_null(strstr(body, "\"uptimeSeconds\":42"));
    assert_non_null(strstr(body, "\"userKB\":100"));
    assert_non_null(strstr(body, "\"connects\":3"));
    assert_non_null(strstr(body, "\"queueDepth\":4"));
}

static void test_CloudToDevice_acceptedAndRejected(void **state) {
    Receive("devices/device-1/messages/devicebound/%24.mid=m1", "hello");
    assert_int_equal(c2dCalls, 1);
    CloudServices_OnMessage("devices/device-1/messages/devicebound/%24.mid=m2", "a\0b", 3);
    assert_int_equal(c2dCalls, 1);
    Receive("devices/device-2/messages/devicebound/%24.mid=m3", "not mine");
    Receive("$iothub/methods/POST/x/?$rid=1&$rid=2", "{}");
    assert_int_equal(c2dCalls, 1);
    assert_int_equal(publishedCount, 0);
}

static void test_OnDisconnected_pendingForgotten_getAgainOnReconnect(void **state) {
    CloudServices_OnConnected();
    CloudServices_OnDisconnected();
    // The answer to the old connection's GET means nothing now.
    Answer(0, 200, "{\"desired\":{\"telemetryPeriodSeconds\":9,\"$version\":5},\"reported\":{}}");
    assert_int_equal(periodChanges, 0);
    CloudServices_OnConnected();
    assert_int_equal(publishedCount, 2);
    assert_true(StartsWith(published[1].topic, "$iothub/twin/GET/?$rid="));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_OnConnected_twinGet_publishedAtQos0, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_GetAnswer_document_periodAppliedAndAcknowledged, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_DesiredPatch_newerThenStale_onlyNewerApplied, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_DesiredPatch_beforeDocument_deferredUntilTwin, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_GetAnswer_throttled_retriedAfterLongBackoff, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_TwinAnswer_unknownRid_ignored, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_ReportCheck_depthChanged_reportedAgain, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Method_setLed_replyAndAction, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Method_unknownAndBad_statusesWithoutAction, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Method_getDiagnostics_figuresFromEverywhere, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_CloudToDevice_acceptedAndRejected, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_OnDisconnected_pendingForgotten_getAgainOnReconnect,
                                        Setup, Teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
