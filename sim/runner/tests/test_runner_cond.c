// SPDX-License-Identifier: MIT
// How the runner decides conditions (runner_cond.c), against observations made up here rather
// than real devices: telemetry counts in a window, no_loss gaps, no_duplicates, order after
// dropping redeliveries, LED states and blink patterns, restarts, failure-report reasons,
// denied capabilities and log windows. The conditions come from parsed scenario text, so they
// are exactly what a scenario file produces.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "runner/runner_internal.h"
#include "scn_test_util.h"

struct fixture {
    struct scn_scenario scn;
    struct rn_runner r;
    struct rn_device *d;
    char detail[512];
};

// Parses one expectation's condition (YAML flow text) into f->scn.
static struct fixture *setup_with(const char *condition) {
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    char tail[2048];
    snprintf(tail, sizeof(tail), "expect:\n  - eventually: %s\n    within: 1m\n", condition);
    assert_int_equal(scn_test_parse_with(tail, &f->scn), SCN_OK);
    f->r.scn = &f->scn;
    f->r.devices = calloc(1, sizeof(struct rn_device));
    f->r.device_count = 1;
    f->d = &f->r.devices[0];
    f->d->def = &f->scn.devices[0];
    return f;
}

static bool eval(struct fixture *f, int64_t from, int64_t to) {
    bool ok = rn_cond_eval(&f->r, &f->scn.expectations[0].cond, 0, from, to, f->detail,
                           sizeof(f->detail));
    print_message("%s: %s\n", ok ? "holds" : "fails", f->detail);
    return ok;
}

static void teardown_fixture(struct fixture *f) {
    rn_devices_free(&f->r);
    rn_cond_free(&f->r);
    scn_scenario_free(&f->scn);
    free(f);
}

// A telemetry message as the hub reports it.
static void add_message(struct fixture *f, int64_t t, const char *mid, const char *body,
                        const char *ctime) {
    char text[1024];
    snprintf(text, sizeof(text),
             "{\"sequence\":%zu,\"systemProperties\":{\"message-id\":\"%s\","
             "\"content-type\":\"application/json\",\"iothub-creation-time-utc\":\"%s\"},"
             "\"properties\":{\"messageType\":\"telemetry\"},\"body\":%s}",
             f->d->message_count + 1, mid, ctime, body);
    struct rn_message m = {.t = t, .sequence = f->d->message_count + 1, .json = cJSON_Parse(text)};
    assert_non_null(m.json);
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(m.json, "body");
    m.body = cJSON_Parse(b->valuestring);
    assert_true(RN_PUSH(f->d->messages, f->d->message_count, f->d->message_cap, m));
}

static void add_reading(struct fixture *f, int64_t t, const char *mid, double celsius) {
    char body[128];
    char ctime[64];
    snprintf(body, sizeof(body), "\"{\\\"temperature\\\":%.2f}\"", celsius);
    snprintf(ctime, sizeof(ctime), "2026-01-01T00:00:%02d.000Z", (int)(t / 1000) % 60);
    add_message(f, t, mid, body, ctime);
}

static void test_rn_cond_eval_telemetry_where_counts_inside_window(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {count: 2, where: [{path: temperature, gt: 30}]}}");
    add_reading(f, 100, "e-1", 31);
    add_reading(f, 500, "e-2", 32);
    add_reading(f, 700, "e-3", 20);
    add_reading(f, 900, "e-4", 33);
    assert_false(eval(f, 0, 1000));  // three match
    assert_true(eval(f, 400, 1000));
    assert_false(eval(f, 600, 1000));
    teardown_fixture(f);
}

