// SPDX-License-Identifier: MIT
// One retry timer drives everything: it fires for the first attempt, for each retry after a
// backoff delay, and every second while networking or device authentication is not ready yet
// (waiting for readiness is not a failure and does not grow the backoff). An attempt either
// starts DPS (--ScopeID without an assignment yet) or the hub connection; both end in a
// callback that either declares the session up or schedules the next attempt.

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <mosquitto.h>

#include <applibs/application.h>
#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/storage.h>
#include <tlsutils/deviceauth.h>

#include "backoff.h"
#include "cloud_connection.h"
#include "device_identity.h"
#include "dps_client.h"
#include "eventloop_timer_utilities.h"
#include "iothub_topics.h"
#include "mqtt_client.h"
#include "mqtt_tls.h"

typedef enum {
    State_Waiting,
    State_Provisioning,
    State_Connecting,
    State_Subscribing,
    State_Connected,
} State;

static const struct timespec readinessPollPeriod = {.tv_sec = 1, .tv_nsec = 0};
static const struct timespec immediately = {.tv_sec = 0, .tv_nsec = 0};

static CloudConnection_Callbacks callbacks;
static const Options *options = NULL;
static MqttClient hubClient;
static bool hubClientReady = false;
static bool dpsReady = false;
static bool mosquittoInitialised = false;
static EventLoopTimer *retryTimer = NULL;
static char *caPath = NULL;

static State state = State_Waiting;
static DeviceIdentity identity;
static Backoff backoff;
static uint32_t randomState = 0;
static char hubHostname[OPTIONS_MAX_HOSTNAME_LENGTH + 1];
static char deviceId[DEVICE_IDENTITY_MAX_ID_LENGTH + 1];
static bool haveAssignment = false;
static uint32_t hubFailuresInARow = 0;
// Consecutive times the TLS library refused a device certificate that reads well.
static uint32_t certificateInstallFailures = 0;
static int subscribeMid = -1;
// What the last readiness check found, so "waiting for ..." is logged once per change.
static int lastReadinessLogged = -1;
static MethodHandlers_ConnectionStatistics statistics;

// xorshift32: backoff jitter only needs to differ between devices and attempts, not to be
// unpredictable.
static uint32_t NextRandom(void *context) {
    (void)context;
    uint32_t x = randomState != 0 ? randomState : 0x9E3779B9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    randomState = x;
    return x;
}

static void MixIntoRandom(const char *text) {
    for (const char *p = text; *p != '\0'; p++) {
        randomState = (randomState ^ (uint8_t)*p) * 16777619u;
    }
}

static void ArmRetry(const struct timespec *delay) {
    if (SetEventLoopTimerOneShot(retryTimer, delay) != 0) {
        Log_Debug("ERROR: cloud: cannot arm the retry timer: %s (%d).\n", strerror(errno), errno);
    }
}

static void ScheduleRetry(Backoff_Failure failure, uint32_t retryAfterMs, const char *what) {
    state = State_Waiting;
    uint32_t delayMs = Backoff_NextDelayMs(&backoff, failure, retryAfterMs);
    Log_Debug("INFO: cloud: %s; retry %u in %u ms%s.\n", what,
              (unsigned int)Backoff_Failures(&backoff), (unsigned int)delayMs,
              failure == Backoff_Failure_Throttled ? " (service busy: longer backoff)" : "");
    const struct timespec delay = {.tv_sec = (time_t)(delayMs / 1000u),
                                   .tv_nsec = (long)(delayMs % 1000u) * 1000000L};
    ArmRetry(&delay);
}

