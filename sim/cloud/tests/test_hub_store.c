// SPDX-License-Identifier: MIT
// Unit tests for the hub's SQLite store: schema creation and versioning, the device registry,
// telemetry rows and their order, connection events, and two handles on one file seeing each
// other's writes (the CLI and the plugin). Each test uses its own temporary directory.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cloud/hub_store.h"

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    struct hub_store *store;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
    char err[512];
    if (hub_store_open(f->path, &f->store, err, sizeof err) != HUB_STORE_OK) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_store_close(f->store);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static struct hub_device x509_device(const char *id) {
    struct hub_device d = {.auth = HUB_AUTH_X509, .enabled = true};
    snprintf(d.device_id, sizeof d.device_id, "%s", id);
    return d;
}

static int append_id(const struct hub_device *device, void *ctx) {
    char *ids = ctx;
    strncat(ids, device->device_id, 63 - strlen(ids));
    return 0;
}

static void test_hub_store_device_add_then_get_returns_same_fields(void **state) {
    struct fixture *f = *state;
    struct hub_device d = {.auth = HUB_AUTH_SAS, .enabled = true};
    snprintf(d.device_id, sizeof d.device_id, "sensor-01");
    snprintf(d.primary_key, sizeof d.primary_key, "cHJpbWFyeQ==");
    snprintf(d.secondary_key, sizeof d.secondary_key, "c2Vjb25kYXJ5");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(strlen(d.created_time), 24);

    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "sensor-01", &got), HUB_STORE_OK);
    assert_string_equal(got.device_id, "sensor-01");
    assert_int_equal(got.auth, HUB_AUTH_SAS);
    assert_string_equal(got.primary_key, "cHJpbWFyeQ==");
    assert_string_equal(got.secondary_key, "c2Vjb25kYXJ5");
    assert_true(got.enabled);
    assert_string_equal(got.created_time, d.created_time);
}

static void test_hub_store_device_add_duplicate_fails_exists(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("dup");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_EXISTS);
    assert_non_null(strstr(hub_store_error(f->store), "dup"));
}

static void test_hub_store_device_add_invalid_id_fails_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("a/b");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
    d = x509_device("");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
    // Quotes and SQL in an id are data, never SQL.
    d = x509_device("x');DROP_TABLE_devices;--");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
}

static void test_hub_store_device_add_sas_without_key_fails_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("nokey");
    d.auth = HUB_AUTH_SAS;
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
}

static void test_hub_store_device_id_with_quote_round_trips(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("it's:(a)=@$*?!,");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "it's:(a)=@$*?!,", &got), HUB_STORE_OK);
    assert_int_equal(hub_store_device_remove(f->store, "it's:(a)=@$*?!,"), HUB_STORE_OK);
}

static void test_hub_store_device_remove_missing_fails_not_found(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("gone");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(hub_store_device_remove(f->store, "gone"), HUB_STORE_OK);
    assert_int_equal(hub_store_device_remove(f->store, "gone"), HUB_STORE_ERR_NOT_FOUND);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "gone", &got), HUB_STORE_ERR_NOT_FOUND);
}

static void test_hub_store_device_list_visits_all_in_id_order(void **state) {
    struct fixture *f = *state;
    const char *names[] = {"c", "a", "b"};
    for (size_t i = 0; i < 3; i++) {
        struct hub_device d = x509_device(names[i]);
        assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    }
    char ids[64] = "";
    assert_int_equal(hub_store_device_list(f->store, append_id, ids), HUB_STORE_OK);
    assert_string_equal(ids, "abc");
}

static void test_hub_store_second_handle_sees_registry_changes(void **state) {
    struct fixture *f = *state;
    struct hub_store *other = NULL;
    char err[256];
    assert_int_equal(hub_store_open(f->path, &other, err, sizeof err), HUB_STORE_OK);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(other, "late", &got), HUB_STORE_ERR_NOT_FOUND);
    struct hub_device d = x509_device("late");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(hub_store_device_get(other, "late", &got), HUB_STORE_OK);
    assert_int_equal(hub_store_device_remove(other, "late"), HUB_STORE_OK);
    assert_int_equal(hub_store_device_get(f->store, "late", &got), HUB_STORE_ERR_NOT_FOUND);
    hub_store_close(other);
}

