// SPDX-License-Identifier: MIT
// The device's fault proxy (sim/net): the OS sends every TCP connection its app makes through it,
// with one proxy endpoint per upstream HOST:PORT, so that toxics and network outages act on the
// app's real connections. The proxy lives as long as `spheresim run`, across reboots, like the
// network around a real device. Its decisions and faults go to the device log.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/net_proxy.h"
#include "os/device.h"

// Creates the proxy, seeded with seed, in step with the device's link state. Returns 0, or -1
// with err set.
int sim_device_proxy_start(struct sim_device *device, uint64_t seed, char *err, size_t err_size);

// Resets every proxied connection and frees the proxy. Safe without a proxy.
void sim_device_proxy_stop(struct sim_device *device);

// The descriptor to watch for the proxy's work, or -1 when there is no proxy.
int sim_device_proxy_fd(const struct sim_device *device);

// Does the proxy's due work; call when its descriptor is readable.
void sim_device_proxy_serve(struct sim_device *device);

// Where the app's TCP socket, which asked for host:port, should connect to reach upstream: the
// listener of the endpoint named "host:port", created on first use. Returns 0, or an errno that
// refuses the connection (EMFILE when the proxy has no room for another endpoint).
int sim_device_proxy_dial(struct sim_device *device, const char *host, uint16_t port,
                          const struct sim_net_endpoint *upstream,
                          struct sim_net_endpoint *out_dial);

// Follows the device's link: down resets (or, with stall, freezes) the open connections and
// refuses new ones; up lets them through again.
void sim_device_proxy_link(struct sim_device *device, bool up, enum sim_net_down_mode mode);

// Runs one of the proxy's text commands (net_command.h) except `network`, which belongs to the
// OS's link (`ctl net`). Returns 0 with the reply in out, or -1 with a one-line error in out.
int sim_device_proxy_command(struct sim_device *device, const char *line, char *out,
                             size_t out_size);
