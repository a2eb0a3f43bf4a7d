// SPDX-License-Identifier: MIT
// Hardware-definition loader. Reads an Azure Sphere hardware-definition file and, depth first,
// the files it imports, collecting every peripheral name into one table; then follows each
// Mapping chain down to the entry that carries the AppManifestValue and MainCoreHeaderValue, so
// callers see every name with its final values. The files come from users, so everything is
// bounded: file size, name lengths, entry count, import depth; cycles are detected.
#include "os/hwdef.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SPHERESIM_HARDWARE_DIR
#error "SPHERESIM_HARDWARE_DIR must name the directory holding the hardware-definition files"
#endif

#define HWDEF_MAX_FILE_BYTES (512u * 1024u)
#define HWDEF_MAX_FILES 32
#define HWDEF_METADATA_TYPE "Azure Sphere Hardware Definition"

struct hwdef_origin {
    unsigned file;  /* index into hwdef_loader.files */
    unsigned index; /* position in that file's Peripherals array */
};

struct hwdef_loader {
    struct sim_hwdef *out;
    char files[HWDEF_MAX_FILES][PATH_MAX]; /* canonical paths of files loaded or being loaded */
    size_t file_count;
    size_t stack[SIM_HWDEF_MAX_IMPORT_DEPTH + 1]; /* import chain being loaded, by file index */
    size_t depth;
    struct hwdef_origin origin[SIM_HWDEF_MAX_ENTRIES];
    char *err;
    size_t err_size;
};

__attribute__((format(printf, 3, 4))) static void hwdef_set_err(char *err, size_t err_size,
                                                                const char *fmt, ...) {
    if (err == NULL || err_size == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    // Paths and names in the message come from files and manifests: a newline or escape sequence
    // in one must not split the one-line error or drive the terminal.
    for (char *p = err; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }
}

static bool hwdef_copy(char *dst, size_t dst_size, const char *src) {
    size_t len = strlen(src);
    if (len >= dst_size) {
        return false;
    }
    memcpy(dst, src, len + 1);
    return true;
}

static const char *hwdef_json_kind(const cJSON *item) {
    if (item == NULL) {
        return "nothing";
    }
    if (cJSON_IsBool(item)) {
        return cJSON_IsTrue(item) ? "true" : "false";
    }
    if (cJSON_IsNull(item)) {
        return "null";
    }
    if (cJSON_IsNumber(item)) {
        return "a number";
    }
    if (cJSON_IsString(item)) {
        return "a string";
    }
    if (cJSON_IsArray(item)) {
        return "an array";
    }
    if (cJSON_IsObject(item)) {
        return "an object";
    }
    return "an invalid value";
}

static void hwdef_error_position(const char *text, const char *at, unsigned *out_line,
                                 unsigned *out_column) {
    unsigned line = 1;
    unsigned column = 1;
    for (const char *p = text; at != NULL && p < at && *p != '\0'; ++p) {
        if (*p == '\n') {
            ++line;
            column = 1;
        } else {
            ++column;
        }
    }
    *out_line = line;
    *out_column = column;
}

// A peripheral name becomes a C macro in the generated header, so it must be an identifier.
static bool hwdef_name_is_valid(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len >= sizeof(((struct sim_hwdef_entry *)0)->name)) {
        return false;
    }
    if (name[0] >= '0' && name[0] <= '9') {
        return false;
    }
    for (size_t i = 0; i < len; ++i) {
        char c = name[i];
        bool ok =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        if (!ok) {
            return false;
        }
    }
    return true;
}

static bool hwdef_text_is_printable(const char *s) {
    for (; *s != '\0'; ++s) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return false;
        }
    }
    return true;
}

