// SPDX-License-Identifier: MIT
// Version 1 of the Networking structs, for spheresim's Linux backend. Apps do not include this
// directly: applibs/networking.h pulls it in and maps the unversioned names onto these
// according to NETWORKING_STRUCTS_VERSION. Layouts match the Azure Sphere SDK's.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/ip.h>

#ifdef __cplusplus
extern "C" {
#endif

/// How an interface obtains its IP address.
typedef enum {
    /// No DHCP client: a static address has to be configured and applied.
    Networking_IpType_DhcpNone = 0,
    /// A DHCP client assigns the address.
    Networking_IpType_DhcpClient = 1
} Networking_IpType;

/// Storage type for a Networking_IpType.
typedef uint8_t Networking_IpType_Type;

/// Physical network technology of an interface.
typedef enum {
    /// Not known.
    Networking_InterfaceMedium_Unspecified = 0,
    /// Wi-Fi.
    Networking_InterfaceMedium_Wifi = 1,
    /// Ethernet.
    Networking_InterfaceMedium_Ethernet = 2
} Networking_InterfaceMedium;

/// Storage type for a Networking_InterfaceMedium.
typedef uint8_t Networking_InterfaceMedium_Type;

/// Properties of one network interface (version 1). Use it through the
/// Networking_NetworkInterface alias.
struct z__Networking_NetworkInterface_v1 {
    /// Identifies the struct version; filled in by the library.
    uint32_t z__magicAndVersion;
    /// Whether the interface is enabled.
    bool isEnabled;
    /// NUL-terminated interface name, e.g. "wlan0".
    char interfaceName[IF_NAMESIZE];
    /// Reserved.
    uint32_t reserved;
    /// A Networking_IpType value.
    Networking_IpType_Type ipConfigurationType;
    /// A Networking_InterfaceMedium value.
    Networking_InterfaceMedium_Type interfaceMediumType;
};

/// Opaque IP configuration; manipulate it only through the Networking_IpConfig_* functions.
typedef struct Networking_IpConfig {
    uint64_t reserved[5];
} Networking_IpConfig;

/// Opaque SNTP server configuration.
typedef struct Networking_SntpServerConfig {
    uint64_t reserved[3];
} Networking_SntpServerConfig;

/// Opaque DHCP server configuration.
typedef struct Networking_DhcpServerConfig {
    uint64_t reserved[8];
} Networking_DhcpServerConfig;

#ifdef __cplusplus
}
#endif
