// SPDX-License-Identifier: MIT
// The update service's HTTP API; see update_api.h. This file authenticates and routes requests and
// handles deployments and administration; update_api_device.c handles the device's requests;
// update_server.c only carries bytes.
#include "update/update_api.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "image/image_verify.h"
#include "os/failure_report.h"
#include "os/fs_util.h"
#include "update/update_api_internal.h"

#define PREFIX "/update/v1"

__attribute__((format(printf, 4, 5))) void update_api_error(struct update_response *out, int status,
                                                            const char *code, const char *fmt,
                                                            ...) {
    char message[512];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof(message), fmt, args);
    va_end(args);
    cJSON *root = cJSON_CreateObject();
    cJSON *error = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(error, "code", code);
    cJSON_AddStringToObject(error, "message", message);
    out->status = status;
    out->body = cJSON_PrintUnformatted(root);
    out->content_type = "application/json";
    cJSON_Delete(root);
}

void update_api_json(struct update_response *out, int status, cJSON *root) {
    out->status = status;
    out->body = cJSON_PrintUnformatted(root);
    out->content_type = "application/json";
    cJSON_Delete(root);
    if (out->body == NULL) {
        update_api_error(out, 500, "InternalError", "out of memory");
    }
}

void update_api_response_free(struct update_response *response) {
    free(response->body);
    response->body = NULL;
}

static bool is_admin(const struct update_service *service, const struct update_request *req) {
    static const char bearer[] = "Bearer ";
    if (req->authorization == NULL || strncmp(req->authorization, bearer, 7) != 0 ||
        strlen(req->authorization + 7) != UPDATE_API_TOKEN_LEN ||
        strlen(service->token) != UPDATE_API_TOKEN_LEN) {
        return false;
    }
    return CRYPTO_memcmp(req->authorization + 7, service->token, UPDATE_API_TOKEN_LEN) == 0;
}

static bool is_device(const struct update_request *req, const char *device_id) {
    return req->peer_device != NULL && strcasecmp(req->peer_device, device_id) == 0;
}

// Splits path (without PREFIX) into at most 5 segments, each copied into its own buffer.
struct segments {
    size_t count;
    char part[5][160];
};

static bool split(const char *path, struct segments *out) {
    memset(out, 0, sizeof(*out));
    const char *p = path;
    while (*p == '/') {
        p++;
    }
    while (*p != '\0') {
        const char *end = strchr(p, '/');
        size_t len = end != NULL ? (size_t)(end - p) : strlen(p);
        if (out->count == 5 || len == 0 || len >= sizeof(out->part[0])) {
            return false;
        }
        memcpy(out->part[out->count], p, len);
        out->part[out->count][len] = '\0';
        out->count++;
        p += len;
        if (*p == '/') {
            p++;
        }
    }
    return true;
}

static bool is(const struct segments *s, size_t i, const char *text) {
    return i < s->count && strcmp(s->part[i], text) == 0;
}

static void lower(char *text) {
    for (; *text != '\0'; text++) {
        if (*text >= 'A' && *text <= 'Z') {
            *text = (char)(*text - 'A' + 'a');
        }
    }
}

static bool parse_id(const char *text, long long *out) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < 1) {
        return false;
    }
    *out = value;
    return true;
}

// A device id from a request, lower-cased (the form devices use); false if it is not one.
static bool take_device_id(const char *text, char out[UPDATE_DEVICE_ID_MAX + 1]) {
    if (!update_device_id_valid(text)) {
        return false;
    }
    memcpy(out, text, strlen(text) + 1);
    lower(out);
    return true;
}

bool update_api_is_upload(const char *method, const char *path) {
    return strcmp(method, "POST") == 0 && strcmp(path, PREFIX "/deployments") == 0;
}

// --- deployments ---

static cJSON *deployment_json(const struct update_deployment *d) {
    cJSON *obj = cJSON_CreateObject();
    char version[40];
    sim_image_version_format(&d->version, version, sizeof(version));
    cJSON_AddNumberToObject(obj, "id", (double)d->id);
    cJSON_AddStringToObject(obj, d->target_kind == UPDATE_TARGET_GROUP ? "group" : "device",
                            d->target);
    cJSON_AddStringToObject(obj, "type", sim_image_type_name(d->type));
    cJSON_AddStringToObject(obj, "component_id", d->component_id);
    cJSON_AddStringToObject(obj, "name", d->name);
    cJSON_AddStringToObject(obj, "version", version);
    cJSON_AddStringToObject(obj, "sha256", d->sha256);
    cJSON_AddNumberToObject(obj, "size", (double)d->size);
    cJSON_AddNumberToObject(obj, "created", (double)d->created);
    if (d->warning[0] != '\0') {
        cJSON_AddStringToObject(obj, "warning", d->warning);
    }
    return obj;
}

