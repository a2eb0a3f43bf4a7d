// SPDX-License-Identifier: MIT
// One MQTT 3.1.1 connection over TLS, made with libmosquitto and driven by the app's applibs
// event loop: the client's socket is registered with EventLoop_RegisterIo (input always, output
// while libmosquitto has bytes to send), and a one-second event-loop timer runs
// mosquitto_loop_misc for keep-alive pings. There are no threads: every callback below runs on
// the event loop, from inside EventLoop_Run.
//
// Each connection attempt gets a fresh libmosquitto handle and TLS context, destroyed when the
// connection ends. That keeps libmosquitto from re-sending messages on its own after a
// reconnect (the telemetry queue decides what is re-sent) and loads the device certificate
// again on every connect, so a certificate the OS has rotated is picked up.
//
// DPS provisioning and the IoT Hub connection both use this module, one after the other.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <applibs/eventloop.h>

#include "eventloop_timer_utilities.h"

struct mosquitto;
struct mosquitto_message;

/// Buffer size for the one-line description of why a connection ended.
#define MQTT_CLIENT_REASON_SIZE 160

typedef enum {
    MqttClient_Result_Ok = 0,
    /// Connect: already connecting or connected. Publish/Subscribe: not connected (no CONNACK).
    MqttClient_Result_WrongState,
    /// A required argument is NULL or out of range.
    MqttClient_Result_InvalidArgument,
    /// libmosquitto refused the call; the reason is in the client's lastError.
    MqttClient_Result_Failed,
} MqttClient_Result;

/// How a connection ended (MqttClient_Callbacks.closed).
typedef enum {
    /// MqttClient_Disconnect was called.
    MqttClient_CloseReason_Requested,
    /// The host name could not be resolved, the TCP connection or the TLS handshake failed,
    /// or the OS refused the connection (for example a host not in AllowedConnections).
    MqttClient_CloseReason_ConnectFailed,
    /// The server answered CONNECT with a non-zero return code (connackCode says which).
    MqttClient_CloseReason_Refused,
    /// No CONNACK within the connect timeout.
    MqttClient_CloseReason_Timeout,
    /// An established connection dropped (peer closed it, network error, keep-alive expired).
    MqttClient_CloseReason_Lost,
} MqttClient_CloseReason;

typedef struct {
    /// CONNACK with return code 0: the session is open.
    void (*connected)(void *context);
    /// The connection is over and its handle destroyed; the client can connect again from
    /// inside this callback. connackCode is the CONNACK return code for Refused, else -1.
    void (*closed)(void *context, MqttClient_CloseReason reason, int connackCode,
                   const char *description);
    void (*message)(void *context, const struct mosquitto_message *message);
    /// PUBACK for a QoS 1 publish (mid from MqttClient_Publish).
    void (*published)(void *context, int mid);
    /// SUBACK; grantedQos[i] is 128 where the server refused filter i.
    void (*subscribed)(void *context, int mid, int count, const int *grantedQos);
} MqttClient_Callbacks;

typedef struct {
    const char *host;
    int port;
    const char *clientId;
    const char *username;
    /// Puts the client certificate and key into the TLS context (an OpenSSL-API SSL_CTX),
    /// as DeviceAuth_SslCtxFunc does on Azure Sphere, where the key never leaves the hardware.
    /// Returns false, with a reason in error, when it cannot.
    bool (*configureClientCertificate)(void *sslContext, char *error, size_t errorSize);
    /// PEM file with the trusted CA certificates.
    const char *caPath;
    int keepAliveSeconds;
    bool cleanSession;
    /// From the start of the attempt to CONNACK.
    uint32_t connectTimeoutMs;
} MqttClient_Settings;

/// The client. Treat the fields as private; the caller provides the memory.
typedef struct {
    EventLoop *eventLoop;
    MqttClient_Callbacks callbacks;
    void *context;
    struct mosquitto *mosq;
    int fd;
    EventRegistration *registration;
    EventLoop_IoEvents registeredEvents;
    bool sessionOpen;
    bool closing;
    bool closeRequested;
    MqttClient_CloseReason closeReason;
    int connackCode;
    char closeDescription[MQTT_CLIENT_REASON_SIZE];
    EventLoopTimer *miscTimer;
    EventLoopTimer *connectTimer;
    EventLoopTimer *teardownTimer;
    char lastError[MQTT_CLIENT_REASON_SIZE];
} MqttClient;

/// Prepares the client and its timers. mosquitto_lib_init must have been called.
/// Returns MqttClient_Result_Ok, or Failed (errno from the timer calls) or InvalidArgument.
MqttClient_Result MqttClient_Init(MqttClient *client, EventLoop *eventLoop,
                                  const MqttClient_Callbacks *callbacks, void *context);

/// Destroys any connection at once, without callbacks, and frees the timers. Must not be
/// called from inside one of the client's callbacks.
void MqttClient_Close(MqttClient *client);

/// Starts connecting (name lookup, non-blocking TCP connect, TLS, CONNECT). Everything after
/// the lookup and the start of the TCP connect happens in the event loop, ending in connected
/// or closed.
/// Returns Ok when the attempt is under way; WrongState when one is already open; Failed (the
/// reason, with errno where there is one, is in MqttClient_LastError) when it could not start,
/// in which case no callback follows.
MqttClient_Result MqttClient_Connect(MqttClient *client, const MqttClient_Settings *settings);

/// Publishes length bytes at QoS 0 or 1; *outMid (may be NULL) identifies the PUBACK.
/// Returns Ok, WrongState before CONNACK or while closing, InvalidArgument, or Failed.
MqttClient_Result MqttClient_Publish(MqttClient *client, const char *topic, const void *payload,
                                     size_t length, int qos, int *outMid);

/// Subscribes to count filters in one SUBSCRIBE packet, all at qos. Errors as Publish.
MqttClient_Result MqttClient_Subscribe(MqttClient *client, int count, char *const *filters, int qos,
                                       int *outMid);

/// Sends DISCONNECT if connected and ends the connection; closed follows with Requested.
/// Does nothing when there is no connection.
void MqttClient_Disconnect(MqttClient *client);

/// Returns true from CONNACK until the connection ends.
bool MqttClient_IsConnected(const MqttClient *client);

/// Returns true while a connection exists in any stage (connecting, open or closing).
bool MqttClient_IsBusy(const MqttClient *client);

/// Returns the reason the last call failed (empty when none did).
const char *MqttClient_LastError(const MqttClient *client);
