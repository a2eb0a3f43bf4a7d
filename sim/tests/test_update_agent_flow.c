// SPDX-License-Identifier: MIT
// The update agent's install flow and app trial with the clock in the test's hands: deferral
// arithmetic and truncation to the budget, what Defer and Resume accept, when Pending, Final and
// the install come, and how exits within the trial window count towards a rollback.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>

#include "os/update_agent_flow.h"

#define MIN_MS 60000LL
#define HOUR_MS (60 * MIN_MS)
#define WARN_MS 10000LL
#define T0 1000000LL

static struct sim_update_flow begin(int64_t budget_ms, struct sim_sysevent *ev) {
    struct sim_update_flow flow;
    sim_update_flow_begin(&flow, T0, SIM_SYSEVENT_UPDATE_APP, budget_ms, WARN_MS, true, ev);
    return flow;
}

static void test_flow_begin_listening_sends_pending_with_whole_minutes(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(24 * HOUR_MS + 59999, &ev);
    assert_int_equal(flow.state, SIM_FLOW_PENDING);
    assert_int_equal(ev.event, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_PENDING);
    assert_int_equal(ev.update_type, SIM_SYSEVENT_UPDATE_APP);
    assert_int_equal(ev.max_deferral_minutes, 24 * 60);
    assert_int_equal(flow.deadline_ms, T0 + WARN_MS);
}

static void test_flow_begin_not_listening_installs_at_once(void **state) {
    (void)state;
    struct sim_update_flow flow;
    struct sim_sysevent ev;
    sim_update_flow_begin(&flow, T0, SIM_SYSEVENT_UPDATE_SYSTEM, HOUR_MS, WARN_MS, false, &ev);
    assert_int_equal(flow.state, SIM_FLOW_INSTALL);
    assert_int_equal(ev.event, 0);
}

static void test_flow_begin_budget_under_a_minute_sends_final(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(59999, &ev);
    assert_int_equal(flow.state, SIM_FLOW_FINAL);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_FINAL);
    assert_int_equal(flow.deadline_ms, T0 + WARN_MS);
}

static void test_flow_pending_unanswered_installs_after_warning(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    assert_false(sim_update_flow_tick(&flow, T0 + WARN_MS - 1, &ev));
    assert_int_equal(flow.state, SIM_FLOW_PENDING);
    assert_true(sim_update_flow_tick(&flow, T0 + WARN_MS, &ev));
    assert_int_equal(flow.state, SIM_FLOW_INSTALL);
    assert_int_equal(ev.event, 0);
}

static void test_flow_defer_within_budget_granted_in_full(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    assert_int_equal(
        sim_update_flow_defer(&flow, T0 + 1000, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 10, &ev), 0);
    assert_int_equal(flow.state, SIM_FLOW_DEFERRED);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_DEFERRED);
    assert_int_equal(flow.deadline_ms, T0 + 1000 + 10 * MIN_MS);
    assert_int_equal(flow.granted_ms, 10 * MIN_MS);
}

static void test_flow_defer_beyond_budget_truncated_to_budget(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    assert_int_equal(sim_update_flow_defer(&flow, T0 + 5000, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL,
                                           UINT32_MAX, &ev),
                     0);
    assert_int_equal(flow.granted_ms, HOUR_MS - 5000);
    assert_int_equal(flow.deadline_ms, T0 + HOUR_MS);
    // The deferral ends with the budget: no Pending is left to give, so Final comes.
    assert_true(sim_update_flow_tick(&flow, T0 + HOUR_MS, &ev));
    assert_int_equal(flow.state, SIM_FLOW_FINAL);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_FINAL);
    assert_int_equal(flow.deadline_ms, T0 + HOUR_MS + WARN_MS);
    assert_true(sim_update_flow_tick(&flow, T0 + HOUR_MS + WARN_MS, &ev));
    assert_int_equal(flow.state, SIM_FLOW_INSTALL);
}

static void test_flow_deferral_over_with_budget_left_sends_pending_again(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    sim_update_flow_defer(&flow, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 20, &ev);
    assert_false(sim_update_flow_tick(&flow, T0 + 20 * MIN_MS - 1, &ev));
    assert_true(sim_update_flow_tick(&flow, T0 + 20 * MIN_MS, &ev));
    assert_int_equal(flow.state, SIM_FLOW_PENDING);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_PENDING);
    assert_int_equal(ev.max_deferral_minutes, 40);
}

static void test_flow_defer_not_pending_einval(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow idle = {0};
    assert_int_equal(
        sim_update_flow_defer(&idle, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 1, &ev), EINVAL);
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    sim_update_flow_defer(&flow, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 1, &ev);
    // Deferred is not Pending: a second defer is refused and changes nothing.
    assert_int_equal(
        sim_update_flow_defer(&flow, T0 + 1, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 30, &ev),
        EINVAL);
    assert_int_equal(flow.deadline_ms, T0 + MIN_MS);
    assert_int_equal(ev.event, 0);
}

static void test_flow_defer_other_event_einval(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    assert_int_equal(sim_update_flow_defer(&flow, T0, SIM_SYSEVENT_UPDATE_STARTED, 1, &ev), EINVAL);
    assert_int_equal(flow.state, SIM_FLOW_PENDING);
}

static void test_flow_resume_without_defer_einval(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    assert_int_equal(sim_update_flow_resume(&flow, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, &ev),
                     EINVAL);
    assert_int_equal(flow.state, SIM_FLOW_PENDING);
}

