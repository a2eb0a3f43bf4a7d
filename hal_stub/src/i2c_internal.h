// SPDX-License-Identifier: MIT
// What the I2C API (i2c.c) and POSIX read/write on I2C descriptors (i2c_posix.c) share.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

// One bus transaction on the I2C channel fd: writes write_len bytes to the target at address
// (or, with to_default, to the default target), then reads up to read_len bytes.
// write_data and read_data may be NULL only with a length of 0. Stores the bytes written and
// read in *out_written and *out_read (either may be NULL). Returns 0, or -1 with errno set:
// EFAULT, EINVAL (a length above DEVBUS_I2C_MAX_TRANSFER), EBADF, or the bus's errno (ENXIO,
// ETIMEDOUT, EBUSY, EINVAL).
int halstub_i2c_transfer(int fd, bool to_default, uint32_t address, const uint8_t *write_data,
                         size_t write_len, uint8_t *read_data, size_t read_len, size_t *out_written,
                         size_t *out_read);

// Notes that fd is an I2C channel, so read() and write() on it become I2C transfers.
void halstub_i2c_posix_track(int fd);
