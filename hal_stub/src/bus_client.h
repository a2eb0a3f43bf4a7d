// SPDX-License-Identifier: MIT
// hal_stub's connection to the simulated OS: one blocking request/reply over the device bus.
// Every privileged applibs call goes through halstub_bus_call so the OS, not the app, decides.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devbus.h"

// Sends `op` with up to four integer arguments and optional data, waits for the OS's reply and
// stores it in *out_reply. If the reply carries a descriptor it is stored in *out_fd (which may
// be NULL when the caller expects none; a stray descriptor is then closed).
// Returns the reply's result (0 or a non-negative value), or -1 with errno set: the OS's errno
// for a refused request, EIO when the app is not running under spheresim or the bus broke.
int halstub_bus_call(uint16_t op, const int32_t args[4], const void *data, size_t len,
                     struct devbus_msg *out_reply, int *out_fd);

// The image package root the OS reported at start-up, or NULL when not known (errno EIO).
const char *halstub_bus_package_root(void);
