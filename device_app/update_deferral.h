// SPDX-License-Identifier: MIT
// When the app holds back a software update, decided without any I/O. A "maintenance" window
// (set by the direct method of that name) marks a critical operation that an update restart
// must not interrupt. While it lasts, each UpdateReadyForInstall Pending is answered with a
// deferral for the rest of the window, in whole minutes rounded up (the OS cuts the request down
// to its budget). When the window ends, or is ended early, a deferral still in effect is
// cancelled with SysEvent_ResumeEvent, which the OS accepts only after a successful defer.
// Without a window the update is left to go ahead.
//
// The module also keeps what the app knows about the update in progress and prints it as the
// pendingUpdate reported property. Times given in milliseconds are monotonic (the window runs in
// the app's own time); wall-clock seconds are used only for the reported deferredUntil.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// The longest maintenance window the maintenance method accepts (one day).
#define UPDATE_DEFERRAL_MAX_MAINTENANCE_SECONDS 86400u
/// A buffer of this size holds every pendingUpdate document UpdateDeferral_FormatPending prints.
#define UPDATE_DEFERRAL_PENDING_JSON_SIZE 192u

typedef enum {
    /// No update known: none checked for yet, the last check found none, or one completed.
    UpdateDeferral_Phase_None,
    /// UpdateStarted: a download is under way.
    UpdateDeferral_Phase_Downloading,
    /// UpdateReadyForInstall Pending: may still be deferred.
    UpdateDeferral_Phase_Pending,
    /// UpdateReadyForInstall Deferred.
    UpdateDeferral_Phase_Deferred,
    /// UpdateReadyForInstall Final: SIGTERM and the install follow the warning.
    UpdateDeferral_Phase_Final,
} UpdateDeferral_Phase;

typedef enum {
    UpdateDeferral_Type_Unknown,
    UpdateDeferral_Type_App,
    UpdateDeferral_Type_Os,
} UpdateDeferral_Type;

typedef struct {
    bool inMaintenance;
    uint64_t maintenanceEndMs;
    UpdateDeferral_Phase phase;
    UpdateDeferral_Type type;
    uint32_t maxDeferralMinutes;
    /// A SysEvent_DeferEvent succeeded and its deferral has not ended: resuming is allowed.
    bool deferInEffect;
    uint32_t deferredMinutes;
    int64_t deferredUntilWallSeconds;
} UpdateDeferral;

void UpdateDeferral_Init(UpdateDeferral *state);

/// Starts (or replaces) a maintenance window of seconds from nowMs; 0 ends any window now.
/// Values above UPDATE_DEFERRAL_MAX_MAINTENANCE_SECONDS are cut down to it.
void UpdateDeferral_SetMaintenance(UpdateDeferral *state, uint64_t nowMs, uint32_t seconds);

/// Returns whether a maintenance window is open at nowMs (it closes at its end time).
bool UpdateDeferral_IsInMaintenance(const UpdateDeferral *state, uint64_t nowMs);

/// Returns the rest of the maintenance window in whole minutes, rounded up; 0 when none is
/// open. One millisecond left is a minute.
uint32_t UpdateDeferral_RemainingMinutes(const UpdateDeferral *state, uint64_t nowMs);

/// Returns the rest of the maintenance window in milliseconds; 0 when none is open.
uint64_t UpdateDeferral_RemainingMs(const UpdateDeferral *state, uint64_t nowMs);

void UpdateDeferral_OnUpdateStarted(UpdateDeferral *state);
void UpdateDeferral_OnNoUpdateAvailable(UpdateDeferral *state);

/// UpdateReadyForInstall Pending arrived (an earlier deferral, if any, is over). Returns the
/// minutes to pass to SysEvent_DeferEvent, or 0 to let the update go ahead: no maintenance
/// window is open, or the OS has no whole minute of deferral left to give.
uint32_t UpdateDeferral_OnPending(UpdateDeferral *state, UpdateDeferral_Type type,
                                  uint32_t maxDeferralMinutes, uint64_t nowMs);

/// The outcome of SysEvent_DeferEvent(requestedMinutes) made at wall-clock wallNowSeconds.
/// Only a success allows a later resume.
void UpdateDeferral_OnDeferResult(UpdateDeferral *state, uint32_t requestedMinutes, bool succeeded,
                                  int64_t wallNowSeconds);

void UpdateDeferral_OnDeferred(UpdateDeferral *state);
void UpdateDeferral_OnFinal(UpdateDeferral *state, UpdateDeferral_Type type);
void UpdateDeferral_OnComplete(UpdateDeferral *state);

/// Returns whether SysEvent_ResumeEvent should be called now: a deferral is in effect, the
/// update is not yet Final, and no maintenance window is open at nowMs.
bool UpdateDeferral_ShouldResume(const UpdateDeferral *state, uint64_t nowMs);

/// SysEvent_ResumeEvent was called; whatever it returned, the deferral is no longer ours to end.
void UpdateDeferral_OnResumed(UpdateDeferral *state);

/// Prints the pendingUpdate reported property, for example
/// {"status":"deferred","type":"app","maxDeferralMinutes":10080,"deferredMinutes":5,
///  "deferredUntil":"2026-01-01T00:05:00Z"}. status is none, downloading, pending, deferred or
/// final; the other members appear only where they mean something.
/// Returns false (and an empty string where possible) when an argument is NULL or the buffer
/// is too small.
bool UpdateDeferral_FormatPending(const UpdateDeferral *state, char *buffer, size_t size);

/// Returns the name used in the twin and the log: "app", "os" or "unknown".
const char *UpdateDeferral_TypeName(UpdateDeferral_Type type);