// Reads a whole file into a NUL-terminated heap buffer; refuses directories, oversized files and
// files with NUL bytes (cJSON would silently stop at the first one).
static enum sim_hwdef_result hwdef_read_file(const char *path, char **out_text, char *err,
                                             size_t err_size) {
    enum sim_hwdef_result rc = SIM_HWDEF_ERR_IO;
    char *text = NULL;
    // O_NONBLOCK: opening a FIFO (an Imports path can name anything) would otherwise wait for a
    // writer forever; it is refused as not a regular file below instead.
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        hwdef_set_err(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        return SIM_HWDEF_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        hwdef_set_err(err, err_size, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_size > (off_t)HWDEF_MAX_FILE_BYTES) {
        hwdef_set_err(err, err_size, "%s: file is larger than the %u-byte limit", path,
                      HWDEF_MAX_FILE_BYTES);
        goto out;
    }
    size_t size = (size_t)st.st_size;
    text = malloc(size + 1);
    if (text == NULL) {
        hwdef_set_err(err, err_size, "%s: out of memory", path);
        goto out;
    }
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, text + got, size - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            hwdef_set_err(err, err_size, "%s: read failed: %s", path,
                          n < 0 ? strerror(errno) : "file shrank while being read");
            goto out;
        }
        got += (size_t)n;
    }
    text[size] = '\0';
    if (memchr(text, '\0', size) != NULL) {
        hwdef_set_err(err, err_size, "%s: file contains a NUL byte", path);
        rc = SIM_HWDEF_ERR_PARSE;
        goto out;
    }
    *out_text = text;
    text = NULL;
    rc = SIM_HWDEF_OK;
out:
    free(text);
    close(fd);
    return rc;
}

static enum sim_hwdef_result hwdef_load_file(struct hwdef_loader *ld, size_t file_index);

// Finds the file an Imports entry names: relative to the importing file first, then in the
// simulator's hardware directory. Writes the canonical path.
static bool hwdef_resolve_import(const char *importer, const char *import_path,
                                 char out_path[PATH_MAX], char *out_looked, size_t looked_size) {
    char candidate[PATH_MAX];
    if (import_path[0] == '/') {
        snprintf(out_looked, looked_size, "%s", import_path);
        return realpath(import_path, out_path) != NULL;
    }
    const char *slash = strrchr(importer, '/');
    int dir_len = slash == NULL ? 1 : (int)(slash - importer);
    const char *dir = slash == NULL ? "." : importer;
    int n = snprintf(candidate, sizeof(candidate), "%.*s/%s", dir_len, dir, import_path);
    snprintf(out_looked, looked_size, "%.*s and %s", dir_len, dir, SPHERESIM_HARDWARE_DIR);
    if (n > 0 && (size_t)n < sizeof(candidate) && realpath(candidate, out_path) != NULL) {
        return true;
    }
    n = snprintf(candidate, sizeof(candidate), "%s/%s", SPHERESIM_HARDWARE_DIR, import_path);
    return n > 0 && (size_t)n < sizeof(candidate) && realpath(candidate, out_path) != NULL;
}

