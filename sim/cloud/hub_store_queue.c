// SPDX-License-Identifier: MIT
// The twin documents and the cloud-to-device queue in the hub's SQLite store (see hub_store.h).
// A twin is one JSON text per device, written whole: twins are small (a few 32 KB sections at
// most) and always change as a unit, so a row per document keeps the write atomic without a
// transaction. The C2D queue is a table ordered by an AUTOINCREMENT id, so "oldest first" is the
// primary key order and survives broker restarts.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_store.h"
#include "cloud/hub_store_internal.h"

enum hub_store_result hub_store_twin_get(struct hub_store *store, const char *device_id,
                                         char **out_json) {
    *out_json = NULL;
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_TWIN_GET);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    enum hub_store_result result = HUB_STORE_OK;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(stmt, 0);
        *out_json = text != NULL ? strdup((const char *)text) : NULL;
        if (*out_json == NULL) {
            hub_store_set_error(store, "%s: out of memory reading the twin of %.*s", store->path,
                                HUB_MAX_ID, device_id);
            result = HUB_STORE_ERR_IO;
        }
    } else if (rc == SQLITE_DONE) {
        hub_store_set_error(store, "device %.*s has no twin stored", HUB_MAX_ID, device_id);
        result = HUB_STORE_ERR_NOT_FOUND;
    } else {
        result = hub_store_sqlite_failure(store, "cannot read the twin");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_twin_put(struct hub_store *store, const char *device_id,
                                         const char *json) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_TWIN_PUT);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(stmt, 2, json, -1, SQLITE_STATIC);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot store the twin");
    }
    return HUB_STORE_OK;
}

static enum hub_store_result count_queued(struct hub_store *store, const char *device_id,
                                          long long *out) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_C2D_COUNT);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    enum hub_store_result result = HUB_STORE_OK;
    if (sqlite3_step(stmt) == SQLITE_ROW) {
        *out = sqlite3_column_int64(stmt, 0);
    } else {
        result = hub_store_sqlite_failure(store, "cannot count queued messages");
    }
    sqlite3_reset(stmt);
    return result;
}

// Deletes and counts expired messages; runs inside the caller's transaction when there is one.
static enum hub_store_result drop_expired(struct hub_store *store, const char *device_id,
                                          long long now_ms, long long *out_dropped) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_C2D_EXPIRED_DELETE);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, now_ms);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot drop expired messages");
    }
    long long dropped = sqlite3_changes(store->db);
    if (out_dropped != NULL) {
        *out_dropped = dropped;
    }
    if (dropped == 0) {
        return HUB_STORE_OK;
    }
    stmt = hub_store_statement(store, STMT_C2D_EXPIRED_COUNT_ADD);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, dropped);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot count expired messages");
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_c2d_drop_expired(struct hub_store *store, const char *device_id,
                                                 long long now_ms, long long *out_dropped) {
    enum hub_store_result result = hub_store_begin(store);
    if (result != HUB_STORE_OK) {
        return result;
    }
    result = drop_expired(store, device_id, now_ms, out_dropped);
    if (result != HUB_STORE_OK) {
        hub_store_rollback(store);
        return result;
    }
    return hub_store_commit(store);
}

static bool valid_message(const struct hub_c2d_message *m) {
    return m->device_id != NULL && m->message_id != NULL && m->message_id[0] != '\0' &&
           m->correlation_id != NULL && m->ack != NULL && m->properties != NULL &&
           (m->body != NULL || m->body_len == 0) && m->expiry_ms > m->enqueued_ms;
}

