// SPDX-License-Identifier: MIT
// Building an image package from an unpacked app directory (the layout spheresim_add_app
// produces: app_manifest.json, bin/app, resources), the cloud side of `spheresim image pack`.
// For an app the manifest is validated as the simulated OS validates it at sideload, and the
// package's component id and name come from it. A simulated OS release packs whatever files the
// directory holds under the OS component id.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image/image_format.h"

struct sim_image_pack_options {
    const char *dir;  // the unpacked app (or OS release) directory
    enum sim_image_type type;
    struct sim_image_version version;
    // Resolves "$NAME" values in the manifest; NULL: the MT3620 RDB's default definition.
    const char *hardware_definition;
    // OS releases only (NULL: SIM_IMAGE_DEFAULT_OS_NAME and SIM_IMAGE_OS_COMPONENT_ID). An app
    // takes both from its manifest, and giving either is an error.
    const char *name;
    const char *component_id;
    // Seconds since the epoch; negative: $SOURCE_DATE_EPOCH when set (reproducible builds), else
    // now.
    int64_t build_time;
    // Private key to sign with (PEM, ECDSA P-256); NULL leaves the package unsigned.
    const char *signing_key;
};

// Packs opts->dir into a package written to out_path (through a temporary file and a rename,
// mode 0644). Every regular file under the directory is packed, sorted by path, with mode 0755
// when its owner may execute it and 0644 otherwise. Returns SIM_IMAGE_ERR_INVALID_INPUT, with a
// reason naming the file, for: a missing or invalid manifest, an EntryPoint that is not an
// executable file in the directory, a symbolic link or special file, a path outside the allowed
// characters or longer than SIM_IMAGE_PATH_MAX, more than SIM_IMAGE_MAX_FILES files, more than
// SIM_IMAGE_MAX_PAYLOAD bytes, or options that do not fit the type. SIM_IMAGE_ERR_IO when a file
// cannot be read or the package written; signing errors as sim_image_sign_buffer returns them.
// out_key_id (optional) gets the signing key's id when signed.
enum sim_image_result sim_image_pack(const struct sim_image_pack_options *opts,
                                     const char *out_path, uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN],
                                     char *err, size_t err_size);
