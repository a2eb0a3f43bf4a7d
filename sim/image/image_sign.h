// SPDX-License-Identifier: MIT
// The cloud side of package signing, with OpenSSL 3: the tenant's update-signing key and the
// signature over a package. The key pair lives in the tenant directory beside the tenant CA
// (sim/os/identity.h), as the local PKI's counterpart of the key an Azure Sphere tenant's
// images are signed with:
//
//   <tenant dir>/image-signing.key      ECDSA P-256 private key, PKCS#8 PEM, mode 0600
//   <tenant dir>/image-signing.pub.pem  its SubjectPublicKeyInfo PEM: what devices trust
//
// Every function writes a one-line reason into err (when non-NULL) on failure and leaves the
// OpenSSL error queue empty.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image/image_format.h"

#define SIM_IMAGE_SIGNING_KEY_FILE "image-signing.key"
#define SIM_IMAGE_SIGNING_PUBKEY_FILE "image-signing.pub.pem"

// Writes "<tenant_dir>/<file>" into out. Returns false when it does not fit.
bool sim_image_tenant_path(const char *tenant_dir, const char *file, char *out, size_t out_size);

// Makes sure tenant_dir (created 0700 if missing) holds the update-signing key pair, generating
// it when the private key is missing; an existing key is kept, and its public key file written
// again if missing or different. Racing callers settle on one key. *out_created (optional) tells
// whether a key was generated; out_key_id (optional) gets the key id, SHA-256 of the DER public
// key. Returns ERR_IO when a file cannot be read or written, ERR_BAD_KEY when the existing key is
// not an ECDSA P-256 private key, ERR_CRYPTO when generation fails.
enum sim_image_result sim_image_signing_key_ensure(const char *tenant_dir, bool *out_created,
                                                   uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN],
                                                   char *err, size_t err_size);

// Signs the package in *buf (*len bytes, malloc'ed; replaced by a realloc'ed signed package) with
// the ECDSA P-256 private key in the PEM file key_path. An existing signature is replaced. The
// package is checked first as a device would (structure, section and file hashes), so a broken
// package is never signed: ERR_BAD_FORMAT, ERR_TRUNCATED, ERR_UNSAFE_PATH or
// ERR_TAMPERED_METADATA / ERR_TAMPERED_PAYLOAD for a hash that does not match. ERR_BAD_KEY when
// the key cannot be read or is not P-256. out_key_id (optional) gets the signing key's id.
enum sim_image_result sim_image_sign_buffer(uint8_t **buf, size_t *len, const char *key_path,
                                            uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                            size_t err_size);

// Reads the package at in_path, signs it as sim_image_sign_buffer does and writes the result to
// out_path (which may be in_path) through a temporary file and a rename, mode 0644.
enum sim_image_result sim_image_sign_file(const char *in_path, const char *key_path,
                                          const char *out_path,
                                          uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                          size_t err_size);

// Reads a whole package file into a malloc'ed buffer (at most the largest package size).
enum sim_image_result sim_image_read_package_file(const char *path, uint8_t **out_buf,
                                                  size_t *out_len, char *err, size_t err_size);

// SHA-256 of len bytes, computed with OpenSSL.
void sim_image_openssl_sha256(const void *data, size_t len, uint8_t out[SIM_IMAGE_SHA256_LEN]);

// The key id of the PEM public or private key in path, computed with OpenSSL.
enum sim_image_result sim_image_key_file_id(const char *path,
                                            uint8_t out_key_id[SIM_IMAGE_KEY_ID_LEN], char *err,
                                            size_t err_size);
