// SPDX-License-Identifier: MIT
// The app's side of its device twin: which desired-property version it has applied, the
// writable property telemetryPeriodSeconds, and the reported-property patches that acknowledge
// it (the IoT Plug and Play way: {"prop": {"value", "ac", "av", "ad"}}) and report the device's
// state (firmwareVersion, serialNumber, lastBootReason, queueDepth, droppedMessages).
//
// Desired-property notifications are sent only while the device is connected, so the protocol
// for not missing any is: on every (re)connection subscribe to notifications, then GET the full
// twin, apply it, and from then on apply only notifications whose $version is newer than the
// last applied one. This module enforces that ordering; notifications that arrive before the
// GET answer are not applied but remembered, and a GET answer older than one of them is refused
// so the caller asks again. No I/O: the caller passes payloads in and publishes what comes out.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// Largest twin document or patch accepted. IoT Hub allows 32 KiB of desired properties, but
/// parsing that much would take a large part of the app's 256 KiB; this app's own properties
/// need a few hundred bytes, and a larger document is refused as malformed and logged.
#define TWIN_STATE_MAX_DOCUMENT_LENGTH (16u * 1024u)

#define TWIN_STATE_TELEMETRY_PERIOD_MIN_SECONDS 1u
#define TWIN_STATE_TELEMETRY_PERIOD_MAX_SECONDS 3600u

typedef enum {
    /// Waiting for the full twin after (re)connecting; notifications are not applied yet.
    TwinState_Phase_AwaitingDocument,
    /// The full twin was applied on this connection; newer notifications apply directly.
    TwinState_Phase_Synchronised,
} TwinState_Phase;

typedef enum {
    TwinState_Result_Ok = 0,
    /// A notification whose $version is not newer than the last applied one: ignored.
    TwinState_Result_Stale,
    /// A notification before the full twin arrived: not applied, since the full twin will
    /// include it; its version is remembered.
    TwinState_Result_Deferred,
    /// A full twin older than a notification seen while waiting for it: ignored; send another
    /// GET.
    TwinState_Result_DocumentOutdated,
    /// Not JSON, too large, or not the expected shape (no object, no usable "$version").
    TwinState_Result_Malformed,
    /// BuildReportedPatch only: no acknowledgement pending and no device report given.
    TwinState_Result_NothingToReport,
    /// BuildReportedPatch only: the patch does not fit in the buffer.
    TwinState_Result_BufferTooSmall,
    TwinState_Result_InvalidArgument,
} TwinState_Result;

/// What applying a document or notification changed.
typedef struct {
    bool telemetryPeriodChanged;
    uint32_t telemetryPeriodSeconds;
    /// An acknowledgement is waiting: build a reported patch and send it.
    bool acknowledgementPending;
} TwinState_Changes;

/// Reported-only properties, sent as they are. Strings may be NULL to leave them out.
typedef struct {
    const char *firmwareVersion;
    const char *serialNumber;
    const char *lastBootReason;
    uint32_t queueDepth;
    uint64_t droppedMessages;
    /// Already-serialised JSON values reported as they are (pendingUpdate and lastUpdateResult,
    /// see update_deferral.h and update_record.h); NULL or empty leaves them out.
    const char *pendingUpdateJson;
    const char *lastUpdateResultJson;
} TwinState_DeviceReport;

typedef struct {
    TwinState_Phase phase;
    bool hasAppliedVersion;
    uint64_t appliedVersion;
    bool hasDeferredVersion;
    uint64_t newestDeferredVersion;
    uint32_t telemetryPeriodSeconds;
    struct {
        bool pending;
        uint32_t generation;
        int code;
        uint64_t version;
        uint32_t value;
        const char *description;
    } acknowledgement;
} TwinState;

/// Starts with nothing applied and the given telemetry period (clamped into 1..3600), waiting
/// for a full twin.
void TwinState_Init(TwinState *state, uint32_t defaultTelemetryPeriodSeconds);

/// Call after subscribing to desired-property notifications on a new connection, before
/// sending the twin GET. The last applied version is kept for logs, but the next full twin
/// replaces it, since a twin that was deleted and re-created starts again from low versions.
void TwinState_OnConnected(TwinState *state);

/// Applies a full twin, the body of a 200 answer to a GET: {"desired": {..., "$version": n},
/// "reported": {...}}. Always acknowledges telemetryPeriodSeconds when the document has it, as
/// Plug and Play expects at start-up.
/// Returns TwinState_Result_Ok (then *outChanges, when not NULL, says what changed),
/// DocumentOutdated, Stale (older than what this connection already applied), Malformed or
/// InvalidArgument; only Ok changes anything.
TwinState_Result TwinState_ApplyDocument(TwinState *state, const char *payload, size_t length,
                                         TwinState_Changes *outChanges);

/// Applies a desired-property notification, whose version comes from its topic.
/// Returns TwinState_Result_Ok (see *outChanges), Stale, Deferred, Malformed or
/// InvalidArgument; only Ok changes properties.
TwinState_Result TwinState_ApplyDesiredPatch(TwinState *state, uint64_t version,
                                             const char *payload, size_t length,
                                             TwinState_Changes *outChanges);

/// Builds a reported-properties patch holding the pending acknowledgement, if any, and the
/// device report, if not NULL. *outGeneration identifies the acknowledgement it carries; give
/// it back to TwinState_ConfirmReported when the hub accepts the patch (204).
/// Returns TwinState_Result_Ok with the JSON text (NUL-terminated) and its length;
/// NothingToReport, BufferTooSmall or InvalidArgument with an empty buffer otherwise.
TwinState_Result TwinState_BuildReportedPatch(const TwinState *state,
                                              const TwinState_DeviceReport *report, char *buffer,
                                              size_t size, size_t *outLength,
                                              uint32_t *outGeneration);

/// The hub accepted a patch built with this generation: the acknowledgement it carried is no
/// longer pending, unless a newer one has replaced it since.
void TwinState_ConfirmReported(TwinState *state, uint32_t generation);

/// Returns whether an acknowledgement waits to be reported.
bool TwinState_IsAcknowledgementPending(const TwinState *state);

/// Returns the telemetry period currently in force, in seconds.
uint32_t TwinState_GetTelemetryPeriodSeconds(const TwinState *state);

/// Returns the current phase.
TwinState_Phase TwinState_GetPhase(const TwinState *state);

/// Returns true and the last applied desired $version in *outVersion, or false when no
/// document or notification has been applied yet.
bool TwinState_GetAppliedVersion(const TwinState *state, uint64_t *outVersion);
