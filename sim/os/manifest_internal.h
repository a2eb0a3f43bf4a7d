// SPDX-License-Identifier: MIT
// What manifest.c (top level) and manifest_capabilities.c (the Capabilities object) share: the
// parse context, the error reporter and the value checkers both halves use. Not part of the
// manifest API; only those two files include it.
#ifndef SPHERESIM_OS_MANIFEST_INTERNAL_H
#define SPHERESIM_OS_MANIFEST_INTERNAL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "os/hwdef.h"
#include "os/manifest.h"

#define MF_PATH_MAX 96
#define MF_GOT_MAX 80

struct sim_mf_ctx {
    const char *src;
    const struct sim_hwdef *hw;
    char *err;
    size_t err_size;
};

// Writes "<src>: <path>: <message>" into ctx->err; always returns SIM_MANIFEST_ERR_FIELD so a
// validator can return its result directly.
__attribute__((format(printf, 3, 4))) enum sim_manifest_result sim_mf_fail(
    const struct sim_mf_ctx *ctx, const char *path, const char *fmt, ...);

// Renders v for a "got ..." message into buf (size bytes) and returns buf.
const char *sim_mf_describe(const cJSON *v, char *buf, size_t size);

// True, with *out set, when v is an integral number within [min, max].
bool sim_mf_to_int(const cJSON *v, long min, long max, int *out);

// As sim_mf_to_int, reporting a range error at path otherwise.
enum sim_manifest_result sim_mf_int(const struct sim_mf_ctx *ctx, const cJSON *v, const char *path,
                                    long min, long max, int *out);

// Copies a GUID string (36 characters plus NUL) into out, or reports at path what it got instead.
enum sim_manifest_result sim_mf_guid(const struct sim_mf_ctx *ctx, const cJSON *v, const char *path,
                                     char out[37]);

// Checks an object member's key against known_count names (key_at(k) gives the k-th); reports an
// unknown or repeated key under `where`, marking the key's slot in seen.
enum sim_manifest_result sim_mf_check_key(const struct sim_mf_ctx *ctx, const cJSON *item,
                                          const char *where, const char *what,
                                          const char *(*key_at)(size_t), size_t known_count,
                                          bool *seen);

// Validates the Capabilities object into caps.
enum sim_manifest_result sim_mf_capabilities(const struct sim_mf_ctx *ctx, const cJSON *obj,
                                             struct sim_manifest_capabilities *caps);

#endif
