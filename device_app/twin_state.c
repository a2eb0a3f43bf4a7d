// SPDX-License-Identifier: MIT
// Versions and values arrive as JSON numbers (doubles in cJSON), so each is checked to be an
// exact integer in range before it is used: 30.5 seconds or a $version of 1e300 is a malformed
// input, not something to round. A rejected value leaves the property as it was and is still
// acknowledged (ac 400) so the operator sees why the device did not follow the twin.

#include <string.h>

#include <cJSON.h>

#include "json_utils.h"
#include "twin_state.h"

#define PROPERTY_TELEMETRY_PERIOD "telemetryPeriodSeconds"

// IoT Hub limits twin integers to +-4503599627370495 (2^52 - 1), inside a double's exact range.
#define MAX_TWIN_INTEGER 4503599627370495.0

static const char descriptionApplied[] = "Applied the desired telemetry period.";
static const char descriptionRejected[] =
    "telemetryPeriodSeconds must be an integer from 1 to 3600; keeping the current period.";

static uint32_t ClampPeriod(uint32_t seconds) {
    if (seconds < TWIN_STATE_TELEMETRY_PERIOD_MIN_SECONDS) {
        return TWIN_STATE_TELEMETRY_PERIOD_MIN_SECONDS;
    }
    return seconds > TWIN_STATE_TELEMETRY_PERIOD_MAX_SECONDS
               ? TWIN_STATE_TELEMETRY_PERIOD_MAX_SECONDS
               : seconds;
}

void TwinState_Init(TwinState *state, uint32_t defaultTelemetryPeriodSeconds) {
    if (state == NULL) {
        return;
    }
    memset(state, 0, sizeof(*state));
    state->phase = TwinState_Phase_AwaitingDocument;
    state->telemetryPeriodSeconds = ClampPeriod(defaultTelemetryPeriodSeconds);
}

void TwinState_OnConnected(TwinState *state) {
    if (state == NULL) {
        return;
    }
    state->phase = TwinState_Phase_AwaitingDocument;
    state->hasDeferredVersion = false;
    state->newestDeferredVersion = 0;
}

static bool ReadVersion(const cJSON *object, uint64_t *outVersion) {
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(object, "$version");
    if (!cJSON_IsNumber(version)) {
        return false;
    }
    double value = version->valuedouble;
    // The range check comes first so that the conversion below is defined (it also rejects NaN).
    if (!(value >= 0.0 && value <= MAX_TWIN_INTEGER) || (double)(uint64_t)value != value) {
        return false;
    }
    *outVersion = (uint64_t)value;
    return true;
}

static void RecordAcknowledgement(TwinState *state, int code, uint64_t version,
                                  const char *description) {
    state->acknowledgement.pending = true;
    state->acknowledgement.generation++;
    state->acknowledgement.code = code;
    state->acknowledgement.version = version;
    state->acknowledgement.value = state->telemetryPeriodSeconds;
    state->acknowledgement.description = description;
}

// Applies the writable properties found in a desired object (a full twin's "desired" or a
// patch). A property that is absent or null (deleted) leaves the device as it is.
static void ApplyDesired(TwinState *state, const cJSON *desired, uint64_t version,
                         TwinState_Changes *changes) {
    const cJSON *period = cJSON_GetObjectItemCaseSensitive(desired, PROPERTY_TELEMETRY_PERIOD);
    if (period == NULL || cJSON_IsNull(period)) {
        return;
    }
    double value = cJSON_IsNumber(period) ? period->valuedouble : -1.0;
    if (value >= TWIN_STATE_TELEMETRY_PERIOD_MIN_SECONDS &&
        value <= TWIN_STATE_TELEMETRY_PERIOD_MAX_SECONDS && (double)(uint32_t)value == value) {
        uint32_t seconds = (uint32_t)value;
        if (seconds != state->telemetryPeriodSeconds) {
            state->telemetryPeriodSeconds = seconds;
            changes->telemetryPeriodChanged = true;
        }
        RecordAcknowledgement(state, 200, version, descriptionApplied);
    } else {
        RecordAcknowledgement(state, 400, version, descriptionRejected);
    }
}

