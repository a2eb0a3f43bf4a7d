// SPDX-License-Identifier: MIT
// The Capabilities object of app_manifest.json: one validator per capability kind (GPIO ids,
// peripheral names, hosts, ports, GUIDs, storage, power controls, booleans), "$NAME" values
// resolved through the hardware definition, and the declared-capability list the least-privilege
// report uses. Kept apart from the top-level parser because this is the part that grants
// privileges and grows with every capability the platform adds.
#include "os/manifest_internal.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

enum mf_cap_kind {
    MF_CAP_GPIO,
    MF_CAP_PERIPHERAL,
    MF_CAP_HOSTS,
    MF_CAP_PORTS,
    MF_CAP_GUIDS,
    MF_CAP_STORAGE,
    MF_CAP_GUID,
    MF_CAP_BOOL,
    MF_CAP_POWER,
};

struct mf_cap {
    const char *key;
    enum mf_cap_kind kind;
    size_t offset;       /* of the bool, list or string in sim_manifest_capabilities */
    size_t count_offset; /* of the list's count; 0 for non-lists */
};

#define MF_FIELD(field) offsetof(struct sim_manifest_capabilities, field)
#define MF_LIST(key, kind, field, count) \
    { key, kind, MF_FIELD(field), MF_FIELD(count) }
#define MF_ONE(key, kind, field) \
    { key, kind, MF_FIELD(field), 0 }
static const struct mf_cap mf_caps[] = {
    MF_LIST("Gpio", MF_CAP_GPIO, gpio, gpio_count),
    MF_LIST("Uart", MF_CAP_PERIPHERAL, uart, uart_count),
    MF_LIST("I2cMaster", MF_CAP_PERIPHERAL, i2c_master, i2c_master_count),
    MF_LIST("SpiMaster", MF_CAP_PERIPHERAL, spi_master, spi_master_count),
    MF_LIST("Adc", MF_CAP_PERIPHERAL, adc, adc_count),
    MF_LIST("Pwm", MF_CAP_PERIPHERAL, pwm, pwm_count),
    MF_LIST("AllowedConnections", MF_CAP_HOSTS, allowed_connections, allowed_connection_count),
    MF_LIST("AllowedTcpServerPorts", MF_CAP_PORTS, allowed_tcp_server_ports,
            allowed_tcp_server_port_count),
    MF_LIST("AllowedUdpServerPorts", MF_CAP_PORTS, allowed_udp_server_ports,
            allowed_udp_server_port_count),
    MF_LIST("AllowedApplicationConnections", MF_CAP_GUIDS, allowed_application_connections,
            allowed_application_connection_count),
    MF_ONE("MutableStorage", MF_CAP_STORAGE, mutable_storage),
    MF_ONE("DeviceAuthentication", MF_CAP_GUID, device_authentication),
    MF_ONE("SystemEventNotifications", MF_CAP_BOOL, system_event_notifications),
    MF_ONE("SoftwareUpdateDeferral", MF_CAP_BOOL, software_update_deferral),
    MF_ONE("NetworkConfig", MF_CAP_BOOL, network_config),
    MF_ONE("TimeSyncConfig", MF_CAP_BOOL, time_sync_config),
    MF_ONE("SntpService", MF_CAP_BOOL, sntp_service),
    MF_ONE("DhcpService", MF_CAP_BOOL, dhcp_service),
    MF_ONE("WifiConfig", MF_CAP_BOOL, wifi_config),
    MF_ONE("EnterpriseWifiConfig", MF_CAP_BOOL, enterprise_wifi_config),
    MF_ONE("CertStore", MF_CAP_BOOL, cert_store),
    MF_ONE("ReadNetworkProxyConfig", MF_CAP_BOOL, read_network_proxy_config),
    MF_ONE("SystemTime", MF_CAP_BOOL, system_time),
    MF_ONE("HardwareAddressConfig", MF_CAP_BOOL, hardware_address_config),
    MF_ONE("HeapMemStats", MF_CAP_BOOL, heap_mem_stats),
    MF_ONE("PowerControls", MF_CAP_POWER, power_force_reboot),
};
#define MF_CAP_COUNT (sizeof(mf_caps) / sizeof(mf_caps[0]))

static const char *const mf_power_controls[] = {"ForcePowerDown", "ForceReboot", "SetPowerProfile"};

