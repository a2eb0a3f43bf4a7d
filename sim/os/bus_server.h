// SPDX-License-Identifier: MIT
// The OS side of the device bus: decides each request the app makes, against the manifest, the
// board and the device's state, and records every use and denial for the least-privilege report.
#pragma once

#include "devbus.h"
#include "os/device.h"

// Decides one request and fills *out_reply (result, err, args, data). When the reply must carry a
// descriptor it is stored in *out_fd (else -1); the caller sends it and then closes its copy.
void sim_bus_handle(struct sim_device *device, const struct devbus_msg *request,
                    struct devbus_msg *out_reply, int *out_fd);
