// SPDX-License-Identifier: MIT
// libmosquitto's "external loop" interface (mosquitto_socket, mosquitto_loop_read/write/misc,
// mosquitto_want_write) wired to an applibs EventLoop.
//
// Two details of libmosquitto shape this file:
// - Until the TLS handshake is done, libmosquitto advances it from mosquitto_loop_read only,
//   whichever direction the socket is ready in, so before CONNACK an output event is handled
//   with a read as well (a read with nothing to read is harmless).
// - Its callbacks run inside its own calls, where the handle must not be destroyed. So every
//   end of a connection - reported by libmosquitto, detected here, or asked for - only marks
//   the client as closing and unregisters the socket; a zero-delay timer then destroys the
//   handle and tells the owner, from a clean stack, who may then connect again at once.
//
// A socket error event (EPOLLERR/EPOLLHUP) that libmosquitto does not turn into a disconnect
// (it can happen mid-handshake, where a failed write looks like "try again") ends the
// connection here, with the socket's pending error as the reason: level-triggered error events
// would otherwise wake the loop forever.

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <mosquitto.h>

#include "mqtt_client.h"
#include "mqtt_tls.h"

static const struct timespec miscPeriod = {.tv_sec = 1, .tv_nsec = 0};
static const struct timespec immediately = {.tv_sec = 0, .tv_nsec = 0};

// Event-loop timers carry no context, so each timer finds its client here. The app has two
// clients at most (DPS, then the hub).
#define MAX_CLIENTS 4
static MqttClient *clients[MAX_CLIENTS];

static MqttClient *FindClient(const EventLoopTimer *timer) {
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        MqttClient *client = clients[i];
        if (client != NULL && (client->miscTimer == timer || client->connectTimer == timer ||
                               client->teardownTimer == timer)) {
            return client;
        }
    }
    return NULL;
}

static void BeginClose(MqttClient *client, MqttClient_CloseReason reason, int connackCode,
                       const char *description);

static void SetLastError(MqttClient *client, const char *what, int rc) {
    if (rc == MOSQ_ERR_ERRNO) {
        snprintf(client->lastError, sizeof(client->lastError), "%s: %s (errno %d)", what,
                 strerror(errno), errno);
    } else if (rc == MOSQ_ERR_EAI) {
        // libmosquitto leaves getaddrinfo's result code in errno.
        snprintf(client->lastError, sizeof(client->lastError), "%s: name lookup failed: %s", what,
                 gai_strerror(errno));
    } else {
        snprintf(client->lastError, sizeof(client->lastError), "%s: %s", what,
                 mosquitto_strerror(rc));
    }
    // libmosquitto's texts end with a full stop; the logs add their own.
    size_t length = strlen(client->lastError);
    if (length > 0 && client->lastError[length - 1] == '.') {
        client->lastError[length - 1] = '\0';
    }
}

static void UpdateInterest(MqttClient *client) {
    if (client->registration == NULL || client->mosq == NULL) {
        return;
    }
    EventLoop_IoEvents wanted = EventLoop_Input;
    if (mosquitto_want_write(client->mosq)) {
        wanted |= EventLoop_Output;
    }
    if (wanted != client->registeredEvents &&
        EventLoop_ModifyIoEvents(client->eventLoop, client->registration, wanted) == 0) {
        client->registeredEvents = wanted;
    }
}

// Checks the handle after any libmosquitto call: a closed socket or a failed call ends the
// connection (unless a callback already did); otherwise output interest follows want_write.
static void AfterActivity(MqttClient *client, int rc, const char *what) {
    if (client->closing || client->mosq == NULL) {
        return;
    }
    if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(client->mosq) != client->fd) {
        char description[MQTT_CLIENT_REASON_SIZE];
        SetLastError(client, what, rc == MOSQ_ERR_SUCCESS ? MOSQ_ERR_CONN_LOST : rc);
        snprintf(description, sizeof(description), "%s", client->lastError);
        BeginClose(client,
                   client->sessionOpen ? MqttClient_CloseReason_Lost
                                       : MqttClient_CloseReason_ConnectFailed,
                   -1, description);
        return;
    }
    UpdateInterest(client);
}