static int hash_file(const char *path, char out_hex[65], uint64_t *out_size) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int rc = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 ? 0 : -1;
    static unsigned char buf[65536];
    uint64_t total = 0;
    ssize_t n;
    while (rc == 0 && (n = read(fd, buf, sizeof(buf))) > 0) {
        total += (uint64_t)n;
        rc = EVP_DigestUpdate(ctx, buf, (size_t)n) == 1 ? 0 : -1;
    }
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (rc == 0 && n == 0 && EVP_DigestFinal_ex(ctx, digest, &len) == 1 && len == 32) {
        sim_image_hex(digest, 32, out_hex);
        *out_size = total;
    } else {
        rc = -1;
    }
    EVP_MD_CTX_free(ctx);
    close(fd);
    return rc;
}

// Reads what the package says it is from its header and metadata (unsigned, untrusted: devices
// check the signature). Packages that devices will refuse are still taken, with a warning, so
// that refusals can be tested; only what has no readable metadata is not a package at all.
static bool read_package(const char *path, struct update_deployment *d, char *err,
                         size_t err_size) {
    uint8_t head[SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? pread(fd, head, sizeof(head), 0) : -1;
    if (fd >= 0) {
        close(fd);
    }
    struct sim_image_header header;
    struct sim_image_metadata metadata;
    char reason[512];
    if (n != (ssize_t)sizeof(head) ||
        sim_image_decode_header(head, SIM_IMAGE_HEADER_LEN, &header, reason, sizeof(reason)) !=
            SIM_IMAGE_OK ||
        sim_image_decode_metadata(head + SIM_IMAGE_HEADER_LEN, SIM_IMAGE_METADATA_LEN, &metadata,
                                  reason, sizeof(reason)) != SIM_IMAGE_OK) {
        snprintf(err, err_size, "not an image package (no readable header and metadata)%s%s",
                 n == (ssize_t)sizeof(head) ? ": " : "", n == (ssize_t)sizeof(head) ? reason : "");
        return false;
    }
    snprintf(d->component_id, sizeof(d->component_id), "%s", metadata.component_id);
    snprintf(d->name, sizeof(d->name), "%s", metadata.name);
    d->type = metadata.type;
    d->version = metadata.version;
    static struct sim_image_package pkg;
    static struct sim_image_info info;
    d->warning[0] = '\0';
    enum sim_image_result rc = sim_image_package_open(&pkg, path, reason, sizeof(reason));
    if (rc == SIM_IMAGE_OK) {
        rc = sim_image_package_describe(&pkg, &info, reason, sizeof(reason));
    }
    if (rc == SIM_IMAGE_OK && !info.has_signature) {
        rc = SIM_IMAGE_ERR_MISSING_SIGNATURE;
        snprintf(reason, sizeof(reason), "the package is not signed");
    }
    sim_image_package_close(&pkg);
    if (rc != SIM_IMAGE_OK) {
        snprintf(d->warning, sizeof(d->warning), "%s: %.200s", sim_image_result_name(rc), reason);
    }
    return true;
}

static void create_deployment(struct update_service *service, const struct update_request *req,
                              struct update_response *out) {
    bool by_device = req->device_param != NULL;
    bool by_group = req->group_param != NULL;
    if (by_device == by_group) {
        update_api_error(out, 400, "BadTarget", "give exactly one of ?device=ID and ?group=NAME");
        return;
    }
    struct update_deployment d = {.target_kind =
                                      by_device ? UPDATE_TARGET_DEVICE : UPDATE_TARGET_GROUP};
    snprintf(d.target, sizeof(d.target), "%s", by_device ? req->device_param : req->group_param);
    if (by_device ? !update_device_id_valid(req->device_param)
                  : !update_group_valid(req->group_param)) {
        update_api_error(out, 400, "BadTarget",
                         by_device ? "device: 1 to 128 letters, digits or '-'"
                                   : "group: 1 to 64 letters, digits, '.', '_' or '-'");
        return;
    }
    if (by_device) {
        lower(d.target);
    }
    char err[1024];
    if (req->upload_path == NULL || !read_package(req->upload_path, &d, err, sizeof(err))) {
        update_api_error(out, 400, "BadPackage", "%s",
                         req->upload_path == NULL ? "no package" : err);
        return;
    }
    if (hash_file(req->upload_path, d.sha256, &d.size) != 0) {
        update_api_error(out, 500, "InternalError", "cannot read the uploaded package");
        return;
    }
    enum update_store_result rc =
        update_store_add_deployment(service->store, &d, req->upload_path, err, sizeof(err));
    if (rc != UPDATE_STORE_OK) {
        update_api_error(out, rc == UPDATE_STORE_ERR_FULL ? 507 : 500, "StoreError", "%s", err);
        return;
    }
    update_api_json(out, 201, deployment_json(&d));
}

static void list_deployments(struct update_service *service, struct update_response *out) {
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "deployments");
    for (size_t i = 0; i < service->store->deployment_count; i++) {
        cJSON_AddItemToArray(list, deployment_json(&service->store->deployments[i]));
    }
    update_api_json(out, 200, root);
}