static enum sim_hwdef_result hwdef_load_imports(struct hwdef_loader *ld, size_t file_index,
                                                const cJSON *imports) {
    const char *file = ld->files[file_index];
    if (imports == NULL) {
        return SIM_HWDEF_OK;
    }
    if (!cJSON_IsArray(imports)) {
        hwdef_set_err(ld->err, ld->err_size, "%s: Imports: expected an array, got %s", file,
                      hwdef_json_kind(imports));
        return SIM_HWDEF_ERR_SCHEMA;
    }
    int i = 0;
    const cJSON *imp = NULL;
    cJSON_ArrayForEach(imp, imports) {
        const cJSON *path = cJSON_GetObjectItemCaseSensitive(imp, "Path");
        if (!cJSON_IsObject(imp) || !cJSON_IsString(path) || path->valuestring[0] == '\0') {
            hwdef_set_err(ld->err, ld->err_size,
                          "%s: Imports[%d]: expected an object with a non-empty \"Path\" string",
                          file, i);
            return SIM_HWDEF_ERR_SCHEMA;
        }
        char real[PATH_MAX];
        char looked[PATH_MAX + 64];
        if (!hwdef_resolve_import(file, path->valuestring, real, looked, sizeof(looked))) {
            hwdef_set_err(ld->err, ld->err_size,
                          "%s: Imports[%d].Path: cannot find \"%.200s\" (looked in %s)", file, i,
                          path->valuestring, looked);
            return SIM_HWDEF_ERR_IMPORT;
        }
        for (size_t s = 0; s <= ld->depth; ++s) {
            if (strcmp(ld->files[ld->stack[s]], real) == 0) {
                char chain[1024] = "";
                size_t used = 0;
                for (size_t k = s; k <= ld->depth && used < sizeof(chain); ++k) {
                    const char *base = strrchr(ld->files[ld->stack[k]], '/');
                    int w = snprintf(chain + used, sizeof(chain) - used, "%s -> ",
                                     base != NULL ? base + 1 : ld->files[ld->stack[k]]);
                    used += w > 0 ? (size_t)w : 0;
                }
                const char *base = strrchr(real, '/');
                hwdef_set_err(ld->err, ld->err_size, "%s: Imports[%d].Path: import cycle: %s%s",
                              file, i, chain, base != NULL ? base + 1 : real);
                return SIM_HWDEF_ERR_IMPORT;
            }
        }
        bool seen = false;
        for (size_t f = 0; f < ld->file_count; ++f) {
            seen = seen || strcmp(ld->files[f], real) == 0;
        }
        if (!seen) {
            if (ld->depth + 1 > SIM_HWDEF_MAX_IMPORT_DEPTH) {
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Imports[%d].Path: imports nest deeper than %d files", file, i,
                              SIM_HWDEF_MAX_IMPORT_DEPTH);
                return SIM_HWDEF_ERR_IMPORT;
            }
            if (ld->file_count >= HWDEF_MAX_FILES) {
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Imports[%d].Path: more than %d files in the import graph", file,
                              i, HWDEF_MAX_FILES);
                return SIM_HWDEF_ERR_IMPORT;
            }
            size_t next = ld->file_count++;
            memcpy(ld->files[next], real, sizeof(real));
            ld->stack[++ld->depth] = next;
            enum sim_hwdef_result rc = hwdef_load_file(ld, next);
            --ld->depth;
            if (rc != SIM_HWDEF_OK) {
                return rc;
            }
        }
        ++i;
    }
    return SIM_HWDEF_OK;
}

