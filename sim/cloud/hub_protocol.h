// SPDX-License-Identifier: MIT
// The device side of Azure IoT Hub's MQTT protocol as the local hub sees it, without I/O: CONNECT
// usernames, property bags, the topics a device publishes and subscribes, and the topics the hub
// publishes back. Everything here is pure and bounded, so the mosquitto plugin can feed it raw
// client input and act only on what comes back HUB_OK. Protocol facts:
// shared/reference/iothub-mqtt-protocol.md, sections 1 and 2.
//
// Builders return the number of characters written (not counting the NUL) or -1 when the output
// does not fit or an argument is invalid; on -1, out is the empty string when size > 0.
#ifndef SPHERESIM_CLOUD_HUB_PROTOCOL_H
#define SPHERESIM_CLOUD_HUB_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_result.h"

#define HUB_MAX_ID 128 /* device/module ids: up to 128 chars of [A-Za-z0-9-.%_*?!(),:=@$'] */
#define HUB_MAX_RID 128
#define HUB_MAX_METHOD 128
#define HUB_MAX_PROPERTIES 64
#define HUB_MAX_PROPERTY_KEY 256    /* buffer size: keys hold at most 255 decoded bytes */
#define HUB_MAX_PROPERTY_VALUE 1024 /* buffer size: values hold at most 1023 decoded bytes */

// True when id is 1..HUB_MAX_ID characters, all from the set IoT Hub allows in device and module
// ids. False for NULL. MQTT wildcards ('+', '#') and '/' are never in that set.
bool hub_is_valid_device_id(const char *id);

// True when rid can be echoed into a reply topic: 1..HUB_MAX_RID characters 0x21..0x7e other
// than '+', '#' and '&', with every '%' a valid escape that does not decode to NUL.
bool hub_is_valid_request_id(const char *rid);

// True when name can be a direct method name in "$iothub/methods/POST/{name}/": 1..HUB_MAX_METHOD
// characters 0x21..0x7e other than '/', '?', '#', '+', '&' and '%'.
bool hub_is_valid_method_name(const char *name);

// Percent-decodes n bytes at s into out (NUL-terminated); '+' stays a plus. HUB_ERR_INVALID for a
// bad escape or a NUL (raw or decoded), HUB_ERR_TOO_LARGE when out is too small. *out_len (if
// non-NULL) gets the decoded length.
enum hub_result hub_url_decode(const char *s, size_t n, char *out, size_t out_size,
                               size_t *out_len);

// Percent-encodes every byte of s but [A-Za-z0-9-._~], uppercase hex. Returns chars written or -1.
int hub_url_encode(const char *s, char *out, size_t out_size);

struct hub_username {
    char host[256];
    char device_id[HUB_MAX_ID + 1];
    char module_id[HUB_MAX_ID + 1]; /* "" for a device connection */
    char api_version[32];           /* "" when the client sent none */
    char model_id[256];             /* "" when absent */
};

// Parses a hub CONNECT username as leniently as the hub: "{host}/{deviceId}/" followed by nothing,
// "?{query}" or (old clients) "api-version=…[&…]"; a module connection puts "{moduleId}/" after
// the device id. Query values are URL-decoded; api-version and model-id are kept, others
// (DeviceClientType, …) ignored. HUB_ERR_INVALID for anything else: bad ids, a host with
// characters no host name has, bad %-escapes, a repeated api-version or model-id, over-long
// fields. out is zeroed first.
enum hub_result hub_parse_username(const char *username, struct hub_username *out);

struct hub_dps_username {
    char id_scope[64];
    char registration_id[HUB_MAX_ID + 1];
    char api_version[32];
};

// Parses a DPS CONNECT username "{idScope}/registrations/{registrationId}/api-version=…[&…]"
// (also accepted with "?" before the query). Registration ids are 1..128 of [A-Za-z0-9-._:].
// HUB_ERR_NO_MATCH when the second segment is not "registrations" (so the caller can try
// hub_parse_username), HUB_ERR_INVALID for a malformed DPS username. out is zeroed first.
enum hub_result hub_parse_dps_username(const char *username, struct hub_dps_username *out);

struct hub_property {
    char key[HUB_MAX_PROPERTY_KEY];
    char value[HUB_MAX_PROPERTY_VALUE];
    bool has_value; /* "key" alone = null value; "key=" = empty */
};

struct hub_property_bag {
    struct hub_property items[HUB_MAX_PROPERTIES];
    size_t count;
};

// Parses len bytes of "k=v&k2=v2" (RFC 2396 URL-encoded; '+' is a plus, not a space) into decoded
// pairs in order; text need not be NUL-terminated. Empty segments ("a=1&&b", a trailing '&') are
// skipped; the first '=' splits key from value. HUB_ERR_INVALID for a bad %-escape ("%", "%4",
// "%zz"), anything that decodes to or contains a NUL byte, or an empty key; HUB_ERR_TOO_LARGE for
// more than HUB_MAX_PROPERTIES pairs or a key/value longer than its buffer. Only the first
// out->count items are written (count is 0 on error); the rest of out is left as it was.
enum hub_result hub_parse_property_bag(const char *text, size_t len, struct hub_property_bag *out);

