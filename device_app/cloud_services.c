// SPDX-License-Identifier: MIT
// Twin requests travel at QoS 0 and may go unanswered, so each has a deadline in the request
// tracker and one timer is kept armed for the earliest; an expired GET is sent again, an
// expired report marks the report as still to do. Answers with 429 or 5xx are retried after a
// backoff from the longer "throttled" floor, so a busy hub is not hammered.
//
// Only one reported-properties PATCH is in flight at a time: the patch always carries the
// whole device report, so a newer one supersedes an unanswered older one, and acknowledgements
// are matched by the generation TwinState hands out.

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <applibs/log.h>

#include "backoff.h"
#include "cloud_connection.h"
#include "cloud_services.h"
#include "eventloop_timer_utilities.h"
#include "iothub_topics.h"
#include "request_tracker.h"
#include "telemetry.h"
#include "twin_state.h"

#define TOPIC_SIZE 256
#define REPORT_SIZE 1024
#define SERIAL_NUMBER_LENGTH 16

static CloudServices_Callbacks callbacks;
static CloudServices_DeviceInfo deviceInfo;
static EventLoopTimer *requestTimer = NULL;
static EventLoopTimer *retryTimer = NULL;
static EventLoopTimer *reportCheckTimer = NULL;

static TwinState twin;
static RequestTracker tracker;
static Backoff requestBackoff;
static uint32_t randomState = 0x2545F491u;
static bool getRetryPending = false;
static bool reportRetryPending = false;
static bool reportDirty = false;
static uint32_t lastReportedDepth = UINT32_MAX;
static uint64_t lastReportedDropped = UINT64_MAX;
static char serialNumber[SERIAL_NUMBER_LENGTH + 1];
// Large (about 2.5 KiB): static rather than on the stack.
static IoTHubTopics_ParsedTopic parsed;

static void SendTwinGet(void);
static void SendReport(void);

static uint32_t NextRandom(void *context) {
    (void)context;
    randomState ^= randomState << 13;
    randomState ^= randomState >> 17;
    randomState ^= randomState << 5;
    return randomState;
}

