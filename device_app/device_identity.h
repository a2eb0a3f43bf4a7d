// SPDX-License-Identifier: MIT
// The device's identity as IoT Hub and DPS see it: the common name of the device certificate
// that DeviceAuth_GetCertificatePath names. On Azure Sphere that is the DAA certificate, whose
// CN is the device id, and the samples register the device in IoT Hub under that id; the MQTT
// client id, the username and the DPS registration id all come from it.
//
// The OS renews the certificate (it is valid for 24 hours), so the file is checked again before
// every connection attempt; a change of contents is reported so the caller can log it, and the
// next TLS handshake presents the new certificate.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/// IoT Hub device ids are at most 128 characters.
#define DEVICE_IDENTITY_MAX_ID_LENGTH 128
/// A certificate file larger than this is refused (the simulated one is about 2 KiB; a DAA
/// certificate with its chain a little more).
#define DEVICE_IDENTITY_MAX_FILE_SIZE (32 * 1024)
#define DEVICE_IDENTITY_ERROR_SIZE 160

typedef enum {
    DeviceIdentity_Result_Ok = 0,
    /// Ok, and the file differs from what the previous successful load saw.
    DeviceIdentity_Result_Changed,
    /// The file cannot be read (not issued yet, or removed); errno-based reason in error.
    DeviceIdentity_Result_Unavailable,
    /// The file is not a PEM certificate with exactly one usable CN.
    DeviceIdentity_Result_Invalid,
    DeviceIdentity_Result_InvalidArgument,
} DeviceIdentity_Result;

typedef struct {
    bool loaded;
    char deviceId[DEVICE_IDENTITY_MAX_ID_LENGTH + 1];
    uint32_t contentCrc;
    size_t contentLength;
} DeviceIdentity;

/// Reads the first certificate in the PEM file at path and takes its subject CN as the device
/// id, which must be 1..128 characters of IoT Hub's device id alphabet.
/// Returns Ok or Changed with identity updated; Unavailable, Invalid or InvalidArgument with a
/// one-line reason in error (DEVICE_IDENTITY_ERROR_SIZE bytes) and identity unchanged.
DeviceIdentity_Result DeviceIdentity_Load(DeviceIdentity *identity, const char *path, char *error,
                                          size_t errorSize);
