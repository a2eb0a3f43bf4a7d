// SPDX-License-Identifier: MIT
// app_manifest.json parser and validator. The manifest is what decides an app's privileges, and
// it comes from whoever built the app, so it is treated as hostile: bounded size, strict types,
// exact (case-sensitive) key names, no unknown or repeated keys, every value range-checked and
// "$NAME" values resolved through the hardware definition. The first problem found is reported
// as "<file>: <field path>: <problem>" so a refused sideload says exactly what to fix.
//
// This file reads the file and checks the top level; the Capabilities object, the part that
// grants privileges, is checked in manifest_capabilities.c.
#include "os/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/manifest_internal.h"

static const char *const mf_top_keys[] = {
    "SchemaVersion",   "Name",          "ComponentId",
    "EntryPoint",      "CmdArgs",       "Capabilities",
    "ApplicationType", "MallocVersion", "TargetApplicationRuntimeVersion",
    "TargetBetaApis",
};
#define MF_TOP_KEY_COUNT (sizeof(mf_top_keys) / sizeof(mf_top_keys[0]))

enum sim_manifest_result sim_mf_fail(const struct sim_mf_ctx *ctx, const char *path,
                                     const char *fmt, ...) {
    if (ctx->err == NULL || ctx->err_size == 0) {
        return SIM_MANIFEST_ERR_FIELD;
    }
    int n = snprintf(ctx->err, ctx->err_size, "%s: %s: ", ctx->src, path);
    if (n >= 0 && (size_t)n < ctx->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err + n, ctx->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_MANIFEST_ERR_FIELD;
}

// Renders a JSON value for "got ..." in messages: short, quoted, with control bytes escaped so a
// hostile value cannot forge lines in a log.
const char *sim_mf_describe(const cJSON *v, char *buf, size_t size) {
    if (v == NULL) {
        snprintf(buf, size, "nothing");
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "%.17g", v->valuedouble);
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, size, "an array");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, size, "an object");
    } else if (cJSON_IsString(v)) {
        size_t used = 0;
        const unsigned char *s = (const unsigned char *)v->valuestring;
        buf[used++] = '"';
        for (; *s != '\0' && used + 8 < size; ++s) {
            if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\') {
                int w = snprintf(buf + used, size - used, "\\x%02x", *s);
                used += w > 0 ? (size_t)w : 0;
            } else {
                buf[used++] = (char)*s;
            }
        }
        if (*s != '\0') {
            memcpy(buf + used, "...", 3);
            used += 3;
        }
        buf[used++] = '"';
        buf[used] = '\0';
    } else {
        snprintf(buf, size, "an invalid value");
    }
    return buf;
}

bool sim_mf_to_int(const cJSON *v, long min, long max, int *out) {
    if (!cJSON_IsNumber(v)) {
        return false;
    }
    double d = v->valuedouble;
    if (!(d >= (double)min && d <= (double)max) || floor(d) != d) {
        return false;
    }
    *out = (int)d;
    return true;
}

enum sim_manifest_result sim_mf_int(const struct sim_mf_ctx *ctx, const cJSON *v, const char *path,
                                    long min, long max, int *out) {
    char got[MF_GOT_MAX];
    if (!sim_mf_to_int(v, min, max, out)) {
        return sim_mf_fail(ctx, path, "expected an integer from %ld to %ld, got %s", min, max,
                           sim_mf_describe(v, got, sizeof(got)));
    }
    return SIM_MANIFEST_OK;
}

static bool mf_is_guid(const char *s) {
    if (strlen(s) != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex) {
            return false;
        }
    }
    return true;
}

enum sim_manifest_result sim_mf_guid(const struct sim_mf_ctx *ctx, const cJSON *v, const char *path,
                                     char out[37]) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsString(v) || !mf_is_guid(v->valuestring)) {
        return sim_mf_fail(
            ctx, path, "expected a GUID such as \"01234567-89ab-cdef-0123-456789abcdef\", got %s",
            sim_mf_describe(v, got, sizeof(got)));
    }
    memcpy(out, v->valuestring, 37);
    return SIM_MANIFEST_OK;
}

