// SPDX-License-Identifier: MIT
// The OS side of the app's outbound networking on the device bus: name lookups, real-DNS reports
// and connection requests (DEVBUS_OP_NET_*), decided by the device's net_policy. Every refusal
// is logged, and every connection attempt counts in the least-privilege report as a use or a
// denial of AllowedConnections.
#pragma once

#include "devbus.h"
#include "os/device.h"

// True when the app has a network to use: wlan0 enabled and the link up. (Networking_Is-
// NetworkingReady also wants time synced; sockets do not.)
bool sim_net_available(const struct sim_device *device);

// Decides one DEVBUS_OP_NET_* request into reply (whose header the caller has filled).
void sim_net_handle(struct sim_device *device, const struct devbus_msg *request,
                    struct devbus_msg *reply);
