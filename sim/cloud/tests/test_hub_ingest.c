// SPDX-License-Identifier: MIT
// Unit tests for telemetry ingest through the journal: batches reach the store when full, when
// idle and on demand; a process killed before its batch committed loses nothing on the next
// open; a crash between a commit and emptying the journal duplicates nothing; readers in another
// process see stored and journaled messages once each. Real SQLite, temporary directories.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cloud/hub_ingest.h"
#include "cloud/hub_journal.h"

#define NOW 1800000000000LL
#define MAX_SEEN 64

struct fixture {
    char dir[64];
    char db[PATH_MAX];
    char journal[PATH_MAX];
    struct hub_store *store;
    struct hub_ingest *ingest;
    long long seen[MAX_SEEN];  // sequences, as listed
    char bodies[MAX_SEEN][16];
    size_t count;
};

static void open_all(struct fixture *f, struct hub_ingest_recovery *recovery) {
    char err[512];
    assert_int_equal(hub_store_open(f->db, &f->store, err, sizeof err), HUB_STORE_OK);
    enum hub_store_result r =
        hub_ingest_open(f->store, f->journal, &f->ingest, recovery, err, sizeof err);
    if (r != HUB_STORE_OK) {
        fprintf(stderr, "%s\n", err);
    }
    assert_int_equal(r, HUB_STORE_OK);
}

static void close_all(struct fixture *f) {
    hub_ingest_close(f->ingest);
    hub_store_close(f->store);
    f->ingest = NULL;
    f->store = NULL;
}

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-ingest-XXXXXX");
    if (f == NULL || mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->db, sizeof f->db, "%s/%s", f->dir, HUB_STORE_FILE);
    snprintf(f->journal, sizeof f->journal, "%s/%s", f->dir, HUB_JOURNAL_FILE);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    close_all(f);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static long long add(struct fixture *f, const char *device, const char *body, long long now) {
    struct hub_telemetry m = {
        .device_id = device,
        .system_properties = "{}",
        .properties = "{}",
        .body = body,
        .body_len = strlen(body),
    };
    hub_store_format_time(now, m.enqueued_time);
    assert_int_equal(hub_ingest_add(f->ingest, &m, now), HUB_STORE_OK);
    return m.sequence;
}

static int remember(const struct hub_telemetry *m, void *ctx) {
    struct fixture *f = ctx;
    if (f->count == MAX_SEEN) {
        return 1;
    }
    snprintf(f->bodies[f->count], sizeof f->bodies[0], "%.*s", (int)m->body_len,
             (const char *)m->body);
    f->seen[f->count++] = m->sequence;
    return 0;
}

// Lists the device's rows in the store only.
static size_t stored(struct fixture *f, const char *device) {
    f->count = 0;
    assert_int_equal(hub_store_telemetry_list(f->store, device, 0, 0, remember, f), HUB_STORE_OK);
    return f->count;
}

static void test_hub_ingest_add_waits_in_journal_until_flush(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    long long s1 = add(f, "d", "one", NOW);
    long long s2 = add(f, "d", "two", NOW);
    assert_int_equal(s2, s1 + 1);
    assert_int_equal(hub_ingest_pending(f->ingest), 2);
    assert_int_equal(stored(f, "d"), 0);
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    assert_int_equal(hub_ingest_pending(f->ingest), 0);
    assert_int_equal(stored(f, "d"), 2);
    assert_int_equal(f->seen[0], s1);
    assert_string_equal(f->bodies[1], "two");
}

static void test_hub_ingest_tick_flushes_after_idle_interval(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    add(f, "d", "one", NOW);
    hub_ingest_tick(f->ingest, NOW + HUB_INGEST_IDLE_MS - 1);
    assert_int_equal(hub_ingest_pending(f->ingest), 1);
    hub_ingest_tick(f->ingest, NOW + HUB_INGEST_IDLE_MS);
    assert_int_equal(hub_ingest_pending(f->ingest), 0);
    assert_int_equal(stored(f, "d"), 1);
}

static void test_hub_ingest_full_batch_goes_at_once(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    for (int i = 0; i < HUB_INGEST_BATCH - 1; i++) {
        add(f, "d", "x", NOW);
    }
    assert_int_equal(hub_ingest_pending(f->ingest), HUB_INGEST_BATCH - 1);
    add(f, "d", "x", NOW);
    assert_int_equal(hub_ingest_pending(f->ingest), 0);
    assert_int_equal(stored(f, NULL), MAX_SEEN);  // the listing stops at what it can keep
}

static void test_hub_ingest_killed_process_loses_nothing_acknowledged(void **state) {
    struct fixture *f = *state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        // What the broker does until it is killed: messages acknowledged, no batch committed.
        char err[512];
        struct hub_store *store = NULL;
        struct hub_ingest *ingest = NULL;
        if (hub_store_open(f->db, &store, err, sizeof err) != HUB_STORE_OK ||
            hub_ingest_open(store, f->journal, &ingest, NULL, err, sizeof err) != HUB_STORE_OK) {
            _exit(2);
        }
        for (int i = 0; i < 5; i++) {
            char body[16];
            snprintf(body, sizeof body, "m%d", i);
            struct hub_telemetry m = {
                .device_id = "d",
                .system_properties = "{}",
                .properties = "{}",
                .body = body,
                .body_len = strlen(body),
            };
            hub_store_format_time(NOW, m.enqueued_time);
            if (hub_ingest_add(ingest, &m, NOW) != HUB_STORE_OK) {
                _exit(3);
            }
        }
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    struct hub_ingest_recovery recovery = {0};
    open_all(f, &recovery);
    assert_int_equal(recovery.replayed, 5);
    assert_int_equal(recovery.dropped_bytes, 0);
    assert_int_equal(hub_ingest_pending(f->ingest), 0);
    assert_int_equal(stored(f, "d"), 5);
    assert_string_equal(f->bodies[0], "m0");
    assert_string_equal(f->bodies[4], "m4");
    // Numbering carries on after the recovered messages.
    assert_int_equal(add(f, "d", "next", NOW), f->seen[4] + 1);
}