static void deployment_content(struct update_service *service, const struct segments *s,
                               const struct update_request *req, struct update_response *out) {
    long long id;
    const struct update_deployment *d = NULL;
    if (!parse_id(s->part[1], &id) || (d = update_store_deployment(service->store, id)) == NULL) {
        update_api_error(out, 404, "NotFound", "no deployment %s", s->part[1]);
        return;
    }
    bool allowed =
        is_admin(service, req) ||
        (req->peer_device != NULL && update_store_targets(service->store, d, req->peer_device));
    if (!allowed) {
        update_api_error(out, 403, "Forbidden", "deployment %lld does not target this device", id);
        return;
    }
    update_store_package_path(service->store, id, out->file_path, sizeof(out->file_path));
    out->status = 200;
    out->content_type = "application/octet-stream";
}

// --- administration ---

static void set_group(struct update_service *service, const struct segments *s, bool add,
                      struct update_response *out) {
    char device_id[UPDATE_DEVICE_ID_MAX + 1];
    if (!take_device_id(s->part[3], device_id) || !update_group_valid(s->part[1])) {
        update_api_error(out, 400, "BadRequest",
                         "a device id is 1 to 128 letters, digits or '-'; a group name 1 to 64 "
                         "letters, digits, '.', '_' or '-'");
        return;
    }
    const char *current = update_store_group_of(service->store, device_id);
    if (!add && (current == NULL || strcmp(current, s->part[1]) != 0)) {
        update_api_error(out, 404, "NotFound", "device %.16s… is not in group %s", device_id,
                         s->part[1]);
        return;
    }
    char err[512];
    enum update_store_result rc = update_store_set_group(service->store, device_id,
                                                         add ? s->part[1] : NULL, err, sizeof(err));
    if (rc != UPDATE_STORE_OK) {
        update_api_error(out, rc == UPDATE_STORE_ERR_INVALID ? 400 : 500, "GroupError", "%s", err);
        return;
    }
    out->status = 204;
}

static void list_groups(struct update_service *service, struct update_response *out) {
    cJSON *root = cJSON_CreateObject();
    cJSON *groups = cJSON_AddObjectToObject(root, "groups");
    for (size_t i = 0; i < service->store->member_count; i++) {
        const struct update_member *m = &service->store->members[i];
        cJSON *list = cJSON_GetObjectItemCaseSensitive(groups, m->group);
        if (list == NULL) {
            list = cJSON_AddArrayToObject(groups, m->group);
        }
        cJSON_AddItemToArray(list, cJSON_CreateString(m->device_id));
    }
    update_api_json(out, 200, root);
}

static void list_devices(struct update_service *service, struct update_response *out) {
    cJSON *root = cJSON_CreateObject();
    cJSON *list = cJSON_AddArrayToObject(root, "devices");
    char dir[PATH_MAX];
    int n = snprintf(dir, sizeof(dir), "%s/devices", service->store->dir);
    DIR *d = n > 0 && (size_t)n < sizeof(dir) ? opendir(dir) : NULL;
    struct dirent *entry;
    while (d != NULL && (entry = readdir(d)) != NULL) {
        if (!update_device_id_valid(entry->d_name)) {
            continue;
        }
        cJSON *status = update_api_load_status(service, entry->d_name);
        const char *group = update_store_group_of(service->store, entry->d_name);
        if (group != NULL) {
            update_api_set_string(status, "group", group);
        }
        cJSON_AddItemToArray(list, status);
    }
    if (d != NULL) {
        closedir(d);
    }
    update_api_json(out, 200, root);
}

