// SPDX-License-Identifier: MIT
// A/B slots; see image_slots.h. current.json is the device's own file, but it is still read as
// untrusted input: a damaged one must give a clear error, never a crash or a half-set device.
#include "os/image_slots.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/fs_util.h"
#include "os/package_view.h"
#include "os/update_agent_crash.h"

#define POINTER_MAX_BYTES (64 * 1024)

static const char *const origin_names[] = {
    [SIM_SLOT_EMPTY] = "empty", [SIM_SLOT_SIDELOAD] = "sideload", [SIM_SLOT_UPDATE] = "update"};

__attribute__((format(printf, 3, 4))) static enum sim_slots_result fail(char *err, size_t err_size,
                                                                        const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_size, fmt, args);
        va_end(args);
    }
    return errno == ENOENT ? SIM_SLOTS_ERR_NOT_FOUND : SIM_SLOTS_ERR_IO;
}

__attribute__((format(printf, 3, 4))) static enum sim_slots_result invalid(char *err,
                                                                           size_t err_size,
                                                                           const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_size, fmt, args);
        va_end(args);
    }
    return SIM_SLOTS_ERR_INVALID;
}

static int join(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

char sim_slots_name(int slot) {
    return slot == 1 ? 'b' : 'a';
}

int sim_slots_app_dir(const char *device_dir, int slot, char *out, size_t out_size) {
    int n = snprintf(out, out_size, "%s/slots/app-%c", device_dir, sim_slots_name(slot));
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int sim_slots_os_dir(const char *device_dir, int slot, char *out, size_t out_size) {
    int n = snprintf(out, out_size, "%s/slots/os-%c", device_dir, sim_slots_name(slot));
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

const struct sim_slot *sim_slots_active_app(const struct sim_slots *slots) {
    return &slots->app[slots->app_active == 1 ? 1 : 0];
}

void sim_slots_describe(const struct sim_slots *slots, int slot, char *out, size_t out_size) {
    const struct sim_slot *s = &slots->app[slot == 1 ? 1 : 0];
    char version[40];
    sim_image_version_format(&s->version, version, sizeof(version));
    snprintf(out, out_size, "'%s' %s (slot %c, %s)", s->name, version, sim_slots_name(slot),
             origin_names[s->origin]);
}

static int fsync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

// --- current.json ---

static cJSON *slot_to_json(const struct sim_slot *slot) {
    cJSON *obj = cJSON_CreateObject();
    char version[40];
    sim_image_version_format(&slot->version, version, sizeof(version));
    cJSON_AddStringToObject(obj, "origin", origin_names[slot->origin]);
    cJSON_AddStringToObject(obj, "component_id", slot->component_id);
    cJSON_AddStringToObject(obj, "name", slot->name);
    cJSON_AddStringToObject(obj, "version", version);
    if (slot->origin == SIM_SLOT_UPDATE) {
        cJSON_AddStringToObject(obj, "sha256", slot->sha256);
    }
    return obj;
}

static cJSON *slot_ref(int slot) {
    if (slot < 0) {
        return cJSON_CreateNull();
    }
    char name[2] = {sim_slots_name(slot), '\0'};
    return cJSON_CreateString(name);
}

static cJSON *slots_to_json(const struct sim_slots *s) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "format", SIM_SLOTS_FORMAT);
    cJSON *source = cJSON_AddObjectToObject(root, "sideload");
    cJSON_AddStringToObject(source, "package", s->source_package);
    cJSON_AddStringToObject(source, "executable", s->source_executable);
    cJSON_AddStringToObject(source, "manifest", s->source_manifest);
    cJSON *app = cJSON_AddObjectToObject(root, "app");
    cJSON_AddItemToObject(app, "active", slot_ref(s->app_active));
    cJSON_AddItemToObject(app, "previous", slot_ref(s->app_previous));
    cJSON_AddBoolToObject(app, "trial", s->trial);
    cJSON *app_slots = cJSON_AddObjectToObject(app, "slots");
    cJSON *os = cJSON_AddObjectToObject(root, "os");
    cJSON_AddItemToObject(os, "active", slot_ref(s->os_active));
    char version[40];
    sim_image_version_format(&s->os_version, version, sizeof(version));
    cJSON_AddStringToObject(os, "version", version);
    cJSON *os_slots = cJSON_AddObjectToObject(os, "slots");
    for (int i = 0; i < 2; i++) {
        char name[2] = {sim_slots_name(i), '\0'};
        if (s->app[i].origin != SIM_SLOT_EMPTY) {
            cJSON_AddItemToObject(app_slots, name, slot_to_json(&s->app[i]));
        }
        if (s->os[i].origin != SIM_SLOT_EMPTY) {
            cJSON_AddItemToObject(os_slots, name, slot_to_json(&s->os[i]));
        }
    }
    return root;
}

// Copies a JSON string field into out, checking it is present, a string and fits.
static bool get_text(const cJSON *obj, const char *key, char *out, size_t out_size, bool required) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL && !required) {
        out[0] = '\0';
        return true;
    }
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= out_size) {
        return false;
    }
    memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
    return true;
}

