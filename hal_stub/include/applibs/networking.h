// SPDX-License-Identifier: MIT
// applibs/networking.h for spheresim's Linux backend: network readiness, the list of network
// interfaces and their connection status, and (with the NetworkConfig / TimeSyncConfig
// capabilities) interface and time-sync configuration. In the simulator the answers come from
// the simulated OS's network model. Not thread-safe.
//
// The struct version is chosen with NETWORKING_STRUCTS_VERSION, normally defined in the app's
// applibs_versions.h before this header is included. As in the Azure Sphere SDK, it defaults to
// 1 when not defined; 1 is the only supported version.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <netinet/in.h>

#include <applibs/networking_structs_v1.h>

#ifndef NETWORKING_STRUCTS_VERSION
#define NETWORKING_STRUCTS_VERSION 1
#endif

#if NETWORKING_STRUCTS_VERSION == 1
/// The current struct version's interface description.
typedef struct z__Networking_NetworkInterface_v1 Networking_NetworkInterface;
#else
#error "NETWORKING_STRUCTS_VERSION has an unsupported value; only 1 is supported."
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Connection state of one interface, as a bitmask.
typedef uint32_t Networking_InterfaceConnectionStatus;
enum {
    /// The interface is enabled.
    Networking_InterfaceConnectionStatus_InterfaceUp = 1 << 0,
    /// The interface is attached to a network (access point or router).
    Networking_InterfaceConnectionStatus_ConnectedToNetwork = 1 << 1,
    /// The interface has an IP address.
    Networking_InterfaceConnectionStatus_IpAvailable = 1 << 2,
    /// The interface reaches the internet.
    Networking_InterfaceConnectionStatus_ConnectedToInternet = 1 << 3
};

/// Sets *outIsNetworkingReady to true when an interface is enabled, attached to a network and
/// has an IP address, and the device clock has been synchronised; false otherwise.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outIsNetworkingReady is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_IsNetworkingReady(bool *outIsNetworkingReady);

/// Returns how many network interfaces the device has; on failure -1 with errno set:
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
ssize_t Networking_GetInterfaceCount(void);

/// Fills outNetworkInterfacesArray with up to networkInterfacesArrayCount interface
/// descriptions. The set of interfaces does not change until the next boot.
/// Returns the number of entries written; on failure -1 with errno set:
///   EFAULT  outNetworkInterfacesArray is NULL.
///   ERANGE  networkInterfacesArrayCount is 0.
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
ssize_t Networking_GetInterfaces(Networking_NetworkInterface *outNetworkInterfacesArray,
                                 size_t networkInterfacesArrayCount);

/// Stores the connection state of the named interface in *outStatus.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outStatus is NULL.
///   ENOENT  no interface has that name.
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_GetInterfaceConnectionStatus(const char *networkInterfaceName,
                                            Networking_InterfaceConnectionStatus *outStatus);

/// Enables or disables an interface. Needs the NetworkConfig capability.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks NetworkConfig.
///   ENOENT  no interface has that name.
///   EPERM   the operation is not allowed on this interface.
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_SetInterfaceState(const char *networkInterfaceName, bool isEnabled);

/// Initialises ipConfig to the default configuration (dynamic IP). Every initialised struct
/// must later be passed to Networking_IpConfig_Destroy.
void Networking_IpConfig_Init(Networking_IpConfig *ipConfig);

/// Releases what Networking_IpConfig_Init acquired. ipConfig must be initialised again before
/// any further use.
void Networking_IpConfig_Destroy(Networking_IpConfig *ipConfig);

/// Switches ipConfig to dynamic addressing (DHCP client).
void Networking_IpConfig_EnableDynamicIp(Networking_IpConfig *ipConfig);

/// Switches ipConfig to the given static address, subnet mask and gateway.
void Networking_IpConfig_EnableStaticIp(Networking_IpConfig *ipConfig, struct in_addr ipAddress,
                                        struct in_addr subnetMask, struct in_addr gatewayAddress);

/// Applies ipConfig to the named interface. Needs the NetworkConfig capability.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks NetworkConfig.
///   ENOENT  no interface has that name.
///   EPERM   the operation is not allowed on this interface.
///   EFAULT  networkInterfaceName or ipConfig is NULL.
///   EAGAIN  the networking stack is not ready yet.
///   EFBIG   no space left to store the configuration.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_IpConfig_Apply(const char *networkInterfaceName,
                              const Networking_IpConfig *ipConfig);

/// Turns the time-sync service on or off, immediately and persistently across reboots.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks TimeSyncConfig.
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_TimeSync_SetEnabled(bool enabled);

/// Stores in *outIsEnabled whether the time-sync service is on.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outIsEnabled is NULL.
///   EAGAIN  the networking stack is not ready yet.
/// Other errno values are possible and not guaranteed to stay the same.
int Networking_TimeSync_GetEnabled(bool *outIsEnabled);

#ifdef __cplusplus
}
#endif
