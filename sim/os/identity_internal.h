// SPDX-License-Identifier: MIT
// What identity.c (tenant CA, device id) and identity_cert.c (device certificates) share: error
// reporting that drains the OpenSSL error queue, loading the tenant CA, and the pieces every
// certificate this simulator signs is built from. Not part of the identity API.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "os/identity.h"

// Fills err with the formatted reason plus the most recent OpenSSL error, if any, and empties the
// queue so a later failure is not blamed on this one.
__attribute__((format(printf, 3, 4))) void sim_identity_set_err(char *err, size_t err_size,
                                                                const char *fmt, ...);

// Empties err (when there is one) so a success leaves no stale reason behind.
void sim_identity_clear_err(char *err, size_t err_size);

// Loads the first PEM certificate in path. Returns ERR_IO if the file cannot be read, ERR_INVALID
// if it holds no certificate or is too large.
enum sim_identity_result sim_identity_load_cert(const char *path, X509 **out_cert, char *err,
                                                size_t err_size);

// Loads the tenant CA certificate and, when out_key is non-NULL, its key, refusing a pair that
// could not issue certificates that verify.
enum sim_identity_result sim_identity_load_ca(const char *tenant_dir, X509 **out_cert,
                                              EVP_PKEY **out_key, char *err, size_t err_size);

// Gives cert a random positive 128-bit serial. False when OpenSSL fails.
bool sim_identity_random_serial(X509 *cert);

// Adds the extension nid with value (OpenSSL config syntax) to cert, issued by issuer.
bool sim_identity_add_ext(X509 *cert, X509 *issuer, int nid, const char *value);

// A fresh ECDSA P-256 key, or NULL when OpenSSL fails.
EVP_PKEY *sim_identity_p256_key(void);

// Atomically replaces path (created with mode) with the contents of the memory BIO bio.
enum sim_identity_result sim_identity_write_bio(BIO *bio, const char *path, mode_t mode, char *err,
                                                size_t err_size);
