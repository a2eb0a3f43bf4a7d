// SPDX-License-Identifier: MIT
// Every reply is built as a cJSON tree and printed into the caller's buffer, so a method name
// or field echoed back is always escaped, and a reply that would not fit becomes a short 500
// rather than truncated JSON. Payloads are measured and depth-checked by json_utils before
// cJSON builds anything from them.
//
// Cloud-to-device summaries go to the log, which a developer reads in a terminal: every byte
// of a preview that is not printable ASCII is replaced, so a message cannot inject escape
// sequences or fake log lines.

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "json_utils.h"
#include "method_handlers.h"

#define C2D_PREVIEW_LENGTH 48
#define C2D_MESSAGE_ID_LENGTH 40

static const char *const ledNames[] = {"LED1", "LED2"};

const char *MethodHandlers_LedName(MethodHandlers_Led led) {
    return (unsigned int)led < sizeof(ledNames) / sizeof(ledNames[0]) ? ledNames[led] : "?";
}

static void CopyFallback(const char *text, char *response, size_t responseSize,
                         size_t *outResponseLength) {
    size_t length = strlen(text);
    if (length < responseSize) {
        memcpy(response, text, length + 1);
        *outResponseLength = length;
    } else {
        response[0] = '\0';
        *outResponseLength = 0;
    }
}

// Prints body (and frees it) as the reply for status; a reply that cannot be produced turns
// into 500.
static int Reply(int status, cJSON *body, char *response, size_t responseSize,
                 size_t *outResponseLength) {
    bool printed = body != NULL && JsonUtils_Print(body, response, responseSize, outResponseLength);
    cJSON_Delete(body);
    if (!printed) {
        CopyFallback("{\"error\":\"reply does not fit\"}", response, responseSize,
                     outResponseLength);
        return 500;
    }
    return status;
}

static int ErrorReply(int status, const char *message, const char *detailName,
                      const char *detailValue, char *response, size_t responseSize,
                      size_t *outResponseLength) {
    cJSON *body = cJSON_CreateObject();
    if (body != NULL &&
        (cJSON_AddStringToObject(body, "error", message) == NULL ||
         (detailName != NULL && cJSON_AddStringToObject(body, detailName, detailValue) == NULL))) {
        cJSON_Delete(body);
        body = NULL;
    }
    return Reply(status, body, response, responseSize, outResponseLength);
}

// Parses a method payload that must be a JSON object; on failure produces the error reply and
// returns NULL with *outStatus set.
static cJSON *ParseObjectPayload(const char *payload, size_t length, int *outStatus, char *response,
                                 size_t responseSize, size_t *outResponseLength) {
    cJSON *root = NULL;
    JsonUtils_Result result = JsonUtils_Parse(payload, length, METHOD_HANDLERS_MAX_PAYLOAD_LENGTH,
                                              JSON_UTILS_DEFAULT_MAX_DEPTH, &root);
    if (result != JsonUtils_Result_Ok) {
        *outStatus = ErrorReply(result == JsonUtils_Result_TooLarge ? 413 : 400,
                                JsonUtils_ResultToString(result), NULL, NULL, response,
                                responseSize, outResponseLength);
        return NULL;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        *outStatus = ErrorReply(400, "payload must be a JSON object", NULL, NULL, response,
                                responseSize, outResponseLength);
        return NULL;
    }
    return root;
}