static bool parse_slot_ref(const cJSON *item, bool nullable, int *out) {
    if (nullable && cJSON_IsNull(item)) {
        *out = -1;
        return true;
    }
    if (!cJSON_IsString(item)) {
        return false;
    }
    if (strcmp(item->valuestring, "a") == 0) {
        *out = 0;
    } else if (strcmp(item->valuestring, "b") == 0) {
        *out = 1;
    } else {
        return false;
    }
    return true;
}

static bool is_printable(const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return true;
}

static enum sim_slots_result parse_slot(const cJSON *obj, const char *where, struct sim_slot *out,
                                        char *err, size_t err_size) {
    char origin[16];
    char version[40];
    memset(out, 0, sizeof(*out));
    if (!cJSON_IsObject(obj) || !get_text(obj, "origin", origin, sizeof(origin), true)) {
        return invalid(err, err_size, "%s: \"origin\" must be \"sideload\" or \"update\"", where);
    }
    if (strcmp(origin, "sideload") == 0) {
        out->origin = SIM_SLOT_SIDELOAD;
    } else if (strcmp(origin, "update") == 0) {
        out->origin = SIM_SLOT_UPDATE;
    } else {
        return invalid(err, err_size, "%s: \"origin\" must be \"sideload\" or \"update\"", where);
    }
    if (!get_text(obj, "component_id", out->component_id, sizeof(out->component_id), true) ||
        !sim_image_guid_is_valid(out->component_id)) {
        return invalid(err, err_size, "%s: \"component_id\" must be a GUID", where);
    }
    if (!get_text(obj, "name", out->name, sizeof(out->name), true) || !is_printable(out->name)) {
        return invalid(err, err_size, "%s: \"name\" must be text of at most %d bytes", where,
                       SIM_IMAGE_NAME_MAX);
    }
    if (!get_text(obj, "version", version, sizeof(version), true) ||
        !sim_image_version_parse(version, &out->version)) {
        return invalid(err, err_size, "%s: \"version\" must be MAJOR.MINOR.PATCH", where);
    }
    if (out->origin == SIM_SLOT_UPDATE &&
        (!get_text(obj, "sha256", out->sha256, sizeof(out->sha256), true) ||
         strlen(out->sha256) != 2 * SIM_IMAGE_SHA256_LEN)) {
        return invalid(err, err_size, "%s: \"sha256\" must be 64 hex digits", where);
    }
    return SIM_SLOTS_OK;
}

static enum sim_slots_result parse_slot_set(const cJSON *parent, const char *what,
                                            struct sim_slot out[2], const char *path, char *err,
                                            size_t err_size) {
    const cJSON *set = cJSON_GetObjectItemCaseSensitive(parent, "slots");
    if (!cJSON_IsObject(set)) {
        return invalid(err, err_size, "%s: \"%s.slots\" must be an object", path, what);
    }
    for (int i = 0; i < 2; i++) {
        char name[2] = {sim_slots_name(i), '\0'};
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(set, name);
        memset(&out[i], 0, sizeof(out[i]));
        if (item == NULL) {
            continue;
        }
        char where[PATH_MAX + 32];
        snprintf(where, sizeof(where), "%s: %s.slots.%s", path, what, name);
        enum sim_slots_result r = parse_slot(item, where, &out[i], err, err_size);
        if (r != SIM_SLOTS_OK) {
            return r;
        }
    }
    return SIM_SLOTS_OK;
}

