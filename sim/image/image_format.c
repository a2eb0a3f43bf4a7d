// SPDX-License-Identifier: MIT
// Encoding and checking of the image package structures (see image_format.h and
// docs/image-packages.md). All integers are little-endian; text fields are NUL-padded to their
// full width so that every byte of a structure has exactly one valid value.
#include "image/image_format.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

// Header field offsets.
#define H_MAGIC 0
#define H_FORMAT_VERSION 8
#define H_HEADER_LEN 10
#define H_FLAGS 12
#define H_METADATA_LEN 16
#define H_FILE_COUNT 20
#define H_FILE_ENTRY_LEN 24
#define H_SIGNATURE_LEN 28
#define H_PAYLOAD_LEN 32
#define H_METADATA_SHA 40
#define H_FILE_TABLE_SHA 72
#define H_RESERVED 104

// Metadata field offsets.
#define M_COMPONENT_ID 0
#define M_COMPONENT_ID_WIDTH 40
#define M_NAME 40
#define M_NAME_WIDTH 32
#define M_TYPE 72
#define M_MAJOR 76
#define M_MINOR 80
#define M_PATCH 84
#define M_BUILD_TIME 88
#define M_RESERVED 96

// File entry field offsets.
#define F_PATH 0
#define F_PATH_WIDTH 128
#define F_MODE 128
#define F_FLAGS 132
#define F_OFFSET 136
#define F_LENGTH 144
#define F_SHA 152
#define F_RESERVED 184

// Signature block field offsets.
#define S_MAGIC 0
#define S_ALGORITHM 4
#define S_DER_LEN 6
#define S_KEY_ID 8
#define S_DER 40

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

