// SPDX-License-Identifier: MIT
// `run --hub`: the steps between the simulated device and a hub; see run_hub.h. The local hub's
// own code (start, registry) belongs to sim/cloud; this file only calls it.
#include "cli/run_hub.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cloud/hub_broker.h"
#include "cloud/hub_store.h"
#include "os/package_view.h"

// A plausible host name for a real hub: letters, digits, '-' and dots, with at least one dot.
static bool looks_like_hostname(const char *name) {
    size_t len = strlen(name);
    if (len < 3 || len > 253 || strchr(name, '.') == NULL || name[0] == '.' ||
        name[len - 1] == '.') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.';
        if (!ok) {
            return false;
        }
    }
    return true;
}

bool sim_run_hub_valid(const char *hub) {
    return strcmp(hub, "local") == 0 || looks_like_hostname(hub);
}

static bool same_file(const char *a, const char *b) {
    char real_a[PATH_MAX];
    char real_b[PATH_MAX];
    return realpath(a, real_a) != NULL && realpath(b, real_b) != NULL &&
           strcmp(real_a, real_b) == 0;
}

static int ensure_hub_running(struct sim_device *device, const char *state_dir,
                              struct hub_broker_info *info) {
    char err[2048];
    bool known =
        hub_broker_query(state_dir, device->tenant_dir, info, err, sizeof(err)) == HUB_BROKER_OK;
    if (known && info->running) {
        sim_device_log_os(&device->log, "hub: using the local hub %s on 127.0.0.1:%d (state in %s)",
                          info->hub_hostname, info->port, info->state_dir);
        return 0;
    }
    // Keep the name the hub had last time, as `hub start` without --name would not.
    char name[sizeof(info->hub_name)];
    snprintf(name, sizeof(name), "%s", known ? info->hub_name : "");
    struct hub_broker_options options = {
        .state_dir = state_dir,
        .tenant_dir = device->tenant_dir,
        .hub_name = name[0] != '\0' ? name : NULL,
    };
    bool already = false;
    if (hub_broker_start(&options, info, &already, err, sizeof(err)) != HUB_BROKER_OK) {
        return sim_cli_fail("run: --hub local: cannot start the local hub in %s: %s", state_dir,
                            err);
    }
    sim_device_log_os(&device->log,
                      "hub: %s the local hub %s on 127.0.0.1:%d (state in %s; it keeps running: "
                      "'spheresim hub stop --state-dir %s' stops it)",
                      already ? "using" : "started", info->hub_hostname, info->port,
                      info->state_dir, info->state_dir);
    return 0;
}

// The device authenticates with the certificate the OS's tenant CA issues; the hub must trust
// that same CA and know the device id.
static int register_device(struct sim_device *device, const struct hub_broker_info *info) {
    char tenant_ca[PATH_MAX];
    if (sim_cli_join(tenant_ca, sizeof(tenant_ca), device->tenant_dir, "/ca.pem") != 0) {
        return 1;
    }
    if (!same_file(tenant_ca, info->tenant_ca_path)) {
        return sim_cli_fail(
            "run: --hub local: the hub in %s trusts the tenant CA %s, but this device's "
            "certificate comes from %s; use the same SPHERESIM_HOME for both, or stop the hub so "
            "that run can start it with this device's tenant CA",
            info->state_dir, info->tenant_ca_path, tenant_ca);
    }
    char err[512];
    struct hub_store *store = NULL;
    if (hub_store_open(info->db_path, &store, err, sizeof(err)) != HUB_STORE_OK) {
        return sim_cli_fail("run: --hub local: %s", err);
    }
    int status = 0;
    static struct hub_device known;
    enum hub_store_result found = hub_store_device_get(store, device->device_id, &known);
    if (found == HUB_STORE_OK) {
        if (known.auth != HUB_AUTH_X509) {
            status = sim_cli_fail(
                "run: --hub local: device %.16s… is registered in %s with %s authentication; "
                "the simulated device uses its X.509 certificate ('spheresim hub device remove' "
                "it first)",
                device->device_id, info->state_dir, hub_auth_type_name(known.auth));
        } else if (!known.enabled) {
            sim_device_log_os(&device->log, "hub: device is registered but disabled in the hub");
        }
    } else if (found == HUB_STORE_ERR_NOT_FOUND) {
        static struct hub_device added;
        memset(&added, 0, sizeof(added));
        snprintf(added.device_id, sizeof(added.device_id), "%s", device->device_id);
        added.auth = HUB_AUTH_X509;
        added.enabled = true;
        if (hub_store_device_add(store, &added) != HUB_STORE_OK) {
            status = sim_cli_fail("run: --hub local: %s", hub_store_error(store));
        } else {
            sim_device_log_os(&device->log, "hub: registered device %.16s… (X.509)",
                              device->device_id);
        }
    } else {
        status = sim_cli_fail("run: --hub local: %s", hub_store_error(store));
    }
    hub_store_close(store);
    return status;
}

