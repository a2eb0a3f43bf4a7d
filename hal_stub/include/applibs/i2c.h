// SPDX-License-Identifier: MIT
// applibs/i2c.h for spheresim's Linux backend: I2C master interfaces (the MT3620's ISUs used as
// I2C). Which interfaces an app may open is decided by the I2cMaster list of its app manifest.
// An open interface is a real file descriptor; release it with close(). After
// I2CMaster_SetDefaultTargetAddress, POSIX read() and write() on the descriptor also reach that
// target, as on the device.
//
// The SDK's documentation asks apps to define I2C_STRUCTS_VERSION (as 1) before including this
// header. No type in this API depends on it, so it is neither required nor checked here.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Standard mode: 100 kHz.
#define I2C_BUS_SPEED_STANDARD 100000
/// Fast mode: 400 kHz.
#define I2C_BUS_SPEED_FAST 400000
/// Fast mode plus: 1 MHz.
#define I2C_BUS_SPEED_FAST_PLUS 1000000
/// High-speed mode: 3.4 MHz (the MT3620 does not support it).
#define I2C_BUS_SPEED_HIGH 3400000

/// Identifies an I2C master interface (its number in the board's hardware definition).
typedef int I2C_InterfaceId;

/// The address of a target device on the bus: the plain 7-bit (or 10-bit) address, without a
/// read/write bit. The MT3620 supports 7-bit addresses only.
typedef uint32_t I2C_DeviceAddress;

/// Opens an I2C master interface for this app's exclusive use.
/// Returns the interface's descriptor; on failure -1 with errno set:
///   EACCES  the interface is not listed in the manifest's I2cMaster capability.
///   ENODEV  id does not name an I2C interface of this device.
///   EBUSY   the interface is already open.
/// Other errno values are possible and not guaranteed to stay the same.
int I2CMaster_Open(I2C_InterfaceId id);

/// Sets the bus clock of an open interface, in Hz. Not every speed is supported by every
/// device.
/// Returns 0 on success; -1 with errno set on failure:
///   EBADF   fd is not an open I2C descriptor.
///   EINVAL  the device does not support the speed.
/// Other errno values are possible and not guaranteed to stay the same.
int I2CMaster_SetBusSpeed(int fd, uint32_t speedInHz);

/// Sets how long a transfer on the interface may take, in milliseconds; the device may round
/// the value to one it supports.
/// Returns 0 on success; -1 with errno set on failure:
///   EBADF   fd is not an open I2C descriptor.
/// Other errno values are possible and not guaranteed to stay the same.
int I2CMaster_SetTimeout(int fd, uint32_t timeoutInMs);

/// Reads up to maxLength bytes from the target at address into buffer (which may be NULL when
/// maxLength is 0); read(2) with an explicit target.
/// Returns the number of bytes read (a short or empty read is a success); on failure -1 with
/// errno set:
///   EBUSY      the bus is busy, or the clock line is held low.
///   ENXIO      the target did not acknowledge.
///   ETIMEDOUT  the transfer did not finish within the timeout (see I2CMaster_SetTimeout).
///   EBADF      fd is not an open I2C descriptor.
///   EFAULT     buffer is NULL and maxLength is not 0.
///   EINVAL     the address or the length is not supported.
/// Other errno values are possible and not guaranteed to stay the same.
ssize_t I2CMaster_Read(int fd, I2C_DeviceAddress address, uint8_t *buffer, size_t maxLength);

/// Writes length bytes of data (which may be NULL when length is 0) to the target at address;
/// write(2) with an explicit target.
/// Returns the number of bytes written (a short or empty write is a success); on failure -1
/// with errno set as for I2CMaster_Read.
ssize_t I2CMaster_Write(int fd, I2C_DeviceAddress address, const uint8_t *data, size_t length);

/// Writes lenWriteData bytes to the target at address and then, after a repeated start and in
/// the same bus transaction, reads up to lenReadData bytes back into readData.
/// Returns the number of bytes written plus the number read (a partial transfer is a
/// success); on failure -1 with errno set as for I2CMaster_Read.
ssize_t I2CMaster_WriteThenRead(int fd, I2C_DeviceAddress address, const uint8_t *writeData,
                                size_t lenWriteData, uint8_t *readData, size_t lenReadData);

/// Chooses the target that read(2) and write(2) on the descriptor address. It does not change
/// the other I2CMaster_ functions, which name their target, and it does not check that a
/// device answers at the address.
/// Returns 0 on success; -1 with errno set on failure:
///   EBADF   fd is not an open I2C descriptor.
///   EINVAL  the address is not one the device supports.
/// Other errno values are possible and not guaranteed to stay the same.
int I2CMaster_SetDefaultTargetAddress(int fd, I2C_DeviceAddress address);

#ifdef __cplusplus
}
#endif