struct collected {
    long long sequences[8];
    char bodies[8][32];
    size_t body_lens[8];
    int count;
};

static int collect(const struct hub_telemetry *m, void *ctx) {
    struct collected *c = ctx;
    if (c->count < 8) {
        c->sequences[c->count] = m->sequence;
        memcpy(c->bodies[c->count], m->body, m->body_len < 32 ? m->body_len : 32);
        c->body_lens[c->count] = m->body_len;
        c->count++;
    }
    return 0;
}

static void add_message(struct hub_store *store, const char *device, const void *body, size_t len,
                        long long *out_sequence) {
    struct hub_telemetry m = {
        .device_id = device,
        .system_properties = "{}",
        .properties = "{\"k\":\"v\"}",
        .body = body,
        .body_len = len,
    };
    hub_store_format_time(1700000000123LL, m.enqueued_time);
    assert_int_equal(hub_store_telemetry_add(store, &m, out_sequence), HUB_STORE_OK);
}

static void test_hub_store_telemetry_list_returns_device_messages_in_order(void **state) {
    struct fixture *f = *state;
    long long s1, s2, s3;
    add_message(f->store, "d1", "one", 3, &s1);
    add_message(f->store, "d2", "other", 5, &s2);
    add_message(f->store, "d1", "\0\xff", 2, &s3);
    assert_true(s1 < s2 && s2 < s3);

    struct collected c = {0};
    assert_int_equal(hub_store_telemetry_list(f->store, "d1", 0, 0, collect, &c), HUB_STORE_OK);
    assert_int_equal(c.count, 2);
    assert_int_equal(c.sequences[0], s1);
    assert_memory_equal(c.bodies[0], "one", 3);
    assert_int_equal(c.body_lens[1], 2);
    assert_memory_equal(c.bodies[1], "\0\xff", 2);

    memset(&c, 0, sizeof c);
    assert_int_equal(hub_store_telemetry_list(f->store, NULL, s1, 1, collect, &c), HUB_STORE_OK);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.sequences[0], s2);
}

static void test_hub_store_telemetry_empty_body_is_stored(void **state) {
    struct fixture *f = *state;
    add_message(f->store, "d1", NULL, 0, NULL);
    struct collected c = {0};
    assert_int_equal(hub_store_telemetry_list(f->store, "d1", 0, 0, collect, &c), HUB_STORE_OK);
    assert_int_equal(c.count, 1);
    assert_int_equal(c.body_lens[0], 0);
}

static void test_hub_store_connection_event_add_counts_by_kind(void **state) {
    struct fixture *f = *state;
    assert_int_equal(hub_store_connection_event_add(f->store, "d1", HUB_EVENT_CONNECTED, NULL),
                     HUB_STORE_OK);
    assert_int_equal(hub_store_connection_event_add(f->store, "d1", HUB_EVENT_REFUSED, "bad sas"),
                     HUB_STORE_OK);
    assert_int_equal(hub_store_connection_event_add(f->store, "d1", HUB_EVENT_CONNECTED, NULL),
                     HUB_STORE_OK);
    long long count = 0;
    assert_int_equal(hub_store_connection_event_count(f->store, "d1", HUB_EVENT_CONNECTED, &count),
                     HUB_STORE_OK);
    assert_int_equal(count, 2);
    assert_int_equal(hub_store_connection_event_count(f->store, "d1", HUB_EVENT_REFUSED, &count),
                     HUB_STORE_OK);
    assert_int_equal(count, 1);
}

static void test_hub_store_open_newer_schema_fails_invalid(void **state) {
    struct fixture *f = *state;
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct hub_store *other = NULL;
    char err[256] = "";
    assert_int_equal(hub_store_open(f->path, &other, err, sizeof err), HUB_STORE_ERR_INVALID);
    assert_null(other);
    assert_non_null(strstr(err, "99"));
}

static void test_hub_store_open_existing_keeps_rows_and_wal_mode(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("kept");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    hub_store_close(f->store);
    char err[256];
    assert_int_equal(hub_store_open(f->path, &f->store, err, sizeof err), HUB_STORE_OK);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "kept", &got), HUB_STORE_OK);

    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);
}

static void test_hub_store_open_unwritable_dir_fails_io(void **state) {
    (void)state;
    struct hub_store *store = NULL;
    char err[256] = "";
    assert_int_equal(hub_store_open("/nonexistent-dir/x/hub.db", &store, err, sizeof err),
                     HUB_STORE_ERR_IO);
    assert_null(store);
    assert_non_null(strstr(err, "/nonexistent-dir/x/hub.db"));
}

