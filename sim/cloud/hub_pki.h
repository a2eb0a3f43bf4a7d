// SPDX-License-Identifier: MIT
// The local hub's own PKI: a root CA that devices trust for the hub, and the TLS server
// certificate it issues to the broker. Device certificates come from the tenant CA instead
// (sim/os/identity.h), which the broker trusts for client authentication.
//
// <pki dir>/ca.pem, ca.key: self-signed ECDSA P-256 CA, about ten years, made once.
// <pki dir>/server.pem, server.key: ECDSA P-256, CN = the first name, subjectAltName = every name
// (DNS, or IP for a literal address), serverAuth, one year. It is issued again when missing, when
// the set of names changed, when it no longer verifies against ca.pem, or when it has less than
// a week left. Keys are written with mode 0600 through a temporary file and a rename.
#pragma once

#include <stddef.h>

#define HUB_PKI_CA_CERT "ca.pem"
#define HUB_PKI_CA_KEY "ca.key"
#define HUB_PKI_SERVER_CERT "server.pem"
#define HUB_PKI_SERVER_KEY "server.key"
#define HUB_PKI_MAX_NAMES 32
#define HUB_PKI_UNTRUSTED_DIR "untrusted"
#define HUB_PKI_SERVICE_TRUST "service-trust.pem"

enum hub_pki_result {
    HUB_PKI_OK = 0,
    HUB_PKI_ERR_IO,       // a file or directory could not be read or written
    HUB_PKI_ERR_CRYPTO,   // OpenSSL failed to generate, sign or encode
    HUB_PKI_ERR_INVALID,  // bad arguments, or an existing CA that is unusable
};

// Makes sure pki_dir (created 0700 if missing) holds the CA and a server certificate for names
// (1..HUB_PKI_MAX_NAMES host names or IP addresses; duplicates are ignored). *out_issued
// (optional) tells whether a new server certificate was written. err gets a one-line reason.
enum hub_pki_result hub_pki_ensure(const char *pki_dir, const char *const *names, size_t name_count,
                                   int *out_issued, char *err, size_t err_size);

// For the untrusted_ca fault: makes sure <pki_dir>/untrusted holds a second root CA, unrelated to
// the hub's and named "spheresim untrusted CA (not the hub's)", and a server certificate from it
// with the same CN and names as <pki_dir>/server.pem (call hub_pki_ensure first), kept and renewed
// as the hub's are. A broker presenting it fails every device's verification the way a
// TLS-intercepting middlebox does. Also writes <pki_dir>/service-trust.pem, the hub CA followed by
// the untrusted one: what the hub's own service client trusts, as it reaches the broker directly
// rather than through the middlebox. ERR_INVALID when server.pem is missing or unusable.
enum hub_pki_result hub_pki_ensure_untrusted(const char *pki_dir, char *err, size_t err_size);