static void test_rn_cond_eval_no_loss_gap_fails_until_filled(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {no_loss: true}}");
    assert_false(eval(f, 0, 1000));  // nothing arrived: nothing to judge
    add_reading(f, 100, "ab12-1", 25);
    add_reading(f, 200, "ab12-2", 25);
    add_reading(f, 300, "ab12-4", 25);
    assert_false(eval(f, 0, 1000));
    assert_non_null(strstr(f->detail, "1 of the 4 messages ab12-1..4 never arrived"));
    add_reading(f, 400, "ab12-3", 25);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void test_rn_cond_eval_no_loss_redelivery_is_not_a_gap(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {no_loss: true}}");
    add_reading(f, 100, "q-1", 25);
    add_reading(f, 200, "q-2", 25);
    add_reading(f, 300, "q-2", 25);
    add_reading(f, 400, "q-3", 25);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void test_rn_cond_eval_no_loss_new_queue_must_start_at_one(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {no_loss: true}}");
    add_reading(f, 100, "old-1", 25);
    add_reading(f, 200, "old-2", 25);
    add_reading(f, 300, "new-3", 25);
    assert_false(eval(f, 0, 1000));
    assert_non_null(strstr(f->detail, "new starts at 3"));
    teardown_fixture(f);
}

static void test_rn_cond_eval_no_duplicates_same_message_two_ids_fails(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {no_duplicates: true}}");
    add_message(f, 100, "m-1", "\"{\\\"t\\\":1}\"", "2026-01-01T00:00:01.000Z");
    add_message(f, 200, "m-1", "\"{\\\"t\\\":1}\"", "2026-01-01T00:00:01.000Z");  // redelivered
    assert_true(eval(f, 0, 1000));
    add_message(f, 300, "m-2", "\"{\\\"t\\\":1}\"", "2026-01-01T00:00:01.000Z");  // re-queued
    assert_false(eval(f, 0, 1000));
    assert_non_null(strstr(f->detail, "the same message under two ids"));
    teardown_fixture(f);
}

static void test_rn_cond_eval_no_duplicates_one_id_two_bodies_fails(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {no_duplicates: true}}");
    add_message(f, 100, "m-1", "\"{\\\"t\\\":1}\"", "2026-01-01T00:00:01.000Z");
    add_message(f, 200, "m-1", "\"{\\\"t\\\":2}\"", "2026-01-01T00:00:02.000Z");
    assert_false(eval(f, 0, 1000));
    assert_non_null(strstr(f->detail, "share $.mid m-1 but differ"));
    teardown_fixture(f);
}

