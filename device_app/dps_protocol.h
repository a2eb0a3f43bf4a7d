// SPDX-License-Identifier: MIT
// The device side of the Azure IoT Device Provisioning Service's MQTT protocol, without I/O:
// the CONNECT username, the register and operation-status requests, and the parsing of DPS's
// answers ("$dps/registrations/res/{status}/?$rid=..&retry-after=.." with a JSON body that
// ends, when provisioning succeeds, with the assigned hub and device id).
//
// Everything DPS sends is hostile: topics and bodies are bounded, and every value that is used
// again - the operation id in the next request, the hub name as a TLS host name - is checked
// against the shape it must have.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "options.h"

#define DPS_PROTOCOL_API_VERSION "2019-03-31"
#define DPS_PROTOCOL_RESPONSE_SUBSCRIPTION "$dps/registrations/res/#"
#define DPS_PROTOCOL_MAX_OPERATION_ID_LENGTH 128
#define DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH 16
#define DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH 128
/// DPS answers are small JSON documents; anything larger is refused unparsed.
#define DPS_PROTOCOL_MAX_BODY_LENGTH 8192u
/// DPS's retry-after is honoured up to this; a larger value is taken as this.
#define DPS_PROTOCOL_MAX_RETRY_AFTER_SECONDS 600u

/// Writes "{idScope}/registrations/{registrationId}/api-version=2019-03-31".
/// Returns false (empty buffer) when an argument is NULL or invalid or the buffer is too small.
bool DpsProtocol_BuildUsername(const char *idScope, const char *registrationId, char *buffer,
                               size_t size);

/// Writes "$dps/registrations/PUT/iotdps-register/?$rid={requestId}". Errors as above.
bool DpsProtocol_BuildRegisterTopic(const char *requestId, char *buffer, size_t size);

/// Writes {"registrationId":"..."} (JSON-escaped). Errors as above.
bool DpsProtocol_BuildRegisterPayload(const char *registrationId, char *buffer, size_t size);

/// Writes "$dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={id}".
/// Errors as above (operationId must pass DpsProtocol_IsValidOperationId).
bool DpsProtocol_BuildPollTopic(const char *requestId, const char *operationId, char *buffer,
                                size_t size);

/// Returns true when id is 1..128 characters that can be sent back in a topic unescaped
/// (letters, digits and "-._:").
bool DpsProtocol_IsValidOperationId(const char *id);

typedef struct {
    int status;
    char requestId[DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH + 1];
    bool hasRetryAfter;
    uint32_t retryAfterSeconds;
} DpsProtocol_ResponseTopic;

/// Parses a topic DPS published on. Returns true for a well-formed
/// "$dps/registrations/res/{100..599}/?..." with a $rid; false otherwise.
bool DpsProtocol_ParseResponseTopic(const char *topic, DpsProtocol_ResponseTopic *out);

typedef enum {
    /// 202, or status "assigning": poll again after retry-after.
    DpsProtocol_State_Assigning,
    /// status "assigned" with a valid assignedHub and deviceId.
    DpsProtocol_State_Assigned,
    /// "failed", "disabled", "unassigned", an error body, or an answer missing what it needs.
    DpsProtocol_State_Failed,
} DpsProtocol_State;

typedef struct {
    DpsProtocol_State state;
    char operationId[DPS_PROTOCOL_MAX_OPERATION_ID_LENGTH + 1];
    char assignedHub[OPTIONS_MAX_HOSTNAME_LENGTH + 1];
    char deviceId[DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 1];
    /// What went wrong, for the log (printable ASCII; DPS's own message when it sent one).
    char detail[160];
} DpsProtocol_Response;

/// Interprets the body of an answer with the given status (from its topic). Never fails: a
/// body that is malformed, too large, or inconsistent with status yields State_Failed with the
/// reason in detail. Assigning needs a valid operationId; Assigned a valid host name and
/// device id.
void DpsProtocol_ParseResponse(int status, const char *payload, size_t length,
                               DpsProtocol_Response *out);
