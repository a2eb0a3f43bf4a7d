// SPDX-License-Identifier: MIT
// SQLite persistence for the local hub: opening and the schema, the registry, telemetry and
// connection events (see hub_store.h; twins and the C2D queue are in hub_store_queue.c). Statements
// are prepared lazily and kept for the handle's life, because the plugin inserts a telemetry row
// per device message on the broker thread and re-preparing would cost more than the insert.

#include "cloud/hub_store.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/rand.h>
#include <sqlite3.h>

#include "cloud/hub_service_protocol.h"
#include "cloud/hub_store_internal.h"

#define BUSY_TIMEOUT_MS 5000

#define DEVICE_COLUMNS                                                                        \
    "device_id, auth_type, primary_key, secondary_key, status, created_time, generation_id, " \
    "version, status_updated_time"

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_DEVICE_ADD] =
        "INSERT INTO devices (" DEVICE_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 1, '')",
    [STMT_DEVICE_GET] = "SELECT " DEVICE_COLUMNS " FROM devices WHERE device_id = ?1",
    [STMT_DEVICE_REMOVE] = "DELETE FROM devices WHERE device_id = ?1",
    [STMT_DEVICE_LIST] = "SELECT " DEVICE_COLUMNS " FROM devices ORDER BY device_id",
    [STMT_DEVICE_SET_STATUS] =
        "UPDATE devices SET status = ?2, version = version + 1, status_updated_time = ?3 "
        "WHERE device_id = ?1",
    [STMT_REGISTRY_GENERATION] = "SELECT generation FROM registry_meta WHERE id = 1",
    [STMT_DEVICE_ACTIVITY] =
        "SELECT (SELECT time FROM connection_events WHERE device_id = ?1 AND event <> 'refused' "
        "ORDER BY id DESC LIMIT 1), (SELECT enqueued_time FROM telemetry WHERE device_id = ?1 "
        "ORDER BY sequence DESC LIMIT 1)",
    [STMT_TELEMETRY_ADD] =
        "INSERT INTO telemetry (device_id, enqueued_time, system_properties, "
        "properties, body) VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_TELEMETRY_ADD_AT] =
        "INSERT INTO telemetry (device_id, enqueued_time, system_properties, "
        "properties, body, sequence) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    // AUTOINCREMENT's own record too, so a number is never given twice even if rows go.
    [STMT_TELEMETRY_LAST] =
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'telemetry'), 0), "
        "coalesce((SELECT max(sequence) FROM telemetry), 0))",
    [STMT_TELEMETRY_LIST_DEVICE] =
        "SELECT sequence, device_id, enqueued_time, system_properties, properties, body "
        "FROM telemetry WHERE device_id = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3",
    [STMT_TELEMETRY_LIST_ALL] =
        "SELECT sequence, device_id, enqueued_time, system_properties, properties, body "
        "FROM telemetry WHERE sequence > ?1 ORDER BY sequence LIMIT ?2",
    [STMT_EVENT_ADD] =
        "INSERT INTO connection_events (device_id, time, event, detail) "
        "VALUES (?1, ?2, ?3, ?4)",
    [STMT_EVENT_COUNT] =
        "SELECT count(*) FROM connection_events WHERE device_id = ?1 AND event = ?2",
    [STMT_EVENT_LIST] =
        "SELECT time, event, detail FROM connection_events WHERE device_id = ?1 "
        "ORDER BY id DESC LIMIT ?2",
    [STMT_TWIN_GET] = "SELECT document FROM twins WHERE device_id = ?1",
    [STMT_TWIN_PUT] = "INSERT OR REPLACE INTO twins (device_id, document) VALUES (?1, ?2)",
    [STMT_C2D_ADD] =
        "INSERT INTO c2d_messages (device_id, message_id, correlation_id, ack, properties, "
        "body, enqueued_ms, expiry_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [STMT_C2D_COUNT] = "SELECT count(*) FROM c2d_messages WHERE device_id = ?1",
    [STMT_C2D_EXPIRED_DELETE] = "DELETE FROM c2d_messages WHERE device_id = ?1 AND expiry_ms <= ?2",
    [STMT_C2D_EXPIRED_COUNT_ADD] =
        "INSERT INTO c2d_expired (device_id, count) VALUES (?1, ?2) "
        "ON CONFLICT (device_id) DO UPDATE SET count = count + excluded.count",
    [STMT_C2D_LIST] =
        "SELECT id, device_id, message_id, correlation_id, ack, properties, body, enqueued_ms, "
        "expiry_ms FROM c2d_messages WHERE device_id = ?1 ORDER BY id LIMIT ?2",
    [STMT_C2D_REMOVE] = "DELETE FROM c2d_messages WHERE id = ?1",
    [STMT_C2D_EXPIRED_GET] = "SELECT count FROM c2d_expired WHERE device_id = ?1",
};

