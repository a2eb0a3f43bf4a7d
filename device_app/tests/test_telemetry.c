// SPDX-License-Identifier: MIT
// Unit tests for telemetry: messages go through the persistent queue and are published oldest
// first within a window of TELEMETRY_SEND_WINDOW; a PUBACK takes exactly its message out; a
// dropped connection sends the unacknowledged ones again with the same $.mid; the queue
// survives the app closing and opening it again. The connection and mutable storage are fakes
// (a file in a private temporary directory).

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/log.h>
#include <applibs/storage.h>

#include "cloud_connection.h"
#include "telemetry.h"

#define MAX_PUBLISHED 64

typedef struct {
    char topic[512];
    char payload[256];
    int qos;
    int mid;
} Published;

static char directory[64];
static char storagePath[128];
static bool connected = false;
static bool publishFails = false;
static Published published[MAX_PUBLISHED];
static size_t publishedCount = 0;
static int nextMid = 1;
static ExitCode lastFailure = ExitCode_Success;

// ---- fakes ----

int Log_Debug(const char *fmt, ...) {
    (void)fmt;
    return 0;
}

int Storage_OpenMutableFile(void) {
    return open(storagePath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

bool CloudConnection_IsConnected(void) {
    return connected;
}

const char *CloudConnection_GetDeviceId(void) {
    return "device-1";
}

bool CloudConnection_Publish(const char *topic, const void *payload, size_t length, int qos,
                             int *outMid) {
    if (!connected || publishFails || publishedCount == MAX_PUBLISHED) {
        return false;
    }
    Published *p = &published[publishedCount++];
    snprintf(p->topic, sizeof(p->topic), "%s", topic);
    snprintf(p->payload, sizeof(p->payload), "%.*s", (int)length, (const char *)payload);
    p->qos = qos;
    p->mid = nextMid++;
    if (outMid != NULL) {
        *outMid = p->mid;
    }
    return true;
}

static void Failure(ExitCode exitCode) {
    lastFailure = exitCode;
}

// ---- helpers ----

static int Setup(void **state) {
    snprintf(directory, sizeof(directory), "/tmp/test_telemetry.XXXXXX");
    if (mkdtemp(directory) == NULL) {
        return -1;
    }
    snprintf(storagePath, sizeof(storagePath), "%s/mutable", directory);
    connected = false;
    publishFails = false;
    publishedCount = 0;
    nextMid = 1;
    lastFailure = ExitCode_Success;
    return Telemetry_Initialise(Failure) == ExitCode_Success ? 0 : -1;
}

static int Teardown(void **state) {
    Telemetry_Cleanup();
    unlink(storagePath);
    rmdir(directory);
    return 0;
}

static void Enqueue(int value) {
    char json[32];
    int length = snprintf(json, sizeof(json), "{\"n\":%d}", value);
    assert_true(Telemetry_Enqueue(Telemetry_Kind_Reading, json, (size_t)length));
}

// The sequence number in a published topic's $.mid ("<epoch>-<n>").
static unsigned long SequenceOf(const Published *p) {
    const char *mid = strstr(p->topic, "$.mid=");
    assert_non_null(mid);
    const char *dash = strchr(mid, '-');
    assert_non_null(dash);
    return strtoul(dash + 1, NULL, 10);
}

// ---- tests ----

static void test_Enqueue_offline_keptUntilConnected(void **state) {
    Enqueue(1);
    Enqueue(2);
    assert_int_equal(publishedCount, 0);
    assert_int_equal(Telemetry_GetQueueDepth(), 2);
    connected = true;
    Telemetry_OnConnected();
    assert_int_equal(publishedCount, 2);
    assert_string_equal(published[0].payload, "{\"n\":1}");
    assert_string_equal(published[1].payload, "{\"n\":2}");
    assert_int_equal(published[0].qos, 1);
    assert_non_null(strstr(published[0].topic, "devices/device-1/messages/events/$.mid="));
    assert_non_null(strstr(published[0].topic, "&$.ct=application%2Fjson&$.ce=utf-8"));
    assert_non_null(strstr(published[0].topic, "&$.ctime="));
    assert_non_null(strstr(published[0].topic, "&messageType=telemetry"));
    assert_int_equal(SequenceOf(&published[0]), 1);
    assert_int_equal(SequenceOf(&published[1]), 2);
    // Still queued until acknowledged.
    assert_int_equal(Telemetry_GetQueueDepth(), 2);
}

static void test_Enqueue_event_taggedAsEvent(void **state) {
    connected = true;
    Telemetry_OnConnected();
    assert_true(Telemetry_Enqueue(Telemetry_Kind_Event, "{\"e\":1}", 7));
    assert_int_equal(publishedCount, 1);
    assert_non_null(strstr(published[0].topic, "&messageType=event"));
    assert_string_equal(published[0].payload, "{\"e\":1}");
}

static void test_OnPublishAcknowledged_window_slidesInOrder(void **state) {
    for (int i = 1; i <= 12; i++) {
        Enqueue(i);
    }
    connected = true;
    Telemetry_OnConnected();
    assert_int_equal(publishedCount, TELEMETRY_SEND_WINDOW);
    assert_true(Telemetry_OnPublishAcknowledged(published[0].mid));
    assert_int_equal(Telemetry_GetQueueDepth(), 11);
    assert_int_equal(publishedCount, TELEMETRY_SEND_WINDOW + 1);
    assert_int_equal(SequenceOf(&published[TELEMETRY_SEND_WINDOW]), TELEMETRY_SEND_WINDOW + 1);
    // A mid that is not telemetry in flight is not ours.
    assert_false(Telemetry_OnPublishAcknowledged(9999));
    assert_false(Telemetry_OnPublishAcknowledged(published[0].mid));
    for (size_t i = 1; i < publishedCount; i++) {
        assert_true(Telemetry_OnPublishAcknowledged(published[i].mid));
    }
    assert_int_equal(Telemetry_GetQueueDepth(), 0);
    assert_int_equal(publishedCount, 12);
    for (size_t i = 0; i < publishedCount; i++) {
        assert_int_equal(SequenceOf(&published[i]), i + 1);
    }
    assert_int_equal(lastFailure, ExitCode_Success);
}

static void test_OnDisconnected_unacknowledged_sentAgainWithSameMid(void **state) {
    connected = true;
    Telemetry_OnConnected();
    Enqueue(1);
    Enqueue(2);
    Enqueue(3);
    assert_true(Telemetry_OnPublishAcknowledged(published[0].mid));
    char secondTopic[512];
    memcpy(secondTopic, published[1].topic, sizeof(secondTopic));
    int staleMid = published[1].mid;

    connected = false;
    Telemetry_OnDisconnected();
    // A late PUBACK from the old connection means nothing now.
    assert_false(Telemetry_OnPublishAcknowledged(staleMid));
    Enqueue(4);
    size_t before = publishedCount;
    connected = true;
    Telemetry_OnConnected();
    assert_int_equal(publishedCount, before + 3);
    assert_string_equal(published[before].topic, secondTopic);
    assert_int_equal(SequenceOf(&published[before + 1]), 3);
    assert_int_equal(SequenceOf(&published[before + 2]), 4);
    assert_int_equal(Telemetry_GetQueueDepth(), 3);
}

static void test_Initialise_afterRestart_queueRecovered(void **state) {
    Enqueue(1);
    Enqueue(2);
    Telemetry_Cleanup();
    assert_int_equal(Telemetry_Initialise(Failure), ExitCode_Success);
    assert_int_equal(Telemetry_GetQueueDepth(), 2);
    connected = true;
    Telemetry_OnConnected();
    assert_int_equal(publishedCount, 2);
    assert_string_equal(published[0].payload, "{\"n\":1}");
    assert_int_equal(SequenceOf(&published[1]), 2);
}

static void test_Publish_fails_retriedOnNextConnection(void **state) {
    connected = true;
    publishFails = true;
    Telemetry_OnConnected();
    Enqueue(1);
    assert_int_equal(publishedCount, 0);
    publishFails = false;
    connected = false;
    Telemetry_OnDisconnected();
    connected = true;
    Telemetry_OnConnected();
    assert_int_equal(publishedCount, 1);
    assert_int_equal(SequenceOf(&published[0]), 1);
}

static void test_Enqueue_tooLargeOrNull_refused(void **state) {
    static char big[4096];
    memset(big, 'x', sizeof(big));
    assert_false(Telemetry_Enqueue(Telemetry_Kind_Reading, big, sizeof(big)));
    assert_false(Telemetry_Enqueue(Telemetry_Kind_Reading, NULL, 0));
    assert_int_equal(Telemetry_GetQueueDepth(), 0);
    assert_int_equal(Telemetry_GetDroppedCount(), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_Enqueue_offline_keptUntilConnected, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Enqueue_event_taggedAsEvent, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_OnPublishAcknowledged_window_slidesInOrder, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_OnDisconnected_unacknowledged_sentAgainWithSameMid,
                                        Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_Initialise_afterRestart_queueRecovered, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Publish_fails_retriedOnNextConnection, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Enqueue_tooLargeOrNull_refused, Setup, Teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
