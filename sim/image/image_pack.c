// SPDX-License-Identifier: MIT
// `spheresim image pack` (see image_pack.h): walks the directory without following links, checks
// the manifest with the OS's own parser, lays out header, metadata, file table and payload with
// the shared format code, and signs with image_sign.c when asked.
#include "image/image_pack.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "image/image_sign.h"
#include "os/fs_util.h"
#include "os/hwdef.h"
#include "os/manifest.h"

#define MAX_DEPTH 32

struct pack_entry {
    char path[SIM_IMAGE_PATH_MAX + 1];
    uint32_t mode;
    uint64_t size;
};

struct pack_walk {
    const char *root;
    struct pack_entry entries[SIM_IMAGE_MAX_FILES];
    size_t count;
    uint64_t total;
};

__attribute__((format(printf, 4, 5))) static enum sim_image_result fail(enum sim_image_result rc,
                                                                        char *err, size_t err_size,
                                                                        const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static bool join(char *out, size_t out_size, const char *a, const char *b) {
    int n =
        b[0] == '\0' ? snprintf(out, out_size, "%s", a) : snprintf(out, out_size, "%s/%s", a, b);
    return n >= 0 && (size_t)n < out_size;
}

// Adds every regular file under root/rel to walk, in directory order.
static enum sim_image_result walk_dir(struct pack_walk *walk, const char *rel, int depth, char *err,
                                      size_t err_size) {
    char full[PATH_MAX];
    if (depth > MAX_DEPTH || !join(full, sizeof full, walk->root, rel)) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size, "%s/%s: nested too deep",
                    walk->root, rel);
    }
    DIR *dir = opendir(full);
    if (dir == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot read directory %s: %s", full,
                    strerror(errno));
    }
    enum sim_image_result rc = SIM_IMAGE_OK;
    struct dirent *entry;
    while (rc == SIM_IMAGE_OK && (entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            continue;
        }
        char child_rel[SIM_IMAGE_PATH_MAX + 1];
        char child[PATH_MAX];
        int n = rel[0] == '\0' ? snprintf(child_rel, sizeof child_rel, "%s", name)
                               : snprintf(child_rel, sizeof child_rel, "%s/%s", rel, name);
        if (n < 0 || (size_t)n >= sizeof child_rel) {
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                      "%s/%s/%s: a package path may have at most %d characters", walk->root, rel,
                      name, SIM_IMAGE_PATH_MAX);
            break;
        }
        struct stat st;
        if (!join(child, sizeof child, walk->root, child_rel) || lstat(child, &st) != 0) {
            rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot stat %s/%s: %s", walk->root,
                      child_rel, strerror(errno));
        } else if (S_ISLNK(st.st_mode)) {
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                      "%s is a symbolic link; packages hold regular files only", child);
        } else if (S_ISDIR(st.st_mode)) {
            rc = walk_dir(walk, child_rel, depth + 1, err, err_size);
        } else if (!S_ISREG(st.st_mode)) {
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                      "%s is not a regular file; packages hold regular files only", child);
        } else if (!sim_image_path_is_safe(child_rel)) {
            char shown[4 * (SIM_IMAGE_PATH_MAX + 1) + 1];
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                      "%s/%s: package paths may use only [A-Za-z0-9._+@=,~-]", walk->root,
                      sim_image_escape(child_rel, sizeof child_rel, shown, sizeof shown));
        } else if (walk->count == SIM_IMAGE_MAX_FILES) {
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size, "%s holds more than %d files",
                      walk->root, SIM_IMAGE_MAX_FILES);
        } else if ((uint64_t)st.st_size > SIM_IMAGE_MAX_PAYLOAD - walk->total) {
            rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                      "%s holds more than the %llu bytes a package may carry", walk->root,
                      (unsigned long long)SIM_IMAGE_MAX_PAYLOAD);
        } else {
            struct pack_entry *e = &walk->entries[walk->count++];
            memcpy(e->path, child_rel, sizeof e->path);
            e->mode = S_IFREG | ((st.st_mode & S_IXUSR) != 0 ? 0755u : 0644u);
            e->size = (uint64_t)st.st_size;
            walk->total += e->size;
        }
    }
    closedir(dir);
    return rc;
}

static int compare_entries(const void *a, const void *b) {
    return strcmp(((const struct pack_entry *)a)->path, ((const struct pack_entry *)b)->path);
}

static const struct pack_entry *find_entry(const struct pack_walk *walk, const char *path) {
    for (size_t i = 0; i < walk->count; i++) {
        if (strcmp(walk->entries[i].path, path) == 0) {
            return &walk->entries[i];
        }
    }
    return NULL;
}

