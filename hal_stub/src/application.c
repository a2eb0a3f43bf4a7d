// SPDX-License-Identifier: MIT
// applibs application.h: device-auth readiness comes from the OS (network up and certificate
// issued). Connections to real-time apps are checked against AllowedApplicationConnections by
// the OS; no real-time cores are simulated, so an allowed connection finds no partner.
#include <applibs/application.h>

#include <errno.h>
#include <string.h>

#include "bus_client.h"

int Application_IsDeviceAuthReady(bool *outIsDeviceAuthReady) {
    if (outIsDeviceAuthReady == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_DEVICEAUTH_STATUS, NULL, NULL, 0, &reply, NULL) < 0) {
        return -1;
    }
    *outIsDeviceAuthReady = reply.arg[0] != 0;
    return 0;
}

int Application_Connect(const char *componentId) {
    if (componentId == NULL) {
        errno = EFAULT;
        return -1;
    }
    size_t len = strnlen(componentId, 64);
    if (len != 36) {
        errno = EINVAL;
        return -1;
    }
    struct devbus_msg reply;
    int fd = -1;
    if (halstub_bus_call(DEVBUS_OP_APP_CONNECT, NULL, componentId, len, &reply, &fd) < 0) {
        return -1;
    }
    return fd;
}
