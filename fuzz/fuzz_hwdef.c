// SPDX-License-Identifier: MIT
// libFuzzer target for the hardware-definition loader. sim_hwdef_load reads files (Imports are
// resolved relative to the importing file), so each input is written to one file in a private
// temporary directory made at start-up: an input can import itself (a cycle) or the simulator's
// own definitions by name, but finds nothing else beside it.
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/hwdef.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/spheresim-fuzz-hwdef.XXXXXX";
static char path[PATH_MAX];

static void remove_input(void) {
    unlink(path);
    rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "fuzz_hwdef: mkdtemp: %s\n", strerror(errno));
        abort();
    }
    snprintf(path, sizeof(path), "%s/input.json", dir);
    atexit(remove_input);
    return 0;
}

static void write_input(const uint8_t *data, size_t size) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "fuzz_hwdef: %s: %s\n", path, strerror(errno));
        abort();
    }
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            fprintf(stderr, "fuzz_hwdef: writing %s: %s\n", path, strerror(errno));
            abort();
        }
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct sim_hwdef hw;
    char err[1024];

    write_input(data, size);
    err[0] = '\0';
    enum sim_hwdef_result rc = sim_hwdef_load(path, &hw, err, sizeof(err));
    if (rc != SIM_HWDEF_OK && (hw.count != 0 || strnlen(err, sizeof(err)) == 0)) {
        fprintf(stderr, "fuzz_hwdef: refusal %d left %zu entries or gave no reason\n", rc,
                hw.count);
        abort();
    }
    // Every entry the loader accepts must be usable by the manifest parser as it stands.
    for (size_t i = 0; rc == SIM_HWDEF_OK && i < hw.count; i++) {
        const struct sim_hwdef_entry *e = &hw.entries[i];
        if (strnlen(e->name, sizeof(e->name)) == sizeof(e->name) ||
            strnlen(e->type, sizeof(e->type)) == sizeof(e->type) ||
            strnlen(e->value, sizeof(e->value)) == sizeof(e->value) ||
            sim_hwdef_find(&hw, e->name) != e) {
            fprintf(stderr, "fuzz_hwdef: entry %zu is malformed or shadowed\n", i);
            abort();
        }
    }
    return 0;
}
