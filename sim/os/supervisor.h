// SPDX-License-Identifier: MIT
// The device OS's main loop: starts the app, serves its bus and peripheral channels, logs its
// output, restarts it when it exits (with a back-off while it keeps crashing), and carries out
// reboots, power-downs and stops the way the device does: SIGTERM, then SIGKILL 2 s later; a power
// cut kills without warning. It also answers `spheresim ctl` on the device's control socket.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "os/app_process.h"
#include "os/ctl_socket.h"
#include "net/net_proxy.h"
#include "os/device.h"

#define SIM_TERMINATION_GRACE_MS 2000
#define SIM_CTL_MAX_CLIENTS 8

enum sim_app_state {
    SIM_APP_IDLE = 0,
    SIM_APP_RUNNING,
    SIM_APP_STOPPING,  // SIGTERM sent, SIGKILL pending
    SIM_APP_WAITING,   // restart back-off
    SIM_APP_POWERED_OFF,
    SIM_APP_FINISHED,
};

// What happens once the running app has gone.
enum sim_after_exit {
    SIM_AFTER_RESTART = 0,
    SIM_AFTER_REBOOT,
    SIM_AFTER_POWER_DOWN,  // app-requested power-down, wakes after a residency time
    SIM_AFTER_POWER_CUT,   // off until `ctl power-on`
    SIM_AFTER_SHUTDOWN,    // spheresim itself stops
    SIM_AFTER_UPDATE,      // the update agent installs, then restarts the app or reboots
};

struct sim_last_exit {
    bool valid;
    bool signaled;
    int code;  // exit code or signal number
    int64_t time_ms;
    char reason[40];
};

struct sim_supervisor {
    struct sim_device *device;
    bool once;
    int epoll_fd;
    int signal_fd;
    int ctl_fd;
    struct sim_ctl_client clients[SIM_CTL_MAX_CLIENTS];
    int channel_watched[SIM_BOARD_CHANNEL_SLOTS];  // by board slot: the fd in epoll, or -1

    enum sim_app_state state;
    enum sim_after_exit after_exit;
    struct sim_app_process app;
    int64_t app_started_ms;  // monotonic
    bool sigterm_sent;
    bool sigkill_sent;
    unsigned restarts;
    unsigned quick_exits;
    struct sim_last_exit last_exit;
    char image_id[37];  // of the running app's binary, for failure reports

    // App-process and board timing runs at real speed: host monotonic ms, 0 = none.
    int64_t kill_deadline_ms;
    int64_t restart_deadline_ms;
    int64_t release_deadline_ms[2];  // button A, B after a click
    // Device-time events: sim_clock_device_ms targets, 0 = none, so a rate change moves them.
    int64_t power_on_device_ms;
    int64_t identity_check_device_ms;
    int64_t identity_check_deadline_ms;  // host monotonic: the periodic check, at real speed

    bool finished;
    int exit_status;
};

// Runs the device until it is stopped (SIGINT/SIGTERM to spheresim) or, with once, until the
// app's first exit. Returns spheresim's exit status: 0, or with once the app's exit code (or
// 128 + signal). Fatal set-up problems are logged and give 1.
int sim_supervisor_run(struct sim_supervisor *supervisor, struct sim_device *device, bool once,
                       const char *ctl_path);

// Actions the control socket (and later scenarios) drive. Each logs what it does.
void sim_supervisor_reboot(struct sim_supervisor *supervisor);
void sim_supervisor_power_off(struct sim_supervisor *supervisor);
void sim_supervisor_power_on(struct sim_supervisor *supervisor);
void sim_supervisor_set_link(struct sim_supervisor *supervisor, bool up,
                             enum sim_net_down_mode mode);
// The time server stops answering (false: time is no longer synced, and the link coming up does
// not sync it) or answers again (true: time syncs now if the link is up, else when it comes up).
void sim_supervisor_set_time_sync(struct sim_supervisor *supervisor, bool server_answers);
// After a change to the device clock (jump, set, rate): logs `what` and re-checks whatever
// depends on device time, such as the certificate's validity.
void sim_supervisor_clock_changed(struct sim_supervisor *supervisor, const char *what);
// Has the tenant CA issue the device a new certificate now, valid for validity_s seconds of
// device time (0: the normal 24 h), replacing the one the app reads; the usual renewal then
// replaces it before it expires. Returns 0, or -1 with a one-line reason in err when the device
// is off, offline or not time-synced, or the certificate cannot be issued.
int sim_supervisor_rotate_cert(struct sim_supervisor *supervisor, long validity_s, char *err,
                               size_t err_size);
// Presses and releases a button 100 ms later. Returns 0 or ENODEV.
int sim_supervisor_click(struct sim_supervisor *supervisor, char button);