// Version 1. Later versions append their own steps; existing rows are never rewritten in place.
static const char schema_v1[] =
    "CREATE TABLE devices ("
    "  device_id TEXT PRIMARY KEY NOT NULL,"
    "  auth_type TEXT NOT NULL CHECK (auth_type IN ('x509', 'sas')),"
    "  primary_key TEXT NOT NULL DEFAULT '',"
    "  secondary_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),"
    "  created_time TEXT NOT NULL);"
    "CREATE TABLE telemetry ("
    "  sequence INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  device_id TEXT NOT NULL,"
    "  enqueued_time TEXT NOT NULL,"
    "  system_properties TEXT NOT NULL,"
    "  properties TEXT NOT NULL,"
    "  body BLOB NOT NULL);"
    "CREATE INDEX telemetry_by_device ON telemetry (device_id, sequence);"
    "CREATE TABLE connection_events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  device_id TEXT NOT NULL,"
    "  time TEXT NOT NULL,"
    "  event TEXT NOT NULL CHECK (event IN ('connected', 'disconnected', 'refused')),"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX connection_events_by_device ON connection_events (device_id, id);"
    "PRAGMA user_version = 1;";

// Version 2: twins, the C2D queue, identity fields IoT Hub's registry shows, and a registry
// generation that triggers keep, so every process sees edits made by any other. Removing a device
// takes its twin and queue with it inside the DELETE's own transaction.
static const char schema_v2[] =
    "ALTER TABLE devices ADD COLUMN generation_id TEXT NOT NULL DEFAULT '';"
    "ALTER TABLE devices ADD COLUMN version INTEGER NOT NULL DEFAULT 1;"
    "ALTER TABLE devices ADD COLUMN status_updated_time TEXT NOT NULL DEFAULT '';"
    "CREATE TABLE twins ("
    "  device_id TEXT PRIMARY KEY NOT NULL,"
    "  document TEXT NOT NULL);"
    "CREATE TABLE c2d_messages ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  device_id TEXT NOT NULL,"
    "  message_id TEXT NOT NULL,"
    "  correlation_id TEXT NOT NULL DEFAULT '',"
    "  ack TEXT NOT NULL DEFAULT 'none',"
    "  properties TEXT NOT NULL DEFAULT '{}',"
    "  body BLOB NOT NULL,"
    "  enqueued_ms INTEGER NOT NULL,"
    "  expiry_ms INTEGER NOT NULL);"
    "CREATE INDEX c2d_by_device ON c2d_messages (device_id, id);"
    "CREATE TABLE c2d_expired ("
    "  device_id TEXT PRIMARY KEY NOT NULL,"
    "  count INTEGER NOT NULL);"
    "CREATE TABLE registry_meta ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  generation INTEGER NOT NULL);"
    "INSERT INTO registry_meta (id, generation) VALUES (1, 0);"
    "CREATE TRIGGER devices_updated AFTER UPDATE ON devices BEGIN"
    "  UPDATE registry_meta SET generation = generation + 1 WHERE id = 1; END;"
    "CREATE TRIGGER devices_removed AFTER DELETE ON devices BEGIN"
    "  UPDATE registry_meta SET generation = generation + 1 WHERE id = 1;"
    "  DELETE FROM twins WHERE device_id = old.device_id;"
    "  DELETE FROM c2d_messages WHERE device_id = old.device_id;"
    "  DELETE FROM c2d_expired WHERE device_id = old.device_id; END;"
    "PRAGMA user_version = 2;";

static const char *const event_names[] = {
    [HUB_EVENT_CONNECTED] = "connected",
    [HUB_EVENT_DISCONNECTED] = "disconnected",
    [HUB_EVENT_REFUSED] = "refused",
};

void hub_store_set_error(struct hub_store *store, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(store->error, sizeof store->error, fmt, ap);
    va_end(ap);
}

enum hub_store_result hub_store_sqlite_failure(struct hub_store *store, const char *what) {
    hub_store_set_error(store, "%s: %s: %s", store->path, what, sqlite3_errmsg(store->db));
    return HUB_STORE_ERR_IO;
}

