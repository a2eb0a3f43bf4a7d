// SPDX-License-Identifier: MIT
// applibs/adc.h for spheresim's Linux backend: analog-to-digital converters. Which controllers
// an app may open is decided by the Adc list of its app manifest. An open controller is a real
// file descriptor; release it with close(). Different channels may be used from different
// threads at once; the caller serialises use of the same channel.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Identifies an ADC controller, counting from 0.
typedef uint32_t ADC_ControllerId;

/// Identifies one input of an ADC controller (one pin), usually counting from 0.
typedef uint32_t ADC_ChannelId;

/// Opens an ADC controller.
/// Returns the controller's descriptor; on failure -1 with errno set:
///   EACCES  the controller is not listed in the manifest's Adc capability.
///   ENODEV  id does not name an ADC controller of this device.
///   EBUSY   the controller is already open.
/// Other errno values are possible and not guaranteed to stay the same.
int ADC_Open(ADC_ControllerId id);

/// Returns how many bits of a sample from ADC_Poll are valid (12 on the MT3620: samples from 0
/// to 4095); on failure -1 with errno set:
///   EBADF   fd is not an open ADC descriptor.
///   EINVAL  the controller has no such channel.
/// Other errno values are possible and not guaranteed to stay the same.
int ADC_GetSampleBitCount(int fd, ADC_ChannelId channel);

/// Tells the controller which reference voltage is applied to it: the input voltage that reads
/// as the largest sample. With 12 bits and 2.5 V, an input of 1.25 V reads near 2047. The
/// device may map the value to the nearest reference it supports.
/// Returns 0 on success; -1 with errno set on failure:
///   EINVAL  the voltage is outside what the hardware supports, or the channel does not exist.
///   EBADF   fd is not an open ADC descriptor.
/// Other errno values are possible and not guaranteed to stay the same.
int ADC_SetReferenceVoltage(int fd, ADC_ChannelId channel, float referenceVoltage);

/// Takes one sample of the channel into *outSampleValue.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outSampleValue is NULL.
///   EBADF   fd is not an open ADC descriptor.
///   EINVAL  the controller has no such channel.
///   EACCES  the controller is not listed in the manifest's Adc capability.
/// Other errno values are possible and not guaranteed to stay the same.
int ADC_Poll(int fd, ADC_ChannelId channel, uint32_t *outSampleValue);

#ifdef __cplusplus
}
#endif
