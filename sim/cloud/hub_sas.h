// SPDX-License-Identifier: MIT
// Shared access signature tokens as IoT Hub and DPS use them for symmetric-key devices: making
// one (for tests and the CLI) and verifying the one a device sends as its MQTT password.
//
// Token: "SharedAccessSignature sr={URL-encoded resource}&sig={URL-encoded signature}&se={expiry}"
// plus "&skn={key name}" for policy keys, where signature = Base64(HMAC-SHA256(Base64Decode(key),
// "{URL-encoded resource}\n{expiry}")) and expiry is in seconds since the epoch
// (shared/reference/iothub-mqtt-protocol.md, "SAS signing").
#ifndef SPHERESIM_CLOUD_HUB_SAS_H
#define SPHERESIM_CLOUD_HUB_SAS_H

#include <stddef.h>

#include "cloud/hub_result.h"

#define HUB_SAS_MAX_TOKEN 4096
#define HUB_SAS_MAX_RESOURCE 1024  /* decoded resource URI */
#define HUB_SAS_MAX_KEY_BYTES 256  /* decoded key */
#define HUB_SAS_KEY_BYTES 32       /* what hub_sas_key_generate makes */
#define HUB_SAS_KEY_BASE64_SIZE 45 /* buffer for a generated key, NUL included */

// Builds a token for resource (e.g. "myhub.azure-devices.net/devices/dev1", not yet encoded)
// signed with key_base64, with "&skn=" when key_name is non-NULL. Returns chars written, or -1 for
// a key that is not base64, a resource or key name that is empty or too long, expiry <= 0, or an
// out buffer too small (out is then "" when out_size > 0).
int hub_sas_token_make(const char *resource, const char *key_base64, const char *key_name,
                       long long expiry, char *out, size_t out_size);

// Verifies a device's token for expected_resource against key_base64 at time now. The decoded sr
// must equal expected_resource, the host part (up to the first '/') compared case-insensitively
// as host names are, the rest exactly (ids are case-sensitive). The signature must match the sr
// text as sent, or our own encoding of it (uppercase or lowercase hex), since clients differ in
// how they encode. Returns HUB_OK; HUB_ERR_INVALID for a malformed token (no
// "SharedAccessSignature " prefix, a missing, repeated or unknown field, a bad escape, a
// non-numeric se, a signature that is not 32 bytes of base64); HUB_ERR_AUTH for another resource
// or a wrong signature; HUB_ERR_EXPIRED when everything matches but se <= now; HUB_ERR_INTERNAL
// when key_base64 is not a usable key. err gets a one-line reason (never the key or signature).
enum hub_result hub_sas_token_verify(const char *token, const char *expected_resource,
                                     const char *key_base64, long long now, char *err,
                                     size_t err_size);

// Writes a new random HUB_SAS_KEY_BYTES-byte key, base64-encoded, for a device registration.
// Returns 0, or -1 when out_size < HUB_SAS_KEY_BASE64_SIZE or the random generator fails.
int hub_sas_key_generate(char *out, size_t out_size);

#endif
