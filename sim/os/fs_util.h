// SPDX-License-Identifier: MIT
// Filesystem helpers the OS needs in several places: creating state directories, replacing a
// file so that readers never see it half-written, and reading a small file with a size cap.
//
// Every function returns 0, or -1 with errno set to the cause and a one-line reason naming the
// path in err (when err is non-NULL). A path too long for a buffer gives ENAMETOOLONG and a file
// over the caller's cap gives EFBIG, so callers can tell unusable input from a failing disk.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

// Creates dir and any missing parents with mode. Fails when a component can't be created or
// exists and isn't a directory.
int sim_fs_make_dirs(const char *dir, mode_t mode, char *err, size_t err_size);

// Writes len bytes of data to a temporary file beside path (created with mode), syncs it and
// moves it into place, then syncs the directory. With out_existed NULL an existing path is
// replaced. With out_existed non-NULL an existing path is kept: nothing is written, 0 is returned
// and *out_existed is true, which lets racing creators of the same file settle on one content.
int sim_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                        bool *out_existed, char *err, size_t err_size);

// Reads the whole file at path into buf (buf_size bytes, not NUL-terminated) and sets *out_len.
// Fails with EFBIG when the file holds more than buf_size bytes.
int sim_fs_read_file(const char *path, void *buf, size_t buf_size, size_t *out_len, char *err,
                     size_t err_size);

struct cJSON;
// Appends `json` printed on one line, plus a newline, to the file at path (created if missing).
// Records are small, so one write keeps a line whole unless the device loses power mid-write;
// readers treat an unterminated last line as torn. err may be NULL.
int sim_fs_append_json_line(const char *path, const struct cJSON *json, char *err, size_t err_size);