static void test_hub_store_format_time_gives_iso_8601_utc_ms(void **state) {
    (void)state;
    char out[HUB_STORE_TIME_SIZE];
    hub_store_format_time(1700000000123LL, out);
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    hub_store_format_time(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
}

static void test_hub_store_device_add_reserved_id_fails_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("spheresim-service");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
    d = x509_device("spheresim-service-2");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_ERR_INVALID);
    d = x509_device("spheresim-serviceX");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
}

static void test_hub_store_device_add_sets_identity_fields(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("ident");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(strlen(d.generation_id), 36);
    assert_int_equal(d.generation_id[14], '4');
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "ident", &got), HUB_STORE_OK);
    assert_string_equal(got.generation_id, d.generation_id);
    assert_int_equal(got.version, 1);
    assert_string_equal(got.status_updated_time, "");
}

static void test_hub_store_device_set_enabled_bumps_version_and_generation(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("toggle");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    long long before = 0;
    long long after = 0;
    assert_int_equal(hub_store_registry_generation(f->store, &before), HUB_STORE_OK);
    assert_int_equal(hub_store_device_set_enabled(f->store, "toggle", false), HUB_STORE_OK);
    assert_int_equal(hub_store_registry_generation(f->store, &after), HUB_STORE_OK);
    assert_true(after > before);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "toggle", &got), HUB_STORE_OK);
    assert_false(got.enabled);
    assert_int_equal(got.version, 2);
    assert_int_equal(strlen(got.status_updated_time), 24);
    // Unchanged status: nothing written.
    assert_int_equal(hub_store_device_set_enabled(f->store, "toggle", false), HUB_STORE_OK);
    assert_int_equal(hub_store_device_get(f->store, "toggle", &got), HUB_STORE_OK);
    assert_int_equal(got.version, 2);
    assert_int_equal(hub_store_device_set_enabled(f->store, "nobody", true),
                     HUB_STORE_ERR_NOT_FOUND);
}

static void test_hub_store_twin_put_then_get_round_trips(void **state) {
    struct fixture *f = *state;
    char *json = NULL;
    assert_int_equal(hub_store_twin_get(f->store, "t1", &json), HUB_STORE_ERR_NOT_FOUND);
    assert_null(json);
    assert_int_equal(hub_store_twin_put(f->store, "t1", "{\"a\":1}"), HUB_STORE_OK);
    assert_int_equal(hub_store_twin_put(f->store, "t1", "{\"a\":2}"), HUB_STORE_OK);
    assert_int_equal(hub_store_twin_get(f->store, "t1", &json), HUB_STORE_OK);
    assert_string_equal(json, "{\"a\":2}");
    free(json);
}

static struct hub_c2d_message c2d(const char *device, const char *mid, long long enqueued,
                                  long long expiry) {
    struct hub_c2d_message m = {
        .device_id = device,
        .message_id = mid,
        .correlation_id = "",
        .ack = "none",
        .properties = "{}",
        .body = mid,
        .body_len = strlen(mid),
        .enqueued_ms = enqueued,
        .expiry_ms = expiry,
    };
    return m;
}

static int append_mid(const struct hub_c2d_message *m, void *ctx) {
    char *ids = ctx;
    strncat(ids, m->message_id, 63 - strlen(ids));
    return 0;
}

static void test_hub_store_c2d_lists_oldest_first_and_removes(void **state) {
    struct fixture *f = *state;
    long long first = 0;
    long long queued = 0;
    struct hub_c2d_message m = c2d("d", "a", 1000, 5000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 50, &first, &queued), HUB_STORE_OK);
    assert_int_equal(queued, 1);
    m = c2d("d", "b", 1001, 5000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1001, 50, NULL, &queued), HUB_STORE_OK);
    assert_int_equal(queued, 2);
    m = c2d("other", "x", 1001, 5000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1001, 50, NULL, NULL), HUB_STORE_OK);
    char ids[64] = "";
    assert_int_equal(hub_store_c2d_list(f->store, "d", 0, append_mid, ids), HUB_STORE_OK);
    assert_string_equal(ids, "ab");
    assert_int_equal(hub_store_c2d_remove(f->store, first), HUB_STORE_OK);
    assert_int_equal(hub_store_c2d_remove(f->store, first), HUB_STORE_ERR_NOT_FOUND);
    ids[0] = '\0';
    assert_int_equal(hub_store_c2d_list(f->store, "d", 0, append_mid, ids), HUB_STORE_OK);
    assert_string_equal(ids, "b");
}

