// SPDX-License-Identifier: MIT
// Mutable storage as the OS keeps it: one file per ComponentId under the device's state
// directory, so it survives app restarts, reboots and app updates, and a different ComponentId
// never sees it. The size quota is enforced on the app process (see app_process.c).
#pragma once

#include <stddef.h>

// Opens (creating if absent) the component's mutable-storage file read-write.
// Returns an fd, or -1 with errno (EIO for a failure of the backing store).
int sim_mutable_storage_open(const char *device_dir, const char *component_id);

// Deletes the component's file. Returns 0, or -1 with errno ENOENT when there is none, EIO else.
int sim_mutable_storage_delete(const char *device_dir, const char *component_id);

// Writes the file's path into out. Returns 0, or -1 if out is too small.
int sim_mutable_storage_path(const char *device_dir, const char *component_id, char *out,
                             size_t out_size);
