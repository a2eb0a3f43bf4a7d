// SPDX-License-Identifier: MIT
// libFuzzer target for the device-side image package verifier (sim/image/image_verify.c), the
// parser that reads packages downloaded from the network. Each input is verified against a fixed
// trusted key, the one the seed corpus (fuzz/corpus/fuzz_image_package/) is signed with, so that
// mutations of the seeds pass the key-id check and reach the signature check and the tamper
// diagnosis. Each input is also decoded without its signature, as `image inspect` does, which
// reaches the metadata and file-table rules. Beyond the sanitizers, the target checks the
// verifier's promises: every refusal gives a one-line printable reason, and whatever verifies or
// decodes as well-formed obeys the format's limits and path rules.
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "image/image_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// The public half of a key made only to sign the seed corpus.
static const char trusted_key[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkE4GGnKoGG+VnJ7Ue2k2M102aWGq\n"
    "idNrdqRO+K+RYyBNkoqQ2JA6QA3ZypealQlZy1CgaDv5se9jFTfc3QYctw==\n"
    "-----END PUBLIC KEY-----\n";

static void check_reason(const char *what, enum sim_image_result rc, const char *err,
                         size_t err_size) {
    if (rc == SIM_IMAGE_OK) {
        return;
    }
    size_t len = strnlen(err, err_size);
    if (len == 0 || len == err_size) {
        fprintf(stderr, "fuzz_image_package: %s: refusal %s without a terminated reason\n", what,
                sim_image_result_name(rc));
        abort();
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)err[i];
        if (c < 0x20 || c == 0x7f) {
            fprintf(stderr, "fuzz_image_package: %s: control byte 0x%02x in reason\n", what, c);
            abort();
        }
    }
}

static void check_described(const struct sim_image_info *info) {
    if (info->file_count > SIM_IMAGE_MAX_FILES ||
        info->header.payload_len > SIM_IMAGE_MAX_PAYLOAD) {
        abort();
    }
    for (size_t i = 0; i < info->file_count; i++) {
        const struct sim_image_file *f = &info->files[i];
        if (!sim_image_path_is_safe(f->path) || (f->mode & S_IFMT) != S_IFREG ||
            f->offset > info->header.payload_len ||
            f->length > info->header.payload_len - f->offset) {
            fprintf(stderr, "fuzz_image_package: a well-formed package broke a table rule\n");
            abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static struct sim_image_package pkg;
    static struct sim_image_info info;
    static const struct sim_image_version installed = {1, 0, 0};
    const struct sim_image_policy policy = {
        .trusted_key = trusted_key,
        .trusted_key_len = sizeof trusted_key - 1,
        .component_id = "4597fc46-10c5-43b8-89a2-b98a1f1db2b4",
        .installed_version = &installed,
    };
    char err[1024];

    sim_image_package_open_memory(&pkg, data, size, "fuzz.img");
    enum sim_image_result rc = sim_image_package_verify(&pkg, &policy, err, sizeof err);
    // Unmodified signed seeds verify; what verifies must obey every rule of the format.
    if (rc == SIM_IMAGE_OK) {
        const struct sim_image_info *verified = sim_image_package_info(&pkg);
        if (verified == NULL) {
            abort();
        }
        check_described(verified);
    }
    check_reason("verify", rc, err, sizeof err);

    rc = sim_image_package_describe(&pkg, &info, err, sizeof err);
    check_reason("describe", rc, err, sizeof err);
    if (rc == SIM_IMAGE_OK) {
        check_described(&info);
    }
    sim_image_package_close(&pkg);
    return 0;
}