static void test_rn_cond_eval_order_judged_after_dropping_redeliveries(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {order: {property: \"$.mid\"}}}");
    add_reading(f, 100, "x-9", 25);
    add_reading(f, 200, "x-10", 25);
    add_reading(f, 300, "x-9", 25);  // a redelivery does not break the order
    add_reading(f, 400, "x-11", 25);
    assert_true(eval(f, 0, 1000));
    add_reading(f, 500, "x-8", 25);
    assert_false(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void test_rn_cond_eval_order_compares_numbers_by_value(void **state) {
    (void)state;
    struct fixture *f = setup_with("{telemetry: {order: {path: \"$.n\"}}}");
    add_message(f, 100, "m-1", "\"{\\\"n\\\":99999}\"", "2026-01-01T00:00:01.000Z");
    add_message(f, 200, "m-2", "\"{\\\"n\\\":1e20}\"", "2026-01-01T00:00:02.000Z");
    assert_true(eval(f, 0, 1000));
    // 1e20 prints as "1e+20", whose digit runs would put it before 99999 as text.
    add_message(f, 300, "m-3", "\"{\\\"n\\\":99999}\"", "2026-01-01T00:00:03.000Z");
    assert_false(eval(f, 0, 1000));
    assert_non_null(strstr(f->detail, "must strictly increase"));
    teardown_fixture(f);
}

static void add_led(struct fixture *f, int64_t t, int gpio, bool lit) {
    struct rn_gpio_change c = {.t = t, .gpio = gpio, .lit = lit};
    assert_true(RN_PUSH(f->d->gpio_changes, f->d->gpio_change_count, f->d->gpio_change_cap, c));
}

static void test_rn_cond_eval_led_state_is_the_state_at_window_end(void **state) {
    (void)state;
    struct fixture *f = setup_with("{led: {name: LED1_RED, state: \"on\"}}");
    add_led(f, 0, 8, false);
    add_led(f, 1000, 8, true);
    add_led(f, 2000, 8, false);
    assert_false(eval(f, 0, 999));
    assert_true(eval(f, 0, 1500));
    assert_false(eval(f, 0, 2500));
    teardown_fixture(f);
}

static void test_rn_cond_eval_led_blink_counts_matching_cycles(void **state) {
    (void)state;
    struct fixture *f =
        setup_with("{led: {name: LED2_BLUE, blink: {\"on\": 100ms, \"off\": 200ms, cycles: 3}}}");
    add_led(f, 0, 17, false);
    int64_t t = 1000;
    for (int i = 0; i < 3; i++) {
        add_led(f, t, 17, true);
        add_led(f, t + 110, 17, false);
        t += 300;
    }
    assert_false(eval(f, 0, 1700));  // the third off period has not lasted yet
    assert_true(eval(f, 0, 1900));
    assert_false(eval(f, 1200, 1900));  // only two cycles start inside
    teardown_fixture(f);
}

static void test_rn_cond_eval_led_blink_wrong_timing_fails(void **state) {
    (void)state;
    struct fixture *f =
        setup_with("{led: {name: LED2_BLUE, blink: {\"on\": 100ms, \"off\": 100ms}}}");
    add_led(f, 0, 17, false);
    add_led(f, 1000, 17, true);
    add_led(f, 1400, 17, false);  // 400 ms on: not this pattern
    add_led(f, 1500, 17, true);
    add_led(f, 1900, 17, false);
    assert_false(eval(f, 0, 3000));
    teardown_fixture(f);
}

static void test_rn_cond_eval_restarts_counts_the_window_difference(void **state) {
    (void)state;
    struct fixture *f = setup_with("{restarts: {count: 2}}");
    struct rn_sample samples[] = {{0, 0}, {500, 1}, {900, 3}};
    for (size_t i = 0; i < 3; i++) {
        RN_PUSH(f->d->restart_samples, f->d->restart_sample_count, f->d->restart_sample_cap,
                samples[i]);
    }
    assert_true(eval(f, 600, 1000));
    assert_false(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void add_report(struct fixture *f, int64_t t, enum rn_report_kind kind, int code,
                       int signal) {
    struct rn_report rep = {.t = t, .kind = kind, .code = code, .signal = signal};
    assert_true(RN_PUSH(f->d->reports, f->d->report_count, f->d->report_cap, rep));
}

static void test_rn_cond_eval_failure_report_reasons_match_descriptions(void **state) {
    (void)state;
    struct fixture *f = setup_with("{failure_report: {reason: killed-after-sigterm-timeout}}");
    add_report(f, 100, RN_REPORT_CRASH, 0, 11);
    assert_false(eval(f, 0, 1000));
    add_report(f, 200, RN_REPORT_CRASH, 0, 9);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
    f = setup_with("{failure_report: {reason: crash-loop, count: 1}}");
    add_report(f, 100, RN_REPORT_CRASH, 0, 11);
    add_report(f, 150, RN_REPORT_CRASH_LOOP, 0, 0);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
    f = setup_with("{failure_report: {reason: exit, code: 3}}");
    add_report(f, 100, RN_REPORT_EXIT, 4, 0);
    assert_false(eval(f, 0, 1000));
    add_report(f, 200, RN_REPORT_EXIT, 3, 0);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
}

// A SIGKILL crash as the OS files it, with or without the memory budget it went past.
static void add_kill_report(struct fixture *f, int64_t t, bool over_budget) {
    struct rn_report rep = {.t = t, .kind = RN_REPORT_CRASH, .signal = 9};
    snprintf(rep.description, sizeof(rep.description),
             "AppCrash (exit_status=9; signal_status=9; signal_code=2; component_id=c; "
             "image_id=i%s)",
             over_budget ? "; memory_budget_kib=256" : "");
    assert_true(RN_PUSH(f->d->reports, f->d->report_count, f->d->report_cap, rep));
}

static void test_rn_cond_eval_failure_report_memory_budget_is_its_own_reason(void **state) {
    (void)state;
    struct fixture *f = setup_with("{failure_report: {reason: memory-budget, count: 1}}");
    add_kill_report(f, 100, false);
    assert_false(eval(f, 0, 1000));
    add_kill_report(f, 200, true);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
    // A budget kill is a SIGKILL, but not one after a SIGTERM timeout.
    f = setup_with("{failure_report: {reason: killed-after-sigterm-timeout}}");
    add_kill_report(f, 100, true);
    assert_false(eval(f, 0, 1000));
    teardown_fixture(f);
    // It is still a crash by signal 9.
    f = setup_with("{failure_report: {reason: crash, signal: SIGKILL}}");
    add_kill_report(f, 100, true);
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void add_denied(struct fixture *f, int64_t t, const char *capability) {
    struct rn_denied d = {.t = t};
    snprintf(d.capability, sizeof(d.capability), "%s", capability);
    assert_true(RN_PUSH(f->d->denied, f->d->denied_count, f->d->denied_cap, d));
}

static void test_rn_cond_eval_denied_type_prefix_and_exact_value(void **state) {
    (void)state;
    struct fixture *f = setup_with("{denied: {capability: Gpio, count: 2}}");
    add_denied(f, 100, "Gpio:8");
    add_denied(f, 200, "GpioX:1");
    add_denied(f, 300, "Gpio:9");
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
    f = setup_with("{denied: {capability: \"AllowedConnections:Evil.Example.com\"}}");
    add_denied(f, 100, "AllowedConnections:evil.example.com.au");
    assert_false(eval(f, 0, 1000));
    add_denied(f, 200, "AllowedConnections:evil.example.com");
    assert_true(eval(f, 0, 1000));
    teardown_fixture(f);
}

static void add_log(struct fixture *f, int64_t t, const char *text) {
    struct rn_log_line line = {.t = t, .text = strdup(text)};
    assert_true(RN_PUSH(f->d->logs, f->d->log_count, f->d->log_cap, line));
}

static void test_rn_cond_eval_log_matches_in_window_incrementally(void **state) {
    (void)state;
    struct fixture *f = setup_with("{log: {matches: \"cloud: connected\", count: 2}}");
    add_log(f, 100, "app: INFO: cloud: connected to hub.");
    add_log(f, 200, "os: something else");
    assert_false(eval(f, 0, 1000));
    add_log(f, 300, "app: INFO: cloud: connected to hub.");
    assert_true(eval(f, 0, 1000));
    assert_false(eval(f, 150, 1000));
    teardown_fixture(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rn_cond_eval_telemetry_where_counts_inside_window),
        cmocka_unit_test(test_rn_cond_eval_no_loss_gap_fails_until_filled),
        cmocka_unit_test(test_rn_cond_eval_no_loss_redelivery_is_not_a_gap),
        cmocka_unit_test(test_rn_cond_eval_no_loss_new_queue_must_start_at_one),
        cmocka_unit_test(test_rn_cond_eval_no_duplicates_same_message_two_ids_fails),
        cmocka_unit_test(test_rn_cond_eval_no_duplicates_one_id_two_bodies_fails),
        cmocka_unit_test(test_rn_cond_eval_order_judged_after_dropping_redeliveries),
        cmocka_unit_test(test_rn_cond_eval_order_compares_numbers_by_value),
        cmocka_unit_test(test_rn_cond_eval_led_state_is_the_state_at_window_end),
        cmocka_unit_test(test_rn_cond_eval_led_blink_counts_matching_cycles),
        cmocka_unit_test(test_rn_cond_eval_led_blink_wrong_timing_fails),
        cmocka_unit_test(test_rn_cond_eval_restarts_counts_the_window_difference),
        cmocka_unit_test(test_rn_cond_eval_failure_report_reasons_match_descriptions),
        cmocka_unit_test(test_rn_cond_eval_failure_report_memory_budget_is_its_own_reason),
        cmocka_unit_test(test_rn_cond_eval_denied_type_prefix_and_exact_value),
        cmocka_unit_test(test_rn_cond_eval_log_matches_in_window_incrementally),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