enum hub_store_result hub_store_c2d_add(struct hub_store *store,
                                        const struct hub_c2d_message *message, long long now_ms,
                                        int max_queued, long long *out_id, long long *out_queued) {
    if (!valid_message(message)) {
        hub_store_set_error(store, "incomplete C2D message");
        return HUB_STORE_ERR_INVALID;
    }
    // One transaction: the count and the insert must not interleave with another process's
    // insert, or two senders could both see 49 and make 51.
    enum hub_store_result result = hub_store_begin(store);
    if (result != HUB_STORE_OK) {
        return result;
    }
    long long queued = 0;
    result = drop_expired(store, message->device_id, now_ms, NULL);
    if (result == HUB_STORE_OK) {
        result = count_queued(store, message->device_id, &queued);
    }
    if (result == HUB_STORE_OK && queued >= max_queued) {
        hub_store_set_error(store, "device %.*s already has %lld messages queued (the maximum)",
                            HUB_MAX_ID, message->device_id, queued);
        result = HUB_STORE_ERR_FULL;
    }
    sqlite3_stmt *stmt = NULL;
    if (result == HUB_STORE_OK) {
        stmt = hub_store_statement(store, STMT_C2D_ADD);
        result = stmt != NULL ? HUB_STORE_OK : HUB_STORE_ERR_IO;
    }
    if (result == HUB_STORE_OK) {
        static const char empty = 0;
        sqlite3_bind_text(stmt, 1, message->device_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 2, message->message_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 3, message->correlation_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 4, message->ack, -1, SQLITE_STATIC);
        sqlite3_bind_text(stmt, 5, message->properties, -1, SQLITE_STATIC);
        sqlite3_bind_blob64(stmt, 6, message->body_len > 0 ? message->body : &empty,
                            (sqlite3_uint64)message->body_len, SQLITE_STATIC);
        sqlite3_bind_int64(stmt, 7, message->enqueued_ms);
        sqlite3_bind_int64(stmt, 8, message->expiry_ms);
        if (hub_store_step_done(stmt) != SQLITE_DONE) {
            result = hub_store_sqlite_failure(store, "cannot queue the message");
        }
    }
    if (result != HUB_STORE_OK) {
        hub_store_rollback(store);
        return result;
    }
    long long id = sqlite3_last_insert_rowid(store->db);
    result = hub_store_commit(store);
    if (result == HUB_STORE_OK) {
        if (out_id != NULL) {
            *out_id = id;
        }
        if (out_queued != NULL) {
            *out_queued = queued + 1;
        }
    }
    return result;
}

enum hub_store_result hub_store_c2d_list(struct hub_store *store, const char *device_id, int limit,
                                         hub_store_c2d_fn fn, void *ctx) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_C2D_LIST);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(stmt, 2, limit > 0 ? limit : -1);
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        struct hub_c2d_message m = {
            .id = sqlite3_column_int64(stmt, 0),
            .device_id = (const char *)sqlite3_column_text(stmt, 1),
            .message_id = (const char *)sqlite3_column_text(stmt, 2),
            .correlation_id = (const char *)sqlite3_column_text(stmt, 3),
            .ack = (const char *)sqlite3_column_text(stmt, 4),
            .properties = (const char *)sqlite3_column_text(stmt, 5),
            .body = sqlite3_column_blob(stmt, 6),
            .body_len = (size_t)sqlite3_column_bytes(stmt, 6),
            .enqueued_ms = sqlite3_column_int64(stmt, 7),
            .expiry_ms = sqlite3_column_int64(stmt, 8),
        };
        if (m.body == NULL) {
            m.body = "";  // SQLite gives NULL for an empty blob
        }
        if (m.device_id == NULL || m.message_id == NULL || m.correlation_id == NULL ||
            m.ack == NULL || m.properties == NULL) {
            rc = SQLITE_NOMEM;
            break;
        }
        if (fn(&m, ctx) != 0) {
            rc = SQLITE_DONE;
            break;
        }
    }
    enum hub_store_result result = HUB_STORE_OK;
    if (rc != SQLITE_DONE) {
        result = hub_store_sqlite_failure(store, "cannot list queued messages");
    }
    sqlite3_reset(stmt);
    return result;
}

enum hub_store_result hub_store_c2d_remove(struct hub_store *store, long long id) {
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_C2D_REMOVE);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_int64(stmt, 1, id);
    if (hub_store_step_done(stmt) != SQLITE_DONE) {
        return hub_store_sqlite_failure(store, "cannot remove a queued message");
    }
    if (sqlite3_changes(store->db) == 0) {
        hub_store_set_error(store, "message %lld is not queued", id);
        return HUB_STORE_ERR_NOT_FOUND;
    }
    return HUB_STORE_OK;
}

enum hub_store_result hub_store_c2d_stats(struct hub_store *store, const char *device_id,
                                          long long *out_queued, long long *out_expired) {
    enum hub_store_result result = count_queued(store, device_id, out_queued);
    if (result != HUB_STORE_OK) {
        return result;
    }
    sqlite3_stmt *stmt = hub_store_statement(store, STMT_C2D_EXPIRED_GET);
    if (stmt == NULL) {
        return HUB_STORE_ERR_IO;
    }
    sqlite3_bind_text(stmt, 1, device_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    *out_expired = rc == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : 0;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        result = hub_store_sqlite_failure(store, "cannot read the expired count");
    }
    sqlite3_reset(stmt);
    return result;
}