static bool mf_has_control_chars(const char *s) {
    for (; *s != '\0'; ++s) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return true;
        }
    }
    return false;
}

static const char *mf_top_key_at(size_t k) {
    return mf_top_keys[k];
}

// Copies a key for use in a field path: bounded, control bytes replaced, so a hostile key cannot
// forge log lines.
static void mf_safe_key(const char *key, char *out, size_t size) {
    size_t i = 0;
    for (; key[i] != '\0' && i + 1 < size && i < 48; ++i) {
        unsigned char c = (unsigned char)key[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[i] = '\0';
}

// Rejects unknown and repeated keys; a key that differs from a known one only in case gets a hint,
// since the platform's names are case-sensitive.
enum sim_manifest_result sim_mf_check_key(const struct sim_mf_ctx *ctx, const cJSON *item,
                                          const char *where, const char *what,
                                          const char *(*key_at)(size_t), size_t known_count,
                                          bool *seen) {
    char path[MF_PATH_MAX];
    char name[64];
    mf_safe_key(item->string, name, sizeof(name));
    snprintf(path, sizeof(path), "%s%s%s", where, where[0] != '\0' ? "." : "", name);
    for (size_t k = 0; k < known_count; ++k) {
        if (strcmp(item->string, key_at(k)) == 0) {
            if (seen[k]) {
                return sim_mf_fail(ctx, path, "key \"%s\" appears twice", name);
            }
            seen[k] = true;
            return SIM_MANIFEST_OK;
        }
    }
    for (size_t k = 0; k < known_count; ++k) {
        if (strcasecmp(item->string, key_at(k)) == 0) {
            return sim_mf_fail(ctx, path,
                               "unknown %s \"%s\" (names are case-sensitive; did you mean \"%s\"?)",
                               what, name, key_at(k));
        }
    }
    return sim_mf_fail(ctx, path, "unknown %s \"%s\"", what, name);
}

static const cJSON *mf_get(const cJSON *obj, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static enum sim_manifest_result mf_string(const struct sim_mf_ctx *ctx, const cJSON *v,
                                          const char *path, bool required, const char **out) {
    char got[MF_GOT_MAX];
    if (v == NULL && !required) {
        *out = NULL;
        return SIM_MANIFEST_OK;
    }
    if (v == NULL) {
        return sim_mf_fail(ctx, path, "required field is missing");
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        return sim_mf_fail(ctx, path, "expected a non-empty string, got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    if (mf_has_control_chars(v->valuestring)) {
        return sim_mf_fail(ctx, path, "contains control characters: %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    *out = v->valuestring;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_entry_point(const struct sim_mf_ctx *ctx, const cJSON *v,
                                               struct sim_manifest *m) {
    char got[MF_GOT_MAX];
    const char *s = NULL;
    enum sim_manifest_result rc = mf_string(ctx, v, "EntryPoint", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    sim_mf_describe(v, got, sizeof(got));
    size_t len = strlen(s);
    if (s[0] != '/') {
        return sim_mf_fail(
            ctx, "EntryPoint",
            "expected an absolute path inside the image package such as \"/bin/app\", "
            "got %s",
            got);
    }
    if (len >= sizeof(m->entry_point)) {
        return sim_mf_fail(ctx, "EntryPoint", "longer than %zu characters",
                           sizeof(m->entry_point) - 1);
    }
    if (s[len - 1] == '/' || strstr(s, "/../") != NULL || strstr(s, "/./") != NULL ||
        (len >= 3 && strcmp(s + len - 3, "/..") == 0) ||
        (len >= 2 && strcmp(s + len - 2, "/.") == 0)) {
        return sim_mf_fail(ctx, "EntryPoint",
                           "expected a plain path to a file in the image package, got %s", got);
    }
    memcpy(m->entry_point, s, len + 1);
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_cmd_args(const struct sim_mf_ctx *ctx, const cJSON *v,
                                            struct sim_manifest *m) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    if (v == NULL) {
        return SIM_MANIFEST_OK;
    }
    if (!cJSON_IsArray(v)) {
        return sim_mf_fail(ctx, "CmdArgs", "expected an array of strings, got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    size_t i = 0;
    const cJSON *arg = NULL;
    cJSON_ArrayForEach(arg, v) {
        snprintf(path, sizeof(path), "CmdArgs[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ARGS) {
            return sim_mf_fail(ctx, path, "more than %d arguments", SIM_MANIFEST_MAX_ARGS);
        }
        if (!cJSON_IsString(arg)) {
            return sim_mf_fail(ctx, path, "expected a string, got %s",
                               sim_mf_describe(arg, got, sizeof(got)));
        }
        size_t len = strlen(arg->valuestring);
        if (len >= SIM_MANIFEST_STR) {
            return sim_mf_fail(ctx, path, "longer than %d characters", SIM_MANIFEST_STR - 1);
        }
        memcpy(m->cmd_args[i], arg->valuestring, len + 1);
        m->cmd_arg_count = ++i;
    }
    return SIM_MANIFEST_OK;
}

// The image package keeps 31 bytes of the name; cut on a UTF-8 character boundary.
static void mf_store_name(const char *name, char out[32]) {
    size_t len = strlen(name);
    if (len > 31) {
        len = 31;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80) {
            --len;
        }
    }
    memcpy(out, name, len);
    out[len] = '\0';
}

static enum sim_manifest_result mf_root(const struct sim_mf_ctx *ctx, const cJSON *root,
                                        struct sim_manifest *m) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(root)) {
        return sim_mf_fail(ctx, "(top level)", "expected a JSON object, got %s",
                           sim_mf_describe(root, got, sizeof(got)));
    }
    bool seen[MF_TOP_KEY_COUNT] = {false};
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, root) {
        enum sim_manifest_result rc =
            sim_mf_check_key(ctx, item, "", "top-level key", mf_top_key_at, MF_TOP_KEY_COUNT, seen);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
    }

    const cJSON *v = mf_get(root, "SchemaVersion");
    if (v == NULL) {
        return sim_mf_fail(ctx, "SchemaVersion", "required field is missing");
    }
    if (!sim_mf_to_int(v, 1, 1, &m->schema_version)) {
        return sim_mf_fail(ctx, "SchemaVersion", "expected 1 (the only schema version), got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    const char *s = NULL;
    enum sim_manifest_result rc = mf_string(ctx, mf_get(root, "Name"), "Name", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    mf_store_name(s, m->name);
    v = mf_get(root, "ComponentId");
    if (v == NULL) {
        return sim_mf_fail(ctx, "ComponentId", "required field is missing");
    }
    rc = sim_mf_guid(ctx, v, "ComponentId", m->component_id);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_entry_point(ctx, mf_get(root, "EntryPoint"), m);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_cmd_args(ctx, mf_get(root, "CmdArgs"), m);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_string(ctx, mf_get(root, "ApplicationType"), "ApplicationType", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    if (strcmp(s, "RealTimeCapable") == 0) {
        return sim_mf_fail(
            ctx, "ApplicationType",
            "\"RealTimeCapable\" apps run on the M4 real-time cores, which spheresim "
            "does not simulate; only \"Default\" (high-level) apps run here");
    }
    if (strcmp(s, "Default") != 0) {
        return sim_mf_fail(ctx, "ApplicationType",
                           "expected \"Default\" or \"RealTimeCapable\", got %s",
                           sim_mf_describe(mf_get(root, "ApplicationType"), got, sizeof(got)));
    }
    memcpy(m->application_type, "Default", sizeof("Default"));
    v = mf_get(root, "MallocVersion");
    if (v != NULL && !sim_mf_to_int(v, 1, 2, &m->malloc_version)) {
        return sim_mf_fail(ctx, "MallocVersion", "expected 1 or 2, got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    v = mf_get(root, "TargetApplicationRuntimeVersion");
    int runtime_version = 0;
    if (v != NULL) {
        rc = sim_mf_int(ctx, v, "TargetApplicationRuntimeVersion", 0, 1000000, &runtime_version);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
    }
    rc = mf_string(ctx, mf_get(root, "TargetBetaApis"), "TargetBetaApis", false, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    v = mf_get(root, "Capabilities");
    if (v == NULL) {
        return sim_mf_fail(ctx, "Capabilities", "required field is missing");
    }
    return sim_mf_capabilities(ctx, v, &m->caps);
}

enum sim_manifest_result sim_manifest_parse(const char *text, size_t len, const char *source_name,
                                            const struct sim_hwdef *hw, struct sim_manifest *out,
                                            char *err, size_t err_size) {
    struct sim_mf_ctx ctx = {
        .src = source_name != NULL ? source_name : "app_manifest.json",
        .hw = hw,
        .err = err,
        .err_size = err_size,
    };
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (out == NULL) {
        sim_mf_fail(&ctx, "(call)", "no output structure given");
        return SIM_MANIFEST_ERR_IO;
    }
    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        sim_mf_fail(&ctx, "(call)", "no manifest text given");
        return SIM_MANIFEST_ERR_IO;
    }
    if (len > SIM_MANIFEST_MAX_FILE_BYTES) {
        sim_mf_fail(&ctx, "(file)", "%zu bytes is larger than the %u-byte limit for a manifest",
                    len, SIM_MANIFEST_MAX_FILE_BYTES);
        return SIM_MANIFEST_ERR_IO;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        sim_mf_fail(&ctx, "(file)", "contains a NUL byte at offset %zu", (size_t)(nul - text));
        return SIM_MANIFEST_ERR_JSON;
    }
    // A private NUL-terminated copy: the caller's buffer need not be terminated, and cJSON then
    // rejects trailing garbage after the top-level value.
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        sim_mf_fail(&ctx, "(file)", "out of memory");
        return SIM_MANIFEST_ERR_IO;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(copy, &end, true);
    enum sim_manifest_result rc = SIM_MANIFEST_ERR_JSON;
    if (root == NULL) {
        unsigned line = 1;
        unsigned column = 1;
        for (const char *p = copy; end != NULL && p < end && *p != '\0'; ++p) {
            column = *p == '\n' ? 1 : column + 1;
            line += *p == '\n';
        }
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: line %u, column %u: invalid JSON", ctx.src, line, column);
        }
        goto out;
    }
    rc = mf_root(&ctx, root, out);
out:
    if (rc != SIM_MANIFEST_OK) {
        memset(out, 0, sizeof(*out));
    }
    cJSON_Delete(root);
    free(copy);
    return rc;
}

enum sim_manifest_result sim_manifest_load(const char *path, const struct sim_hwdef *hw,
                                           struct sim_manifest *out, char *err, size_t err_size) {
    const char *name = path != NULL ? path : "(no path)";
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (path == NULL || out == NULL) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: no %s given", name, path == NULL ? "path" : "output");
        }
        return SIM_MANIFEST_ERR_IO;
    }
    // O_NONBLOCK so a FIFO is refused as not a regular file rather than waited on for ever.
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        }
        return SIM_MANIFEST_ERR_IO;
    }
    enum sim_manifest_result rc = SIM_MANIFEST_ERR_IO;
    char *text = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: not a regular file", path);
        }
        goto out;
    }
    if (st.st_size > (off_t)SIM_MANIFEST_MAX_FILE_BYTES) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size,
                     "%s: %lld bytes is larger than the %u-byte limit for a manifest", path,
                     (long long)st.st_size, SIM_MANIFEST_MAX_FILE_BYTES);
        }
        goto out;
    }
    // Read one byte past the limit so a file that grew after fstat is still caught.
    text = malloc(SIM_MANIFEST_MAX_FILE_BYTES + 1);
    if (text == NULL) {
        goto out;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, text + got, SIM_MANIFEST_MAX_FILE_BYTES + 1 - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            if (err != NULL && err_size > 0) {
                snprintf(err, err_size, "%s: read failed: %s", path, strerror(errno));
            }
            goto out;
        }
        if (n == 0 || (got += (size_t)n) > SIM_MANIFEST_MAX_FILE_BYTES) {
            break;
        }
    }
    rc = sim_manifest_parse(text, got, path, hw, out, err, err_size);
out:
    free(text);
    close(fd);
    return rc;
}