static void test_flow_resume_after_defer_final_then_install(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(HOUR_MS, &ev);
    sim_update_flow_defer(&flow, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 30, &ev);
    assert_int_equal(
        sim_update_flow_resume(&flow, T0 + 2000, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, &ev), 0);
    assert_int_equal(flow.state, SIM_FLOW_FINAL);
    assert_int_equal(ev.status, SIM_SYSEVENT_STATUS_FINAL);
    assert_false(sim_update_flow_tick(&flow, T0 + 2000 + WARN_MS - 1, &ev));
    assert_true(sim_update_flow_tick(&flow, T0 + 2000 + WARN_MS, &ev));
    assert_int_equal(flow.state, SIM_FLOW_INSTALL);
    // Once deferred and resumed, it cannot be resumed again.
    assert_int_equal(sim_update_flow_resume(&flow, T0, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, &ev),
                     EINVAL);
}

static void test_flow_repeated_deferrals_spend_the_budget(void **state) {
    (void)state;
    struct sim_sysevent ev;
    struct sim_update_flow flow = begin(30 * MIN_MS, &ev);
    int64_t now = T0;
    int pendings = 1;
    while (flow.state == SIM_FLOW_PENDING) {
        assert_int_equal(
            sim_update_flow_defer(&flow, now, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, 7, &ev), 0);
        now = flow.deadline_ms;
        assert_true(sim_update_flow_tick(&flow, now, &ev));
        pendings += flow.state == SIM_FLOW_PENDING;
    }
    // 30 min in deferrals of 7: granted 7, 7, 7, 7, then the 2 minutes left; then Final.
    assert_int_equal(pendings, 5);
    assert_int_equal(flow.state, SIM_FLOW_FINAL);
    assert_int_equal(now, T0 + 30 * MIN_MS);
    assert_int_equal(sim_update_flow_minutes_left(&flow, now), 0);
}

static void test_trial_exits_within_window_roll_back_at_max(void **state) {
    (void)state;
    struct sim_update_trial trial;
    sim_update_trial_begin(&trial, 3, 60000);
    sim_update_trial_app_started(&trial, 5000);
    assert_int_equal(sim_update_trial_app_exited(&trial, 6000, true), SIM_TRIAL_CONTINUE);
    sim_update_trial_app_started(&trial, 6100);  // a restart does not move the window
    assert_int_equal(sim_update_trial_app_exited(&trial, 7000, true), SIM_TRIAL_CONTINUE);
    assert_int_equal(sim_update_trial_deadline(&trial), 65000);
    assert_int_equal(sim_update_trial_app_exited(&trial, 64999, true), SIM_TRIAL_ROLLBACK);
    assert_false(trial.active);
}

static void test_trial_planned_exits_not_counted(void **state) {
    (void)state;
    struct sim_update_trial trial;
    sim_update_trial_begin(&trial, 2, 60000);
    sim_update_trial_app_started(&trial, 1000);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(sim_update_trial_app_exited(&trial, 2000 + i, false), SIM_TRIAL_CONTINUE);
    }
    assert_int_equal(trial.exits, 0);
}

static void test_trial_exit_after_window_not_counted_and_passes(void **state) {
    (void)state;
    struct sim_update_trial trial;
    sim_update_trial_begin(&trial, 1, 60000);
    assert_false(sim_update_trial_passed(&trial, 1000000));  // not started: no window yet
    assert_int_equal(sim_update_trial_app_exited(&trial, 10, true), SIM_TRIAL_CONTINUE);
    sim_update_trial_app_started(&trial, 1000);
    assert_false(sim_update_trial_passed(&trial, 60999));
    assert_true(sim_update_trial_passed(&trial, 61000));
    assert_int_equal(sim_update_trial_app_exited(&trial, 61000, true), SIM_TRIAL_CONTINUE);
}

static void test_trial_inactive_never_rolls_back(void **state) {
    (void)state;
    struct sim_update_trial trial = {0};
    sim_update_trial_app_started(&trial, 1);
    assert_int_equal(sim_update_trial_app_exited(&trial, 2, true), SIM_TRIAL_CONTINUE);
    assert_int_equal(sim_update_trial_deadline(&trial), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_begin_listening_sends_pending_with_whole_minutes),
        cmocka_unit_test(test_flow_begin_not_listening_installs_at_once),
        cmocka_unit_test(test_flow_begin_budget_under_a_minute_sends_final),
        cmocka_unit_test(test_flow_pending_unanswered_installs_after_warning),
        cmocka_unit_test(test_flow_defer_within_budget_granted_in_full),
        cmocka_unit_test(test_flow_defer_beyond_budget_truncated_to_budget),
        cmocka_unit_test(test_flow_deferral_over_with_budget_left_sends_pending_again),
        cmocka_unit_test(test_flow_defer_not_pending_einval),
        cmocka_unit_test(test_flow_defer_other_event_einval),
        cmocka_unit_test(test_flow_resume_without_defer_einval),
        cmocka_unit_test(test_flow_resume_after_defer_final_then_install),
        cmocka_unit_test(test_flow_repeated_deferrals_spend_the_budget),
        cmocka_unit_test(test_trial_exits_within_window_roll_back_at_max),
        cmocka_unit_test(test_trial_planned_exits_not_counted),
        cmocka_unit_test(test_trial_exit_after_window_not_counted_and_passes),
        cmocka_unit_test(test_trial_inactive_never_rolls_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
