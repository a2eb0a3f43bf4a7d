// SPDX-License-Identifier: MIT
// Small derived facts about a device; see device.h.
#include "os/device.h"

#include <stdio.h>

bool sim_device_networking_ready(const struct sim_device *device) {
    const struct sim_network *net = &device->network;
    return net->interface_enabled && net->link_up && net->time_synced;
}

int sim_device_path(const struct sim_device *device, const char *relative, char *out,
                    size_t out_size) {
    int n = snprintf(out, out_size, "%s/%s", device->dir, relative);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}
