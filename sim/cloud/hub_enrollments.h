// SPDX-License-Identifier: MIT
// The local Device Provisioning Service's enrollment list and registration records, kept in the
// hub's SQLite file (<state dir>/hub.db) in tables of their own: the plugin (on the broker
// thread) reads them on every DPS connection and registration, the CLI edits them, so, as with
// hub_store.h, every read goes to the file and nothing is cached. The tables are created with
// CREATE TABLE IF NOT EXISTS when a handle opens; hub_store's versioned schema is never touched.
//
// An individual enrollment covers one registration id; an enrollment group covers every device
// that proves membership: for X.509, a certificate issued by the tenant CA (TLS checked the
// chain); for a symmetric key, a SAS token signed with the key derived from the group key for
// that registration id (hub_enrollment_derive_device_key). As in DPS, individual enrollments and
// groups are separate collections, so a group may share a name with a registration id.
//
// Functions return HUB_ENROLLMENT_OK or an error; hub_enrollments_error then describes the last
// failure in one line.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "cloud/hub_protocol.h"
#include "cloud/hub_store.h"

#define HUB_DPS_TIME_SIZE 32  // "2026-01-02T03:04:05.6780000Z" plus NUL, with room to spare
#define HUB_DPS_ETAG_SIZE 64  // base64 of a quoted GUID, as DPS writes etags
#define HUB_DPS_SUBSTATUS_SIZE 40
#define HUB_ENROLLMENT_DERIVED_KEY_SIZE 45  // base64 of an HMAC-SHA256, plus NUL

enum hub_enrollment_result {
    HUB_ENROLLMENT_OK = 0,
    HUB_ENROLLMENT_ERR_IO,         // SQLite could not open, read or write the database
    HUB_ENROLLMENT_ERR_NOT_FOUND,  // no such enrollment or registration
    HUB_ENROLLMENT_ERR_EXISTS,     // an enrollment with that id is already in its collection
    HUB_ENROLLMENT_ERR_INVALID,    // bad arguments: id, key, kind or attestation
};

enum hub_enrollment_kind {
    HUB_ENROLLMENT_INDIVIDUAL = 0,
    HUB_ENROLLMENT_GROUP,
};

enum hub_attestation {
    HUB_ATTESTATION_X509 = 0,
    HUB_ATTESTATION_SYMMETRIC_KEY,
};

struct hub_enrollment {
    enum hub_enrollment_kind kind;
    char id[HUB_MAX_ID + 1];  // the registration id, or the group's name
    enum hub_attestation attestation;
    char primary_key[HUB_STORE_MAX_KEY + 1];    // base64; "" for X.509
    char secondary_key[HUB_STORE_MAX_KEY + 1];  // base64; "" for X.509
    bool enabled;
    char created_time[HUB_DPS_TIME_SIZE];  // set by hub_enrollment_add
    char updated_time[HUB_DPS_TIME_SIZE];  // set by add and by every change
    char etag[HUB_DPS_ETAG_SIZE];          // new with every change
};

// What DPS remembers about a device it assigned (its "device registration state").
struct hub_dps_registration {
    char registration_id[HUB_MAX_ID + 1];
    enum hub_enrollment_kind enrollment_kind;  // the enrollment that assigned it
    char enrollment_id[HUB_MAX_ID + 1];
    char device_id[HUB_MAX_ID + 1];
    char assigned_hub[256];
    char substatus[HUB_DPS_SUBSTATUS_SIZE];  // "initialAssignment", …
    char created_time[HUB_DPS_TIME_SIZE];    // first assignment; kept by later ones
    char updated_time[HUB_DPS_TIME_SIZE];
    char etag[HUB_DPS_ETAG_SIZE];
};

struct hub_enrollments;

// Called for each listed enrollment; a non-zero return stops the iteration early.
typedef int (*hub_enrollment_fn)(const struct hub_enrollment *enrollment, void *ctx);

// Opens the database at path (creating the file if needed) in WAL mode with a busy timeout, and
// creates the DPS tables unless they exist. ERR_IO if it cannot be opened or the tables made. On
// error *out is NULL and err holds the reason.
enum hub_enrollment_result hub_enrollments_open(const char *path, struct hub_enrollments **out,
                                                char *err, size_t err_size);

// Finalises the statements and closes the database. NULL is ignored.
void hub_enrollments_close(struct hub_enrollments *enrollments);

