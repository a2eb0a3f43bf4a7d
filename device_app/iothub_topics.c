// SPDX-License-Identifier: MIT
// Topic building appends into the caller's buffer through a small writer that remembers an
// overflow instead of truncating, so a topic is either complete or not produced at all: a
// truncated topic would still be a valid MQTT topic and would silently lose properties.
//
// Parsing works on the NUL-terminated topic in place and copies out only what it keeps. Raw
// characters are limited to printable ASCII without '+' and '#' (MQTT wildcards never appear in
// a published topic; IoT Hub percent-encodes everything else), and every %XX escape must have
// two hex digits and must not decode to NUL, so a decoded value is always a C string whose
// length is the length that was sent.

#include <stdio.h>
#include <string.h>

#include "iothub_topics.h"

typedef struct {
    char *buffer;
    size_t size;
    size_t length;
    bool overflow;
} TopicWriter;

static void Writer_Init(TopicWriter *writer, char *buffer, size_t size) {
    writer->buffer = buffer;
    writer->size = size;
    writer->length = 0;
    writer->overflow = false;
    buffer[0] = '\0';
}

static void Writer_Append(TopicWriter *writer, const char *text, size_t length) {
    // Keep one byte for the NUL.
    if (writer->overflow || length >= writer->size - writer->length) {
        writer->overflow = true;
        return;
    }
    memcpy(writer->buffer + writer->length, text, length);
    writer->length += length;
    writer->buffer[writer->length] = '\0';
}

static void Writer_AppendString(TopicWriter *writer, const char *text) {
    Writer_Append(writer, text, strlen(text));
}

static bool IsUnreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '~';
}

// RFC 3986 encoding of everything but the unreserved set: stricter than IoT Hub needs, but a
// hub decodes any escape, while an unescaped '&', '=' or '/' would change the bag's meaning.
static void Writer_AppendEncoded(TopicWriter *writer, const char *text) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (IsUnreserved(*p)) {
            Writer_Append(writer, (const char *)p, 1);
        } else {
            char escape[3] = {'%', hex[*p >> 4], hex[*p & 0x0F]};
            Writer_Append(writer, escape, sizeof(escape));
        }
    }
}

static void Writer_AppendUnsigned(TopicWriter *writer, unsigned int value) {
    char digits[12];
    size_t count = 0;
    do {
        digits[sizeof(digits) - 1 - count] = (char)('0' + value % 10);
        value /= 10;
        count++;
    } while (value != 0 && count < sizeof(digits));
    Writer_Append(writer, digits + sizeof(digits) - count, count);
}

static IoTHubTopics_Result Writer_Finish(TopicWriter *writer, size_t *outLength) {
    if (writer->overflow) {
        writer->buffer[0] = '\0';
        return IoTHubTopics_Result_BufferTooSmall;
    }
    if (outLength != NULL) {
        *outLength = writer->length;
    }
    return IoTHubTopics_Result_Ok;
}

static bool IsValidDeviceId(const char *deviceId) {
    static const char extra[] = "-.%_*?!(),:=@$'";
    if (deviceId == NULL) {
        return false;
    }
    size_t length = strnlen(deviceId, IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH + 1);
    if (length == 0 || length > IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)deviceId[i];
        bool alphanumeric =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alphanumeric && strchr(extra, c) == NULL) {
            return false;
        }
    }
    return true;
}

static bool IsValidRequestIdSpan(const char *requestId, size_t length) {
    if (length == 0 || length > IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)requestId[i];
        if (c < 0x21 || c > 0x7E || c == '+' || c == '#' || c == '&') {
            return false;
        }
    }
    return true;
}

bool IoTHubTopics_IsValidRequestId(const char *requestId) {
    return requestId != NULL &&
           IsValidRequestIdSpan(requestId,
                                strnlen(requestId, IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH + 1));
}

static bool CheckOutput(char *buffer, size_t size, size_t *outLength) {
    if (outLength != NULL) {
        *outLength = 0;
    }
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    return true;
}

