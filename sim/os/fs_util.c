// SPDX-License-Identifier: MIT
// Filesystem helpers; see fs_util.h. Each failure path formats its reason and then restores the
// errno that caused it, since formatting may itself change errno.
#include "os/fs_util.h"

#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 4, 5))) static int fs_fail(int code, char *err, size_t err_size,
                                                         const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    errno = code;
    return -1;
}

int sim_fs_make_dirs(const char *dir, mode_t mode, char *err, size_t err_size) {
    char buf[PATH_MAX];
    int n = snprintf(buf, sizeof(buf), "%s", dir);
    if (n < 0 || (size_t)n >= sizeof(buf)) {
        return fs_fail(ENAMETOOLONG, err, err_size, "directory path %s is too long", dir);
    }
    for (char *p = buf + 1; *p != '\0'; p++) {
        if (*p != '/') {
            continue;
        }
        *p = '\0';
        if (mkdir(buf, mode) != 0 && errno != EEXIST) {
            return fs_fail(errno, err, err_size, "cannot create directory %s: %s", buf,
                           strerror(errno));
        }
        *p = '/';
    }
    if (mkdir(buf, mode) != 0 && errno != EEXIST) {
        return fs_fail(errno, err, err_size, "cannot create directory %s: %s", buf,
                       strerror(errno));
    }
    struct stat st;
    if (stat(buf, &st) != 0) {
        return fs_fail(errno, err, err_size, "cannot stat directory %s: %s", buf, strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        return fs_fail(ENOTDIR, err, err_size, "%s exists and is not a directory", buf);
    }
    return 0;
}

// Durability of the rename itself; failing here does not undo a rename that already happened, so
// it is best effort.
static void fs_sync_parent_dir(const char *path) {
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else if (slash == path) {
        snprintf(dir, sizeof(dir), "/");
    } else {
        snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static int fs_write_all(int fd, const void *data, size_t len) {
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0) {
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int sim_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                        bool *out_existed, char *err, size_t err_size) {
    int rc = -1;
    char tmp[PATH_MAX];
    bool tmp_created = false;
    int saved_errno;

    if (out_existed != NULL) {
        *out_existed = false;
    }
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp-XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return fs_fail(ENAMETOOLONG, err, err_size, "path %s is too long", path);
    }
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        fs_fail(errno, err, err_size, "cannot create temporary file for %s: %s", path,
                strerror(errno));
        goto out;
    }
    tmp_created = true;
    if (fchmod(fd, mode) != 0) {
        fs_fail(errno, err, err_size, "cannot set mode of %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fs_write_all(fd, data, len) != 0) {
        fs_fail(errno, err, err_size, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (fsync(fd) != 0) {
        fs_fail(errno, err, err_size, "cannot sync %s: %s", tmp, strerror(errno));
        goto out;
    }
    int close_rc = close(fd);
    fd = -1;
    if (close_rc != 0) {
        fs_fail(errno, err, err_size, "cannot close %s: %s", tmp, strerror(errno));
        goto out;
    }

    // link() refuses to replace an existing file, which is what keeps the first creator's content.
    if (out_existed != NULL) {
        if (link(tmp, path) != 0) {
            if (errno == EEXIST) {
                *out_existed = true;
                rc = 0;
                goto out;
            }
            fs_fail(errno, err, err_size, "cannot create %s: %s", path, strerror(errno));
            goto out;
        }
    } else {
        if (rename(tmp, path) != 0) {
            fs_fail(errno, err, err_size, "cannot replace %s: %s", path, strerror(errno));
            goto out;
        }
        tmp_created = false;
    }
    fs_sync_parent_dir(path);
    rc = 0;

out:
    // Cleanup must not clobber the errno that explains a failure.
    saved_errno = errno;
    if (fd >= 0) {
        close(fd);
    }
    if (tmp_created) {
        unlink(tmp);
    }
    errno = saved_errno;
    return rc;
}

int sim_fs_read_file(const char *path, void *buf, size_t buf_size, size_t *out_len, char *err,
                     size_t err_size) {
    int rc = -1;
    size_t total = 0;
    char probe;
    int saved_errno;

    *out_len = 0;
    // O_NONBLOCK so a FIFO in place of the file cannot block the caller waiting for a writer.
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return fs_fail(errno, err, err_size, "cannot open %s: %s", path, strerror(errno));
    }
    for (;;) {
        // Once buf is full, one more byte tells a file of exactly buf_size from a longer one.
        bool full = total == buf_size;
        ssize_t n = full ? read(fd, &probe, 1) : read(fd, (char *)buf + total, buf_size - total);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fs_fail(errno, err, err_size, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0) {
            break;
        }
        if (full) {
            fs_fail(EFBIG, err, err_size, "%s is larger than %zu bytes", path, buf_size);
            goto out;
        }
        total += (size_t)n;
    }
    *out_len = total;
    rc = 0;

out:
    saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return rc;
}

int sim_fs_append_json_line(const char *path, const struct cJSON *json, char *err,
                            size_t err_size) {
    char *text = cJSON_PrintUnformatted(json);
    if (text == NULL) {
        return fs_fail(ENOMEM, err, err_size, "cannot format a record for %s", path);
    }
    size_t len = strlen(text);
    // The NUL cJSON ends its buffer with becomes the newline; the line is written by length.
    text[len] = '\n';
    int rc = -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        fs_fail(errno, err, err_size, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    if (fs_write_all(fd, text, len + 1) != 0) {
        fs_fail(errno, err, err_size, "cannot append to %s: %s", path, strerror(errno));
    } else {
        rc = 0;
    }
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
out:
    free(text);
    return rc;
}
