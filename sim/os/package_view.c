// SPDX-License-Identifier: MIT
// A per-device view of an image package; see package_view.h. Files are linked, not copied, so
// building the view costs one link per file whatever the binary's size.
#include "os/package_view.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/fs_util.h"

#define VIEW_MAX_FILE_BYTES (64u * 1024u)

static int fail(char *err, size_t err_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t err_size, const char *fmt, ...) {
    if (err != NULL && err_size > 0) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(err, err_size, fmt, args);
        va_end(args);
    }
    return -1;
}

static int join(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

struct mirror {
    size_t entries;
    char *err;
    size_t err_size;
};

static int mirror_dir(struct mirror *m, const char *from, const char *to, int depth) {
    if (depth > SIM_PACKAGE_VIEW_MAX_DEPTH) {
        return fail(m->err, m->err_size, "%s: the package is nested deeper than %d directories",
                    from, SIM_PACKAGE_VIEW_MAX_DEPTH);
    }
    if (mkdir(to, 0755) != 0 && errno != EEXIST) {
        return fail(m->err, m->err_size, "%s: %s", to, strerror(errno));
    }
    DIR *dir = opendir(from);
    if (dir == NULL) {
        return fail(m->err, m->err_size, "%s: %s", from, strerror(errno));
    }
    int status = 0;
    struct dirent *entry;
    while (status == 0 && (entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        if (++m->entries > SIM_PACKAGE_VIEW_MAX_ENTRIES) {
            status = fail(m->err, m->err_size, "%s: the package has more than %d entries", from,
                          SIM_PACKAGE_VIEW_MAX_ENTRIES);
            break;
        }
        char source[PATH_MAX];
        char target[PATH_MAX];
        struct stat st;
        if (join(source, sizeof(source), from, entry->d_name) != 0 ||
            join(target, sizeof(target), to, entry->d_name) != 0) {
            status = fail(m->err, m->err_size, "%s/%s: path too long", from, entry->d_name);
        } else if (lstat(source, &st) != 0) {
            status = fail(m->err, m->err_size, "%s: %s", source, strerror(errno));
        } else if (S_ISDIR(st.st_mode)) {
            status = mirror_dir(m, source, target, depth + 1);
        } else if (symlink(source, target) != 0) {
            status = fail(m->err, m->err_size, "%s: %s", target, strerror(errno));
        }
    }
    closedir(dir);
    return status;
}

int sim_package_view_build(const char *package_dir, const char *view_dir, char *err,
                           size_t err_size) {
    struct stat st;
    if (lstat(view_dir, &st) == 0 && nftw(view_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
        return fail(err, err_size, "%s: cannot remove the previous package view: %s", view_dir,
                    strerror(errno));
    }
    struct mirror m = {.entries = 0, .err = err, .err_size = err_size};
    return mirror_dir(&m, package_dir, view_dir, 0);
}

int sim_package_view_add_file(const char *view_dir, const char *relative, const char *source,
                              char *err, size_t err_size) {
    if (relative == NULL || relative[0] == '\0' || relative[0] == '/' ||
        strstr(relative, "..") != NULL) {
        return fail(err, err_size, "'%s' is not a package-relative path",
                    relative != NULL ? relative : "(null)");
    }
    static char data[VIEW_MAX_FILE_BYTES];
    size_t len = 0;
    char path[PATH_MAX];
    if (sim_fs_read_file(source, data, sizeof(data), &len, err, err_size) != 0) {
        return -1;
    }
    if (join(path, sizeof(path), view_dir, relative) != 0) {
        return fail(err, err_size, "%s/%s: path too long", view_dir, relative);
    }
    char parent[PATH_MAX];
    memcpy(parent, path, strlen(path) + 1);
    char *slash = strrchr(parent, '/');
    *slash = '\0';  // join() put one in
    if (sim_fs_make_dirs(parent, 0755, err, err_size) != 0) {
        return -1;
    }
    // The rename inside replaces a link to the package's own file, never the file it points to.
    return sim_fs_write_atomic(path, data, len, 0644, NULL, err, err_size);
}
