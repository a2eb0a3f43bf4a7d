// SPDX-License-Identifier: MIT
// The result every fault-proxy function (sim/net) returns. 0 is success; sim_net_proxy_result_name
// gives a stable word for logs and ctl replies. Named apart from the OS connection policy's
// enum sim_net_result (os/net_policy.h) so the OS can include both.
#pragma once

enum sim_net_proxy_result {
    SIM_NET_PROXY_OK = 0,
    SIM_NET_PROXY_ERR_INVALID,    // malformed input or an argument out of range
    SIM_NET_PROXY_ERR_NOT_FOUND,  // no endpoint or toxic of that name
    SIM_NET_PROXY_ERR_EXISTS,     // an endpoint or toxic of that name is already there
    SIM_NET_PROXY_ERR_FULL,       // past a fixed limit (endpoints, toxics, connections)
    SIM_NET_PROXY_ERR_SYSTEM,     // a system call failed; errno says which
};

// A lowercase word ("ok", "invalid", …); "unknown" for a value outside the enum. Never NULL.
const char *sim_net_proxy_result_name(enum sim_net_proxy_result result);