static bool name_is_printable(const char *name) {
    for (const char *p = name; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return name[0] != '\0';
}

// Fills the app's metadata from its manifest and checks its EntryPoint.
static enum sim_image_result app_metadata(const struct sim_image_pack_options *opts,
                                          const struct pack_walk *walk,
                                          struct sim_image_metadata *meta, char *err,
                                          size_t err_size) {
    char manifest_path[PATH_MAX];
    enum sim_image_result rc = SIM_IMAGE_ERR_INVALID_INPUT;
    struct sim_hwdef *hw = malloc(sizeof *hw);
    struct sim_manifest *manifest = malloc(sizeof *manifest);
    const char *hw_path = opts->hardware_definition != NULL
                              ? opts->hardware_definition
                              : sim_hwdef_default_for_board("mt3620_rdb");
    char reason[1024];
    if (hw == NULL || manifest == NULL) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory");
        goto out;
    }
    if (opts->name != NULL || opts->component_id != NULL) {
        fail(rc, err, err_size,
             "an app package takes its name and component id from app_manifest.json");
        goto out;
    }
    if (find_entry(walk, SIM_IMAGE_MANIFEST_PATH) == NULL ||
        !join(manifest_path, sizeof manifest_path, opts->dir, SIM_IMAGE_MANIFEST_PATH)) {
        fail(rc, err, err_size, "%s has no " SIM_IMAGE_MANIFEST_PATH, opts->dir);
        goto out;
    }
    if (hw_path == NULL || sim_hwdef_load(hw_path, hw, reason, sizeof reason) != SIM_HWDEF_OK) {
        fail(rc, err, err_size, "hardware definition: %s",
             hw_path != NULL ? reason : "none for mt3620_rdb");
        goto out;
    }
    if (sim_manifest_load(manifest_path, hw, manifest, reason, sizeof reason) != SIM_MANIFEST_OK) {
        fail(rc, err, err_size, "the app can't be packed: %s", reason);
        goto out;
    }
    // The manifest parser has checked EntryPoint's form; the file must also be here.
    const char *entry_rel =
        manifest->entry_point[0] == '/' ? manifest->entry_point + 1 : manifest->entry_point;
    const struct pack_entry *entry = find_entry(walk, entry_rel);
    if (entry == NULL || (entry->mode & 0111) == 0) {
        fail(rc, err, err_size, "%s: EntryPoint %s is not an executable file in %s", manifest_path,
             manifest->entry_point, opts->dir);
        goto out;
    }
    if (!name_is_printable(manifest->name)) {
        fail(rc, err, err_size, "%s: Name must be printable text", manifest_path);
        goto out;
    }
    snprintf(meta->component_id, sizeof meta->component_id, "%s", manifest->component_id);
    snprintf(meta->name, sizeof meta->name, "%s", manifest->name);
    rc = SIM_IMAGE_OK;
out:
    free(hw);
    free(manifest);
    return rc;
}

static enum sim_image_result os_metadata(const struct sim_image_pack_options *opts,
                                         struct sim_image_metadata *meta, char *err,
                                         size_t err_size) {
    const char *name = opts->name != NULL ? opts->name : SIM_IMAGE_DEFAULT_OS_NAME;
    const char *component =
        opts->component_id != NULL ? opts->component_id : SIM_IMAGE_OS_COMPONENT_ID;
    if (!sim_image_guid_is_valid(component)) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                    "component id '%.64s' is not a GUID (8-4-4-4-12 hex digits)", component);
    }
    if (strlen(name) > SIM_IMAGE_NAME_MAX || !name_is_printable(name)) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                    "the OS release name must be 1 to %d printable characters", SIM_IMAGE_NAME_MAX);
    }
    snprintf(meta->component_id, sizeof meta->component_id, "%s", component);
    snprintf(meta->name, sizeof meta->name, "%s", name);
    return SIM_IMAGE_OK;
}

static enum sim_image_result build_time(int64_t given, uint64_t *out, char *err, size_t err_size) {
    if (given >= 0) {
        *out = (uint64_t)given;
        return SIM_IMAGE_OK;
    }
    const char *epoch = getenv("SOURCE_DATE_EPOCH");
    if (epoch == NULL || epoch[0] == '\0') {
        *out = (uint64_t)time(NULL);
        return SIM_IMAGE_OK;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long value = strtoull(epoch, &end, 10);
    if (!isdigit((unsigned char)epoch[0]) || *end != '\0' || errno != 0) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                    "SOURCE_DATE_EPOCH '%.32s' is not a number of seconds", epoch);
    }
    *out = value;
    return SIM_IMAGE_OK;
}

