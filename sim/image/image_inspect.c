// SPDX-License-Identifier: MIT
// Package description for `spheresim image inspect` (see image_inspect.h): the structure as the
// package states it (decoded without trusting it), and the signature as the device verifier
// judges it against the given key.
#include "image/image_inspect.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image/image_verify.h"

static void add_status(cJSON *parent, const char *field, const char *status, const char *message) {
    cJSON *obj = cJSON_AddObjectToObject(parent, field);
    if (obj == NULL) {
        return;
    }
    cJSON_AddStringToObject(obj, "status", status);
    if (message != NULL && message[0] != '\0') {
        cJSON_AddStringToObject(obj, "message", message);
    }
}

static void add_hex(cJSON *obj, const char *field, const uint8_t *bytes, size_t len) {
    char hex[2 * SIM_IMAGE_SHA256_LEN + 1];
    sim_image_hex(bytes, len, hex);
    cJSON_AddStringToObject(obj, field, hex);
}

static void add_metadata(cJSON *json, const struct sim_image_info *info) {
    const struct sim_image_metadata *m = &info->metadata;
    cJSON_AddNumberToObject(json, "formatVersion", info->header.format_version);
    if (m->component_id[0] == '\0') {
        return;  // the metadata did not decode
    }
    char text[64];
    cJSON_AddStringToObject(json, "type", sim_image_type_name(m->type));
    cJSON_AddStringToObject(json, "componentId", m->component_id);
    cJSON_AddStringToObject(json, "name", m->name);
    sim_image_version_format(&m->version, text, sizeof text);
    cJSON_AddStringToObject(json, "version", text);
    time_t when = (time_t)m->build_time;
    struct tm tm;
    if ((uint64_t)when == m->build_time && gmtime_r(&when, &tm) != NULL &&
        strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0) {
        cJSON_AddStringToObject(json, "buildTime", text);
    }
    cJSON_AddNumberToObject(json, "buildTimeUnix", (double)m->build_time);
    cJSON_AddNumberToObject(json, "payloadBytes", (double)info->header.payload_len);
}

static void add_files(cJSON *json, const struct sim_image_info *info) {
    cJSON *files = cJSON_AddArrayToObject(json, "files");
    for (size_t i = 0; files != NULL && i < info->file_count; i++) {
        const struct sim_image_file *f = &info->files[i];
        cJSON *obj = cJSON_CreateObject();
        if (obj == NULL || !cJSON_AddItemToArray(files, obj)) {
            cJSON_Delete(obj);
            return;
        }
        char mode[16];
        snprintf(mode, sizeof mode, "%04o", (unsigned)(f->mode & 07777));
        cJSON_AddStringToObject(obj, "path", f->path);
        cJSON_AddStringToObject(obj, "mode", mode);
        cJSON_AddNumberToObject(obj, "bytes", (double)f->length);
        add_hex(obj, "sha256", f->sha256, sizeof f->sha256);
    }
}

// Adds the signature object and returns the signature's verdict.
static enum sim_image_result add_signature(cJSON *json, struct sim_image_package *pkg,
                                           const struct sim_image_info *described,
                                           const void *trusted_key, size_t key_len, char *reason,
                                           size_t reason_size) {
    enum sim_image_result rc;
    const char *status;
    if (trusted_key == NULL && described->header.signature_len == 0) {
        rc = SIM_IMAGE_ERR_MISSING_SIGNATURE;
        snprintf(reason, reason_size, "%s: the package is not signed", pkg->name);
        status = sim_image_result_name(rc);
    } else if (trusted_key == NULL) {
        rc = SIM_IMAGE_ERR_BAD_KEY;
        snprintf(reason, reason_size,
                 "%s: no trusted key to check the signature against (give --key or run "
                 "'spheresim image keygen')",
                 pkg->name);
        status = "unchecked";
    } else {
        struct sim_image_policy policy = {.trusted_key = trusted_key, .trusted_key_len = key_len};
        rc = sim_image_package_verify(pkg, &policy, reason, reason_size);
        status = sim_image_result_name(rc);
    }
    cJSON *sig = cJSON_AddObjectToObject(json, "signature");
    if (sig == NULL) {
        return rc;
    }
    cJSON_AddStringToObject(sig, "status", status);
    if (rc != SIM_IMAGE_OK) {
        cJSON_AddStringToObject(sig, "message", reason);
    }
    if (described->has_signature) {
        add_hex(sig, "keyId", described->signature.key_id, SIM_IMAGE_KEY_ID_LEN);
    }
    uint8_t trusted_id[SIM_IMAGE_KEY_ID_LEN];
    char ignored[256];
    if (trusted_key != NULL && sim_image_key_id(trusted_key, key_len, trusted_id, ignored,
                                                sizeof ignored) == SIM_IMAGE_OK) {
        add_hex(sig, "trustedKeyId", trusted_id, sizeof trusted_id);
    }
    return rc;
}

enum sim_image_result sim_image_inspect(const char *path, const void *trusted_key, size_t key_len,
                                        cJSON **out_json, char *err, size_t err_size) {
    char reason[1024] = "";
    *out_json = NULL;
    struct sim_image_package *pkg = malloc(sizeof *pkg);
    struct sim_image_info *info = malloc(sizeof *info);
    cJSON *json = cJSON_CreateObject();
    enum sim_image_result rc = SIM_IMAGE_ERR_IO;
    if (pkg == NULL || info == NULL || json == NULL) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: out of memory", path);
        }
        goto out;
    }
    if ((rc = sim_image_package_open(pkg, path, err, err_size)) != SIM_IMAGE_OK) {
        sim_image_package_close(pkg);
        goto out;
    }
    cJSON_AddStringToObject(json, "file", path);
    cJSON_AddNumberToObject(json, "bytes", (double)pkg->size);
    enum sim_image_result structure = sim_image_package_describe(pkg, info, reason, sizeof reason);
    // A malformed signature block is the signature's problem, reported below.
    bool structure_ok = structure == SIM_IMAGE_OK || structure == SIM_IMAGE_ERR_BAD_SIGNATURE;
    add_status(json, "structure", structure_ok ? "ok" : sim_image_result_name(structure),
               structure_ok ? NULL : reason);
    if (info->header.format_version != 0) {
        add_metadata(json, info);
        add_files(json, info);
    }
    char sig_reason[1024] = "";
    enum sim_image_result sig =
        add_signature(json, pkg, info, trusted_key, key_len, sig_reason, sizeof sig_reason);
    sim_image_package_close(pkg);
    rc = structure_ok ? sig : structure;
    if (err != NULL && err_size > 0) {
        snprintf(err, err_size, "%s", structure_ok ? sig_reason : reason);
    }
    *out_json = json;
    json = NULL;
out:
    cJSON_Delete(json);
    free(pkg);
    free(info);
    return rc;
}
