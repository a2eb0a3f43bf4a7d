// SPDX-License-Identifier: MIT
// How accepted telemetry reaches SQLite without a transaction per message. A message is made
// durable by one append to the ingest journal (hub_journal.h) and gets its sequence number there;
// the broker may then acknowledge it. Batches of journal records move into the store in one
// transaction each: when the batch is full, when the oldest record has waited HUB_INGEST_IDLE_MS,
// and before the hub serves anything that reads telemetry (hub_ingest_flush). The journal is
// emptied after each commit; a crash between the two cannot duplicate rows because the store
// skips sequence numbers it already holds. Opening replays whatever a crash left in the journal,
// before the broker accepts connections.
//
// Readers in other processes (the CLI) see the store plus the journal's records not yet in it,
// so a message is visible to `hub telemetry` as soon as the device has its PUBACK.
//
// Owned by the broker thread; no locking.
#pragma once

#include <stddef.h>

#include "cloud/hub_store.h"

#define HUB_INGEST_BATCH 512
#define HUB_INGEST_IDLE_MS 50
// While the store refuses batches, how long to wait before trying again.
#define HUB_INGEST_RETRY_MS 1000
// Past this many records waiting for the store, new telemetry is refused (not acknowledged)
// rather than held in memory without bound.
#define HUB_INGEST_MAX_PENDING 200000

struct hub_ingest;

// What opening found in the journal a previous run left behind.
struct hub_ingest_recovery {
    size_t replayed;       // records moved into the store (or found there already)
    size_t dropped_bytes;  // a record cut short by a crash: never acknowledged, so dropped
};

// Opens the journal at journal_path and moves what it holds into store. Returns HUB_STORE_OK, or
// ERR_IO with a reason in err (the journal cannot be opened, or its records cannot be stored:
// the hub must not start and take new messages behind them). *out_recovery is optional.
enum hub_store_result hub_ingest_open(struct hub_store *store, const char *journal_path,
                                      struct hub_ingest **out_ingest,
                                      struct hub_ingest_recovery *out_recovery, char *err,
                                      size_t err_size);

// Stores what is pending (best effort) and closes the journal. NULL is fine.
void hub_ingest_close(struct hub_ingest *ingest);

// Makes one message durable: sets message->sequence and appends it to the journal; the store
// gets it with a later batch. now_ms is the hub's clock. ERR_IO (nothing kept) when the journal
// cannot be written or too much is already waiting.
enum hub_store_result hub_ingest_add(struct hub_ingest *ingest, struct hub_telemetry *message,
                                     long long now_ms);

// Moves the pending records into the store if a batch is due (full, or its oldest record waited
// HUB_INGEST_IDLE_MS). Failures are retried later.
void hub_ingest_tick(struct hub_ingest *ingest, long long now_ms);

// Moves every pending record into the store now. ERR_IO when the store refused them (they stay
// pending and the journal keeps them).
enum hub_store_result hub_ingest_flush(struct hub_ingest *ingest);

// The number of records waiting for the store.
size_t hub_ingest_pending(const struct hub_ingest *ingest);

// The last failure, "" if none. Never NULL.
const char *hub_ingest_error(const struct hub_ingest *ingest);

// For readers in other processes: calls fn for the device's telemetry as the hub accepted it,
// oldest first: the rows of store, then the records of the journal file at journal_path that are
// not in the store yet. ERR_IO, with a reason in err, when the store or journal cannot be read.
enum hub_store_result hub_ingest_list(struct hub_store *store, const char *journal_path,
                                      const char *device_id, hub_store_telemetry_fn fn, void *ctx,
                                      char *err, size_t err_size);