static void FinishChanges(const TwinState *state, TwinState_Changes *changes,
                          TwinState_Changes *outChanges) {
    changes->telemetryPeriodSeconds = state->telemetryPeriodSeconds;
    changes->acknowledgementPending = state->acknowledgement.pending;
    if (outChanges != NULL) {
        *outChanges = *changes;
    }
}

static TwinState_Result ParseObject(const char *payload, size_t length, cJSON **outRoot) {
    cJSON *root = NULL;
    if (JsonUtils_Parse(payload, length, TWIN_STATE_MAX_DOCUMENT_LENGTH,
                        JSON_UTILS_DEFAULT_MAX_DEPTH, &root) != JsonUtils_Result_Ok) {
        return TwinState_Result_Malformed;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return TwinState_Result_Malformed;
    }
    *outRoot = root;
    return TwinState_Result_Ok;
}

TwinState_Result TwinState_ApplyDocument(TwinState *state, const char *payload, size_t length,
                                         TwinState_Changes *outChanges) {
    TwinState_Changes changes;
    memset(&changes, 0, sizeof(changes));
    if (outChanges != NULL) {
        *outChanges = changes;
    }
    if (state == NULL) {
        return TwinState_Result_InvalidArgument;
    }
    cJSON *root = NULL;
    TwinState_Result result = ParseObject(payload, length, &root);
    if (result != TwinState_Result_Ok) {
        return result;
    }

    uint64_t version = 0;
    const cJSON *desired = cJSON_GetObjectItemCaseSensitive(root, "desired");
    if (!cJSON_IsObject(desired) || !ReadVersion(desired, &version)) {
        result = TwinState_Result_Malformed;
    } else if (state->phase == TwinState_Phase_AwaitingDocument && state->hasDeferredVersion &&
               version < state->newestDeferredVersion) {
        // A notification newer than this document arrived first; applying the document
        // would undo it, and the notification alone may not carry everything that changed.
        result = TwinState_Result_DocumentOutdated;
    } else if (state->phase == TwinState_Phase_Synchronised && state->hasAppliedVersion &&
               version < state->appliedVersion) {
        result = TwinState_Result_Stale;
    } else {
        ApplyDesired(state, desired, version, &changes);
        state->phase = TwinState_Phase_Synchronised;
        state->hasAppliedVersion = true;
        state->appliedVersion = version;
        state->hasDeferredVersion = false;
        FinishChanges(state, &changes, outChanges);
    }
    cJSON_Delete(root);
    return result;
}

TwinState_Result TwinState_ApplyDesiredPatch(TwinState *state, uint64_t version,
                                             const char *payload, size_t length,
                                             TwinState_Changes *outChanges) {
    TwinState_Changes changes;
    memset(&changes, 0, sizeof(changes));
    if (outChanges != NULL) {
        *outChanges = changes;
    }
    if (state == NULL) {
        return TwinState_Result_InvalidArgument;
    }
    if (state->phase == TwinState_Phase_AwaitingDocument) {
        if (!state->hasDeferredVersion || version > state->newestDeferredVersion) {
            state->newestDeferredVersion = version;
        }
        state->hasDeferredVersion = true;
        return TwinState_Result_Deferred;
    }
    if (state->hasAppliedVersion && version <= state->appliedVersion) {
        return TwinState_Result_Stale;
    }
    cJSON *root = NULL;
    TwinState_Result result = ParseObject(payload, length, &root);
    if (result != TwinState_Result_Ok) {
        return result;
    }
    ApplyDesired(state, root, version, &changes);
    state->hasAppliedVersion = true;
    state->appliedVersion = version;
    FinishChanges(state, &changes, outChanges);
    cJSON_Delete(root);
    return TwinState_Result_Ok;
}

