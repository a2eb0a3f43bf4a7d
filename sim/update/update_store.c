// SPDX-License-Identifier: MIT
// The update service's state files; see update_store.h.
#include "update/update_store.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "os/fs_util.h"

#define STATE_FILE_MAX (4 * 1024 * 1024)

__attribute__((format(printf, 4, 5))) static enum update_store_result fail(
    enum update_store_result rc, char *err, size_t err_size, const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_size, fmt, args);
        va_end(args);
    }
    return rc;
}

static bool all_of(const char *text, size_t max, const char *extra) {
    size_t len = strlen(text);
    if (len == 0 || len > max) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  strchr(extra, c) != NULL;
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool update_device_id_valid(const char *id) {
    return id != NULL && all_of(id, UPDATE_DEVICE_ID_MAX, "-");
}

bool update_group_valid(const char *name) {
    return name != NULL && all_of(name, UPDATE_GROUP_MAX, "._-");
}

static int join(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

static const char *target_name(enum update_target kind) {
    return kind == UPDATE_TARGET_GROUP ? "group" : "device";
}

// Reads a state file as JSON; a missing file is *out_root NULL and OK.
static enum update_store_result read_json(const char *path, cJSON **out_root, char *err,
                                          size_t err_size) {
    *out_root = NULL;
    char *text = malloc(STATE_FILE_MAX);
    size_t len = 0;
    if (text == NULL) {
        return fail(UPDATE_STORE_ERR_IO, err, err_size, "out of memory");
    }
    enum update_store_result rc = UPDATE_STORE_OK;
    if (sim_fs_read_file(path, text, STATE_FILE_MAX, &len, err, err_size) != 0) {
        rc = errno == ENOENT ? UPDATE_STORE_OK : UPDATE_STORE_ERR_IO;
    } else if ((*out_root = cJSON_ParseWithLength(text, len)) == NULL) {
        rc = fail(UPDATE_STORE_ERR_INVALID, err, err_size, "%s: not valid JSON", path);
    }
    free(text);
    return rc;
}

static enum update_store_result write_json(const char *path, cJSON *root, char *err,
                                           size_t err_size) {
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) {
        return fail(UPDATE_STORE_ERR_IO, err, err_size, "out of memory");
    }
    int rc = sim_fs_write_atomic(path, text, strlen(text), 0600, NULL, err, err_size);
    free(text);
    return rc == 0 ? UPDATE_STORE_OK : UPDATE_STORE_ERR_IO;
}

static bool text_field(const cJSON *obj, const char *key, char *out, size_t out_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= out_size) {
        return false;
    }
    memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
    return true;
}

static bool number_field(const cJSON *obj, const char *key, double min, double max, double *out) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(item) || item->valuedouble < min || item->valuedouble > max) {
        return false;
    }
    *out = item->valuedouble;
    return true;
}

static bool parse_deployment(const cJSON *obj, struct update_deployment *d) {
    char kind[8];
    char type[8];
    char version[40];
    double id;
    double size;
    double created;
    memset(d, 0, sizeof(*d));
    if (!number_field(obj, "id", 1, 1e15, &id) ||
        !text_field(obj, "target_kind", kind, sizeof(kind)) ||
        !text_field(obj, "target", d->target, sizeof(d->target)) ||
        !text_field(obj, "type", type, sizeof(type)) ||
        !text_field(obj, "component_id", d->component_id, sizeof(d->component_id)) ||
        !text_field(obj, "name", d->name, sizeof(d->name)) ||
        !text_field(obj, "version", version, sizeof(version)) ||
        !text_field(obj, "sha256", d->sha256, sizeof(d->sha256)) ||
        !number_field(obj, "size", 0, 1e15, &size) ||
        !number_field(obj, "created", 0, 1e13, &created) ||
        !sim_image_version_parse(version, &d->version)) {
        return false;
    }
    text_field(obj, "warning", d->warning, sizeof(d->warning));
    d->id = (long long)id;
    d->size = (uint64_t)size;
    d->created = (int64_t)created;
    if (strcmp(kind, "device") == 0 && update_device_id_valid(d->target)) {
        d->target_kind = UPDATE_TARGET_DEVICE;
    } else if (strcmp(kind, "group") == 0 && update_group_valid(d->target)) {
        d->target_kind = UPDATE_TARGET_GROUP;
    } else {
        return false;
    }
    if (strcmp(type, "app") == 0) {
        d->type = SIM_IMAGE_TYPE_APP;
    } else if (strcmp(type, "os") == 0) {
        d->type = SIM_IMAGE_TYPE_OS;
    } else {
        return false;
    }
    return true;
}