sqlite3_stmt *hub_store_statement(struct hub_store *store, enum hub_stmt_id id) {
    sqlite3_stmt *stmt = store->stmts[id];
    if (stmt != NULL) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3(store->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK) {
        hub_store_sqlite_failure(store, "cannot prepare a statement");
        return NULL;
    }
    store->stmts[id] = stmt;
    return stmt;
}

int hub_store_step_done(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
}

enum hub_store_result hub_store_begin(struct hub_store *store) {
    if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return hub_store_sqlite_failure(store, "cannot begin a transaction");
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_commit(struct hub_store *store) {
    if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        enum hub_store_result result = hub_store_sqlite_failure(store, "cannot commit");
        hub_store_rollback(store);
        return result;
    }
    return HUB_STORE_OK;
}

void hub_store_rollback(struct hub_store *store) {
    if (!sqlite3_get_autocommit(store->db)) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    }
}

static enum hub_store_result migrate(struct hub_store *store) {
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_exec(store->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return hub_store_sqlite_failure(store, "cannot lock the database to check its schema");
    }
    sqlite3_stmt *stmt = NULL;
    int version = -1;
    if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
        version = sqlite3_column_int(stmt, 0);
    }
    sqlite3_finalize(stmt);
    if (version < 0) {
        result = hub_store_sqlite_failure(store, "cannot read the schema version");
        goto out;
    }
    if (version > HUB_STORE_SCHEMA_VERSION) {
        hub_store_set_error(store, "%s: schema version %d is newer than this spheresim's (%d)",
                            store->path, version, HUB_STORE_SCHEMA_VERSION);
        result = HUB_STORE_ERR_INVALID;
        goto out;
    }
    if (version < 1 && sqlite3_exec(store->db, schema_v1, NULL, NULL, NULL) != SQLITE_OK) {
        result = hub_store_sqlite_failure(store, "cannot create the schema");
        goto out;
    }
    if (version < 2 && sqlite3_exec(store->db, schema_v2, NULL, NULL, NULL) != SQLITE_OK) {
        result = hub_store_sqlite_failure(store, "cannot upgrade the schema to version 2");
        goto out;
    }
    if (sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        result = hub_store_sqlite_failure(store, "cannot commit the schema");
    }
out:
    if (result != HUB_STORE_OK) {
        sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return result;
}

bool hub_store_state_exists(const char *state_dir) {
    char path[PATH_MAX];
    struct stat st;
    int n = snprintf(path, sizeof path, "%s/" HUB_STORE_FILE, state_dir != NULL ? state_dir : "");
    return state_dir != NULL && n > 0 && (size_t)n < sizeof path && stat(path, &st) == 0 &&
           S_ISREG(st.st_mode);
}

enum hub_store_result hub_store_open(const char *path, struct hub_store **out_store, char *err,
                                     size_t err_size) {
    *out_store = NULL;
    struct hub_store *store = calloc(1, sizeof *store);
    if (store == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return HUB_STORE_ERR_IO;
    }
    enum hub_store_result result = HUB_STORE_OK;
    if ((size_t)snprintf(store->path, sizeof store->path, "%s", path) >= sizeof store->path) {
        hub_store_set_error(store, "database path %s is too long", path);
        result = HUB_STORE_ERR_INVALID;
        goto out;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
        result = store->db != NULL
                     ? hub_store_sqlite_failure(store, "cannot open")
                     : (hub_store_set_error(store, "%s: cannot open", path), HUB_STORE_ERR_IO);
        goto out;
    }
    sqlite3_busy_timeout(store->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(store->db, 1);
    // WAL lets the CLI read while the broker writes; NORMAL sync is durable across process
    // crashes, which is what a restarted broker needs, without an fsync per telemetry message.
    if (sqlite3_exec(store->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL,
                     NULL, NULL) != SQLITE_OK) {
        result = hub_store_sqlite_failure(store, "cannot switch to WAL mode");
        goto out;
    }
    result = migrate(store);
out:
    if (result != HUB_STORE_OK) {
        snprintf(err, err_size, "%s", store->error);
        hub_store_close(store);
        return result;
    }
    *out_store = store;
    return HUB_STORE_OK;
}

void hub_store_close(struct hub_store *store) {
    if (store == NULL) {
        return;
    }
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(store->stmts[i]);
    }
    sqlite3_close(store->db);
    free(store);
}