// Returns true when networking and device authentication are ready; logs each change.
static bool IsReadyToConnect(void) {
    bool networkReady = false;
    bool authReady = false;
    if (Networking_IsNetworkingReady(&networkReady) != 0) {
        networkReady = false;
    }
    if (networkReady && Application_IsDeviceAuthReady(&authReady) != 0) {
        authReady = false;
    }
    int readiness = !networkReady ? 0 : (!authReady ? 1 : 2);
    if (readiness != lastReadinessLogged) {
        lastReadinessLogged = readiness;
        if (readiness == 0) {
            Log_Debug("INFO: cloud: waiting for the network.\n");
        } else if (readiness == 1) {
            Log_Debug("INFO: cloud: waiting for device authentication.\n");
        }
    }
    return readiness == 2;
}

static bool LoadIdentity(void) {
    char error[DEVICE_IDENTITY_ERROR_SIZE];
    DeviceIdentity_Result result =
        DeviceIdentity_Load(&identity, DeviceAuth_GetCertificatePath(), error, sizeof(error));
    if (result == DeviceIdentity_Result_Changed) {
        Log_Debug("INFO: cloud: the device certificate was renewed; using the new one.\n");
    } else if (result != DeviceIdentity_Result_Ok) {
        Log_Debug("ERROR: cloud: %s.\n", error);
        return false;
    }
    return true;
}

// Installs the device certificate in a TLS context the applibs way: on Azure Sphere the private
// key stays in the security hardware and DeviceAuth_SslCtxFunc wires it in; the simulated
// device's file holds the key, which hal_stub's implementation loads.
static bool ConfigureDeviceCertificate(void *sslContext, char *error, size_t errorSize) {
    DeviceAuthSslResult result = DeviceAuth_SslCtxFunc(sslContext);
    // Only called once the certificate file has been read and parsed (LoadIdentity), so a
    // failure here is the TLS library's, not the certificate's.
    certificateInstallFailures =
        result == DeviceAuthSslResult_Success ? 0 : certificateInstallFailures + 1;
    switch (result) {
        case DeviceAuthSslResult_Success:
            return true;
        case DeviceAuthSslResult_GetTenantIdError:
            snprintf(error, errorSize, "DeviceAuth_SslCtxFunc: cannot get the tenant id");
            break;
        case DeviceAuthSslResult_GetTenantCertificateError:
            snprintf(error, errorSize, "DeviceAuth_SslCtxFunc: device certificate not available");
            break;
        default:
            snprintf(error, errorSize, "DeviceAuth_SslCtxFunc: cannot enable signing (%d)",
                     (int)result);
            break;
    }
    return false;
}

// Returns true (and has the app exit) when the TLS library refused the device certificate too
// many times in a row; only a fresh process recovers from that.
static bool GiveUpOnBrokenTlsLibrary(void) {
    if (certificateInstallFailures < CLOUD_CONNECTION_MAX_CERTIFICATE_INSTALL_FAILURES) {
        return false;
    }
    Log_Debug(
        "ERROR: cloud: the device certificate reads well but the TLS library refused it %u "
        "times in a row; exiting so that the OS restarts the app.\n",
        (unsigned int)certificateInstallFailures);
    if (callbacks.failed != NULL) {
        callbacks.failed(ExitCode_Cloud_TlsLibraryBroken);
    }
    return true;
}

static void ConnectToHub(void) {
    char username[OPTIONS_MAX_HOSTNAME_LENGTH + DEVICE_IDENTITY_MAX_ID_LENGTH + 32];
    snprintf(username, sizeof(username), "%s/%s/?api-version=" CLOUD_CONNECTION_API_VERSION,
             hubHostname, deviceId);
    const MqttClient_Settings settings = {.host = hubHostname,
                                          .port = CLOUD_CONNECTION_PORT,
                                          .clientId = deviceId,
                                          .username = username,
                                          .configureClientCertificate = ConfigureDeviceCertificate,
                                          .caPath = caPath,
                                          .keepAliveSeconds = CLOUD_CONNECTION_KEEP_ALIVE_SECONDS,
                                          // A persistent session keeps C2D messages queued at
                                          // the hub while the device is away.
                                          .cleanSession = false,
                                          .connectTimeoutMs = CLOUD_CONNECTION_CONNECT_TIMEOUT_MS};
    Log_Debug("INFO: cloud: connecting to %s as %.16s...\n", hubHostname, deviceId);
    if (MqttClient_Connect(&hubClient, &settings) != MqttClient_Result_Ok) {
        Log_Debug("ERROR: cloud: cannot connect to %s: %s.\n", hubHostname,
                  MqttClient_LastError(&hubClient));
        if (GiveUpOnBrokenTlsLibrary()) {
            return;
        }
        hubFailuresInARow++;
        statistics.failedAttempts++;
        ScheduleRetry(Backoff_Failure_Transient, 0, "connection attempt failed");
        return;
    }
    state = State_Connecting;
}

