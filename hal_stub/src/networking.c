// SPDX-License-Identifier: MIT
// applibs networking. The simulated device has one interface, wlan0, whose state the OS owns
// (and `spheresim ctl net down|up` changes); every query asks the OS so the app sees changes as
// they happen. Configuration calls are checked by the OS against the manifest.
#define NETWORKING_STRUCTS_VERSION 1
#include <applibs/networking.h>

#include <errno.h>
#include <string.h>

#include "bus_client.h"

// Networking_IpConfig is opaque to apps; this is what hal_stub keeps inside it.
struct ip_config_state {
    uint64_t is_static;
    uint64_t address;
    uint64_t mask;
    uint64_t gateway;
    uint64_t initialised;
};
_Static_assert(sizeof(struct ip_config_state) <= sizeof(Networking_IpConfig),
               "IP configuration state must fit the public opaque struct");

static int status_request(const char *interface_name, struct devbus_msg *out_reply) {
    size_t len = interface_name != NULL ? strnlen(interface_name, IF_NAMESIZE) : 0;
    return halstub_bus_call(DEVBUS_OP_NETWORK_STATUS, NULL, interface_name, len, out_reply, NULL);
}

int Networking_IsNetworkingReady(bool *outIsNetworkingReady) {
    if (outIsNetworkingReady == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_msg reply;
    if (status_request(NULL, &reply) < 0) {
        return -1;
    }
    *outIsNetworkingReady = reply.arg[0] != 0;
    return 0;
}

ssize_t Networking_GetInterfaceCount(void) {
    struct devbus_msg reply;
    if (status_request(NULL, &reply) < 0) {
        return -1;
    }
    return reply.arg[3];
}

ssize_t Networking_GetInterfaces(Networking_NetworkInterface *outNetworkInterfacesArray,
                                 size_t networkInterfacesArrayCount) {
    if (outNetworkInterfacesArray == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (networkInterfacesArrayCount == 0) {
        // The array can't hold even one interface: the SDK documents ERANGE for this.
        errno = ERANGE;
        return -1;
    }
    struct devbus_msg reply;
    if (status_request("wlan0", &reply) < 0) {
        return -1;
    }
    Networking_NetworkInterface *wlan = &outNetworkInterfacesArray[0];
    memset(wlan, 0, sizeof(*wlan));
    wlan->isEnabled = reply.arg[2] != 0;
    memcpy(wlan->interfaceName, "wlan0", sizeof("wlan0"));
    wlan->ipConfigurationType = Networking_IpType_DhcpClient;
    wlan->interfaceMediumType = Networking_InterfaceMedium_Wifi;
    return 1;
}

int Networking_GetInterfaceConnectionStatus(const char *networkInterfaceName,
                                            Networking_InterfaceConnectionStatus *outStatus) {
    if (networkInterfaceName == NULL || outStatus == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_msg reply;
    if (status_request(networkInterfaceName, &reply) < 0) {
        return -1;
    }
    *outStatus = (Networking_InterfaceConnectionStatus)reply.arg[1];
    return 0;
}

int Networking_SetInterfaceState(const char *networkInterfaceName, bool isEnabled) {
    if (networkInterfaceName == NULL) {
        errno = EFAULT;
        return -1;
    }
    const int32_t args[4] = {isEnabled ? 1 : 0, 0, 0, 0};
    struct devbus_msg reply;
    size_t len = strnlen(networkInterfaceName, IF_NAMESIZE);
    return halstub_bus_call(DEVBUS_OP_NETWORK_SET_INTERFACE, args, networkInterfaceName, len,
                            &reply, NULL) < 0
               ? -1
               : 0;
}

void Networking_IpConfig_Init(Networking_IpConfig *ipConfig) {
    if (ipConfig == NULL) {
        return;
    }
    memset(ipConfig, 0, sizeof(*ipConfig));
    ((struct ip_config_state *)ipConfig)->initialised = 1;
}

void Networking_IpConfig_Destroy(Networking_IpConfig *ipConfig) {
    if (ipConfig != NULL) {
        memset(ipConfig, 0, sizeof(*ipConfig));
    }
}

void Networking_IpConfig_EnableDynamicIp(Networking_IpConfig *ipConfig) {
    if (ipConfig != NULL) {
        ((struct ip_config_state *)ipConfig)->is_static = 0;
    }
}

void Networking_IpConfig_EnableStaticIp(Networking_IpConfig *ipConfig, struct in_addr ipAddress,
                                        struct in_addr subnetMask, struct in_addr gatewayAddress) {
    if (ipConfig == NULL) {
        return;
    }
    struct ip_config_state *state = (struct ip_config_state *)ipConfig;
    state->is_static = 1;
    state->address = ipAddress.s_addr;
    state->mask = subnetMask.s_addr;
    state->gateway = gatewayAddress.s_addr;
}

int Networking_IpConfig_Apply(const char *networkInterfaceName,
                              const Networking_IpConfig *ipConfig) {
    if (networkInterfaceName == NULL || ipConfig == NULL) {
        errno = EFAULT;
        return -1;
    }
    const struct ip_config_state *state = (const struct ip_config_state *)ipConfig;
    const int32_t args[4] = {state->is_static != 0 ? 1 : 0, 0, 0, 0};
    struct devbus_msg reply;
    size_t len = strnlen(networkInterfaceName, IF_NAMESIZE);
    return halstub_bus_call(DEVBUS_OP_NETWORK_IPCONFIG_APPLY, args, networkInterfaceName, len,
                            &reply, NULL) < 0
               ? -1
               : 0;
}

int Networking_TimeSync_SetEnabled(bool enabled) {
    const int32_t args[4] = {enabled ? 1 : 0, 0, 0, 0};
    struct devbus_msg reply;
    return halstub_bus_call(DEVBUS_OP_TIMESYNC_SET, args, NULL, 0, &reply, NULL) < 0 ? -1 : 0;
}

int Networking_TimeSync_GetEnabled(bool *outIsEnabled) {
    if (outIsEnabled == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_TIMESYNC_GET, NULL, NULL, 0, &reply, NULL) < 0) {
        return -1;
    }
    *outIsEnabled = reply.arg[0] != 0;
    return 0;
}