static enum sim_hwdef_result hwdef_add_peripheral(struct hwdef_loader *ld, size_t file_index, int i,
                                                  const cJSON *p) {
    const char *file = ld->files[file_index];
    if (!cJSON_IsObject(p)) {
        hwdef_set_err(ld->err, ld->err_size, "%s: Peripherals[%d]: expected an object, got %s",
                      file, i, hwdef_json_kind(p));
        return SIM_HWDEF_ERR_SCHEMA;
    }
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(p, "Name");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(p, "Type");
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(p, "AppManifestValue");
    const cJSON *header = cJSON_GetObjectItemCaseSensitive(p, "MainCoreHeaderValue");
    const cJSON *mapping = cJSON_GetObjectItemCaseSensitive(p, "Mapping");

    if (!cJSON_IsString(name) || !hwdef_name_is_valid(name->valuestring)) {
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Peripherals[%d].Name: expected a C identifier of 1-63 characters", file,
                      i);
        return SIM_HWDEF_ERR_SCHEMA;
    }
    struct sim_hwdef_entry *e = &ld->out->entries[ld->out->count];
    if (!cJSON_IsString(type) || type->valuestring[0] == '\0' ||
        !hwdef_text_is_printable(type->valuestring) ||
        !hwdef_copy(e->type, sizeof(e->type), type->valuestring)) {
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Peripherals[%d].Type: expected a type name of 1-%zu characters such as "
                      "\"Gpio\" (peripheral %s)",
                      file, i, sizeof(e->type) - 1, name->valuestring);
        return SIM_HWDEF_ERR_SCHEMA;
    }
    const struct sim_hwdef_entry *dup = sim_hwdef_find(ld->out, name->valuestring);
    if (dup != NULL) {
        const struct hwdef_origin *o = &ld->origin[dup - ld->out->entries];
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Peripherals[%d].Name: \"%s\" is already defined in %s (Peripherals[%u])",
                      file, i, name->valuestring, ld->files[o->file], o->index);
        return SIM_HWDEF_ERR_SCHEMA;
    }
    if (mapping != NULL && (value != NULL || header != NULL)) {
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Peripherals[%d]: \"%s\" has a Mapping and also its own values; use one "
                      "or the other",
                      file, i, name->valuestring);
        return SIM_HWDEF_ERR_SCHEMA;
    }
    if (mapping != NULL &&
        (!cJSON_IsString(mapping) || !hwdef_name_is_valid(mapping->valuestring))) {
        hwdef_set_err(
            ld->err, ld->err_size,
            "%s: Peripherals[%d].Mapping: expected the name of another peripheral, got %s", file, i,
            hwdef_json_kind(mapping));
        return SIM_HWDEF_ERR_SCHEMA;
    }
    if (header != NULL &&
        (!cJSON_IsString(header) || !hwdef_text_is_printable(header->valuestring) ||
         !hwdef_copy(e->header_value, sizeof(e->header_value), header->valuestring))) {
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Peripherals[%d].MainCoreHeaderValue: expected a string of at most %zu "
                      "characters, got %s",
                      file, i, sizeof(e->header_value) - 1, hwdef_json_kind(header));
        return SIM_HWDEF_ERR_SCHEMA;
    }
    if (value != NULL) {
        if (cJSON_IsNumber(value)) {
            double d = value->valuedouble;
            if (!(d >= 0 && d <= 1000000 && floor(d) == d)) {
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Peripherals[%d].AppManifestValue: expected a non-negative "
                              "integer or a string, got %g",
                              file, i, d);
                return SIM_HWDEF_ERR_SCHEMA;
            }
            e->is_integer = true;
            e->int_value = (int)d;
            snprintf(e->value, sizeof(e->value), "%d", e->int_value);
        } else if (cJSON_IsString(value) && value->valuestring[0] != '\0' &&
                   hwdef_text_is_printable(value->valuestring) &&
                   hwdef_copy(e->value, sizeof(e->value), value->valuestring)) {
            e->is_integer = false;
        } else {
            hwdef_set_err(ld->err, ld->err_size,
                          "%s: Peripherals[%d].AppManifestValue: expected an integer or a string "
                          "of 1-%zu characters, got %s",
                          file, i, sizeof(e->value) - 1, hwdef_json_kind(value));
            return SIM_HWDEF_ERR_SCHEMA;
        }
    }
    hwdef_copy(e->name, sizeof(e->name), name->valuestring);
    if (mapping != NULL) {
        hwdef_copy(e->mapping, sizeof(e->mapping), mapping->valuestring);
    }
    ld->origin[ld->out->count].file = (unsigned)file_index;
    ld->origin[ld->out->count].index = (unsigned)i;
    ld->out->count++;
    return SIM_HWDEF_OK;
}

