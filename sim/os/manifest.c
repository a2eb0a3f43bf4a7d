// SPDX-License-Identifier: MIT
// app_manifest.json parser and validator. The manifest is what decides an app's privileges, and
// it comes from whoever built the app, so it is treated as hostile: bounded size, strict types,
// exact (case-sensitive) key names, no unknown or repeated keys, every value range-checked and
// "$NAME" values resolved through the hardware definition. The first problem found is reported
// as "<file>: <field path>: <problem>" so a refused sideload says exactly what to fix.
#include "os/manifest.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MF_PATH_MAX 96
#define MF_GOT_MAX 80

struct mf_ctx {
    const char *src;
    const struct sim_hwdef *hw;
    char *err;
    size_t err_size;
};

static const char *const mf_top_keys[] = {
    "SchemaVersion",   "Name",          "ComponentId",
    "EntryPoint",      "CmdArgs",       "Capabilities",
    "ApplicationType", "MallocVersion", "TargetApplicationRuntimeVersion",
    "TargetBetaApis",
};
#define MF_TOP_KEY_COUNT (sizeof(mf_top_keys) / sizeof(mf_top_keys[0]))

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

__attribute__((format(printf, 3, 4))) static enum sim_manifest_result mf_fail(
    const struct mf_ctx *ctx, const char *path, const char *fmt, ...) {
    if (ctx->err == NULL || ctx->err_size == 0) {
        return SIM_MANIFEST_ERR_FIELD;
    }
    int n = snprintf(ctx->err, ctx->err_size, "%s: %s: ", ctx->src, path);
    if (n >= 0 && (size_t)n < ctx->err_size) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ctx->err + n, ctx->err_size - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return SIM_MANIFEST_ERR_FIELD;
}

// Renders a JSON value for "got ..." in messages: short, quoted, with control bytes escaped so a
// hostile value cannot forge lines in a log.
static const char *mf_describe(const cJSON *v, char *buf, size_t size) {
    if (v == NULL) {
        snprintf(buf, size, "nothing");
    } else if (cJSON_IsBool(v)) {
        snprintf(buf, size, "%s", cJSON_IsTrue(v) ? "true" : "false");
    } else if (cJSON_IsNull(v)) {
        snprintf(buf, size, "null");
    } else if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "%.17g", v->valuedouble);
    } else if (cJSON_IsArray(v)) {
        snprintf(buf, size, "an array");
    } else if (cJSON_IsObject(v)) {
        snprintf(buf, size, "an object");
    } else if (cJSON_IsString(v)) {
        size_t used = 0;
        const unsigned char *s = (const unsigned char *)v->valuestring;
        buf[used++] = '"';
        for (; *s != '\0' && used + 8 < size; ++s) {
            if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\') {
                int w = snprintf(buf + used, size - used, "\\x%02x", *s);
                used += w > 0 ? (size_t)w : 0;
            } else {
                buf[used++] = (char)*s;
            }
        }
        if (*s != '\0') {
            memcpy(buf + used, "...", 3);
            used += 3;
        }
        buf[used++] = '"';
        buf[used] = '\0';
    } else {
        snprintf(buf, size, "an invalid value");
    }
    return buf;
}

static bool mf_to_int(const cJSON *v, long min, long max, int *out) {
    if (!cJSON_IsNumber(v)) {
        return false;
    }
    double d = v->valuedouble;
    if (!(d >= (double)min && d <= (double)max) || floor(d) != d) {
        return false;
    }
    *out = (int)d;
    return true;
}

static enum sim_manifest_result mf_int(const struct mf_ctx *ctx, const cJSON *v, const char *path,
                                       long min, long max, int *out) {
    char got[MF_GOT_MAX];
    if (!mf_to_int(v, min, max, out)) {
        return mf_fail(ctx, path, "expected an integer from %ld to %ld, got %s", min, max,
                       mf_describe(v, got, sizeof(got)));
    }
    return SIM_MANIFEST_OK;
}