static void test_hub_store_c2d_add_past_limit_fails_full(void **state) {
    struct fixture *f = *state;
    for (int i = 0; i < 3; i++) {
        struct hub_c2d_message m = c2d("d", "m", 1000, 5000);
        assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 3, NULL, NULL), HUB_STORE_OK);
    }
    struct hub_c2d_message m = c2d("d", "m", 1000, 5000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 3, NULL, NULL), HUB_STORE_ERR_FULL);
    // Once the queued ones expire they no longer count against the limit.
    m = c2d("d", "late", 5000, 9000);
    long long queued = 0;
    assert_int_equal(hub_store_c2d_add(f->store, &m, 5000, 3, NULL, &queued), HUB_STORE_OK);
    assert_int_equal(queued, 1);
    long long expired = 0;
    assert_int_equal(hub_store_c2d_stats(f->store, "d", &queued, &expired), HUB_STORE_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(expired, 3);
}

static void test_hub_store_c2d_drop_expired_counts_dropped(void **state) {
    struct fixture *f = *state;
    struct hub_c2d_message m = c2d("d", "old", 1000, 2000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 50, NULL, NULL), HUB_STORE_OK);
    m = c2d("d", "new", 1000, 9000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 50, NULL, NULL), HUB_STORE_OK);
    long long dropped = -1;
    assert_int_equal(hub_store_c2d_drop_expired(f->store, "d", 1999, &dropped), HUB_STORE_OK);
    assert_int_equal(dropped, 0);
    assert_int_equal(hub_store_c2d_drop_expired(f->store, "d", 2000, &dropped), HUB_STORE_OK);
    assert_int_equal(dropped, 1);
    char ids[64] = "";
    assert_int_equal(hub_store_c2d_list(f->store, "d", 0, append_mid, ids), HUB_STORE_OK);
    assert_string_equal(ids, "new");
    long long queued = 0;
    long long expired = 0;
    assert_int_equal(hub_store_c2d_stats(f->store, "d", &queued, &expired), HUB_STORE_OK);
    assert_int_equal(queued, 1);
    assert_int_equal(expired, 1);
}

static void test_hub_store_device_remove_takes_twin_and_queue(void **state) {
    struct fixture *f = *state;
    struct hub_device d = x509_device("doomed");
    assert_int_equal(hub_store_device_add(f->store, &d), HUB_STORE_OK);
    assert_int_equal(hub_store_twin_put(f->store, "doomed", "{}"), HUB_STORE_OK);
    struct hub_c2d_message m = c2d("doomed", "m", 1000, 9000);
    assert_int_equal(hub_store_c2d_add(f->store, &m, 1000, 50, NULL, NULL), HUB_STORE_OK);
    assert_int_equal(hub_store_device_remove(f->store, "doomed"), HUB_STORE_OK);
    char *json = NULL;
    assert_int_equal(hub_store_twin_get(f->store, "doomed", &json), HUB_STORE_ERR_NOT_FOUND);
    long long queued = -1;
    long long expired = -1;
    assert_int_equal(hub_store_c2d_stats(f->store, "doomed", &queued, &expired), HUB_STORE_OK);
    assert_int_equal(queued, 0);
}

static int append_event(const struct hub_connection_record *e, void *ctx) {
    char *out = ctx;
    strncat(out, e->event, 127 - strlen(out));
    strncat(out, ",", 127 - strlen(out));
    return 0;
}

