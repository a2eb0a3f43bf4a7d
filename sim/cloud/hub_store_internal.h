// SPDX-License-Identifier: MIT
// What the files implementing hub_store.h share and nobody else sees: the handle, the table of
// prepared statements and the error helpers. hub_store.c owns opening, the schema, the registry,
// telemetry and events; hub_store_queue.c the twins and the C2D queue.
#pragma once

#include <sqlite3.h>

#include "cloud/hub_store.h"

enum hub_stmt_id {
    STMT_DEVICE_ADD,
    STMT_DEVICE_GET,
    STMT_DEVICE_REMOVE,
    STMT_DEVICE_LIST,
    STMT_DEVICE_SET_STATUS,
    STMT_REGISTRY_GENERATION,
    STMT_DEVICE_ACTIVITY,
    STMT_TELEMETRY_ADD,
    STMT_TELEMETRY_ADD_AT,
    STMT_TELEMETRY_LAST,
    STMT_TELEMETRY_LIST_DEVICE,
    STMT_TELEMETRY_LIST_ALL,
    STMT_EVENT_ADD,
    STMT_EVENT_COUNT,
    STMT_EVENT_LIST,
    STMT_TWIN_GET,
    STMT_TWIN_PUT,
    STMT_C2D_ADD,
    STMT_C2D_COUNT,
    STMT_C2D_EXPIRED_DELETE,
    STMT_C2D_EXPIRED_COUNT_ADD,
    STMT_C2D_LIST,
    STMT_C2D_REMOVE,
    STMT_C2D_EXPIRED_GET,
    STMT_COUNT,
};

struct hub_store {
    sqlite3 *db;
    sqlite3_stmt *stmts[STMT_COUNT];
    char path[512];
    char error[512];
};

// Returns the statement, reset and with its bindings cleared, or NULL after recording an error.
sqlite3_stmt *hub_store_statement(struct hub_store *store, enum hub_stmt_id id);

// Steps a statement that returns no rows and resets it, so it holds no read lock afterwards.
int hub_store_step_done(sqlite3_stmt *stmt);

// Records "path: what: SQLite's message" and returns HUB_STORE_ERR_IO.
enum hub_store_result hub_store_sqlite_failure(struct hub_store *store, const char *what);

__attribute__((format(printf, 2, 3))) void hub_store_set_error(struct hub_store *store,
                                                               const char *fmt, ...);

// BEGIN IMMEDIATE / COMMIT / ROLLBACK; the first two return HUB_STORE_OK or ERR_IO.
enum hub_store_result hub_store_begin(struct hub_store *store);
enum hub_store_result hub_store_commit(struct hub_store *store);
void hub_store_rollback(struct hub_store *store);
