// SPDX-License-Identifier: MIT
// applibs storage. Mutable storage is a file the OS owns, keyed by the app's ComponentId; the app
// gets an open descriptor to it over the bus and never learns its path. The OS caps the file at
// the manifest's SizeKB. Image-package files are read straight from the installed package.
#include <applibs/storage.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_client.h"
#include "storage_fault.h"

// The same rules the device applies: relative, no "." or ".." escapes.
static int check_relative_path(const char *relativePath) {
    if (relativePath == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (relativePath[0] == '\0' || relativePath[0] == '/' || relativePath[0] == '.' ||
        strstr(relativePath, "..") != NULL) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

char *Storage_GetAbsolutePathInImagePackage(const char *relativePath) {
    if (check_relative_path(relativePath) != 0) {
        return NULL;
    }
    const char *root = halstub_bus_package_root();
    if (root == NULL) {
        return NULL;
    }
    size_t size = strlen(root) + 1 + strlen(relativePath) + 1;
    char *path = malloc(size);
    if (path == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(path, size, "%s/%s", root, relativePath);
    return path;
}

int Storage_OpenFileInImagePackage(const char *relativePath) {
    char *path = Storage_GetAbsolutePathInImagePackage(relativePath);
    if (path == NULL) {
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int saved = errno;
    free(path);
    errno = saved;
    return fd;
}

int Storage_OpenMutableFile(void) {
    struct devbus_msg reply;
    int fd = -1;
    if (halstub_bus_call(DEVBUS_OP_STORAGE_OPEN_MUTABLE, NULL, NULL, 0, &reply, &fd) < 0) {
        return -1;
    }
    if (fd < 0) {
        errno = EIO;
        return -1;
    }
    halstub_storage_fault_note(fd);
    return fd;
}

int Storage_DeleteMutableFile(void) {
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_STORAGE_DELETE_MUTABLE, NULL, NULL, 0, &reply, NULL) < 0) {
        return -1;
    }
    return 0;
}