static enum sim_hwdef_result hwdef_load_file(struct hwdef_loader *ld, size_t file_index) {
    const char *file = ld->files[file_index];
    char *text = NULL;
    cJSON *root = NULL;
    enum sim_hwdef_result rc = hwdef_read_file(file, &text, ld->err, ld->err_size);
    if (rc != SIM_HWDEF_OK) {
        return rc;
    }
    const char *end = NULL;
    root = cJSON_ParseWithOpts(text, &end, true);
    if (root == NULL) {
        unsigned line = 0;
        unsigned column = 0;
        hwdef_error_position(text, end, &line, &column);
        hwdef_set_err(ld->err, ld->err_size, "%s: line %u, column %u: invalid JSON", file, line,
                      column);
        rc = SIM_HWDEF_ERR_PARSE;
        goto out;
    }
    rc = SIM_HWDEF_ERR_SCHEMA;
    if (!cJSON_IsObject(root)) {
        hwdef_set_err(ld->err, ld->err_size, "%s: (top level): expected an object, got %s", file,
                      hwdef_json_kind(root));
        goto out;
    }
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "Metadata");
    const cJSON *meta_type = cJSON_GetObjectItemCaseSensitive(meta, "Type");
    const cJSON *meta_version = cJSON_GetObjectItemCaseSensitive(meta, "Version");
    if (!cJSON_IsObject(meta)) {
        hwdef_set_err(ld->err, ld->err_size, "%s: Metadata: expected an object, got %s", file,
                      hwdef_json_kind(meta));
        goto out;
    }
    if (!cJSON_IsString(meta_type) || strcmp(meta_type->valuestring, HWDEF_METADATA_TYPE) != 0) {
        hwdef_set_err(ld->err, ld->err_size, "%s: Metadata.Type: expected \"%s\"", file,
                      HWDEF_METADATA_TYPE);
        goto out;
    }
    if (!cJSON_IsNumber(meta_version) || meta_version->valuedouble != 1.0) {
        hwdef_set_err(ld->err, ld->err_size,
                      "%s: Metadata.Version: expected 1, the only version defined", file);
        goto out;
    }
    const cJSON *peripherals = cJSON_GetObjectItemCaseSensitive(root, "Peripherals");
    if (!cJSON_IsArray(peripherals)) {
        hwdef_set_err(ld->err, ld->err_size, "%s: Peripherals: expected an array, got %s", file,
                      hwdef_json_kind(peripherals));
        goto out;
    }
    rc = hwdef_load_imports(ld, file_index, cJSON_GetObjectItemCaseSensitive(root, "Imports"));
    if (rc != SIM_HWDEF_OK) {
        goto out;
    }
    int i = 0;
    const cJSON *p = NULL;
    cJSON_ArrayForEach(p, peripherals) {
        if (ld->out->count >= SIM_HWDEF_MAX_ENTRIES) {
            hwdef_set_err(ld->err, ld->err_size,
                          "%s: Peripherals[%d]: more than %d peripherals in the import graph", file,
                          i, SIM_HWDEF_MAX_ENTRIES);
            rc = SIM_HWDEF_ERR_SCHEMA;
            goto out;
        }
        rc = hwdef_add_peripheral(ld, file_index, i, p);
        if (rc != SIM_HWDEF_OK) {
            goto out;
        }
        ++i;
    }
    rc = SIM_HWDEF_OK;
out:
    cJSON_Delete(root);
    free(text);
    return rc;
}

// Follows each Mapping to the entry that defines values. A chain longer than the table has
// revisited an entry, so that bound detects loops without extra bookkeeping.
static enum sim_hwdef_result hwdef_resolve_mappings(struct hwdef_loader *ld) {
    struct sim_hwdef *hw = ld->out;
    for (size_t i = 0; i < hw->count; ++i) {
        struct sim_hwdef_entry *e = &hw->entries[i];
        if (e->mapping[0] == '\0') {
            continue;
        }
        const struct hwdef_origin *o = &ld->origin[i];
        const struct sim_hwdef_entry *cur = e;
        size_t steps = 0;
        while (cur->mapping[0] != '\0') {
            const struct sim_hwdef_entry *next = sim_hwdef_find(hw, cur->mapping);
            if (next == NULL) {
                const struct hwdef_origin *co = &ld->origin[cur - hw->entries];
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Peripherals[%u].Mapping: \"%s\" (mapping of %s) is not defined "
                              "in this file or its imports",
                              ld->files[co->file], co->index, cur->mapping, cur->name);
                return SIM_HWDEF_ERR_UNRESOLVED;
            }
            if (strcmp(next->type, e->type) != 0) {
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Peripherals[%u].Mapping: %s is declared as %s but maps to %s, "
                              "which is %s",
                              ld->files[o->file], o->index, e->name, e->type, next->name,
                              next->type);
                return SIM_HWDEF_ERR_SCHEMA;
            }
            if (++steps > hw->count) {
                hwdef_set_err(ld->err, ld->err_size,
                              "%s: Peripherals[%u].Mapping: the mappings starting at %s form a "
                              "loop",
                              ld->files[o->file], o->index, e->name);
                return SIM_HWDEF_ERR_UNRESOLVED;
            }
            cur = next;
        }
        memcpy(e->value, cur->value, sizeof(e->value));
        memcpy(e->header_value, cur->header_value, sizeof(e->header_value));
        e->is_integer = cur->is_integer;
        e->int_value = cur->int_value;
    }
    return SIM_HWDEF_OK;
}

