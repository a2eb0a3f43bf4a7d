// SPDX-License-Identifier: MIT
// A/B slots: where the device keeps its installed app (and simulated OS release), so that an
// update never overwrites what runs and a power loss at any moment leaves a bootable device.
//
//   <device>/slots/app-a/, app-b/   the two app slots
//   <device>/slots/os-a/, os-b/     the two OS slots (the factory OS has none)
//   <device>/slots/current.json     which slot is active, what each holds, the rollback target
//
// An install writes the inactive slot (removed first; extraction is staged and renamed, see
// image_verify.h), then switches by replacing current.json: written to a temporary file, synced,
// renamed over the old one, and the directory synced. That rename is the one atomic step: before
// it the device boots the old slot, after it the new one.
//
// The app `spheresim run` is given is the factory image ("sideloaded", version 0.0.0): a slot
// whose files link to the app's build output (as the package view does), so a rebuilt binary is
// what the next start runs. `run` with the same app (same package, binary and manifest paths)
// keeps whatever the slots hold, updates included; a different app is sideloaded into the
// inactive slot and replaces the installed one, as sideloading does on a development device.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "image/image_verify.h"

#define SIM_SLOTS_FORMAT 1
#define SIM_SLOTS_POINTER "slots/current.json"
// The OS version a device starts with, before any OS update.
#define SIM_SLOTS_FACTORY_OS_VERSION ((struct sim_image_version){1, 0, 0})

enum sim_slots_result {
    SIM_SLOTS_OK = 0,
    SIM_SLOTS_ERR_NOT_FOUND,  // no current.json: nothing installed yet
    SIM_SLOTS_ERR_INVALID,    // current.json (or a slot) is unusable; err says why
    SIM_SLOTS_ERR_IO,         // a file or directory could not be read or written
};

enum sim_slot_origin {
    SIM_SLOT_EMPTY = 0,
    SIM_SLOT_SIDELOAD,  // linked to the app `run` was given
    SIM_SLOT_UPDATE,    // extracted from a verified image package
};

struct sim_slot {
    enum sim_slot_origin origin;
    char component_id[SIM_IMAGE_COMPONENT_ID_LEN + 1];
    char name[SIM_IMAGE_NAME_MAX + 1];
    struct sim_image_version version;
    char sha256[2 * SIM_IMAGE_SHA256_LEN + 1];  // update: the package's SHA-256
};

struct sim_slots {
    int app_active;    // 0 = a, 1 = b
    int app_previous;  // the slot a rollback returns to; -1 for none
    bool trial;        // the active app came from an update and has not proved itself yet
    struct sim_slot app[2];
    int os_active;  // -1: the factory OS
    struct sim_image_version os_version;
    struct sim_slot os[2];
    // What the last sideload installed (absolute, resolved paths): `run` with the same app
    // keeps the slots as they are, whichever slot is active by now.
    char source_package[PATH_MAX];
    char source_executable[PATH_MAX];
    char source_manifest[PATH_MAX];
};

// What `spheresim run` was given: the package directory, the binary to run and the manifest.
struct sim_sideload_source {
    const char *package_dir;
    const char *executable;
    const char *manifest_path;
    const char *entry_point;  // the manifest's EntryPoint, e.g. "/bin/app"
    const char *component_id;
    const char *name;
};

// 'a' or 'b'.
char sim_slots_name(int slot);

// <device_dir>/slots/app-<x> or os-<x>. Return 0, or -1 if it does not fit.
int sim_slots_app_dir(const char *device_dir, int slot, char *out, size_t out_size);
int sim_slots_os_dir(const char *device_dir, int slot, char *out, size_t out_size);

// Reads current.json. NOT_FOUND when there is none; INVALID (with the file and field in err)
// for one that is not a slots file of this format.
enum sim_slots_result sim_slots_load(const char *device_dir, struct sim_slots *out, char *err,
                                     size_t err_size);

// The atomic switch: replaces current.json with slots (temporary file, sync, rename, directory
// sync). With step (e.g. "install") the crash points "<step>-pointer-written" and
// "<step>-pointer-renamed" fall before and after the rename; NULL has none.
enum sim_slots_result sim_slots_save(const char *device_dir, const struct sim_slots *slots,
                                     const char *step, char *err, size_t err_size);

// Makes sure the app source is installed: on first boot into slot a; when slots (as loaded; NOT
// FOUND is passed as NULL) hold another source, into the inactive slot, then switches. The same
// source leaves everything as it is. *out_installed tells whether it installed. On success
// *inout (filled from scratch when slots was NULL) describes the device.
enum sim_slots_result sim_slots_sideload(const char *device_dir,
                                         const struct sim_sideload_source *source,
                                         struct sim_slots *inout, bool have_slots,
                                         bool *out_installed, char *err, size_t err_size);

// Installs a verified package into the inactive app or OS slot (by its type) and switches to it.
// An app install remembers the slot it replaces for a rollback and starts a trial. sha256 is the
// package's hash (hex). Crash points: "slot-cleared", "extracted", then those of sim_slots_save.
enum sim_slots_result sim_slots_install(const char *device_dir, struct sim_slots *inout,
                                        struct sim_image_package *pkg, const char *sha256,
                                        char *err, size_t err_size);

// Switches the app back to the previous slot (INVALID if there is none) and ends the trial.
enum sim_slots_result sim_slots_rollback(const char *device_dir, struct sim_slots *inout, char *err,
                                         size_t err_size);

// Ends the trial: the active app stays.
enum sim_slots_result sim_slots_commit(const char *device_dir, struct sim_slots *inout, char *err,
                                       size_t err_size);

// Removes what an interrupted switch may leave (a temporary pointer file).
void sim_slots_cleanup(const char *device_dir);

// Short text for logs: "<name> <version> (slot b, update)".
void sim_slots_describe(const struct sim_slots *slots, int slot, char *out, size_t out_size);

// The active app slot.
const struct sim_slot *sim_slots_active_app(const struct sim_slots *slots);