const char *hub_store_error(const struct hub_store *store) {
    return store != NULL ? store->error : "no database";
}

const char *hub_auth_type_name(enum hub_auth_type auth) {
    return auth == HUB_AUTH_SAS ? "sas" : "x509";
}

static void copy_column(sqlite3_stmt *stmt, int column, char *out, size_t out_size) {
    const unsigned char *text = sqlite3_column_text(stmt, column);
    snprintf(out, out_size, "%s", text != NULL ? (const char *)text : "");
}

static void read_device(sqlite3_stmt *stmt, struct hub_device *out) {
    memset(out, 0, sizeof *out);
    copy_column(stmt, 0, out->device_id, sizeof out->device_id);
    const unsigned char *auth = sqlite3_column_text(stmt, 1);
    out->auth =
        auth != NULL && strcmp((const char *)auth, "sas") == 0 ? HUB_AUTH_SAS : HUB_AUTH_X509;
    copy_column(stmt, 2, out->primary_key, sizeof out->primary_key);
    copy_column(stmt, 3, out->secondary_key, sizeof out->secondary_key);
    const unsigned char *status = sqlite3_column_text(stmt, 4);
    out->enabled = status != NULL && strcmp((const char *)status, "enabled") == 0;
    copy_column(stmt, 5, out->created_time, sizeof out->created_time);
    copy_column(stmt, 6, out->generation_id, sizeof out->generation_id);
    out->version = sqlite3_column_int64(stmt, 7);
    copy_column(stmt, 8, out->status_updated_time, sizeof out->status_updated_time);
}

bool hub_store_is_reserved_id(const char *id) {
    size_t n = strlen(SPHERESIM_SERVICE_CLIENT_ID);
    return id != NULL && strncmp(id, SPHERESIM_SERVICE_CLIENT_ID, n) == 0 &&
           (id[n] == '\0' || id[n] == '-');
}

enum hub_store_result hub_store_device_add(struct hub_store *store, struct hub_device *device) {
    if (!hub_is_valid_device_id(device->device_id)) {
        hub_store_set_error(store, "'%.*s' is not a valid device id", HUB_MAX_ID,
                            device->device_id);
        return HUB_STORE_ERR_INVALID;
    }
    if (hub_store_is_reserved_id(device->device_id)) {
        hub_store_set_error(store, "'%s' is reserved for the hub's service clients",
                            device->device_id);
        return HUB_STORE_ERR_INVALID;
    }
    if (device->auth == HUB_AUTH_SAS && device->primary_key[0] == '\0') {
        hub_store_set_error(store, "device %s: a SAS device needs a primary key",
                            device->device_id);
        return HUB_STORE_ERR_INVALID;
    }
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_ADD);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    hub_store_format_time(hub_store_now_ms(), device->created_time);
    if (hub_store_guid(device->generation_id) != 0) {
        hub_store_set_error(store, "device %s: no random numbers for its generation id",
                            device->device_id);
        return HUB_STORE_ERR_IO;
    }
    device->version = 1;
    device->status_updated_time[0] = '\0';
    sqlite3_bind_text(stmt, 1, device->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, hub_auth_type_name(device->auth), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, device->primary_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, device->secondary_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, device->enabled ? "enabled" : "disabled", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, device->created_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, device->generation_id, -1, SQLITE_STATIC);
    int rc = hub_store_step_done(stmt);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        hub_store_set_error(store, "device %s already exists", device->device_id);
        return HUB_STORE_ERR_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot add the device");
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_device_get(struct hub_store *store, const char *device_id,
                                           struct hub_device *out_device) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_GET);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    enum hub_store_result result = HUB_STORE_OK;
    if (rc == SQLITE_ROW) {
        read_device(stmt, out_device);
    } else if (rc == SQLITE_DONE) {
        hub_store_set_error(store, "device %.*s not found", HUB_MAX_ID, device_id);
        result = HUB_STORE_ERR_NOT_FOUND;
    } else {
        result = hub_store_sqlite_failure(store, "cannot read the device");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_device_remove(struct hub_store *store, const char *device_id) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_REMOVE);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot remove the device");
    }
    if (sqlite3_changes(store->db) == 0) {
        hub_store_set_error(store, "device %.*s not found", HUB_MAX_ID, device_id);
        return HUB_STORE_ERR_NOT_FOUND;
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_device_list(struct hub_store *store, hub_store_device_fn fn,
                                            void *ctx) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_LIST);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    enum hub_store_result result = HUB_STORE_OK;
    int rc;
    struct hub_device device;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        read_device(stmt, &device);
        if (fn(&device, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        result = hub_store_sqlite_failure(store, "cannot list devices");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_device_set_enabled(struct hub_store *store, const char *device_id,
                                                   bool enabled) {
    struct hub_device current;
    enum hub_store_result result = hub_store_device_get(store, device_id, &current);
    if (result != HUB_STORE_OK || current.enabled == enabled) {
        return result;
    }
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_SET_STATUS);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    char now[HUB_STORE_TIME_SIZE];
    hub_store_format_time(hub_store_now_ms(), now);
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, enabled ? "enabled" : "disabled", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, now, -1, SQLITE_STATIC);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot update the device");
    }
    if (sqlite3_changes(store->db) == 0) {
        hub_store_set_error(store, "device %.*s not found", HUB_MAX_ID, device_id);
        return HUB_STORE_ERR_NOT_FOUND;
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_registry_generation(struct hub_store *store, long long *out) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_REGISTRY_GENERATION);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
    } else {
        result = hub_store_sqlite_failure(store, "cannot read the registry generation");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_device_activity(
    struct hub_store *store, const char *device_id, char out_last_activity[HUB_STORE_TIME_SIZE],
    char out_last_connection_change[HUB_STORE_TIME_SIZE]) {
    out_last_activity[0] = '\0';
    out_last_connection_change[0] = '\0';
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_DEVICE_ACTIVITY);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        char telemetry[HUB_STORE_TIME_SIZE];
        copy_column(stmt, 0, out_last_connection_change, HUB_STORE_TIME_SIZE);
        copy_column(stmt, 1, telemetry, sizeof telemetry);
        // Same fixed-width ISO 8601 form on both sides, so text order is time order.
        const char *latest = strcmp(telemetry, out_last_connection_change) > 0
                                 ? telemetry
                                 : out_last_connection_change;
        snprintf(out_last_activity, HUB_STORE_TIME_SIZE, "%s", latest);
    } else {
        result = hub_store_sqlite_failure(store, "cannot read the device's activity");
    }
    sqlite3_reset(stmt);
    return result;
}

