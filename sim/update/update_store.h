// SPDX-License-Identifier: MIT
// The update service's state, in plain files under its state directory so that it survives a
// restart of the service (and can be read when the service is down):
//
//   deployments.json           every deployment: target, what the package says it is, its hash
//   packages/<id>.imagepackage the uploaded package of deployment <id>
//   groups.json                device id -> device group (a device is in at most one group)
//   devices/<id>/status.json   what the device last reported: versions, check time, results
//   devices/<id>/events.jsonl  the failure-report events the device uploaded
//
// Every file is replaced atomically (write, sync, rename). The store is used by one thread of one
// service process (the service holds a lock on the directory), so it needs no locks itself.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image_format.h"

#define UPDATE_MAX_DEPLOYMENTS 1024
#define UPDATE_MAX_MEMBERS 4096
#define UPDATE_GROUP_MAX 64
#define UPDATE_DEVICE_ID_MAX 128
#define UPDATE_RESULTS_KEPT 20

enum update_store_result {
    UPDATE_STORE_OK = 0,
    UPDATE_STORE_ERR_IO,         // a file could not be read or written
    UPDATE_STORE_ERR_INVALID,    // a state file is damaged, or an argument is unusable
    UPDATE_STORE_ERR_NOT_FOUND,  // no such deployment, member or device
    UPDATE_STORE_ERR_FULL,       // a limit above is reached
};

enum update_target { UPDATE_TARGET_DEVICE = 1, UPDATE_TARGET_GROUP };

struct update_deployment {
    long long id;
    enum update_target target_kind;
    char target[UPDATE_DEVICE_ID_MAX + 1];  // a device id or a group name
    enum sim_image_type type;
    char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
    char name[SIM_IMAGE_NAME_MAX + 1];
    struct sim_image_version version;
    char sha256[2 * SIM_IMAGE_SHA256_LEN + 1];
    uint64_t size;
    int64_t created;    // Unix seconds
    char warning[256];  // a problem the service saw in the package (devices will refuse it)
};

struct update_member {
    char device_id[UPDATE_DEVICE_ID_MAX + 1];
    char group[UPDATE_GROUP_MAX + 1];
};

struct update_store {
    char dir[PATH_MAX];
    size_t deployment_count;
    struct update_deployment deployments[UPDATE_MAX_DEPLOYMENTS];
    size_t member_count;
    struct update_member members[UPDATE_MAX_MEMBERS];
};

// True for a device id the service accepts: 1..128 of [A-Za-z0-9-] (Azure Sphere ids are 128
// hex digits); a group name: 1..64 of [A-Za-z0-9._-].
bool update_device_id_valid(const char *id);
bool update_group_valid(const char *name);

// Opens (creating) the state directory and loads deployments.json and groups.json. The store is
// large: keep it static or on the heap. err names the file and field of a damaged one.
enum update_store_result update_store_open(struct update_store *store, const char *dir, char *err,
                                           size_t err_size);

// Adds a deployment whose package is the file at upload_path (moved into packages/). deployment
// has everything but id and created, which are set. Returns FULL at the limit.
enum update_store_result update_store_add_deployment(struct update_store *store,
                                                     struct update_deployment *deployment,
                                                     const char *upload_path, char *err,
                                                     size_t err_size);

const struct update_deployment *update_store_deployment(const struct update_store *store,
                                                        long long id);
// Path of deployment id's package.
int update_store_package_path(const struct update_store *store, long long id, char *out,
                              size_t out_size);

// The device's group, or NULL.
const char *update_store_group_of(const struct update_store *store, const char *device_id);
// Puts the device into group (moving it out of any other), or with group NULL out of its group
// (NOT_FOUND if it is in none).
enum update_store_result update_store_set_group(struct update_store *store, const char *device_id,
                                                const char *group, char *err, size_t err_size);

// True when the deployment targets the device, by id or by its group.
bool update_store_targets(const struct update_store *store, const struct update_deployment *d,
                          const char *device_id);

// devices/<id>/<name>. Returns 0, or -1 if it does not fit or the id is not valid.
int update_store_device_path(const struct update_store *store, const char *device_id,
                             const char *name, char *out, size_t out_size);