bool IoTHubTopics_FormatIso8601(const struct timespec *utc, char *buffer, size_t size) {
    if (!CheckOutput(buffer, size, NULL) || utc == NULL || utc->tv_nsec < 0 ||
        utc->tv_nsec >= 1000000000L) {
        return false;
    }
    struct tm parts;
    if (gmtime_r(&utc->tv_sec, &parts) == NULL) {
        return false;
    }
    long year = (long)parts.tm_year + 1900L;
    if (year < 0 || year > 9999) {
        return false;
    }
    int written =
        snprintf(buffer, size, "%04ld-%02d-%02dT%02d:%02d:%02d.%03ldZ", year, parts.tm_mon + 1,
                 parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, utc->tv_nsec / 1000000L);
    if (written < 0 || (size_t)written >= size) {
        buffer[0] = '\0';
        return false;
    }
    return true;
}

IoTHubTopics_Result IoTHubTopics_BuildTelemetryTopic(
    const char *deviceId, const IoTHubTopics_TelemetryProperties *properties, char *buffer,
    size_t size, size_t *outLength) {
    if (!CheckOutput(buffer, size, outLength) || !IsValidDeviceId(deviceId) || properties == NULL ||
        properties->messageId == NULL || properties->messageId[0] == '\0' ||
        (properties->propertyCount > 0 && properties->properties == NULL)) {
        return IoTHubTopics_Result_InvalidArgument;
    }
    for (size_t i = 0; i < properties->propertyCount; i++) {
        const char *name = properties->properties[i].name;
        // A '$' name would arrive at the hub as a system property and override ours.
        if (name == NULL || name[0] == '\0' || name[0] == '$') {
            return IoTHubTopics_Result_InvalidArgument;
        }
    }
    char creationTime[IOTHUB_TOPICS_ISO8601_SIZE];
    if (properties->creationTime != NULL &&
        !IoTHubTopics_FormatIso8601(properties->creationTime, creationTime, sizeof(creationTime))) {
        return IoTHubTopics_Result_InvalidArgument;
    }

    TopicWriter writer;
    Writer_Init(&writer, buffer, size);
    Writer_AppendString(&writer, "devices/");
    Writer_AppendString(&writer, deviceId);
    Writer_AppendString(&writer, "/messages/events/$.mid=");
    Writer_AppendEncoded(&writer, properties->messageId);
    Writer_AppendString(&writer, "&$.ct=application%2Fjson&$.ce=utf-8");
    if (properties->creationTime != NULL) {
        Writer_AppendString(&writer, "&$.ctime=");
        Writer_AppendEncoded(&writer, creationTime);
    }
    for (size_t i = 0; i < properties->propertyCount; i++) {
        Writer_AppendString(&writer, "&");
        Writer_AppendEncoded(&writer, properties->properties[i].name);
        if (properties->properties[i].value != NULL) {
            Writer_AppendString(&writer, "=");
            Writer_AppendEncoded(&writer, properties->properties[i].value);
        }
    }
    return Writer_Finish(&writer, outLength);
}

static IoTHubTopics_Result BuildRequestTopic(const char *prefix, const char *requestId,
                                             char *buffer, size_t size, size_t *outLength) {
    if (!CheckOutput(buffer, size, outLength) || !IoTHubTopics_IsValidRequestId(requestId)) {
        return IoTHubTopics_Result_InvalidArgument;
    }
    TopicWriter writer;
    Writer_Init(&writer, buffer, size);
    Writer_AppendString(&writer, prefix);
    Writer_AppendString(&writer, "?$rid=");
    Writer_AppendString(&writer, requestId);
    return Writer_Finish(&writer, outLength);
}

IoTHubTopics_Result IoTHubTopics_BuildTwinGetTopic(const char *requestId, char *buffer, size_t size,
                                                   size_t *outLength) {
    return BuildRequestTopic("$iothub/twin/GET/", requestId, buffer, size, outLength);
}

IoTHubTopics_Result IoTHubTopics_BuildTwinReportedPatchTopic(const char *requestId, char *buffer,
                                                             size_t size, size_t *outLength) {
    return BuildRequestTopic("$iothub/twin/PATCH/properties/reported/", requestId, buffer, size,
                             outLength);
}

