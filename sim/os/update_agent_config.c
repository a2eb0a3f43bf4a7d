// SPDX-License-Identifier: MIT
// The update agent's configuration: defaults and `spheresim run`'s options; see update_agent.h.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "os/device_clock.h"
#include "os/update_agent.h"

void sim_update_config_init(struct sim_update_config *config) {
    memset(config, 0, sizeof(*config));
    config->check_period_ms = SIM_UPDATE_DEFAULT_CHECK_PERIOD_MS;
    config->rollback_exits = SIM_UPDATE_DEFAULT_ROLLBACK_EXITS;
    config->rollback_window_ms = SIM_UPDATE_DEFAULT_ROLLBACK_WINDOW_MS;
}

int sim_update_config_finish(struct sim_update_config *config, const char *home,
                             const char *hw_path, char *err, size_t err_size) {
    int n = 0;
    if (config->service_dir[0] == '\0') {
        n = snprintf(config->service_dir, sizeof(config->service_dir), "%s/update", home);
    }
    int m = snprintf(config->hw_path, sizeof(config->hw_path), "%s", hw_path);
    if (n < 0 || (size_t)n >= sizeof(config->service_dir) || m < 0 ||
        (size_t)m >= sizeof(config->hw_path)) {
        snprintf(err, err_size, "update service or hardware definition path too long");
        return -1;
    }
    return 0;
}

static int positive_duration(const char *option, const char *value, int64_t *out, char *err,
                             size_t err_size) {
    if (sim_clock_parse_duration(value, out) != SIM_CLOCK_OK || *out <= 0) {
        snprintf(err, err_size, "--%s '%s' is not a positive duration (e.g. 30s, 20h, 1h30m)",
                 option, value);
        return -1;
    }
    return 0;
}

int sim_update_config_option(struct sim_update_config *config, int opt, const char *value,
                             char *err, size_t err_size) {
    switch (opt - SIM_UPDATE_OPTION_BASE) {
        case 0: {
            int n = snprintf(config->service_dir, sizeof(config->service_dir), "%s", value);
            if (n < 0 || (size_t)n >= sizeof(config->service_dir) || value[0] == '\0') {
                snprintf(err, err_size, "--update-service-dir: not a usable path");
                return -1;
            }
            return 0;
        }
        case 1:
            return positive_duration("update-check-period", value, &config->check_period_ms, err,
                                     err_size);
        case 2:
            return positive_duration("update-max-deferral", value, &config->max_deferral_ms, err,
                                     err_size);
        case 3: {
            char *end = NULL;
            long n = strtol(value, &end, 10);
            if (end == value || *end != '\0' || n < 1 || n > 1000) {
                snprintf(err, err_size, "--rollback-exits '%s' is not a number from 1 to 1000",
                         value);
                return -1;
            }
            config->rollback_exits = (unsigned)n;
            return 0;
        }
        case 4:
            return positive_duration("rollback-window", value, &config->rollback_window_ms, err,
                                     err_size);
        default:
            snprintf(err, err_size, "unknown update option");
            return -1;
    }
}
