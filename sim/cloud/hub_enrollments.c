// SPDX-License-Identifier: MIT
// DPS enrollments and registration records in the hub's SQLite file (see hub_enrollments.h).
// This handle is separate from hub_store's: the DPS tables live beside the hub's in one file but
// outside its versioned schema, so they are created idempotently here and either side can open
// the file first. Statements are prepared once per handle, as in hub_store.c.

#include "cloud/hub_enrollments.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sqlite3.h>

#include "cloud/hub_sas.h"

#define BUSY_TIMEOUT_MS 5000
#define KEY_MIN_BYTES 16  // DPS takes symmetric keys of 16 to 64 bytes
#define KEY_MAX_BYTES 64
#define KEY_BASE64_MAX (4 * ((KEY_MAX_BYTES + 2) / 3))

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS dps_enrollments ("
    "  kind TEXT NOT NULL CHECK (kind IN ('individual', 'group')),"
    "  id TEXT NOT NULL,"
    "  attestation TEXT NOT NULL CHECK (attestation IN ('x509', 'symmetricKey')),"
    "  primary_key TEXT NOT NULL DEFAULT '',"
    "  secondary_key TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),"
    "  created_time TEXT NOT NULL,"
    "  updated_time TEXT NOT NULL,"
    "  etag TEXT NOT NULL,"
    "  PRIMARY KEY (kind, id));"
    "CREATE TABLE IF NOT EXISTS dps_registrations ("
    "  registration_id TEXT PRIMARY KEY NOT NULL,"
    "  enrollment_kind TEXT NOT NULL CHECK (enrollment_kind IN ('individual', 'group')),"
    "  enrollment_id TEXT NOT NULL,"
    "  device_id TEXT NOT NULL,"
    "  assigned_hub TEXT NOT NULL,"
    "  substatus TEXT NOT NULL,"
    "  created_time TEXT NOT NULL,"
    "  updated_time TEXT NOT NULL,"
    "  etag TEXT NOT NULL);"
    // Inside the DELETE's own transaction, so no process ever sees a record without its
    // individual enrollment.
    "CREATE TRIGGER IF NOT EXISTS dps_individual_removed AFTER DELETE ON dps_enrollments "
    "WHEN old.kind = 'individual' BEGIN"
    "  DELETE FROM dps_registrations WHERE registration_id = old.id"
    "    AND enrollment_kind = 'individual'; END;";

#define ENROLLMENT_COLUMNS                                                                    \
    "kind, id, attestation, primary_key, secondary_key, status, created_time, updated_time, " \
    "etag"
#define REGISTRATION_COLUMNS                                                                \
    "registration_id, enrollment_kind, enrollment_id, device_id, assigned_hub, substatus, " \
    "created_time, updated_time, etag"

enum stmt_id {
    STMT_ADD,
    STMT_GET,
    STMT_REMOVE,
    STMT_SET_STATUS,
    STMT_LIST,
    STMT_LIST_GROUPS,
    STMT_REG_GET,
    STMT_REG_PUT,
    STMT_COUNT,
};

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_ADD] = "INSERT INTO dps_enrollments (" ENROLLMENT_COLUMNS
                 ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_GET] = "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments WHERE kind = ?1 AND id = ?2",
    [STMT_REMOVE] = "DELETE FROM dps_enrollments WHERE kind = ?1 AND id = ?2",
    [STMT_SET_STATUS] =
        "UPDATE dps_enrollments SET status = ?3, updated_time = ?4, etag = ?5 "
        "WHERE kind = ?1 AND id = ?2",
    [STMT_LIST] = "SELECT " ENROLLMENT_COLUMNS " FROM dps_enrollments ORDER BY kind = 'group', id",
    [STMT_LIST_GROUPS] = "SELECT " ENROLLMENT_COLUMNS
                         " FROM dps_enrollments WHERE kind = 'group' AND attestation = ?1 "
                         "ORDER BY id",
    [STMT_REG_GET] =
        "SELECT " REGISTRATION_COLUMNS " FROM dps_registrations WHERE registration_id = ?1",
    [STMT_REG_PUT] = "INSERT OR REPLACE INTO dps_registrations (" REGISTRATION_COLUMNS
                     ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
};

