// SPDX-License-Identifier: MIT
// The update agent's decisions, free of I/O and clocks, so they can be tested with any times:
//
//  - the install flow of a downloaded, verified update: UpdateReadyForInstall Pending with the
//    deferral budget left; SysEvent_DeferEvent cut down to that budget and only while Pending;
//    Deferred; SysEvent_ResumeEvent only after a successful defer; Final with its warning once
//    the budget is spent (or the app resumes); then the install;
//  - the trial of a newly installed app: N unplanned exits within a window of its first start
//    roll it back; surviving the window commits it.
//
// Every time is a millisecond count the caller chooses. The agent uses the device-monotonic
// timeline for the flow (deferral is device time, so accelerated clocks shorten it) and the host's
// monotonic clock for the trial (app processes run at real speed, like the restart back-off).
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "os/sysevent_service.h"

// The platform's values (applibs/sysevent.h), which the OS side sends on the event channel.
enum {
    SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL = 0x01,
    SIM_SYSEVENT_UPDATE_STARTED = 0x02,
    SIM_SYSEVENT_NO_UPDATE_AVAILABLE = 0x04,
};
enum {
    SIM_SYSEVENT_STATUS_PENDING = 1,
    SIM_SYSEVENT_STATUS_FINAL = 2,
    SIM_SYSEVENT_STATUS_DEFERRED = 3,
    SIM_SYSEVENT_STATUS_COMPLETE = 4,
};
enum {
    SIM_SYSEVENT_UPDATE_APP = 1,
    SIM_SYSEVENT_UPDATE_SYSTEM = 2,
};

// How long an app has to react to Pending, and the warning Final gives, before the install.
#define SIM_UPDATE_WARNING_MS 10000
// The deferral budget for an OS update: 24 h from when the device learns of it.
#define SIM_UPDATE_OS_MAX_DEFERRAL_MS (24LL * 3600 * 1000)
// For an app update: 168 h, the figure usually quoted (the platform reports it at run time).
#define SIM_UPDATE_APP_MAX_DEFERRAL_MS (168LL * 3600 * 1000)

enum sim_update_flow_state {
    SIM_FLOW_IDLE = 0,
    SIM_FLOW_PENDING,   // Pending sent: the app may defer until the warning ends
    SIM_FLOW_DEFERRED,  // deferred until the deadline
    SIM_FLOW_FINAL,     // Final sent: the install follows when the warning ends
    SIM_FLOW_INSTALL,   // stop the app and install now
};

struct sim_update_flow {
    enum sim_update_flow_state state;
    uint32_t update_type;   // SysEvent_UpdateType
    int64_t budget_end_ms;  // no deferral reaches past this
    int64_t deadline_ms;    // when the current state ends; 0 for none
    int64_t warning_ms;
    int64_t granted_ms;  // the last deferral granted
};

// Starts the flow at now for an update of update_type (SysEvent_UpdateType) whose deferral budget
// is budget_ms from now. listening: an app is registered for UpdateReadyForInstall; without one
// the flow goes straight to INSTALL. *out_event is the event to deliver (event 0: none): Pending
// with the whole minutes of budget left, or Final when less than a minute is left.
void sim_update_flow_begin(struct sim_update_flow *flow, int64_t now_ms, uint32_t update_type,
                           int64_t budget_ms, int64_t warning_ms, bool listening,
                           struct sim_sysevent *out_event);

// SysEvent_DeferEvent(event, minutes) at now. Returns 0 and the Deferred event to deliver, the
// deferral being the request cut down to the budget left; or EINVAL (changing nothing) for an
// event other than UpdateReadyForInstall or when the update is not Pending.
int sim_update_flow_defer(struct sim_update_flow *flow, int64_t now_ms, uint32_t event,
                          uint32_t minutes, struct sim_sysevent *out_event);

// SysEvent_ResumeEvent(event) at now. Returns 0 and Final to deliver (the install follows its
// warning); or EINVAL for another event or when the update is not deferred.
int sim_update_flow_resume(struct sim_update_flow *flow, int64_t now_ms, uint32_t event,
                           struct sim_sysevent *out_event);

// Moves the flow on if its deadline has come: Pending unanswered -> INSTALL; a deferral over ->
// Pending again with the budget left, or Final when less than a minute is left; Final's warning
// over -> INSTALL. Returns true when the state changed; *out_event as above.
bool sim_update_flow_tick(struct sim_update_flow *flow, int64_t now_ms,
                          struct sim_sysevent *out_event);

// The whole minutes of deferral budget left at now (0 when spent).
uint32_t sim_update_flow_minutes_left(const struct sim_update_flow *flow, int64_t now_ms);

const char *sim_update_flow_state_name(enum sim_update_flow_state state);

// The trial of a new app. Exits count only from its first start until window_ms after it.
struct sim_update_trial {
    bool active;
    int64_t started_ms;  // first start; 0 until the app has started
    unsigned exits;
    unsigned max_exits;  // the exit that reaches this rolls back
    int64_t window_ms;
};

enum sim_trial_verdict {
    SIM_TRIAL_CONTINUE = 0,
    SIM_TRIAL_ROLLBACK,
};

void sim_update_trial_begin(struct sim_update_trial *trial, unsigned max_exits, int64_t window_ms);
// The app (re)started at now; only the first start opens the window.
void sim_update_trial_app_started(struct sim_update_trial *trial, int64_t now_ms);
// The app exited at now. unplanned: not an exit the OS asked for. Returns ROLLBACK when this is
// the max_exits-th unplanned exit within the window.
enum sim_trial_verdict sim_update_trial_app_exited(struct sim_update_trial *trial, int64_t now_ms,
                                                   bool unplanned);
// True when the window has passed without a rollback: the new app is committed.
bool sim_update_trial_passed(const struct sim_update_trial *trial, int64_t now_ms);
// When the window ends (0: no trial, or the app has not started yet).
int64_t sim_update_trial_deadline(const struct sim_update_trial *trial);