static void Attempt(void) {
    if (!IsReadyToConnect()) {
        ArmRetry(&readinessPollPeriod);
        return;
    }
    if (access(caPath, R_OK) != 0) {
        Log_Debug(
            "ERROR: cloud: cannot read the trust roots %s (--RootCA) in the image package: "
            "%s.\n",
            options->rootCaPath, strerror(errno));
        statistics.failedAttempts++;
        ScheduleRetry(Backoff_Failure_Transient, 0, "no trust roots");
        return;
    }
    if (!LoadIdentity()) {
        statistics.failedAttempts++;
        ScheduleRetry(Backoff_Failure_Transient, 0, "no usable device certificate");
        return;
    }
    MixIntoRandom(identity.deviceId);
    if (options->connectionType == Options_ConnectionType_Direct) {
        memcpy(hubHostname, options->hostname, sizeof(hubHostname));
        memcpy(deviceId, identity.deviceId, sizeof(deviceId));
        ConnectToHub();
        return;
    }
    if (haveAssignment && hubFailuresInARow >= CLOUD_CONNECTION_MAX_HUB_FAILURES_BEFORE_DPS) {
        Log_Debug("INFO: cloud: %u failed connections to %s; asking DPS again.\n",
                  (unsigned int)hubFailuresInARow, hubHostname);
        haveAssignment = false;
    }
    if (haveAssignment) {
        ConnectToHub();
        return;
    }
    char error[200];
    if (!DpsClient_Start(options->scopeId, identity.deviceId, ConfigureDeviceCertificate, caPath,
                         error, sizeof(error))) {
        Log_Debug("ERROR: cloud: %s.\n", error);
        if (GiveUpOnBrokenTlsLibrary()) {
            return;
        }
        statistics.failedAttempts++;
        ScheduleRetry(Backoff_Failure_Transient, 0, "provisioning could not start");
        return;
    }
    state = State_Provisioning;
}

static void RetryTimerHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        return;
    }
    if (state == State_Waiting && !MqttClient_IsBusy(&hubClient)) {
        Attempt();
    }
}

static void OnDpsDone(const DpsClient_Outcome *outcome) {
    if (!outcome->assigned) {
        Log_Debug("ERROR: cloud: provisioning failed: %s.\n", outcome->detail);
        statistics.failedAttempts++;
        ScheduleRetry(outcome->throttled ? Backoff_Failure_Throttled : Backoff_Failure_Transient,
                      outcome->retryAfterMs, "provisioning failed");
        return;
    }
    memcpy(hubHostname, outcome->assignedHub, sizeof(hubHostname));
    memcpy(deviceId, outcome->deviceId, sizeof(deviceId));
    haveAssignment = true;
    hubFailuresInARow = 0;
    Log_Debug("INFO: cloud: DPS assigned hub %s.\n", hubHostname);
    ConnectToHub();
}

// ---- hub client callbacks ----

