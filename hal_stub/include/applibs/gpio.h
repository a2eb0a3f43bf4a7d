// SPDX-License-Identifier: MIT
// applibs/gpio.h for spheresim's Linux backend: general-purpose I/O pins. Which pins an app
// may open is decided by the Gpio list of its app manifest. An opened pin is a real file
// descriptor; release it with close(). Different pins may be used from different threads at
// once; the caller serialises use of the same pin.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Identifies a GPIO (its number on the board's hardware definition).
typedef int GPIO_Id;

/// Storage type for a GPIO_Value.
typedef uint8_t GPIO_Value_Type;

/// Logic level of a pin.
typedef enum {
    /// Logic 0.
    GPIO_Value_Low = 0,
    /// Logic 1.
    GPIO_Value_High = 1
} GPIO_Value;

/// Storage type for a GPIO_OutputMode.
typedef uint8_t GPIO_OutputMode_Type;

/// Electrical drive mode of an output pin.
typedef enum {
    /// Drives both high and low.
    GPIO_OutputMode_PushPull = 0,
    /// Drives low only; high is left floating.
    GPIO_OutputMode_OpenDrain = 1,
    /// Drives high only; low is left floating.
    GPIO_OutputMode_OpenSource = 2
} GPIO_OutputMode;

/// Opens a pin for reading. GPIO_SetValue on the result has no effect.
/// Returns the pin's descriptor; on failure -1 with errno set:
///   EACCES  the pin is not listed in the manifest's Gpio capability.
///   ENODEV  gpioId does not name a pin.
///   EBUSY   the pin is already open.
/// Other errno values are possible and not guaranteed to stay the same.
int GPIO_OpenAsInput(GPIO_Id gpioId);

/// Opens a pin for driving, with the given drive mode and starting level. GPIO_GetValue also
/// works on the result and reads the pin's actual level.
/// Returns the pin's descriptor; on failure -1 with errno set:
///   EACCES  the pin is not listed in the manifest's Gpio capability.
///   EBUSY   the pin is already open.
///   ENODEV  gpioId does not name a pin.
///   EINVAL  outputMode is not a GPIO_OutputMode, or initialValue is not a GPIO_Value.
/// Other errno values are possible and not guaranteed to stay the same.
int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode,
                      GPIO_Value_Type initialValue);

/// Reads the current level of an open pin into *outValue.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outValue is NULL.
///   EBADF   gpioFd is not an open GPIO descriptor.
/// Other errno values are possible and not guaranteed to stay the same.
int GPIO_GetValue(int gpioFd, GPIO_Value_Type *outValue);

/// Sets the level of a pin opened as an output (no effect on an input).
/// Returns 0 on success; -1 with errno set on failure:
///   EINVAL  value is not a GPIO_Value.
///   EBADF   gpioFd is not an open GPIO descriptor.
/// Other errno values are possible and not guaranteed to stay the same.
int GPIO_SetValue(int gpioFd, GPIO_Value_Type value);

#ifdef __cplusplus
}
#endif