static int HandleSetLed(const char *payload, size_t length, MethodHandlers_Action *action,
                        char *response, size_t responseSize, size_t *outResponseLength) {
    int status = 500;
    cJSON *root =
        ParseObjectPayload(payload, length, &status, response, responseSize, outResponseLength);
    if (root == NULL) {
        return status;
    }

    const cJSON *led = cJSON_GetObjectItemCaseSensitive(root, "led");
    const cJSON *on = cJSON_GetObjectItemCaseSensitive(root, "on");
    size_t ledIndex = sizeof(ledNames) / sizeof(ledNames[0]);
    for (size_t i = 0; cJSON_IsString(led) && i < sizeof(ledNames) / sizeof(ledNames[0]); i++) {
        if (strcmp(led->valuestring, ledNames[i]) == 0) {
            ledIndex = i;
        }
    }
    if (ledIndex == sizeof(ledNames) / sizeof(ledNames[0])) {
        status = ErrorReply(400, "'led' must be \"LED1\" or \"LED2\"", "field", "led", response,
                            responseSize, outResponseLength);
    } else if (!cJSON_IsBool(on)) {
        status = ErrorReply(400, "'on' must be true or false", "field", "on", response,
                            responseSize, outResponseLength);
    } else {
        cJSON *body = cJSON_CreateObject();
        if (body != NULL && (cJSON_AddStringToObject(body, "led", ledNames[ledIndex]) == NULL ||
                             cJSON_AddBoolToObject(body, "on", cJSON_IsTrue(on)) == NULL)) {
            cJSON_Delete(body);
            body = NULL;
        }
        status = Reply(200, body, response, responseSize, outResponseLength);
        if (status == 200) {
            action->type = MethodHandlers_ActionType_SetLed;
            action->led = (MethodHandlers_Led)ledIndex;
            action->ledOn = cJSON_IsTrue(on);
        }
    }
    cJSON_Delete(root);
    return status;
}

// A method whose payload is {"<field>": whole seconds from 0 to max}, answered with
// {"<replyField>": seconds}. Returns the status; *outSeconds is set only for 200.
static int HandleSecondsMethod(const char *payload, size_t length, const char *field, uint32_t max,
                               const char *rangeError, const char *replyField, uint32_t *outSeconds,
                               char *response, size_t responseSize, size_t *outResponseLength) {
    int status = 500;
    cJSON *root =
        ParseObjectPayload(payload, length, &status, response, responseSize, outResponseLength);
    if (root == NULL) {
        return status;
    }

    const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(root, field);
    double value = cJSON_IsNumber(seconds) ? seconds->valuedouble : -1.0;
    // The range check also rejects NaN and makes the conversion below defined.
    if (!(value >= 0.0 && value <= (double)max) || (double)(uint32_t)value != value) {
        status =
            ErrorReply(400, rangeError, "field", field, response, responseSize, outResponseLength);
    } else {
        cJSON *body = cJSON_CreateObject();
        if (body != NULL && cJSON_AddNumberToObject(body, replyField, value) == NULL) {
            cJSON_Delete(body);
            body = NULL;
        }
        status = Reply(200, body, response, responseSize, outResponseLength);
        if (status == 200) {
            *outSeconds = (uint32_t)value;
        }
    }
    cJSON_Delete(root);
    return status;
}

static int HandleReboot(const char *payload, size_t length, MethodHandlers_Action *action,
                        char *response, size_t responseSize, size_t *outResponseLength) {
    uint32_t seconds = 0;
    int status = HandleSecondsMethod(
        payload, length, "delaySeconds", METHOD_HANDLERS_MAX_REBOOT_DELAY_SECONDS,
        "'delaySeconds' must be an integer from 0 to 3600", "rebootInSeconds", &seconds, response,
        responseSize, outResponseLength);
    if (status == 200) {
        action->type = MethodHandlers_ActionType_Reboot;
        action->rebootDelaySeconds = seconds;
    }
    return status;
}

// {"durationSeconds": 0..86400}: the same rules as reboot's delay, a wider range.
static int HandleMaintenance(const char *payload, size_t length, MethodHandlers_Action *action,
                             char *response, size_t responseSize, size_t *outResponseLength) {
    uint32_t seconds = 0;
    int status = HandleSecondsMethod(
        payload, length, "durationSeconds", METHOD_HANDLERS_MAX_MAINTENANCE_SECONDS,
        "'durationSeconds' must be an integer from 0 to 86400", "maintenanceSeconds", &seconds,
        response, responseSize, outResponseLength);
    if (status == 200) {
        action->type = MethodHandlers_ActionType_Maintenance;
        action->maintenanceSeconds = seconds;
    }
    return status;
}