// Checks an AllowedConnections entry: a host name (optionally "*." + domain), a DNS-SD service
// name such as "_x._tcp.local", or an IPv4 address. Returns NULL when fine, else the problem.
static const char *mf_host_problem(const char *host) {
    size_t len = strlen(host);
    if (len == 0) {
        return "expected a non-empty host name";
    }
    if (len >= SIM_MANIFEST_STR) {
        return "host names are at most 255 characters";
    }
    if (strstr(host, "://") != NULL) {
        return "expected a host name or IP address, not a URL";
    }
    const char *p = host;
    if (strncmp(p, "*.", 2) == 0) {
        p += 2;
    }
    size_t label = 0;
    for (; *p != '\0'; ++p) {
        char c = *p;
        if (c == '.') {
            if (label == 0) {
                return "contains an empty label (\"..\" or a leading or trailing dot)";
            }
            label = 0;
            continue;
        }
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        if (c == ':') {
            return "a port or IPv6 address is not allowed; list the host name only";
        }
        if (c == '*') {
            return "a wildcard is only allowed as a leading \"*.\"";
        }
        if (!ok) {
            return "contains a character not allowed in a host name";
        }
        if (++label > 63) {
            return "a label is longer than 63 characters";
        }
    }
    if (label == 0) {
        return "contains an empty label (\"..\" or a leading or trailing dot)";
    }
    return NULL;
}

