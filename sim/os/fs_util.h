// SPDX-License-Identifier: MIT
// Filesystem helpers the OS needs in several places.
#pragma once

#include <stddef.h>
#include <sys/types.h>

// Creates dir and any missing parents with mode. Returns 0, or -1 with a one-line reason in err
// (naming the directory) when a component can't be created or exists and isn't a directory.
int sim_fs_make_dirs(const char *dir, mode_t mode, char *err, size_t err_size);