IoTHubTopics_Result IoTHubTopics_BuildMethodResponseTopic(int status, const char *requestId,
                                                          char *buffer, size_t size,
                                                          size_t *outLength) {
    if (!CheckOutput(buffer, size, outLength) || status < 100 || status > 599 ||
        !IoTHubTopics_IsValidRequestId(requestId)) {
        return IoTHubTopics_Result_InvalidArgument;
    }
    TopicWriter writer;
    Writer_Init(&writer, buffer, size);
    Writer_AppendString(&writer, "$iothub/methods/res/");
    Writer_AppendUnsigned(&writer, (unsigned int)status);
    Writer_AppendString(&writer, "/?$rid=");
    Writer_AppendString(&writer, requestId);
    return Writer_Finish(&writer, outLength);
}

IoTHubTopics_Result IoTHubTopics_BuildCloudToDeviceSubscription(const char *deviceId, char *buffer,
                                                                size_t size, size_t *outLength) {
    if (!CheckOutput(buffer, size, outLength) || !IsValidDeviceId(deviceId)) {
        return IoTHubTopics_Result_InvalidArgument;
    }
    TopicWriter writer;
    Writer_Init(&writer, buffer, size);
    Writer_AppendString(&writer, "devices/");
    Writer_AppendString(&writer, deviceId);
    Writer_AppendString(&writer, "/messages/devicebound/#");
    return Writer_Finish(&writer, outLength);
}

// ---- parsing ----

static const char *SkipPrefix(const char *text, const char *prefix) {
    size_t length = strlen(prefix);
    return strncmp(text, prefix, length) == 0 ? text + length : NULL;
}

static int HexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

static bool IsAllowedRawChar(unsigned char c) {
    return c >= 0x21 && c <= 0x7E && c != '+' && c != '#';
}

// Decodes [text, text+length) into out (NUL-terminated); outSize must exceed the decoded
// length. Fails on a raw character outside the allowed set, a bad or truncated escape, %00, or
// lack of room.
static bool DecodeComponent(const char *text, size_t length, char *out, size_t outSize,
                            size_t *outLength) {
    size_t written = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (!IsAllowedRawChar(c)) {
            return false;
        }
        if (c == '%') {
            if (length - i < 3) {
                return false;
            }
            int high = HexValue(text[i + 1]);
            int low = HexValue(text[i + 2]);
            if (high < 0 || low < 0 || (high == 0 && low == 0)) {
                return false;
            }
            c = (unsigned char)(high * 16 + low);
            i += 2;
        }
        if (written + 1 >= outSize) {
            return false;
        }
        out[written++] = (char)c;
    }
    out[written] = '\0';
    if (outLength != NULL) {
        *outLength = written;
    }
    return true;
}

static bool ParseUnsigned(const char *text, size_t length, uint64_t maximum, uint64_t *out) {
    if (length == 0 || length > 20) {
        return false;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < length; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        uint64_t digit = (uint64_t)(text[i] - '0');
        if (value > (maximum - digit) / 10) {
            return false;
        }
        value = value * 10 + digit;
    }
    *out = value;
    return true;
}

typedef struct {
    const char *requestId;
    size_t requestIdLength;
    bool hasVersion;
    uint64_t version;
} QueryFields;

