// SPDX-License-Identifier: MIT
// The backing files of mutable storage; see mutable_storage.h.
#include "os/mutable_storage.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int sim_mutable_storage_path(const char *device_dir, const char *component_id, char *out,
                             size_t out_size) {
    int n = snprintf(out, out_size, "%s/storage/%s", device_dir, component_id);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int sim_mutable_storage_open(const char *device_dir, const char *component_id) {
    char dir[4096];
    char path[4096];
    int n = snprintf(dir, sizeof(dir), "%s/storage", device_dir);
    if (n < 0 || (size_t)n >= sizeof(dir) ||
        sim_mutable_storage_path(device_dir, component_id, path, sizeof(path)) != 0) {
        errno = EIO;
        return -1;
    }
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        errno = EIO;
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        errno = EIO;
    }
    return fd;
}

int sim_mutable_storage_delete(const char *device_dir, const char *component_id) {
    char path[4096];
    if (sim_mutable_storage_path(device_dir, component_id, path, sizeof(path)) != 0) {
        errno = EIO;
        return -1;
    }
    if (unlink(path) != 0) {
        errno = errno == ENOENT ? ENOENT : EIO;
        return -1;
    }
    return 0;
}
