// SPDX-License-Identifier: MIT
// MQTT topic names of the IoT Hub device protocol: building the topics the device publishes to
// (telemetry with its property bag, twin GET and reported-property PATCH requests, direct-method
// responses) and classifying the topics the hub publishes on (twin responses, desired-property
// notifications, method requests, cloud-to-device messages). No I/O: the connection code hands
// in strings and gets strings or parsed fields back.
//
// Everything that arrives is hostile: an incoming topic is bounded, every escape is checked,
// and a request id is only accepted if it can be echoed back into a reply topic unchanged.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/// Incoming topics longer than this are refused. A C2D property bag is the only long part;
/// 1 KiB holds the hub's system properties plus a handful of application properties.
#define IOTHUB_TOPICS_MAX_TOPIC_LENGTH 1024
/// IoT Hub's limits on device ids, request ids and method names (characters).
#define IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH 128
#define IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH 128
#define IOTHUB_TOPICS_MAX_METHOD_NAME_LENGTH 128
/// Most properties a C2D message may carry before it is refused as malformed.
#define IOTHUB_TOPICS_MAX_PROPERTIES 24
/// Buffer size that always holds an ISO-8601 UTC time with milliseconds, NUL included.
#define IOTHUB_TOPICS_ISO8601_SIZE 32

/// Topic filters the device subscribes to (C2D needs the device id: see
/// IoTHubTopics_BuildCloudToDeviceSubscription).
#define IOTHUB_TOPICS_TWIN_RESPONSE_SUBSCRIPTION "$iothub/twin/res/#"
#define IOTHUB_TOPICS_DESIRED_PATCH_SUBSCRIPTION "$iothub/twin/PATCH/properties/desired/#"
#define IOTHUB_TOPICS_METHOD_REQUEST_SUBSCRIPTION "$iothub/methods/POST/#"

/// Results of the topic builders.
typedef enum {
    IoTHubTopics_Result_Ok = 0,
    /// A required argument is NULL, or a value breaks IoT Hub's rules (device id, request id,
    /// status, application property name starting with '$').
    IoTHubTopics_Result_InvalidArgument,
    /// The topic does not fit; the buffer holds an empty string.
    IoTHubTopics_Result_BufferTooSmall,
} IoTHubTopics_Result;

/// One application property of a telemetry message or C2D message. A NULL value means the
/// property is present without a value ("key" rather than "key=").
typedef struct {
    const char *name;
    const char *value;
} IoTHubTopics_Property;

/// What goes into a telemetry message's property bag. The content type (application/json) and
/// encoding (utf-8) are always added, so the hub can route on the body.
typedef struct {
    /// $.mid: unique for the life of the device, so the cloud can drop duplicates that
    /// at-least-once delivery produces. Required.
    const char *messageId;
    /// $.ctime: when the reading was taken (UTC), not when it was sent; NULL leaves it out.
    const struct timespec *creationTime;
    /// Application properties, URL-encoded on the way out; names must not start with '$'.
    const IoTHubTopics_Property *properties;
    size_t propertyCount;
} IoTHubTopics_TelemetryProperties;

/// Builds "devices/{deviceId}/messages/events/{property bag}".
/// Returns IoTHubTopics_Result_Ok with the length (without NUL) in *outLength (which may be
/// NULL); otherwise an error and an empty buffer.
IoTHubTopics_Result IoTHubTopics_BuildTelemetryTopic(
    const char *deviceId, const IoTHubTopics_TelemetryProperties *properties, char *buffer,
    size_t size, size_t *outLength);

/// Builds "$iothub/twin/GET/?$rid={requestId}". Errors as IoTHubTopics_BuildTelemetryTopic.
IoTHubTopics_Result IoTHubTopics_BuildTwinGetTopic(const char *requestId, char *buffer, size_t size,
                                                   size_t *outLength);

/// Builds "$iothub/twin/PATCH/properties/reported/?$rid={requestId}". Errors as
/// IoTHubTopics_BuildTelemetryTopic.
IoTHubTopics_Result IoTHubTopics_BuildTwinReportedPatchTopic(const char *requestId, char *buffer,
                                                             size_t size, size_t *outLength);