static uint16_t get16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t get64(const uint8_t *p) {
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void put64(uint8_t *p, uint64_t v) {
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static bool all_zero(const uint8_t *p, size_t len) {
    for (size_t i = 0; i < len; i++) {
        if (p[i] != 0) {
            return false;
        }
    }
    return true;
}

// A NUL-terminated text field padded with zeros: copies it into out (out_size bytes) and
// returns its length, or -1 when it has no terminator, non-zero bytes after it, or does not fit.
// The sizes are explicit so the optimiser can see every copy is in bounds.
static int get_text(const uint8_t *p, size_t width, char *out, size_t out_size) {
    const uint8_t *nul = memchr(p, 0, width);
    if (nul == NULL) {
        return -1;
    }
    size_t len = (size_t)(nul - p);
    if (len >= out_size || !all_zero(nul, width - len)) {
        return -1;
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return (int)len;
}

static void put_text(uint8_t *p, size_t width, const char *text, size_t text_size) {
    size_t limit = text_size < width ? text_size : width - 1;
    size_t len = strnlen(text, limit);
    memset(p, 0, width);
    memcpy(p, text, len);
}

const char *sim_image_result_name(enum sim_image_result result) {
    switch (result) {
        case SIM_IMAGE_OK:
            return "ok";
        case SIM_IMAGE_ERR_IO:
            return "io-error";
        case SIM_IMAGE_ERR_BAD_FORMAT:
            return "bad-format";
        case SIM_IMAGE_ERR_TRUNCATED:
            return "truncated";
        case SIM_IMAGE_ERR_MISSING_SIGNATURE:
            return "missing-signature";
        case SIM_IMAGE_ERR_WRONG_KEY:
            return "wrong-key";
        case SIM_IMAGE_ERR_BAD_SIGNATURE:
            return "bad-signature";
        case SIM_IMAGE_ERR_TAMPERED_METADATA:
            return "tampered-metadata";
        case SIM_IMAGE_ERR_TAMPERED_PAYLOAD:
            return "tampered-payload";
        case SIM_IMAGE_ERR_UNSAFE_PATH:
            return "unsafe-path";
        case SIM_IMAGE_ERR_WRONG_COMPONENT:
            return "wrong-component";
        case SIM_IMAGE_ERR_DOWNGRADE:
            return "downgrade";
        case SIM_IMAGE_ERR_BAD_KEY:
            return "bad-key";
        case SIM_IMAGE_ERR_INVALID_INPUT:
            return "invalid-input";
        case SIM_IMAGE_ERR_CRYPTO:
            return "crypto-error";
    }
    return "unknown";
}

const char *sim_image_type_name(enum sim_image_type type) {
    switch (type) {
        case SIM_IMAGE_TYPE_APP:
            return "app";
        case SIM_IMAGE_TYPE_OS:
            return "os";
    }
    return "unknown";
}

static bool parse_u32(const char **text, uint32_t *out) {
    const char *p = *text;
    if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) {
        return false;
    }
    uint64_t value = 0;
    while (*p >= '0' && *p <= '9') {
        value = value * 10 + (uint64_t)(*p - '0');
        if (value > UINT32_MAX) {
            return false;
        }
        p++;
    }
    *out = (uint32_t)value;
    *text = p;
    return true;
}

bool sim_image_version_parse(const char *text, struct sim_image_version *out) {
    struct sim_image_version v;
    if (text == NULL || !parse_u32(&text, &v.major) || *text++ != '.' ||
        !parse_u32(&text, &v.minor) || *text++ != '.' || !parse_u32(&text, &v.patch) ||
        *text != '\0') {
        return false;
    }
    *out = v;
    return true;
}

void sim_image_version_format(const struct sim_image_version *v, char *out, size_t out_size) {
    snprintf(out, out_size, "%u.%u.%u", (unsigned)v->major, (unsigned)v->minor, (unsigned)v->patch);
}

int sim_image_version_compare(const struct sim_image_version *a,
                              const struct sim_image_version *b) {
    const uint32_t left[] = {a->major, a->minor, a->patch};
    const uint32_t right[] = {b->major, b->minor, b->patch};
    for (int i = 0; i < 3; i++) {
        if (left[i] != right[i]) {
            return left[i] < right[i] ? -1 : 1;
        }
    }
    return 0;
}

static bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool sim_image_guid_is_valid(const char *text) {
    if (text == NULL || strlen(text) != SIM_IMAGE_COMPONENT_ID_LEN) {
        return false;
    }
    for (size_t i = 0; i < SIM_IMAGE_COMPONENT_ID_LEN; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? text[i] != '-' : !is_hex(text[i])) {
            return false;
        }
    }
    return true;
}

static bool path_char_ok(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("._+@=,~-", c) != NULL;
}

// Why path is refused, or NULL when it is safe.
static const char *path_problem(const char *path) {
    size_t len = strlen(path);
    if (len == 0) {
        return "is empty";
    }
    if (len > SIM_IMAGE_PATH_MAX) {
        return "is too long";
    }
    if (path[0] == '/') {
        return "is absolute";
    }
    const char *component = path;
    for (const char *p = path;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t n = (size_t)(p - component);
            if (n == 0) {
                return "has an empty component";
            }
            if ((n == 1 && component[0] == '.') ||
                (n == 2 && component[0] == '.' && component[1] == '.')) {
                return "has a '.' or '..' component";
            }
            if (*p == '\0') {
                return NULL;
            }
            component = p + 1;
        } else if (!path_char_ok(*p)) {
            return "has a character outside [A-Za-z0-9._+@=,~-/]";
        }
    }
}

bool sim_image_path_is_safe(const char *path) {
    return path != NULL && path_problem(path) == NULL;
}

const char *sim_image_escape(const char *text, size_t len, char *out, size_t out_size) {
    static const char digits[] = "0123456789abcdef";
    size_t used = 0;
    if (out_size == 0) {
        return out;
    }
    for (size_t i = 0; i < len && text[i] != '\0'; i++) {
        unsigned char c = (unsigned char)text[i];
        bool plain = c >= 0x20 && c < 0x7f && c != '\\';
        size_t need = plain ? 1 : 4;
        if (used + need >= out_size) {
            break;
        }
        if (plain) {
            out[used++] = (char)c;
        } else {
            out[used++] = '\\';
            out[used++] = 'x';
            out[used++] = digits[c >> 4];
            out[used++] = digits[c & 0xf];
        }
    }
    out[used] = '\0';
    return out;
}