static void SocketEventHandler(EventLoop *eventLoop, int fd, EventLoop_IoEvents events,
                               void *context) {
    (void)eventLoop;
    (void)fd;
    MqttClient *client = context;
    if (client->closing || client->mosq == NULL) {
        return;
    }
    int rc = MOSQ_ERR_SUCCESS;
    bool readable = (events & (EventLoop_Input | EventLoop_Error)) != 0;
    if (readable || !client->sessionOpen) {
        rc = mosquitto_loop_read(client->mosq, 1);
    }
    if (rc == MOSQ_ERR_SUCCESS && !client->closing && (events & EventLoop_Output) != 0 &&
        mosquitto_socket(client->mosq) == client->fd) {
        rc = mosquitto_loop_write(client->mosq, 1);
    }
    if (!client->closing && rc == MOSQ_ERR_SUCCESS && (events & EventLoop_Error) != 0 &&
        mosquitto_socket(client->mosq) == client->fd) {
        int socketError = 0;
        socklen_t length = sizeof(socketError);
        if (getsockopt(client->fd, SOL_SOCKET, SO_ERROR, &socketError, &length) != 0) {
            socketError = errno;
        }
        char description[MQTT_CLIENT_REASON_SIZE];
        snprintf(description, sizeof(description), "socket error: %s (errno %d)",
                 socketError != 0 ? strerror(socketError) : "connection closed", socketError);
        BeginClose(client,
                   client->sessionOpen ? MqttClient_CloseReason_Lost
                                       : MqttClient_CloseReason_ConnectFailed,
                   -1, description);
        return;
    }
    AfterActivity(client, rc, readable ? "read" : "write");
}

static void MiscTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    MqttClient *client = FindClient(timer);
    if (client == NULL || client->closing || client->mosq == NULL) {
        return;
    }
    AfterActivity(client, mosquitto_loop_misc(client->mosq), "keep-alive");
}

static void ConnectTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    MqttClient *client = FindClient(timer);
    if (client == NULL || client->closing || client->mosq == NULL || client->sessionOpen) {
        return;
    }
    BeginClose(client, MqttClient_CloseReason_Timeout, -1, "no CONNACK within the connect timeout");
}

static void DestroyHandle(MqttClient *client) {
    if (client->registration != NULL) {
        EventLoop_UnregisterIo(client->eventLoop, client->registration);
        client->registration = NULL;
    }
    if (client->mosq != NULL) {
        mosquitto_destroy(client->mosq);
        client->mosq = NULL;
    }
    client->fd = -1;
    client->registeredEvents = EventLoop_None;
    client->sessionOpen = false;
    DisarmEventLoopTimer(client->miscTimer);
    DisarmEventLoopTimer(client->connectTimer);
}

static void TeardownTimerHandler(EventLoopTimer *timer) {
    (void)ConsumeEventLoopTimerEvent(timer);
    MqttClient *client = FindClient(timer);
    if (client == NULL || !client->closing) {
        return;
    }
    DestroyHandle(client);
    client->closing = false;
    char description[MQTT_CLIENT_REASON_SIZE];
    memcpy(description, client->closeDescription, sizeof(description));
    if (client->callbacks.closed != NULL) {
        client->callbacks.closed(client->context, client->closeReason, client->connackCode,
                                 description);
    }
}

static void BeginClose(MqttClient *client, MqttClient_CloseReason reason, int connackCode,
                       const char *description) {
    if (client->closing || client->mosq == NULL) {
        return;
    }
    client->closing = true;
    client->sessionOpen = false;
    client->closeReason = reason;
    client->connackCode = connackCode;
    snprintf(client->closeDescription, sizeof(client->closeDescription), "%s",
             description != NULL ? description : "");
    // No more events for a socket that is going away; libmosquitto may already have closed it.
    if (client->registration != NULL) {
        EventLoop_UnregisterIo(client->eventLoop, client->registration);
        client->registration = NULL;
    }
    DisarmEventLoopTimer(client->miscTimer);
    DisarmEventLoopTimer(client->connectTimer);
    // timerfd_settime cannot fail for a valid, zero expiry on a timer we created, and there
    // is nothing safer to do here if it did: this may run inside a libmosquitto callback.
    (void)SetEventLoopTimerOneShot(client->teardownTimer, &immediately);
}

// ---- libmosquitto callbacks (run inside mosquitto_loop_*) ----

