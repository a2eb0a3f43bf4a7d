// SPDX-License-Identifier: MIT
// Request decisions for the device bus; see bus_server.h. The order of checks follows the
// device: a request for a resource the board doesn't have is ENODEV, one the manifest doesn't
// grant is EACCES (and logged with the capability the app would need), and only then do
// argument and state errors (EINVAL, EBUSY) apply.
#include "os/bus_server.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "os/mutable_storage.h"
#include "os/net_service.h"
#include "os/update_agent.h"

// text is always NUL-terminated; strlen (not strnlen with the bus limit) keeps the optimiser
// from flagging callers whose buffers are smaller than the limit.
static void set_data(struct devbus_msg *reply, const char *text) {
    size_t len = strlen(text);
    if (len > DEVBUS_MAX_DATA) {
        len = DEVBUS_MAX_DATA;
    }
    memcpy(reply->data, text, len);
    reply->len = (uint32_t)len;
}

static int fail(struct devbus_msg *reply, int err) {
    reply->result = -1;
    reply->err = err;
    return -1;
}

// Records the use or denial of a capability; a denial is logged naming what the manifest lacks.
static bool check_capability(struct sim_device *device, bool granted, const char *capability,
                             const char *what) {
    sim_audit_record(&device->audit, capability, granted);
    if (!granted) {
        sim_device_log_os(&device->log, "denied %s: the manifest does not grant %s (EACCES)", what,
                          capability);
    }
    return granted;
}

static void handle_gpio_open(struct sim_device *device, const struct devbus_msg *request,
                             struct devbus_msg *reply, int *out_fd) {
    int id = request->arg[0];
    bool as_output = request->op == DEVBUS_OP_GPIO_OPEN_OUTPUT;
    uint8_t level;
    if (sim_board_gpio_level(&device->board, id, &level) != 0) {
        fail(reply, ENODEV);
        return;
    }
    char capability[32];
    snprintf(capability, sizeof(capability), "Gpio:%d", id);
    if (!check_capability(device, sim_manifest_allows_gpio(&device->manifest, id), capability,
                          as_output ? "GPIO_OpenAsOutput" : "GPIO_OpenAsInput")) {
        fail(reply, EACCES);
        return;
    }
    int err = sim_board_gpio_open(&device->board, id, as_output, request->arg[1], request->arg[2],
                                  out_fd);
    if (err != 0) {
        fail(reply, err);
    }
}

