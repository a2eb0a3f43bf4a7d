// SPDX-License-Identifier: MIT
// A device-side verifier as its own program, linked with sim_image_verify alone: the test
// image_verify_no_libcrypto checks that such a program needs no OpenSSL, and the CLI integration
// test uses it to check what `spheresim image` produced exactly as a device would.
//
// usage: image_verify_tool PACKAGE PUBLIC_KEY [COMPONENT_ID|-] [INSTALLED_VERSION|-] [DEST_DIR]
// Prints the result name and reason; exits 0 when the package verified (and installed).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/image_verify.h"

static struct sim_image_package pkg;
static char key[16 * 1024];

int main(int argc, char **argv) {
    if (argc < 3 || argc > 6) {
        fprintf(stderr,
                "usage: %s PACKAGE PUBLIC_KEY [COMPONENT_ID|-] [INSTALLED_VERSION|-] "
                "[DEST_DIR]\n",
                argv[0]);
        return 2;
    }
    FILE *file = fopen(argv[2], "rb");
    size_t key_len = file != NULL ? fread(key, 1, sizeof key, file) : 0;
    if (file != NULL) {
        fclose(file);
    }
    struct sim_image_version installed;
    struct sim_image_policy policy = {.trusted_key = key, .trusted_key_len = key_len};
    if (argc > 3 && strcmp(argv[3], "-") != 0) {
        policy.component_id = argv[3];
    }
    if (argc > 4 && strcmp(argv[4], "-") != 0) {
        if (!sim_image_version_parse(argv[4], &installed)) {
            fprintf(stderr, "bad version '%s'\n", argv[4]);
            return 2;
        }
        policy.installed_version = &installed;
    }
    char err[1024] = "";
    enum sim_image_result rc = sim_image_package_open(&pkg, argv[1], err, sizeof err);
    if (rc == SIM_IMAGE_OK) {
        rc = sim_image_package_verify(&pkg, &policy, err, sizeof err);
    }
    if (rc == SIM_IMAGE_OK && argc > 5) {
        rc = sim_image_package_extract(&pkg, argv[5], err, sizeof err);
    }
    sim_image_package_close(&pkg);
    printf("%s%s%s\n", sim_image_result_name(rc), err[0] != '\0' ? ": " : "", err);
    return rc == SIM_IMAGE_OK ? 0 : 1;
}