/// Builds "$iothub/methods/res/{status}/?$rid={requestId}"; status must be 100..599 and
/// requestId the one the request carried. Errors as IoTHubTopics_BuildTelemetryTopic.
IoTHubTopics_Result IoTHubTopics_BuildMethodResponseTopic(int status, const char *requestId,
                                                          char *buffer, size_t size,
                                                          size_t *outLength);

/// Builds the C2D subscription filter "devices/{deviceId}/messages/devicebound/#". Errors as
/// IoTHubTopics_BuildTelemetryTopic.
IoTHubTopics_Result IoTHubTopics_BuildCloudToDeviceSubscription(const char *deviceId, char *buffer,
                                                                size_t size, size_t *outLength);

/// Formats *utc as "YYYY-MM-DDTHH:MM:SS.mmmZ" into buffer (at least IOTHUB_TOPICS_ISO8601_SIZE
/// bytes is always enough).
/// Returns true on success; false when an argument is NULL, the time is not representable, or
/// the buffer is too small (buffer then holds an empty string when size > 0).
bool IoTHubTopics_FormatIso8601(const struct timespec *utc, char *buffer, size_t size);

/// What an incoming topic is.
typedef enum {
    /// Not a topic of the IoT Hub device protocol for this device: ignore it.
    IoTHubTopics_TopicType_NotRecognised = 0,
    /// Starts like a protocol topic but breaks its rules (bad status, missing or invalid $rid
    /// or $version, bad escape, too long, too many properties): log it and drop it.
    IoTHubTopics_TopicType_Malformed,
    /// "$iothub/twin/res/{status}/?$rid=..[&$version=..]": status, requestId, maybe version.
    IoTHubTopics_TopicType_TwinResponse,
    /// "$iothub/twin/PATCH/properties/desired/?$version=..": version.
    IoTHubTopics_TopicType_DesiredPropertiesPatch,
    /// "$iothub/methods/POST/{name}/?$rid=..": methodName, requestId.
    IoTHubTopics_TopicType_MethodRequest,
    /// "devices/{deviceId}/messages/devicebound/{bag}": properties (decoded).
    IoTHubTopics_TopicType_CloudToDevice,
} IoTHubTopics_TopicType;

/// The fields of an incoming topic. Only the fields named for its type are set; strings are
/// NUL-terminated and live inside the structure, so it may outlive the topic it came from. The
/// property pointers point into the same structure: do not copy it by assignment.
typedef struct {
    IoTHubTopics_TopicType type;
    int status;
    bool hasVersion;
    uint64_t version;
    /// Exactly as received (not decoded), so a reply echoes it byte for byte.
    char requestId[IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH + 1];
    char methodName[IOTHUB_TOPICS_MAX_METHOD_NAME_LENGTH + 1];
    size_t propertyCount;
    /// Decoded names and values; pointers into propertyStorage.
    IoTHubTopics_Property properties[IOTHUB_TOPICS_MAX_PROPERTIES];
    char propertyStorage[IOTHUB_TOPICS_MAX_TOPIC_LENGTH + 1];
} IoTHubTopics_ParsedTopic;

/// Classifies a NUL-terminated incoming topic for the device deviceId and extracts its fields
/// into *out (cleared first). C2D topics for another device id are NotRecognised.
/// Returns the topic's type; NotRecognised also when an argument is NULL.
IoTHubTopics_TopicType IoTHubTopics_Parse(const char *topic, const char *deviceId,
                                          IoTHubTopics_ParsedTopic *out);

/// Returns the first property of a parsed C2D topic named name (decoded, case-sensitive), or
/// NULL when there is none or an argument is NULL.
const IoTHubTopics_Property *IoTHubTopics_FindProperty(const IoTHubTopics_ParsedTopic *parsed,
                                                       const char *name);

/// Returns true when requestId is 1..IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH characters from
/// 0x21..0x7E other than '+', '#' and '&' - the values that can be echoed into a topic.
bool IoTHubTopics_IsValidRequestId(const char *requestId);
