// SPDX-License-Identifier: MIT
// What the app does over its IoT Hub connection besides telemetry: keeps its device twin in
// step (GET the full twin on every connection, then apply newer desired-property
// notifications only, acknowledge writable properties the Plug and Play way, report the
// device's state), answers direct methods and takes cloud-to-device messages. The decisions
// are made by the I/O-free modules twin_state, request_tracker and method_handlers; this
// module moves their input and output over the connection and tells main what to do.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <applibs/eventloop.h>

#include "exitcodes.h"
#include "method_handlers.h"

/// How often queue depth and dropped count are checked for a new report, at most.
#define CLOUD_SERVICES_REPORT_CHECK_SECONDS 30

typedef struct {
    /// The twin set a new telemetry period (seconds, 1..3600).
    void (*telemetryPeriodChanged)(uint32_t seconds);
    /// setLed was called and accepted.
    void (*setLed)(MethodHandlers_Led led, bool on);
    /// reboot was called and accepted; the reply has been queued for sending.
    void (*rebootRequested)(uint32_t delaySeconds);
    /// An accepted C2D message arrived (already logged).
    void (*cloudToDeviceReceived)(void);
    /// Fills uptime and memory figures for getDiagnostics.
    void (*fillDiagnostics)(MethodHandlers_Diagnostics *diagnostics);
    /// maintenance was called and accepted (0 ends the window).
    void (*maintenanceRequested)(uint32_t seconds);
    /// Return the pendingUpdate and lastUpdateResult reported properties as JSON, or NULL to
    /// leave them out; called each time the report is built.
    const char *(*pendingUpdateJson)(void);
    const char *(*lastUpdateResultJson)(void);
} CloudServices_Callbacks;

typedef struct {
    const char *firmwareVersion;
    const char *lastBootReason;
    uint32_t defaultTelemetryPeriodSeconds;
} CloudServices_DeviceInfo;

/// Sets up the twin state and the timers. info's strings must outlive the module.
/// Returns ExitCode_Success or the ExitCode of the step that failed.
ExitCode CloudServices_Initialise(EventLoop *eventLoop, const CloudServices_DeviceInfo *info,
                                  const CloudServices_Callbacks *callbacks);

void CloudServices_Cleanup(void);

/// The hub connection is up (subscriptions in place): fetch the twin.
void CloudServices_OnConnected(void);

/// The hub connection is gone: outstanding twin requests are abandoned.
void CloudServices_OnDisconnected(void);

/// A message from the hub; anything that is not a twin answer, desired-property
/// notification, method call or C2D message for this device is logged and dropped.
void CloudServices_OnMessage(const char *topic, const void *payload, size_t length);

/// Something in the device report changed (for example the update state): report it now if
/// connected, or with the next report otherwise.
void CloudServices_ReportDeviceState(void);

/// Returns the telemetry period in force, in seconds.
uint32_t CloudServices_GetTelemetryPeriodSeconds(void);