static int map_hub_names(struct sim_device *device, const struct hub_broker_info *info) {
    struct sim_net_endpoint hub = {.port = (uint16_t)info->port};
    sim_net_addr_from_ipv4(0x7F000001u, hub.addr);
    const char *const names[] = {info->hub_hostname, HUB_BROKER_DPS_HOST};
    char err[512];
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (sim_net_policy_map(&device->net, names[i], SIM_RUN_HUB_MQTT_PORT, &hub, err,
                               sizeof(err)) != SIM_NET_OK) {
            return sim_cli_fail("run: --hub local: %s", err);
        }
        sim_device_log_os(&device->log, "net: %s:%d -> 127.0.0.1:%d", names[i],
                          SIM_RUN_HUB_MQTT_PORT, info->port);
    }
    return 0;
}

// The package stays shared and untouched; the device gets its own view with the hub's CA in it.
static int install_ca(struct sim_device *device, const struct hub_broker_info *info) {
    char view[PATH_MAX];
    char err[1024];
    if (sim_device_path(device, "image", view, sizeof(view)) != 0) {
        return sim_cli_fail("run: device directory path too long");
    }
    if (sim_package_view_build(device->package_dir, view, err, sizeof(err)) != 0 ||
        sim_package_view_add_file(view, SIM_RUN_HUB_CA_PATH, info->ca_path, err, sizeof(err)) !=
            0) {
        return sim_cli_fail("run: --hub local: installing the package: %s", err);
    }
    snprintf(device->package_dir, sizeof(device->package_dir), "%s", view);
    sim_device_log_os(&device->log, "hub: the hub's CA certificate is %s in the package (%s)",
                      SIM_RUN_HUB_CA_PATH, view);
    return 0;
}

int sim_run_hub_prepare(struct sim_device *device, const char *home, const char *hub,
                        const char *hub_state_dir) {
    if (!sim_run_hub_valid(hub)) {
        return sim_cli_usage_error("run: --hub expects 'local' or a host name, not '%s'", hub);
    }
    if (strcmp(hub, "local") != 0) {
        device->net.real_dns = true;
        sim_device_log_os(&device->log,
                          "hub: %s (a real hub): names resolve with real DNS; AllowedConnections "
                          "applies",
                          hub);
        return 0;
    }
    char state_dir[PATH_MAX];
    if (hub_state_dir != NULL) {
        if (sim_cli_join(state_dir, sizeof(state_dir), hub_state_dir, "") != 0) {
            return 1;
        }
    } else if (sim_cli_join(state_dir, sizeof(state_dir), home, "/hub") != 0) {
        return 1;
    }
    static struct hub_broker_info info;
    int status = ensure_hub_running(device, state_dir, &info);
    if (status == 0) {
        status = register_device(device, &info);
    }
    if (status == 0) {
        status = map_hub_names(device, &info);
    }
    if (status == 0) {
        status = install_ca(device, &info);
    }
    return status;
}
