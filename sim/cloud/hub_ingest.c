// SPDX-License-Identifier: MIT
// Telemetry ingest (see hub_ingest.h): sequence numbers, the journal append per message, and the
// batches that move journal records into SQLite.

#include "cloud/hub_ingest.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_journal.h"

struct hub_ingest {
    struct hub_store *store;
    struct hub_journal *journal;
    long long next_sequence;
    long long oldest_ms;          // when the oldest pending record was added (hub clock)
    long long retry_at_ms;        // after a failed batch, not before this
    struct hub_telemetry *batch;  // scratch for one flush: views into the journal's copy
    size_t batch_count;
    size_t batch_capacity;
    char error[512];
};

__attribute__((format(printf, 2, 3))) static void set_error(struct hub_ingest *ingest,
                                                            const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ingest->error, sizeof ingest->error, fmt, ap);
    va_end(ap);
}

static int collect(const struct hub_telemetry *message, void *ctx) {
    struct hub_ingest *ingest = ctx;
    if (ingest->batch_count == ingest->batch_capacity) {
        size_t capacity =
            ingest->batch_capacity == 0 ? HUB_INGEST_BATCH : ingest->batch_capacity * 2;
        struct hub_telemetry *grown = realloc(ingest->batch, capacity * sizeof *grown);
        if (grown == NULL) {
            return -1;
        }
        ingest->batch = grown;
        ingest->batch_capacity = capacity;
    }
    ingest->batch[ingest->batch_count++] = *message;
    return 0;
}

enum hub_store_result hub_ingest_flush(struct hub_ingest *ingest) {
    if (hub_journal_count(ingest->journal) == 0) {
        return HUB_STORE_OK;
    }
    ingest->batch_count = 0;
    if (hub_journal_each(ingest->journal, collect, ingest) != 0) {
        set_error(ingest, "out of memory moving telemetry to the store");
        return HUB_STORE_ERR_IO;
    }
    if (hub_store_telemetry_add_batch(ingest->store, ingest->batch, ingest->batch_count, NULL) !=
        HUB_STORE_OK) {
        set_error(ingest, "%s", hub_store_error(ingest->store));
        return HUB_STORE_ERR_IO;
    }
    // Committed. Should emptying the journal fail, the next flush finds the same records already
    // stored and skips them.
    char err[512];
    if (hub_journal_clear(ingest->journal, err, sizeof err) != 0) {
        set_error(ingest, "%s", err);
        return HUB_STORE_ERR_IO;
    }
    ingest->oldest_ms = 0;
    ingest->error[0] = '\0';
    return HUB_STORE_OK;
}

enum hub_store_result hub_ingest_open(struct hub_store *store, const char *journal_path,
                                      struct hub_ingest **out_ingest,
                                      struct hub_ingest_recovery *out_recovery, char *err,
                                      size_t err_size) {
    *out_ingest = NULL;
    struct hub_ingest *ingest = calloc(1, sizeof *ingest);
    if (ingest == NULL) {
        snprintf(err, err_size, "out of memory");
        return HUB_STORE_ERR_IO;
    }
    ingest->store = store;
    enum hub_store_result result = HUB_STORE_ERR_IO;
    size_t dropped = 0;
    if (hub_journal_open(journal_path, &ingest->journal, &dropped, err, err_size) != 0) {
        goto out;
    }
    size_t replayed = hub_journal_count(ingest->journal);
    long long last = 0;
    if (hub_ingest_flush(ingest) != HUB_STORE_OK ||
        hub_store_telemetry_last_sequence(store, &last) != HUB_STORE_OK) {
        snprintf(err, err_size, "%s: cannot store what the journal holds: %s", journal_path,
                 ingest->error[0] != '\0' ? ingest->error : hub_store_error(store));
        goto out;
    }
    ingest->next_sequence = last + 1;
    if (out_recovery != NULL) {
        out_recovery->replayed = replayed;
        out_recovery->dropped_bytes = dropped;
    }
    result = HUB_STORE_OK;
out:
    if (result != HUB_STORE_OK) {
        hub_journal_close(ingest->journal);
        free(ingest);
        return result;
    }
    *out_ingest = ingest;
    return HUB_STORE_OK;
}