static enum sim_slots_result parse_slots(const cJSON *root, const char *path, struct sim_slots *out,
                                         char *err, size_t err_size) {
    const cJSON *format = cJSON_GetObjectItemCaseSensitive(root, "format");
    if (!cJSON_IsNumber(format) || format->valuedouble != SIM_SLOTS_FORMAT) {
        return invalid(err, err_size, "%s: \"format\" must be %d", path, SIM_SLOTS_FORMAT);
    }
    const cJSON *source = cJSON_GetObjectItemCaseSensitive(root, "sideload");
    if (!cJSON_IsObject(source) ||
        !get_text(source, "package", out->source_package, sizeof(out->source_package), true) ||
        !get_text(source, "executable", out->source_executable, sizeof(out->source_executable),
                  true) ||
        !get_text(source, "manifest", out->source_manifest, sizeof(out->source_manifest), true) ||
        out->source_package[0] != '/' || out->source_executable[0] != '/' ||
        out->source_manifest[0] != '/') {
        return invalid(err, err_size,
                       "%s: \"sideload\" must hold absolute \"package\", \"executable\" and "
                       "\"manifest\" paths",
                       path);
    }
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(root, "app");
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(root, "os");
    if (!cJSON_IsObject(app) || !cJSON_IsObject(os)) {
        return invalid(err, err_size, "%s: \"app\" and \"os\" must be objects", path);
    }
    if (!parse_slot_ref(cJSON_GetObjectItemCaseSensitive(app, "active"), false, &out->app_active) ||
        !parse_slot_ref(cJSON_GetObjectItemCaseSensitive(app, "previous"), true,
                        &out->app_previous) ||
        !parse_slot_ref(cJSON_GetObjectItemCaseSensitive(os, "active"), true, &out->os_active)) {
        return invalid(err, err_size,
                       "%s: \"app.active\" must be \"a\" or \"b\"; \"app.previous\" and "
                       "\"os.active\" \"a\", \"b\" or null",
                       path);
    }
    const cJSON *trial = cJSON_GetObjectItemCaseSensitive(app, "trial");
    if (!cJSON_IsBool(trial)) {
        return invalid(err, err_size, "%s: \"app.trial\" must be true or false", path);
    }
    out->trial = cJSON_IsTrue(trial);
    char version[40];
    if (!get_text(os, "version", version, sizeof(version), true) ||
        !sim_image_version_parse(version, &out->os_version)) {
        return invalid(err, err_size, "%s: \"os.version\" must be MAJOR.MINOR.PATCH", path);
    }
    enum sim_slots_result r = parse_slot_set(app, "app", out->app, path, err, err_size);
    if (r == SIM_SLOTS_OK) {
        r = parse_slot_set(os, "os", out->os, path, err, err_size);
    }
    if (r != SIM_SLOTS_OK) {
        return r;
    }
    // Every slot the pointer names must be described, or the device cannot boot from it.
    if (out->app[out->app_active].origin == SIM_SLOT_EMPTY ||
        (out->app_previous >= 0 && out->app[out->app_previous].origin == SIM_SLOT_EMPTY) ||
        out->app_previous == out->app_active ||
        (out->os_active >= 0 && out->os[out->os_active].origin != SIM_SLOT_UPDATE)) {
        return invalid(err, err_size, "%s: a slot named as active or previous is not described",
                       path);
    }
    return SIM_SLOTS_OK;
}

enum sim_slots_result sim_slots_load(const char *device_dir, struct sim_slots *out, char *err,
                                     size_t err_size) {
    char path[PATH_MAX];
    memset(out, 0, sizeof(*out));
    if (join(path, sizeof(path), device_dir, SIM_SLOTS_POINTER) != 0) {
        return invalid(err, err_size, "%s: device directory path too long", device_dir);
    }
    static char text[POINTER_MAX_BYTES];
    size_t len = 0;
    if (sim_fs_read_file(path, text, sizeof(text), &len, err, err_size) != 0) {
        return errno == ENOENT ? SIM_SLOTS_ERR_NOT_FOUND
                               : (errno == EFBIG ? SIM_SLOTS_ERR_INVALID : SIM_SLOTS_ERR_IO);
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return invalid(err, err_size, "%s: not a JSON object", path);
    }
    enum sim_slots_result r = parse_slots(root, path, out, err, err_size);
    cJSON_Delete(root);
    return r;
}