static cJSON *deployment_json(const struct update_deployment *d) {
    cJSON *obj = cJSON_CreateObject();
    char version[40];
    sim_image_version_format(&d->version, version, sizeof(version));
    cJSON_AddNumberToObject(obj, "id", (double)d->id);
    cJSON_AddStringToObject(obj, "target_kind", target_name(d->target_kind));
    cJSON_AddStringToObject(obj, "target", d->target);
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

static enum update_store_result save_deployments(struct update_store *store, char *err,
                                                 size_t err_size) {
    char path[PATH_MAX];
    if (join(path, sizeof(path), store->dir, "deployments.json") != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "state directory path too long");
    }
    cJSON *root = cJSON_CreateArray();
    for (size_t i = 0; i < store->deployment_count; i++) {
        cJSON_AddItemToArray(root, deployment_json(&store->deployments[i]));
    }
    return write_json(path, root, err, err_size);
}

static enum update_store_result save_groups(struct update_store *store, char *err,
                                            size_t err_size) {
    char path[PATH_MAX];
    if (join(path, sizeof(path), store->dir, "groups.json") != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "state directory path too long");
    }
    cJSON *root = cJSON_CreateObject();
    for (size_t i = 0; i < store->member_count; i++) {
        cJSON_AddStringToObject(root, store->members[i].device_id, store->members[i].group);
    }
    return write_json(path, root, err, err_size);
}

static enum update_store_result load_deployments(struct update_store *store, char *err,
                                                 size_t err_size) {
    char path[PATH_MAX];
    cJSON *root = NULL;
    if (join(path, sizeof(path), store->dir, "deployments.json") != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "state directory path too long");
    }
    enum update_store_result rc = read_json(path, &root, err, err_size);
    if (rc != UPDATE_STORE_OK || root == NULL) {
        return rc;
    }
    if (!cJSON_IsArray(root)) {
        rc = fail(UPDATE_STORE_ERR_INVALID, err, err_size, "%s: not a JSON array", path);
    }
    const cJSON *item;
    size_t index = 0;
    cJSON_ArrayForEach(item, root) {
        if (rc != UPDATE_STORE_OK) {
            break;
        }
        if (store->deployment_count == UPDATE_MAX_DEPLOYMENTS) {
            rc = fail(UPDATE_STORE_ERR_FULL, err, err_size, "%s: more than %d deployments", path,
                      UPDATE_MAX_DEPLOYMENTS);
        } else if (!parse_deployment(item, &store->deployments[store->deployment_count])) {
            rc = fail(UPDATE_STORE_ERR_INVALID, err, err_size,
                      "%s: deployment %zu is not a valid deployment", path, index);
        } else {
            store->deployment_count++;
        }
        index++;
    }
    cJSON_Delete(root);
    return rc;
}

static enum update_store_result load_groups(struct update_store *store, char *err,
                                            size_t err_size) {
    char path[PATH_MAX];
    cJSON *root = NULL;
    if (join(path, sizeof(path), store->dir, "groups.json") != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "state directory path too long");
    }
    enum update_store_result rc = read_json(path, &root, err, err_size);
    if (rc != UPDATE_STORE_OK || root == NULL) {
        return rc;
    }
    if (!cJSON_IsObject(root)) {
        rc = fail(UPDATE_STORE_ERR_INVALID, err, err_size, "%s: not a JSON object", path);
    }
    const cJSON *item;
    cJSON_ArrayForEach(item, root) {
        if (rc != UPDATE_STORE_OK) {
            break;
        }
        struct update_member *m = &store->members[store->member_count];
        if (store->member_count == UPDATE_MAX_MEMBERS) {
            rc = fail(UPDATE_STORE_ERR_FULL, err, err_size, "%s: more than %d members", path,
                      UPDATE_MAX_MEMBERS);
        } else if (!update_device_id_valid(item->string) || !cJSON_IsString(item) ||
                   !update_group_valid(item->valuestring)) {
            rc = fail(UPDATE_STORE_ERR_INVALID, err, err_size,
                      "%s: every member must map a device id to a group name", path);
        } else {
            snprintf(m->device_id, sizeof(m->device_id), "%s", item->string);
            snprintf(m->group, sizeof(m->group), "%s", item->valuestring);
            store->member_count++;
        }
    }
    cJSON_Delete(root);
    return rc;
}

enum update_store_result update_store_open(struct update_store *store, const char *dir, char *err,
                                           size_t err_size) {
    memset(store, 0, sizeof(*store));
    char packages[PATH_MAX];
    char devices[PATH_MAX];
    int n = snprintf(store->dir, sizeof(store->dir), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(store->dir) ||
        join(packages, sizeof(packages), dir, "packages") != 0 ||
        join(devices, sizeof(devices), dir, "devices") != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "%s: path too long", dir);
    }
    if (sim_fs_make_dirs(packages, 0700, err, err_size) != 0 ||
        sim_fs_make_dirs(devices, 0700, err, err_size) != 0) {
        return UPDATE_STORE_ERR_IO;
    }
    enum update_store_result rc = load_deployments(store, err, err_size);
    if (rc == UPDATE_STORE_OK) {
        rc = load_groups(store, err, err_size);
    }
    return rc;
}