static bool AddConnection(cJSON *body, const MethodHandlers_ConnectionStatistics *connection) {
    cJSON *object = cJSON_AddObjectToObject(body, "connection");
    return object != NULL &&
           cJSON_AddBoolToObject(object, "connected", connection->connected) != NULL &&
           cJSON_AddNumberToObject(object, "connects", connection->connects) != NULL &&
           cJSON_AddNumberToObject(object, "disconnects", connection->disconnects) != NULL &&
           cJSON_AddNumberToObject(object, "failedAttempts", connection->failedAttempts) != NULL &&
           cJSON_AddNumberToObject(object, "messagesSent", (double)connection->messagesSent) !=
               NULL &&
           cJSON_AddNumberToObject(object, "messagesAcknowledged",
                                   (double)connection->messagesAcknowledged) != NULL;
}

// The payload of getDiagnostics is ignored: there is nothing to configure, and not parsing it
// means no payload can make the call fail.
static int HandleGetDiagnostics(const MethodHandlers_Diagnostics *diagnostics, char *response,
                                size_t responseSize, size_t *outResponseLength) {
    if (diagnostics == NULL) {
        return ErrorReply(500, "diagnostics are not available", NULL, NULL, response, responseSize,
                          outResponseLength);
    }
    cJSON *body = cJSON_CreateObject();
    cJSON *memory = body != NULL ? cJSON_CreateObject() : NULL;
    bool built =
        memory != NULL &&
        cJSON_AddNumberToObject(body, "uptimeSeconds", (double)diagnostics->uptimeSeconds) !=
            NULL &&
        cJSON_AddNumberToObject(memory, "totalKB", diagnostics->totalMemoryKB) != NULL &&
        cJSON_AddNumberToObject(memory, "userKB", diagnostics->userMemoryKB) != NULL &&
        cJSON_AddNumberToObject(memory, "peakUserKB", diagnostics->peakUserMemoryKB) != NULL;
    // Once added, memory belongs to body.
    if (built && cJSON_AddItemToObject(body, "memory", memory)) {
        memory = NULL;
        built = AddConnection(body, &diagnostics->connection) &&
                cJSON_AddNumberToObject(body, "queueDepth", diagnostics->queueDepth) != NULL;
    } else {
        built = false;
    }
    cJSON_Delete(memory);
    if (!built) {
        cJSON_Delete(body);
        body = NULL;
    }
    return Reply(200, body, response, responseSize, outResponseLength);
}

int MethodHandlers_HandleMethod(const char *methodName, const char *payload, size_t length,
                                const MethodHandlers_Diagnostics *diagnostics,
                                MethodHandlers_Action *outAction, char *response,
                                size_t responseSize, size_t *outResponseLength) {
    if (outAction != NULL) {
        memset(outAction, 0, sizeof(*outAction));
        outAction->type = MethodHandlers_ActionType_None;
    }
    if (outResponseLength != NULL) {
        *outResponseLength = 0;
    }
    if (response != NULL && responseSize > 0) {
        response[0] = '\0';
    }
    if (methodName == NULL || outAction == NULL || response == NULL || responseSize == 0 ||
        outResponseLength == NULL || (payload == NULL && length > 0)) {
        return 500;
    }

    if (strcmp(methodName, "setLed") == 0) {
        return HandleSetLed(payload, length, outAction, response, responseSize, outResponseLength);
    }
    if (strcmp(methodName, "reboot") == 0) {
        return HandleReboot(payload, length, outAction, response, responseSize, outResponseLength);
    }
    if (strcmp(methodName, "maintenance") == 0) {
        return HandleMaintenance(payload, length, outAction, response, responseSize,
                                 outResponseLength);
    }
    if (strcmp(methodName, "getDiagnostics") == 0) {
        return HandleGetDiagnostics(diagnostics, response, responseSize, outResponseLength);
    }
    return ErrorReply(404, "unknown method", "method", methodName, response, responseSize,
                      outResponseLength);
}

