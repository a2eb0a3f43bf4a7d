// SPDX-License-Identifier: MIT
// The update agent's install flow and app trial; see update_agent_flow.h.
#include "os/update_agent_flow.h"

#include <errno.h>

#define MINUTE_MS 60000

static void no_event(struct sim_sysevent *out) {
    *out = (struct sim_sysevent){0};
}

static void make_event(const struct sim_update_flow *flow, uint32_t status, uint32_t minutes,
                       struct sim_sysevent *out) {
    *out = (struct sim_sysevent){.event = SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL,
                                 .status = status,
                                 .update_type = flow->update_type,
                                 .max_deferral_minutes = minutes};
}

uint32_t sim_update_flow_minutes_left(const struct sim_update_flow *flow, int64_t now_ms) {
    int64_t left = flow->budget_end_ms - now_ms;
    if (left <= 0) {
        return 0;
    }
    int64_t minutes = left / MINUTE_MS;
    return minutes > UINT32_MAX ? UINT32_MAX : (uint32_t)minutes;
}

// Pending while at least a minute of budget is left, so that a Pending always offers a deferral;
// Final otherwise. Both give the app the warning before anything happens.
static void announce(struct sim_update_flow *flow, int64_t now_ms, struct sim_sysevent *out) {
    uint32_t minutes = sim_update_flow_minutes_left(flow, now_ms);
    flow->deadline_ms = now_ms + flow->warning_ms;
    if (minutes >= 1) {
        flow->state = SIM_FLOW_PENDING;
        make_event(flow, SIM_SYSEVENT_STATUS_PENDING, minutes, out);
    } else {
        flow->state = SIM_FLOW_FINAL;
        make_event(flow, SIM_SYSEVENT_STATUS_FINAL, 0, out);
    }
}

void sim_update_flow_begin(struct sim_update_flow *flow, int64_t now_ms, uint32_t update_type,
                           int64_t budget_ms, int64_t warning_ms, bool listening,
                           struct sim_sysevent *out_event) {
    *flow = (struct sim_update_flow){.update_type = update_type,
                                     .budget_end_ms = now_ms + (budget_ms > 0 ? budget_ms : 0),
                                     .warning_ms = warning_ms > 0 ? warning_ms : 0};
    no_event(out_event);
    if (!listening) {
        // Nobody to warn: the install need not wait.
        flow->state = SIM_FLOW_INSTALL;
        return;
    }
    announce(flow, now_ms, out_event);
}

int sim_update_flow_defer(struct sim_update_flow *flow, int64_t now_ms, uint32_t event,
                          uint32_t minutes, struct sim_sysevent *out_event) {
    no_event(out_event);
    if (event != SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL || flow->state != SIM_FLOW_PENDING) {
        return EINVAL;
    }
    int64_t left = flow->budget_end_ms - now_ms;
    int64_t granted = (int64_t)minutes * MINUTE_MS;
    if (granted > left) {
        granted = left > 0 ? left : 0;
    }
    flow->state = SIM_FLOW_DEFERRED;
    flow->granted_ms = granted;
    flow->deadline_ms = now_ms + granted;
    make_event(flow, SIM_SYSEVENT_STATUS_DEFERRED, (uint32_t)(granted / MINUTE_MS), out_event);
    return 0;
}

int sim_update_flow_resume(struct sim_update_flow *flow, int64_t now_ms, uint32_t event,
                           struct sim_sysevent *out_event) {
    no_event(out_event);
    if (event != SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL || flow->state != SIM_FLOW_DEFERRED) {
        return EINVAL;
    }
    flow->state = SIM_FLOW_FINAL;
    flow->deadline_ms = now_ms + flow->warning_ms;
    make_event(flow, SIM_SYSEVENT_STATUS_FINAL, 0, out_event);
    return 0;
}

bool sim_update_flow_tick(struct sim_update_flow *flow, int64_t now_ms,
                          struct sim_sysevent *out_event) {
    no_event(out_event);
    if (flow->deadline_ms == 0 || now_ms < flow->deadline_ms) {
        return false;
    }
    switch (flow->state) {
        case SIM_FLOW_PENDING:
        case SIM_FLOW_FINAL:
            flow->state = SIM_FLOW_INSTALL;
            flow->deadline_ms = 0;
            return true;
        case SIM_FLOW_DEFERRED:
            announce(flow, now_ms, out_event);
            return true;
        default:
            flow->deadline_ms = 0;
            return false;
    }
}

const char *sim_update_flow_state_name(enum sim_update_flow_state state) {
    switch (state) {
        case SIM_FLOW_PENDING:
            return "pending";
        case SIM_FLOW_DEFERRED:
            return "deferred";
        case SIM_FLOW_FINAL:
            return "final";
        case SIM_FLOW_INSTALL:
            return "installing";
        default:
            return "idle";
    }
}

void sim_update_trial_begin(struct sim_update_trial *trial, unsigned max_exits, int64_t window_ms) {
    *trial = (struct sim_update_trial){
        .active = true, .max_exits = max_exits > 0 ? max_exits : 1, .window_ms = window_ms};
}

void sim_update_trial_app_started(struct sim_update_trial *trial, int64_t now_ms) {
    if (trial->active && trial->started_ms == 0) {
        // 0 means "not started": a start at time 0 (a test clock) is recorded as 1.
        trial->started_ms = now_ms != 0 ? now_ms : 1;
    }
}

enum sim_trial_verdict sim_update_trial_app_exited(struct sim_update_trial *trial, int64_t now_ms,
                                                   bool unplanned) {
    if (!trial->active || trial->started_ms == 0 || !unplanned ||
        now_ms - trial->started_ms >= trial->window_ms) {
        return SIM_TRIAL_CONTINUE;
    }
    trial->exits++;
    if (trial->exits >= trial->max_exits) {
        trial->active = false;
        return SIM_TRIAL_ROLLBACK;
    }
    return SIM_TRIAL_CONTINUE;
}

bool sim_update_trial_passed(const struct sim_update_trial *trial, int64_t now_ms) {
    return trial->active && trial->started_ms != 0 &&
           now_ms - trial->started_ms >= trial->window_ms;
}

int64_t sim_update_trial_deadline(const struct sim_update_trial *trial) {
    return trial->active && trial->started_ms != 0 ? trial->started_ms + trial->window_ms : 0;
}