static bool AddAcknowledgement(const TwinState *state, cJSON *patch) {
    cJSON *ack = cJSON_AddObjectToObject(patch, PROPERTY_TELEMETRY_PERIOD);
    return ack != NULL &&
           cJSON_AddNumberToObject(ack, "value", (double)state->acknowledgement.value) != NULL &&
           cJSON_AddNumberToObject(ack, "ac", (double)state->acknowledgement.code) != NULL &&
           cJSON_AddNumberToObject(ack, "av", (double)state->acknowledgement.version) != NULL &&
           cJSON_AddStringToObject(ack, "ad", state->acknowledgement.description) != NULL;
}

static bool AddReport(const TwinState_DeviceReport *report, cJSON *patch) {
    if (report->firmwareVersion != NULL &&
        cJSON_AddStringToObject(patch, "firmwareVersion", report->firmwareVersion) == NULL) {
        return false;
    }
    if (report->serialNumber != NULL &&
        cJSON_AddStringToObject(patch, "serialNumber", report->serialNumber) == NULL) {
        return false;
    }
    if (report->lastBootReason != NULL &&
        cJSON_AddStringToObject(patch, "lastBootReason", report->lastBootReason) == NULL) {
        return false;
    }
    if (report->pendingUpdateJson != NULL && report->pendingUpdateJson[0] != '\0' &&
        cJSON_AddRawToObject(patch, "pendingUpdate", report->pendingUpdateJson) == NULL) {
        return false;
    }
    if (report->lastUpdateResultJson != NULL && report->lastUpdateResultJson[0] != '\0' &&
        cJSON_AddRawToObject(patch, "lastUpdateResult", report->lastUpdateResultJson) == NULL) {
        return false;
    }
    return cJSON_AddNumberToObject(patch, "queueDepth", (double)report->queueDepth) != NULL &&
           cJSON_AddNumberToObject(patch, "droppedMessages", (double)report->droppedMessages) !=
               NULL;
}

TwinState_Result TwinState_BuildReportedPatch(const TwinState *state,
                                              const TwinState_DeviceReport *report, char *buffer,
                                              size_t size, size_t *outLength,
                                              uint32_t *outGeneration) {
    if (buffer != NULL && size > 0) {
        buffer[0] = '\0';
    }
    if (outLength != NULL) {
        *outLength = 0;
    }
    if (state == NULL || buffer == NULL || size == 0 || outLength == NULL ||
        outGeneration == NULL) {
        return TwinState_Result_InvalidArgument;
    }
    *outGeneration = state->acknowledgement.generation;
    if (!state->acknowledgement.pending && report == NULL) {
        return TwinState_Result_NothingToReport;
    }
    cJSON *patch = cJSON_CreateObject();
    bool built = patch != NULL;
    if (built && state->acknowledgement.pending) {
        built = AddAcknowledgement(state, patch);
    }
    if (built && report != NULL) {
        built = AddReport(report, patch);
    }
    TwinState_Result result = TwinState_Result_Ok;
    if (!built) {
        // Only allocation fails here; to the caller that is the same as not fitting.
        result = TwinState_Result_BufferTooSmall;
    } else if (!JsonUtils_Print(patch, buffer, size, outLength)) {
        result = TwinState_Result_BufferTooSmall;
    }
    cJSON_Delete(patch);
    return result;
}

void TwinState_ConfirmReported(TwinState *state, uint32_t generation) {
    if (state != NULL && state->acknowledgement.generation == generation) {
        state->acknowledgement.pending = false;
    }
}

bool TwinState_IsAcknowledgementPending(const TwinState *state) {
    return state != NULL && state->acknowledgement.pending;
}

uint32_t TwinState_GetTelemetryPeriodSeconds(const TwinState *state) {
    return state != NULL ? state->telemetryPeriodSeconds : TWIN_STATE_TELEMETRY_PERIOD_MIN_SECONDS;
}

TwinState_Phase TwinState_GetPhase(const TwinState *state) {
    return state != NULL ? state->phase : TwinState_Phase_AwaitingDocument;
}

bool TwinState_GetAppliedVersion(const TwinState *state, uint64_t *outVersion) {
    if (state == NULL || outVersion == NULL || !state->hasAppliedVersion) {
        return false;
    }
    *outVersion = state->appliedVersion;
    return true;
}