static bool manifest_lists(const char (*items)[32], size_t count, const char *name) {
    for (size_t i = 0; i < count; i++) {
        if (strcmp(items[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static void handle_i2c_open(struct sim_device *device, const struct devbus_msg *request,
                            struct devbus_msg *reply, int *out_fd) {
    struct sim_i2c_bus *bus = sim_board_i2c(&device->board, request->arg[0]);
    if (bus == NULL) {
        fail(reply, ENODEV);
        return;
    }
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    char capability[32];
    snprintf(capability, sizeof(capability), "I2cMaster:%s", bus->manifest_name);
    if (!check_capability(
            device, manifest_lists(caps->i2c_master, caps->i2c_master_count, bus->manifest_name),
            capability, "I2CMaster_Open")) {
        fail(reply, EACCES);
        return;
    }
    int err = sim_i2c_bus_open(bus, out_fd);
    if (err != 0) {
        fail(reply, err);
    }
}

static void handle_adc_open(struct sim_device *device, const struct devbus_msg *request,
                            struct devbus_msg *reply, int *out_fd) {
    struct sim_adc *adc = &device->board.adc;
    // The MT3620 has one controller, id 0.
    if (request->arg[0] != 0 || !adc->exists) {
        fail(reply, ENODEV);
        return;
    }
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    char capability[48];
    snprintf(capability, sizeof(capability), "Adc:%s", adc->manifest_name);
    if (!check_capability(device, manifest_lists(caps->adc, caps->adc_count, adc->manifest_name),
                          capability, "ADC_Open")) {
        fail(reply, EACCES);
        return;
    }
    int err = sim_adc_open(adc, out_fd);
    if (err != 0) {
        fail(reply, err);
    }
}

static bool mutable_storage_granted(struct sim_device *device, const char *what) {
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    return check_capability(device, caps->mutable_storage && caps->mutable_storage_kb > 0,
                            "MutableStorage", what);
}

static void handle_storage(struct sim_device *device, const struct devbus_msg *request,
                           struct devbus_msg *reply, int *out_fd) {
    bool open_request = request->op == DEVBUS_OP_STORAGE_OPEN_MUTABLE;
    if (!mutable_storage_granted(
            device, open_request ? "Storage_OpenMutableFile" : "Storage_DeleteMutableFile")) {
        fail(reply, EACCES);
        return;
    }
    const char *component = device->manifest.component_id;
    if (open_request) {
        *out_fd = sim_mutable_storage_open(device->dir, component);
        if (*out_fd < 0) {
            fail(reply, errno);
        }
    } else if (sim_mutable_storage_delete(device->dir, component) != 0) {
        fail(reply, errno);
    }
}

static bool is_wlan0(const struct devbus_msg *request) {
    return request->len == 5 && memcmp(request->data, "wlan0", 5) == 0;
}

static void handle_network_status(struct sim_device *device, const struct devbus_msg *request,
                                  struct devbus_msg *reply) {
    if (request->len > 0 && !is_wlan0(request)) {
        fail(reply, ENOENT);
        return;
    }
    const struct sim_network *net = &device->network;
    int32_t bits = 0;
    if (net->interface_enabled) {
        bits |= 1;  // InterfaceUp
        if (net->link_up) {
            bits |= 2 | 4 | 8;  // ConnectedToNetwork, IpAvailable, ConnectedToInternet
        }
    }
    reply->arg[0] = sim_device_networking_ready(device) ? 1 : 0;
    reply->arg[1] = bits;
    reply->arg[2] = net->interface_enabled ? 1 : 0;
    reply->arg[3] = 1;
}

static void handle_network_config(struct sim_device *device, const struct devbus_msg *request,
                                  struct devbus_msg *reply) {
    const char *what = request->op == DEVBUS_OP_NETWORK_SET_INTERFACE
                           ? "Networking_SetInterfaceState"
                           : "Networking_IpConfig_Apply";
    if (!check_capability(device, device->manifest.caps.network_config, "NetworkConfig", what)) {
        fail(reply, EACCES);
        return;
    }
    if (!is_wlan0(request)) {
        fail(reply, ENOENT);
        return;
    }
    if (request->op == DEVBUS_OP_NETWORK_SET_INTERFACE) {
        device->network.interface_enabled = request->arg[0] != 0;
        sim_device_log_os(&device->log, "app set wlan0 %s",
                          device->network.interface_enabled ? "enabled" : "disabled");
    } else {
        sim_device_log_os(&device->log, "app applied a %s IP configuration to wlan0",
                          request->arg[0] != 0 ? "static" : "dynamic");
    }
}

static void handle_power(struct sim_device *device, const struct devbus_msg *request,
                         struct devbus_msg *reply) {
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    switch (request->op) {
        case DEVBUS_OP_POWER_REBOOT:
            if (!check_capability(device, caps->power_force_reboot, "PowerControls:ForceReboot",
                                  "PowerManagement_ForceSystemReboot")) {
                fail(reply, EACCES);
                return;
            }
            device->power_request = SIM_POWER_REBOOT;
            return;
        case DEVBUS_OP_POWER_DOWN:
            if (!check_capability(device, caps->power_force_power_down,
                                  "PowerControls:ForcePowerDown",
                                  "PowerManagement_ForceSystemPowerDown")) {
                fail(reply, EACCES);
                return;
            }
            if (request->arg[0] < 0) {
                fail(reply, EINVAL);
                return;
            }
            device->power_request = SIM_POWER_DOWN;
            device->power_down_seconds = (unsigned)request->arg[0];
            return;
        default:
            if (!check_capability(device, caps->power_set_profile, "PowerControls:SetPowerProfile",
                                  "PowerManagement_SetSystemPowerProfile")) {
                fail(reply, EACCES);
                return;
            }
            if (request->arg[0] < 0 || request->arg[0] > 2) {
                fail(reply, EINVAL);
                return;
            }
            device->power_profile = request->arg[0];
            return;
    }
}

static void handle_sysevent(struct sim_device *device, const struct devbus_msg *request,
                            struct devbus_msg *reply, int *out_fd) {
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    switch (request->op) {
        case DEVBUS_OP_SYSEVENT_REGISTER: {
            if (!check_capability(device, caps->system_event_notifications,
                                  "SystemEventNotifications",
                                  "SysEvent_RegisterForEventNotifications")) {
                fail(reply, EACCES);
                return;
            }
            if (device->sysevent_fd >= 0) {
                // The device allows one active registration per app.
                fail(reply, EBUSY);
                return;
            }
            int ends[2];
            if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
                fail(reply, errno);
                return;
            }
            device->sysevent_fd = ends[0];
            device->sysevent_mask = (uint32_t)request->arg[0];
            *out_fd = ends[1];
            // Queued on the channel before the app holds it: an updated app's Complete.
            sim_update_agent_app_registered(device->update);
            return;
        }
        case DEVBUS_OP_SYSEVENT_UNREGISTER:
            if (device->sysevent_fd >= 0) {
                close(device->sysevent_fd);
                device->sysevent_fd = -1;
            }
            return;
        default: {
            const char *what = request->op == DEVBUS_OP_SYSEVENT_DEFER ? "SysEvent_DeferEvent"
                                                                       : "SysEvent_ResumeEvent";
            if (!check_capability(device, caps->software_update_deferral, "SoftwareUpdateDeferral",
                                  what)) {
                fail(reply, EACCES);
                return;
            }
            // The update agent decides: EINVAL unless an update is Pending (defer) or deferred
            // (resume).
            int err = request->op == DEVBUS_OP_SYSEVENT_DEFER
                          ? sim_update_agent_defer(device->update, (uint32_t)request->arg[0],
                                                   (uint32_t)request->arg[1])
                          : sim_update_agent_resume(device->update, (uint32_t)request->arg[0]);
            if (err != 0) {
                fail(reply, err);
            }
            return;
        }
    }
}

static void handle_app_connect(struct sim_device *device, const struct devbus_msg *request,
                               struct devbus_msg *reply) {
    char component[40];
    size_t len = request->len < sizeof(component) - 1 ? request->len : sizeof(component) - 1;
    memcpy(component, request->data, len);
    component[len] = '\0';
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    bool allowed = false;
    for (size_t i = 0; i < caps->allowed_application_connection_count && !allowed; i++) {
        allowed = strcasecmp(caps->allowed_application_connections[i], component) == 0;
    }
    char capability[80];
    snprintf(capability, sizeof(capability), "AllowedApplicationConnections:%s", component);
    if (!check_capability(device, allowed, capability, "Application_Connect")) {
        fail(reply, EACCES);
        return;
    }
    // Real-time cores are not simulated: the partner app is never there.
    fail(reply, ECONNREFUSED);
}

static void handle_deviceauth(struct sim_device *device, struct devbus_msg *reply) {
    bool declared = device->manifest.caps.device_authentication[0] != '\0';
    sim_audit_record(&device->audit, "DeviceAuthentication", declared);
    reply->arg[0] = declared && device->cert_ready && sim_device_networking_ready(device);
    set_data(reply, device->cert_path);
}

void sim_bus_handle(struct sim_device *device, const struct devbus_msg *request,
                    struct devbus_msg *out_reply, int *out_fd) {
    *out_fd = -1;
    memset(out_reply, 0, DEVBUS_HEADER_SIZE);
    out_reply->magic = DEVBUS_MAGIC;
    out_reply->version = DEVBUS_VERSION;
    out_reply->op = request->op;
    out_reply->seq = request->seq;
    if (device->debug) {
        sim_device_log_os(&device->log, "bus: %s(%d, %d, %d)", devbus_op_name(request->op),
                          request->arg[0], request->arg[1], request->arg[2]);
    }
    switch (request->op) {
        case DEVBUS_OP_HELLO:
            set_data(out_reply, device->package_dir);
            break;
        case DEVBUS_OP_GPIO_OPEN_INPUT:
        case DEVBUS_OP_GPIO_OPEN_OUTPUT:
            handle_gpio_open(device, request, out_reply, out_fd);
            break;
        case DEVBUS_OP_I2C_OPEN:
            handle_i2c_open(device, request, out_reply, out_fd);
            break;
        case DEVBUS_OP_ADC_OPEN:
            handle_adc_open(device, request, out_reply, out_fd);
            break;
        case DEVBUS_OP_STORAGE_OPEN_MUTABLE:
        case DEVBUS_OP_STORAGE_DELETE_MUTABLE:
            handle_storage(device, request, out_reply, out_fd);
            break;
        case DEVBUS_OP_NETWORK_STATUS:
            handle_network_status(device, request, out_reply);
            break;
        case DEVBUS_OP_NETWORK_SET_INTERFACE:
        case DEVBUS_OP_NETWORK_IPCONFIG_APPLY:
            handle_network_config(device, request, out_reply);
            break;
        case DEVBUS_OP_TIMESYNC_SET:
            if (!check_capability(device, device->manifest.caps.time_sync_config, "TimeSyncConfig",
                                  "Networking_TimeSync_SetEnabled")) {
                fail(out_reply, EACCES);
                break;
            }
            device->network.time_sync_enabled = request->arg[0] != 0;
            break;
        case DEVBUS_OP_TIMESYNC_GET:
            out_reply->arg[0] = device->network.time_sync_enabled ? 1 : 0;
            break;
        case DEVBUS_OP_DEVICEAUTH_STATUS:
            handle_deviceauth(device, out_reply);
            break;
        case DEVBUS_OP_POWER_REBOOT:
        case DEVBUS_OP_POWER_DOWN:
        case DEVBUS_OP_POWER_PROFILE:
            handle_power(device, request, out_reply);
            break;
        case DEVBUS_OP_SYSEVENT_REGISTER:
        case DEVBUS_OP_SYSEVENT_UNREGISTER:
        case DEVBUS_OP_SYSEVENT_DEFER:
        case DEVBUS_OP_SYSEVENT_RESUME:
            handle_sysevent(device, request, out_reply, out_fd);
            break;
        case DEVBUS_OP_APP_CONNECT:
            handle_app_connect(device, request, out_reply);
            break;
        case DEVBUS_OP_NET_RESOLVE:
        case DEVBUS_OP_NET_RESOLVED:
        case DEVBUS_OP_NET_CONNECT:
            sim_net_handle(device, request, out_reply);
            break;
        case DEVBUS_OP_OS_VERSION: {
            char version[40];
            sim_update_agent_os_version(device->update, version, sizeof(version));
            set_data(out_reply, version);
            break;
        }
        default:
            sim_device_log_os(&device->log, "bus: rejected unknown request op %u", request->op);
            fail(out_reply, EINVAL);
            break;
    }
}