// Reads "k=v&k=v..." up to the end of the topic. $rid and $version may come in any order;
// other keys are skipped so a hub that adds parameters stays compatible, but every key must
// still decode cleanly. A repeated $rid or $version is ambiguous and refused.
static bool ParseQuery(const char *query, QueryFields *out) {
    memset(out, 0, sizeof(*out));
    const char *pair = query;
    while (*pair != '\0') {
        const char *end = strchr(pair, '&');
        size_t pairLength = end != NULL ? (size_t)(end - pair) : strlen(pair);
        const char *equals = memchr(pair, '=', pairLength);
        size_t keyLength = equals != NULL ? (size_t)(equals - pair) : pairLength;
        const char *value = equals != NULL ? equals + 1 : pair + pairLength;
        size_t valueLength = pairLength - (size_t)(value - pair);

        char key[16];
        bool knownLength = keyLength < sizeof(key);
        if (pairLength > 0 && knownLength &&
            !DecodeComponent(pair, keyLength, key, sizeof(key), NULL)) {
            return false;
        }
        if (pairLength > 0 && knownLength && strcmp(key, "$rid") == 0) {
            if (out->requestId != NULL || !IsValidRequestIdSpan(value, valueLength)) {
                return false;
            }
            out->requestId = value;
            out->requestIdLength = valueLength;
        } else if (pairLength > 0 && knownLength && strcmp(key, "$version") == 0) {
            // Twin versions are positive 64-bit signed integers.
            if (out->hasVersion || !ParseUnsigned(value, valueLength, INT64_MAX, &out->version)) {
                return false;
            }
            out->hasVersion = true;
        } else {
            for (size_t i = 0; i < pairLength; i++) {
                if (!IsAllowedRawChar((unsigned char)pair[i])) {
                    return false;
                }
            }
        }
        if (end == NULL) {
            break;
        }
        pair = end + 1;
    }
    return true;
}

static IoTHubTopics_TopicType ParseTwinResponse(const char *rest, IoTHubTopics_ParsedTopic *out) {
    const char *slash = strchr(rest, '/');
    uint64_t status = 0;
    if (slash == NULL || slash[1] != '?' || slash - rest > 3 ||
        !ParseUnsigned(rest, (size_t)(slash - rest), 599, &status) || status < 100) {
        return IoTHubTopics_TopicType_Malformed;
    }
    QueryFields query;
    if (!ParseQuery(slash + 2, &query) || query.requestId == NULL) {
        return IoTHubTopics_TopicType_Malformed;
    }
    out->status = (int)status;
    memcpy(out->requestId, query.requestId, query.requestIdLength);
    out->requestId[query.requestIdLength] = '\0';
    out->hasVersion = query.hasVersion;
    out->version = query.version;
    return IoTHubTopics_TopicType_TwinResponse;
}

static IoTHubTopics_TopicType ParseDesiredPatch(const char *rest, IoTHubTopics_ParsedTopic *out) {
    QueryFields query;
    if (rest[0] != '?' || !ParseQuery(rest + 1, &query) || !query.hasVersion) {
        return IoTHubTopics_TopicType_Malformed;
    }
    out->hasVersion = true;
    out->version = query.version;
    return IoTHubTopics_TopicType_DesiredPropertiesPatch;
}

static IoTHubTopics_TopicType ParseMethodRequest(const char *rest, IoTHubTopics_ParsedTopic *out) {
    const char *slash = strchr(rest, '/');
    if (slash == NULL || slash == rest || slash[1] != '?' ||
        slash - rest > IOTHUB_TOPICS_MAX_METHOD_NAME_LENGTH) {
        return IoTHubTopics_TopicType_Malformed;
    }
    size_t nameLength = (size_t)(slash - rest);
    for (size_t i = 0; i < nameLength; i++) {
        unsigned char c = (unsigned char)rest[i];
        // Names are used as they are, never decoded, so '%' has no business in one.
        if (c < 0x21 || c > 0x7E || strchr("/?#+&%", c) != NULL) {
            return IoTHubTopics_TopicType_Malformed;
        }
    }
    QueryFields query;
    if (!ParseQuery(slash + 2, &query) || query.requestId == NULL) {
        return IoTHubTopics_TopicType_Malformed;
    }
    memcpy(out->methodName, rest, nameLength);
    out->methodName[nameLength] = '\0';
    memcpy(out->requestId, query.requestId, query.requestIdLength);
    out->requestId[query.requestIdLength] = '\0';
    return IoTHubTopics_TopicType_MethodRequest;
}

