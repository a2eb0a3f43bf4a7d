// SPDX-License-Identifier: MIT
// One simulated device: where its state lives, the app it runs, its board, network, identity and
// the requests its app has made. The supervisor owns it; the bus server decides requests on it.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "board/rdb_board.h"
#include "os/capability_audit.h"
#include "os/device_clock.h"
#include "os/device_log.h"
#include "os/dns_fault.h"
#include "os/fault_page.h"
#include "os/identity.h"
#include "os/manifest.h"
#include "os/net_policy.h"

struct sim_network {
    bool link_up;              // the access point is reachable (`ctl net down|up`)
    bool interface_enabled;    // Networking_SetInterfaceState
    bool time_synced;          // set once the link has come up after boot
    bool time_sync_enabled;    // Networking_TimeSync_SetEnabled
    bool time_server_down;     // the time server does not answer (`ctl time-sync unsynced`)
    struct sim_dns_fault dns;  // the DNS server does not answer (`ctl dns fail`)
};

enum sim_power_request { SIM_POWER_NONE = 0, SIM_POWER_REBOOT, SIM_POWER_DOWN };

struct sim_device {
    char dir[PATH_MAX];          // the device's state directory
    char tenant_dir[PATH_MAX];   // the simulated tenant CA
    char package_dir[PATH_MAX];  // the installed image package (app root)
    char executable[PATH_MAX];   // the app binary inside it
    char manifest_path[PATH_MAX];
    struct sim_manifest manifest;
    char device_id[SIM_DEVICE_ID_LEN + 1];
    char cert_path[PATH_MAX];
    bool cert_ready;
    long cert_validity_s;  // what the OS last issued the certificate for; 0 before it issued one
    struct sim_board board;
    struct sim_network network;
    struct sim_net_policy net;  // host map and AllowedConnections decisions (net_policy.h)
    struct sim_clock clock;
    struct sim_device_log log;
    struct sim_capability_audit audit;
    int power_profile;  // PowerManagement_System_PowerProfile; not kept across reboots
    int sysevent_fd;    // OS end of the app's system-event channel, -1 when none
    uint32_t sysevent_mask;
    enum sim_power_request power_request;  // set by the bus server, acted on by the supervisor
    unsigned power_down_seconds;
    bool debug;                       // log every bus request
    struct sim_update_agent *update;  // the update agent (update_agent.h); NULL: none
    struct sim_net_proxy *proxy;      // the fault proxy (device_proxy.h); NULL: direct connections
    struct sim_fault_page faults;     // faults the app's side applies (`ctl storage`)
};

// True when Networking_IsNetworkingReady would say so: interface up, connected, IP, time synced.
bool sim_device_networking_ready(const struct sim_device *device);

// Builds a path under the device's state directory. Returns 0, or -1 if it does not fit.
int sim_device_path(const struct sim_device *device, const char *relative, char *out,
                    size_t out_size);