// The checks of hub_parse_property_bag without storing anything (cheap enough for every publish).
enum hub_result hub_validate_property_bag(const char *text, size_t len);

// Encodes bag as "k=v&k2=v2", percent-encoding every byte but the unreserved ones
// ([A-Za-z0-9-._~]) with uppercase hex, so "$.mid" becomes "%24.mid". Returns chars written or -1.
int hub_encode_property_bag(const struct hub_property_bag *bag, char *out, size_t out_size);

// True for decoded keys starting with "$." ($.mid, $.cid, $.ct, $.ce, $.uid, $.ctime, $.sub,
// $.exp, $.to, …); everything else is an application property.
bool hub_is_system_property(const char *key);

// The value of the first pair named key: NULL if absent, "" for a null (or empty) value.
const char *hub_property_get(const struct hub_property_bag *bag, const char *key);

enum hub_publish_kind {
    HUB_PUB_TELEMETRY,
    HUB_PUB_TWIN_GET,
    HUB_PUB_TWIN_PATCH_REPORTED,
    HUB_PUB_METHOD_RESPONSE,
    HUB_PUB_DPS_REGISTER,
    HUB_PUB_DPS_POLL,
};

struct hub_publish_topic {
    enum hub_publish_kind kind;
    char request_id[HUB_MAX_RID + 1];   /* $rid exactly as the device wrote it (still encoded) */
    int status;                         /* method response status */
    char operation_id[HUB_MAX_RID + 1]; /* DPS poll, URL-decoded */
    size_t properties_offset, properties_len; /* telemetry: the bag within topic (may be empty) */
};

// Classifies a topic a device published. device_id is the publisher's MQTT client id: "{deviceId}"
// or, for a module, "{deviceId}/{moduleId}". Accepted:
//   devices/{id}/messages/events/[{bag}]    (device client only)
//   devices/{id}/modules/{mid}/messages/events/[{bag}]    (module client only)
//   $iothub/twin/GET/?$rid={rid}
//   $iothub/twin/PATCH/properties/reported/?$rid={rid}[&…]
//   $iothub/methods/res/{status}/?$rid={rid}               (status: a decimal int)
//   $dps/registrations/PUT/iotdps-register/?$rid={rid}
//   $dps/registrations/GET/iotdps-get-operationstatus/?$rid={rid}&operationId={op}  (any order)
// Unknown query parameters are ignored. "devices/{id}/messages/events" without the trailing slash
// is NOT telemetry: the hub leaves it unmatched (Azure/azure-iot-protocol-gateway#31,
// thin-edge/thin-edge.io#173), so it is HUB_ERR_NO_MATCH like any unknown topic.
// Returns HUB_ERR_NO_MATCH for another device's topic or an unknown topic, HUB_ERR_INVALID for a
// known request topic that is malformed: missing, empty, repeated or over-long $rid or
// operationId, non-integer or out-of-range status, an invalid telemetry property bag (checked
// with hub_validate_property_bag), or an invalid device_id. out is zeroed first.
enum hub_result hub_classify_publish(const char *topic, const char *device_id,
                                     struct hub_publish_topic *out);

enum hub_subscription_kind {
    HUB_SUB_C2D,
    HUB_SUB_METHODS,
    HUB_SUB_TWIN_RESPONSES,
    HUB_SUB_TWIN_DESIRED,
    HUB_SUB_DPS_RESPONSES,
};

// Classifies a filter a device subscribes: "devices/{id}/messages/devicebound/#" (also with '+'
// for {id}, as azure-sdk-for-c subscribes; device clients only), "$iothub/methods/POST/#",
// "$iothub/twin/res/#", "$iothub/twin/PATCH/properties/desired/#", "$dps/registrations/res/#".
// device_id as for hub_classify_publish. HUB_ERR_NO_MATCH for anything else (including another
// device's C2D filter), HUB_ERR_INVALID for NULL arguments or an invalid device_id.
enum hub_result hub_classify_subscription(const char *filter, const char *device_id,
                                          enum hub_subscription_kind *out);

// "$iothub/twin/res/{status}/?$rid={rid}[&$version={version}]"; version < 0 omits it.
int hub_topic_twin_response(char *out, size_t size, int status, const char *rid, long version);
// "$iothub/twin/PATCH/properties/desired/?$version={version}"
int hub_topic_twin_desired(char *out, size_t size, long version);
// "$iothub/methods/POST/{method}/?$rid={rid}"; -1 unless both pass their hub_is_valid_* check.
int hub_topic_method_request(char *out, size_t size, const char *method, const char *rid);
// "devices/{id}/messages/devicebound/{encoded bag}"; bag may be NULL or empty.
int hub_topic_c2d(char *out, size_t size, const char *device_id,
                  const struct hub_property_bag *bag);
// "$dps/registrations/res/{status}/?$rid={rid}[&retry-after={retry_after}]"; < 0 omits it.
int hub_topic_dps_response(char *out, size_t size, int status, const char *rid, int retry_after);

#endif
