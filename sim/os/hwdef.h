// SPDX-License-Identifier: MIT
// Hardware definitions of the simulated device: loads Azure Sphere hardware-definition JSON files
// (a Peripherals table per file, chained through Imports, names bound to other names through
// Mapping) and resolves every name to the value an app manifest uses for it, so that
// "$SAMPLE_LED" in app_manifest.json means GPIO 8 on the simulated MT3620 RDB exactly as it does
// when the SDK builds the image package. Also knows which raw peripheral ids the MT3620 has.
#ifndef SPHERESIM_OS_HWDEF_H
#define SPHERESIM_OS_HWDEF_H

#include <stdbool.h>
#include <stddef.h>

#define SIM_HWDEF_MAX_ENTRIES 512
#define SIM_HWDEF_MAX_IMPORT_DEPTH 8

struct sim_hwdef_entry {
    char name[64];
    char type[16];  /* "Gpio","I2cMaster","SpiMaster","Uart","Adc","Pwm","int",... */
    char value[64]; /* resolved AppManifestValue as text, "8" or "ISU0"; "" when it has none */
    bool is_integer;
    int int_value;
    /* Beyond the contract: what the SDK's header generator emits for the name. */
    char header_value[32]; /* resolved MainCoreHeaderValue, "(8)"; "" when it has none */
    char mapping[64];      /* the name this entry maps to, "" when defined with values */
};

struct sim_hwdef {
    struct sim_hwdef_entry entries[SIM_HWDEF_MAX_ENTRIES];
    size_t count;
};

enum sim_hwdef_result {
    SIM_HWDEF_OK = 0,
    SIM_HWDEF_ERR_IO,         /* a file could not be read, or is too large */
    SIM_HWDEF_ERR_PARSE,      /* not JSON */
    SIM_HWDEF_ERR_SCHEMA,     /* JSON, but not a hardware definition (wrong or missing fields) */
    SIM_HWDEF_ERR_IMPORT,     /* an import is missing, cyclic or nested too deep */
    SIM_HWDEF_ERR_UNRESOLVED, /* a Mapping names nothing, or mappings form a loop */
};

// Loads a definition file and its Imports (paths relative to the importing file's directory,
// then SPHERESIM_HARDWARE_DIR), resolving every Mapping to an AppManifestValue. Import cycles and
// depth > SIM_HWDEF_MAX_IMPORT_DEPTH are errors; a file imported twice along different paths is
// loaded once. On error returns the first failure, leaves out->count = 0, and writes
// "<file>: <json path>: <problem>" into err (when err is not NULL).
enum sim_hwdef_result sim_hwdef_load(const char *path, struct sim_hwdef *out, char *err,
                                     size_t err_size);

// Returns the entry called name, or NULL when hw or name is NULL or nothing has that name.
const struct sim_hwdef_entry *sim_hwdef_find(const struct sim_hwdef *hw, const char *name);

// Returns the path of the default definition for a board name ("mt3620_rdb" →
// SPHERESIM_HARDWARE_DIR/sample_appliance.json); NULL for unknown boards or a NULL board.
const char *sim_hwdef_default_for_board(const char *board);

// True when id is a GPIO the MT3620 exposes to a high-level app (0-80 with gaps), the same set
// hal_stub/hardware/mt3620.json lists.
bool sim_hwdef_mt3620_gpio_is_valid(int id);

// True when value is a raw app-manifest value the MT3620 has for a peripheral of the given
// type: "ISU0".."ISU4" for Uart, I2cMaster and SpiMaster, "ADC-CONTROLLER-0" for Adc,
// "PWM-CONTROLLER-0".."PWM-CONTROLLER-2" for Pwm. False for other types or NULL arguments.
bool sim_hwdef_mt3620_peripheral_is_valid(const char *type, const char *value);

#endif
