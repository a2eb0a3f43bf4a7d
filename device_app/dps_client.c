// SPDX-License-Identifier: MIT
// A small state machine over one MQTT connection: connected -> subscribed -> registered ->
// (wait retry-after, poll)* -> outcome. The outcome is decided as soon as it is known, the
// connection is then closed, and done runs from the client's "closed" callback, so the caller
// can start its hub connection without two TLS sessions alive at once (memory is tight).
//
// Request ids are a counter, and an answer is used only if it carries the id of the request
// just sent; DPS does not promise order across polls, and a stale answer must not end a newer
// poll.

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <mosquitto.h>

#include <applibs/log.h>

#include "dps_client.h"
#include "eventloop_timer_utilities.h"
#include "mqtt_client.h"

#define DPS_PORT 8883
#define DPS_KEEP_ALIVE_SECONDS 60
#define DPS_CONNECT_TIMEOUT_MS 30000u
#define DEFAULT_POLL_DELAY_SECONDS 3u

typedef enum {
    Phase_Idle,
    Phase_Connecting,
    Phase_Subscribing,
    Phase_WaitingForAnswer,
    Phase_WaitingToPoll,
    Phase_Closing,
} Phase;

static MqttClient client;
static bool clientReady = false;
static DpsClient_DoneCallback doneCallback = NULL;
static EventLoopTimer *pollTimer = NULL;
static EventLoopTimer *deadlineTimer = NULL;

static Phase phase = Phase_Idle;
static DpsClient_Outcome outcome;
static bool outcomeKnown = false;
static uint32_t requestCounter = 0;
static char currentRequestId[DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH + 1];
static char operationId[DPS_PROTOCOL_MAX_OPERATION_ID_LENGTH + 1];
static char registrationIdCopy[DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 1];

static void Finish(bool assigned, bool throttled, uint32_t retryAfterMs, const char *detail) {
    if (outcomeKnown) {
        return;
    }
    outcomeKnown = true;
    outcome.assigned = assigned;
    outcome.throttled = throttled;
    outcome.retryAfterMs = retryAfterMs;
    snprintf(outcome.detail, sizeof(outcome.detail), "%s", detail != NULL ? detail : "");
    phase = Phase_Closing;
    DisarmEventLoopTimer(pollTimer);
    DisarmEventLoopTimer(deadlineTimer);
    MqttClient_Disconnect(&client);
}

static void NextRequestId(void) {
    requestCounter = requestCounter % 999999u + 1u;
    snprintf(currentRequestId, sizeof(currentRequestId), "%u", (unsigned int)requestCounter);
}

static void Send(const char *topic, const char *payload) {
    if (MqttClient_Publish(&client, topic, payload, payload != NULL ? strlen(payload) : 0, 1,
                           NULL) != MqttClient_Result_Ok) {
        char detail[200];
        snprintf(detail, sizeof(detail), "could not send to DPS: %s",
                 MqttClient_LastError(&client));
        Finish(false, false, 0, detail);
        return;
    }
    phase = Phase_WaitingForAnswer;
}

static void Register(void) {
    char topic[128];
    char payload[DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 32];
    NextRequestId();
    if (!DpsProtocol_BuildRegisterTopic(currentRequestId, topic, sizeof(topic)) ||
        !DpsProtocol_BuildRegisterPayload(registrationIdCopy, payload, sizeof(payload))) {
        Finish(false, false, 0, "cannot build the DPS register request");
        return;
    }
    Log_Debug("INFO: DPS: registering %.16s...\n", registrationIdCopy);
    Send(topic, payload);
}

static void PollTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    if (phase != Phase_WaitingToPoll) {
        return;
    }
    char topic[256];
    NextRequestId();
    if (!DpsProtocol_BuildPollTopic(currentRequestId, operationId, topic, sizeof(topic))) {
        Finish(false, false, 0, "cannot build the DPS operation-status request");
        return;
    }
    Send(topic, NULL);
}

static void DeadlineTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    if (phase != Phase_Idle && phase != Phase_Closing) {
        Finish(false, false, 0, "DPS did not assign a hub within the time limit");
    }
}

static void OnConnected(void *context) {
    (void)context;
    char *filters[] = {DPS_PROTOCOL_RESPONSE_SUBSCRIPTION};
    if (MqttClient_Subscribe(&client, 1, filters, 1, NULL) != MqttClient_Result_Ok) {
        Finish(false, false, 0, "could not subscribe to DPS answers");
        return;
    }
    phase = Phase_Subscribing;
}

static void OnSubscribed(void *context, int mid, int count, const int *grantedQos) {
    (void)context;
    (void)mid;
    if (phase != Phase_Subscribing) {
        return;
    }
    if (count < 1 || grantedQos == NULL || grantedQos[0] > 2) {
        Finish(false, false, 0, "DPS refused the subscription to its answers");
        return;
    }
    Register();
}

