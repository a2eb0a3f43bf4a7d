// SPDX-License-Identifier: MIT
// The telemetry ingest journal (see hub_journal.h): record framing, the appending writer with its
// in-memory copy, and the parser shared by start-up, batching and readers in other processes.

#include "cloud/hub_journal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define MAGIC "SJR1"
#define HEADER_SIZE 12  // magic, content length, CRC-32 of the content
#define FIELD_COUNT 5   // enqueued time, device id, system properties, properties, body

struct hub_journal {
    int fd;
    unsigned char *data;  // what the file holds: whole, intact records
    size_t len;
    size_t capacity;
    size_t count;
    char path[PATH_MAX];
};

// zlib's CRC-32: several times faster than a byte-at-a-time loop, and it is on every message.
static uint32_t crc32_of(const unsigned char *data, size_t len) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > UINT_MAX ? UINT_MAX : (uInt)len;
        crc = crc32(crc, data, chunk);
        data += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}

// ---- encoding ----

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get_u32(const unsigned char *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_u64(const unsigned char *p) {
    return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

struct field {
    const void *bytes;
    size_t len;  // strings include their NUL
};

static void message_fields(const struct hub_telemetry *m, struct field out[FIELD_COUNT]) {
    out[0] = (struct field){m->enqueued_time, strlen(m->enqueued_time) + 1};
    out[1] = (struct field){m->device_id, strlen(m->device_id) + 1};
    out[2] = (struct field){m->system_properties, strlen(m->system_properties) + 1};
    out[3] = (struct field){m->properties, strlen(m->properties) + 1};
    out[4] = (struct field){m->body, m->body_len};
}

// The whole record's size, or 0 when it would exceed HUB_JOURNAL_MAX_RECORD.
static size_t record_size(const struct field fields[FIELD_COUNT]) {
    size_t content = 8;
    for (int i = 0; i < FIELD_COUNT; i++) {
        if (fields[i].len > HUB_JOURNAL_MAX_RECORD) {
            return 0;
        }
        content += 4 + fields[i].len;
    }
    return content > HUB_JOURNAL_MAX_RECORD ? 0 : HEADER_SIZE + content;
}

// Writes the record into out, which has room for record_size() bytes.
static void encode(const struct hub_telemetry *m, const struct field fields[FIELD_COUNT],
                   size_t size, unsigned char *out) {
    unsigned char *p = out + HEADER_SIZE;
    put_u64(p, (uint64_t)m->sequence);
    p += 8;
    for (int i = 0; i < FIELD_COUNT; i++) {
        put_u32(p, (uint32_t)fields[i].len);
        if (fields[i].len > 0) {
            memcpy(p + 4, fields[i].bytes, fields[i].len);
        }
        p += 4 + fields[i].len;
    }
    memcpy(out, MAGIC, 4);
    put_u32(out + 4, (uint32_t)(size - HEADER_SIZE));
    put_u32(out + 8, crc32_of(out + HEADER_SIZE, size - HEADER_SIZE));
}

size_t hub_journal_encode(const struct hub_telemetry *message, unsigned char **out) {
    struct field fields[FIELD_COUNT];
    message_fields(message, fields);
    size_t size = record_size(fields);
    *out = size > 0 ? malloc(size) : NULL;
    if (*out == NULL) {
        return 0;
    }
    encode(message, fields, size, *out);
    return size;
}

// ---- parsing ----

// Decodes one record's content into out; false when its fields do not add up.
static bool decode(const unsigned char *p, size_t len, struct hub_telemetry *out) {
    if (len < 8) {
        return false;
    }
    memset(out, 0, sizeof *out);
    out->sequence = (long long)get_u64(p);
    size_t at = 8;
    struct field fields[FIELD_COUNT];
    for (int i = 0; i < FIELD_COUNT; i++) {
        if (len - at < 4 || get_u32(p + at) > len - at - 4) {
            return false;
        }
        fields[i] = (struct field){p + at + 4, get_u32(p + at)};
        at += 4 + fields[i].len;
        // Every string ends with its NUL, and has no other, so it can be used in place and
        // reads back as what was written.
        const unsigned char *bytes = fields[i].bytes;
        if (i < FIELD_COUNT - 1 && (fields[i].len == 0 || bytes[fields[i].len - 1] != '\0' ||
                                    memchr(bytes, '\0', fields[i].len - 1) != NULL)) {
            return false;
        }
    }
    if (at != len || out->sequence <= 0 || fields[0].len > sizeof out->enqueued_time) {
        return false;
    }
    memcpy(out->enqueued_time, fields[0].bytes, fields[0].len);
    out->device_id = fields[1].bytes;
    out->system_properties = fields[2].bytes;
    out->properties = fields[3].bytes;
    out->body = fields[4].bytes;
    out->body_len = fields[4].len;
    return true;
}

// The parser; verify false skips the CRCs, for the writer's own copy of what it wrote.
static int parse(const void *data, size_t len, bool verify, hub_store_telemetry_fn fn, void *ctx,
                 size_t *out_valid, size_t *out_count) {
    const unsigned char *bytes = data;
    size_t at = 0;
    size_t count = 0;
    long long last_sequence = 0;
    int rc = 0;
    while (rc == 0 && len - at >= HEADER_SIZE && memcmp(bytes + at, MAGIC, 4) == 0) {
        size_t size = get_u32(bytes + at + 4);
        const unsigned char *content = bytes + at + HEADER_SIZE;
        struct hub_telemetry message;
        // Sequences only grow; an older one here means bytes that are not this journal's.
        if (size > HUB_JOURNAL_MAX_RECORD || size > len - at - HEADER_SIZE ||
            (verify && get_u32(bytes + at + 8) != crc32_of(content, size)) ||
            !decode(content, size, &message) || message.sequence <= last_sequence) {
            break;
        }
        last_sequence = message.sequence;
        if (fn != NULL) {
            rc = fn(&message, ctx);
        }
        at += HEADER_SIZE + size;
        count++;
    }
    if (out_valid != NULL) {
        *out_valid = at;
    }
    if (out_count != NULL) {
        *out_count = count;
    }
    return rc;
}

int hub_journal_parse(const void *data, size_t len, hub_store_telemetry_fn fn, void *ctx,
                      size_t *out_valid, size_t *out_count) {
    return parse(data, len, true, fn, ctx, out_valid, out_count);
}

// ---- the file ----

static int fail(char *err, size_t err_size, const char *path, const char *what) {
    snprintf(err, err_size, "%s: %s: %s", path, what, strerror(errno));
    return -1;
}

static int reserve(struct hub_journal *j, size_t more) {
    if (j->capacity - j->len >= more) {
        return 0;
    }
    size_t capacity = j->capacity == 0 ? 64 * 1024 : j->capacity;
    while (capacity - j->len < more) {
        capacity *= 2;
    }
    unsigned char *data = realloc(j->data, capacity);
    if (data == NULL) {
        return -1;
    }
    j->data = data;
    j->capacity = capacity;
    return 0;
}

// Reads all of fd (from its start) into a malloc'd buffer. -1 on error.
static int read_all(int fd, unsigned char **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size < 0) {
        return -1;
    }
    size_t want = (size_t)st.st_size;
    unsigned char *data = malloc(want > 0 ? want : 1);
    if (data == NULL) {
        return -1;
    }
    size_t got = 0;
    while (got < want) {
        ssize_t n = pread(fd, data + got, want - got, (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            free(data);
            return -1;
        }
        if (n == 0) {
            break;  // the writer truncated it meanwhile: what was read is what there is
        }
        got += (size_t)n;
    }
    *out = data;
    *out_len = got;
    return 0;
}

int hub_journal_open(const char *path, struct hub_journal **out_journal, size_t *out_dropped,
                     char *err, size_t err_size) {
    *out_journal = NULL;
    struct hub_journal *j = calloc(1, sizeof *j);
    if (j == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    j->fd = -1;
    int rc = -1;
    if ((size_t)snprintf(j->path, sizeof j->path, "%s", path) >= sizeof j->path) {
        snprintf(err, err_size, "journal path too long");
        goto out;
    }
    j->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (j->fd < 0) {
        fail(err, err_size, path, "cannot open");
        goto out;
    }
    size_t size = 0;
    if (read_all(j->fd, &j->data, &size) != 0) {
        fail(err, err_size, path, "cannot read");
        goto out;
    }
    j->capacity = size > 0 ? size : 1;
    hub_journal_parse(j->data, size, NULL, NULL, &j->len, &j->count);
    // Appends must follow the last intact record, or a reader would stop before them.
    if (j->len < size && ftruncate(j->fd, (off_t)j->len) != 0) {
        fail(err, err_size, path, "cannot cut off a damaged record");
        goto out;
    }
    if (out_dropped != NULL) {
        *out_dropped = size - j->len;
    }
    rc = 0;
out:
    if (rc != 0) {
        hub_journal_close(j);
        return rc;
    }
    *out_journal = j;
    return 0;
}

void hub_journal_close(struct hub_journal *journal) {
    if (journal == NULL) {
        return;
    }
    if (journal->fd >= 0) {
        close(journal->fd);
    }
    free(journal->data);
    free(journal);
}

int hub_journal_append(struct hub_journal *journal, const struct hub_telemetry *message, char *err,
                       size_t err_size) {
    struct field fields[FIELD_COUNT];
    message_fields(message, fields);
    size_t size = record_size(fields);
    if (size == 0) {
        snprintf(err, err_size, "%s: message too large for a journal record", journal->path);
        return -1;
    }
    if (reserve(journal, size) != 0) {
        snprintf(err, err_size, "%s: out of memory", journal->path);
        return -1;
    }
    unsigned char *record = journal->data + journal->len;
    encode(message, fields, size, record);
    size_t written = 0;
    while (written < size) {
        ssize_t n = write(journal->fd, record + written, size - written);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int saved = errno;
            // A partial record would hide every later one from readers: take it back out.
            if (written > 0 && ftruncate(journal->fd, (off_t)journal->len) != 0) {
                saved = errno;
            }
            errno = n == 0 ? ENOSPC : saved;
            return fail(err, err_size, journal->path, "cannot append");
        }
        written += (size_t)n;
    }
    journal->len += size;
    journal->count++;
    return 0;
}

size_t hub_journal_count(const struct hub_journal *journal) {
    return journal->count;
}

int hub_journal_each(const struct hub_journal *journal, hub_store_telemetry_fn fn, void *ctx) {
    // Checked when loaded, or written by this process: no need to checksum it again.
    return parse(journal->data, journal->len, false, fn, ctx, NULL, NULL);
}

int hub_journal_clear(struct hub_journal *journal, char *err, size_t err_size) {
    if (ftruncate(journal->fd, 0) != 0) {
        return fail(err, err_size, journal->path, "cannot truncate");
    }
    journal->len = 0;
    journal->count = 0;
    // A burst (or a long store outage) may have grown the copy; give the memory back.
    if (journal->capacity > 4u * 1024u * 1024u) {
        free(journal->data);
        journal->data = NULL;
        journal->capacity = 0;
    }
    return 0;
}

int hub_journal_load(const char *path, unsigned char **out_data, size_t *out_len) {
    *out_data = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? 0 : -1;
    }
    int rc = read_all(fd, out_data, out_len);
    close(fd);
    return rc;
}