bool sim_image_signed_len(const struct sim_image_header *h, uint64_t *out_len) {
    // Each term is bounded by the decoder's limits, so the sum cannot overflow; the checks repeat
    // those limits so that a caller with a hand-made header gets the same guarantee.
    if (h->header_len != SIM_IMAGE_HEADER_LEN || h->metadata_len != SIM_IMAGE_METADATA_LEN ||
        h->file_entry_len != SIM_IMAGE_FILE_ENTRY_LEN || h->file_count == 0 ||
        h->file_count > SIM_IMAGE_MAX_FILES || h->payload_len > SIM_IMAGE_MAX_PAYLOAD) {
        return false;
    }
    *out_len = (uint64_t)h->header_len + h->metadata_len +
               (uint64_t)h->file_count * h->file_entry_len + h->payload_len;
    return true;
}

enum sim_image_result sim_image_decode_header(const uint8_t *buf, size_t len,
                                              struct sim_image_header *out, char *err,
                                              size_t err_size) {
    memset(out, 0, sizeof *out);
    size_t magic_len = len < SIM_IMAGE_MAGIC_LEN ? len : SIM_IMAGE_MAGIC_LEN;
    if (memcmp(buf, SIM_IMAGE_MAGIC, magic_len) != 0) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "not an image package (no \"SPHIMG\" signature at the start)");
    }
    if (len >= H_HEADER_LEN) {
        uint16_t version = get16(buf + H_FORMAT_VERSION);
        if (version != SIM_IMAGE_FORMAT_VERSION) {
            return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                        "format version %u is not supported (this device reads version %d)",
                        (unsigned)version, SIM_IMAGE_FORMAT_VERSION);
        }
    }
    if (len < SIM_IMAGE_HEADER_LEN) {
        return fail(SIM_IMAGE_ERR_TRUNCATED, err, err_size,
                    "truncated: %zu bytes, shorter than the %d-byte header", len,
                    SIM_IMAGE_HEADER_LEN);
    }
    out->format_version = get16(buf + H_FORMAT_VERSION);
    out->header_len = get16(buf + H_HEADER_LEN);
    out->flags = get32(buf + H_FLAGS);
    out->metadata_len = get32(buf + H_METADATA_LEN);
    out->file_count = get32(buf + H_FILE_COUNT);
    out->file_entry_len = get32(buf + H_FILE_ENTRY_LEN);
    out->signature_len = get32(buf + H_SIGNATURE_LEN);
    out->payload_len = get64(buf + H_PAYLOAD_LEN);
    memcpy(out->metadata_sha256, buf + H_METADATA_SHA, SIM_IMAGE_SHA256_LEN);
    memcpy(out->file_table_sha256, buf + H_FILE_TABLE_SHA, SIM_IMAGE_SHA256_LEN);

    enum sim_image_result rc = SIM_IMAGE_ERR_BAD_FORMAT;
    if (out->header_len != SIM_IMAGE_HEADER_LEN) {
        fail(rc, err, err_size, "header: length %u, expected %d", (unsigned)out->header_len,
             SIM_IMAGE_HEADER_LEN);
    } else if (out->flags != 0) {
        fail(rc, err, err_size, "header: unknown flags 0x%x", (unsigned)out->flags);
    } else if (out->metadata_len != SIM_IMAGE_METADATA_LEN) {
        fail(rc, err, err_size, "header: metadata length %u, expected %d",
             (unsigned)out->metadata_len, SIM_IMAGE_METADATA_LEN);
    } else if (out->file_count == 0 || out->file_count > SIM_IMAGE_MAX_FILES) {
        fail(rc, err, err_size, "header: file count %u, expected 1 to %d",
             (unsigned)out->file_count, SIM_IMAGE_MAX_FILES);
    } else if (out->file_entry_len != SIM_IMAGE_FILE_ENTRY_LEN) {
        fail(rc, err, err_size, "header: file entry length %u, expected %d",
             (unsigned)out->file_entry_len, SIM_IMAGE_FILE_ENTRY_LEN);
    } else if (out->signature_len != 0 && out->signature_len != SIM_IMAGE_SIG_BLOCK_LEN) {
        fail(rc, err, err_size, "header: signature length %u, expected 0 or %d",
             (unsigned)out->signature_len, SIM_IMAGE_SIG_BLOCK_LEN);
    } else if (out->payload_len > SIM_IMAGE_MAX_PAYLOAD) {
        fail(rc, err, err_size, "header: payload length %llu exceeds the %llu-byte limit",
             (unsigned long long)out->payload_len, (unsigned long long)SIM_IMAGE_MAX_PAYLOAD);
    } else if (!all_zero(buf + H_RESERVED, SIM_IMAGE_HEADER_LEN - H_RESERVED)) {
        fail(rc, err, err_size, "header: reserved bytes are not zero");
    } else {
        rc = SIM_IMAGE_OK;
    }
    return rc;
}

