// SPDX-License-Identifier: MIT
// Fixtures for the image package tests: temporary directories, a small app directory, signing
// keys, and a raw package builder and signer that skip every check the real packer and signer
// make, so that tests can produce validly signed packages with hostile contents. Failures abort
// the test through CMocka assertions.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image_format.h"

#define ITU_COMPONENT_ID "4597fc46-10c5-43b8-89a2-b98a1f1db2b4"

// Creates a fresh directory under /tmp into out (PATH_MAX bytes).
void itu_temp_dir(char *out);

// Writes "<dir>/<name>" into out (PATH_MAX bytes); fails the test if it does not fit.
void itu_path(char *out, const char *dir, const char *name);

// Removes a directory tree made by a test.
void itu_remove(const char *dir);

// Writes len bytes to dir/rel (parents created) with mode.
void itu_write(const char *dir, const char *rel, const void *data, size_t len, unsigned mode);

// Lays out a small app in dir: app_manifest.json (component ITU_COMPONENT_ID, raw GPIO numbers),
// bin/app (executable), res/data.txt.
void itu_make_app(const char *dir);

// A tenant signing key in tenant_dir: key_path and pub_path get its files (PATH_MAX bytes each);
// *out_pub (malloc'ed) and *out_pub_len its public key PEM.
void itu_make_key(const char *tenant_dir, char *key_path, char *pub_path, uint8_t **out_pub,
                  size_t *out_pub_len);

// Reads a whole file (malloc'ed).
uint8_t *itu_read(const char *path, size_t *out_len);

// Packs app_dir (type app, build time 1700000000) with version, signed with key_path unless it
// is NULL, and returns the package bytes (malloc'ed).
uint8_t *itu_pack(const char *app_dir, const char *version, const char *key_path,
                  const char *out_path, size_t *out_len);

// One file of a raw package.
struct itu_file {
    const char *path;
    uint32_t mode;
    const char *content;
};

// Builds a package from files in the given order, with correct lengths, offsets and hashes but
// no other checks. meta NULL: an app, ITU_COMPONENT_ID, version 1.0.0.
uint8_t *itu_raw_package(const struct itu_file *files, size_t count,
                         const struct sim_image_metadata *meta, size_t *out_len);

// Signs buf (realloc'ed) with the PEM private key at key_path without checking its contents.
// With key_id non-NULL, that id goes into the signature block instead of the key's own.
void itu_raw_sign(uint8_t **buf, size_t *len, const char *key_path, const uint8_t *key_id);

// Verifies len bytes at buf as a package in memory against the public key pub.
enum sim_image_result itu_verify(const uint8_t *buf, size_t len, const uint8_t *pub, size_t pub_len,
                                 const char *component_id,
                                 const struct sim_image_version *installed, char *err,
                                 size_t err_size);
