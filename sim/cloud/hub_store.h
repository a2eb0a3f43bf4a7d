// SPDX-License-Identifier: MIT
// The local hub's durable state in one SQLite file (<state dir>/hub.db): the device registry,
// device twins, queued cloud-to-device messages, accepted telemetry and connection events. Two
// kinds of process open it at once, the broker plugin (on the broker thread) and spheresim CLI
// commands, so the database runs in WAL mode with a busy timeout and every read goes to the file:
// nothing here caches rows. The schema carries a version (PRAGMA user_version) and is created or
// upgraded inside one IMMEDIATE transaction, so racing openers agree on it. Every statement is
// prepared once per handle with bound parameters.
//
// Functions return HUB_STORE_OK or an error; hub_store_error then describes the last failure in
// one line (naming the database and SQLite's message).
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_protocol.h"

#define HUB_STORE_FILE "hub.db"
#define HUB_STORE_SCHEMA_VERSION 2
#define HUB_STORE_MAX_KEY 128        // a SAS key as base64 text
#define HUB_STORE_TIME_SIZE 32       // "2026-01-02T03:04:05.678Z" plus NUL, with room to spare
#define HUB_STORE_GUID_SIZE 37       // "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" plus NUL
#define HUB_STORE_MAX_SYSTEM_ID 128  // C2D messageId and correlationId

enum hub_store_result {
    HUB_STORE_OK = 0,
    HUB_STORE_ERR_IO,         // SQLite could not open, read or write the database
    HUB_STORE_ERR_NOT_FOUND,  // no such device
    HUB_STORE_ERR_EXISTS,     // a device with that id is already registered
    HUB_STORE_ERR_INVALID,    // bad arguments, or a database written by a newer spheresim
    HUB_STORE_ERR_FULL,       // the device's C2D queue holds the maximum already
};

enum hub_auth_type {
    HUB_AUTH_X509 = 0,  // X.509 client certificate issued by the tenant CA, CN = device id
    HUB_AUTH_SAS,       // SAS token signed with the device's symmetric key
};

struct hub_device {
    char device_id[HUB_MAX_ID + 1];
    enum hub_auth_type auth;
    char primary_key[HUB_STORE_MAX_KEY + 1];    // "" for X.509 devices
    char secondary_key[HUB_STORE_MAX_KEY + 1];  // "" for X.509 devices
    bool enabled;
    char created_time[HUB_STORE_TIME_SIZE];         // set by hub_store_device_add
    char generation_id[HUB_STORE_GUID_SIZE];        // set by hub_store_device_add: new per identity
    long long version;                              // goes up with every registry change (etag)
    char status_updated_time[HUB_STORE_TIME_SIZE];  // "" until the status first changes
};

// A queued cloud-to-device message. The texts are owned by whoever filled the struct (the store
// for the ones it lists; valid only during the callback).
struct hub_c2d_message {
    long long id;  // queue position, hub-wide and increasing; set by the store
    const char *device_id;
    const char *message_id;      // never empty
    const char *correlation_id;  // "" when none
    const char *ack;             // "none", "positive", "negative" or "full"
    const char *properties;      // application properties as a JSON object of strings
    const void *body;
    size_t body_len;
    long long enqueued_ms;  // ms since the epoch
    long long expiry_ms;    // ms since the epoch; the message is dropped once now >= expiry_ms
};

// One connection event as recorded.
struct hub_connection_record {
    char time[HUB_STORE_TIME_SIZE];
    const char *event;   // "connected", "disconnected" or "refused"
    const char *detail;  // "" when none
};

// One accepted device-to-cloud message. The property texts are JSON objects.
struct hub_telemetry {
    long long sequence;  // hub-wide, increasing; set by the store
    const char *device_id;
    char enqueued_time[HUB_STORE_TIME_SIZE];
    const char *system_properties;
    const char *properties;
    const void *body;
    size_t body_len;
};

