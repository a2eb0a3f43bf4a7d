// SPDX-License-Identifier: MIT
// The app's command line, which comes from CmdArgs in app_manifest.json as in the Azure Sphere
// samples: how to reach IoT Hub and which certificate authority to trust for it.
//
//   --Hostname <hub>.azure-devices.net   connect to that hub directly
//   --ScopeID <id scope>                 ask DPS (global.azure-devices-provisioning.net) which
//                                        hub to use, then connect there
//   --RootCA <path in the image package> PEM file with the CA certificates the hub's and DPS's
//                                        TLS certificates chain to (default: the Azure roots
//                                        shipped in certs/azure-iot-roots.pem)
//
// Exactly one of --Hostname and --ScopeID must be given. Parsing has no I/O, so it is
// unit-tested; every error names the option and the value.
#pragma once

#include <stdbool.h>
#include <stddef.h>

/// DNS names are at most 253 characters.
#define OPTIONS_MAX_HOSTNAME_LENGTH 253
/// DPS id scopes look like "0ne00AB12CD"; 32 leaves room without accepting junk.
#define OPTIONS_MAX_SCOPE_ID_LENGTH 32
#define OPTIONS_MAX_ROOT_CA_PATH_LENGTH 200
#define OPTIONS_DEFAULT_ROOT_CA_PATH "certs/azure-iot-roots.pem"
/// Where DPS is, as in every Azure IoT sample.
#define OPTIONS_DPS_HOSTNAME "global.azure-devices-provisioning.net"
/// Buffer size that holds every error message Options_Parse writes.
#define OPTIONS_ERROR_SIZE 160

typedef enum {
    Options_ConnectionType_Direct,
    Options_ConnectionType_Dps,
} Options_ConnectionType;

typedef struct {
    Options_ConnectionType connectionType;
    /// Set for Direct.
    char hostname[OPTIONS_MAX_HOSTNAME_LENGTH + 1];
    /// Set for Dps.
    char scopeId[OPTIONS_MAX_SCOPE_ID_LENGTH + 1];
    char rootCaPath[OPTIONS_MAX_ROOT_CA_PATH_LENGTH + 1];
} Options;

/// Parses argv[1..argc-1] into *out (cleared first). Unknown options, missing values, values
/// that are too long or malformed, and giving both or neither of --Hostname and --ScopeID are
/// errors. Returns true on success; false with a one-line reason in error (which must hold
/// OPTIONS_ERROR_SIZE bytes) otherwise.
bool Options_Parse(int argc, char *const argv[], Options *out, char *error, size_t errorSize);

/// Returns true when name is a plausible DNS host name: 1..253 characters, labels of 1..63
/// letters, digits and '-', not starting or ending with '-'.
bool Options_IsValidHostname(const char *name);