static void OnConnect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    MqttClient *client = obj;
    if (client->closing) {
        return;
    }
    if (rc != 0) {
        char description[MQTT_CLIENT_REASON_SIZE];
        snprintf(description, sizeof(description), "CONNACK %d: %s", rc,
                 mosquitto_connack_string(rc));
        // libmosquitto's texts end with a full stop; the logs add their own.
        size_t length = strlen(description);
        if (length > 0 && description[length - 1] == '.') {
            description[length - 1] = '\0';
        }
        BeginClose(client, MqttClient_CloseReason_Refused, rc, description);
        return;
    }
    client->sessionOpen = true;
    DisarmEventLoopTimer(client->connectTimer);
    if (client->callbacks.connected != NULL) {
        client->callbacks.connected(client->context);
    }
}

static void OnDisconnect(struct mosquitto *mosq, void *obj, int rc) {
    (void)mosq;
    MqttClient *client = obj;
    if (client->closing) {
        return;
    }
    char description[MQTT_CLIENT_REASON_SIZE];
    if (rc == MOSQ_ERR_ERRNO) {
        snprintf(description, sizeof(description), "connection lost: %s (errno %d)",
                 strerror(errno), errno);
    } else {
        snprintf(description, sizeof(description), "connection lost: %s", mosquitto_strerror(rc));
        // libmosquitto's texts end with a full stop; the logs add their own.
        size_t length = strlen(description);
        if (length > 0 && description[length - 1] == '.') {
            description[length - 1] = '\0';
        }
    }
    BeginClose(
        client,
        client->sessionOpen ? MqttClient_CloseReason_Lost : MqttClient_CloseReason_ConnectFailed,
        -1, description);
}

static void OnMessage(struct mosquitto *mosq, void *obj, const struct mosquitto_message *message) {
    (void)mosq;
    MqttClient *client = obj;
    if (!client->closing && client->callbacks.message != NULL) {
        client->callbacks.message(client->context, message);
    }
}

static void OnPublish(struct mosquitto *mosq, void *obj, int mid) {
    (void)mosq;
    MqttClient *client = obj;
    if (!client->closing && client->callbacks.published != NULL) {
        client->callbacks.published(client->context, mid);
    }
}

static void OnSubscribe(struct mosquitto *mosq, void *obj, int mid, int count,
                        const int *grantedQos) {
    (void)mosq;
    MqttClient *client = obj;
    if (!client->closing && client->callbacks.subscribed != NULL) {
        client->callbacks.subscribed(client->context, mid, count, grantedQos);
    }
}

// ---- public functions ----

MqttClient_Result MqttClient_Init(MqttClient *client, EventLoop *eventLoop,
                                  const MqttClient_Callbacks *callbacks, void *context) {
    if (client == NULL || eventLoop == NULL || callbacks == NULL) {
        return MqttClient_Result_InvalidArgument;
    }
    memset(client, 0, sizeof(*client));
    client->eventLoop = eventLoop;
    client->callbacks = *callbacks;
    client->context = context;
    client->fd = -1;
    size_t slot = MAX_CLIENTS;
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i] == NULL) {
            slot = i;
            break;
        }
    }
    if (slot == MAX_CLIENTS) {
        snprintf(client->lastError, sizeof(client->lastError), "too many MQTT clients");
        return MqttClient_Result_Failed;
    }
    client->miscTimer = CreateEventLoopDisarmedTimer(eventLoop, MiscTimerHandler);
    client->connectTimer = CreateEventLoopDisarmedTimer(eventLoop, ConnectTimerHandler);
    client->teardownTimer = CreateEventLoopDisarmedTimer(eventLoop, TeardownTimerHandler);
    if (client->miscTimer == NULL || client->connectTimer == NULL ||
        client->teardownTimer == NULL) {
        snprintf(client->lastError, sizeof(client->lastError), "could not create timers: %s",
                 strerror(errno));
        DisposeEventLoopTimer(client->miscTimer);
        DisposeEventLoopTimer(client->connectTimer);
        DisposeEventLoopTimer(client->teardownTimer);
        client->miscTimer = client->connectTimer = client->teardownTimer = NULL;
        return MqttClient_Result_Failed;
    }
    clients[slot] = client;
    return MqttClient_Result_Ok;
}

