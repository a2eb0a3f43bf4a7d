// SPDX-License-Identifier: MIT
// What the reference app does with commands from the cloud, minus the doing: the direct methods
// setLed, reboot, maintenance and getDiagnostics, and cloud-to-device messages. Each handler
// validates a hostile payload, decides the status and JSON reply, and tells the caller what action
// to take (switch an LED, schedule PowerManagement_ForceSystemReboot) through an out-parameter, so
// the module has no I/O and its decisions can be unit-tested.
//
// Replies follow one convention: 200 with a JSON object describing what will happen; 400 with
// {"error": "...", "field": "<name>"} when a field is missing or wrong; 404 with
// {"error": "...", "method": "<name>"} for an unknown method; 413 for a payload beyond
// METHOD_HANDLERS_MAX_PAYLOAD_LENGTH.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iothub_topics.h"

/// Direct-method payloads longer than this are refused (413) without being parsed. IoT Hub
/// allows 128 KiB, which this app's commands never need and its memory could not spare.
#define METHOD_HANDLERS_MAX_PAYLOAD_LENGTH 4096u
#define METHOD_HANDLERS_MAX_REBOOT_DELAY_SECONDS 3600u
/// The longest maintenance window (one day); the same as UPDATE_DEFERRAL_MAX_MAINTENANCE_SECONDS.
#define METHOD_HANDLERS_MAX_MAINTENANCE_SECONDS 86400u
/// A response buffer of this size holds every reply the handlers produce.
#define METHOD_HANDLERS_RESPONSE_SIZE 512u
/// IoT Hub's largest C2D message; the app accepts no more.
#define METHOD_HANDLERS_MAX_C2D_LENGTH (64u * 1024u)
/// C2D bodies declared as JSON are parsed only up to this size.
#define METHOD_HANDLERS_MAX_C2D_JSON_LENGTH 8192u
/// A summary buffer of this size holds every C2D summary in full.
#define METHOD_HANDLERS_C2D_SUMMARY_SIZE 192u

/// The LEDs the app drives: LED1 red (SAMPLE_LED) and LED2 green (SAMPLE_RGBLED_GREEN).
typedef enum {
    MethodHandlers_Led_Led1,
    MethodHandlers_Led_Led2,
} MethodHandlers_Led;

typedef enum {
    MethodHandlers_ActionType_None,
    /// Set action.led to action.ledOn.
    MethodHandlers_ActionType_SetLed,
    /// Call PowerManagement_ForceSystemReboot after action.rebootDelaySeconds (after the reply
    /// has been published, so the caller learns the reboot was accepted).
    MethodHandlers_ActionType_Reboot,
    /// Start a maintenance window of action.maintenanceSeconds, during which software updates
    /// are deferred (0 ends the window now); see update_deferral.h.
    MethodHandlers_ActionType_Maintenance,
} MethodHandlers_ActionType;

typedef struct {
    MethodHandlers_ActionType type;
    MethodHandlers_Led led;
    bool ledOn;
    uint32_t rebootDelaySeconds;
    uint32_t maintenanceSeconds;
} MethodHandlers_Action;

typedef struct {
    bool connected;
    uint32_t connects;
    uint32_t disconnects;
    uint32_t failedAttempts;
    uint64_t messagesSent;
    uint64_t messagesAcknowledged;
} MethodHandlers_ConnectionStatistics;

/// Figures for getDiagnostics, gathered by the caller (Applications_Get*MemoryUsageInKB, the
/// connection and the telemetry queue) just before handling the call.
typedef struct {
    uint64_t uptimeSeconds;
    uint32_t totalMemoryKB;
    uint32_t userMemoryKB;
    uint32_t peakUserMemoryKB;
    MethodHandlers_ConnectionStatistics connection;
    uint32_t queueDepth;
} MethodHandlers_Diagnostics;

/// Handles the direct method methodName with length bytes of payload (need not be
/// NUL-terminated). diagnostics is needed only for getDiagnostics (NULL gives 500 there).
/// Writes the JSON reply, NUL-terminated, to response and its length to *outResponseLength, and
/// what the caller must do to *outAction (type None unless the status is 200).
/// Returns the status for the method response topic: 200, 400, 404, 413, or 500 when an
/// argument is NULL or the reply does not fit (then the reply is the shortest error that fits,
/// or empty).
int MethodHandlers_HandleMethod(const char *methodName, const char *payload, size_t length,
                                const MethodHandlers_Diagnostics *diagnostics,
                                MethodHandlers_Action *outAction, char *response,
                                size_t responseSize, size_t *outResponseLength);

/// Returns the canonical name of led ("LED1", "LED2"), or "?" for a value out of range.
const char *MethodHandlers_LedName(MethodHandlers_Led led);

/// Inspects a cloud-to-device message whose topic has been parsed: the body must be at most
/// METHOD_HANDLERS_MAX_C2D_LENGTH bytes of UTF-8 text without NUL or control characters other
/// than tab and line breaks, and when its $.ct says application/json, one JSON value of at most
/// METHOD_HANDLERS_MAX_C2D_JSON_LENGTH bytes. Writes a one-line, printable summary for the log
/// (message id, size, kind, a sanitised preview, or the reason for rejection) into summary.
/// Returns true when the message is accepted (the app then blinks its LED), false when it is
/// rejected or an argument is NULL.
bool MethodHandlers_HandleCloudToDevice(const IoTHubTopics_ParsedTopic *topic,
                                        const uint8_t *payload, size_t length, char *summary,
                                        size_t summarySize);