enum sim_image_result sim_image_decode_metadata(const uint8_t *buf, size_t len,
                                                struct sim_image_metadata *out, char *err,
                                                size_t err_size) {
    memset(out, 0, sizeof *out);
    if (len != SIM_IMAGE_METADATA_LEN) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size, "metadata: %zu bytes, expected %d",
                    len, SIM_IMAGE_METADATA_LEN);
    }
    char component[M_COMPONENT_ID_WIDTH];
    char escaped[4 * M_COMPONENT_ID_WIDTH + 1];
    if (get_text(buf + M_COMPONENT_ID, M_COMPONENT_ID_WIDTH, component, sizeof component) < 0 ||
        !sim_image_guid_is_valid(component)) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "metadata: component id '%s' is not a GUID",
                    sim_image_escape((const char *)buf + M_COMPONENT_ID, M_COMPONENT_ID_WIDTH,
                                     escaped, sizeof escaped));
    }
    memcpy(out->component_id, component, sizeof out->component_id);
    int name_len = get_text(buf + M_NAME, M_NAME_WIDTH, out->name, sizeof out->name);
    if (name_len <= 0) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "metadata: name is empty or not terminated within %d bytes", M_NAME_WIDTH);
    }
    for (int i = 0; i < name_len; i++) {
        unsigned char c = (unsigned char)out->name[i];
        if (c < 0x20 || c == 0x7f) {
            return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                        "metadata: name has control byte 0x%02x", c);
        }
    }
    uint32_t type = get32(buf + M_TYPE);
    if (type != SIM_IMAGE_TYPE_APP && type != SIM_IMAGE_TYPE_OS) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "metadata: type %u is neither app (1) nor os (2)", (unsigned)type);
    }
    out->type = (enum sim_image_type)type;
    out->version.major = get32(buf + M_MAJOR);
    out->version.minor = get32(buf + M_MINOR);
    out->version.patch = get32(buf + M_PATCH);
    out->build_time = get64(buf + M_BUILD_TIME);
    if (!all_zero(buf + M_RESERVED, SIM_IMAGE_METADATA_LEN - M_RESERVED)) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "metadata: reserved bytes are not zero");
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_decode_file_entry(const uint8_t *buf, size_t len,
                                                  struct sim_image_file *out, char *err,
                                                  size_t err_size) {
    memset(out, 0, sizeof *out);
    if (len != SIM_IMAGE_FILE_ENTRY_LEN) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size, "file entry: %zu bytes, expected %d",
                    len, SIM_IMAGE_FILE_ENTRY_LEN);
    }
    if (get_text(buf + F_PATH, F_PATH_WIDTH, out->path, sizeof out->path) <= 0) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "file entry: path is empty or not terminated within %d bytes", F_PATH_WIDTH);
    }
    out->mode = get32(buf + F_MODE);
    out->offset = get64(buf + F_OFFSET);
    out->length = get64(buf + F_LENGTH);
    memcpy(out->sha256, buf + F_SHA, SIM_IMAGE_SHA256_LEN);
    if (get32(buf + F_FLAGS) != 0 ||
        !all_zero(buf + F_RESERVED, SIM_IMAGE_FILE_ENTRY_LEN - F_RESERVED)) {
        char escaped[4 * F_PATH_WIDTH + 1];
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "file entry '%s': flags or reserved bytes are not zero",
                    sim_image_escape(out->path, sizeof out->path, escaped, sizeof escaped));
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_decode_signature(const uint8_t *buf, size_t len,
                                                 struct sim_image_signature *out, char *err,
                                                 size_t err_size) {
    memset(out, 0, sizeof *out);
    if (len != SIM_IMAGE_SIG_BLOCK_LEN || memcmp(buf + S_MAGIC, SIM_IMAGE_SIG_MAGIC, 4) != 0) {
        return fail(SIM_IMAGE_ERR_BAD_SIGNATURE, err, err_size,
                    "the signature block is malformed (no \"SIG1\" marker)");
    }
    out->algorithm = get16(buf + S_ALGORITHM);
    out->der_len = get16(buf + S_DER_LEN);
    memcpy(out->key_id, buf + S_KEY_ID, SIM_IMAGE_KEY_ID_LEN);
    if (out->algorithm != SIM_IMAGE_SIG_ALG_ECDSA_P256_SHA256) {
        return fail(SIM_IMAGE_ERR_BAD_SIGNATURE, err, err_size,
                    "signature algorithm %u is not ECDSA P-256 with SHA-256 (1)",
                    (unsigned)out->algorithm);
    }
    if (out->der_len < 8 || out->der_len > SIM_IMAGE_SIG_MAX_DER) {
        return fail(SIM_IMAGE_ERR_BAD_SIGNATURE, err, err_size,
                    "signature length %u is outside 8..%d", (unsigned)out->der_len,
                    SIM_IMAGE_SIG_MAX_DER);
    }
    memcpy(out->der, buf + S_DER, out->der_len);
    if (!all_zero(buf + S_DER + out->der_len, SIM_IMAGE_SIG_MAX_DER - out->der_len)) {
        return fail(SIM_IMAGE_ERR_BAD_SIGNATURE, err, err_size,
                    "the signature block has bytes after the signature");
    }
    return SIM_IMAGE_OK;
}

