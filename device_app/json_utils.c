// SPDX-License-Identifier: MIT
// The pre-parse scan walks the bytes once, tracking only whether it is inside a string and how
// deep the brackets go. That is all it takes to bound cJSON's recursion (cJSON's own limit is
// 1000 levels, far more stack than a device app should spend) and to reject NUL bytes, which
// cJSON would otherwise treat as the end of the input and so accept a truncated document.

#include <limits.h>
#include <string.h>

#include "json_utils.h"

static bool IsJsonWhitespace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static JsonUtils_Result ScanStructure(const char *text, size_t length, unsigned int maxDepth) {
    unsigned int depth = 0;
    bool inString = false;
    bool escaped = false;
    bool sawValue = false;
    for (size_t i = 0; i < length; i++) {
        char c = text[i];
        if (c == '\0') {
            return JsonUtils_Result_Invalid;
        }
        if (!IsJsonWhitespace(c)) {
            sawValue = true;
        }
        if (inString) {
            if (escaped) {
                escaped = false;
            } else if (c == '\\') {
                escaped = true;
            } else if (c == '"') {
                inString = false;
            }
            continue;
        }
        if (c == '"') {
            inString = true;
        } else if (c == '[' || c == '{') {
            if (++depth > maxDepth) {
                return JsonUtils_Result_TooDeep;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return sawValue ? JsonUtils_Result_Ok : JsonUtils_Result_Empty;
}

JsonUtils_Result JsonUtils_Parse(const char *text, size_t length, size_t maxLength,
                                 unsigned int maxDepth, cJSON **outRoot) {
    if (outRoot == NULL) {
        return JsonUtils_Result_Invalid;
    }
    *outRoot = NULL;
    if (length == 0) {
        return JsonUtils_Result_Empty;
    }
    if (text == NULL) {
        return JsonUtils_Result_Invalid;
    }
    if (length > maxLength) {
        return JsonUtils_Result_TooLarge;
    }
    JsonUtils_Result result = ScanStructure(text, length, maxDepth);
    if (result != JsonUtils_Result_Ok) {
        return result;
    }

    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, length, &end, false);
    if (root == NULL) {
        return JsonUtils_Result_Invalid;
    }
    // cJSON stops after the first value; anything but whitespace after it means the sender
    // meant something else than what was parsed.
    for (const char *p = end; p != NULL && p < text + length; p++) {
        if (!IsJsonWhitespace(*p)) {
            cJSON_Delete(root);
            return JsonUtils_Result_Invalid;
        }
    }
    *outRoot = root;
    return JsonUtils_Result_Ok;
}

const char *JsonUtils_ResultToString(JsonUtils_Result result) {
    switch (result) {
        case JsonUtils_Result_Ok:
            return "ok";
        case JsonUtils_Result_Empty:
            return "payload is empty";
        case JsonUtils_Result_TooLarge:
            return "payload is too large";
        case JsonUtils_Result_TooDeep:
            return "payload is nested too deeply";
        case JsonUtils_Result_Invalid:
            return "payload is not valid JSON";
    }
    return "unknown JSON error";
}

bool JsonUtils_Print(const cJSON *root, char *buffer, size_t size, size_t *outLength) {
    if (outLength != NULL) {
        *outLength = 0;
    }
    if (buffer == NULL || size == 0) {
        return false;
    }
    buffer[0] = '\0';
    if (root == NULL || outLength == NULL) {
        return false;
    }
    int bufferLength = size > (size_t)INT_MAX ? INT_MAX : (int)size;
    // cJSON's API takes a non-const item although printing does not modify it.
    if (!cJSON_PrintPreallocated((cJSON *)root, buffer, bufferLength, false)) {
        buffer[0] = '\0';
        return false;
    }
    *outLength = strnlen(buffer, size);
    return true;
}
