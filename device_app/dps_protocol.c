// SPDX-License-Identifier: MIT
// Bodies are parsed with json_utils (bounded length and depth) and cJSON; topics by hand, on
// the same rules iothub_topics uses for the hub's topics.

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "dps_protocol.h"
#include "json_utils.h"

#define RESPONSE_PREFIX "$dps/registrations/res/"

static bool IsIdScopeChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Registration ids are device ids here (the certificate's CN): lower-case letters, digits and
// "-._:" per DPS, but IoT Hub device ids allow more, so only what would break a topic or a
// username is refused.
static bool IsValidRegistrationId(const char *id) {
    size_t length = strnlen(id, DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH + 1);
    if (length == 0 || length > DPS_PROTOCOL_MAX_DEVICE_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)id[i];
        if (c < 0x21 || c > 0x7E || strchr("/+#&?\"\\", c) != NULL) {
            return false;
        }
    }
    return true;
}

static bool IsValidRequestId(const char *id) {
    size_t length = strnlen(id, DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH + 1);
    if (length == 0 || length > DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        if (!IsIdScopeChar(id[i])) {
            return false;
        }
    }
    return true;
}

bool DpsProtocol_IsValidOperationId(const char *id) {
    if (id == NULL) {
        return false;
    }
    size_t length = strnlen(id, DPS_PROTOCOL_MAX_OPERATION_ID_LENGTH + 1);
    if (length == 0 || length > DPS_PROTOCOL_MAX_OPERATION_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        if (!IsIdScopeChar(id[i]) && strchr("-._:", id[i]) == NULL) {
            return false;
        }
    }
    return true;
}

static bool Finish(int written, char *buffer, size_t size) {
    if (written < 0 || (size_t)written >= size) {
        buffer[0] = '\0';
        return false;
    }
    return true;
}

bool DpsProtocol_BuildUsername(const char *idScope, const char *registrationId, char *buffer,
                               size_t size) {
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    if (idScope == NULL || registrationId == NULL || !IsValidRegistrationId(registrationId)) {
        return false;
    }
    size_t scopeLength = strnlen(idScope, OPTIONS_MAX_SCOPE_ID_LENGTH + 1);
    if (scopeLength == 0 || scopeLength > OPTIONS_MAX_SCOPE_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < scopeLength; i++) {
        if (!IsIdScopeChar(idScope[i])) {
            return false;
        }
    }
    return Finish(
        snprintf(buffer, size, "%s/registrations/%s/api-version=" DPS_PROTOCOL_API_VERSION, idScope,
                 registrationId),
        buffer, size);
}

bool DpsProtocol_BuildRegisterTopic(const char *requestId, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    if (requestId == NULL || !IsValidRequestId(requestId)) {
        return false;
    }
    return Finish(
        snprintf(buffer, size, "$dps/registrations/PUT/iotdps-register/?$rid=%s", requestId),
        buffer, size);
}

bool DpsProtocol_BuildRegisterPayload(const char *registrationId, char *buffer, size_t size) {
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    if (registrationId == NULL || !IsValidRegistrationId(registrationId)) {
        return false;
    }
    // The id has no quote or backslash (IsValidRegistrationId), so it needs no escaping.
    return Finish(snprintf(buffer, size, "{\"registrationId\":\"%s\"}", registrationId), buffer,
                  size);
}

bool DpsProtocol_BuildPollTopic(const char *requestId, const char *operationId, char *buffer,
                                size_t size) {
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    if (requestId == NULL || !IsValidRequestId(requestId) ||
        !DpsProtocol_IsValidOperationId(operationId)) {
        return false;
    }
    return Finish(snprintf(buffer, size,
                           "$dps/registrations/GET/iotdps-get-operationstatus/"
                           "?$rid=%s&operationId=%s",
                           requestId, operationId),
                  buffer, size);
}

static bool ParseDecimal(const char *text, size_t length, uint32_t maximum, uint32_t *out) {
    if (length == 0 || length > 10) {
        return false;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (uint64_t)(text[i] - '0');
    }
    *out = value > maximum ? maximum : (uint32_t)value;
    return true;
}

