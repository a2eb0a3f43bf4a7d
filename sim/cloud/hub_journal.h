// SPDX-License-Identifier: MIT
// The telemetry ingest journal (<state dir>/telemetry.journal): an append-only file of accepted
// telemetry that the hub has not yet moved into SQLite. The broker acknowledges a device's
// message (PUBACK) as soon as its record is in this file, and the device then forgets it, so the
// record must outlive the broker process: one write(2) per record puts it in the kernel's page
// cache, which survives the process being killed (the guarantee SQLite's WAL gives with
// synchronous=NORMAL; neither survives a power cut). The rows go to SQLite later, many per
// transaction (hub_ingest.h), which is what makes ingest fast.
//
// Each record is framed so that a reader can tell where a record cut short by a crash (a torn
// write) begins: magic, length and a CRC-32 over the content, then the content (little-endian):
// sequence (u64), enqueued time, device id, system properties, properties (each u32 length and
// bytes, strings with their NUL), body (u32 length and bytes). A reader stops at the first record
// that does not check out; the writer never leaves a bad record before a good one.
//
// The writer keeps an in-memory copy of what the file holds, so moving records to SQLite reads no
// file, and that copy is parsed exactly as a file is at start-up.
#pragma once

#include <stddef.h>

#include "cloud/hub_store.h"

#define HUB_JOURNAL_FILE "telemetry.journal"
// No record is larger (a 256 KB body plus its properties is far less); anything claiming more is
// damage.
#define HUB_JOURNAL_MAX_RECORD (8u * 1024u * 1024u)

struct hub_journal;

// Opens (creating) the journal at path and loads the records it holds. A damaged tail is cut off
// the file; *out_dropped (optional) gets how many bytes went. Returns 0, or -1 with a reason in
// err.
int hub_journal_open(const char *path, struct hub_journal **out_journal, size_t *out_dropped,
                     char *err, size_t err_size);

// Closes the file and frees the copy. The records stay in the file. NULL is fine.
void hub_journal_close(struct hub_journal *journal);

// Appends one record (message->sequence as given) with a single write. Returns 0 once the record
// is in the file; -1 with a reason in err otherwise, and then the file is as it was.
int hub_journal_append(struct hub_journal *journal, const struct hub_telemetry *message, char *err,
                       size_t err_size);

// The number of records the journal holds.
size_t hub_journal_count(const struct hub_journal *journal);

// Calls fn for each record held, oldest first; the message is valid during the call only. A
// non-zero return from fn stops the walk and is returned.
int hub_journal_each(const struct hub_journal *journal, hub_store_telemetry_fn fn, void *ctx);

// Empties the journal (its records are safely elsewhere). Returns 0, or -1 with a reason in err.
int hub_journal_clear(struct hub_journal *journal, char *err, size_t err_size);

// For other processes (the CLI): reads the journal file at path as it is now into *out_data
// (malloc'd, caller frees; parse it with hub_journal_parse). A missing file is empty. Returns 0,
// or -1 when the file cannot be read.
int hub_journal_load(const char *path, unsigned char **out_data, size_t *out_len);

// Parses records from memory as the functions above do: calls fn for each intact record up to the
// first damaged one. *out_valid (optional) gets the length of the intact prefix and *out_count
// (optional) the number of records in it. Returns 0 or fn's non-zero return.
int hub_journal_parse(const void *data, size_t len, hub_store_telemetry_fn fn, void *ctx,
                      size_t *out_valid, size_t *out_count);

// Encodes one record into out (malloc'd, caller frees) for tests and tools. Returns its length,
// or 0 when out of memory or the message is too large for a record.
size_t hub_journal_encode(const struct hub_telemetry *message, unsigned char **out);
