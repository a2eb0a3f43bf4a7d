// SPDX-License-Identifier: MIT
// Unit tests for the telemetry ingest journal: records survive a reopen with every field intact,
// a record torn by a crash at the end is cut off (and later appends are readable), a damaged
// record hides what follows it, and the reader used by other processes sees what the writer
// appended. Each test uses its own temporary directory.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cloud/hub_journal.h"

#define MAX_SEEN 16

struct seen {
    long long sequence;
    char device_id[64];
    char time[HUB_STORE_TIME_SIZE];
    char system[128];
    char app[128];
    unsigned char body[64];
    size_t body_len;
};

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    struct hub_journal *journal;
    struct seen seen[MAX_SEEN];
    size_t count;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-journal-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/%s", f->dir, HUB_JOURNAL_FILE);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_journal_close(f->journal);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static struct hub_telemetry message(long long sequence, const char *device, const void *body,
                                    size_t body_len) {
    struct hub_telemetry m = {
        .sequence = sequence,
        .device_id = device,
        .system_properties = "{\"iothub-connection-device-id\":\"d\"}",
        .properties = "{\"a\":\"1\"}",
        .body = body,
        .body_len = body_len,
    };
    snprintf(m.enqueued_time, sizeof m.enqueued_time, "2026-01-02T03:04:05.678Z");
    return m;
}

static int remember(const struct hub_telemetry *m, void *ctx) {
    struct fixture *f = ctx;
    if (f->count == MAX_SEEN) {
        return 1;
    }
    struct seen *s = &f->seen[f->count++];
    s->sequence = m->sequence;
    snprintf(s->device_id, sizeof s->device_id, "%s", m->device_id);
    snprintf(s->time, sizeof s->time, "%s", m->enqueued_time);
    snprintf(s->system, sizeof s->system, "%s", m->system_properties);
    snprintf(s->app, sizeof s->app, "%s", m->properties);
    s->body_len = m->body_len < sizeof s->body ? m->body_len : sizeof s->body;
    memcpy(s->body, m->body, s->body_len);
    return 0;
}

static void open_journal(struct fixture *f, size_t *dropped) {
    hub_journal_close(f->journal);
    f->journal = NULL;
    char err[256];
    assert_int_equal(hub_journal_open(f->path, &f->journal, dropped, err, sizeof err), 0);
}

static void append(struct fixture *f, long long sequence, const char *body) {
    struct hub_telemetry m = message(sequence, "dev-1", body, strlen(body));
    char err[256];
    assert_int_equal(hub_journal_append(f->journal, &m, err, sizeof err), 0);
}

