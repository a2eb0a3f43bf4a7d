// SPDX-License-Identifier: MIT
// `spheresim run --hub local|HOSTNAME`: connects the simulated device's network to an IoT Hub.
#pragma once

#include "os/device.h"

// The package-relative path where `--hub local` puts the local hub's CA certificate, for the
// app to trust (Storage_GetAbsolutePathInImagePackage).
#define SIM_RUN_HUB_CA_PATH "certs/spheresim-hub-ca.pem"
#define SIM_RUN_HUB_MQTT_PORT 8883

// True for "local" or a plausible host name (what --hub accepts).
bool sim_run_hub_valid(const char *hub);

// With hub "local": makes sure the local hub in hub_state_dir (NULL: <home>/hub) runs, starting
// it if needed (it keeps running after the device stops); registers the device there as an
// X.509 device; maps <hub>.azure-devices.net and the DPS host, port 8883, to the hub's MQTT port;
// and installs the package as a view under the device directory with the hub's CA added. With a
// host name: lets the app resolve names with real DNS (AllowedConnections still applies).
// Logs what it did. Returns 0, or spheresim's exit status after reporting the problem.
int sim_run_hub_prepare(struct sim_device *device, const char *home, const char *hub,
                        const char *hub_state_dir);
