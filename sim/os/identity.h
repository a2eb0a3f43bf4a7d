// SPDX-License-Identifier: MIT
// The simulated device's identity: a local tenant CA and the short-lived client certificates it
// issues to devices, standing in for Azure Sphere's device authentication and attestation (DAA).
//
// A real device attests to AS3 every day and receives a 24 h client certificate signed by its
// tenant CA; IoT Hub trusts the tenant CA and takes the certificate's CN as the device id. Here
// the tenant CA lives in a directory on the host, the device id is a file in the device's state
// directory, and certificate times follow the simulated device clock rather than real time, so
// scenarios can make a certificate expire without waiting a day.
//
// Every function fills `err` (when non-NULL) with a one-line reason naming the file involved and
// leaves the OpenSSL error queue empty, whether it succeeds or fails.
#pragma once

#include <stddef.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

// Azure Sphere device ids are 128 hex digits.
#define SIM_DEVICE_ID_LEN 128

enum sim_identity_result {
    SIM_IDENTITY_OK = 0,
    SIM_IDENTITY_ERR_IO,       // a file or directory could not be read, written or created
    SIM_IDENTITY_ERR_CRYPTO,   // OpenSSL failed to generate, sign or encode something
    SIM_IDENTITY_ERR_INVALID,  // bad arguments, or a file whose contents are unusable
};

// Makes sure tenant_dir (created with mode 0700, parents too, if missing) holds the tenant CA:
// ca.pem, a self-signed ECDSA P-256 CA certificate valid from a year before real time now to
// about ten years after it, and ca.key, its PKCS#8 private key with mode 0600. An existing CA is
// left untouched. Safe when several processes call it at once: exactly one creates the CA and
// the others use it.
// Returns ERR_IO if the directory or files cannot be created or read; ERR_INVALID if only one of
// the two files exists, either cannot be parsed, the key does not match the certificate, or the
// certificate is not a CA; ERR_CRYPTO if key generation or signing fails.
enum sim_identity_result sim_tenant_ca_ensure(const char *tenant_dir, char *err, size_t err_size);

// Reads device_dir/device_id into out_id, or, if the file does not exist, creates device_dir
// (mode 0700) if needed and writes 128 random lowercase hex digits plus a newline to it. Upper
// case digits in an existing file are accepted and returned in lower case, the form IoT Hub uses.
// Racing creators agree on one id. Returns ERR_INVALID if the file holds anything other than 128
// hex digits optionally followed by one newline; ERR_IO if it cannot be read or created.
enum sim_identity_result sim_device_id_ensure(const char *device_dir,
                                              char out_id[SIM_DEVICE_ID_LEN + 1], char *err,
                                              size_t err_size);

// Issues a client certificate for device_id signed by the tenant CA in tenant_dir: a fresh ECDSA
// P-256 key, subject CN = device_id, valid from device_now to device_now + validity_seconds
// (device clock), keyUsage digitalSignature, extendedKeyUsage clientAuth. out_path is replaced
// atomically (mode 0600) by PEM holding the certificate, the tenant CA certificate and the
// unencrypted PKCS#8 private key, so a TLS client can use the one path as both certificate and
// key file. device_id must be 1 to 128 characters from IoT Hub's device id alphabet (letters,
// digits and - . % _ * ? ! ( ) , : = @ $ '). Returns ERR_INVALID for a bad device_id, a
// non-positive or overflowing validity, or an unusable tenant CA; ERR_IO if the CA cannot be read
// or out_path cannot be written; ERR_CRYPTO if generating or signing fails.
enum sim_identity_result sim_device_cert_issue(const char *tenant_dir, const char *device_id,
                                               time_t device_now, long validity_seconds,
                                               const char *out_path, char *err, size_t err_size);

// The same, with notBefore backdate_seconds before device_now. The OS uses it while device time
// is accelerated: the device's clock then runs ahead of the host's, which TLS peers such as the
// local hub check certificates by, and the backdate brings notBefore back into the host's frame.
// Also ERR_INVALID for a negative backdate or one reaching before 1970.
enum sim_identity_result sim_device_cert_issue_backdated(
    const char *tenant_dir, const char *device_id, time_t device_now, long validity_seconds,
    long backdate_seconds, const char *out_path, char *err, size_t err_size);

// Reads the validity period (UTC, as time_t) and subject CN of the first certificate in path.
// Any of the outputs may be NULL. Returns ERR_IO if path cannot be opened; ERR_INVALID if it holds
// no PEM certificate, the certificate has no CN, or the CN does not fit in cn_size bytes.
enum sim_identity_result sim_device_cert_read(const char *path, time_t *out_not_before,
                                              time_t *out_not_after, char *out_cn, size_t cn_size,
                                              char *err, size_t err_size);

// Checks that the first certificate in path was issued by the tenant CA in tenant_dir, is valid
// for TLS client authentication, and that it and the CA are both within their validity at time
// `at` (device clock). Other certificates in path are ignored, so a chain carried in the file
// cannot vouch for itself. Returns ERR_INVALID with OpenSSL's verification error (such as
// "certificate has expired") when it does not verify; ERR_IO if a file cannot be opened.
enum sim_identity_result sim_device_cert_verify(const char *tenant_dir, const char *path, time_t at,
                                                char *err, size_t err_size);

#ifdef __cplusplus
}
#endif