// The last failure on this handle, "" if none. Never NULL.
const char *hub_enrollments_error(const struct hub_enrollments *enrollments);

// True for a registration id or group name DPS accepts: 1..HUB_MAX_ID of [A-Za-z0-9-._:] (the
// same rule as hub_parse_dps_username), so every registration id is also a valid device id.
bool hub_enrollment_id_is_valid(const char *id);

// Adds an enrollment; created_time, updated_time and etag are filled in. A symmetric-key
// enrollment without keys gets new random ones (written back into *enrollment); given keys must
// be base64 of 16..64 bytes. ERR_INVALID for a bad id or key, or keys on an X.509 enrollment;
// ERR_EXISTS if the id is taken in its collection.
enum hub_enrollment_result hub_enrollment_add(struct hub_enrollments *enrollments,
                                              struct hub_enrollment *enrollment);

// ERR_NOT_FOUND if there is no such enrollment.
enum hub_enrollment_result hub_enrollment_get(struct hub_enrollments *enrollments,
                                              enum hub_enrollment_kind kind, const char *id,
                                              struct hub_enrollment *out_enrollment);

// Removes an enrollment; removing an individual enrollment forgets its registration record too,
// as DPS does. ERR_NOT_FOUND if there is no such enrollment.
enum hub_enrollment_result hub_enrollment_remove(struct hub_enrollments *enrollments,
                                                 enum hub_enrollment_kind kind, const char *id);

// Enables or disables an enrollment (updated_time and etag change). ERR_NOT_FOUND if there is no
// such enrollment.
enum hub_enrollment_result hub_enrollment_set_enabled(struct hub_enrollments *enrollments,
                                                      enum hub_enrollment_kind kind, const char *id,
                                                      bool enabled);

// Calls fn for every enrollment: individual ones first, then groups, each in id order.
enum hub_enrollment_result hub_enrollment_list(struct hub_enrollments *enrollments,
                                               hub_enrollment_fn fn, void *ctx);

// Calls fn for the groups using one attestation, in name order.
enum hub_enrollment_result hub_enrollment_list_groups(struct hub_enrollments *enrollments,
                                                      enum hub_attestation attestation,
                                                      hub_enrollment_fn fn, void *ctx);

// ERR_NOT_FOUND if the registration id was never assigned (or its enrollment was removed).
enum hub_enrollment_result hub_dps_registration_get(struct hub_enrollments *enrollments,
                                                    const char *registration_id,
                                                    struct hub_dps_registration *out);

// Stores (creating or replacing) a registration record as given.
enum hub_enrollment_result hub_dps_registration_put(
    struct hub_enrollments *enrollments, const struct hub_dps_registration *registration);

// True when key_base64 is strict base64 (padded, no blanks) of 16..64 bytes.
bool hub_enrollment_key_is_valid(const char *key_base64);

// The device key DPS expects for registration_id in a symmetric-key group:
// Base64(HMAC-SHA256(Base64Decode(group_key), registration_id)). Returns 0, or -1 for a group
// key that is not valid base64, an empty registration id or out_size <
// HUB_ENROLLMENT_DERIVED_KEY_SIZE (out is then "" when out_size > 0).
int hub_enrollment_derive_device_key(const char *group_key_base64, const char *registration_id,
                                     char *out, size_t out_size);

// The enrollment as DPS's service API shows it: {"registrationId"|"enrollmentGroupId",
// "attestation":{"type":"x509"|"symmetricKey"[,"symmetricKey":{"primaryKey","secondaryKey"}]},
// "provisioningStatus","createdDateTimeUtc","lastUpdatedDateTimeUtc","etag"}, keys included.
// The caller deletes it; NULL when out of memory.
cJSON *hub_enrollment_to_json(const struct hub_enrollment *enrollment);

// "x509" or "symmetricKey", as DPS names the attestation mechanisms.
const char *hub_attestation_name(enum hub_attestation attestation);

// Formats epoch_ms as ISO 8601 UTC with seven fractional digits ("2026-01-02T03:04:05.6780000Z"),
// the form DPS uses for its times.
void hub_dps_format_time(long long epoch_ms, char out[HUB_DPS_TIME_SIZE]);

// A new etag: base64 of a quoted random GUID, as DPS makes them. Returns 0, or -1 when the random
// generator fails (out is then "").
int hub_dps_new_etag(char out[HUB_DPS_ETAG_SIZE]);