static uint64_t NowMs(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static void ArmAfterMs(EventLoopTimer *timer, uint64_t delayMs) {
    const struct timespec delay = {.tv_sec = (time_t)(delayMs / 1000u),
                                   .tv_nsec = (long)(delayMs % 1000u) * 1000000L};
    if (SetEventLoopTimerOneShot(timer, &delay) != 0) {
        Log_Debug("ERROR: twin: cannot arm a timer: %s (%d).\n", strerror(errno), errno);
    }
}

static void ArmRequestTimer(void) {
    uint64_t deadline = 0;
    if (!RequestTracker_NextDeadline(&tracker, &deadline)) {
        DisarmEventLoopTimer(requestTimer);
        return;
    }
    uint64_t now = NowMs();
    ArmAfterMs(requestTimer, deadline > now ? deadline - now : 0);
}

static void ScheduleRequestRetry(int status, bool isGet) {
    uint32_t delayMs = Backoff_NextDelayMs(&requestBackoff, Backoff_FailureFromStatus(status), 0);
    Log_Debug("INFO: twin: %s answered %d; retrying in %u ms.\n",
              isGet ? "GET" : "reported-properties PATCH", status, (unsigned int)delayMs);
    if (isGet) {
        getRetryPending = true;
    } else {
        reportRetryPending = true;
    }
    ArmAfterMs(retryTimer, delayMs);
}

static void ApplyChanges(const TwinState_Changes *changes) {
    if (changes->telemetryPeriodChanged && callbacks.telemetryPeriodChanged != NULL) {
        Log_Debug("INFO: twin: telemetry period is now %u s.\n",
                  (unsigned int)changes->telemetryPeriodSeconds);
        callbacks.telemetryPeriodChanged(changes->telemetryPeriodSeconds);
    }
    if (changes->acknowledgementPending) {
        reportDirty = true;
    }
}

static void SendTwinGet(void) {
    if (!CloudConnection_IsConnected() ||
        RequestTracker_IsPending(&tracker, RequestTracker_Kind_TwinGet)) {
        return;
    }
    char requestId[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char topic[TOPIC_SIZE];
    if (RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, NowMs(),
                             REQUEST_TRACKER_TWIN_GET_TIMEOUT_MS, 0, requestId, sizeof(requestId),
                             NULL) != RequestTracker_Result_Ok ||
        IoTHubTopics_BuildTwinGetTopic(requestId, topic, sizeof(topic), NULL) !=
            IoTHubTopics_Result_Ok) {
        Log_Debug("ERROR: twin: cannot start a GET.\n");
        return;
    }
    if (!CloudConnection_Publish(topic, NULL, 0, 0, NULL)) {
        RequestTracker_Complete(&tracker, requestId, NULL);
        return;
    }
    ArmRequestTimer();
}

static void SendReport(void) {
    if (!CloudConnection_IsConnected() ||
        TwinState_GetPhase(&twin) != TwinState_Phase_Synchronised || reportRetryPending) {
        return;
    }
    if (RequestTracker_IsPending(&tracker, RequestTracker_Kind_ReportedPatch)) {
        reportDirty = true;
        return;
    }
    const TwinState_DeviceReport report = {
        .firmwareVersion = deviceInfo.firmwareVersion,
        .serialNumber = serialNumber,
        .lastBootReason = deviceInfo.lastBootReason,
        .queueDepth = Telemetry_GetQueueDepth(),
        .droppedMessages = Telemetry_GetDroppedCount(),
        .pendingUpdateJson =
            callbacks.pendingUpdateJson != NULL ? callbacks.pendingUpdateJson() : NULL,
        .lastUpdateResultJson =
            callbacks.lastUpdateResultJson != NULL ? callbacks.lastUpdateResultJson() : NULL};
    static char body[REPORT_SIZE];
    size_t length = 0;
    uint32_t generation = 0;
    if (TwinState_BuildReportedPatch(&twin, &report, body, sizeof(body), &length, &generation) !=
        TwinState_Result_Ok) {
        Log_Debug("ERROR: twin: cannot build the reported properties.\n");
        return;
    }
    char requestId[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char topic[TOPIC_SIZE];
    if (RequestTracker_Start(&tracker, RequestTracker_Kind_ReportedPatch, NowMs(),
                             REQUEST_TRACKER_REPORTED_PATCH_TIMEOUT_MS, generation, requestId,
                             sizeof(requestId), NULL) != RequestTracker_Result_Ok ||
        IoTHubTopics_BuildTwinReportedPatchTopic(requestId, topic, sizeof(topic), NULL) !=
            IoTHubTopics_Result_Ok) {
        Log_Debug("ERROR: twin: cannot start a reported-properties PATCH.\n");
        return;
    }
    if (!CloudConnection_Publish(topic, body, length, 0, NULL)) {
        RequestTracker_Complete(&tracker, requestId, NULL);
        reportDirty = true;
        return;
    }
    reportDirty = false;
    lastReportedDepth = report.queueDepth;
    lastReportedDropped = report.droppedMessages;
    Log_Debug("INFO: twin: reporting %.*s\n", (int)length, body);
    ArmRequestTimer();
}

static void HandleGetAnswer(int status, const char *payload, size_t length) {
    if (status != 200) {
        ScheduleRequestRetry(status, true);
        return;
    }
    TwinState_Changes changes;
    TwinState_Result result = TwinState_ApplyDocument(&twin, payload, length, &changes);
    uint64_t version = 0;
    switch (result) {
        case TwinState_Result_Ok:
            Backoff_Reset(&requestBackoff);
            TwinState_GetAppliedVersion(&twin, &version);
            Log_Debug("INFO: twin: applied the full twin (desired $version %" PRIu64 ").\n",
                      version);
            ApplyChanges(&changes);
            reportDirty = true;
            SendReport();
            break;
        case TwinState_Result_DocumentOutdated:
            Log_Debug("INFO: twin: a newer notification came first; fetching the twin again.\n");
            SendTwinGet();
            break;
        case TwinState_Result_Stale:
            Log_Debug("INFO: twin: ignored a full twin older than what is applied.\n");
            break;
        default:
            Log_Debug("ERROR: twin: the full twin is malformed (%zu bytes); asking again later.\n",
                      length);
            ScheduleRequestRetry(status, true);
            break;
    }
}

static void HandlePatchAnswer(int status, uint32_t generation) {
    if (status == 204 || status == 200) {
        Backoff_Reset(&requestBackoff);
        TwinState_ConfirmReported(&twin, generation);
        if (reportDirty || TwinState_IsAcknowledgementPending(&twin)) {
            SendReport();
        }
    } else if (status == 429 || status >= 500) {
        reportDirty = true;
        ScheduleRequestRetry(status, false);
    } else {
        // 400 and friends: the same patch would be refused again.
        Log_Debug("ERROR: twin: the hub refused the reported properties (status %d).\n", status);
        TwinState_ConfirmReported(&twin, generation);
    }
}

static void HandleTwinResponse(const char *payload, size_t length) {
    RequestTracker_Request request;
    if (RequestTracker_Complete(&tracker, parsed.requestId, &request) != RequestTracker_Result_Ok) {
        Log_Debug("INFO: twin: ignored an answer to an unknown or expired request.\n");
        return;
    }
    ArmRequestTimer();
    if (request.kind == RequestTracker_Kind_TwinGet) {
        HandleGetAnswer(parsed.status, payload, length);
    } else {
        HandlePatchAnswer(parsed.status, request.context);
    }
}

static void HandleDesiredPatch(const char *payload, size_t length) {
    TwinState_Changes changes;
    TwinState_Result result =
        TwinState_ApplyDesiredPatch(&twin, parsed.version, payload, length, &changes);
    switch (result) {
        case TwinState_Result_Ok:
            Log_Debug("INFO: twin: applied desired properties $version %" PRIu64 ".\n",
                      parsed.version);
            ApplyChanges(&changes);
            SendReport();
            break;
        case TwinState_Result_Deferred:
            Log_Debug("INFO: twin: desired $version %" PRIu64
                      " arrived before the full twin; the twin will include it.\n",
                      parsed.version);
            break;
        case TwinState_Result_Stale:
            Log_Debug("INFO: twin: ignored desired $version %" PRIu64 " (not newer).\n",
                      parsed.version);
            break;
        default:
            Log_Debug("WARNING: twin: ignored a malformed desired-properties patch.\n");
            break;
    }
}

static void HandleMethod(const char *payload, size_t length) {
    MethodHandlers_Diagnostics diagnostics;
    memset(&diagnostics, 0, sizeof(diagnostics));
    if (callbacks.fillDiagnostics != NULL) {
        callbacks.fillDiagnostics(&diagnostics);
    }
    CloudConnection_GetStatistics(&diagnostics.connection);
    diagnostics.queueDepth = Telemetry_GetQueueDepth();

    MethodHandlers_Action action;
    static char response[METHOD_HANDLERS_RESPONSE_SIZE];
    size_t responseLength = 0;
    int status = MethodHandlers_HandleMethod(parsed.methodName, payload, length, &diagnostics,
                                             &action, response, sizeof(response), &responseLength);
    Log_Debug("INFO: method %s: status %d.\n", parsed.methodName, status);
    char topic[TOPIC_SIZE];
    if (IoTHubTopics_BuildMethodResponseTopic(status, parsed.requestId, topic, sizeof(topic),
                                              NULL) != IoTHubTopics_Result_Ok ||
        !CloudConnection_Publish(topic, response, responseLength, 0, NULL)) {
        Log_Debug("ERROR: method %s: could not send the response.\n", parsed.methodName);
        // Still act: the caller asked, and a lost reply is the hub's timeout to report.
    }
    if (action.type == MethodHandlers_ActionType_SetLed && callbacks.setLed != NULL) {
        callbacks.setLed(action.led, action.ledOn);
    } else if (action.type == MethodHandlers_ActionType_Reboot &&
               callbacks.rebootRequested != NULL) {
        callbacks.rebootRequested(action.rebootDelaySeconds);
    } else if (action.type == MethodHandlers_ActionType_Maintenance &&
               callbacks.maintenanceRequested != NULL) {
        callbacks.maintenanceRequested(action.maintenanceSeconds);
    }
}

static void HandleCloudToDevice(const void *payload, size_t length) {
    char summary[METHOD_HANDLERS_C2D_SUMMARY_SIZE];
    if (MethodHandlers_HandleCloudToDevice(&parsed, payload, length, summary, sizeof(summary))) {
        Log_Debug("INFO: %s\n", summary);
        if (callbacks.cloudToDeviceReceived != NULL) {
            callbacks.cloudToDeviceReceived();
        }
    } else {
        Log_Debug("WARNING: %s\n", summary);
    }
}

void CloudServices_OnMessage(const char *topic, const void *payload, size_t length) {
    switch (IoTHubTopics_Parse(topic, CloudConnection_GetDeviceId(), &parsed)) {
        case IoTHubTopics_TopicType_TwinResponse:
            HandleTwinResponse(payload, length);
            break;
        case IoTHubTopics_TopicType_DesiredPropertiesPatch:
            HandleDesiredPatch(payload, length);
            break;
        case IoTHubTopics_TopicType_MethodRequest:
            HandleMethod(payload, length);
            break;
        case IoTHubTopics_TopicType_CloudToDevice:
            HandleCloudToDevice(payload, length);
            break;
        case IoTHubTopics_TopicType_Malformed:
            Log_Debug("WARNING: cloud: dropped a message on a malformed topic (%zu bytes).\n",
                      length);
            break;
        default:
            Log_Debug("WARNING: cloud: dropped a message on an unexpected topic.\n");
            break;
    }
}

static void RequestTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    RequestTracker_Request request;
    bool resendGet = false;
    while (RequestTracker_TakeExpired(&tracker, NowMs(), &request)) {
        Log_Debug("INFO: twin: no answer to %s within %u s.\n",
                  request.kind == RequestTracker_Kind_TwinGet ? "GET" : "PATCH",
                  (unsigned int)((request.deadlineMs - request.startedMs) / 1000u));
        if (request.kind == RequestTracker_Kind_TwinGet) {
            resendGet = true;
        } else {
            reportDirty = true;
        }
    }
    ArmRequestTimer();
    if (resendGet) {
        SendTwinGet();
    }
    if (reportDirty) {
        SendReport();
    }
}

static void RetryTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    bool get = getRetryPending;
    bool report = reportRetryPending;
    getRetryPending = false;
    reportRetryPending = false;
    if (get) {
        SendTwinGet();
    }
    if (report) {
        SendReport();
    }
}

