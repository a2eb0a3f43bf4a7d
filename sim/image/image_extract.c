// SPDX-License-Identifier: MIT
// Installing a verified package's files (see sim_image_package_extract in image_verify.h). Every
// directory and file is created relative to a descriptor of its parent, with O_NOFOLLOW and
// O_EXCL, so no symbolic link (planted before or during extraction) can send a write outside the
// staging directory. Paths were already checked by the verifier; this file does not rely on that
// alone.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image_package_internal.h"

#define STAGING_SUFFIX ".staging"
#define TEMP_SUFFIX ".tmp~"
#define MAX_TREE_DEPTH 64

__attribute__((format(printf, 4, 5))) static enum sim_image_result fail(enum sim_image_result rc,
                                                                        char *err, size_t err_size,
                                                                        const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, err_size, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static int write_all(int fd, const uint8_t *data, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, data, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return -1;
        }
        data += n;
        len -= (size_t)n;
    }
    return 0;
}

// Best effort: makes a rename or unlink in the directory durable.
static void sync_parent(const char *path) {
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof dir, ".");
    } else if (slash == dir) {
        dir[1] = '\0';
    } else {
        *slash = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

// Removes everything inside the directory open as fd (which it closes).
static enum sim_image_result empty_dir(int fd, const char *shown, int depth, char *err,
                                       size_t err_size) {
    if (depth > MAX_TREE_DEPTH) {
        close(fd);
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "%s: nested deeper than %d directories", shown,
                    MAX_TREE_DEPTH);
    }
    DIR *dir = fdopendir(fd);
    if (dir == NULL) {
        close(fd);
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot list %s: %s", shown, strerror(errno));
    }
    enum sim_image_result rc = SIM_IMAGE_OK;
    struct dirent *entry;
    while (rc == SIM_IMAGE_OK && (errno = 0, entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            continue;
        }
        struct stat st;
        if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot stat %s/%s: %s", shown, name,
                      strerror(errno));
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            int child = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0) {
                rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot open %s/%s: %s", shown, name,
                          strerror(errno));
                break;
            }
            rc = empty_dir(child, shown, depth + 1, err, err_size);
        }
        if (rc == SIM_IMAGE_OK &&
            unlinkat(dirfd(dir), name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) != 0) {
            rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot remove %s/%s: %s", shown, name,
                      strerror(errno));
        }
        // Removing entries while reading: start over so that none is skipped.
        if (rc == SIM_IMAGE_OK) {
            rewinddir(dir);
        }
    }
    if (rc == SIM_IMAGE_OK && errno != 0) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot list %s: %s", shown, strerror(errno));
    }
    closedir(dir);
    return rc;
}

enum sim_image_result sim_image_remove_tree(const char *dir, char *err, size_t err_size) {
    struct stat st;
    if (lstat(dir, &st) != 0) {
        return errno == ENOENT ? SIM_IMAGE_OK
                               : fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot stat %s: %s", dir,
                                      strerror(errno));
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(dir) != 0) {
            return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot remove %s: %s", dir,
                        strerror(errno));
        }
        sync_parent(dir);
        return SIM_IMAGE_OK;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot open %s: %s", dir, strerror(errno));
    }
    enum sim_image_result rc = empty_dir(fd, dir, 0, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    if (rmdir(dir) != 0) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot remove %s: %s", dir, strerror(errno));
    }
    sync_parent(dir);
    return SIM_IMAGE_OK;
}

// Opens (creating as needed) the directory holding path's last component, below root_fd.
// Returns a descriptor, or -1 after setting err.
static int open_parent(int root_fd, const char *path, enum sim_image_result *out_rc, char *err,
                       size_t err_size) {
    char copy[SIM_IMAGE_PATH_MAX + 1];
    snprintf(copy, sizeof copy, "%s", path);
    int fd = dup(root_fd);
    if (fd < 0) {
        *out_rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "dup: %s", strerror(errno));
        return -1;
    }
    char *component = copy;
    for (char *slash = strchr(component, '/'); slash != NULL; slash = strchr(component, '/')) {
        *slash = '\0';
        if (mkdirat(fd, component, 0755) == 0) {
            (void)fsync(fd);
        } else if (errno != EEXIST) {
            *out_rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot create directory %s: %s", copy,
                           strerror(errno));
            close(fd);
            return -1;
        }
        int child = openat(fd, component, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (child < 0) {
            bool link = errno == ELOOP || errno == ENOTDIR;
            *out_rc =
                fail(link ? SIM_IMAGE_ERR_UNSAFE_PATH : SIM_IMAGE_ERR_IO, err, err_size, "%s: %s",
                     copy, link ? "is a symbolic link or not a directory" : strerror(errno));
            close(fd);
            return -1;
        }
        close(fd);
        fd = child;
        *slash = '/';
        component = slash + 1;
    }
    return fd;
}