enum sim_hwdef_result sim_hwdef_load(const char *path, struct sim_hwdef *out, char *err,
                                     size_t err_size) {
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (out == NULL) {
        hwdef_set_err(err, err_size, "(none): no output table given");
        return SIM_HWDEF_ERR_IO;
    }
    memset(out, 0, sizeof(*out));
    if (path == NULL || path[0] == '\0') {
        hwdef_set_err(err, err_size, "(none): no hardware-definition path given");
        return SIM_HWDEF_ERR_IO;
    }
    struct hwdef_loader *ld = calloc(1, sizeof(*ld));
    if (ld == NULL) {
        hwdef_set_err(err, err_size, "%s: out of memory", path);
        return SIM_HWDEF_ERR_IO;
    }
    enum sim_hwdef_result rc = SIM_HWDEF_ERR_IO;
    ld->out = out;
    ld->err = err;
    ld->err_size = err_size;
    if (realpath(path, ld->files[0]) == NULL) {
        hwdef_set_err(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        goto out;
    }
    ld->file_count = 1;
    ld->stack[0] = 0;
    ld->depth = 0;
    rc = hwdef_load_file(ld, 0);
    if (rc == SIM_HWDEF_OK) {
        rc = hwdef_resolve_mappings(ld);
    }
out:
    if (rc != SIM_HWDEF_OK) {
        memset(out, 0, sizeof(*out));
    }
    free(ld);
    return rc;
}

const struct sim_hwdef_entry *sim_hwdef_find(const struct sim_hwdef *hw, const char *name) {
    if (hw == NULL || name == NULL) {
        return NULL;
    }
    size_t count = hw->count < SIM_HWDEF_MAX_ENTRIES ? hw->count : SIM_HWDEF_MAX_ENTRIES;
    for (size_t i = 0; i < count; ++i) {
        if (strcmp(hw->entries[i].name, name) == 0) {
            return &hw->entries[i];
        }
    }
    return NULL;
}

const char *sim_hwdef_default_for_board(const char *board) {
    if (board == NULL) {
        return NULL;
    }
    if (strcmp(board, "mt3620_rdb") == 0) {
        return SPHERESIM_HARDWARE_DIR "/sample_appliance.json";
    }
    return NULL;
}

bool sim_hwdef_mt3620_gpio_is_valid(int id) {
    // The chip bonds out GPIO 0-23, 26-48, 56-75 and 80 to high-level apps.
    return (id >= 0 && id <= 23) || (id >= 26 && id <= 48) || (id >= 56 && id <= 75) || id == 80;
}

bool sim_hwdef_mt3620_peripheral_is_valid(const char *type, const char *value) {
    if (type == NULL || value == NULL) {
        return false;
    }
    if (strcmp(type, "Uart") == 0 || strcmp(type, "I2cMaster") == 0 ||
        strcmp(type, "SpiMaster") == 0) {
        return strlen(value) == 4 && strncmp(value, "ISU", 3) == 0 && value[3] >= '0' &&
               value[3] <= '4';
    }
    if (strcmp(type, "Adc") == 0) {
        return strcmp(value, "ADC-CONTROLLER-0") == 0;
    }
    if (strcmp(type, "Pwm") == 0) {
        return strcmp(value, "PWM-CONTROLLER-0") == 0 || strcmp(value, "PWM-CONTROLLER-1") == 0 ||
               strcmp(value, "PWM-CONTROLLER-2") == 0;
    }
    return false;
}
