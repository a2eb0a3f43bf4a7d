// SPDX-License-Identifier: MIT
// The device's fault proxy; see device_proxy.h.
#include "os/device_proxy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net/net_command.h"
#include "os/format_text.h"

// Per-chunk draws (jitter, slice sizes) can run to thousands a second; they are logged only when
// the device runs with --debug (as scenarios do), the per-connection decisions always.
static bool is_per_chunk(enum sim_net_event_kind kind) {
    return kind == SIM_NET_EVENT_JITTER || kind == SIM_NET_EVENT_SLICE;
}

static void log_event(const struct sim_net_event *event, void *context) {
    struct sim_device *device = context;
    if (is_per_chunk(event->kind) && !device->debug) {
        return;
    }
    char line[256];
    sim_net_event_format(event, line, sizeof(line));
    sim_device_log_os(&device->log, "net: proxy: %s", line);
}

int sim_device_proxy_start(struct sim_device *device, uint64_t seed, char *err, size_t err_size) {
    struct sim_net_proxy_options options = {
        .seed = seed, .on_event = log_event, .event_context = device};
    if (sim_net_proxy_create(&options, &device->proxy) != SIM_NET_PROXY_OK) {
        (void)sim_format(err, err_size, "cannot create the fault proxy: %s", strerror(errno));
        device->proxy = NULL;
        return -1;
    }
    sim_net_proxy_set_network(device->proxy, device->network.link_up, SIM_NET_DOWN_RESET);
    return 0;
}

void sim_device_proxy_stop(struct sim_device *device) {
    sim_net_proxy_destroy(device->proxy);
    device->proxy = NULL;
}

int sim_device_proxy_fd(const struct sim_device *device) {
    return device->proxy != NULL ? sim_net_proxy_fd(device->proxy) : -1;
}

void sim_device_proxy_serve(struct sim_device *device) {
    if (device->proxy != NULL && sim_net_proxy_step(device->proxy, 0) != SIM_NET_PROXY_OK) {
        sim_device_log_os(&device->log, "net: proxy: %s", strerror(errno));
    }
}

// "host:port" as the app asked for it when that can name an endpoint, else the upstream address
// and port (a name with characters an endpoint name cannot hold, or too long).
static void endpoint_name(const char *host, uint16_t port, const struct sim_net_endpoint *upstream,
                          const char *address, char *out, size_t out_size) {
    if (sim_format(out, out_size, "%s:%u", host, port) != 0 || !sim_net_endpoint_name_valid(out)) {
        (void)sim_format(out, out_size, "%s:%u", address, upstream->port);
    }
}

int sim_device_proxy_dial(struct sim_device *device, const char *host, uint16_t port,
                          const struct sim_net_endpoint *upstream,
                          struct sim_net_endpoint *out_dial) {
    if (device->proxy == NULL) {
        *out_dial = *upstream;
        return 0;
    }
    char address[SIM_NET_TEXT_SIZE];
    sim_net_addr_format(upstream->addr, address, sizeof(address));
    char name[SIM_NET_ENDPOINT_NAME_MAX + 1];
    endpoint_name(host, port, upstream, address, name, sizeof(name));
    struct sim_net_endpoint_info info;
    uint16_t listen_port = 0;
    if (sim_net_proxy_endpoint_info(device->proxy, name, &info) == SIM_NET_PROXY_OK) {
        listen_port = info.listen_port;
    } else {
        enum sim_net_proxy_result rc =
            sim_net_proxy_add_endpoint(device->proxy, name, address, upstream->port, &listen_port);
        if (rc != SIM_NET_PROXY_OK) {
            int err = rc == SIM_NET_PROXY_ERR_FULL     ? EMFILE
                      : rc == SIM_NET_PROXY_ERR_SYSTEM ? errno
                                                       : EINVAL;
            sim_device_log_os(&device->log, "net: proxy: cannot add endpoint %s for %s:%u: %s",
                              name, address, upstream->port, sim_net_proxy_result_name(rc));
            return err;
        }
        sim_device_log_os(&device->log, "net: proxy: endpoint %s listens on 127.0.0.1:%u", name,
                          listen_port);
    }
    sim_net_addr_from_ipv4(0x7f000001u, out_dial->addr);
    out_dial->port = listen_port;
    return 0;
}

void sim_device_proxy_link(struct sim_device *device, bool up, enum sim_net_down_mode mode) {
    if (device->proxy != NULL) {
        sim_net_proxy_set_network(device->proxy, up, mode);
    }
}

int sim_device_proxy_command(struct sim_device *device, const char *line, char *out,
                             size_t out_size) {
    if (device->proxy == NULL) {
        (void)sim_format(out, out_size, "this device runs without the fault proxy");
        return -1;
    }
    const char *first = line + strspn(line, " \t");
    if (strncmp(first, "network", 7) == 0 &&
        (first[7] == '\0' || first[7] == ' ' || first[7] == '\t')) {
        (void)sim_format(out, out_size,
                         "'network' belongs to the device's link: use 'ctl net down|up' (the "
                         "proxy follows it)");
        return -1;
    }
    return sim_net_command_line(device->proxy, line, out, out_size) == SIM_NET_PROXY_OK ? 0 : -1;
}