enum sim_slots_result sim_slots_save(const char *device_dir, const struct sim_slots *slots,
                                     const char *step, char *err, size_t err_size) {
    char dir[PATH_MAX];
    char path[PATH_MAX];
    char tmp[PATH_MAX + 8];
    if (join(dir, sizeof(dir), device_dir, "slots") != 0 ||
        join(path, sizeof(path), device_dir, SIM_SLOTS_POINTER) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        return invalid(err, err_size, "%s: device directory path too long", device_dir);
    }
    if (sim_fs_make_dirs(dir, 0700, err, err_size) != 0) {
        return SIM_SLOTS_ERR_IO;
    }
    cJSON *root = slots_to_json(slots);
    char *text = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (text == NULL) {
        errno = ENOMEM;
        return fail(err, err_size, "%s: out of memory", path);
    }
    enum sim_slots_result result = SIM_SLOTS_OK;
    size_t len = strlen(text);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0 || write(fd, text, len) != (ssize_t)len || fsync(fd) != 0) {
        result = fail(err, err_size, "%s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        unlink(tmp);
        goto out;
    }
    close(fd);
    char point[64];
    if (step != NULL) {
        snprintf(point, sizeof(point), "%s-pointer-written", step);
        sim_update_crash_point(point);
    }
    if (rename(tmp, path) != 0) {
        result = fail(err, err_size, "%s: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (step != NULL) {
        snprintf(point, sizeof(point), "%s-pointer-renamed", step);
        sim_update_crash_point(point);
    }
    if (fsync_dir(dir) != 0) {
        result = fail(err, err_size, "%s: %s", dir, strerror(errno));
    }
out:
    free(text);
    return result;
}

void sim_slots_cleanup(const char *device_dir) {
    char tmp[PATH_MAX + 8];
    if (snprintf(tmp, sizeof(tmp), "%s/%s.tmp", device_dir, SIM_SLOTS_POINTER) < (int)sizeof(tmp)) {
        unlink(tmp);
    }
}

// --- sideload ---

static int fsync_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    return flag == FTW_D || flag == FTW_DP ? fsync_dir(path) : 0;
}

// Points relative (inside view) at target with a symbolic link that replaces whatever is there,
// through a temporary name and a rename, creating the directories it needs.
static int link_into(const char *view, const char *relative, const char *target, char *err,
                     size_t err_size) {
    char path[PATH_MAX];
    char tmp[PATH_MAX + 8];
    if (join(path, sizeof(path), view, relative) != 0 ||
        snprintf(tmp, sizeof(tmp), "%s.tmp~", path) >= (int)sizeof(tmp)) {
        snprintf(err, err_size, "%s/%s: path too long", view, relative);
        return -1;
    }
    char parent[PATH_MAX];
    memcpy(parent, path, strlen(path) + 1);
    char *slash = strrchr(parent, '/');
    *slash = '\0';
    if (sim_fs_make_dirs(parent, 0755, err, err_size) != 0) {
        return -1;
    }
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, path) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}

static bool same_source(const struct sim_slots *slots, const char *package, const char *executable,
                        const char *manifest) {
    return strcmp(slots->source_package, package) == 0 &&
           strcmp(slots->source_executable, executable) == 0 &&
           strcmp(slots->source_manifest, manifest) == 0;
}

