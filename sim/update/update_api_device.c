// SPDX-License-Identifier: MIT
// The device's requests to the update service (check, status, events) and the device status file
// they keep (devices/<id>/status.json); see update_api.h for the API as a whole. update_api.c
// authenticates and routes; this file decides.
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "os/fs_util.h"
#include "update/update_api_internal.h"

#define PREFIX "/update/v1"
#define STATUS_MAX_BYTES (256 * 1024)
#define EVENT_LINE_MAX 4096

// --- device status (devices/<id>/status.json) ---

cJSON *update_api_load_status(struct update_service *service, const char *device_id) {
    char path[PATH_MAX];
    static char text[STATUS_MAX_BYTES];
    size_t len = 0;
    cJSON *root = NULL;
    if (update_store_device_path(service->store, device_id, "status.json", path, sizeof(path)) ==
            0 &&
        sim_fs_read_file(path, text, sizeof(text), &len, NULL, 0) == 0) {
        root = cJSON_ParseWithLength(text, len);
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        root = cJSON_CreateObject();
    }
    cJSON_DeleteItemFromObjectCaseSensitive(root, "device_id");
    cJSON_AddStringToObject(root, "device_id", device_id);
    return root;
}

static bool save_status(struct update_service *service, const char *device_id, cJSON *root) {
    char dir[PATH_MAX];
    char path[PATH_MAX];
    bool ok = update_store_device_path(service->store, device_id, "", dir, sizeof(dir)) == 0 &&
              update_store_device_path(service->store, device_id, "status.json", path,
                                       sizeof(path)) == 0 &&
              sim_fs_make_dirs(dir, 0700, NULL, 0) == 0;
    char *text = ok ? cJSON_Print(root) : NULL;
    ok = text != NULL && sim_fs_write_atomic(path, text, strlen(text), 0600, NULL, NULL, 0) == 0;
    free(text);
    cJSON_Delete(root);
    return ok;
}

void update_api_set_string(cJSON *obj, const char *key, const char *value) {
    cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
    cJSON_AddStringToObject(obj, key, value);
}

static void now_text(char *out, size_t out_size) {
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, out_size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

// --- the device's requests ---

static bool get_version(const cJSON *obj, const char *key, struct sim_image_version *out,
                        char *text, size_t text_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item) || !sim_image_version_parse(item->valuestring, out)) {
        return false;
    }
    snprintf(text, text_size, "%s", item->valuestring);
    return true;
}

// What the device says it will not take: packages it refused, versions it rolled back.
#define REFUSED_MAX 64
struct refusals {
    size_t package_count;
    char packages[REFUSED_MAX][2 * SIM_IMAGE_SHA256_LEN + 1];
    size_t version_count;
    struct {
        char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
        struct sim_image_version version;
    } versions[REFUSED_MAX];
};

static bool parse_refusals(const cJSON *body, struct refusals *out) {
    memset(out, 0, sizeof(*out));
    const cJSON *packages = cJSON_GetObjectItemCaseSensitive(body, "refused_packages");
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(body, "refused_versions");
    if ((packages != NULL &&
         (!cJSON_IsArray(packages) || cJSON_GetArraySize(packages) > REFUSED_MAX)) ||
        (versions != NULL &&
         (!cJSON_IsArray(versions) || cJSON_GetArraySize(versions) > REFUSED_MAX))) {
        return false;
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, packages) {
        if (!cJSON_IsString(item) || strlen(item->valuestring) != 2 * SIM_IMAGE_SHA256_LEN) {
            return false;
        }
        memcpy(out->packages[out->package_count++], item->valuestring,
               2 * SIM_IMAGE_SHA256_LEN + 1);
    }
    cJSON_ArrayForEach(item, versions) {
        const cJSON *component = cJSON_GetObjectItemCaseSensitive(item, "component_id");
        const cJSON *version = cJSON_GetObjectItemCaseSensitive(item, "version");
        if (!cJSON_IsString(component) || !sim_image_guid_is_valid(component->valuestring) ||
            !cJSON_IsString(version) ||
            !sim_image_version_parse(version->valuestring,
                                     &out->versions[out->version_count].version)) {
            return false;
        }
        snprintf(out->versions[out->version_count].component_id,
                 sizeof(out->versions[0].component_id), "%s", component->valuestring);
        out->version_count++;
    }
    return true;
}

