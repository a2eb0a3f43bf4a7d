// SPDX-License-Identifier: MIT
// The probe's MQTT mode: one IoT Hub device session over TLS with libmosquitto, the way a cloud
// client on the device makes it, so tests can check name mapping, TLS server verification and
// X.509 device authentication against the local hub end to end.
#pragma once

// Connects to target ("HOST:PORT") as the device (client id and user from the CN of
// DeviceAuth_GetCertificatePath(), the same file as client certificate and key), trusting the CA
// at the package-relative path caPath; publishes one QoS 1 telemetry message and waits for its
// PUBACK. Logs "PROBE mqtt-connect error <reason>" (TCP, TLS or no CONNACK) or
// "PROBE mqtt-connack <code>", then "PROBE mqtt-puback ok|timeout" after CONNACK 0, and
// "PROBE mqtt-done" last.
void ProbeMqtt_Run(const char *target, const char *caPath);