struct hub_enrollments {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    char path[512];
    char error[512];
};

__attribute__((format(printf, 2, 3))) static void set_error(struct hub_enrollments *e,
                                                            const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->error, sizeof e->error, fmt, ap);
    va_end(ap);
}

static enum hub_enrollment_result sqlite_failure(struct hub_enrollments *e, const char *what) {
    set_error(e, "%s: %s: %s", e->path, what, sqlite3_errmsg(e->db));
    return HUB_ENROLLMENT_ERR_IO;
}

// The statement, reset and unbound, or NULL after recording an error.
static sqlite3_stmt *statement(struct hub_enrollments *e, enum stmt_id id) {
    sqlite3_stmt *stmt = e->stmts[id];
    if (stmt != NULL) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
        return stmt;
    }
    if (sqlite3_prepare_v3(e->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) !=
        SQLITE_OK) {
        sqlite_failure(e, "cannot prepare a statement");
        return NULL;
    }
    e->stmts[id] = stmt;
    return stmt;
}

// Steps a statement that returns no rows and resets it, so it holds no lock afterwards.
static int step_done(sqlite3_stmt *stmt) {
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc;
}

static const char *kind_name(enum hub_enrollment_kind kind) {
    return kind == HUB_ENROLLMENT_GROUP ? "group" : "individual";
}

const char *hub_attestation_name(enum hub_attestation attestation) {
    return attestation == HUB_ATTESTATION_SYMMETRIC_KEY ? "symmetricKey" : "x509";
}