void MqttClient_Close(MqttClient *client) {
    if (client == NULL) {
        return;
    }
    DestroyHandle(client);
    client->closing = false;
    DisposeEventLoopTimer(client->miscTimer);
    DisposeEventLoopTimer(client->connectTimer);
    DisposeEventLoopTimer(client->teardownTimer);
    client->miscTimer = client->connectTimer = client->teardownTimer = NULL;
    for (size_t i = 0; i < MAX_CLIENTS; i++) {
        if (clients[i] == client) {
            clients[i] = NULL;
        }
    }
}

// The TLS context is made here rather than by libmosquitto so that the client certificate can
// be installed the way Azure Sphere requires (DeviceAuth_SslCtxFunc). libmosquitto then uses it
// as it is: its "defaults" for a caller's context (MOSQ_OPT_SSL_CTX_WITH_DEFAULTS) include a
// verification callback that fails every handshake in 2.0.11 when libmosquitto did not create
// the context itself, so the trusted CAs, peer verification and the host-name check are set up
// by mqtt_tls.c. libmosquitto holds its own reference to the context.
static MqttClient_Result ConfigureTls(MqttClient *client, const MqttClient_Settings *settings) {
    char reason[MQTT_CLIENT_REASON_SIZE];
    void *context =
        MqttTls_CreateClientContext(settings->host, settings->caPath,
                                    settings->configureClientCertificate, reason, sizeof(reason));
    if (context == NULL) {
        snprintf(client->lastError, sizeof(client->lastError), "%s", reason);
        return MqttClient_Result_Failed;
    }
    MqttClient_Result result = MqttClient_Result_Failed;
    int rc = mosquitto_int_option(client->mosq, MOSQ_OPT_SSL_CTX_WITH_DEFAULTS, 0);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc = mosquitto_void_option(client->mosq, MOSQ_OPT_SSL_CTX, context);
    }
    if (rc != MOSQ_ERR_SUCCESS) {
        SetLastError(client, "TLS context", rc);
    } else {
        result = MqttClient_Result_Ok;
    }
    MqttTls_FreeClientContext(context);
    return result;
}

static MqttClient_Result ConfigureHandle(MqttClient *client, const MqttClient_Settings *settings) {
    struct mosquitto *mosq = client->mosq;
    mosquitto_connect_callback_set(mosq, OnConnect);
    mosquitto_disconnect_callback_set(mosq, OnDisconnect);
    mosquitto_message_callback_set(mosq, OnMessage);
    mosquitto_publish_callback_set(mosq, OnPublish);
    mosquitto_subscribe_callback_set(mosq, OnSubscribe);
    int rc = mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    if (rc != MOSQ_ERR_SUCCESS) {
        SetLastError(client, "protocol version", rc);
        return MqttClient_Result_Failed;
    }
    rc = mosquitto_username_pw_set(mosq, settings->username, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        SetLastError(client, "username", rc);
        return MqttClient_Result_Failed;
    }
    return ConfigureTls(client, settings);
}

