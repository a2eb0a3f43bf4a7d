// SPDX-License-Identifier: MIT
// The app's connection to IoT Hub: MQTT 3.1.1 over TLS with X.509 authentication, to the hub
// named by --Hostname or to the one DPS assigns for --ScopeID. It waits until networking and
// device authentication are ready (as the Azure Sphere samples do), connects, subscribes to
// the hub's downstream topics (twin answers, desired-property notifications, direct methods,
// C2D), and tells its owner when the session is usable and when it ends. Every failure is
// logged with its reason and retried after an exponential backoff with full jitter (1 s to
// 10 min, 30 s floor after "server unavailable"), reset by a successful connection.
//
// Before each attempt the device certificate is read again, so a certificate the OS renewed
// is used from the next connection on.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <applibs/eventloop.h>

#include "exitcodes.h"
#include "method_handlers.h"
#include "options.h"

#define CLOUD_CONNECTION_PORT 8883
#define CLOUD_CONNECTION_KEEP_ALIVE_SECONDS 60
#define CLOUD_CONNECTION_CONNECT_TIMEOUT_MS 30000u
/// IoT Hub's documented api-version for the MQTT username.
#define CLOUD_CONNECTION_API_VERSION "2021-04-12"
/// With --ScopeID, after this many failed hub connections in a row the device asks DPS again,
/// in case it was moved to another hub (azure-sdk-for-c suggests the same number).
#define CLOUD_CONNECTION_MAX_HUB_FAILURES_BEFORE_DPS 10u
/// A device certificate that reads well but cannot be installed in a TLS context this many times
/// in a row means the TLS library itself is broken in this process (OpenSSL, once an allocation
/// fails while it builds its algorithm tables, never builds them again): the app exits so the
/// OS starts it afresh.
#define CLOUD_CONNECTION_MAX_CERTIFICATE_INSTALL_FAILURES 2u

typedef struct {
    /// Subscriptions are in place: twin, methods and C2D traffic can flow.
    void (*connected)(void);
    /// The session ended (after connected only). Messages without PUBACK may or may not have
    /// reached the hub.
    void (*disconnected)(void);
    /// A message from the hub (topic and payload valid during the call only).
    void (*messageReceived)(const char *topic, const void *payload, size_t length);
    /// A publish whose mid CloudConnection_Publish returned has gone: PUBACK for QoS 1, written
    /// to the socket for QoS 0 (libmosquitto reports both). Returns true when mid was a QoS 1
    /// message the owner tracks, which then counts as acknowledged in the statistics.
    bool (*publishAcknowledged)(int mid);
    /// Something this process cannot recover from (the app should exit with exitCode and let
    /// the OS start it afresh), such as a TLS library left broken by running out of memory.
    ExitCode_CallbackType failed;
} CloudConnection_Callbacks;

/// Sets up the connection and makes the first attempt as soon as the event loop runs.
/// Returns ExitCode_Success or the ExitCode of the step that failed.
ExitCode CloudConnection_Initialise(EventLoop *eventLoop, const Options *options,
                                    const CloudConnection_Callbacks *callbacks);

/// Closes any connection (no callbacks) and frees everything.
void CloudConnection_Cleanup(void);

/// Returns true between connected and disconnected.
bool CloudConnection_IsConnected(void);

/// Returns the device id of the current or last connection ("" before the first).
const char *CloudConnection_GetDeviceId(void);

/// Publishes while connected. QoS 1 messages count as sent, and as acknowledged on PUBACK.
/// Returns true with the message id in *outMid (may be NULL); false when not connected or the
/// publish failed (logged).
bool CloudConnection_Publish(const char *topic, const void *payload, size_t length, int qos,
                             int *outMid);

/// Connection figures for getDiagnostics.
void CloudConnection_GetStatistics(MethodHandlers_ConnectionStatistics *outStatistics);