// The active slot's directory is there (it may be gone if someone removed it by hand).
static bool active_present(const char *device_dir, const struct sim_slots *slots) {
    char dir[PATH_MAX];
    struct stat st;
    return sim_slots_app_dir(device_dir, slots->app_active, dir, sizeof(dir)) == 0 &&
           lstat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

static enum sim_slots_result resolve(const char *path, char *out, char *err, size_t err_size) {
    if (realpath(path, out) == NULL) {
        return fail(err, err_size, "%s: %s", path, strerror(errno));
    }
    return SIM_SLOTS_OK;
}

// Builds the slot's linked view in <slot>.staging, then renames it into place.
static enum sim_slots_result build_sideload_slot(const char *slot_dir, const char *package,
                                                 const char *executable, const char *manifest,
                                                 const char *entry_point, char *err,
                                                 size_t err_size) {
    char staging[PATH_MAX + 16];
    if (snprintf(staging, sizeof(staging), "%s.staging", slot_dir) >= (int)sizeof(staging)) {
        return invalid(err, err_size, "%s: path too long", slot_dir);
    }
    char reason[PATH_MAX + 128];
    if (sim_image_remove_tree(slot_dir, reason, sizeof(reason)) != SIM_IMAGE_OK ||
        sim_image_remove_tree(staging, reason, sizeof(reason)) != SIM_IMAGE_OK) {
        return fail(err, err_size, "clearing the slot: %s", reason);
    }
    // The manifest and the binary `run` resolved win over whatever the package has there.
    const char *entry = entry_point[0] == '/' ? entry_point + 1 : entry_point;
    if (sim_package_view_build(package, staging, err, err_size) != 0 ||
        link_into(staging, SIM_IMAGE_MANIFEST_PATH, manifest, err, err_size) != 0 ||
        (entry[0] != '\0' && link_into(staging, entry, executable, err, err_size) != 0)) {
        sim_image_remove_tree(staging, NULL, 0);
        return SIM_SLOTS_ERR_IO;
    }
    if (nftw(staging, fsync_entry, 16, FTW_PHYS | FTW_DEPTH) != 0 ||
        rename(staging, slot_dir) != 0) {
        enum sim_slots_result r = fail(err, err_size, "%s: %s", slot_dir, strerror(errno));
        sim_image_remove_tree(staging, NULL, 0);
        return r;
    }
    char parent[PATH_MAX];
    memcpy(parent, slot_dir, strlen(slot_dir) + 1);
    *strrchr(parent, '/') = '\0';
    return fsync_dir(parent) == 0 ? SIM_SLOTS_OK
                                  : fail(err, err_size, "%s: %s", parent, strerror(errno));
}

enum sim_slots_result sim_slots_sideload(const char *device_dir,
                                         const struct sim_sideload_source *source,
                                         struct sim_slots *inout, bool have_slots,
                                         bool *out_installed, char *err, size_t err_size) {
    static char package[PATH_MAX];
    static char executable[PATH_MAX];
    static char manifest[PATH_MAX];
    *out_installed = false;
    enum sim_slots_result r = resolve(source->package_dir, package, err, err_size);
    if (r == SIM_SLOTS_OK) {
        r = resolve(source->executable, executable, err, err_size);
    }
    if (r == SIM_SLOTS_OK) {
        r = resolve(source->manifest_path, manifest, err, err_size);
    }
    if (r != SIM_SLOTS_OK) {
        return r;
    }
    if (!have_slots) {
        memset(inout, 0, sizeof(*inout));
        inout->app_active = 1;  // so that the first install goes to slot a
        inout->app_previous = -1;
        inout->os_active = -1;
        inout->os_version = SIM_SLOTS_FACTORY_OS_VERSION;
    } else if (same_source(inout, package, executable, manifest) &&
               active_present(device_dir, inout)) {
        return SIM_SLOTS_OK;
    }
    int target = inout->app_active == 1 ? 0 : 1;
    char slot_dir[PATH_MAX];
    char slots_dir[PATH_MAX];
    if (sim_slots_app_dir(device_dir, target, slot_dir, sizeof(slot_dir)) != 0 ||
        join(slots_dir, sizeof(slots_dir), device_dir, "slots") != 0) {
        return invalid(err, err_size, "%s: device directory path too long", device_dir);
    }
    if (sim_fs_make_dirs(slots_dir, 0700, err, err_size) != 0) {
        return SIM_SLOTS_ERR_IO;
    }
    r = build_sideload_slot(slot_dir, package, executable, manifest, source->entry_point, err,
                            err_size);
    if (r != SIM_SLOTS_OK) {
        return r;
    }
    struct sim_slot *slot = &inout->app[target];
    memset(slot, 0, sizeof(*slot));
    slot->origin = SIM_SLOT_SIDELOAD;
    snprintf(slot->component_id, sizeof(slot->component_id), "%s", source->component_id);
    snprintf(slot->name, sizeof(slot->name), "%s", source->name);
    memcpy(inout->source_package, package, sizeof(inout->source_package));
    memcpy(inout->source_executable, executable, sizeof(inout->source_executable));
    memcpy(inout->source_manifest, manifest, sizeof(inout->source_manifest));
    // A sideload replaces the app outright: nothing to roll back to, nothing on trial.
    inout->app_active = target;
    inout->app_previous = -1;
    inout->trial = false;
    r = sim_slots_save(device_dir, inout, NULL, err, err_size);
    *out_installed = r == SIM_SLOTS_OK;
    return r;
}

// --- updates ---

enum sim_slots_result sim_slots_install(const char *device_dir, struct sim_slots *inout,
                                        struct sim_image_package *pkg, const char *sha256,
                                        char *err, size_t err_size) {
    const struct sim_image_info *info = sim_image_package_info(pkg);
    if (info == NULL) {
        return invalid(err, err_size, "the package is not verified");
    }
    bool os = info->metadata.type == SIM_IMAGE_TYPE_OS;
    int target = os ? (inout->os_active == 0 ? 1 : 0) : (inout->app_active == 1 ? 0 : 1);
    char slot_dir[PATH_MAX];
    int n = os ? sim_slots_os_dir(device_dir, target, slot_dir, sizeof(slot_dir))
               : sim_slots_app_dir(device_dir, target, slot_dir, sizeof(slot_dir));
    if (n != 0) {
        return invalid(err, err_size, "%s: device directory path too long", device_dir);
    }
    char reason[PATH_MAX + 256];
    if (sim_image_remove_tree(slot_dir, reason, sizeof(reason)) != SIM_IMAGE_OK) {
        return fail(err, err_size, "clearing slot %c: %s", sim_slots_name(target), reason);
    }
    sim_update_crash_point("install-slot-cleared");
    enum sim_image_result extracted =
        sim_image_package_extract(pkg, slot_dir, reason, sizeof(reason));
    if (extracted != SIM_IMAGE_OK) {
        errno = EIO;
        return fail(err, err_size, "installing into slot %c: %s", sim_slots_name(target), reason);
    }
    sim_update_crash_point("install-extracted");
    struct sim_slots next = *inout;
    struct sim_slot *slot = os ? &next.os[target] : &next.app[target];
    memset(slot, 0, sizeof(*slot));
    slot->origin = SIM_SLOT_UPDATE;
    snprintf(slot->component_id, sizeof(slot->component_id), "%s", info->metadata.component_id);
    snprintf(slot->name, sizeof(slot->name), "%s", info->metadata.name);
    slot->version = info->metadata.version;
    snprintf(slot->sha256, sizeof(slot->sha256), "%s", sha256);
    if (os) {
        next.os_active = target;
        next.os_version = info->metadata.version;
    } else {
        next.app_previous = next.app_active;
        next.app_active = target;
        next.trial = true;
    }
    enum sim_slots_result r = sim_slots_save(device_dir, &next, "install", err, err_size);
    if (r == SIM_SLOTS_OK) {
        *inout = next;
        sim_update_crash_point("install-switched");
    }
    return r;
}

enum sim_slots_result sim_slots_rollback(const char *device_dir, struct sim_slots *inout, char *err,
                                         size_t err_size) {
    if (inout->app_previous < 0) {
        return invalid(err, err_size, "there is no previous app to roll back to");
    }
    struct sim_slots next = *inout;
    next.app_active = inout->app_previous;
    next.app_previous = -1;
    next.trial = false;
    enum sim_slots_result r = sim_slots_save(device_dir, &next, "rollback", err, err_size);
    if (r == SIM_SLOTS_OK) {
        *inout = next;
    }
    return r;
}

enum sim_slots_result sim_slots_commit(const char *device_dir, struct sim_slots *inout, char *err,
                                       size_t err_size) {
    struct sim_slots next = *inout;
    next.trial = false;
    enum sim_slots_result r = sim_slots_save(device_dir, &next, "commit", err, err_size);
    if (r == SIM_SLOTS_OK) {
        *inout = next;
    }
    return r;
}