static bool refused(const struct refusals *r, const struct update_deployment *d) {
    for (size_t i = 0; i < r->package_count; i++) {
        if (strcasecmp(r->packages[i], d->sha256) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < r->version_count; i++) {
        if (strcasecmp(r->versions[i].component_id, d->component_id) == 0 &&
            sim_image_version_compare(&r->versions[i].version, &d->version) == 0) {
            return true;
        }
    }
    return false;
}

static const struct update_deployment *best_offer(struct update_service *service,
                                                  const char *device_id, enum sim_image_type type,
                                                  const char *component_id,
                                                  const struct sim_image_version *installed,
                                                  const struct refusals *refusals) {
    // A deployment says what the device should run: the latest one that applies wins, whatever
    // its version. One older than what the device runs is still offered; the device's
    // anti-rollback check refuses it (and remembers not to fetch it again).
    const struct update_deployment *latest = NULL;
    for (size_t i = 0; i < service->store->deployment_count; i++) {
        const struct update_deployment *d = &service->store->deployments[i];
        if (d->type != type || !update_store_targets(service->store, d, device_id) ||
            (type == SIM_IMAGE_TYPE_APP && strcasecmp(d->component_id, component_id) != 0) ||
            refused(refusals, d)) {
            continue;
        }
        if (latest == NULL || d->id > latest->id) {
            latest = d;
        }
    }
    return latest != NULL && sim_image_version_compare(&latest->version, installed) != 0 ? latest
                                                                                         : NULL;
}

void update_api_device_check(struct update_service *service, const char *device_id,
                             const struct update_request *req, struct update_response *out) {
    cJSON *body = cJSON_ParseWithLength(req->body != NULL ? req->body : "", req->body_len);
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(body, "app");
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(body, "os");
    const cJSON *component = cJSON_GetObjectItemCaseSensitive(app, "component_id");
    struct sim_image_version app_version;
    struct sim_image_version os_version;
    char app_text[40];
    char os_text[40];
    static struct refusals refusals;
    if (!parse_refusals(body, &refusals) || !cJSON_IsObject(app) || !cJSON_IsObject(os) ||
        !cJSON_IsString(component) || !sim_image_guid_is_valid(component->valuestring) ||
        !get_version(app, "version", &app_version, app_text, sizeof(app_text)) ||
        !get_version(os, "version", &os_version, os_text, sizeof(os_text))) {
        cJSON_Delete(body);
        update_api_error(out, 400, "BadCheck",
                         "expected {\"app\":{\"component_id\":GUID,\"version\":\"X.Y.Z\"},"
                         "\"os\":{\"version\":\"X.Y.Z\"}} and at most %d \"refused_packages\" "
                         "(SHA-256 hex) and \"refused_versions\" ({component_id, version})",
                         REFUSED_MAX);
        return;
    }
    char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
    snprintf(component_id, sizeof(component_id), "%s", component->valuestring);
    cJSON_Delete(body);
    // An OS update goes first, as on the device: the app may need the new OS.
    const struct update_deployment *offer =
        best_offer(service, device_id, SIM_IMAGE_TYPE_OS, NULL, &os_version, &refusals);
    if (offer == NULL) {
        offer = best_offer(service, device_id, SIM_IMAGE_TYPE_APP, component_id, &app_version,
                           &refusals);
    }
    cJSON *status = update_api_load_status(service, device_id);
    cJSON_DeleteItemFromObjectCaseSensitive(status, "app");
    cJSON *app_status = cJSON_AddObjectToObject(status, "app");
    cJSON_AddStringToObject(app_status, "component_id", component_id);
    cJSON_AddStringToObject(app_status, "version", app_text);
    update_api_set_string(status, "os_version", os_text);
    char stamp[32];
    now_text(stamp, sizeof(stamp));
    update_api_set_string(status, "last_check", stamp);
    save_status(service, device_id, status);

    cJSON *root = cJSON_CreateObject();
    if (offer == NULL) {
        cJSON_AddNullToObject(root, "update");
    } else {
        cJSON *update = cJSON_AddObjectToObject(root, "update");
        char version[40];
        char url[96];
        sim_image_version_format(&offer->version, version, sizeof(version));
        snprintf(url, sizeof(url), PREFIX "/deployments/%lld/content", offer->id);
        cJSON_AddNumberToObject(update, "deployment", (double)offer->id);
        cJSON_AddStringToObject(update, "type", sim_image_type_name(offer->type));
        cJSON_AddStringToObject(update, "component_id", offer->component_id);
        cJSON_AddStringToObject(update, "version", version);
        cJSON_AddStringToObject(update, "sha256", offer->sha256);
        cJSON_AddNumberToObject(update, "size", (double)offer->size);
        cJSON_AddStringToObject(update, "url", url);
    }
    update_api_json(out, 200, root);
}

static bool printable(const char *text, size_t max) {
    size_t len = strlen(text);
    if (len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)text[i] < 0x20 || text[i] == 0x7f) {
            return false;
        }
    }
    return true;
}

