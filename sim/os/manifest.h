// SPDX-License-Identifier: MIT
// The application manifest (app_manifest.json) as the simulated OS reads it at sideload time:
// parsed, validated field by field and resolved against the hardware definition, so that a
// manifest the device would refuse is refused here with a message naming the file, the field and
// the problem, and a manifest it would accept yields the capability set the OS enforces.
#ifndef SPHERESIM_OS_MANIFEST_H
#define SPHERESIM_OS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "os/hwdef.h"

#define SIM_MANIFEST_MAX_ARGS 32
#define SIM_MANIFEST_MAX_ITEMS 64
#define SIM_MANIFEST_STR 256
#define SIM_MANIFEST_MAX_FILE_BYTES (64u * 1024u)
#define SIM_MANIFEST_MAX_STORAGE_KB 64u

struct sim_manifest_capabilities {
    int gpio[SIM_MANIFEST_MAX_ITEMS];
    size_t gpio_count;
    char uart[SIM_MANIFEST_MAX_ITEMS][32];
    size_t uart_count;
    char i2c_master[SIM_MANIFEST_MAX_ITEMS][32];
    size_t i2c_master_count;
    char spi_master[SIM_MANIFEST_MAX_ITEMS][32];
    size_t spi_master_count;
    char adc[SIM_MANIFEST_MAX_ITEMS][32];
    size_t adc_count;
    char pwm[SIM_MANIFEST_MAX_ITEMS][32];
    size_t pwm_count;
    char allowed_connections[SIM_MANIFEST_MAX_ITEMS][SIM_MANIFEST_STR];
    size_t allowed_connection_count;
    int allowed_tcp_server_ports[SIM_MANIFEST_MAX_ITEMS];
    size_t allowed_tcp_server_port_count;
    int allowed_udp_server_ports[SIM_MANIFEST_MAX_ITEMS];
    size_t allowed_udp_server_port_count;
    char allowed_application_connections[SIM_MANIFEST_MAX_ITEMS][37];
    size_t allowed_application_connection_count;
    bool mutable_storage;
    unsigned mutable_storage_kb;
    char device_authentication[37]; /* "" when absent */
    bool system_event_notifications, software_update_deferral, network_config, time_sync_config,
        sntp_service, dhcp_service, wifi_config, enterprise_wifi_config, cert_store,
        read_network_proxy_config, system_time, hardware_address_config, heap_mem_stats;
    bool power_force_reboot, power_force_power_down, power_set_profile;
};

struct sim_manifest {
    int schema_version;
    char name[32]; /* first 31 chars, as the image package stores */
    char component_id[37];
    char entry_point[SIM_MANIFEST_STR];
    char cmd_args[SIM_MANIFEST_MAX_ARGS][SIM_MANIFEST_STR];
    size_t cmd_arg_count;
    char application_type[32];
    int malloc_version; /* 0 when absent */
    struct sim_manifest_capabilities caps;
};

enum sim_manifest_result {
    SIM_MANIFEST_OK = 0,
    SIM_MANIFEST_ERR_IO,    /* the file could not be read, or is larger than 64 KiB */
    SIM_MANIFEST_ERR_JSON,  /* not valid JSON (err gives line and column) */
    SIM_MANIFEST_ERR_FIELD, /* valid JSON, but a field is missing, mistyped or out of range */
};

// Reads and validates the manifest at path. hw may be NULL: then any "$NAME" value is an error
// saying a hardware definition is needed. On error out is zeroed and err holds
// "<path>: <field path>: <problem>" (or "<path>: line L, column C: ..." for JSON syntax).
enum sim_manifest_result sim_manifest_load(const char *path, const struct sim_hwdef *hw,
                                           struct sim_manifest *out, char *err, size_t err_size);

// As sim_manifest_load, for text already in memory (len bytes, need not be NUL-terminated);
// source_name is the file name used in error messages.
enum sim_manifest_result sim_manifest_parse(const char *text, size_t len, const char *source_name,
                                            const struct sim_hwdef *hw, struct sim_manifest *out,
                                            char *err, size_t err_size);

// True when the manifest lists gpio_id under Capabilities.Gpio; false for a NULL manifest.
bool sim_manifest_allows_gpio(const struct sim_manifest *m, int gpio_id);

// Writes the capability names the manifest declares, one per element of out, for the
// least-privilege report: e.g. "Gpio:8", "Uart:ISU0", "AllowedTcpServerPorts:11000",
// "MutableStorage", "DeviceAuthentication", "SystemTime", "PowerControls:ForceReboot",
// "AllowedConnections:host". Boolean capabilities appear only when true. Returns the number
// written (≤ max); 0 when m or out is NULL.
size_t sim_manifest_declared_capabilities(const struct sim_manifest *m,
                                          char (*out)[SIM_MANIFEST_STR + 32], size_t max);

#endif
