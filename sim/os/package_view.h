// SPDX-License-Identifier: MIT
// A per-device installed view of an image package: a directory tree with the package's
// directories and a symbolic link to each of its files, into which the OS can add files of its
// own (the local hub's CA certificate for `run --hub local`) without touching the package itself,
// which other devices may be running at the same time. The app sees the view as its package
// root (Storage_GetAbsolutePathInImagePackage), as it would see the installed copy on a device.
#pragma once

#include <stddef.h>

#define SIM_PACKAGE_VIEW_MAX_DEPTH 16
#define SIM_PACKAGE_VIEW_MAX_ENTRIES 4096

// Replaces view_dir (removed first if it exists; the parent must exist) with a mirror of
// package_dir. Returns 0, or -1 with a one-line reason in err: a directory that cannot be read or
// created, or a package deeper than SIM_PACKAGE_VIEW_MAX_DEPTH or with more than
// SIM_PACKAGE_VIEW_MAX_ENTRIES entries.
int sim_package_view_build(const char *package_dir, const char *view_dir, char *err,
                           size_t err_size);

// Copies the file at source into the view at the package-relative path relative (no leading '/',
// no "..", at most 64 KiB), replacing the link to the package's own file if there is one and
// creating directories as needed. Returns 0, or -1 with a reason in err.
int sim_package_view_add_file(const char *view_dir, const char *relative, const char *source,
                              char *err, size_t err_size);