enum hub_connection_event {
    HUB_EVENT_CONNECTED = 0,
    HUB_EVENT_DISCONNECTED,
    HUB_EVENT_REFUSED,
};

struct hub_store;

// Callbacks for the list functions; a non-zero return stops the iteration early.
typedef int (*hub_store_device_fn)(const struct hub_device *device, void *ctx);
typedef int (*hub_store_telemetry_fn)(const struct hub_telemetry *message, void *ctx);
typedef int (*hub_store_c2d_fn)(const struct hub_c2d_message *message, void *ctx);
typedef int (*hub_store_event_fn)(const struct hub_connection_record *event, void *ctx);

// True when state_dir holds a hub: `hub start` created its database (HUB_STORE_FILE) there. Every
// other command checks this first, so a mistyped --state-dir is an error naming the directory
// rather than a new, empty hub.
bool hub_store_state_exists(const char *state_dir);

// Opens (creating if needed) the database at path and brings its schema to the current version.
// ERR_IO if it cannot be opened or the schema written; ERR_INVALID for a newer schema. On error
// *out_store is NULL and err holds the reason.
enum hub_store_result hub_store_open(const char *path, struct hub_store **out_store, char *err,
                                     size_t err_size);

// Finalises the statements and closes the database. NULL is ignored.
void hub_store_close(struct hub_store *store);

// The last failure on this handle, "" if none. Never NULL.
const char *hub_store_error(const struct hub_store *store);

// True for the client ids the hub keeps for its own service clients: SPHERESIM_SERVICE_CLIENT_ID
// and anything starting with it and '-' (hub_service_protocol.h). No device may be registered
// under them, so a device can never be mistaken for, or lock out, the hub's service side.
bool hub_store_is_reserved_id(const char *id);

// Registers a device; created_time, generation_id and version are filled in. ERR_INVALID for an
// invalid or reserved id or a SAS device without a primary key; ERR_EXISTS if the id is taken.
enum hub_store_result hub_store_device_add(struct hub_store *store, struct hub_device *device);

// ERR_NOT_FOUND if no device has this id.
enum hub_store_result hub_store_device_get(struct hub_store *store, const char *device_id,
                                           struct hub_device *out_device);

// Enables or disables a device; the version goes up and status_updated_time is set when the
// status changes. ERR_NOT_FOUND if no device has this id.
enum hub_store_result hub_store_device_set_enabled(struct hub_store *store, const char *device_id,
                                                   bool enabled);

// Removes the device from the registry, with its twin and its queued C2D messages (in one
// transaction); its telemetry and events stay, as an Event Hub keeps messages of deleted devices.
// ERR_NOT_FOUND if no device has this id.
enum hub_store_result hub_store_device_remove(struct hub_store *store, const char *device_id);

// Calls fn for every device in id order.
enum hub_store_result hub_store_device_list(struct hub_store *store, hub_store_device_fn fn,
                                            void *ctx);

// A number that changes whenever a device is updated or removed, by any process: the plugin
// compares it to notice registry edits made by the CLI and disconnect devices they disabled.
enum hub_store_result hub_store_registry_generation(struct hub_store *store, long long *out);

// The device's last activity: its latest connect, disconnect or telemetry, "" when none.
enum hub_store_result hub_store_device_activity(
    struct hub_store *store, const char *device_id, char out_last_activity[HUB_STORE_TIME_SIZE],
    char out_last_connection_change[HUB_STORE_TIME_SIZE]);

// The twin document (hub_twin_to_json text) as a malloc'd string in *out_json; ERR_NOT_FOUND
// (and NULL) when the device has none stored yet.
enum hub_store_result hub_store_twin_get(struct hub_store *store, const char *device_id,
                                         char **out_json);

// Stores (creating or replacing) the device's twin document.
enum hub_store_result hub_store_twin_put(struct hub_store *store, const char *device_id,
                                         const char *json);

