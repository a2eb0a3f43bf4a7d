// SPDX-License-Identifier: MIT
// The device certificate's upkeep inside the OS's main loop (the public rotation request is
// sim_supervisor_rotate_cert in supervisor.h).
#pragma once

#include "os/supervisor.h"

// Reads the device certificate and issues a new one when it is missing, invalid by the device
// clock or due for renewal (online and time-synced only), then sets cert_ready and schedules
// the next check.
void sim_supervisor_ensure_identity(struct sim_supervisor *s);
