// SPDX-License-Identifier: MIT
// The device side of image packages: what the simulated device's update agent calls to check a
// downloaded package and install its files. It uses mbedTLS only (never OpenSSL), as the update
// agent is device code and the verification path should stay small.
//
// A package is hostile until its signature verifies. Before that, the verifier reads only the
// header's lengths, to find the signature, and rejects anything that does not add up; it trusts
// no metadata, path or hash until the ECDSA P-256 signature over everything before the signature
// block checks out against the trusted key. Then it applies the device's policy: the expected
// component id and anti-rollback (the version must be newer than the installed one).
//
// Typical use by an update agent:
//
//     static struct sim_image_package pkg;   // large: static or heap, not the stack
//     if (sim_image_package_open(&pkg, path, err, sizeof err) == SIM_IMAGE_OK &&
//         sim_image_package_verify(&pkg, &policy, err, sizeof err) == SIM_IMAGE_OK &&
//         sim_image_package_extract(&pkg, slot_dir, err, sizeof err) == SIM_IMAGE_OK) { ... }
//     sim_image_package_close(&pkg);
//
// Every function returns SIM_IMAGE_OK or one of the reasons in image_format.h, and writes a
// one-line reason naming the package into err (when err is non-NULL). The package keeps one open
// descriptor from open to close, so replacing the file on disk meanwhile cannot swap the bytes
// that were verified for others: extraction re-reads the payload through that descriptor and
// checks every file against its signed SHA-256 as it writes it.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image_format.h"

// What a device trusts and expects.
struct sim_image_policy {
    // The tenant's update-signing public key: PEM or DER SubjectPublicKeyInfo of an ECDSA P-256
    // key (PEM need not be NUL-terminated).
    const void *trusted_key;
    size_t trusted_key_len;
    // The component the device expects (case-insensitive GUID); NULL accepts any.
    const char *component_id;
    // The installed version; the package must be strictly newer. NULL: nothing is installed.
    const struct sim_image_version *installed_version;
};

// What a package says about itself: trusted only after sim_image_package_verify succeeds.
struct sim_image_info {
    struct sim_image_header header;
    struct sim_image_metadata metadata;
    size_t file_count;
    struct sim_image_file files[SIM_IMAGE_MAX_FILES];
    bool has_signature;
    struct sim_image_signature signature;  // valid when has_signature
    uint64_t signed_len;                   // bytes the signature covers
    uint64_t package_len;                  // size of the package file
};

// An open package. The fields are private to the image module.
struct sim_image_package {
    int fd;              // -1 for a package in memory
    const uint8_t *mem;  // the package in memory, or NULL
    uint64_t size;
    char name[256];  // for messages: the path, or the name given for memory
    bool verified;
    uint8_t header_raw[SIM_IMAGE_HEADER_LEN];
    uint8_t metadata_raw[SIM_IMAGE_METADATA_LEN];
    uint8_t table_raw[SIM_IMAGE_MAX_FILES * SIM_IMAGE_FILE_ENTRY_LEN];
    struct sim_image_info info;
};

// Opens the package file at path for reading. Returns SIM_IMAGE_ERR_IO if it cannot be opened or
// is not a regular file. Close it with sim_image_package_close whatever the result.
enum sim_image_result sim_image_package_open(struct sim_image_package *pkg, const char *path,
                                             char *err, size_t err_size);

// Uses len bytes at data (kept by the caller until close) as the package; name is for messages.
void sim_image_package_open_memory(struct sim_image_package *pkg, const void *data, size_t len,
                                   const char *name);

void sim_image_package_close(struct sim_image_package *pkg);

// Verifies the package against policy, in this order: structure of the header and file size
// (BAD_FORMAT, TRUNCATED, MISSING_SIGNATURE), the trusted key (BAD_KEY), the signing key's id
// (WRONG_KEY), the signature over the header, metadata, file table and payload
// (TAMPERED_METADATA, TAMPERED_PAYLOAD or BAD_SIGNATURE, as far as the package's own hashes tell
// which part changed), the signed metadata and file table (BAD_FORMAT, UNSAFE_PATH), then the
// policy (WRONG_COMPONENT, DOWNGRADE). On SIM_IMAGE_OK, sim_image_package_info returns the
// verified contents.
enum sim_image_result sim_image_package_verify(struct sim_image_package *pkg,
                                               const struct sim_image_policy *policy, char *err,
                                               size_t err_size);

// The verified contents, or NULL unless sim_image_package_verify succeeded.
const struct sim_image_info *sim_image_package_info(const struct sim_image_package *pkg);

// Decodes and checks the package's structure without its signature, for display (spheresim image
// inspect). Nothing in out may be trusted. out holds whatever decoded before the first problem
// (out->file_count entries); the result is that problem, or SIM_IMAGE_OK for a well-formed
// package, signed or not.
enum sim_image_result sim_image_package_describe(struct sim_image_package *pkg,
                                                 struct sim_image_info *out, char *err,
                                                 size_t err_size);

// Installs a verified package's files into dest_dir, which must not exist; its parent must. The
// files are written into "<dest_dir>.staging" (removed first if a previous attempt left it),
// each through a temporary file that is checked against the signed SHA-256, given its mode and
// synced before it is renamed into place; the staging directory is then synced and renamed to
// dest_dir, and the parent synced. So after a crash or power loss dest_dir either does not exist
// or holds every file. Returns SIM_IMAGE_ERR_INVALID_INPUT if the package is not verified or
// dest_dir exists, SIM_IMAGE_ERR_TAMPERED_PAYLOAD if a file's bytes changed since verification,
// SIM_IMAGE_ERR_UNSAFE_PATH if a symbolic link appears under the staging directory, and
// SIM_IMAGE_ERR_IO for a failing disk. On failure nothing is left behind.
enum sim_image_result sim_image_package_extract(struct sim_image_package *pkg, const char *dest_dir,
                                                char *err, size_t err_size);

// The key id of an ECDSA P-256 public key (PEM or DER): SHA-256 of its DER SubjectPublicKeyInfo.
// Returns SIM_IMAGE_ERR_BAD_KEY for anything else.
enum sim_image_result sim_image_key_id(const void *key, size_t key_len,
                                       uint8_t out_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                       size_t err_size);

// Removes dir and everything under it without following symbolic links (a link is removed, not
// its target); a missing dir is not an error. For an update agent clearing an inactive slot.
enum sim_image_result sim_image_remove_tree(const char *dir, char *err, size_t err_size);
