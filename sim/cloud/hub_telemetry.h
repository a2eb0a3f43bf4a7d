// SPDX-License-Identifier: MIT
// Device-to-cloud telemetry as the local hub accepts it: the size limit, the topic's property bag
// split into system and application properties the way an IoT Hub back end sees them, RETAIN
// turned into the "mqtt-retain" application property, and the message stored (through the ingest
// journal, hub_ingest.h) with its enqueue time. The plugin calls this on the broker thread and then
// consumes the message, so a device's telemetry never reaches other MQTT subscribers. A device's
// Will message, which the hub forwards when the device's connection drops without DISCONNECT, is
// stored the same way with the application property "iothub-MessageType": "Will".
//
// System properties are keyed by the names an Event Hubs consumer of IoT Hub sees: "$.mid" ->
// "message-id", "$.cid" -> "correlation-id", "$.ct" -> "content-type", "$.ce" ->
// "content-encoding", "$.uid" -> "user-id", "$.ctime" -> "iothub-creation-time-utc", "$.sub" ->
// "dt-subject", "$.exp" -> "absolute-expiry-time", "$.to" -> "to"; other "$."-keys keep their
// name. The hub adds "iothub-connection-device-id", "iothub-enqueuedtime" and
// "iothub-message-source": "Telemetry". A key given without a value is JSON null; when a key
// repeats, the first occurrence counts.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cloud/hub_ingest.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_store.h"

// IoT Hub's device-to-cloud limit, counted over body plus encoded property bag.
#define HUB_TELEMETRY_MAX_BYTES (256 * 1024)
// The application property that marks a forwarded Will message (value "Will").
#define HUB_TELEMETRY_MESSAGE_TYPE "iothub-MessageType"

struct hub_telemetry_input {
    const char *device_id;
    const char *topic;                           // as published
    const struct hub_publish_topic *classified;  // hub_classify_publish's result for topic
    const void *payload;
    size_t payload_len;
    bool retain;
    bool will;         // the device's Will, sent for it after its connection dropped
    long long now_ms;  // enqueue time, ms since the epoch
};

// Validates one telemetry message and makes it durable (hub_ingest_add). Returns HUB_OK;
// HUB_ERR_TOO_LARGE past the limit; HUB_ERR_INVALID for a malformed property bag or a topic that
// is not telemetry; HUB_ERR_INTERNAL when memory or the journal fails. reason gets a one-line
// explanation on error. *out_sequence (optional) gets the message's sequence number.
enum hub_result hub_telemetry_accept(struct hub_ingest *ingest,
                                     const struct hub_telemetry_input *in, long long *out_sequence,
                                     char *reason, size_t reason_size);

// One stored message as service callers and `hub telemetry --json` show it: {"sequence",
// "deviceId","enqueuedTime","systemProperties","properties","body","bodyEncoding"}, the body as
// text when it is valid UTF-8 without NUL ("utf-8"), else base64 ("base64"). NULL when out of
// memory.
cJSON *hub_telemetry_to_json(const struct hub_telemetry *message);

// True for len bytes of well-formed UTF-8 without NUL: bodies that can be shown as text.
bool hub_telemetry_is_text(const void *body, size_t len);