static void test_hub_store_connection_event_list_newest_first(void **state) {
    struct fixture *f = *state;
    hub_store_connection_event_add(f->store, "e", HUB_EVENT_CONNECTED, NULL);
    hub_store_connection_event_add(f->store, "e", HUB_EVENT_DISCONNECTED, "bye");
    hub_store_connection_event_add(f->store, "e", HUB_EVENT_REFUSED, "no");
    char out[128] = "";
    assert_int_equal(hub_store_connection_event_list(f->store, "e", 2, append_event, out),
                     HUB_STORE_OK);
    assert_string_equal(out, "refused,disconnected,");
    char activity[HUB_STORE_TIME_SIZE];
    char change[HUB_STORE_TIME_SIZE];
    assert_int_equal(hub_store_device_activity(f->store, "e", activity, change), HUB_STORE_OK);
    assert_int_equal(strlen(change), 24);
    assert_string_equal(activity, change);
    assert_int_equal(hub_store_device_activity(f->store, "none", activity, change), HUB_STORE_OK);
    assert_string_equal(activity, "");
}

static void test_hub_store_open_upgrades_version_1(void **state) {
    struct fixture *f = *state;
    hub_store_close(f->store);
    f->store = NULL;
    unlink(f->path);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    const char *v1 =
        "CREATE TABLE devices (device_id TEXT PRIMARY KEY NOT NULL, auth_type TEXT NOT NULL, "
        "primary_key TEXT NOT NULL DEFAULT '', secondary_key TEXT NOT NULL DEFAULT '', "
        "status TEXT NOT NULL DEFAULT 'enabled', created_time TEXT NOT NULL);"
        "CREATE TABLE telemetry (sequence INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT, "
        "enqueued_time TEXT, system_properties TEXT, properties TEXT, body BLOB);"
        "CREATE TABLE connection_events (id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT, "
        "time TEXT, event TEXT, detail TEXT NOT NULL DEFAULT '');"
        "INSERT INTO devices (device_id, auth_type, created_time) VALUES ('old', 'x509', 't');"
        "PRAGMA user_version = 1;";
    assert_int_equal(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    char err[256];
    assert_int_equal(hub_store_open(f->path, &f->store, err, sizeof err), HUB_STORE_OK);
    struct hub_device got;
    assert_int_equal(hub_store_device_get(f->store, "old", &got), HUB_STORE_OK);
    assert_int_equal(got.version, 1);
    assert_int_equal(hub_store_twin_put(f->store, "old", "{}"), HUB_STORE_OK);
}

static void test_hub_store_guid_is_version_4(void **state) {
    (void)state;
    char a[HUB_STORE_GUID_SIZE];
    char b[HUB_STORE_GUID_SIZE];
    assert_int_equal(hub_store_guid(a), 0);
    assert_int_equal(hub_store_guid(b), 0);
    assert_int_equal(strlen(a), 36);
    assert_int_equal(a[8], '-');
    assert_int_equal(a[14], '4');
    assert_non_null(strchr("89ab", a[19]));
    assert_string_not_equal(a, b);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_hub_store_device_add_then_get_returns_same_fields),
        T(test_hub_store_device_add_duplicate_fails_exists),
        T(test_hub_store_device_add_invalid_id_fails_invalid),
        T(test_hub_store_device_add_sas_without_key_fails_invalid),
        T(test_hub_store_device_id_with_quote_round_trips),
        T(test_hub_store_device_remove_missing_fails_not_found),
        T(test_hub_store_device_list_visits_all_in_id_order),
        T(test_hub_store_second_handle_sees_registry_changes),
        T(test_hub_store_telemetry_list_returns_device_messages_in_order),
        T(test_hub_store_telemetry_empty_body_is_stored),
        T(test_hub_store_connection_event_add_counts_by_kind),
        T(test_hub_store_open_newer_schema_fails_invalid),
        T(test_hub_store_open_existing_keeps_rows_and_wal_mode),
        T(test_hub_store_device_add_reserved_id_fails_invalid),
        T(test_hub_store_device_add_sets_identity_fields),
        T(test_hub_store_device_set_enabled_bumps_version_and_generation),
        T(test_hub_store_twin_put_then_get_round_trips),
        T(test_hub_store_c2d_lists_oldest_first_and_removes),
        T(test_hub_store_c2d_add_past_limit_fails_full),
        T(test_hub_store_c2d_drop_expired_counts_dropped),
        T(test_hub_store_device_remove_takes_twin_and_queue),
        T(test_hub_store_connection_event_list_newest_first),
        T(test_hub_store_open_upgrades_version_1),
        cmocka_unit_test(test_hub_store_guid_is_version_4),
        cmocka_unit_test(test_hub_store_open_unwritable_dir_fails_io),
        cmocka_unit_test(test_hub_store_format_time_gives_iso_8601_utc_ms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