enum sim_image_result sim_image_check_file_table(const struct sim_image_file *files, size_t count,
                                                 enum sim_image_type type, uint64_t payload_len,
                                                 char *err, size_t err_size) {
    char escaped[4 * F_PATH_WIDTH + 1];
    char other[4 * F_PATH_WIDTH + 1];
    uint64_t expected_offset = 0;
    bool has_manifest = false;
    if (count == 0 || count > SIM_IMAGE_MAX_FILES) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "file table: %zu files, expected 1 to %d", count, SIM_IMAGE_MAX_FILES);
    }
    for (size_t i = 0; i < count; i++) {
        const struct sim_image_file *f = &files[i];
        const char *shown = sim_image_escape(f->path, sizeof f->path, escaped, sizeof escaped);
        const char *problem = path_problem(f->path);
        if (problem != NULL) {
            return fail(SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size, "file '%s': path %s", shown,
                        problem);
        }
        uint32_t kind = f->mode & S_IFMT;
        if (kind == S_IFLNK) {
            return fail(SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size,
                        "file '%s' is a symbolic link, which packages may not hold", shown);
        }
        if (kind != S_IFREG) {
            return fail(SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size,
                        "file '%s' is not a regular file (mode 0%o)", shown, (unsigned)f->mode);
        }
        if ((f->mode & ~(uint32_t)(S_IFMT | 0777)) != 0) {
            return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                        "file '%s': mode 0%o has setuid, setgid or sticky bits", shown,
                        (unsigned)f->mode);
        }
        if (i > 0) {
            int order = strcmp(files[i - 1].path, f->path);
            if (order == 0) {
                return fail(SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size,
                            "file '%s' appears twice in the file table", shown);
            }
            if (order > 0) {
                return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                            "file table: '%s' is out of order (paths must be sorted)", shown);
            }
        }
        // A path that is also the directory of a later path cannot be both: refuse it rather
        // than let extraction decide which one wins.
        size_t len = strlen(f->path);
        for (size_t j = i + 1; j < count; j++) {
            if (strncmp(files[j].path, f->path, len) == 0 && files[j].path[len] == '/') {
                return fail(
                    SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size,
                    "file '%s' is also the directory of '%s'", shown,
                    sim_image_escape(files[j].path, sizeof files[j].path, other, sizeof other));
            }
        }
        if (f->offset != expected_offset) {
            return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                        "file '%s': offset %llu, expected %llu (files must be contiguous)", shown,
                        (unsigned long long)f->offset, (unsigned long long)expected_offset);
        }
        if (f->length > payload_len - expected_offset) {
            return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                        "file '%s': length %llu runs past the %llu-byte payload", shown,
                        (unsigned long long)f->length, (unsigned long long)payload_len);
        }
        expected_offset += f->length;
        has_manifest = has_manifest || strcmp(f->path, SIM_IMAGE_MANIFEST_PATH) == 0;
    }
    if (expected_offset != payload_len) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "file table: files cover %llu of the %llu payload bytes",
                    (unsigned long long)expected_offset, (unsigned long long)payload_len);
    }
    if (type == SIM_IMAGE_TYPE_APP && !has_manifest) {
        return fail(SIM_IMAGE_ERR_BAD_FORMAT, err, err_size,
                    "an app package must hold " SIM_IMAGE_MANIFEST_PATH);
    }
    return SIM_IMAGE_OK;
}

