// SPDX-License-Identifier: MIT
// Remembers which descriptors the OS handed out as peripheral channels, so that a GPIO call on
// any other descriptor fails with EBADF as on the device. A descriptor is identified by its
// inode too: after the app closes it and the number is reused, the old entry no longer matches.
#pragma once

#include <stdbool.h>

enum halstub_peripheral_kind { HALSTUB_PERIPHERAL_GPIO = 1 };

// Records fd as a channel of the given kind. Returns 0, or -1 with errno from fstat.
int halstub_peripheral_fd_add(int fd, enum halstub_peripheral_kind kind);

// True when fd is open and is the same channel that was recorded with this kind.
bool halstub_peripheral_fd_is(int fd, enum halstub_peripheral_kind kind);