// Lays out the package in a malloc'ed buffer: header, metadata, file table, payload.
static enum sim_image_result build(const struct sim_image_pack_options *opts,
                                   const struct pack_walk *walk,
                                   const struct sim_image_metadata *meta, uint8_t **out_buf,
                                   size_t *out_len, char *err, size_t err_size) {
    struct sim_image_header h = {
        .format_version = SIM_IMAGE_FORMAT_VERSION,
        .header_len = SIM_IMAGE_HEADER_LEN,
        .metadata_len = SIM_IMAGE_METADATA_LEN,
        .file_count = (uint32_t)walk->count,
        .file_entry_len = SIM_IMAGE_FILE_ENTRY_LEN,
        .payload_len = walk->total,
    };
    size_t table_len = walk->count * SIM_IMAGE_FILE_ENTRY_LEN;
    size_t payload_at = SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + table_len;
    size_t len = payload_at + (size_t)walk->total;
    uint8_t *buf = calloc(1, len);
    if (buf == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory for a %zu-byte package", len);
    }
    uint64_t offset = 0;
    for (size_t i = 0; i < walk->count; i++) {
        const struct pack_entry *e = &walk->entries[i];
        char path[PATH_MAX];
        size_t got = 0;
        uint8_t *data = buf + payload_at + offset;
        if (!join(path, sizeof path, opts->dir, e->path) ||
            sim_fs_read_file(path, data, (size_t)e->size, &got, err, err_size) != 0) {
            free(buf);
            return SIM_IMAGE_ERR_IO;
        }
        if (got != e->size) {
            free(buf);
            return fail(SIM_IMAGE_ERR_IO, err, err_size, "%s changed while it was packed", path);
        }
        struct sim_image_file f = {.mode = e->mode, .offset = offset, .length = e->size};
        memcpy(f.path, e->path, sizeof f.path);
        sim_image_openssl_sha256(data, (size_t)e->size, f.sha256);
        sim_image_encode_file_entry(
            &f, buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + i * SIM_IMAGE_FILE_ENTRY_LEN);
        offset += e->size;
    }
    sim_image_encode_metadata(meta, buf + SIM_IMAGE_HEADER_LEN);
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN, SIM_IMAGE_METADATA_LEN, h.metadata_sha256);
    sim_image_openssl_sha256(buf + SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN, table_len,
                             h.file_table_sha256);
    sim_image_encode_header(&h, buf);
    *out_buf = buf;
    *out_len = len;
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_pack(const struct sim_image_pack_options *opts,
                                     const char *out_path, uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN],
                                     char *err, size_t err_size) {
    struct sim_image_metadata meta = {.type = opts->type, .version = opts->version};
    uint8_t *buf = NULL;
    size_t len = 0;
    enum sim_image_result rc = SIM_IMAGE_ERR_IO;
    struct pack_walk *walk = calloc(1, sizeof *walk);
    if (walk == NULL) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "out of memory");
    }
    walk->root = opts->dir;
    if (opts->type != SIM_IMAGE_TYPE_APP && opts->type != SIM_IMAGE_TYPE_OS) {
        rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size, "unknown package type %d",
                  (int)opts->type);
        goto out;
    }
    if ((rc = walk_dir(walk, "", 0, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (walk->count == 0) {
        rc = fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size, "%s holds no files", opts->dir);
        goto out;
    }
    // Byte order, as the format requires; it also makes packing reproducible.
    qsort(walk->entries, walk->count, sizeof walk->entries[0], compare_entries);
    rc = opts->type == SIM_IMAGE_TYPE_APP ? app_metadata(opts, walk, &meta, err, err_size)
                                          : os_metadata(opts, &meta, err, err_size);
    if (rc != SIM_IMAGE_OK ||
        (rc = build_time(opts->build_time, &meta.build_time, err, err_size)) != SIM_IMAGE_OK ||
        (rc = build(opts, walk, &meta, &buf, &len, err, err_size)) != SIM_IMAGE_OK) {
        goto out;
    }
    if (opts->signing_key != NULL &&
        (rc = sim_image_sign_buffer(&buf, &len, opts->signing_key, out_key_id, err, err_size)) !=
            SIM_IMAGE_OK) {
        goto out;
    }
    rc = sim_fs_write_atomic(out_path, buf, len, 0644, NULL, err, err_size) == 0 ? SIM_IMAGE_OK
                                                                                 : SIM_IMAGE_ERR_IO;
out:
    free(buf);
    free(walk);
    return rc;
}