MqttClient_Result MqttClient_Connect(MqttClient *client, const MqttClient_Settings *settings) {
    if (client == NULL || settings == NULL || settings->host == NULL ||
        settings->clientId == NULL || settings->username == NULL ||
        settings->configureClientCertificate == NULL || settings->caPath == NULL ||
        settings->port <= 0 || settings->port > 65535 || settings->keepAliveSeconds < 5 ||
        settings->connectTimeoutMs == 0) {
        return MqttClient_Result_InvalidArgument;
    }
    if (client->mosq != NULL || client->closing) {
        return MqttClient_Result_WrongState;
    }
    client->lastError[0] = '\0';
    client->mosq = mosquitto_new(settings->clientId, settings->cleanSession, client);
    if (client->mosq == NULL) {
        snprintf(client->lastError, sizeof(client->lastError), "mosquitto_new: %s",
                 strerror(errno));
        return MqttClient_Result_Failed;
    }
    MqttClient_Result result = ConfigureHandle(client, settings);
    if (result == MqttClient_Result_Ok) {
        int rc = mosquitto_connect_async(client->mosq, settings->host, settings->port,
                                         settings->keepAliveSeconds);
        if (rc != MOSQ_ERR_SUCCESS || mosquitto_socket(client->mosq) < 0) {
            SetLastError(client, settings->host, rc != MOSQ_ERR_SUCCESS ? rc : MOSQ_ERR_NO_CONN);
            result = MqttClient_Result_Failed;
        }
    }
    if (result == MqttClient_Result_Ok) {
        client->fd = mosquitto_socket(client->mosq);
        client->registeredEvents = EventLoop_Input | EventLoop_Output;
        client->registration = EventLoop_RegisterIo(
            client->eventLoop, client->fd, client->registeredEvents, SocketEventHandler, client);
        const struct timespec timeout = {
            .tv_sec = settings->connectTimeoutMs / 1000,
            .tv_nsec = (long)(settings->connectTimeoutMs % 1000) * 1000000L};
        if (client->registration == NULL) {
            snprintf(client->lastError, sizeof(client->lastError), "EventLoop_RegisterIo: %s",
                     strerror(errno));
            result = MqttClient_Result_Failed;
        } else if (SetEventLoopTimerPeriod(client->miscTimer, &miscPeriod) != 0 ||
                   SetEventLoopTimerOneShot(client->connectTimer, &timeout) != 0) {
            snprintf(client->lastError, sizeof(client->lastError), "timers: %s", strerror(errno));
            result = MqttClient_Result_Failed;
        }
    }
    if (result != MqttClient_Result_Ok) {
        DestroyHandle(client);
        return result;
    }
    UpdateInterest(client);
    return MqttClient_Result_Ok;
}

MqttClient_Result MqttClient_Publish(MqttClient *client, const char *topic, const void *payload,
                                     size_t length, int qos, int *outMid) {
    if (client == NULL || topic == NULL || (payload == NULL && length > 0) || qos < 0 || qos > 1 ||
        length > INT32_MAX) {
        return MqttClient_Result_InvalidArgument;
    }
    if (!client->sessionOpen || client->closing || client->mosq == NULL) {
        return MqttClient_Result_WrongState;
    }
    int mid = 0;
    int rc = mosquitto_publish(client->mosq, &mid, topic, (int)length, payload, qos, false);
    if (rc != MOSQ_ERR_SUCCESS) {
        SetLastError(client, "publish", rc);
        AfterActivity(client, MOSQ_ERR_SUCCESS, "publish");
        return MqttClient_Result_Failed;
    }
    if (outMid != NULL) {
        *outMid = mid;
    }
    AfterActivity(client, MOSQ_ERR_SUCCESS, "publish");
    return MqttClient_Result_Ok;
}

MqttClient_Result MqttClient_Subscribe(MqttClient *client, int count, char *const *filters, int qos,
                                       int *outMid) {
    if (client == NULL || count <= 0 || filters == NULL || qos < 0 || qos > 1) {
        return MqttClient_Result_InvalidArgument;
    }
    if (!client->sessionOpen || client->closing || client->mosq == NULL) {
        return MqttClient_Result_WrongState;
    }
    int mid = 0;
    int rc = mosquitto_subscribe_multiple(client->mosq, &mid, count, filters, qos, 0, NULL);
    if (rc != MOSQ_ERR_SUCCESS) {
        SetLastError(client, "subscribe", rc);
        AfterActivity(client, MOSQ_ERR_SUCCESS, "subscribe");
        return MqttClient_Result_Failed;
    }
    if (outMid != NULL) {
        *outMid = mid;
    }
    AfterActivity(client, MOSQ_ERR_SUCCESS, "subscribe");
    return MqttClient_Result_Ok;
}

void MqttClient_Disconnect(MqttClient *client) {
    if (client == NULL || client->mosq == NULL || client->closing) {
        return;
    }
    if (client->sessionOpen) {
        // Best effort: from inside a callback the packet is only queued and goes with the
        // handle; a hub treats a missing DISCONNECT as a dropped connection, nothing worse.
        (void)mosquitto_disconnect(client->mosq);
    }
    BeginClose(client, MqttClient_CloseReason_Requested, -1, "disconnect requested");
}

bool MqttClient_IsConnected(const MqttClient *client) {
    return client != NULL && client->sessionOpen && !client->closing;
}

bool MqttClient_IsBusy(const MqttClient *client) {
    return client != NULL && (client->mosq != NULL || client->closing);
}

const char *MqttClient_LastError(const MqttClient *client) {
    return client != NULL ? client->lastError : "";
}
