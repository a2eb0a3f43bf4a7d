// SPDX-License-Identifier: MIT
// The TLS side of the app's MQTT connections, kept apart from the MQTT side (mqtt_client.c) so
// that everything tied to one TLS library sits in one file.
//
// The app has 256 KiB of user-mode memory on an MT3620, and OpenSSL 3 as the host build uses it
// would take most of that on its own: on first use it builds and caches a method object for
// every algorithm of its default provider - 124 ciphers, 115 encoders, 40 decoders and so on -
// although a TLS client needs a handful. MqttTls_InitLibrary therefore puts a small provider of
// our own in front of the default one that offers only what a TLS 1.2/1.3 client with ECDHE,
// AES-GCM or ChaCha20-Poly1305 and RSA or ECDSA certificates uses. Nothing about verification
// changes: the server's chain is checked against the trusted CAs, its name against the host
// name, and nothing older than TLS 1.2 is accepted.
//
// On the device the TLS library is a different one (libmosquitto built against wolfSSL's
// OpenSSL-compatible API, see docs/real-iot-hub.md) without OpenSSL 3's providers; there the
// library set-up only turns off what is not needed and the context is built the same way.
#pragma once

#include <stdbool.h>
#include <stddef.h>

/// Sets up the TLS library for the app. Call once at start-up, before any other TLS or
/// libmosquitto call (mosquitto_lib_init included), so that nothing has loaded the full set of
/// algorithms yet. When the small provider cannot be set up it logs a warning and leaves the
/// library's defaults, which work the same and use more memory.
void MqttTls_InitLibrary(void);

/// Returns a new TLS client context (an OpenSSL-API SSL_CTX *) that verifies the server
/// against the CA certificates in the PEM file caPath and against host, accepts TLS 1.2 and
/// later only, and carries the client certificate that configureClientCertificate installs.
/// Returns NULL, with a reason in error, when any of that fails.
void *MqttTls_CreateClientContext(const char *host, const char *caPath,
                                  bool (*configureClientCertificate)(void *sslContext, char *error,
                                                                     size_t errorSize),
                                  char *error, size_t errorSize);

/// Releases a context from MqttTls_CreateClientContext (NULL is ignored).
void MqttTls_FreeClientContext(void *sslContext);