static enum sim_image_result extract_file(struct sim_image_package *pkg, int root_fd,
                                          const struct sim_image_file *f, char *err,
                                          size_t err_size) {
    enum sim_image_result rc = SIM_IMAGE_ERR_IO;
    const char *slash = strrchr(f->path, '/');
    const char *base = slash != NULL ? slash + 1 : f->path;
    char temp[NAME_MAX + 1];
    int n = snprintf(temp, sizeof temp, "%s" TEMP_SUFFIX, base);
    if (n < 0 || (size_t)n >= sizeof temp) {
        return fail(SIM_IMAGE_ERR_UNSAFE_PATH, err, err_size, "%s: name too long", f->path);
    }
    int dir_fd = open_parent(root_fd, f->path, &rc, err, err_size);
    if (dir_fd < 0) {
        return rc;
    }
    bool temp_created = false;
    int fd = openat(dir_fd, temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = fail(errno == EEXIST || errno == ELOOP ? SIM_IMAGE_ERR_UNSAFE_PATH : SIM_IMAGE_ERR_IO,
                  err, err_size, "cannot create %s" TEMP_SUFFIX ": %s", f->path, strerror(errno));
        goto out;
    }
    temp_created = true;

    uint8_t chunk[SIM_IMAGE_IO_CHUNK];
    uint8_t digest[SIM_IMAGE_SHA256_LEN];
    mbedtls_sha256_context ctx;
    mbedtls_sha256_init(&ctx);
    sim_sha256_starts(&ctx);
    uint64_t offset = sim_image_payload_offset(&pkg->info.header) + f->offset;
    uint64_t left = f->length;
    while (left > 0) {
        size_t len = left < sizeof chunk ? (size_t)left : sizeof chunk;
        rc = sim_image_pkg_read(pkg, offset, chunk, len, err, err_size);
        if (rc != SIM_IMAGE_OK) {
            break;
        }
        sim_sha256_update(&ctx, chunk, len);
        if (write_all(fd, chunk, len) != 0) {
            rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot write %s: %s", f->path,
                      strerror(errno));
            break;
        }
        offset += len;
        left -= len;
    }
    sim_sha256_finish(&ctx, digest);
    mbedtls_sha256_free(&ctx);
    if (left > 0) {
        goto out;
    }
    if (memcmp(digest, f->sha256, sizeof digest) != 0) {
        rc = sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_TAMPERED_PAYLOAD, err, err_size,
                                "tampered: %s changed after verification (SHA-256 mismatch)",
                                f->path);
        goto out;
    }
    if (fchmod(fd, (mode_t)(f->mode & 0777)) != 0 || fsync(fd) != 0) {
        rc =
            fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot finish %s: %s", f->path, strerror(errno));
        goto out;
    }
    int close_rc = close(fd);
    fd = -1;
    if (close_rc != 0 || renameat(dir_fd, temp, dir_fd, base) != 0) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot install %s: %s", f->path,
                  strerror(errno));
        goto out;
    }
    temp_created = false;
    (void)fsync(dir_fd);
    rc = SIM_IMAGE_OK;
out:
    if (fd >= 0) {
        close(fd);
    }
    if (temp_created) {
        unlinkat(dir_fd, temp, 0);
    }
    close(dir_fd);
    return rc;
}

enum sim_image_result sim_image_package_extract(struct sim_image_package *pkg, const char *dest_dir,
                                                char *err, size_t err_size) {
    if (!pkg->verified) {
        return sim_image_pkg_fail(pkg, SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                                  "cannot extract a package that has not been verified");
    }
    char staging[PATH_MAX];
    int n = snprintf(staging, sizeof staging, "%s" STAGING_SUFFIX, dest_dir);
    if (dest_dir[0] == '\0' || n < 0 || (size_t)n >= sizeof staging) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                    "destination '%s' is empty or too long", dest_dir);
    }
    struct stat st;
    if (lstat(dest_dir, &st) == 0) {
        return fail(SIM_IMAGE_ERR_INVALID_INPUT, err, err_size,
                    "destination %s already exists; remove it first", dest_dir);
    }
    if (errno != ENOENT) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot stat %s: %s", dest_dir,
                    strerror(errno));
    }
    enum sim_image_result rc = sim_image_remove_tree(staging, err, err_size);
    if (rc != SIM_IMAGE_OK) {
        return rc;
    }
    if (mkdir(staging, 0755) != 0) {
        return fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot create %s: %s", staging,
                    strerror(errno));
    }
    int root_fd = open(staging, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root_fd < 0) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot open %s: %s", staging, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < pkg->info.file_count && rc == SIM_IMAGE_OK; i++) {
        rc = extract_file(pkg, root_fd, &pkg->info.files[i], err, err_size);
    }
    if (rc == SIM_IMAGE_OK && fsync(root_fd) != 0) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot sync %s: %s", staging, strerror(errno));
    }
    close(root_fd);
    if (rc == SIM_IMAGE_OK && rename(staging, dest_dir) != 0) {
        rc = fail(SIM_IMAGE_ERR_IO, err, err_size, "cannot rename %s to %s: %s", staging, dest_dir,
                  strerror(errno));
    }
    if (rc == SIM_IMAGE_OK) {
        sync_parent(dest_dir);
    }
out:
    if (rc != SIM_IMAGE_OK) {
        char ignored[256];
        (void)sim_image_remove_tree(staging, ignored, sizeof ignored);
    }
    return rc;
}
