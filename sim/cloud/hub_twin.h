// SPDX-License-Identifier: MIT
// A device twin as the local hub keeps it: tags, desired and reported properties, their
// "$metadata" mirrors and versions, with the patch rules, JSON-merge semantics and views that IoT
// Hub documents (MS-docs iot-hub-devguide-device-twins.md; shared/reference/
// iothub-mqtt-protocol.md, "Twin"). No I/O: the plugin stores what hub_twin_to_json gives and
// publishes what the view functions build.
#ifndef SPHERESIM_CLOUD_HUB_TWIN_H
#define SPHERESIM_CLOUD_HUB_TWIN_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cloud/hub_result.h"

#define HUB_TWIN_MAX_SECTION_BYTES (32 * 1024)
#define HUB_TWIN_MAX_TAGS_BYTES (8 * 1024)
#define HUB_TWIN_MAX_DEPTH 10 /* nesting of objects (and arrays) below a section's root */
#define HUB_TWIN_MAX_KEY_BYTES 1024
#define HUB_TWIN_MAX_STRING_BYTES (4 * 1024)
#define HUB_TWIN_MAX_SAFE_INTEGER 4503599627370495.0 /* 2^52 - 1 */

struct hub_twin { /* caller owns; cJSON trees, never NULL after hub_twin_init */
    cJSON *tags;
    cJSON *desired;
    cJSON *reported;
    /* mirror trees: "$lastUpdated" (and "$lastUpdatedVersion" for desired) at every level */
    cJSON *desired_metadata;
    cJSON *reported_metadata;
    long desired_version;
    long reported_version;
    long version; /* twin version: bumps on every change */
    char etag[64];
};

// Empty objects, all versions 1 (a new twin's desired and reported "$version" start at 1 as the
// real hub shows). Aborts on allocation failure: a hub that cannot allocate a few empty objects
// cannot serve anyone.
void hub_twin_init(struct hub_twin *t);

// Frees the trees and leaves t zeroed; safe on a zeroed or already-freed twin.
void hub_twin_free(struct hub_twin *t);

// Validates a desired or reported patch. It must be an object; keys non-empty, at most 1 KB of
// valid UTF-8, without '.', '$', ' ' or control characters, and unique within their object; a
// top-level "$version" is ignored (notifications carry one), any other '$' key is refused.
// Values: strings (valid UTF-8, at most 4 KB), finite numbers (integral ones within
// ±4503599627370495), booleans, null (= delete), objects and arrays, nested at most
// HUB_TWIN_MAX_DEPTH deep. Returns HUB_ERR_INVALID (HUB_ERR_TOO_LARGE for depth or a size limit)
// with err holding one line naming the offending path, e.g. "a.b: key contains '.'".
enum hub_result hub_twin_validate_patch(const cJSON *patch, char *err, size_t err_size);

// Validates and merges patch into the desired ('d') or reported ('r') section: objects merge
// recursively, null deletes, anything else replaces. Every changed node (and each object on the
// way to it) gets "$lastUpdated" = now_iso in the metadata mirror, plus "$lastUpdatedVersion" for
// desired. The section version and the twin version go up by one and the etag follows. If the
// merged section would print to more than HUB_TWIN_MAX_SECTION_BYTES, returns HUB_ERR_TOO_LARGE
// and changes nothing; HUB_ERR_INVALID for a patch hub_twin_validate_patch refuses or a bad
// which/now_iso; HUB_ERR_INTERNAL on allocation failure (nothing changed either). err names the
// section, e.g. "reported.a.b: key contains '.'".
enum hub_result hub_twin_apply_patch(struct hub_twin *t, char which, const cJSON *patch,
                                     const char *now_iso, char *err, size_t err_size);

// Merges patch into the tags by the same rules (objects merge, null deletes, the keys and values
// hub_twin_validate_patch allows), bumping the twin version and etag. Tags carry no metadata and
// no version of their own. HUB_ERR_TOO_LARGE (nothing changed) if the tags would print to more
// than HUB_TWIN_MAX_TAGS_BYTES; HUB_ERR_INVALID for a refused patch; HUB_ERR_INTERNAL on
// allocation failure. err names the path, e.g. "tags.a: key contains '.'".
enum hub_result hub_twin_apply_tags(struct hub_twin *t, const cJSON *patch, char *err,
                                    size_t err_size);

// Device view for a twin GET: {"desired":{…,"$version":n},"reported":{…,"$version":m}} without
// tags or metadata. Caller frees; NULL on allocation failure.
cJSON *hub_twin_device_view(const struct hub_twin *t);

// Body of a desired-change notification: patch (without any "$version" it carried) plus
// "$version": the current desired version, i.e. call it after hub_twin_apply_patch. Caller frees;
// NULL on allocation failure or a patch that is not an object.
cJSON *hub_twin_desired_notification(const struct hub_twin *t, const cJSON *patch);

// Service view as GET /twins/{id} answers: {"deviceId","etag","status","connectionState",
// "version","tags","properties":{"desired":{…,"$metadata":{…},"$version"},"reported":{…same}}}.
// status NULL means "enabled". Caller frees; NULL on allocation failure.
cJSON *hub_twin_service_view(const struct hub_twin *t, const char *device_id, const char *status,
                             bool connected);

// The whole twin as one JSON text for the store. Caller frees with cJSON_free; NULL on failure.
char *hub_twin_to_json(const struct hub_twin *t);

// Restores a twin from hub_twin_to_json text. out need not be initialised (anything in it is
// overwritten, not freed); on every return it holds a twin that hub_twin_free releases: the
// stored one on HUB_OK, an empty initialised one otherwise. HUB_ERR_INVALID for malformed JSON,
// missing or mistyped fields, versions outside 1..2^53 or sections that break the patch rules.
enum hub_result hub_twin_from_json(const char *text, struct hub_twin *out);

#endif