static void OnMessage(void *context, const struct mosquitto_message *message) {
    (void)context;
    DpsProtocol_ResponseTopic topic;
    if (phase != Phase_WaitingForAnswer || message->topic == NULL ||
        !DpsProtocol_ParseResponseTopic(message->topic, &topic)) {
        return;
    }
    if (strcmp(topic.requestId, currentRequestId) != 0) {
        Log_Debug("INFO: DPS: ignoring an answer to an earlier request ($rid=%s).\n",
                  topic.requestId);
        return;
    }
    uint32_t retryAfterMs = topic.hasRetryAfter ? topic.retryAfterSeconds * 1000u : 0;
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(topic.status, message->payload, (size_t)message->payloadlen,
                              &response);
    if (topic.status == 429 || topic.status >= 500) {
        Finish(false, true, retryAfterMs, response.detail);
    } else if (response.state == DpsProtocol_State_Assigned) {
        snprintf(outcome.assignedHub, sizeof(outcome.assignedHub), "%s", response.assignedHub);
        snprintf(outcome.deviceId, sizeof(outcome.deviceId), "%s", response.deviceId);
        Finish(true, false, 0, NULL);
    } else if (response.state == DpsProtocol_State_Assigning) {
        memcpy(operationId, response.operationId, sizeof(operationId));
        uint32_t seconds = topic.hasRetryAfter && topic.retryAfterSeconds > 0
                               ? topic.retryAfterSeconds
                               : DEFAULT_POLL_DELAY_SECONDS;
        const struct timespec delay = {.tv_sec = (time_t)seconds, .tv_nsec = 0};
        phase = Phase_WaitingToPoll;
        if (SetEventLoopTimerOneShot(pollTimer, &delay) != 0) {
            Finish(false, false, 0, "cannot arm the DPS poll timer");
        }
    } else {
        Finish(false, false, retryAfterMs, response.detail);
    }
}

static void OnClosed(void *context, MqttClient_CloseReason reason, int connackCode,
                     const char *description) {
    (void)context;
    if (!outcomeKnown) {
        char detail[200];
        snprintf(detail, sizeof(detail), "DPS connection %s: %s",
                 reason == MqttClient_CloseReason_Refused ? "refused" : "failed", description);
        // CONNACK 3 is "server unavailable": the service asks to be left alone for a while.
        Finish(false, reason == MqttClient_CloseReason_Refused && connackCode == 3, 0, detail);
    }
    phase = Phase_Idle;
    DisarmEventLoopTimer(pollTimer);
    DisarmEventLoopTimer(deadlineTimer);
    DpsClient_Outcome result = outcome;
    if (doneCallback != NULL) {
        doneCallback(&result);
    }
}

bool DpsClient_Initialise(EventLoop *eventLoop, DpsClient_DoneCallback done) {
    static const MqttClient_Callbacks callbacks = {.connected = OnConnected,
                                                   .closed = OnClosed,
                                                   .message = OnMessage,
                                                   .subscribed = OnSubscribed};
    doneCallback = done;
    pollTimer = CreateEventLoopDisarmedTimer(eventLoop, PollTimerHandler);
    deadlineTimer = CreateEventLoopDisarmedTimer(eventLoop, DeadlineTimerHandler);
    if (pollTimer == NULL || deadlineTimer == NULL) {
        return false;
    }
    if (MqttClient_Init(&client, eventLoop, &callbacks, NULL) != MqttClient_Result_Ok) {
        Log_Debug("ERROR: DPS client: %s\n", MqttClient_LastError(&client));
        return false;
    }
    clientReady = true;
    return true;
}

void DpsClient_Cleanup(void) {
    if (clientReady) {
        MqttClient_Close(&client);
        clientReady = false;
    }
    DisposeEventLoopTimer(pollTimer);
    DisposeEventLoopTimer(deadlineTimer);
    pollTimer = NULL;
    deadlineTimer = NULL;
    phase = Phase_Idle;
}

bool DpsClient_Start(const char *idScope, const char *registrationId,
                     bool (*configureClientCertificate)(void *sslContext, char *error,
                                                        size_t errorSize),
                     const char *caPath, char *error, size_t errorSize) {
    if (error == NULL || errorSize == 0) {
        return false;
    }
    if (!clientReady || phase != Phase_Idle || MqttClient_IsBusy(&client)) {
        snprintf(error, errorSize, "DPS client is not ready or already provisioning");
        return false;
    }
    char username[OPTIONS_MAX_SCOPE_ID_LENGTH + DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 48];
    if (registrationId == NULL || strlen(registrationId) >= sizeof(registrationIdCopy) ||
        !DpsProtocol_BuildUsername(idScope, registrationId, username, sizeof(username))) {
        snprintf(error, errorSize, "cannot build a DPS username from the id scope and device id");
        return false;
    }
    memcpy(registrationIdCopy, registrationId, strlen(registrationId) + 1);
    memset(&outcome, 0, sizeof(outcome));
    outcomeKnown = false;
    operationId[0] = '\0';

    const MqttClient_Settings settings = {.host = OPTIONS_DPS_HOSTNAME,
                                          .port = DPS_PORT,
                                          .clientId = registrationId,
                                          .username = username,
                                          .configureClientCertificate = configureClientCertificate,
                                          .caPath = caPath,
                                          .keepAliveSeconds = DPS_KEEP_ALIVE_SECONDS,
                                          .cleanSession = true,
                                          .connectTimeoutMs = DPS_CONNECT_TIMEOUT_MS};
    if (MqttClient_Connect(&client, &settings) != MqttClient_Result_Ok) {
        snprintf(error, errorSize, "cannot connect to DPS: %s", MqttClient_LastError(&client));
        return false;
    }
    const struct timespec deadline = {.tv_sec = DPS_CLIENT_TIMEOUT_MS / 1000, .tv_nsec = 0};
    if (SetEventLoopTimerOneShot(deadlineTimer, &deadline) != 0) {
        // Without a deadline a silent DPS would stall provisioning; give up now instead.
        snprintf(error, errorSize, "cannot arm the DPS deadline: %s", strerror(errno));
        MqttClient_Disconnect(&client);
        phase = Phase_Closing;
        outcomeKnown = true;
        snprintf(outcome.detail, sizeof(outcome.detail), "%s", error);
        return true;
    }
    phase = Phase_Connecting;
    Log_Debug("INFO: DPS: connecting to %s (id scope %s).\n", OPTIONS_DPS_HOSTNAME, idScope);
    return true;
}

bool DpsClient_IsBusy(void) {
    return phase != Phase_Idle;
}