static void test_hub_ingest_crash_between_commit_and_truncate_stores_once(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    add(f, "d", "one", NOW);
    add(f, "d", "two", NOW);
    // Keep the journal as it was before the batch, then commit the batch.
    unsigned char *journal = NULL;
    size_t len = 0;
    assert_int_equal(hub_journal_load(f->journal, &journal, &len), 0);
    assert_true(len > 0);
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    close_all(f);
    // The process died after COMMIT and before the truncate: the records are still there.
    FILE *out = fopen(f->journal, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(journal, 1, len, out), len);
    fclose(out);
    free(journal);

    struct hub_ingest_recovery recovery = {0};
    open_all(f, &recovery);
    assert_int_equal(recovery.replayed, 2);
    assert_int_equal(stored(f, "d"), 2);
    long long last = f->seen[1];
    assert_int_equal(add(f, "d", "three", NOW), last + 1);
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    assert_int_equal(stored(f, "d"), 3);
}

static void test_hub_ingest_torn_record_is_dropped_on_open(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    add(f, "d", "kept", NOW);
    close_all(f);  // flushes: the journal is empty now
    // A record the process was writing when it died: never acknowledged.
    struct hub_telemetry torn = {
        .sequence = 99, .device_id = "d", .system_properties = "{}", .properties = "{}"};
    hub_store_format_time(NOW, torn.enqueued_time);
    unsigned char *record = NULL;
    size_t len = hub_journal_encode(&torn, &record);
    FILE *out = fopen(f->journal, "ab");
    assert_non_null(out);
    assert_int_equal(fwrite(record, 1, len - 3, out), len - 3);
    fclose(out);
    free(record);

    struct hub_ingest_recovery recovery = {0};
    open_all(f, &recovery);
    assert_int_equal(recovery.replayed, 0);
    assert_int_equal(recovery.dropped_bytes, len - 3);
    assert_int_equal(stored(f, "d"), 1);
}

static void test_hub_ingest_list_merges_store_and_journal_once(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    add(f, "d", "one", NOW);
    add(f, "other", "not mine", NOW);
    add(f, "d", "two", NOW);
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    add(f, "d", "three", NOW);
    add(f, "other", "not mine either", NOW);

    // Another process (the CLI) with its own handle.
    char err[512];
    struct hub_store *reader = NULL;
    assert_int_equal(hub_store_open(f->db, &reader, err, sizeof err), HUB_STORE_OK);
    f->count = 0;
    assert_int_equal(hub_ingest_list(reader, f->journal, "d", remember, f, err, sizeof err),
                     HUB_STORE_OK);
    assert_int_equal(f->count, 3);
    assert_string_equal(f->bodies[0], "one");
    assert_string_equal(f->bodies[1], "two");
    assert_string_equal(f->bodies[2], "three");
    assert_true(f->seen[0] < f->seen[1] && f->seen[1] < f->seen[2]);

    // The journal still holds records the store has too (a commit not yet followed by the
    // truncate): listed once.
    unsigned char *journal = NULL;
    size_t len = 0;
    assert_int_equal(hub_journal_load(f->journal, &journal, &len), 0);
    assert_int_equal(hub_ingest_flush(f->ingest), HUB_STORE_OK);
    FILE *out = fopen(f->journal, "wb");
    assert_non_null(out);
    assert_int_equal(fwrite(journal, 1, len, out), len);
    fclose(out);
    free(journal);
    f->count = 0;
    assert_int_equal(hub_ingest_list(reader, f->journal, "d", remember, f, err, sizeof err),
                     HUB_STORE_OK);
    assert_int_equal(f->count, 3);
    hub_store_close(reader);
}

static void test_hub_store_telemetry_add_batch_skips_stored_sequences(void **state) {
    struct fixture *f = *state;
    open_all(f, NULL);
    struct hub_telemetry rows[3];
    for (int i = 0; i < 3; i++) {
        rows[i] = (struct hub_telemetry){.sequence = 10 + i,
                                         .device_id = "d",
                                         .system_properties = "{}",
                                         .properties = "{}",
                                         .body = "b",
                                         .body_len = 1};
        hub_store_format_time(NOW, rows[i].enqueued_time);
    }
    size_t count = 0;
    assert_int_equal(hub_store_telemetry_add_batch(f->store, rows, 2, &count), HUB_STORE_OK);
    assert_int_equal(count, 2);
    assert_int_equal(hub_store_telemetry_add_batch(f->store, rows, 3, &count), HUB_STORE_OK);
    assert_int_equal(count, 1);
    long long last = 0;
    assert_int_equal(hub_store_telemetry_last_sequence(f->store, &last), HUB_STORE_OK);
    assert_int_equal(last, 12);
    assert_int_equal(stored(f, "d"), 3);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_ingest_add_waits_in_journal_until_flush),
        T(test_hub_ingest_tick_flushes_after_idle_interval),
        T(test_hub_ingest_full_batch_goes_at_once),
        T(test_hub_ingest_killed_process_loses_nothing_acknowledged),
        T(test_hub_ingest_crash_between_commit_and_truncate_stores_once),
        T(test_hub_ingest_torn_record_is_dropped_on_open),
        T(test_hub_ingest_list_merges_store_and_journal_once),
        T(test_hub_store_telemetry_add_batch_skips_stored_sequences),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