bool DpsProtocol_ParseResponseTopic(const char *topic, DpsProtocol_ResponseTopic *out) {
    if (out == NULL) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    if (topic == NULL || strnlen(topic, 513) > 512 ||
        strncmp(topic, RESPONSE_PREFIX, strlen(RESPONSE_PREFIX)) != 0) {
        return false;
    }
    const char *status = topic + strlen(RESPONSE_PREFIX);
    const char *slash = strchr(status, '/');
    uint32_t value = 0;
    if (slash == NULL || slash[1] != '?' ||
        !ParseDecimal(status, (size_t)(slash - status), 999, &value) || value < 100 ||
        value > 599) {
        return false;
    }
    out->status = (int)value;
    bool haveRid = false;
    const char *pair = slash + 2;
    while (*pair != '\0') {
        const char *end = strchr(pair, '&');
        size_t pairLength = end != NULL ? (size_t)(end - pair) : strlen(pair);
        const char *equals = memchr(pair, '=', pairLength);
        if (equals != NULL) {
            size_t keyLength = (size_t)(equals - pair);
            const char *text = equals + 1;
            size_t textLength = pairLength - keyLength - 1;
            if (keyLength == 4 && strncmp(pair, "$rid", 4) == 0) {
                if (haveRid || textLength == 0 || textLength > DPS_PROTOCOL_MAX_REQUEST_ID_LENGTH) {
                    return false;
                }
                memcpy(out->requestId, text, textLength);
                out->requestId[textLength] = '\0';
                if (!IsValidRequestId(out->requestId)) {
                    return false;
                }
                haveRid = true;
            } else if (keyLength == 11 && strncmp(pair, "retry-after", 11) == 0) {
                if (!ParseDecimal(text, textLength, DPS_PROTOCOL_MAX_RETRY_AFTER_SECONDS,
                                  &out->retryAfterSeconds)) {
                    return false;
                }
                out->hasRetryAfter = true;
            }
        }
        if (end == NULL) {
            break;
        }
        pair = end + 1;
    }
    return haveRid;
}

// Copies printable ASCII from text into out, replacing anything else, for the log.
static void CopyPrintable(const char *text, char *out, size_t size) {
    size_t i = 0;
    for (; text != NULL && text[i] != '\0' && i + 1 < size; i++) {
        unsigned char c = (unsigned char)text[i];
        out[i] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    out[i] = '\0';
}

static const char *StringMember(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void Failed(DpsProtocol_Response *out, const char *what, const char *detail) {
    char shown[96];
    CopyPrintable(detail != NULL ? detail : "", shown, sizeof(shown));
    snprintf(out->detail, sizeof(out->detail), "%s%s%s", what, detail != NULL ? ": " : "", shown);
    out->state = DpsProtocol_State_Failed;
}

static void ParseAssigned(const cJSON *root, DpsProtocol_Response *out) {
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "registrationState");
    const char *hub = StringMember(state, "assignedHub");
    const char *deviceId = StringMember(state, "deviceId");
    if (hub == NULL || !Options_IsValidHostname(hub)) {
        Failed(out, "assigned, but assignedHub is not a host name", hub);
    } else if (deviceId == NULL || !IsValidRegistrationId(deviceId)) {
        Failed(out, "assigned, but deviceId is missing or invalid", deviceId);
    } else {
        snprintf(out->assignedHub, sizeof(out->assignedHub), "%s", hub);
        snprintf(out->deviceId, sizeof(out->deviceId), "%s", deviceId);
        out->state = DpsProtocol_State_Assigned;
    }
}

void DpsProtocol_ParseResponse(int status, const char *payload, size_t length,
                               DpsProtocol_Response *out) {
    if (out == NULL) {
        return;
    }
    memset(out, 0, sizeof(*out));
    cJSON *root = NULL;
    JsonUtils_Result parsed = JsonUtils_Parse(payload, length, DPS_PROTOCOL_MAX_BODY_LENGTH,
                                              JSON_UTILS_DEFAULT_MAX_DEPTH, &root);
    if (parsed != JsonUtils_Result_Ok || !cJSON_IsObject(root)) {
        char what[48];
        snprintf(what, sizeof(what), "status %d with an unusable body", status);
        Failed(out, what,
               parsed != JsonUtils_Result_Ok ? JsonUtils_ResultToString(parsed) : "not an object");
        cJSON_Delete(root);
        return;
    }
    const char *operationId = StringMember(root, "operationId");
    const char *statusText = StringMember(root, "status");
    if (status >= 300) {
        // Error bodies carry errorCode and message (DPS's own wording).
        const char *message = StringMember(root, "message");
        char what[48];
        snprintf(what, sizeof(what), "status %d", status);
        Failed(out, what, message != NULL ? message : "no message");
    } else if (operationId == NULL || !DpsProtocol_IsValidOperationId(operationId)) {
        Failed(out, "answer without a valid operationId", operationId);
    } else if (status == 202 || (statusText != NULL && strcmp(statusText, "assigning") == 0)) {
        snprintf(out->operationId, sizeof(out->operationId), "%s", operationId);
        out->state = DpsProtocol_State_Assigning;
    } else if (statusText != NULL && strcmp(statusText, "assigned") == 0) {
        snprintf(out->operationId, sizeof(out->operationId), "%s", operationId);
        ParseAssigned(root, out);
    } else {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(root, "registrationState");
        const char *message = StringMember(state, "errorMessage");
        char what[64];
        char shownStatus[24];
        CopyPrintable(statusText != NULL ? statusText : "missing", shownStatus,
                      sizeof(shownStatus));
        snprintf(what, sizeof(what), "registration status '%s'", shownStatus);
        Failed(out, what, message);
    }
    cJSON_Delete(root);
}