// ---- cloud-to-device messages ----

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above U+10FFFF. Control
// characters other than tab, CR and LF make a message "not text" as well.
static bool IsCleanUtf8Text(const uint8_t *bytes, size_t length) {
    size_t i = 0;
    while (i < length) {
        uint8_t c = bytes[i];
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) {
                return false;
            }
            i++;
            continue;
        }
        size_t extra;
        uint32_t codePoint;
        uint32_t minimum;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            codePoint = c & 0x1Fu;
            minimum = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            codePoint = c & 0x0Fu;
            minimum = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            codePoint = c & 0x07u;
            minimum = 0x10000;
        } else {
            return false;
        }
        if (length - i <= extra) {
            return false;
        }
        for (size_t k = 1; k <= extra; k++) {
            if ((bytes[i + k] & 0xC0u) != 0x80u) {
                return false;
            }
            codePoint = (codePoint << 6) | (bytes[i + k] & 0x3Fu);
        }
        if (codePoint < minimum || codePoint > 0x10FFFF ||
            (codePoint >= 0xD800 && codePoint <= 0xDFFF)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

// Copies at most maxLength bytes of text into out as printable ASCII, marking a cut with "...".
static void Sanitise(const uint8_t *text, size_t length, size_t maxLength, char *out,
                     size_t outSize) {
    size_t written = 0;
    size_t limit = length < maxLength ? length : maxLength;
    for (size_t i = 0; i < limit && written + 1 < outSize; i++) {
        uint8_t c = text[i];
        out[written++] = (c >= 0x20 && c < 0x7F) ? (char)c : (c >= 0x80 ? '?' : '.');
    }
    if (length > limit) {
        for (int dot = 0; dot < 3 && written + 1 < outSize; dot++) {
            out[written++] = '.';
        }
    }
    out[written] = '\0';
}

static const char *JsonKind(const cJSON *root) {
    if (cJSON_IsObject(root)) {
        return "JSON object";
    }
    return cJSON_IsArray(root) ? "JSON array" : "JSON value";
}

bool MethodHandlers_HandleCloudToDevice(const IoTHubTopics_ParsedTopic *topic,
                                        const uint8_t *payload, size_t length, char *summary,
                                        size_t summarySize) {
    if (summary == NULL || summarySize == 0) {
        return false;
    }
    summary[0] = '\0';
    if (topic == NULL || topic->type != IoTHubTopics_TopicType_CloudToDevice ||
        (payload == NULL && length > 0)) {
        snprintf(summary, summarySize, "C2D message rejected: not a parsed C2D topic");
        return false;
    }

    char messageId[C2D_MESSAGE_ID_LENGTH + 4];
    const IoTHubTopics_Property *mid = IoTHubTopics_FindProperty(topic, "$.mid");
    const char *rawId = (mid != NULL && mid->value != NULL) ? mid->value : "-";
    Sanitise((const uint8_t *)rawId, strlen(rawId), C2D_MESSAGE_ID_LENGTH, messageId,
             sizeof(messageId));

    const IoTHubTopics_Property *contentType = IoTHubTopics_FindProperty(topic, "$.ct");
    bool declaredJson = contentType != NULL && contentType->value != NULL &&
                        strncmp(contentType->value, "application/json", 16) == 0;

    const char *reason = NULL;
    const char *kind = "text";
    cJSON *root = NULL;
    if (length > METHOD_HANDLERS_MAX_C2D_LENGTH) {
        reason = "body larger than 64 KiB";
    } else if (!IsCleanUtf8Text(payload, length)) {
        reason = "body is not UTF-8 text";
    } else if (declaredJson) {
        JsonUtils_Result result =
            JsonUtils_Parse((const char *)payload, length, METHOD_HANDLERS_MAX_C2D_JSON_LENGTH,
                            JSON_UTILS_DEFAULT_MAX_DEPTH, &root);
        if (result != JsonUtils_Result_Ok) {
            reason = JsonUtils_ResultToString(result);
        } else {
            kind = JsonKind(root);
        }
    }
    cJSON_Delete(root);

    if (reason != NULL) {
        snprintf(summary, summarySize, "C2D message %s rejected (%zu bytes): %s", messageId, length,
                 reason);
        return false;
    }
    char preview[C2D_PREVIEW_LENGTH + 4];
    Sanitise(payload, length, C2D_PREVIEW_LENGTH, preview, sizeof(preview));
    snprintf(summary, summarySize, "C2D message %s (%zu bytes, %s): %s", messageId, length, kind,
             preview);
    return true;
}