void hub_ingest_close(struct hub_ingest *ingest) {
    if (ingest == NULL) {
        return;
    }
    // Whatever fails to go now stays in the journal for the next start.
    hub_ingest_flush(ingest);
    hub_journal_close(ingest->journal);
    free(ingest->batch);
    free(ingest);
}

enum hub_store_result hub_ingest_add(struct hub_ingest *ingest, struct hub_telemetry *message,
                                     long long now_ms) {
    size_t pending = hub_journal_count(ingest->journal);
    if (pending >= HUB_INGEST_MAX_PENDING) {
        char cause[sizeof ingest->error];
        snprintf(cause, sizeof cause, "%s", ingest->error);
        set_error(ingest, "%zu telemetry messages are waiting for the store already (%s)", pending,
                  cause);
        return HUB_STORE_ERR_IO;
    }
    message->sequence = ingest->next_sequence;
    char err[512];
    if (hub_journal_append(ingest->journal, message, err, sizeof err) != 0) {
        set_error(ingest, "%s", err);
        return HUB_STORE_ERR_IO;
    }
    ingest->next_sequence++;
    if (pending == 0) {
        ingest->oldest_ms = now_ms;
    }
    // The message is safe either way; a failed batch is retried later.
    hub_ingest_tick(ingest, now_ms);
    return HUB_STORE_OK;
}

void hub_ingest_tick(struct hub_ingest *ingest, long long now_ms) {
    size_t pending = hub_journal_count(ingest->journal);
    if (pending == 0 || now_ms < ingest->retry_at_ms ||
        (pending < HUB_INGEST_BATCH && now_ms - ingest->oldest_ms < HUB_INGEST_IDLE_MS)) {
        return;
    }
    if (hub_ingest_flush(ingest) != HUB_STORE_OK) {
        ingest->retry_at_ms = now_ms + HUB_INGEST_RETRY_MS;
    }
}

size_t hub_ingest_pending(const struct hub_ingest *ingest) {
    return hub_journal_count(ingest->journal);
}

const char *hub_ingest_error(const struct hub_ingest *ingest) {
    return ingest->error;
}

// ---- readers in other processes ----

struct list_state {
    const char *device_id;
    hub_store_telemetry_fn fn;
    void *ctx;
    long long last_listed;
    int stopped;
};

static int list_stored(const struct hub_telemetry *message, void *ctx) {
    struct list_state *s = ctx;
    s->last_listed = message->sequence;
    s->stopped = s->fn(message, s->ctx);
    return s->stopped;
}

static int list_journaled(const struct hub_telemetry *message, void *ctx) {
    struct list_state *s = ctx;
    if (message->sequence <= s->last_listed || strcmp(message->device_id, s->device_id) != 0) {
        return 0;
    }
    return s->fn(message, s->ctx);
}

enum hub_store_result hub_ingest_list(struct hub_store *store, const char *journal_path,
                                      const char *device_id, hub_store_telemetry_fn fn, void *ctx,
                                      char *err, size_t err_size) {
    // The journal first: a record missing from it by the time the store is read was committed
    // before it left the journal, so the store has it. Store rows are committed in sequence
    // order, so a journal record numbered above the last listed row is not in the store yet.
    unsigned char *journal = NULL;
    size_t len = 0;
    if (hub_journal_load(journal_path, &journal, &len) != 0) {
        snprintf(err, err_size, "%s: cannot read the ingest journal", journal_path);
        return HUB_STORE_ERR_IO;
    }
    struct list_state s = {.device_id = device_id, .fn = fn, .ctx = ctx};
    enum hub_store_result result =
        hub_store_telemetry_list(store, device_id, 0, 0, list_stored, &s);
    if (result != HUB_STORE_OK) {
        snprintf(err, err_size, "%s", hub_store_error(store));
    } else if (s.stopped == 0) {
        hub_journal_parse(journal, len, list_journaled, &s, NULL, NULL);
    }
    free(journal);
    return result;
}
