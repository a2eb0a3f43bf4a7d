// SPDX-License-Identifier: MIT
// Bounded JSON input and output for everything the cloud sends the device: twin documents,
// desired-property patches, direct-method payloads and cloud-to-device messages. All of it is
// hostile until proven otherwise, and the app has 256 KiB of memory in total, so a payload is
// measured before cJSON sees it: too long, too deeply nested or not exactly one JSON value is
// refused without building a tree. Output goes into caller-owned buffers so a reply can never
// grow beyond what the caller planned for.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cJSON.h>

/// Nesting this deep is far beyond any document this app accepts and far below what would
/// strain the device's stack in cJSON's recursive parser.
#define JSON_UTILS_DEFAULT_MAX_DEPTH 16

typedef enum {
    JsonUtils_Result_Ok = 0,
    /// No bytes at all, or only whitespace.
    JsonUtils_Result_Empty,
    /// Longer than the caller's limit.
    JsonUtils_Result_TooLarge,
    /// Arrays and objects nested deeper than the caller's limit.
    JsonUtils_Result_TooDeep,
    /// Not a single well-formed JSON value (this includes embedded NUL bytes and trailing
    /// garbage), or cJSON ran out of memory.
    JsonUtils_Result_Invalid,
} JsonUtils_Result;

/// Parses length bytes at text (which need not be NUL-terminated) as exactly one JSON value,
/// refusing input longer than maxLength bytes or nested deeper than maxDepth.
/// Returns JsonUtils_Result_Ok with the tree in *outRoot (free it with cJSON_Delete); any other
/// value with *outRoot set to NULL. text may be NULL only when length is 0.
JsonUtils_Result JsonUtils_Parse(const char *text, size_t length, size_t maxLength,
                                 unsigned int maxDepth, cJSON **outRoot);

/// Returns a short, constant, human-readable description of result, for logs and for the
/// "error" member of replies.
const char *JsonUtils_ResultToString(JsonUtils_Result result);

/// Serialises root compactly into buffer (NUL-terminated) and stores its length, without the
/// NUL, in *outLength.
/// Returns true on success; false when root is NULL, or when the text does not fit in size
/// bytes (cJSON needs a few bytes of slack beyond the text itself), in which case buffer holds
/// an empty string and *outLength is 0.
bool JsonUtils_Print(const cJSON *root, char *buffer, size_t size, size_t *outLength);
