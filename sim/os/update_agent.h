// SPDX-License-Identifier: MIT
// The device's update agent: the simulated OS's side of over-the-air updates (docs/updates.md).
//
// It checks the update service (sim/update) on boot or on the first network connection after
// it, then every check period of device time (20 h by default). A check first uploads what the
// device owes the service (update results, new failure-report events), then asks "what should I
// run, given app X at version V and OS version W". NoUpdateAvailable goes to the app when there
// is nothing. Otherwise: UpdateStarted, download, verification with the trusted tenant key, the
// installed app's component id and anti-rollback, then the install flow of update_agent_flow.h
// (Pending, deferrals, Final), the app stopped with SIGTERM (SIGKILL 2 s later), the package
// installed into the inactive A/B slot and switched to (image_slots.h). An app update restarts the
// app, which gets Complete; an OS update reboots the device. A new app on trial that exits N times
// within T of its first start is rolled back, and that version is not taken again.
//
// The supervisor drives it: it watches sim_update_agent_fd, adds sim_update_agent_deadline to its
// waits, and calls the hooks below at boot, network changes, app starts and exits. Hooks answer
// with an action the supervisor carries out; the agent never touches the app process itself.
// Every function accepts a NULL agent (no update agent) and then does nothing.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cJSON;
struct sim_device;
struct sim_update_agent;

#define SIM_UPDATE_DEFAULT_CHECK_PERIOD_MS (20LL * 3600 * 1000)
#define SIM_UPDATE_DEFAULT_ROLLBACK_EXITS 3u
#define SIM_UPDATE_DEFAULT_ROLLBACK_WINDOW_MS 60000

struct sim_update_config {
    char service_dir[PATH_MAX];  // the update service's state directory (its service.json)
    int64_t check_period_ms;     // device time between checks
    int64_t max_deferral_ms;     // 0: the platform's budget (app 168 h, OS 24 h)
    unsigned rollback_exits;     // N: unplanned exits of a new app that roll it back...
    int64_t rollback_window_ms;  // ...within T (real time) of its first start
    char hw_path[PATH_MAX];      // hardware definition that resolves an updated manifest's $NAMEs
};

enum sim_update_action {
    SIM_UPDATE_NONE = 0,
    SIM_UPDATE_STOP_APP,   // stop the app (SIGTERM, SIGKILL after 2 s), then call app_stopped
    SIM_UPDATE_START_APP,  // start the app now (from the active slot; its manifest may be new)
    SIM_UPDATE_REBOOT,     // reboot now (the app is not running)
};

// `spheresim run`'s options for the agent; see sim_update_config_option.
#define SIM_UPDATE_OPTION_BASE 0x5500
#define SIM_UPDATE_RUN_OPTIONS                                                        \
    {"update-service-dir", required_argument, NULL, SIM_UPDATE_OPTION_BASE + 0},      \
        {"update-check-period", required_argument, NULL, SIM_UPDATE_OPTION_BASE + 1}, \
        {"update-max-deferral", required_argument, NULL, SIM_UPDATE_OPTION_BASE + 2}, \
        {"rollback-exits", required_argument, NULL, SIM_UPDATE_OPTION_BASE + 3}, {    \
        "rollback-window", required_argument, NULL, SIM_UPDATE_OPTION_BASE + 4        \
    }
#define SIM_UPDATE_OPTION_COUNT 5
#define SIM_UPDATE_RUN_USAGE                                                              \
    "  --update-service-dir D\n"                                                          \
    "                    the update service the device checks (default $SPHERESIM_HOME/"  \
    "update)\n"                                                                           \
    "  --update-check-period DURATION\n"                                                  \
    "                    device time between update checks (default 20h)\n"               \
    "  --update-max-deferral DURATION\n"                                                  \
    "                    how long apps may defer an update (default: app 168h, OS 24h)\n" \
    "  --rollback-exits N --rollback-window DURATION\n"                                   \
    "                    roll a new app back when it exits N times within DURATION of\n"  \
    "                    its first start (default 3 within 60s)\n"

// The defaults; the directories are left empty for sim_update_config_finish.
void sim_update_config_init(struct sim_update_config *config);

// Completes a configuration after the options: the service directory defaults to <home>/update;
// hw_path is the hardware definition `run` uses. Returns 0, or -1 with a reason in err.
int sim_update_config_finish(struct sim_update_config *config, const char *home,
                             const char *hw_path, char *err, size_t err_size);

// Applies one of SIM_UPDATE_RUN_OPTIONS (opt is getopt_long's value). Returns 0, or -1 with a
// one-line reason in err for a bad value.
int sim_update_config_option(struct sim_update_config *config, int opt, const char *value,
                             char *err, size_t err_size);

// Installs `run`'s app as the factory image if needed (image_slots.h), points the device at the
// active app slot (package, binary, manifest) and prepares the agent; sets device->update.
// Returns 0, or -1 with a one-line reason in err.
int sim_update_agent_prepare(struct sim_update_agent **out_agent, struct sim_device *device,
                             const struct sim_update_config *config, char *err, size_t err_size);
void sim_update_agent_free(struct sim_update_agent *agent);

// The descriptor the supervisor watches for input; -1 for none.
int sim_update_agent_fd(const struct sim_update_agent *agent);
// The nearest host-monotonic deadline the agent has (0: none).
int64_t sim_update_agent_deadline(const struct sim_update_agent *agent);

// Hooks. Each returns what the supervisor must do next.
enum sim_update_action sim_update_agent_serve(struct sim_update_agent *agent);
enum sim_update_action sim_update_agent_run_due(struct sim_update_agent *agent);
enum sim_update_action sim_update_agent_boot(struct sim_update_agent *agent);
enum sim_update_action sim_update_agent_network(struct sim_update_agent *agent, bool up);
// The app was started (trial windows count from its first start).
void sim_update_agent_app_started(struct sim_update_agent *agent);
// The app exited; unplanned: the OS did not ask it to. May roll back (START_APP).
enum sim_update_action sim_update_agent_app_exited(struct sim_update_agent *agent, bool unplanned);
// The app is gone for the install: installs and answers START_APP or REBOOT.
enum sim_update_action sim_update_agent_app_stopped(struct sim_update_agent *agent);
// A power cut: whatever was in progress is dropped, as the device's RAM is.
void sim_update_agent_power_cut(struct sim_update_agent *agent);

// The app registered for system events (the agent may owe it Complete).
void sim_update_agent_app_registered(struct sim_update_agent *agent);
// SysEvent_DeferEvent and SysEvent_ResumeEvent from the app, capability already checked.
// Return 0 or an errno (EINVAL: nothing pending, or not deferred).
int sim_update_agent_defer(struct sim_update_agent *agent, uint32_t event, uint32_t minutes);
int sim_update_agent_resume(struct sim_update_agent *agent, uint32_t event);

// The OS version Applications_GetOsVersion reports ("1.0.0" without an agent).
void sim_update_agent_os_version(const struct sim_update_agent *agent, char *out, size_t out_size);

// Adds the agent's state to `ctl status` (an "update" object).
void sim_update_agent_add_status(const struct sim_update_agent *agent, struct cJSON *status);
