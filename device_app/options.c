// SPDX-License-Identifier: MIT
// Values are checked against the shapes the services accept before they are used in a TLS
// host name, an MQTT username or a package path, so a typo in CmdArgs fails at start-up with a
// message naming it rather than as an authentication error minutes later.

#include <stdio.h>
#include <string.h>

#include "options.h"

bool Options_IsValidHostname(const char *name) {
    if (name == NULL) {
        return false;
    }
    size_t length = strnlen(name, OPTIONS_MAX_HOSTNAME_LENGTH + 1);
    if (length == 0 || length > OPTIONS_MAX_HOSTNAME_LENGTH) {
        return false;
    }
    size_t labelLength = 0;
    for (size_t i = 0; i <= length; i++) {
        char c = name[i];
        if (c == '.' || c == '\0') {
            if (labelLength == 0 || name[i - 1] == '-') {
                return false;
            }
            labelLength = 0;
            continue;
        }
        bool alphanumeric =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alphanumeric && !(c == '-' && labelLength > 0)) {
            return false;
        }
        if (++labelLength > 63) {
            return false;
        }
    }
    return true;
}

static bool IsValidScopeId(const char *scope) {
    size_t length = strnlen(scope, OPTIONS_MAX_SCOPE_ID_LENGTH + 1);
    if (length == 0 || length > OPTIONS_MAX_SCOPE_ID_LENGTH) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        char c = scope[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) {
            return false;
        }
    }
    return true;
}

// The rules Storage_GetAbsolutePathInImagePackage applies, plus printable ASCII only.
static bool IsValidPackagePath(const char *path) {
    size_t length = strnlen(path, OPTIONS_MAX_ROOT_CA_PATH_LENGTH + 1);
    if (length == 0 || length > OPTIONS_MAX_ROOT_CA_PATH_LENGTH || path[0] == '/' ||
        path[0] == '.' || strstr(path, "..") != NULL) {
        return false;
    }
    for (size_t i = 0; i < length; i++) {
        if ((unsigned char)path[i] < 0x21 || (unsigned char)path[i] > 0x7E) {
            return false;
        }
    }
    return true;
}

// Prints value for an error message: cut short and with unprintable bytes replaced, since it
// comes from a manifest someone typed.
static void Describe(const char *value, char *out, size_t size) {
    size_t written = 0;
    for (size_t i = 0; value[i] != '\0' && written + 1 < size; i++) {
        if (written + 4 >= size) {
            memcpy(out + written, "...", 3);
            written += 3;
            break;
        }
        unsigned char c = (unsigned char)value[i];
        out[written++] = (c >= 0x20 && c < 0x7F) ? (char)c : '?';
    }
    out[written] = '\0';
}

static bool Fail(char *error, size_t errorSize, const char *option, const char *problem,
                 const char *value) {
    char shown[64];
    Describe(value != NULL ? value : "", shown, sizeof(shown));
    snprintf(error, errorSize, "%s%s%s%s%s", option, problem, value != NULL ? " '" : "", shown,
             value != NULL ? "'" : "");
    return false;
}

static bool Copy(char *out, size_t outSize, const char *value) {
    size_t length = strnlen(value, outSize);
    if (length >= outSize) {
        return false;
    }
    memcpy(out, value, length + 1);
    return true;
}

bool Options_Parse(int argc, char *const argv[], Options *out, char *error, size_t errorSize) {
    if (error != NULL && errorSize > 0) {
        error[0] = '\0';
    }
    if (out == NULL || error == NULL || errorSize == 0 || (argc > 0 && argv == NULL)) {
        return false;
    }
    memset(out, 0, sizeof(*out));
    memcpy(out->rootCaPath, OPTIONS_DEFAULT_ROOT_CA_PATH, sizeof(OPTIONS_DEFAULT_ROOT_CA_PATH));
    bool haveHostname = false;
    bool haveScope = false;
    bool haveRootCa = false;

    for (int i = 1; i < argc; i++) {
        const char *option = argv[i];
        if (option == NULL) {
            return Fail(error, errorSize, "argument", " is missing", NULL);
        }
        bool isHostname = strcmp(option, "--Hostname") == 0;
        bool isScope = strcmp(option, "--ScopeID") == 0;
        bool isRootCa = strcmp(option, "--RootCA") == 0;
        if (!isHostname && !isScope && !isRootCa) {
            return Fail(error, errorSize, "CmdArgs", ": unknown option", option);
        }
        if (i + 1 >= argc || argv[i + 1] == NULL) {
            return Fail(error, errorSize, option, " needs a value", NULL);
        }
        const char *value = argv[++i];
        if ((isHostname && haveHostname) || (isScope && haveScope) || (isRootCa && haveRootCa)) {
            return Fail(error, errorSize, option, " is given twice; second value", value);
        }
        if (isHostname) {
            if (!Options_IsValidHostname(value) ||
                !Copy(out->hostname, sizeof(out->hostname), value)) {
                return Fail(error, errorSize, option, " is not a valid host name:", value);
            }
            haveHostname = true;
        } else if (isScope) {
            if (!IsValidScopeId(value) || !Copy(out->scopeId, sizeof(out->scopeId), value)) {
                return Fail(error, errorSize, option,
                            " is not a DPS id scope (1-32 letters and digits):", value);
            }
            haveScope = true;
        } else {
            if (!IsValidPackagePath(value) ||
                !Copy(out->rootCaPath, sizeof(out->rootCaPath), value)) {
                return Fail(error, errorSize, option,
                            " is not a relative path inside the image package:", value);
            }
            haveRootCa = true;
        }
    }

    if (haveHostname == haveScope) {
        return Fail(error, errorSize, "CmdArgs",
                    haveHostname ? ": give --Hostname or --ScopeID, not both"
                                 : ": give --Hostname <hub> or --ScopeID <id scope>",
                    NULL);
    }
    out->connectionType = haveHostname ? Options_ConnectionType_Direct : Options_ConnectionType_Dps;
    return true;
}
