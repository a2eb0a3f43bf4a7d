// SPDX-License-Identifier: MIT
// applibs/application.h for spheresim's Linux backend: talking to a partner real-time app and
// checking whether device authentication is ready. Permissions come from the app manifest
// (AllowedApplicationConnections).
#pragma once

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opens a connected, message-oriented socket to the real-time app with the given component ID
/// (e.g. "01234567-89ab-cdef-0123-456789abcdef"); use send()/recv() on it. Both apps' manifests
/// must list each other in AllowedApplicationConnections.
/// Returns the socket descriptor; on failure -1 with errno set:
///   EINVAL  componentId is not a valid component ID.
///   EACCES  componentId is not listed in AllowedApplicationConnections.
/// Other errno values are possible and not guaranteed to stay the same.
int Application_Connect(const char *componentId);

/// Sets *outIsDeviceAuthReady to true once the device's authentication certificate can be used
/// to authenticate with a service, false until then.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outIsDeviceAuthReady is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady);

#ifdef __cplusplus
}
#endif
