// SPDX-License-Identifier: MIT
// Filesystem helpers; see fs_util.h.
#include "os/fs_util.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int sim_fs_make_dirs(const char *dir, mode_t mode, char *err, size_t err_size) {
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        snprintf(err, err_size, "directory path %s is too long", dir);
        return -1;
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) {
            snprintf(err, err_size, "cannot create directory %s: %s", buf, strerror(errno));
            return -1;
        }
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST) {
        snprintf(err, err_size, "cannot create directory %s: %s", buf, strerror(errno));
        return -1;
    }
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, err_size, "%s exists and is not a directory", buf);
        return -1;
    }
    return 0;
}
