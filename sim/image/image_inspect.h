// SPDX-License-Identifier: MIT
// `spheresim image inspect`: what a package holds and whether a device trusting a given key would
// accept its signature. The description is a cJSON object (the --json output; the text output is
// rendered from it), and the signature status comes from the device's own verifier, so inspect
// says exactly what a device would say.
#pragma once

#include <cjson/cJSON.h>
#include <stddef.h>

#include "image/image_format.h"

// Describes the package at path. trusted_key (PEM or DER public key, key_len bytes) may be NULL:
// the signature is then reported as unchecked. *out_json (always set unless the file cannot be
// opened or memory runs out; the caller deletes it) holds:
//   file, bytes, structure: {status, message?}, formatVersion, type, componentId, name, version,
//   buildTime (ISO 8601 UTC), buildTimeUnix, payloadBytes,
//   files: [{path, mode ("0755"), bytes, sha256}],
//   signature: {status, message?, keyId?, trustedKeyId?}
// with status values from sim_image_result_name, or "unchecked". Fields a broken package does not
// provide are left out; text from the package is kept as is (cJSON escapes it) for JSON.
// Returns SIM_IMAGE_OK when the package is well-formed and its signature verifies against
// trusted_key; otherwise the first problem (SIM_IMAGE_ERR_BAD_KEY with "no trusted key" when
// trusted_key is NULL), with its reason in err.
enum sim_image_result sim_image_inspect(const char *path, const void *trusted_key, size_t key_len,
                                        cJSON **out_json, char *err, size_t err_size);