static long long file_size(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

// Appends raw bytes to the file, as a crash mid-write or a damaged disk would leave them.
static void append_raw(const char *path, const void *bytes, size_t len) {
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
}

static void test_hub_journal_append_then_reopen_returns_records_in_order(void **state) {
    struct fixture *f = *state;
    size_t dropped = 99;
    open_journal(f, &dropped);
    assert_int_equal(dropped, 0);
    append(f, 7, "one");
    struct hub_telemetry binary = message(8, "dev-2", "\0\xff\x01", 3);
    char err[256];
    assert_int_equal(hub_journal_append(f->journal, &binary, err, sizeof err), 0);
    struct hub_telemetry empty = message(9, "dev-1", NULL, 0);
    assert_int_equal(hub_journal_append(f->journal, &empty, err, sizeof err), 0);
    assert_int_equal(hub_journal_count(f->journal), 3);

    open_journal(f, &dropped);
    assert_int_equal(dropped, 0);
    assert_int_equal(hub_journal_count(f->journal), 3);
    assert_int_equal(hub_journal_each(f->journal, remember, f), 0);
    assert_int_equal(f->count, 3);
    assert_int_equal(f->seen[0].sequence, 7);
    assert_string_equal(f->seen[0].device_id, "dev-1");
    assert_string_equal(f->seen[0].time, "2026-01-02T03:04:05.678Z");
    assert_string_equal(f->seen[0].system, "{\"iothub-connection-device-id\":\"d\"}");
    assert_string_equal(f->seen[0].app, "{\"a\":\"1\"}");
    assert_int_equal(f->seen[0].body_len, 3);
    assert_memory_equal(f->seen[0].body, "one", 3);
    assert_int_equal(f->seen[1].sequence, 8);
    assert_string_equal(f->seen[1].device_id, "dev-2");
    assert_int_equal(f->seen[1].body_len, 3);
    assert_memory_equal(f->seen[1].body, "\0\xff\x01", 3);
    assert_int_equal(f->seen[2].sequence, 9);
    assert_int_equal(f->seen[2].body_len, 0);
}

static void test_hub_journal_torn_record_at_end_is_cut_off(void **state) {
    struct fixture *f = *state;
    open_journal(f, NULL);
    append(f, 1, "kept");
    append(f, 2, "kept too");
    long long intact = file_size(f->path);
    hub_journal_close(f->journal);
    f->journal = NULL;

    // The first 20 bytes of a third record: the process died during its write.
    struct hub_telemetry torn = message(3, "dev-1", "lost", 4);
    unsigned char *record = NULL;
    size_t len = hub_journal_encode(&torn, &record);
    assert_true(len > 20);
    append_raw(f->path, record, 20);
    free(record);

    size_t dropped = 0;
    open_journal(f, &dropped);
    assert_int_equal(dropped, 20);
    assert_int_equal(hub_journal_count(f->journal), 2);
    assert_int_equal(file_size(f->path), intact);
    // What comes next follows the intact records, so readers see it.
    append(f, 3, "after");
    open_journal(f, NULL);
    assert_int_equal(hub_journal_each(f->journal, remember, f), 0);
    assert_int_equal(f->count, 3);
    assert_int_equal(f->seen[2].sequence, 3);
    assert_memory_equal(f->seen[2].body, "after", 5);
}

static void test_hub_journal_zeroed_tail_is_cut_off(void **state) {
    struct fixture *f = *state;
    open_journal(f, NULL);
    append(f, 1, "kept");
    hub_journal_close(f->journal);
    f->journal = NULL;
    // A file extended without its data written (a crash of the machine): zeros.
    unsigned char zeros[64] = {0};
    append_raw(f->path, zeros, sizeof zeros);
    size_t dropped = 0;
    open_journal(f, &dropped);
    assert_int_equal(dropped, sizeof zeros);
    assert_int_equal(hub_journal_count(f->journal), 1);
}

static void test_hub_journal_damaged_record_hides_the_rest(void **state) {
    struct fixture *f = *state;
    open_journal(f, NULL);
    append(f, 1, "first");
    append(f, 2, "second");
    long long second_end = file_size(f->path);
    append(f, 3, "third");
    hub_journal_close(f->journal);
    f->journal = NULL;
    // Flip the last body byte of the second record: its CRC no longer matches.
    int fd = open(f->path, O_RDWR);
    assert_true(fd >= 0);
    unsigned char byte = 0;
    off_t at = (off_t)(second_end - 1);
    assert_int_equal(pread(fd, &byte, 1, at), 1);
    byte ^= 0x01;
    assert_int_equal(pwrite(fd, &byte, 1, at), 1);
    close(fd);

    size_t dropped = 0;
    open_journal(f, &dropped);
    assert_int_equal(hub_journal_count(f->journal), 1);
    assert_true(dropped > 0);
    assert_int_equal(hub_journal_each(f->journal, remember, f), 0);
    assert_int_equal(f->count, 1);
    assert_int_equal(f->seen[0].sequence, 1);
}

static void test_hub_journal_sequence_going_back_ends_the_records(void **state) {
    struct fixture *f = *state;
    open_journal(f, NULL);
    append(f, 5, "five");
    append(f, 4, "four");  // not what the hub writes: it reads as bytes from elsewhere
    open_journal(f, NULL);
    assert_int_equal(hub_journal_count(f->journal), 1);
}

static void test_hub_journal_clear_empties_file_and_count(void **state) {
    struct fixture *f = *state;
    open_journal(f, NULL);
    append(f, 1, "x");
    char err[256];
    assert_int_equal(hub_journal_clear(f->journal, err, sizeof err), 0);
    assert_int_equal(hub_journal_count(f->journal), 0);
    assert_int_equal(file_size(f->path), 0);
    append(f, 2, "y");
    open_journal(f, NULL);
    assert_int_equal(hub_journal_each(f->journal, remember, f), 0);
    assert_int_equal(f->count, 1);
    assert_int_equal(f->seen[0].sequence, 2);
}

static void test_hub_journal_load_sees_appends_of_a_writer(void **state) {
    struct fixture *f = *state;
    unsigned char *data = NULL;
    size_t len = 1;
    assert_int_equal(hub_journal_load(f->path, &data, &len), 0);  // no file yet: empty
    assert_int_equal(len, 0);
    free(data);
    open_journal(f, NULL);
    append(f, 1, "a");
    append(f, 2, "b");
    assert_int_equal(hub_journal_load(f->path, &data, &len), 0);
    size_t valid = 0;
    size_t count = 0;
    assert_int_equal(hub_journal_parse(data, len, remember, f, &valid, &count), 0);
    assert_int_equal(count, 2);
    assert_int_equal(valid, len);
    assert_int_equal(f->count, 2);
    free(data);
}

static void test_hub_journal_parse_hostile_bytes_finds_nothing(void **state) {
    struct fixture *f = *state;
    unsigned char junk[256];
    for (size_t i = 0; i < sizeof junk; i++) {
        junk[i] = (unsigned char)(i * 37 + 11);
    }
    memcpy(junk, "SJR1", 4);  // the magic, then a length and CRC that do not check out
    size_t valid = 1;
    size_t count = 1;
    assert_int_equal(hub_journal_parse(junk, sizeof junk, remember, f, &valid, &count), 0);
    assert_int_equal(valid, 0);
    assert_int_equal(count, 0);
    // A record whose length claims more than there is.
    struct hub_telemetry m = message(1, "dev-1", "body", 4);
    unsigned char *record = NULL;
    size_t len = hub_journal_encode(&m, &record);
    assert_int_equal(hub_journal_parse(record, len - 1, remember, f, &valid, &count), 0);
    assert_int_equal(count, 0);
    assert_int_equal(hub_journal_parse(record, len, remember, f, &valid, &count), 0);
    assert_int_equal(count, 1);
    free(record);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_journal_append_then_reopen_returns_records_in_order),
        T(test_hub_journal_torn_record_at_end_is_cut_off),
        T(test_hub_journal_zeroed_tail_is_cut_off),
        T(test_hub_journal_damaged_record_hides_the_rest),
        T(test_hub_journal_sequence_going_back_ends_the_records),
        T(test_hub_journal_clear_empties_file_and_count),
        T(test_hub_journal_load_sees_appends_of_a_writer),
        T(test_hub_journal_parse_hostile_bytes_finds_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