// Binds a message's row to parameters 1-5 (device, time, properties, body).
static void bind_telemetry(sqlite3_stmt *stmt, const struct hub_telemetry *message) {
    sqlite3_bind_text(stmt, 1, message->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, message->enqueued_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, message->system_properties, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, message->properties, -1, SQLITE_STATIC);
    // A zero-length blob must still be a blob, not NULL, for the NOT NULL column.
    static const char empty = 0;
    sqlite3_bind_blob64(stmt, 5, message->body_len > 0 ? message->body : &empty,
                        (sqlite3_uint64)message->body_len, SQLITE_STATIC);
}

enum hub_store_result hub_store_telemetry_add(struct hub_store *store,
                                              const struct hub_telemetry *message,
                                              long long *out_sequence) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_TELEMETRY_ADD);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    bind_telemetry(stmt, message);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot store telemetry");
    }
    if (out_sequence != NULL) {
        *out_sequence = sqlite3_last_insert_rowid(store->db);
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_telemetry_last_sequence(struct hub_store *store, long long *out) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_TELEMETRY_LAST);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
    } else {
        result = hub_store_sqlite_failure(store, "cannot read the last telemetry sequence");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_telemetry_add_batch(struct hub_store *store,
                                                    const struct hub_telemetry *messages,
                                                    size_t count, size_t *out_stored) {
    size_t stored = 0;
    long long last = 0;
    enum hub_store_result result = hub_store_begin(store);
    if (result != HUB_STORE_OK) {
        goto out;
    }
    // Read inside the transaction: no other writer can move it before the commit.
    result = hub_store_telemetry_last_sequence(store, &last);
    for (size_t i = 0; result == HUB_STORE_OK && i < count; i++) {
        if (messages[i].sequence <= last) {
            continue;  // stored before the journal could be emptied
        }
        sqlite3_stmt *stmt = hub_store_statement(store, STMT_TELEMETRY_ADD_AT);
        if (stmt == NULL) {
            result = HUB_STORE_ERR_IO;
            break;
        }
        bind_telemetry(stmt, &messages[i]);
        sqlite3_bind_int64(stmt, 6, messages[i].sequence);
        if (hub_store_step_done(stmt) != SQLITE_DONE) {
            result = hub_store_sqlite_failure(store, "cannot store telemetry");
            break;
        }
        last = messages[i].sequence;
        stored++;
    }
    if (result == HUB_STORE_OK) {
        result = hub_store_commit(store);
    } else {
        hub_store_rollback(store);
    }
out:
    if (out_stored != NULL) {
        *out_stored = result == HUB_STORE_OK ? stored : 0;
    }
    return result;
}

enum hub_store_result hub_store_telemetry_list(struct hub_store *store, const char *device_id,
                                               long long after, int limit,
                                               hub_store_telemetry_fn fn, void *ctx) {
    sqlite3_stmt *stmt = hub_store_statement(
        store, device_id != NULL ? STMT_TELEMETRY_LIST_DEVICE : STMT_TELEMETRY_LIST_ALL);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    int param = 1;
    if (device_id != NULL) {
        sqlite3_bind_text(stmt, param++, device_id, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(stmt, param++, after);
    sqlite3_bind_int64(stmt, param, limit > 0 ? limit : -1);

    enum hub_store_result result = HUB_STORE_OK;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct hub_telemetry message = {
            .sequence = sqlite3_column_int64(stmt, 0),
            .device_id = (const char *)sqlite3_column_text(stmt, 1),
            .system_properties = (const char *)sqlite3_column_text(stmt, 3),
            .properties = (const char *)sqlite3_column_text(stmt, 4),
            .body = sqlite3_column_blob(stmt, 5),
            .body_len = (size_t)sqlite3_column_bytes(stmt, 5),
        };
        copy_column(stmt, 2, message.enqueued_time, sizeof message.enqueued_time);
        if (message.body == NULL) {
            message.body = "";  // SQLite gives NULL for an empty blob; callers may memcpy it
        }
        if (message.device_id == NULL || message.system_properties == NULL ||
            message.properties == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (fn(&message, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        result = hub_store_sqlite_failure(store, "cannot read telemetry");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_connection_event_add(struct hub_store *store, const char *device_id,
                                                     enum hub_connection_event event,
                                                     const char *detail) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_EVENT_ADD);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    char now[HUB_STORE_TIME_SIZE];
    hub_store_format_time(hub_store_now_ms(), now);
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, event_names[event], -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, detail != NULL ? detail : "", -1, SQLITE_STATIC);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot record a connection event");
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_connection_event_list(struct hub_store *store,
                                                      const char *device_id, int limit,
                                                      hub_store_event_fn fn, void *ctx) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_EVENT_LIST);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, limit > 0 ? limit : -1);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct hub_connection_record record = {
            .event = (const char *)sqlite3_column_text(stmt, 1),
            .detail = (const char *)sqlite3_column_text(stmt, 2),
        };
        copy_column(stmt, 0, record.time, sizeof record.time);
        if (record.event == NULL || record.detail == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (fn(&record, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    enum hub_store_result result = HUB_STORE_OK;
    if (rc != SQLITE_DONE) {
        result = hub_store_sqlite_failure(store, "cannot list connection events");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_connection_event_count(struct hub_store *store,
                                                       const char *device_id,
                                                       enum hub_connection_event event,
                                                       long long *out_count) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_EVENT_COUNT);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, event_names[event], -1, SQLITE_STATIC);
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *out_count = sqlite3_column_int64(stmt, 0);
    } else {
        result = hub_store_sqlite_failure(store, "cannot count connection events");
    }
    sqlite3_reset(stmt);
    return result;
}

void hub_store_format_time(long long epoch_ms, char out[HUB_STORE_TIME_SIZE]) {
    time_t seconds = (time_t)(epoch_ms / 1000);
    int millis = (int)(epoch_ms % 1000);
    struct tm tm;
    char base[24];
    if (gmtime_r(&seconds, &tm) == NULL ||
        strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, HUB_STORE_TIME_SIZE, "1970-01-01T00:00:00.000Z");
        return;
    }
    snprintf(out, HUB_STORE_TIME_SIZE, "%s.%03dZ", base, millis);
}

long long hub_store_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hub_store_guid(char out[HUB_STORE_GUID_SIZE]) {
    unsigned char b[16];
    out[0] = '\0';
    if (RAND_bytes(b, sizeof b) != 1) {
        return -1;
    }
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);  // version 4
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
    snprintf(out, HUB_STORE_GUID_SIZE,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
             b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
             b[15]);
    return 0;
}