static void OnHubConnected(void *context) {
    (void)context;
    char c2d[IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH + 40];
    if (IoTHubTopics_BuildCloudToDeviceSubscription(deviceId, c2d, sizeof(c2d), NULL) !=
        IoTHubTopics_Result_Ok) {
        Log_Debug("ERROR: cloud: cannot build the C2D subscription for this device id.\n");
        MqttClient_Disconnect(&hubClient);
        return;
    }
    char *filters[] = {IOTHUB_TOPICS_TWIN_RESPONSE_SUBSCRIPTION,
                       IOTHUB_TOPICS_DESIRED_PATCH_SUBSCRIPTION,
                       IOTHUB_TOPICS_METHOD_REQUEST_SUBSCRIPTION, c2d};
    if (MqttClient_Subscribe(&hubClient, 4, filters, 1, &subscribeMid) != MqttClient_Result_Ok) {
        Log_Debug("ERROR: cloud: subscribe failed: %s.\n", MqttClient_LastError(&hubClient));
        MqttClient_Disconnect(&hubClient);
        return;
    }
    state = State_Subscribing;
}

static void OnHubSubscribed(void *context, int mid, int count, const int *grantedQos) {
    (void)context;
    if (state != State_Subscribing || mid != subscribeMid) {
        return;
    }
    for (int i = 0; i < count; i++) {
        if (grantedQos[i] > 1) {
            Log_Debug("ERROR: cloud: the hub refused subscription %d (granted %d).\n", i,
                      grantedQos[i]);
            MqttClient_Disconnect(&hubClient);
            return;
        }
    }
    state = State_Connected;
    statistics.connected = true;
    statistics.connects++;
    Backoff_Reset(&backoff);
    hubFailuresInARow = 0;
    Log_Debug("INFO: cloud: connected to %s.\n", hubHostname);
    if (callbacks.connected != NULL) {
        callbacks.connected();
    }
}

static void OnHubMessage(void *context, const struct mosquitto_message *message) {
    (void)context;
    if (state == State_Connected && message->topic != NULL && message->payloadlen >= 0 &&
        callbacks.messageReceived != NULL) {
        callbacks.messageReceived(message->topic, message->payload, (size_t)message->payloadlen);
    }
}

static void OnHubPublished(void *context, int mid) {
    (void)context;
    if (callbacks.publishAcknowledged != NULL && callbacks.publishAcknowledged(mid)) {
        statistics.messagesAcknowledged++;
    }
}

static void OnHubClosed(void *context, MqttClient_CloseReason reason, int connackCode,
                        const char *description) {
    (void)context;
    bool wasConnected = state == State_Connected;
    statistics.connected = false;
    if (wasConnected) {
        statistics.disconnects++;
        Log_Debug("INFO: cloud: disconnected from %s: %s.\n", hubHostname, description);
        if (callbacks.disconnected != NULL) {
            callbacks.disconnected();
        }
    } else {
        hubFailuresInARow++;
        statistics.failedAttempts++;
        Log_Debug("ERROR: cloud: connection to %s failed: %s.\n", hubHostname, description);
    }
    if (reason == MqttClient_CloseReason_Requested && !wasConnected) {
        // A refused subscription: the hub will not serve this device as it is.
        ScheduleRetry(Backoff_Failure_Transient, 0, "hub refused the subscriptions");
        return;
    }
    // CONNACK 3 (server unavailable) is the MQTT form of "busy, come back later".
    bool throttled = reason == MqttClient_CloseReason_Refused && connackCode == 3;
    if (wasConnected) {
        // A session that was up counts as a success: the first retry is quick, later ones
        // back off if the hub keeps dropping the device.
        ScheduleRetry(Backoff_Failure_Transient, 0, "connection lost");
    } else {
        ScheduleRetry(throttled ? Backoff_Failure_Throttled : Backoff_Failure_Transient, 0,
                      "connection attempt failed");
    }
}

// ---- public functions ----