// Queues a C2D message unless the device already has max_queued unexpired ones (ERR_FULL).
// Messages past their expiry at now_ms are dropped first and counted (hub_store_c2d_stats).
// *out_id (optional) gets the queue position; *out_queued (optional) the device's queue length
// after the add.
enum hub_store_result hub_store_c2d_add(struct hub_store *store,
                                        const struct hub_c2d_message *message, long long now_ms,
                                        int max_queued, long long *out_id, long long *out_queued);

// Drops the device's messages that expired by now_ms, counting them; *out_dropped (optional)
// gets how many went.
enum hub_store_result hub_store_c2d_drop_expired(struct hub_store *store, const char *device_id,
                                                 long long now_ms, long long *out_dropped);

// Calls fn for the device's queued messages, oldest first, at most limit (<= 0: all). Expired
// messages are listed too; callers drop them first when that matters.
enum hub_store_result hub_store_c2d_list(struct hub_store *store, const char *device_id, int limit,
                                         hub_store_c2d_fn fn, void *ctx);

// Removes one message from the queue (delivered). ERR_NOT_FOUND if it is not queued.
enum hub_store_result hub_store_c2d_remove(struct hub_store *store, long long id);

// The device's queue length and how many of its messages expired undelivered so far.
enum hub_store_result hub_store_c2d_stats(struct hub_store *store, const char *device_id,
                                          long long *out_queued, long long *out_expired);

// Appends one message; its enqueued_time must be set by the caller. *out_sequence (optional) gets
// the new sequence number.
enum hub_store_result hub_store_telemetry_add(struct hub_store *store,
                                              const struct hub_telemetry *message,
                                              long long *out_sequence);

// The highest telemetry sequence number the store holds or ever gave out; 0 when none.
enum hub_store_result hub_store_telemetry_last_sequence(struct hub_store *store, long long *out);

// Stores messages that already carry their sequence numbers (increasing; the ingest journal's),
// in one transaction: all or none. Messages numbered at or below the highest stored sequence are
// skipped, because they were stored before (the hub died between committing a batch and emptying
// its journal). *out_stored (optional) gets how many rows went in.
enum hub_store_result hub_store_telemetry_add_batch(struct hub_store *store,
                                                    const struct hub_telemetry *messages,
                                                    size_t count, size_t *out_stored);

// Calls fn for the device's messages with a sequence above `after`, oldest first, at most limit
// (limit <= 0: all). device_id NULL lists every device's messages.
enum hub_store_result hub_store_telemetry_list(struct hub_store *store, const char *device_id,
                                               long long after, int limit,
                                               hub_store_telemetry_fn fn, void *ctx);

// Records a connection event with the current time; detail may be NULL.
enum hub_store_result hub_store_connection_event_add(struct hub_store *store, const char *device_id,
                                                     enum hub_connection_event event,
                                                     const char *detail);

// Calls fn for the device's most recent events, newest first, at most limit (<= 0: all).
enum hub_store_result hub_store_connection_event_list(struct hub_store *store,
                                                      const char *device_id, int limit,
                                                      hub_store_event_fn fn, void *ctx);

// Counts the device's recorded events of one kind (for tests and status displays).
enum hub_store_result hub_store_connection_event_count(struct hub_store *store,
                                                       const char *device_id,
                                                       enum hub_connection_event event,
                                                       long long *out_count);

// Formats a time in milliseconds since the epoch as ISO 8601 UTC with milliseconds
// ("2026-01-02T03:04:05.678Z"), the form IoT Hub uses for enqueued times.
void hub_store_format_time(long long epoch_ms, char out[HUB_STORE_TIME_SIZE]);

// The current real time in milliseconds since the epoch.
long long hub_store_now_ms(void);

// A random version 4 GUID ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"). Returns 0, or -1 when the
// random generator fails (out is then "").
int hub_store_guid(char out[HUB_STORE_GUID_SIZE]);

const char *hub_auth_type_name(enum hub_auth_type auth);  // "x509" or "sas"