void update_api_device_status(struct update_service *service, const char *device_id,
                              const struct update_request *req, struct update_response *out) {
    static const char *const states[] = {"installed", "rejected", "failed", "rolled-back"};
    cJSON *body = cJSON_ParseWithLength(req->body != NULL ? req->body : "", req->body_len);
    const cJSON *deployment = cJSON_GetObjectItemCaseSensitive(body, "deployment");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(body, "state");
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(body, "version");
    const cJSON *reason = cJSON_GetObjectItemCaseSensitive(body, "reason");
    bool known_state = false;
    for (size_t i = 0; cJSON_IsString(state) && i < sizeof(states) / sizeof(states[0]); i++) {
        known_state = known_state || strcmp(state->valuestring, states[i]) == 0;
    }
    struct sim_image_version parsed;
    if (!cJSON_IsNumber(deployment) || deployment->valuedouble < 0 ||
        deployment->valuedouble > 1e15 || !known_state || !cJSON_IsString(version) ||
        !sim_image_version_parse(version->valuestring, &parsed) || !cJSON_IsString(reason) ||
        !printable(reason->valuestring, 255)) {
        cJSON_Delete(body);
        update_api_error(out, 400, "BadStatus",
                         "expected {\"deployment\":N,\"state\":\"installed|rejected|failed|"
                         "rolled-back\",\"version\":\"X.Y.Z\",\"reason\":TEXT}");
        return;
    }
    cJSON *status = update_api_load_status(service, device_id);
    cJSON *result = cJSON_CreateObject();
    cJSON_AddNumberToObject(result, "deployment", deployment->valuedouble);
    cJSON_AddStringToObject(result, "state", state->valuestring);
    cJSON_AddStringToObject(result, "version", version->valuestring);
    cJSON_AddStringToObject(result, "reason", reason->valuestring);
    char stamp[32];
    now_text(stamp, sizeof(stamp));
    cJSON_AddStringToObject(result, "time", stamp);
    cJSON_Delete(body);
    cJSON *results = cJSON_GetObjectItemCaseSensitive(status, "results");
    if (!cJSON_IsArray(results)) {
        cJSON_DeleteItemFromObjectCaseSensitive(status, "results");
        results = cJSON_AddArrayToObject(status, "results");
    }
    while (cJSON_GetArraySize(results) >= UPDATE_RESULTS_KEPT) {
        cJSON_DeleteItemFromArray(results, 0);
    }
    cJSON_DeleteItemFromObjectCaseSensitive(status, "last_result");
    cJSON_AddItemToObject(status, "last_result", cJSON_Duplicate(result, true));
    cJSON_AddItemToArray(results, result);
    if (!save_status(service, device_id, status)) {
        update_api_error(out, 500, "StoreError", "cannot save the device's status");
        return;
    }
    out->status = 204;
}

// Appends the complete, valid JSON-object lines of data to the device's events file; a line that
// is not one (a torn write on the device) is dropped, never passed on to the report.
static bool append_events(const char *path, const char *data, size_t len) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    bool ok = true;
    size_t start = 0;
    while (ok && start < len) {
        const char *nl = memchr(data + start, '\n', len - start);
        size_t line_len = nl != NULL ? (size_t)(nl - (data + start)) : len - start;
        if (nl != NULL && line_len > 0 && line_len <= EVENT_LINE_MAX) {
            cJSON *line = cJSON_ParseWithLength(data + start, line_len);
            if (cJSON_IsObject(line)) {
                ok = write(fd, data + start, line_len + 1) == (ssize_t)(line_len + 1);
            }
            cJSON_Delete(line);
        }
        start += line_len + 1;
    }
    ok = ok && fsync(fd) == 0;
    close(fd);
    return ok;
}

void update_api_device_events(struct update_service *service, const char *device_id,
                              const struct update_request *req, struct update_response *out) {
    char *end = NULL;
    errno = 0;
    unsigned long long offset =
        req->offset_param != NULL ? strtoull(req->offset_param, &end, 10) : 0;
    if (req->offset_param == NULL || errno != 0 || end == req->offset_param || *end != '\0') {
        update_api_error(out, 400, "BadOffset",
                         "?offset=N (the byte of the events file the body "
                         "starts at) is required");
        return;
    }
    cJSON *status = update_api_load_status(service, device_id);
    const cJSON *received_item = cJSON_GetObjectItemCaseSensitive(status, "events_received");
    unsigned long long received = cJSON_IsNumber(received_item) && received_item->valuedouble >= 0
                                      ? (unsigned long long)received_item->valuedouble
                                      : 0;
    if (offset > received) {
        cJSON_Delete(status);
        cJSON *root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "received", (double)received);
        update_api_json(out, 409, root);
        return;
    }
    // What the service already has (a repeated upload after a lost answer) is skipped.
    size_t skip =
        (size_t)(received - offset) < req->body_len ? (size_t)(received - offset) : req->body_len;
    char path[PATH_MAX];
    char dir[PATH_MAX];
    if (update_store_device_path(service->store, device_id, "", dir, sizeof(dir)) != 0 ||
        update_store_device_path(service->store, device_id, "events.jsonl", path, sizeof(path)) !=
            0 ||
        sim_fs_make_dirs(dir, 0700, NULL, 0) != 0 ||
        !append_events(path, req->body + skip, req->body_len - skip)) {
        cJSON_Delete(status);
        update_api_error(out, 500, "StoreError", "cannot store the events");
        return;
    }
    unsigned long long total =
        offset + req->body_len > received ? offset + req->body_len : received;
    cJSON_DeleteItemFromObjectCaseSensitive(status, "events_received");
    cJSON_AddNumberToObject(status, "events_received", (double)total);
    save_status(service, device_id, status);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "received", (double)total);
    update_api_json(out, 200, root);
}
