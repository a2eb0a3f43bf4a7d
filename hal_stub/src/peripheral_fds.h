// SPDX-License-Identifier: MIT
// Peripheral channels on the app side. Opening a GPIO, I2C interface or ADC controller asks the
// OS over the bus, which hands back one end of a channel; this module remembers which
// descriptors are such channels, so that a call on any other descriptor fails with EBADF as on
// the device, and carries one request/reply exchange over a channel. A descriptor is identified
// by its inode too: after the app closes it and the number is reused, the old entry no longer
// matches.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum halstub_peripheral_kind {
    HALSTUB_PERIPHERAL_GPIO = 1,
    HALSTUB_PERIPHERAL_I2C,
    HALSTUB_PERIPHERAL_ADC,
};

// Sends the open request `op` with its arguments over the bus and records the channel the OS
// returns as `kind`. Returns the descriptor, or -1 with errno set: the OS's errno for a refused
// request, EIO when no channel came back, EMFILE when the table is full.
int halstub_peripheral_open(uint16_t op, const int32_t args[4], enum halstub_peripheral_kind kind);

// Records fd as a channel of the given kind. Returns 0, or -1 with errno from fstat.
int halstub_peripheral_fd_add(int fd, enum halstub_peripheral_kind kind);

// True when fd is open and is the same channel that was recorded with this kind.
bool halstub_peripheral_fd_is(int fd, enum halstub_peripheral_kind kind);

// Sends request_len bytes of request on the channel fd (which must be of this kind) and
// receives the reply into reply (at most reply_size bytes). Returns the reply's length, or -1
// with errno set: EBADF (not a channel of this kind), EIO (the channel broke or the reply is
// shorter than min_reply).
ssize_t halstub_peripheral_exchange(int fd, enum halstub_peripheral_kind kind, const void *request,
                                    size_t request_len, void *reply, size_t reply_size,
                                    size_t min_reply);
