// SPDX-License-Identifier: MIT
// libFuzzer target for the app-manifest parser, the input that decides an app's privileges. Each
// input is parsed as app_manifest.json against the MT3620 RDB hardware definition (so "$NAME"
// values resolve) and again without one. Besides the sanitizers it checks the parser's promises:
// a refusal always says why, and the reason is one line, so a hostile manifest cannot forge
// entries in the device log.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/hwdef.h"
#include "os/manifest.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sim_hwdef hw;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char err[1024];
    const char *path = sim_hwdef_default_for_board("mt3620_rdb");
    if (path == NULL || sim_hwdef_load(path, &hw, err, sizeof(err)) != SIM_HWDEF_OK) {
        fprintf(stderr, "fuzz_manifest: cannot load the RDB hardware definition: %s\n", err);
        abort();
    }
    return 0;
}

static void check_reason(enum sim_manifest_result rc, const char *err, size_t err_size) {
    if (rc == SIM_MANIFEST_OK) {
        return;
    }
    size_t len = strnlen(err, err_size);
    if (len == 0 || len == err_size) {
        fprintf(stderr, "fuzz_manifest: refusal %d without a terminated reason\n", rc);
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)err[i] < 0x20 || err[i] == 0x7f) {
            fprintf(stderr, "fuzz_manifest: control byte 0x%02x in reason: %s\n",
                    (unsigned char)err[i], err);
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct sim_manifest manifest;
    static char declared[256][SIM_MANIFEST_STR + 32];
    char err[1024];

    enum sim_manifest_result rc =
        sim_manifest_parse((const char *)data, size, "fuzz.json", &hw, &manifest, err, sizeof(err));
    check_reason(rc, err, sizeof(err));
    if (rc == SIM_MANIFEST_OK) {
        size_t n = sim_manifest_declared_capabilities(&manifest, declared, 256);
        for (size_t i = 0; i < n; i++) {
            if (strnlen(declared[i], sizeof(declared[i])) == sizeof(declared[i])) {
                abort();
            }
        }
    }

    rc = sim_manifest_parse((const char *)data, size, "fuzz.json", NULL, &manifest, err,
                            sizeof(err));
    check_reason(rc, err, sizeof(err));
    return 0;
}