// Resolves a "$NAME" through the hardware definition; checks it names a peripheral of the wanted
// type that has an app-manifest value.
static enum sim_manifest_result mf_resolve(const struct sim_mf_ctx *ctx, const cJSON *v,
                                           const char *path, const char *want_type,
                                           const struct sim_hwdef_entry **out) {
    char got[MF_GOT_MAX];
    sim_mf_describe(v, got, sizeof(got));
    if (ctx->hw == NULL) {
        return sim_mf_fail(
            ctx, path,
            "%s needs a hardware definition to resolve, and none is loaded (choose a "
            "board or pass a hardware-definition file)",
            got);
    }
    const struct sim_hwdef_entry *e = sim_hwdef_find(ctx->hw, v->valuestring + 1);
    if (e == NULL) {
        return sim_mf_fail(ctx, path, "%s is not defined in the hardware definition", got);
    }
    if (strcmp(e->type, want_type) != 0) {
        return sim_mf_fail(ctx, path,
                           "%s has type %s in the hardware definition; this list needs %s", got,
                           e->type, want_type);
    }
    if (e->value[0] == '\0') {
        return sim_mf_fail(ctx, path, "%s has no app-manifest value in the hardware definition",
                           got);
    }
    *out = e;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_gpio_list(const struct sim_mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.Gpio[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return sim_mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        int id = -1;
        if (cJSON_IsString(v) && v->valuestring[0] == '$') {
            const struct sim_hwdef_entry *e = NULL;
            enum sim_manifest_result rc = mf_resolve(ctx, v, path, "Gpio", &e);
            if (rc != SIM_MANIFEST_OK) {
                return rc;
            }
            if (!e->is_integer) {
                return sim_mf_fail(ctx, path,
                                   "%s resolves to \"%s\", which is not an integer GPIO id",
                                   sim_mf_describe(v, got, sizeof(got)), e->value);
            }
            id = e->int_value;
        } else if (!sim_mf_to_int(v, -1000000, 1000000, &id)) {
            return sim_mf_fail(ctx, path,
                               "expected an integer GPIO id or a \"$NAME\" from the hardware "
                               "definition, got %s",
                               sim_mf_describe(v, got, sizeof(got)));
        }
        if (!sim_hwdef_mt3620_gpio_is_valid(id)) {
            char from[MF_GOT_MAX + 16] = "";
            if (cJSON_IsString(v)) {
                snprintf(from, sizeof(from), " (from %s)", sim_mf_describe(v, got, sizeof(got)));
            }
            return sim_mf_fail(ctx, path,
                               "GPIO %d%s does not exist on the MT3620 (valid ids: 0-23, 26-48, "
                               "56-75, 80)",
                               id, from);
        }
        for (size_t k = 0; k < caps->gpio_count; ++k) {
            if (caps->gpio[k] == id) {
                return sim_mf_fail(ctx, path, "GPIO %d is already listed at Capabilities.Gpio[%zu]",
                                   id, k);
            }
        }
        caps->gpio[caps->gpio_count++] = id;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static const char *mf_peripheral_expected(const char *type) {
    if (strcmp(type, "Adc") == 0) {
        return "\"ADC-CONTROLLER-0\"";
    }
    if (strcmp(type, "Pwm") == 0) {
        return "\"PWM-CONTROLLER-0\"..\"PWM-CONTROLLER-2\"";
    }
    return "\"ISU0\"..\"ISU4\"";
}

static enum sim_manifest_result mf_peripheral_list(const struct sim_mf_ctx *ctx, const cJSON *list,
                                                   const char *type, char (*items)[32],
                                                   size_t *count) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.%s[%zu]", type, i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return sim_mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        if (!cJSON_IsString(v)) {
            return sim_mf_fail(ctx, path, "expected %s or a \"$NAME\" of type %s, got %s",
                               mf_peripheral_expected(type), type,
                               sim_mf_describe(v, got, sizeof(got)));
        }
        const char *value = v->valuestring;
        if (value[0] == '$') {
            const struct sim_hwdef_entry *e = NULL;
            enum sim_manifest_result rc = mf_resolve(ctx, v, path, type, &e);
            if (rc != SIM_MANIFEST_OK) {
                return rc;
            }
            value = e->value;
        }
        if (!sim_hwdef_mt3620_peripheral_is_valid(type, value) || strlen(value) >= 32) {
            return sim_mf_fail(ctx, path, "expected %s or a \"$NAME\" of type %s, got %s",
                               mf_peripheral_expected(type), type,
                               sim_mf_describe(v, got, sizeof(got)));
        }
        for (size_t k = 0; k < *count; ++k) {
            if (strcmp(items[k], value) == 0) {
                return sim_mf_fail(ctx, path, "%s is already listed at Capabilities.%s[%zu]", value,
                                   type, k);
            }
        }
        memcpy(items[*count], value, strlen(value) + 1);
        ++*count;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_host_list(const struct sim_mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.AllowedConnections[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return sim_mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        if (!cJSON_IsString(v)) {
            return sim_mf_fail(ctx, path, "expected a host name string, got %s",
                               sim_mf_describe(v, got, sizeof(got)));
        }
        const char *problem = mf_host_problem(v->valuestring);
        if (problem != NULL) {
            return sim_mf_fail(ctx, path, "%s (got %s)", problem,
                               sim_mf_describe(v, got, sizeof(got)));
        }
        for (size_t k = 0; k < caps->allowed_connection_count; ++k) {
            if (strcasecmp(caps->allowed_connections[k], v->valuestring) == 0) {
                return sim_mf_fail(ctx, path,
                                   "%s is already listed at Capabilities.AllowedConnections[%zu]",
                                   sim_mf_describe(v, got, sizeof(got)), k);
            }
        }
        memcpy(caps->allowed_connections[caps->allowed_connection_count++], v->valuestring,
               strlen(v->valuestring) + 1);
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_port_list(const struct sim_mf_ctx *ctx, const cJSON *list,
                                             const char *key, int *ports, size_t *count) {
    char path[MF_PATH_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.%s[%zu]", key, i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return sim_mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        int port = 0;
        enum sim_manifest_result rc = sim_mf_int(ctx, v, path, 1, 65535, &port);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
        for (size_t k = 0; k < *count; ++k) {
            if (ports[k] == port) {
                return sim_mf_fail(ctx, path, "port %d is already listed at Capabilities.%s[%zu]",
                                   port, key, k);
            }
        }
        ports[(*count)++] = port;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_guid_list(const struct sim_mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.AllowedApplicationConnections[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return sim_mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        char *slot =
            caps->allowed_application_connections[caps->allowed_application_connection_count];
        enum sim_manifest_result rc = sim_mf_guid(ctx, v, path, slot);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
        for (size_t k = 0; k < caps->allowed_application_connection_count; ++k) {
            if (strcasecmp(caps->allowed_application_connections[k], slot) == 0) {
                return sim_mf_fail(ctx, path, "%s is already listed at %s[%zu]", slot,
                                   "Capabilities.AllowedApplicationConnections", k);
            }
        }
        caps->allowed_application_connection_count++;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_storage(const struct sim_mf_ctx *ctx, const cJSON *v,
                                           struct sim_manifest_capabilities *caps) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(v)) {
        return sim_mf_fail(ctx, "Capabilities.MutableStorage",
                           "expected an object such as { \"SizeKB\": 8 }, got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    const cJSON *size = NULL;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, v) {
        if (strcmp(item->string, "SizeKB") != 0) {
            char key[MF_GOT_MAX];
            cJSON tmp = {.type = cJSON_String, .valuestring = item->string};
            return sim_mf_fail(ctx, "Capabilities.MutableStorage",
                               "unknown key %s (only \"SizeKB\")",
                               sim_mf_describe(&tmp, key, sizeof(key)));
        }
        if (size != NULL) {
            return sim_mf_fail(ctx, "Capabilities.MutableStorage.SizeKB", "key appears twice");
        }
        size = item;
    }
    if (size == NULL) {
        return sim_mf_fail(ctx, "Capabilities.MutableStorage.SizeKB", "required field is missing");
    }
    int kb = 0;
    enum sim_manifest_result rc = sim_mf_int(ctx, size, "Capabilities.MutableStorage.SizeKB", 0,
                                             SIM_MANIFEST_MAX_STORAGE_KB, &kb);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    caps->mutable_storage = true;
    caps->mutable_storage_kb = (unsigned)kb;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_power(const struct sim_mf_ctx *ctx, const cJSON *list,
                                         struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    bool *flags[] = {&caps->power_force_power_down, &caps->power_force_reboot,
                     &caps->power_set_profile};
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.PowerControls[%zu]", i);
        size_t which = 0;
        while (which < 3 &&
               !(cJSON_IsString(v) && strcmp(v->valuestring, mf_power_controls[which]) == 0)) {
            ++which;
        }
        if (which == 3) {
            return sim_mf_fail(
                ctx, path,
                "expected \"ForcePowerDown\", \"ForceReboot\" or \"SetPowerProfile\", "
                "got %s",
                sim_mf_describe(v, got, sizeof(got)));
        }
        if (*flags[which]) {
            return sim_mf_fail(ctx, path, "\"%s\" is listed twice", mf_power_controls[which]);
        }
        *flags[which] = true;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_capability(const struct sim_mf_ctx *ctx,
                                              const struct mf_cap *cap, const cJSON *v,
                                              struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    char *field = (char *)caps + cap->offset;
    snprintf(path, sizeof(path), "Capabilities.%s", cap->key);
    bool wants_list =
        cap->kind != MF_CAP_STORAGE && cap->kind != MF_CAP_GUID && cap->kind != MF_CAP_BOOL;
    if (wants_list && !cJSON_IsArray(v)) {
        return sim_mf_fail(ctx, path, "expected an array, got %s",
                           sim_mf_describe(v, got, sizeof(got)));
    }
    switch (cap->kind) {
        case MF_CAP_GPIO:
            return mf_gpio_list(ctx, v, caps);
        case MF_CAP_PERIPHERAL: {
            size_t *count = (size_t *)((char *)caps + cap->count_offset);
            return mf_peripheral_list(ctx, v, cap->key, (char(*)[32])field, count);
        }
        case MF_CAP_HOSTS:
            return mf_host_list(ctx, v, caps);
        case MF_CAP_PORTS: {
            size_t *count = (size_t *)((char *)caps + cap->count_offset);
            return mf_port_list(ctx, v, cap->key, (int *)field, count);
        }
        case MF_CAP_GUIDS:
            return mf_guid_list(ctx, v, caps);
        case MF_CAP_STORAGE:
            return mf_storage(ctx, v, caps);
        case MF_CAP_GUID:
            return sim_mf_guid(ctx, v, path, caps->device_authentication);
        case MF_CAP_BOOL:
            if (!cJSON_IsBool(v)) {
                return sim_mf_fail(ctx, path, "expected true or false, got %s",
                                   sim_mf_describe(v, got, sizeof(got)));
            }
            *(bool *)field = cJSON_IsTrue(v);
            return SIM_MANIFEST_OK;
        case MF_CAP_POWER:
            return mf_power(ctx, v, caps);
    }
    return sim_mf_fail(ctx, path, "internal error: unhandled capability kind");
}

static const char *mf_cap_key_at(size_t k) {
    return mf_caps[k].key;
}

enum sim_manifest_result sim_mf_capabilities(const struct sim_mf_ctx *ctx, const cJSON *obj,
                                             struct sim_manifest_capabilities *caps) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(obj)) {
        return sim_mf_fail(ctx, "Capabilities", "expected an object, got %s",
                           sim_mf_describe(obj, got, sizeof(got)));
    }
    bool seen[MF_CAP_COUNT] = {false};
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, obj) {
        enum sim_manifest_result rc = sim_mf_check_key(ctx, item, "Capabilities", "capability",
                                                       mf_cap_key_at, MF_CAP_COUNT, seen);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
    }
    cJSON_ArrayForEach(item, obj) {
        for (size_t k = 0; k < MF_CAP_COUNT; ++k) {
            if (strcmp(item->string, mf_caps[k].key) == 0) {
                enum sim_manifest_result rc = mf_capability(ctx, &mf_caps[k], item, caps);
                if (rc != SIM_MANIFEST_OK) {
                    return rc;
                }
            }
        }
    }
    return SIM_MANIFEST_OK;
}

bool sim_manifest_allows_gpio(const struct sim_manifest *m, int gpio_id) {
    if (m == NULL) {
        return false;
    }
    for (size_t i = 0; i < m->caps.gpio_count && i < SIM_MANIFEST_MAX_ITEMS; ++i) {
        if (m->caps.gpio[i] == gpio_id) {
            return true;
        }
    }
    return false;
}

struct mf_writer {
    char (*out)[SIM_MANIFEST_STR + 32];
    size_t max;
    size_t n;
};

__attribute__((format(printf, 2, 3))) static void mf_emit(struct mf_writer *w, const char *fmt,
                                                          ...) {
    if (w->n >= w->max) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->out[w->n], sizeof(w->out[w->n]), fmt, ap);
    va_end(ap);
    w->n++;
}

size_t sim_manifest_declared_capabilities(const struct sim_manifest *m,
                                          char (*out)[SIM_MANIFEST_STR + 32], size_t max) {
    if (m == NULL || out == NULL) {
        return 0;
    }
    const struct sim_manifest_capabilities *c = &m->caps;
    struct mf_writer w = {.out = out, .max = max, .n = 0};
    for (size_t i = 0; i < c->gpio_count; ++i) {
        mf_emit(&w, "Gpio:%d", c->gpio[i]);
    }
    for (size_t k = 0; k < MF_CAP_COUNT; ++k) {
        const struct mf_cap *cap = &mf_caps[k];
        const char *field = (const char *)c + cap->offset;
        if (cap->kind == MF_CAP_PERIPHERAL) {
            const size_t *count = (const size_t *)((const char *)c + cap->count_offset);
            for (size_t i = 0; i < *count && i < SIM_MANIFEST_MAX_ITEMS; ++i) {
                mf_emit(&w, "%s:%.31s", cap->key, field + i * 32);
            }
        }
    }
    for (size_t i = 0; i < c->allowed_connection_count; ++i) {
        mf_emit(&w, "AllowedConnections:%.255s", c->allowed_connections[i]);
    }
    for (size_t i = 0; i < c->allowed_tcp_server_port_count; ++i) {
        mf_emit(&w, "AllowedTcpServerPorts:%d", c->allowed_tcp_server_ports[i]);
    }
    for (size_t i = 0; i < c->allowed_udp_server_port_count; ++i) {
        mf_emit(&w, "AllowedUdpServerPorts:%d", c->allowed_udp_server_ports[i]);
    }
    for (size_t i = 0; i < c->allowed_application_connection_count; ++i) {
        mf_emit(&w, "AllowedApplicationConnections:%.36s", c->allowed_application_connections[i]);
    }
    if (c->mutable_storage) {
        mf_emit(&w, "MutableStorage");
    }
    if (c->device_authentication[0] != '\0') {
        mf_emit(&w, "DeviceAuthentication");
    }
    for (size_t k = 0; k < MF_CAP_COUNT; ++k) {
        if (mf_caps[k].kind == MF_CAP_BOOL &&
            *(const bool *)((const char *)c + mf_caps[k].offset)) {
            mf_emit(&w, "%s", mf_caps[k].key);
        }
    }
    const bool power[] = {c->power_force_power_down, c->power_force_reboot, c->power_set_profile};
    for (size_t k = 0; k < 3; ++k) {
        if (power[k]) {
            mf_emit(&w, "PowerControls:%s", mf_power_controls[k]);
        }
    }
    return w.n;
}