// "k=v&k&k=" with empty segments skipped, as IoT Hub writes and reads bags.
static IoTHubTopics_TopicType ParsePropertyBag(const char *bag, IoTHubTopics_ParsedTopic *out) {
    char *storage = out->propertyStorage;
    size_t used = 0;
    const char *pair = bag;
    while (*pair != '\0') {
        const char *end = strchr(pair, '&');
        size_t pairLength = end != NULL ? (size_t)(end - pair) : strlen(pair);
        if (pairLength > 0) {
            if (out->propertyCount == IOTHUB_TOPICS_MAX_PROPERTIES) {
                return IoTHubTopics_TopicType_Malformed;
            }
            const char *equals = memchr(pair, '=', pairLength);
            size_t keyLength = equals != NULL ? (size_t)(equals - pair) : pairLength;
            size_t decoded = 0;
            IoTHubTopics_Property *property = &out->properties[out->propertyCount];
            if (keyLength == 0 || !DecodeComponent(pair, keyLength, storage + used,
                                                   sizeof(out->propertyStorage) - used, &decoded)) {
                return IoTHubTopics_TopicType_Malformed;
            }
            property->name = storage + used;
            used += decoded + 1;
            property->value = NULL;
            if (equals != NULL) {
                if (!DecodeComponent(equals + 1, pairLength - keyLength - 1, storage + used,
                                     sizeof(out->propertyStorage) - used, &decoded)) {
                    return IoTHubTopics_TopicType_Malformed;
                }
                property->value = storage + used;
                used += decoded + 1;
            }
            out->propertyCount++;
        }
        if (end == NULL) {
            break;
        }
        pair = end + 1;
    }
    return IoTHubTopics_TopicType_CloudToDevice;
}

IoTHubTopics_TopicType IoTHubTopics_Parse(const char *topic, const char *deviceId,
                                          IoTHubTopics_ParsedTopic *out) {
    if (out == NULL) {
        return IoTHubTopics_TopicType_NotRecognised;
    }
    memset(out, 0, sizeof(*out));
    if (topic == NULL || deviceId == NULL) {
        return IoTHubTopics_TopicType_NotRecognised;
    }

    IoTHubTopics_TopicType type = IoTHubTopics_TopicType_NotRecognised;
    const char *rest = NULL;
    bool tooLong =
        strnlen(topic, IOTHUB_TOPICS_MAX_TOPIC_LENGTH + 1) > IOTHUB_TOPICS_MAX_TOPIC_LENGTH;
    if ((rest = SkipPrefix(topic, "$iothub/twin/res/")) != NULL) {
        type = tooLong ? IoTHubTopics_TopicType_Malformed : ParseTwinResponse(rest, out);
    } else if ((rest = SkipPrefix(topic, "$iothub/twin/PATCH/properties/desired/")) != NULL) {
        type = tooLong ? IoTHubTopics_TopicType_Malformed : ParseDesiredPatch(rest, out);
    } else if ((rest = SkipPrefix(topic, "$iothub/methods/POST/")) != NULL) {
        type = tooLong ? IoTHubTopics_TopicType_Malformed : ParseMethodRequest(rest, out);
    } else if ((rest = SkipPrefix(topic, "devices/")) != NULL) {
        size_t idLength = strnlen(deviceId, IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH + 1);
        if (idLength > 0 && idLength <= IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH &&
            strncmp(rest, deviceId, idLength) == 0 && rest[idLength] == '/' &&
            (rest = SkipPrefix(rest + idLength + 1, "messages/devicebound/")) != NULL) {
            type = tooLong ? IoTHubTopics_TopicType_Malformed : ParsePropertyBag(rest, out);
        }
    }

    if (type == IoTHubTopics_TopicType_NotRecognised || type == IoTHubTopics_TopicType_Malformed) {
        memset(out, 0, sizeof(*out));
    }
    out->type = type;
    return type;
}

const IoTHubTopics_Property *IoTHubTopics_FindProperty(const IoTHubTopics_ParsedTopic *parsed,
                                                       const char *name) {
    if (parsed == NULL || name == NULL) {
        return NULL;
    }
    size_t count = parsed->propertyCount <= IOTHUB_TOPICS_MAX_PROPERTIES
                       ? parsed->propertyCount
                       : IOTHUB_TOPICS_MAX_PROPERTIES;
    for (size_t i = 0; i < count; i++) {
        if (strcmp(parsed->properties[i].name, name) == 0) {
            return &parsed->properties[i];
        }
    }
    return NULL;
}