int update_store_package_path(const struct update_store *store, long long id, char *out,
                              size_t out_size) {
    int n = snprintf(out, out_size, "%s/packages/%lld.imagepackage", store->dir, id);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

enum update_store_result update_store_add_deployment(struct update_store *store,
                                                     struct update_deployment *deployment,
                                                     const char *upload_path, char *err,
                                                     size_t err_size) {
    if (store->deployment_count == UPDATE_MAX_DEPLOYMENTS) {
        return fail(UPDATE_STORE_ERR_FULL, err, err_size, "the service holds %d deployments",
                    UPDATE_MAX_DEPLOYMENTS);
    }
    long long id = 1;
    for (size_t i = 0; i < store->deployment_count; i++) {
        if (store->deployments[i].id >= id) {
            id = store->deployments[i].id + 1;
        }
    }
    char path[PATH_MAX];
    if (update_store_package_path(store, id, path, sizeof(path)) != 0) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size, "state directory path too long");
    }
    // The package is in place (and synced by the upload) before the deployment names it.
    if (rename(upload_path, path) != 0) {
        return fail(UPDATE_STORE_ERR_IO, err, err_size, "%s: %s", path, strerror(errno));
    }
    deployment->id = id;
    deployment->created = (int64_t)time(NULL);
    store->deployments[store->deployment_count++] = *deployment;
    enum update_store_result rc = save_deployments(store, err, err_size);
    if (rc != UPDATE_STORE_OK) {
        store->deployment_count--;
        unlink(path);
    }
    return rc;
}

const struct update_deployment *update_store_deployment(const struct update_store *store,
                                                        long long id) {
    for (size_t i = 0; i < store->deployment_count; i++) {
        if (store->deployments[i].id == id) {
            return &store->deployments[i];
        }
    }
    return NULL;
}

const char *update_store_group_of(const struct update_store *store, const char *device_id) {
    for (size_t i = 0; i < store->member_count; i++) {
        if (strcasecmp(store->members[i].device_id, device_id) == 0) {
            return store->members[i].group;
        }
    }
    return NULL;
}

enum update_store_result update_store_set_group(struct update_store *store, const char *device_id,
                                                const char *group, char *err, size_t err_size) {
    if (!update_device_id_valid(device_id) || (group != NULL && !update_group_valid(group))) {
        return fail(UPDATE_STORE_ERR_INVALID, err, err_size,
                    "a device id is 1 to 128 letters, digits or '-'; a group name 1 to 64 "
                    "letters, digits, '.', '_' or '-'");
    }
    size_t index = 0;
    while (index < store->member_count &&
           strcasecmp(store->members[index].device_id, device_id) != 0) {
        index++;
    }
    bool existed = index < store->member_count;
    if (group == NULL) {
        if (!existed) {
            return fail(UPDATE_STORE_ERR_NOT_FOUND, err, err_size, "device %.16s… is in no group",
                        device_id);
        }
        memmove(&store->members[index], &store->members[index + 1],
                (store->member_count - index - 1) * sizeof(store->members[0]));
        store->member_count--;
    } else {
        if (!existed) {
            if (store->member_count == UPDATE_MAX_MEMBERS) {
                return fail(UPDATE_STORE_ERR_FULL, err, err_size, "more than %d group members",
                            UPDATE_MAX_MEMBERS);
            }
            store->member_count++;
        }
        snprintf(store->members[index].device_id, sizeof(store->members[index].device_id), "%s",
                 device_id);
        snprintf(store->members[index].group, sizeof(store->members[index].group), "%s", group);
    }
    enum update_store_result rc = save_groups(store, err, err_size);
    if (rc != UPDATE_STORE_OK) {
        // Keep memory as the file is: reload what was there.
        store->member_count = 0;
        load_groups(store, NULL, 0);
    }
    return rc;
}

bool update_store_targets(const struct update_store *store, const struct update_deployment *d,
                          const char *device_id) {
    if (d->target_kind == UPDATE_TARGET_DEVICE) {
        return strcasecmp(d->target, device_id) == 0;
    }
    const char *group = update_store_group_of(store, device_id);
    return group != NULL && strcmp(group, d->target) == 0;
}

int update_store_device_path(const struct update_store *store, const char *device_id,
                             const char *name, char *out, size_t out_size) {
    if (!update_device_id_valid(device_id)) {
        return -1;
    }
    int n = snprintf(out, out_size, "%s/devices/%s%s%s", store->dir, device_id,
                     name[0] != '\0' ? "/" : "", name);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}