static bool mf_is_guid(const char *s) {
    if (strlen(s) != 36) {
        return false;
    }
    for (size_t i = 0; i < 36; ++i) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (dash ? c != '-' : !hex) {
            return false;
        }
    }
    return true;
}

static enum sim_manifest_result mf_guid(const struct mf_ctx *ctx, const cJSON *v, const char *path,
                                        char out[37]) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsString(v) || !mf_is_guid(v->valuestring)) {
        return mf_fail(ctx, path,
                       "expected a GUID such as \"01234567-89ab-cdef-0123-456789abcdef\", got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    memcpy(out, v->valuestring, 37);
    return SIM_MANIFEST_OK;
}

static bool mf_has_control_chars(const char *s) {
    for (; *s != '\0'; ++s) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return true;
        }
    }
    return false;
}

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
static enum sim_manifest_result mf_resolve(const struct mf_ctx *ctx, const cJSON *v,
                                           const char *path, const char *want_type,
                                           const struct sim_hwdef_entry **out) {
    char got[MF_GOT_MAX];
    mf_describe(v, got, sizeof(got));
    if (ctx->hw == NULL) {
        return mf_fail(ctx, path,
                       "%s needs a hardware definition to resolve, and none is loaded (choose a "
                       "board or pass a hardware-definition file)",
                       got);
    }
    const struct sim_hwdef_entry *e = sim_hwdef_find(ctx->hw, v->valuestring + 1);
    if (e == NULL) {
        return mf_fail(ctx, path, "%s is not defined in the hardware definition", got);
    }
    if (strcmp(e->type, want_type) != 0) {
        return mf_fail(ctx, path, "%s has type %s in the hardware definition; this list needs %s",
                       got, e->type, want_type);
    }
    if (e->value[0] == '\0') {
        return mf_fail(ctx, path, "%s has no app-manifest value in the hardware definition", got);
    }
    *out = e;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_gpio_list(const struct mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.Gpio[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        int id = -1;
        if (cJSON_IsString(v) && v->valuestring[0] == '$') {
            const struct sim_hwdef_entry *e = NULL;
            enum sim_manifest_result rc = mf_resolve(ctx, v, path, "Gpio", &e);
            if (rc != SIM_MANIFEST_OK) {
                return rc;
            }
            if (!e->is_integer) {
                return mf_fail(ctx, path, "%s resolves to \"%s\", which is not an integer GPIO id",
                               mf_describe(v, got, sizeof(got)), e->value);
            }
            id = e->int_value;
        } else if (!mf_to_int(v, -1000000, 1000000, &id)) {
            return mf_fail(ctx, path,
                           "expected an integer GPIO id or a \"$NAME\" from the hardware "
                           "definition, got %s",
                           mf_describe(v, got, sizeof(got)));
        }
        if (!sim_hwdef_mt3620_gpio_is_valid(id)) {
            char from[MF_GOT_MAX + 16] = "";
            if (cJSON_IsString(v)) {
                snprintf(from, sizeof(from), " (from %s)", mf_describe(v, got, sizeof(got)));
            }
            return mf_fail(ctx, path,
                           "GPIO %d%s does not exist on the MT3620 (valid ids: 0-23, 26-48, "
                           "56-75, 80)",
                           id, from);
        }
        for (size_t k = 0; k < caps->gpio_count; ++k) {
            if (caps->gpio[k] == id) {
                return mf_fail(ctx, path, "GPIO %d is already listed at Capabilities.Gpio[%zu]", id,
                               k);
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

static enum sim_manifest_result mf_peripheral_list(const struct mf_ctx *ctx, const cJSON *list,
                                                   const char *type, char (*items)[32],
                                                   size_t *count) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.%s[%zu]", type, i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        if (!cJSON_IsString(v)) {
            return mf_fail(ctx, path, "expected %s or a \"$NAME\" of type %s, got %s",
                           mf_peripheral_expected(type), type, mf_describe(v, got, sizeof(got)));
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
            return mf_fail(ctx, path, "expected %s or a \"$NAME\" of type %s, got %s",
                           mf_peripheral_expected(type), type, mf_describe(v, got, sizeof(got)));
        }
        for (size_t k = 0; k < *count; ++k) {
            if (strcmp(items[k], value) == 0) {
                return mf_fail(ctx, path, "%s is already listed at Capabilities.%s[%zu]", value,
                               type, k);
            }
        }
        memcpy(items[*count], value, strlen(value) + 1);
        ++*count;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_host_list(const struct mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.AllowedConnections[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        if (!cJSON_IsString(v)) {
            return mf_fail(ctx, path, "expected a host name string, got %s",
                           mf_describe(v, got, sizeof(got)));
        }
        const char *problem = mf_host_problem(v->valuestring);
        if (problem != NULL) {
            return mf_fail(ctx, path, "%s (got %s)", problem, mf_describe(v, got, sizeof(got)));
        }
        for (size_t k = 0; k < caps->allowed_connection_count; ++k) {
            if (strcasecmp(caps->allowed_connections[k], v->valuestring) == 0) {
                return mf_fail(ctx, path,
                               "%s is already listed at Capabilities.AllowedConnections[%zu]",
                               mf_describe(v, got, sizeof(got)), k);
            }
        }
        memcpy(caps->allowed_connections[caps->allowed_connection_count++], v->valuestring,
               strlen(v->valuestring) + 1);
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_port_list(const struct mf_ctx *ctx, const cJSON *list,
                                             const char *key, int *ports, size_t *count) {
    char path[MF_PATH_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.%s[%zu]", key, i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        int port = 0;
        enum sim_manifest_result rc = mf_int(ctx, v, path, 1, 65535, &port);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
        for (size_t k = 0; k < *count; ++k) {
            if (ports[k] == port) {
                return mf_fail(ctx, path, "port %d is already listed at Capabilities.%s[%zu]", port,
                               key, k);
            }
        }
        ports[(*count)++] = port;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_guid_list(const struct mf_ctx *ctx, const cJSON *list,
                                             struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    size_t i = 0;
    const cJSON *v = NULL;
    cJSON_ArrayForEach(v, list) {
        snprintf(path, sizeof(path), "Capabilities.AllowedApplicationConnections[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ITEMS) {
            return mf_fail(ctx, path, "more than %d entries", SIM_MANIFEST_MAX_ITEMS);
        }
        char *slot =
            caps->allowed_application_connections[caps->allowed_application_connection_count];
        enum sim_manifest_result rc = mf_guid(ctx, v, path, slot);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
        for (size_t k = 0; k < caps->allowed_application_connection_count; ++k) {
            if (strcasecmp(caps->allowed_application_connections[k], slot) == 0) {
                return mf_fail(ctx, path, "%s is already listed at %s[%zu]", slot,
                               "Capabilities.AllowedApplicationConnections", k);
            }
        }
        caps->allowed_application_connection_count++;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_storage(const struct mf_ctx *ctx, const cJSON *v,
                                           struct sim_manifest_capabilities *caps) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(v)) {
        return mf_fail(ctx, "Capabilities.MutableStorage",
                       "expected an object such as { \"SizeKB\": 8 }, got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    const cJSON *size = NULL;
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, v) {
        if (strcmp(item->string, "SizeKB") != 0) {
            char key[MF_GOT_MAX];
            cJSON tmp = {.type = cJSON_String, .valuestring = item->string};
            return mf_fail(ctx, "Capabilities.MutableStorage", "unknown key %s (only \"SizeKB\")",
                           mf_describe(&tmp, key, sizeof(key)));
        }
        if (size != NULL) {
            return mf_fail(ctx, "Capabilities.MutableStorage.SizeKB", "key appears twice");
        }
        size = item;
    }
    if (size == NULL) {
        return mf_fail(ctx, "Capabilities.MutableStorage.SizeKB", "required field is missing");
    }
    int kb = 0;
    enum sim_manifest_result rc = mf_int(ctx, size, "Capabilities.MutableStorage.SizeKB", 0,
                                         SIM_MANIFEST_MAX_STORAGE_KB, &kb);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    caps->mutable_storage = true;
    caps->mutable_storage_kb = (unsigned)kb;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_power(const struct mf_ctx *ctx, const cJSON *list,
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
            return mf_fail(ctx, path,
                           "expected \"ForcePowerDown\", \"ForceReboot\" or \"SetPowerProfile\", "
                           "got %s",
                           mf_describe(v, got, sizeof(got)));
        }
        if (*flags[which]) {
            return mf_fail(ctx, path, "\"%s\" is listed twice", mf_power_controls[which]);
        }
        *flags[which] = true;
        ++i;
    }
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_capability(const struct mf_ctx *ctx, const struct mf_cap *cap,
                                              const cJSON *v,
                                              struct sim_manifest_capabilities *caps) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    char *field = (char *)caps + cap->offset;
    snprintf(path, sizeof(path), "Capabilities.%s", cap->key);
    bool wants_list =
        cap->kind != MF_CAP_STORAGE && cap->kind != MF_CAP_GUID && cap->kind != MF_CAP_BOOL;
    if (wants_list && !cJSON_IsArray(v)) {
        return mf_fail(ctx, path, "expected an array, got %s", mf_describe(v, got, sizeof(got)));
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
            return mf_guid(ctx, v, path, caps->device_authentication);
        case MF_CAP_BOOL:
            if (!cJSON_IsBool(v)) {
                return mf_fail(ctx, path, "expected true or false, got %s",
                               mf_describe(v, got, sizeof(got)));
            }
            *(bool *)field = cJSON_IsTrue(v);
            return SIM_MANIFEST_OK;
        case MF_CAP_POWER:
            return mf_power(ctx, v, caps);
    }
    return mf_fail(ctx, path, "internal error: unhandled capability kind");
}

static const char *mf_top_key_at(size_t k) {
    return mf_top_keys[k];
}

static const char *mf_cap_key_at(size_t k) {
    return mf_caps[k].key;
}

// Copies a key for use in a field path: bounded, control bytes replaced, so a hostile key cannot
// forge log lines.
static void mf_safe_key(const char *key, char *out, size_t size) {
    size_t i = 0;
    for (; key[i] != '\0' && i + 1 < size && i < 48; ++i) {
        unsigned char c = (unsigned char)key[i];
        out[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[i] = '\0';
}

// Rejects unknown and repeated keys; a key that differs from a known one only in case gets a hint,
// since the platform's names are case-sensitive.
static enum sim_manifest_result mf_check_key(const struct mf_ctx *ctx, const cJSON *item,
                                             const char *where, const char *what,
                                             const char *(*key_at)(size_t), size_t known_count,
                                             bool *seen) {
    char path[MF_PATH_MAX];
    char name[64];
    mf_safe_key(item->string, name, sizeof(name));
    snprintf(path, sizeof(path), "%s%s%s", where, where[0] != '\0' ? "." : "", name);
    for (size_t k = 0; k < known_count; ++k) {
        if (strcmp(item->string, key_at(k)) == 0) {
            if (seen[k]) {
                return mf_fail(ctx, path, "key \"%s\" appears twice", name);
            }
            seen[k] = true;
            return SIM_MANIFEST_OK;
        }
    }
    for (size_t k = 0; k < known_count; ++k) {
        if (strcasecmp(item->string, key_at(k)) == 0) {
            return mf_fail(ctx, path,
                           "unknown %s \"%s\" (names are case-sensitive; did you mean \"%s\"?)",
                           what, name, key_at(k));
        }
    }
    return mf_fail(ctx, path, "unknown %s \"%s\"", what, name);
}

static enum sim_manifest_result mf_capabilities(const struct mf_ctx *ctx, const cJSON *obj,
                                                struct sim_manifest_capabilities *caps) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(obj)) {
        return mf_fail(ctx, "Capabilities", "expected an object, got %s",
                       mf_describe(obj, got, sizeof(got)));
    }
    bool seen[MF_CAP_COUNT] = {false};
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, obj) {
        enum sim_manifest_result rc = mf_check_key(ctx, item, "Capabilities", "capability",
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

static const cJSON *mf_get(const cJSON *obj, const char *key) {
    return cJSON_GetObjectItemCaseSensitive(obj, key);
}

static enum sim_manifest_result mf_string(const struct mf_ctx *ctx, const cJSON *v,
                                          const char *path, bool required, const char **out) {
    char got[MF_GOT_MAX];
    if (v == NULL && !required) {
        *out = NULL;
        return SIM_MANIFEST_OK;
    }
    if (v == NULL) {
        return mf_fail(ctx, path, "required field is missing");
    }
    if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
        return mf_fail(ctx, path, "expected a non-empty string, got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    if (mf_has_control_chars(v->valuestring)) {
        return mf_fail(ctx, path, "contains control characters: %s",
                       mf_describe(v, got, sizeof(got)));
    }
    *out = v->valuestring;
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_entry_point(const struct mf_ctx *ctx, const cJSON *v,
                                               struct sim_manifest *m) {
    char got[MF_GOT_MAX];
    const char *s = NULL;
    enum sim_manifest_result rc = mf_string(ctx, v, "EntryPoint", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    mf_describe(v, got, sizeof(got));
    size_t len = strlen(s);
    if (s[0] != '/') {
        return mf_fail(ctx, "EntryPoint",
                       "expected an absolute path inside the image package such as \"/bin/app\", "
                       "got %s",
                       got);
    }
    if (len >= sizeof(m->entry_point)) {
        return mf_fail(ctx, "EntryPoint", "longer than %zu characters", sizeof(m->entry_point) - 1);
    }
    if (s[len - 1] == '/' || strstr(s, "/../") != NULL || strstr(s, "/./") != NULL ||
        (len >= 3 && strcmp(s + len - 3, "/..") == 0) ||
        (len >= 2 && strcmp(s + len - 2, "/.") == 0)) {
        return mf_fail(ctx, "EntryPoint",
                       "expected a plain path to a file in the image package, got %s", got);
    }
    memcpy(m->entry_point, s, len + 1);
    return SIM_MANIFEST_OK;
}

static enum sim_manifest_result mf_cmd_args(const struct mf_ctx *ctx, const cJSON *v,
                                            struct sim_manifest *m) {
    char path[MF_PATH_MAX];
    char got[MF_GOT_MAX];
    if (v == NULL) {
        return SIM_MANIFEST_OK;
    }
    if (!cJSON_IsArray(v)) {
        return mf_fail(ctx, "CmdArgs", "expected an array of strings, got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    size_t i = 0;
    const cJSON *arg = NULL;
    cJSON_ArrayForEach(arg, v) {
        snprintf(path, sizeof(path), "CmdArgs[%zu]", i);
        if (i >= SIM_MANIFEST_MAX_ARGS) {
            return mf_fail(ctx, path, "more than %d arguments", SIM_MANIFEST_MAX_ARGS);
        }
        if (!cJSON_IsString(arg)) {
            return mf_fail(ctx, path, "expected a string, got %s",
                           mf_describe(arg, got, sizeof(got)));
        }
        size_t len = strlen(arg->valuestring);
        if (len >= SIM_MANIFEST_STR) {
            return mf_fail(ctx, path, "longer than %d characters", SIM_MANIFEST_STR - 1);
        }
        memcpy(m->cmd_args[i], arg->valuestring, len + 1);
        m->cmd_arg_count = ++i;
    }
    return SIM_MANIFEST_OK;
}

// The image package keeps 31 bytes of the name; cut on a UTF-8 character boundary.
static void mf_store_name(const char *name, char out[32]) {
    size_t len = strlen(name);
    if (len > 31) {
        len = 31;
        while (len > 0 && ((unsigned char)name[len] & 0xC0) == 0x80) {
            --len;
        }
    }
    memcpy(out, name, len);
    out[len] = '\0';
}

static enum sim_manifest_result mf_root(const struct mf_ctx *ctx, const cJSON *root,
                                        struct sim_manifest *m) {
    char got[MF_GOT_MAX];
    if (!cJSON_IsObject(root)) {
        return mf_fail(ctx, "(top level)", "expected a JSON object, got %s",
                       mf_describe(root, got, sizeof(got)));
    }
    bool seen[MF_TOP_KEY_COUNT] = {false};
    const cJSON *item = NULL;
    cJSON_ArrayForEach(item, root) {
        enum sim_manifest_result rc =
            mf_check_key(ctx, item, "", "top-level key", mf_top_key_at, MF_TOP_KEY_COUNT, seen);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
    }

    const cJSON *v = mf_get(root, "SchemaVersion");
    if (v == NULL) {
        return mf_fail(ctx, "SchemaVersion", "required field is missing");
    }
    if (!mf_to_int(v, 1, 1, &m->schema_version)) {
        return mf_fail(ctx, "SchemaVersion", "expected 1 (the only schema version), got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    const char *s = NULL;
    enum sim_manifest_result rc = mf_string(ctx, mf_get(root, "Name"), "Name", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    mf_store_name(s, m->name);
    v = mf_get(root, "ComponentId");
    if (v == NULL) {
        return mf_fail(ctx, "ComponentId", "required field is missing");
    }
    rc = mf_guid(ctx, v, "ComponentId", m->component_id);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_entry_point(ctx, mf_get(root, "EntryPoint"), m);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_cmd_args(ctx, mf_get(root, "CmdArgs"), m);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    rc = mf_string(ctx, mf_get(root, "ApplicationType"), "ApplicationType", true, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    if (strcmp(s, "RealTimeCapable") == 0) {
        return mf_fail(ctx, "ApplicationType",
                       "\"RealTimeCapable\" apps run on the M4 real-time cores, which spheresim "
                       "does not simulate; only \"Default\" (high-level) apps run here");
    }
    if (strcmp(s, "Default") != 0) {
        return mf_fail(ctx, "ApplicationType",
                       "expected \"Default\" or \"RealTimeCapable\", got %s",
                       mf_describe(mf_get(root, "ApplicationType"), got, sizeof(got)));
    }
    memcpy(m->application_type, "Default", sizeof("Default"));
    v = mf_get(root, "MallocVersion");
    if (v != NULL && !mf_to_int(v, 1, 2, &m->malloc_version)) {
        return mf_fail(ctx, "MallocVersion", "expected 1 or 2, got %s",
                       mf_describe(v, got, sizeof(got)));
    }
    v = mf_get(root, "TargetApplicationRuntimeVersion");
    int runtime_version = 0;
    if (v != NULL) {
        rc = mf_int(ctx, v, "TargetApplicationRuntimeVersion", 0, 1000000, &runtime_version);
        if (rc != SIM_MANIFEST_OK) {
            return rc;
        }
    }
    rc = mf_string(ctx, mf_get(root, "TargetBetaApis"), "TargetBetaApis", false, &s);
    if (rc != SIM_MANIFEST_OK) {
        return rc;
    }
    v = mf_get(root, "Capabilities");
    if (v == NULL) {
        return mf_fail(ctx, "Capabilities", "required field is missing");
    }
    return mf_capabilities(ctx, v, &m->caps);
}

enum sim_manifest_result sim_manifest_parse(const char *text, size_t len, const char *source_name,
                                            const struct sim_hwdef *hw, struct sim_manifest *out,
                                            char *err, size_t err_size) {
    struct mf_ctx ctx = {
        .src = source_name != NULL ? source_name : "app_manifest.json",
        .hw = hw,
        .err = err,
        .err_size = err_size,
    };
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (out == NULL) {
        mf_fail(&ctx, "(call)", "no output structure given");
        return SIM_MANIFEST_ERR_IO;
    }
    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        mf_fail(&ctx, "(call)", "no manifest text given");
        return SIM_MANIFEST_ERR_IO;
    }
    if (len > SIM_MANIFEST_MAX_FILE_BYTES) {
        mf_fail(&ctx, "(file)", "%zu bytes is larger than the %u-byte limit for a manifest", len,
                SIM_MANIFEST_MAX_FILE_BYTES);
        return SIM_MANIFEST_ERR_IO;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        mf_fail(&ctx, "(file)", "contains a NUL byte at offset %zu", (size_t)(nul - text));
        return SIM_MANIFEST_ERR_JSON;
    }
    // A private NUL-terminated copy: the caller's buffer need not be terminated, and cJSON then
    // rejects trailing garbage after the top-level value.
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        mf_fail(&ctx, "(file)", "out of memory");
        return SIM_MANIFEST_ERR_IO;
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(copy, &end, true);
    enum sim_manifest_result rc = SIM_MANIFEST_ERR_JSON;
    if (root == NULL) {
        unsigned line = 1;
        unsigned column = 1;
        for (const char *p = copy; end != NULL && p < end && *p != '\0'; ++p) {
            column = *p == '\n' ? 1 : column + 1;
            line += *p == '\n';
        }
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: line %u, column %u: invalid JSON", ctx.src, line, column);
        }
        goto out;
    }
    rc = mf_root(&ctx, root, out);
out:
    if (rc != SIM_MANIFEST_OK) {
        memset(out, 0, sizeof(*out));
    }
    cJSON_Delete(root);
    free(copy);
    return rc;
}

enum sim_manifest_result sim_manifest_load(const char *path, const struct sim_hwdef *hw,
                                           struct sim_manifest *out, char *err, size_t err_size) {
    const char *name = path != NULL ? path : "(no path)";
    if (err != NULL && err_size > 0) {
        err[0] = '\0';
    }
    if (out != NULL) {
        memset(out, 0, sizeof(*out));
    }
    if (path == NULL || out == NULL) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: no %s given", name, path == NULL ? "path" : "output");
        }
        return SIM_MANIFEST_ERR_IO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: cannot open: %s", path, strerror(errno));
        }
        return SIM_MANIFEST_ERR_IO;
    }
    enum sim_manifest_result rc = SIM_MANIFEST_ERR_IO;
    char *text = NULL;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size, "%s: not a regular file", path);
        }
        goto out;
    }
    if (st.st_size > (off_t)SIM_MANIFEST_MAX_FILE_BYTES) {
        if (err != NULL && err_size > 0) {
            snprintf(err, err_size,
                     "%s: %lld bytes is larger than the %u-byte limit for a manifest", path,
                     (long long)st.st_size, SIM_MANIFEST_MAX_FILE_BYTES);
        }
        goto out;
    }
    // Read one byte past the limit so a file that grew after fstat is still caught.
    text = malloc(SIM_MANIFEST_MAX_FILE_BYTES + 1);
    if (text == NULL) {
        goto out;
    }
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, text + got, SIM_MANIFEST_MAX_FILE_BYTES + 1 - got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            if (err != NULL && err_size > 0) {
                snprintf(err, err_size, "%s: read failed: %s", path, strerror(errno));
            }
            goto out;
        }
        if (n == 0 || (got += (size_t)n) > SIM_MANIFEST_MAX_FILE_BYTES) {
            break;
        }
    }
    rc = sim_manifest_parse(text, got, path, hw, out, err, err_size);
out:
    free(text);
    close(fd);
    return rc;
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