static enum hub_enrollment_result create_tables(struct hub_enrollments *e) {
    // One IMMEDIATE transaction, so racing openers (plugin and CLI) create the tables once.
    if (sqlite3_exec(e->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return sqlite_failure(e, "cannot lock the database to create the DPS tables");
    }
    if (sqlite3_exec(e->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        enum hub_enrollment_result result = sqlite_failure(e, "cannot create the DPS tables");
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
        return result;
    }
    if (sqlite3_exec(e->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        enum hub_enrollment_result result = sqlite_failure(e, "cannot commit the DPS tables");
        sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
        return result;
    }
    return HUB_ENROLLMENT_OK;
}

enum hub_enrollment_result hub_enrollments_open(const char *path, struct hub_enrollments **out,
                                                char *err, size_t err_size) {
    *out = NULL;
    struct hub_enrollments *e = calloc(1, sizeof *e);
    if (e == NULL) {
        snprintf(err, err_size, "%s: out of memory", path);
        return HUB_ENROLLMENT_ERR_IO;
    }
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    if ((size_t)snprintf(e->path, sizeof e->path, "%s", path) >= sizeof e->path) {
        set_error(e, "database path %s is too long", path);
        result = HUB_ENROLLMENT_ERR_INVALID;
        goto out;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &e->db, flags, NULL) != SQLITE_OK) {
        result = e->db != NULL ? sqlite_failure(e, "cannot open")
                               : (set_error(e, "%s: cannot open", path), HUB_ENROLLMENT_ERR_IO);
        goto out;
    }
    sqlite3_busy_timeout(e->db, BUSY_TIMEOUT_MS);
    sqlite3_extended_result_codes(e->db, 1);
    // The same settings as hub_store: WAL so the CLI and the broker work side by side.
    if (sqlite3_exec(e->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK) {
        result = sqlite_failure(e, "cannot switch to WAL mode");
        goto out;
    }
    result = create_tables(e);
out:
    if (result != HUB_ENROLLMENT_OK) {
        snprintf(err, err_size, "%s", e->error);
        hub_enrollments_close(e);
        return result;
    }
    *out = e;
    return HUB_ENROLLMENT_OK;
}

void hub_enrollments_close(struct hub_enrollments *enrollments) {
    if (enrollments == NULL) {
        return;
    }
    for (int i = 0; i < STMT_COUNT; i++) {
        sqlite3_finalize(enrollments->stmts[i]);
    }
    sqlite3_close(enrollments->db);
    free(enrollments);
}

const char *hub_enrollments_error(const struct hub_enrollments *enrollments) {
    return enrollments != NULL ? enrollments->error : "no database";
}

bool hub_enrollment_id_is_valid(const char *id) {
    if (id == NULL) {
        return false;
    }
    size_t n = strnlen(id, HUB_MAX_ID + 1);
    if (n == 0 || n > HUB_MAX_ID) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_' || c == ':';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// ---- keys ----

static bool base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

// Strict base64 of KEY_MIN_BYTES..KEY_MAX_BYTES bytes into out (KEY_MAX_BYTES + 3 bytes, as
// EVP_DecodeBlock writes whole groups). Returns the decoded length or -1. EVP_DecodeBlock alone
// skips blanks and counts padding as zero bytes, so the shape is checked here first.
static int decode_key(const char *in, unsigned char out[KEY_MAX_BYTES + 3]) {
    if (in == NULL) {
        return -1;
    }
    size_t n = strnlen(in, KEY_BASE64_MAX + 1);
    if (n == 0 || n > KEY_BASE64_MAX || n % 4 != 0) {
        return -1;
    }
    size_t pad = in[n - 1] == '=' ? (in[n - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < n - pad; i++) {
        if (!base64_char(in[i])) {
            return -1;
        }
    }
    size_t len = n / 4 * 3 - pad;
    if (len < KEY_MIN_BYTES || EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) < 0) {
        OPENSSL_cleanse(out, KEY_MAX_BYTES + 3);
        return -1;
    }
    return (int)len;
}

bool hub_enrollment_key_is_valid(const char *key_base64) {
    unsigned char key[KEY_MAX_BYTES + 3];
    int len = decode_key(key_base64, key);
    OPENSSL_cleanse(key, sizeof key);
    return len > 0;
}

int hub_enrollment_derive_device_key(const char *group_key_base64, const char *registration_id,
                                     char *out, size_t out_size) {
    unsigned char key[KEY_MAX_BYTES + 3];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    int rc = -1;
    if (out != NULL && out_size > 0) {
        out[0] = '\0';
    }
    int key_len = decode_key(group_key_base64, key);
    if (out == NULL || out_size < HUB_ENROLLMENT_DERIVED_KEY_SIZE || key_len <= 0 ||
        registration_id == NULL || registration_id[0] == '\0') {
        goto out;
    }
    if (HMAC(EVP_sha256(), key, key_len, (const unsigned char *)registration_id,
             strlen(registration_id), md, &md_len) == NULL ||
        md_len != 32) {
        goto out;
    }
    EVP_EncodeBlock((unsigned char *)out, md, (int)md_len);
    rc = 0;
out:
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(md, sizeof md);
    return rc;
}

// ---- times and etags ----

void hub_dps_format_time(long long epoch_ms, char out[HUB_DPS_TIME_SIZE]) {
    if (epoch_ms < 0) {
        epoch_ms = 0;
    }
    time_t seconds = (time_t)(epoch_ms / 1000);
    struct tm tm;
    char date[20];  // "YYYY-MM-DDTHH:MM:SS"; later years fail strftime and fall back
    if (gmtime_r(&seconds, &tm) == NULL ||
        strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, HUB_DPS_TIME_SIZE, "1970-01-01T00:00:00.0000000Z");
        return;
    }
    // Our clock has milliseconds; DPS prints 100 ns ticks, so the last four digits are zero.
    snprintf(out, HUB_DPS_TIME_SIZE, "%s.%03d0000Z", date, (int)(epoch_ms % 1000));
}

int hub_dps_new_etag(char out[HUB_DPS_ETAG_SIZE]) {
    char guid[HUB_STORE_GUID_SIZE];
    char quoted[HUB_STORE_GUID_SIZE + 2];
    out[0] = '\0';
    if (hub_store_guid(guid) != 0) {
        return -1;
    }
    int n = snprintf(quoted, sizeof quoted, "\"%s\"", guid);
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)quoted, n);
    return 0;
}

// ---- enrollments ----

static void copy_column(sqlite3_stmt *stmt, int column, char *out, size_t out_size) {
    const unsigned char *text = sqlite3_column_text(stmt, column);
    snprintf(out, out_size, "%s", text != NULL ? (const char *)text : "");
}

static bool column_is(sqlite3_stmt *stmt, int column, const char *value) {
    const unsigned char *text = sqlite3_column_text(stmt, column);
    return text != NULL && strcmp((const char *)text, value) == 0;
}

static void read_enrollment(sqlite3_stmt *stmt, struct hub_enrollment *out) {
    memset(out, 0, sizeof *out);
    out->kind = column_is(stmt, 0, "group") ? HUB_ENROLLMENT_GROUP : HUB_ENROLLMENT_INDIVIDUAL;
    copy_column(stmt, 1, out->id, sizeof out->id);
    out->attestation =
        column_is(stmt, 2, "symmetricKey") ? HUB_ATTESTATION_SYMMETRIC_KEY : HUB_ATTESTATION_X509;
    copy_column(stmt, 3, out->primary_key, sizeof out->primary_key);
    copy_column(stmt, 4, out->secondary_key, sizeof out->secondary_key);
    out->enabled = column_is(stmt, 5, "enabled");
    copy_column(stmt, 6, out->created_time, sizeof out->created_time);
    copy_column(stmt, 7, out->updated_time, sizeof out->updated_time);
    copy_column(stmt, 8, out->etag, sizeof out->etag);
}

static enum hub_enrollment_result check_keys(struct hub_enrollments *e,
                                             struct hub_enrollment *enrollment) {
    char *primary = enrollment->primary_key;
    char *secondary = enrollment->secondary_key;
    if (enrollment->attestation == HUB_ATTESTATION_X509) {
        if (primary[0] != '\0' || secondary[0] != '\0') {
            set_error(e, "enrollment %s: X.509 enrollments have no keys", enrollment->id);
            return HUB_ENROLLMENT_ERR_INVALID;
        }
        return HUB_ENROLLMENT_OK;
    }
    // As DPS does when the keys are left out: both generated.
    if (primary[0] == '\0' && secondary[0] == '\0' &&
        (hub_sas_key_generate(primary, sizeof enrollment->primary_key) != 0 ||
         hub_sas_key_generate(secondary, sizeof enrollment->secondary_key) != 0)) {
        set_error(e, "enrollment %s: no random numbers for its keys", enrollment->id);
        return HUB_ENROLLMENT_ERR_IO;
    }
    if (!hub_enrollment_key_is_valid(primary) ||
        (secondary[0] != '\0' && !hub_enrollment_key_is_valid(secondary))) {
        set_error(e, "enrollment %s: a key must be base64 of %d to %d bytes", enrollment->id,
                  KEY_MIN_BYTES, KEY_MAX_BYTES);
        return HUB_ENROLLMENT_ERR_INVALID;
    }
    return HUB_ENROLLMENT_OK;
}

enum hub_enrollment_result hub_enrollment_add(struct hub_enrollments *e,
                                              struct hub_enrollment *enrollment) {
    if (!hub_enrollment_id_is_valid(enrollment->id)) {
        set_error(
            e, "'%.*s' is not a valid %s", HUB_MAX_ID, enrollment->id,
            enrollment->kind == HUB_ENROLLMENT_GROUP ? "enrollment group name" : "registration id");
        return HUB_ENROLLMENT_ERR_INVALID;
    }
    // Only registration ids become device ids; a group's name never does.
    if (enrollment->kind == HUB_ENROLLMENT_INDIVIDUAL && hub_store_is_reserved_id(enrollment->id)) {
        set_error(e, "'%s' is reserved for the hub's service clients", enrollment->id);
        return HUB_ENROLLMENT_ERR_INVALID;
    }
    enum hub_enrollment_result result = check_keys(e, enrollment);
    if (result != HUB_ENROLLMENT_OK) {
        return result;
    }
    sqlite3_stmt *stmt = statement(e, STMT_ADD);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    hub_dps_format_time(hub_store_now_ms(), enrollment->created_time);
    memcpy(enrollment->updated_time, enrollment->created_time, sizeof enrollment->updated_time);
    if (hub_dps_new_etag(enrollment->etag) != 0) {
        set_error(e, "enrollment %s: no random numbers for its etag", enrollment->id);
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, kind_name(enrollment->kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, enrollment->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, hub_attestation_name(enrollment->attestation), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, enrollment->primary_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, enrollment->secondary_key, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, enrollment->enabled ? "enabled" : "disabled", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, enrollment->created_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, enrollment->updated_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, enrollment->etag, -1, SQLITE_STATIC);
    int rc = step_done(stmt);
    if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        set_error(
            e, "%s %s already exists",
            enrollment->kind == HUB_ENROLLMENT_GROUP ? "enrollment group" : "individual enrollment",
            enrollment->id);
        return HUB_ENROLLMENT_ERR_EXISTS;
    }
    if (rc != SQLITE_DONE) {
        return sqlite_failure(e, "cannot add the enrollment");
    }
    return HUB_ENROLLMENT_OK;
}

static void set_not_found(struct hub_enrollments *e, enum hub_enrollment_kind kind,
                          const char *id) {
    set_error(e, "%s %.*s not found",
              kind == HUB_ENROLLMENT_GROUP ? "enrollment group" : "individual enrollment",
              HUB_MAX_ID, id);
}

enum hub_enrollment_result hub_enrollment_get(struct hub_enrollments *e,
                                              enum hub_enrollment_kind kind, const char *id,
                                              struct hub_enrollment *out_enrollment) {
    sqlite3_stmt *stmt = statement(e, STMT_GET);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    if (rc == SQLITE_ROW) {
        read_enrollment(stmt, out_enrollment);
    } else if (rc == SQLITE_DONE) {
        set_not_found(e, kind, id);
        result = HUB_ENROLLMENT_ERR_NOT_FOUND;
    } else {
        result = sqlite_failure(e, "cannot read the enrollment");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_enrollment_result hub_enrollment_remove(struct hub_enrollments *e,
                                                 enum hub_enrollment_kind kind, const char *id) {
    sqlite3_stmt *stmt = statement(e, STMT_REMOVE);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    if (step_done(stmt) != SQLITE_DONE) {
        return sqlite_failure(e, "cannot remove the enrollment");
    }
    if (sqlite3_changes(e->db) == 0) {
        set_not_found(e, kind, id);
        return HUB_ENROLLMENT_ERR_NOT_FOUND;
    }
    return HUB_ENROLLMENT_OK;
}

enum hub_enrollment_result hub_enrollment_set_enabled(struct hub_enrollments *e,
                                                      enum hub_enrollment_kind kind, const char *id,
                                                      bool enabled) {
    char now[HUB_DPS_TIME_SIZE];
    char etag[HUB_DPS_ETAG_SIZE];
    hub_dps_format_time(hub_store_now_ms(), now);
    if (hub_dps_new_etag(etag) != 0) {
        set_error(e, "enrollment %.*s: no random numbers for its etag", HUB_MAX_ID, id);
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_stmt *stmt = statement(e, STMT_SET_STATUS);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, kind_name(kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, enabled ? "enabled" : "disabled", -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, etag, -1, SQLITE_STATIC);
    if (step_done(stmt) != SQLITE_DONE) {
        return sqlite_failure(e, "cannot update the enrollment");
    }
    if (sqlite3_changes(e->db) == 0) {
        set_not_found(e, kind, id);
        return HUB_ENROLLMENT_ERR_NOT_FOUND;
    }
    return HUB_ENROLLMENT_OK;
}

// Runs a listing statement (already bound), calling fn per row until it returns non-zero.
static enum hub_enrollment_result run_list(struct hub_enrollments *e, sqlite3_stmt *stmt,
                                           hub_enrollment_fn fn, void *ctx) {
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    struct hub_enrollment enrollment;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        read_enrollment(stmt, &enrollment);
        if (fn(&enrollment, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    if (rc != SQLITE_DONE) {
        result = sqlite_failure(e, "cannot list the enrollments");
    }
    sqlite3_reset(stmt);
    OPENSSL_cleanse(&enrollment, sizeof enrollment);
    return result;
}

enum hub_enrollment_result hub_enrollment_list(struct hub_enrollments *e, hub_enrollment_fn fn,
                                               void *ctx) {
    sqlite3_stmt *stmt = statement(e, STMT_LIST);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    return run_list(e, stmt, fn, ctx);
}

enum hub_enrollment_result hub_enrollment_list_groups(struct hub_enrollments *e,
                                                      enum hub_attestation attestation,
                                                      hub_enrollment_fn fn, void *ctx) {
    sqlite3_stmt *stmt = statement(e, STMT_LIST_GROUPS);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, hub_attestation_name(attestation), -1, SQLITE_STATIC);
    return run_list(e, stmt, fn, ctx);
}

// ---- registration records ----

enum hub_enrollment_result hub_dps_registration_get(struct hub_enrollments *e,
                                                    const char *registration_id,
                                                    struct hub_dps_registration *out) {
    sqlite3_stmt *stmt = statement(e, STMT_REG_GET);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, registration_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        copy_column(stmt, 0, out->registration_id, sizeof out->registration_id);
        out->enrollment_kind =
            column_is(stmt, 1, "group") ? HUB_ENROLLMENT_GROUP : HUB_ENROLLMENT_INDIVIDUAL;
        copy_column(stmt, 2, out->enrollment_id, sizeof out->enrollment_id);
        copy_column(stmt, 3, out->device_id, sizeof out->device_id);
        copy_column(stmt, 4, out->assigned_hub, sizeof out->assigned_hub);
        copy_column(stmt, 5, out->substatus, sizeof out->substatus);
        copy_column(stmt, 6, out->created_time, sizeof out->created_time);
        copy_column(stmt, 7, out->updated_time, sizeof out->updated_time);
        copy_column(stmt, 8, out->etag, sizeof out->etag);
    } else if (rc == SQLITE_DONE) {
        set_error(e, "registration %.*s not found", HUB_MAX_ID, registration_id);
        result = HUB_ENROLLMENT_ERR_NOT_FOUND;
    } else {
        result = sqlite_failure(e, "cannot read the registration");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_enrollment_result hub_dps_registration_put(struct hub_enrollments *e,
                                                    const struct hub_dps_registration *r) {
    if (!hub_enrollment_id_is_valid(r->registration_id)) {
        set_error(e, "'%.*s' is not a valid registration id", HUB_MAX_ID, r->registration_id);
        return HUB_ENROLLMENT_ERR_INVALID;
    }
    sqlite3_stmt *stmt = statement(e, STMT_REG_PUT);
    if (stmt == NULL) {
        return HUB_ENROLLMENT_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, r->registration_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, kind_name(r->enrollment_kind), -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 3, r->enrollment_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 4, r->device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 5, r->assigned_hub, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 6, r->substatus, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 7, r->created_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 8, r->updated_time, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 9, r->etag, -1, SQLITE_STATIC);
    if (step_done(stmt) != SQLITE_DONE) {
        return sqlite_failure(e, "cannot store the registration");
    }
    return HUB_ENROLLMENT_OK;
}

// ---- JSON ----

cJSON *hub_enrollment_to_json(const struct hub_enrollment *enrollment) {
    cJSON *root = cJSON_CreateObject();
    cJSON *attestation = cJSON_CreateObject();
    bool ok = root != NULL && attestation != NULL;
    ok =
        ok &&
        cJSON_AddStringToObject(
            root, enrollment->kind == HUB_ENROLLMENT_GROUP ? "enrollmentGroupId" : "registrationId",
            enrollment->id) != NULL;
    ok = ok && cJSON_AddStringToObject(attestation, "type",
                                       hub_attestation_name(enrollment->attestation)) != NULL;
    if (ok && enrollment->attestation == HUB_ATTESTATION_SYMMETRIC_KEY) {
        cJSON *keys = cJSON_AddObjectToObject(attestation, "symmetricKey");
        ok = keys != NULL &&
             cJSON_AddStringToObject(keys, "primaryKey", enrollment->primary_key) != NULL &&
             cJSON_AddStringToObject(keys, "secondaryKey", enrollment->secondary_key) != NULL;
    }
    if (!ok || !cJSON_AddItemToObject(root, "attestation", attestation)) {
        cJSON_Delete(attestation);
        cJSON_Delete(root);
        return NULL;
    }
    ok =
        cJSON_AddStringToObject(root, "provisioningStatus",
                                enrollment->enabled ? "enabled" : "disabled") != NULL &&
        cJSON_AddStringToObject(root, "createdDateTimeUtc", enrollment->created_time) != NULL &&
        cJSON_AddStringToObject(root, "lastUpdatedDateTimeUtc", enrollment->updated_time) != NULL &&
        cJSON_AddStringToObject(root, "etag", enrollment->etag) != NULL;
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}
