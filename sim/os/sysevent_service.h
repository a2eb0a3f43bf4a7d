// SPDX-License-Identifier: MIT
// The OS's side of system events: sending one status change to the app that registered for it,
// on the channel the bus server handed out. The update agent (a later addition) drives this.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "os/device.h"

struct sim_sysevent {
    uint32_t event;   // one SysEvent_Events flag
    uint32_t status;  // SysEvent_Status
    uint32_t update_type;
    uint32_t max_deferral_minutes;
};

// Delivers the event if the app has registered for it. Returns true when it was sent, false
// when nobody is registered for that event or the channel is gone (the app then misses it, as an
// app that isn't running misses it on the device).
bool sim_sysevent_deliver(struct sim_device *device, const struct sim_sysevent *event);
