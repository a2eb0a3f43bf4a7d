// SPDX-License-Identifier: MIT
// Provisioning through DPS over MQTT, as an Azure Sphere app does with --ScopeID: connect to
// global.azure-devices-provisioning.net with the device certificate (registration id = the
// certificate's CN), register, poll the operation until DPS has assigned a hub, and hand back
// the hub's host name and the device id to use there. One provisioning at a time, driven by the
// event loop; the outcome arrives through a callback once DPS's connection is closed.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <applibs/eventloop.h>

#include "dps_protocol.h"
#include "options.h"

/// The whole provisioning (connect, register, polls) must finish within this.
#define DPS_CLIENT_TIMEOUT_MS 90000u

typedef struct {
    bool assigned;
    char assignedHub[OPTIONS_MAX_HOSTNAME_LENGTH + 1];
    char deviceId[DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 1];
    /// Failure only: DPS answered 429 or 5xx (back off from the longer floor), and how long it
    /// asked the device to wait (0 when it did not say).
    bool throttled;
    uint32_t retryAfterMs;
    /// Failure only: one line for the log.
    char detail[200];
} DpsClient_Outcome;

typedef void (*DpsClient_DoneCallback)(const DpsClient_Outcome *outcome);

/// Prepares the client. Returns false (errno set) when its timers cannot be created.
bool DpsClient_Initialise(EventLoop *eventLoop, DpsClient_DoneCallback done);

/// Stops any provisioning without calling done, and frees the client's resources.
void DpsClient_Cleanup(void);

/// Starts provisioning registrationId in idScope. Returns true when it is under way (done will
/// be called exactly once); false with a reason in error when it could not start (including
/// when one is already running), and then done is not called.
/// configureClientCertificate is as in MqttClient_Settings.
bool DpsClient_Start(const char *idScope, const char *registrationId,
                     bool (*configureClientCertificate)(void *sslContext, char *error,
                                                        size_t errorSize),
                     const char *caPath, char *error, size_t errorSize);

/// Returns true while a provisioning is under way.
bool DpsClient_IsBusy(void);