static void device_report(struct update_service *service, const char *device_id,
                          struct update_response *out) {
    char path[PATH_MAX];
    update_store_device_path(service->store, device_id, "events.jsonl", path, sizeof(path));
    struct sim_report report;
    char err[PATH_MAX + 128];
    if (sim_report_load(path, device_id, &report, err, sizeof(err)) != SIM_REPORT_OK) {
        sim_report_free(&report);
        update_api_error(out, 500, "ReportError", "%s", err);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (mem != NULL) {
        sim_report_write_json(&report, mem);
        fclose(mem);
    }
    sim_report_free(&report);
    if (text == NULL) {
        update_api_error(out, 500, "InternalError", "out of memory");
        return;
    }
    out->status = 200;
    out->body = text;
    out->content_type = "application/json";
}

static void device_events_file(struct update_service *service, const char *device_id,
                               struct update_response *out) {
    update_store_device_path(service->store, device_id, "events.jsonl", out->file_path,
                             sizeof(out->file_path));
    if (access(out->file_path, R_OK) != 0) {
        out->file_path[0] = '\0';
        out->body = strdup("");
    }
    out->status = 200;
    out->content_type = "application/x-ndjson";
}

// --- routing ---

static void route_device(struct update_service *service, const struct segments *s,
                         const struct update_request *req, struct update_response *out) {
    char device_id[UPDATE_DEVICE_ID_MAX + 1];
    if (!take_device_id(s->part[1], device_id)) {
        update_api_error(out, 400, "BadDevice", "a device id is 1 to 128 letters, digits or '-'");
        return;
    }
    const char *what = s->count == 3 ? s->part[2] : "";
    bool get = strcmp(req->method, "GET") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    if (get && (strcmp(what, "events") == 0 || strcmp(what, "report") == 0)) {
        if (!is_admin(service, req)) {
            update_api_error(out, 401, "Unauthorized", "this needs the administrator's token");
        } else if (strcmp(what, "events") == 0) {
            device_events_file(service, device_id, out);
        } else {
            device_report(service, device_id, out);
        }
        return;
    }
    if (!post || (strcmp(what, "check") != 0 && strcmp(what, "status") != 0 &&
                  strcmp(what, "events") != 0)) {
        update_api_error(out, 404, "NotFound", "no such request: %s %s", req->method, req->path);
        return;
    }
    if (!is_device(req, device_id)) {
        update_api_error(out, 403, "Forbidden",
                         "device requests need the device's own certificate (tenant CA, CN = id)");
        return;
    }
    if (strcmp(what, "check") == 0) {
        update_api_device_check(service, device_id, req, out);
    } else if (strcmp(what, "status") == 0) {
        update_api_device_status(service, device_id, req, out);
    } else {
        update_api_device_events(service, device_id, req, out);
    }
}

void update_api_handle(struct update_service *service, const struct update_request *req,
                       struct update_response *out) {
    memset(out, 0, sizeof(*out));
    struct segments s;
    if (strncmp(req->path, PREFIX "/", strlen(PREFIX) + 1) != 0 ||
        !split(req->path + strlen(PREFIX), &s) || s.count == 0) {
        update_api_error(out, 404, "NotFound", "no such path: %.200s", req->path);
        return;
    }
    const char *method = req->method;
    if (is(&s, 0, "health") && s.count == 1) {
        out->status = 204;
        return;
    }
    if (is(&s, 0, "devices") && s.count >= 2 && s.count <= 3) {
        route_device(service, &s, req, out);
        return;
    }
    if (is(&s, 0, "deployments") && s.count == 3 && is(&s, 2, "content") &&
        strcmp(method, "GET") == 0) {
        deployment_content(service, &s, req, out);
        return;
    }
    if (!is_admin(service, req)) {
        update_api_error(out, 401, "Unauthorized", "this needs the administrator's token");
        return;
    }
    if (is(&s, 0, "deployments") && s.count == 1 && strcmp(method, "POST") == 0) {
        create_deployment(service, req, out);
    } else if (is(&s, 0, "deployments") && s.count == 1 && strcmp(method, "GET") == 0) {
        list_deployments(service, out);
    } else if (is(&s, 0, "groups") && s.count == 1 && strcmp(method, "GET") == 0) {
        list_groups(service, out);
    } else if (is(&s, 0, "groups") && s.count == 4 && is(&s, 2, "devices") &&
               (strcmp(method, "PUT") == 0 || strcmp(method, "DELETE") == 0)) {
        set_group(service, &s, strcmp(method, "PUT") == 0, out);
    } else if (is(&s, 0, "devices") && s.count == 1 && strcmp(method, "GET") == 0) {
        list_devices(service, out);
    } else {
        update_api_error(out, 404, "NotFound", "no such request: %s %.200s", method, req->path);
    }
}
