// SPDX-License-Identifier: MIT
// The deferral decisions and the pendingUpdate document; see update_deferral.h.

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "update_deferral.h"

#define MS_PER_MINUTE 60000u

void UpdateDeferral_Init(UpdateDeferral *state) {
    if (state != NULL) {
        memset(state, 0, sizeof(*state));
        state->phase = UpdateDeferral_Phase_None;
        state->type = UpdateDeferral_Type_Unknown;
    }
}

void UpdateDeferral_SetMaintenance(UpdateDeferral *state, uint64_t nowMs, uint32_t seconds) {
    if (state == NULL) {
        return;
    }
    if (seconds > UPDATE_DEFERRAL_MAX_MAINTENANCE_SECONDS) {
        seconds = UPDATE_DEFERRAL_MAX_MAINTENANCE_SECONDS;
    }
    state->inMaintenance = seconds > 0;
    state->maintenanceEndMs = seconds > 0 ? nowMs + (uint64_t)seconds * 1000u : 0;
}

bool UpdateDeferral_IsInMaintenance(const UpdateDeferral *state, uint64_t nowMs) {
    return state != NULL && state->inMaintenance && nowMs < state->maintenanceEndMs;
}

uint64_t UpdateDeferral_RemainingMs(const UpdateDeferral *state, uint64_t nowMs) {
    return UpdateDeferral_IsInMaintenance(state, nowMs) ? state->maintenanceEndMs - nowMs : 0;
}

uint32_t UpdateDeferral_RemainingMinutes(const UpdateDeferral *state, uint64_t nowMs) {
    uint64_t remainingMs = UpdateDeferral_RemainingMs(state, nowMs);
    // The window is at most a day, so this never comes near UINT32_MAX.
    return (uint32_t)((remainingMs + MS_PER_MINUTE - 1u) / MS_PER_MINUTE);
}

void UpdateDeferral_OnUpdateStarted(UpdateDeferral *state) {
    if (state != NULL) {
        state->phase = UpdateDeferral_Phase_Downloading;
        state->deferInEffect = false;
    }
}

void UpdateDeferral_OnNoUpdateAvailable(UpdateDeferral *state) {
    if (state != NULL) {
        state->phase = UpdateDeferral_Phase_None;
        state->type = UpdateDeferral_Type_Unknown;
        state->deferInEffect = false;
    }
}

uint32_t UpdateDeferral_OnPending(UpdateDeferral *state, UpdateDeferral_Type type,
                                  uint32_t maxDeferralMinutes, uint64_t nowMs) {
    if (state == NULL) {
        return 0;
    }
    state->phase = UpdateDeferral_Phase_Pending;
    state->type = type;
    state->maxDeferralMinutes = maxDeferralMinutes;
    // A new Pending means the previous deferral has run out: there is nothing left to resume.
    state->deferInEffect = false;
    state->deferredMinutes = 0;
    if (maxDeferralMinutes == 0) {
        return 0;
    }
    return UpdateDeferral_RemainingMinutes(state, nowMs);
}

void UpdateDeferral_OnDeferResult(UpdateDeferral *state, uint32_t requestedMinutes, bool succeeded,
                                  int64_t wallNowSeconds) {
    if (state == NULL) {
        return;
    }
    state->deferInEffect = succeeded;
    if (!succeeded) {
        state->deferredMinutes = 0;
        return;
    }
    // The OS grants no more than its budget; report what was granted, not what was asked.
    uint32_t granted = requestedMinutes;
    if (state->maxDeferralMinutes > 0 && granted > state->maxDeferralMinutes) {
        granted = state->maxDeferralMinutes;
    }
    state->deferredMinutes = granted;
    state->deferredUntilWallSeconds = wallNowSeconds + (int64_t)granted * 60;
}

void UpdateDeferral_OnDeferred(UpdateDeferral *state) {
    if (state != NULL) {
        state->phase = UpdateDeferral_Phase_Deferred;
    }
}

void UpdateDeferral_OnFinal(UpdateDeferral *state, UpdateDeferral_Type type) {
    if (state == NULL) {
        return;
    }
    state->phase = UpdateDeferral_Phase_Final;
    if (type != UpdateDeferral_Type_Unknown) {
        state->type = type;
    }
    state->deferInEffect = false;
}

void UpdateDeferral_OnComplete(UpdateDeferral *state) {
    UpdateDeferral_OnNoUpdateAvailable(state);
}

bool UpdateDeferral_ShouldResume(const UpdateDeferral *state, uint64_t nowMs) {
    return state != NULL && state->deferInEffect && state->phase != UpdateDeferral_Phase_Final &&
           !UpdateDeferral_IsInMaintenance(state, nowMs);
}

void UpdateDeferral_OnResumed(UpdateDeferral *state) {
    if (state != NULL) {
        state->deferInEffect = false;
    }
}

const char *UpdateDeferral_TypeName(UpdateDeferral_Type type) {
    switch (type) {
        case UpdateDeferral_Type_App:
            return "app";
        case UpdateDeferral_Type_Os:
            return "os";
        default:
            return "unknown";
    }
}

static const char *PhaseName(UpdateDeferral_Phase phase) {
    static const char *const names[] = {"none", "downloading", "pending", "deferred", "final"};
    return (unsigned int)phase < sizeof(names) / sizeof(names[0]) ? names[phase] : "none";
}

bool UpdateDeferral_FormatPending(const UpdateDeferral *state, char *buffer, size_t size) {
    if (buffer != NULL && size > 0) {
        buffer[0] = '\0';
    }
    if (state == NULL || buffer == NULL || size == 0) {
        return false;
    }
    int length = 0;
    switch (state->phase) {
        case UpdateDeferral_Phase_Pending:
            length = snprintf(
                buffer, size, "{\"status\":\"pending\",\"type\":\"%s\",\"maxDeferralMinutes\":%u}",
                UpdateDeferral_TypeName(state->type), (unsigned int)state->maxDeferralMinutes);
            break;
        case UpdateDeferral_Phase_Deferred: {
            char until[32] = "";
            time_t seconds = (time_t)state->deferredUntilWallSeconds;
            struct tm utc;
            if (gmtime_r(&seconds, &utc) == NULL ||
                strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) {
                until[0] = '\0';
            }
            length = snprintf(buffer, size,
                              "{\"status\":\"deferred\",\"type\":\"%s\",\"maxDeferralMinutes\":%u,"
                              "\"deferredMinutes\":%u,\"deferredUntil\":\"%s\"}",
                              UpdateDeferral_TypeName(state->type),
                              (unsigned int)state->maxDeferralMinutes,
                              (unsigned int)state->deferredMinutes, until);
            break;
        }
        case UpdateDeferral_Phase_Final:
            length = snprintf(buffer, size, "{\"status\":\"final\",\"type\":\"%s\"}",
                              UpdateDeferral_TypeName(state->type));
            break;
        default:
            length = snprintf(buffer, size, "{\"status\":\"%s\"}", PhaseName(state->phase));
            break;
    }
    if (length < 0 || (size_t)length >= size) {
        buffer[0] = '\0';
        return false;
    }
    return true;
}