void sim_image_encode_header(const struct sim_image_header *h, uint8_t out[SIM_IMAGE_HEADER_LEN]) {
    memset(out, 0, SIM_IMAGE_HEADER_LEN);
    memcpy(out + H_MAGIC, SIM_IMAGE_MAGIC, SIM_IMAGE_MAGIC_LEN);
    put16(out + H_FORMAT_VERSION, h->format_version);
    put16(out + H_HEADER_LEN, h->header_len);
    put32(out + H_FLAGS, h->flags);
    put32(out + H_METADATA_LEN, h->metadata_len);
    put32(out + H_FILE_COUNT, h->file_count);
    put32(out + H_FILE_ENTRY_LEN, h->file_entry_len);
    put32(out + H_SIGNATURE_LEN, h->signature_len);
    put64(out + H_PAYLOAD_LEN, h->payload_len);
    memcpy(out + H_METADATA_SHA, h->metadata_sha256, SIM_IMAGE_SHA256_LEN);
    memcpy(out + H_FILE_TABLE_SHA, h->file_table_sha256, SIM_IMAGE_SHA256_LEN);
}

void sim_image_encode_metadata(const struct sim_image_metadata *m,
                               uint8_t out[SIM_IMAGE_METADATA_LEN]) {
    memset(out, 0, SIM_IMAGE_METADATA_LEN);
    put_text(out + M_COMPONENT_ID, M_COMPONENT_ID_WIDTH, m->component_id, sizeof m->component_id);
    put_text(out + M_NAME, M_NAME_WIDTH, m->name, sizeof m->name);
    put32(out + M_TYPE, (uint32_t)m->type);
    put32(out + M_MAJOR, m->version.major);
    put32(out + M_MINOR, m->version.minor);
    put32(out + M_PATCH, m->version.patch);
    put64(out + M_BUILD_TIME, m->build_time);
}

void sim_image_encode_file_entry(const struct sim_image_file *f,
                                 uint8_t out[SIM_IMAGE_FILE_ENTRY_LEN]) {
    memset(out, 0, SIM_IMAGE_FILE_ENTRY_LEN);
    put_text(out + F_PATH, F_PATH_WIDTH, f->path, sizeof f->path);
    put32(out + F_MODE, f->mode);
    put64(out + F_OFFSET, f->offset);
    put64(out + F_LENGTH, f->length);
    memcpy(out + F_SHA, f->sha256, SIM_IMAGE_SHA256_LEN);
}

void sim_image_encode_signature(const struct sim_image_signature *s,
                                uint8_t out[SIM_IMAGE_SIG_BLOCK_LEN]) {
    memset(out, 0, SIM_IMAGE_SIG_BLOCK_LEN);
    memcpy(out + S_MAGIC, SIM_IMAGE_SIG_MAGIC, 4);
    put16(out + S_ALGORITHM, s->algorithm);
    uint16_t der_len = s->der_len <= SIM_IMAGE_SIG_MAX_DER ? s->der_len : SIM_IMAGE_SIG_MAX_DER;
    put16(out + S_DER_LEN, der_len);
    memcpy(out + S_KEY_ID, s->key_id, SIM_IMAGE_KEY_ID_LEN);
    memcpy(out + S_DER, s->der, der_len);
}

void sim_image_hex(const uint8_t *bytes, size_t len, char *out) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 0xf];
    }
    out[2 * len] = '\0';
}