ExitCode CloudConnection_Initialise(EventLoop *eventLoop, const Options *appOptions,
                                    const CloudConnection_Callbacks *appCallbacks) {
    static const MqttClient_Callbacks hubCallbacks = {.connected = OnHubConnected,
                                                      .closed = OnHubClosed,
                                                      .message = OnHubMessage,
                                                      .published = OnHubPublished,
                                                      .subscribed = OnHubSubscribed};
    options = appOptions;
    callbacks = *appCallbacks;
    memset(&statistics, 0, sizeof(statistics));
    memset(&identity, 0, sizeof(identity));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    randomState = (uint32_t)now.tv_nsec ^ (uint32_t)now.tv_sec ^ ((uint32_t)getpid() << 16);
    Backoff_Init(&backoff, 0, 0, 0, NextRandom, NULL);

    // Before mosquitto_lib_init, whose own TLS initialisation would load what the app's memory
    // budget cannot afford.
    MqttTls_InitLibrary();
    if (mosquitto_lib_init() != MOSQ_ERR_SUCCESS) {
        Log_Debug("ERROR: cloud: mosquitto_lib_init failed.\n");
        return ExitCode_Cloud_MosquittoInit;
    }
    mosquittoInitialised = true;

    caPath = Storage_GetAbsolutePathInImagePackage(options->rootCaPath);
    if (caPath == NULL) {
        Log_Debug("ERROR: cloud: --RootCA %s: %s (%d).\n", options->rootCaPath, strerror(errno),
                  errno);
        return ExitCode_Cloud_RootCaPath;
    }

    if (MqttClient_Init(&hubClient, eventLoop, &hubCallbacks, NULL) != MqttClient_Result_Ok) {
        Log_Debug("ERROR: cloud: %s.\n", MqttClient_LastError(&hubClient));
        return ExitCode_Cloud_MqttClient;
    }
    hubClientReady = true;
    if (options->connectionType == Options_ConnectionType_Dps) {
        if (!DpsClient_Initialise(eventLoop, OnDpsDone)) {
            Log_Debug("ERROR: cloud: cannot set up the DPS client: %s.\n", strerror(errno));
            return ExitCode_Cloud_DpsClient;
        }
        dpsReady = true;
    }
    retryTimer = CreateEventLoopDisarmedTimer(eventLoop, RetryTimerHandler);
    if (retryTimer == NULL) {
        Log_Debug("ERROR: cloud: cannot create the retry timer: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Cloud_RetryTimer;
    }
    state = State_Waiting;
    ArmRetry(&immediately);
    return ExitCode_Success;
}

void CloudConnection_Cleanup(void) {
    DisposeEventLoopTimer(retryTimer);
    retryTimer = NULL;
    if (dpsReady) {
        DpsClient_Cleanup();
        dpsReady = false;
    }
    if (hubClientReady) {
        // A DISCONNECT tells the hub this is a clean end rather than a dropped connection; the
        // packet is small and goes out before the handle is destroyed.
        MqttClient_Disconnect(&hubClient);
        MqttClient_Close(&hubClient);
        hubClientReady = false;
    }
    free(caPath);
    caPath = NULL;
    if (mosquittoInitialised) {
        mosquitto_lib_cleanup();
        mosquittoInitialised = false;
    }
    state = State_Waiting;
}

bool CloudConnection_IsConnected(void) {
    return state == State_Connected && MqttClient_IsConnected(&hubClient);
}

const char *CloudConnection_GetDeviceId(void) {
    return deviceId;
}

bool CloudConnection_Publish(const char *topic, const void *payload, size_t length, int qos,
                             int *outMid) {
    if (!CloudConnection_IsConnected()) {
        return false;
    }
    if (MqttClient_Publish(&hubClient, topic, payload, length, qos, outMid) !=
        MqttClient_Result_Ok) {
        Log_Debug("ERROR: cloud: publish failed: %s.\n", MqttClient_LastError(&hubClient));
        return false;
    }
    if (qos > 0) {
        statistics.messagesSent++;
    }
    return true;
}

void CloudConnection_GetStatistics(MethodHandlers_ConnectionStatistics *outStatistics) {
    if (outStatistics != NULL) {
        *outStatistics = statistics;
        outStatistics->connected = CloudConnection_IsConnected();
    }
}