static void ReportCheckTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    if (Telemetry_GetQueueDepth() != lastReportedDepth ||
        Telemetry_GetDroppedCount() != lastReportedDropped) {
        reportDirty = true;
    }
    if (reportDirty) {
        SendReport();
    }
}

void CloudServices_OnConnected(void) {
    // The MT3620 has no serial number an app can read; the device id's start stands in.
    snprintf(serialNumber, sizeof(serialNumber), "%s", CloudConnection_GetDeviceId());
    TwinState_OnConnected(&twin);
    getRetryPending = false;
    reportRetryPending = false;
    DisarmEventLoopTimer(retryTimer);
    SendTwinGet();
}

void CloudServices_OnDisconnected(void) {
    RequestTracker_Request request;
    while (RequestTracker_TakeAny(&tracker, &request)) {
    }
    DisarmEventLoopTimer(requestTimer);
    DisarmEventLoopTimer(retryTimer);
    getRetryPending = false;
    reportRetryPending = false;
}

ExitCode CloudServices_Initialise(EventLoop *eventLoop, const CloudServices_DeviceInfo *info,
                                  const CloudServices_Callbacks *appCallbacks) {
    callbacks = *appCallbacks;
    deviceInfo = *info;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    randomState ^= (uint32_t)now.tv_nsec;
    TwinState_Init(&twin, info->defaultTelemetryPeriodSeconds);
    // Starting ids from a random value makes an answer meant for an earlier run unlikely to
    // match a request of this one.
    RequestTracker_Init(&tracker, NextRandom(NULL) % 1000000u + 1u);
    Backoff_Init(&requestBackoff, 0, 0, 0, NextRandom, NULL);

    requestTimer = CreateEventLoopDisarmedTimer(eventLoop, RequestTimerHandler);
    retryTimer = CreateEventLoopDisarmedTimer(eventLoop, RetryTimerHandler);
    const struct timespec checkPeriod = {.tv_sec = CLOUD_SERVICES_REPORT_CHECK_SECONDS,
                                         .tv_nsec = 0};
    reportCheckTimer =
        CreateEventLoopPeriodicTimer(eventLoop, ReportCheckTimerHandler, &checkPeriod);
    if (requestTimer == NULL || retryTimer == NULL || reportCheckTimer == NULL) {
        Log_Debug("ERROR: twin: cannot create timers: %s (%d).\n", strerror(errno), errno);
        return ExitCode_CloudServices_Timers;
    }
    return ExitCode_Success;
}

void CloudServices_Cleanup(void) {
    DisposeEventLoopTimer(requestTimer);
    DisposeEventLoopTimer(retryTimer);
    DisposeEventLoopTimer(reportCheckTimer);
    requestTimer = retryTimer = reportCheckTimer = NULL;
}

void CloudServices_ReportDeviceState(void) {
    reportDirty = true;
    SendReport();
}

uint32_t CloudServices_GetTelemetryPeriodSeconds(void) {
    return TwinState_GetTelemetryPeriodSeconds(&twin);
}
