// SPDX-License-Identifier: MIT
// Round trips of every condition kind, both expectation forms and `until` waits into the model:
// each test parses one expectation (or step) and checks the fields the runner will evaluate.
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "scn_test_util.h"

static struct scn_scenario s;

static int teardown(void **state) {
    scn_scenario_free(&s);
    return 0;
}

// Steps other conditions can refer to: a method call and a C2D send.
#define REFERENCED_STEPS                             \
    "steps:\n"                                       \
    "  - at: 1s\n"                                   \
    "    id: m1\n"                                   \
    "    method: {name: setLed, payload: {on: 1}}\n" \
    "  - after: 1s\n"                                \
    "    id: msg\n"                                  \
    "    c2d: hello\n"

// Parses one `eventually` expectation (within 1m) around the condition's flow mapping.
static const struct scn_condition *eventually(const char *condition, enum scn_condition_kind k) {
    char tail[4096];
    snprintf(tail, sizeof(tail), REFERENCED_STEPS "expect:\n  - eventually: %s\n    within: 1m\n",
             condition);
    assert_int_equal(scn_test_parse_with(tail, &s), SCN_OK);
    assert_int_equal(s.expectation_count, 1);
    const struct scn_expectation *e = &s.expectations[0];
    assert_int_equal(e->form, SCN_EVENTUALLY);
    assert_int_equal(e->within_ms, 60000);
    assert_int_equal(e->cond.kind, k);
    assert_int_equal(e->cond.loc.line, 13);
    assert_int_equal(e->cond.loc.column, 18);
    return &e->cond;
}

static void test_scn_parse_telemetry_condition_fills_every_option(void **state) {
    const struct scn_condition *c = eventually(
        "{telemetry: {count: {at_least: 3, at_most: 9}, where: [{path: temperature, gt: 30}, "
        "{property: \"$.ct\", eq: application/json}], order: {property: \"$.mid\"}, no_loss: true, "
        "no_duplicates: true}}",
        SCN_COND_TELEMETRY);
    assert_true(c->count.has_min && c->count.has_max);
    assert_int_equal(c->count.min, 3);
    assert_int_equal(c->count.max, 9);
    assert_int_equal(c->fields.count, 2);
    assert_int_equal(c->fields.items[0].source, SCN_FIELD_BODY);
    assert_string_equal(c->fields.items[0].path, "temperature");
    assert_int_equal(c->fields.items[0].op, SCN_CMP_GT);
    assert_float_equal(c->fields.items[0].value.number, 30.0, 1e-9);
    assert_int_equal(c->fields.items[1].source, SCN_FIELD_PROPERTY);
    assert_string_equal(c->fields.items[1].path, "$.ct");
    assert_int_equal(c->fields.items[1].value.kind, SCN_VALUE_STRING);
    assert_string_equal(c->fields.items[1].value.string, "application/json");
    assert_true(c->telemetry.has_order);
    assert_int_equal(c->telemetry.order.source, SCN_FIELD_PROPERTY);
    assert_string_equal(c->telemetry.order.path, "$.mid");
    assert_true(c->telemetry.no_loss);
    assert_true(c->telemetry.no_duplicates);
    assert_true(scn_condition_needs_local_hub(c->kind));
}

static void test_scn_parse_telemetry_where_without_count_means_at_least_one(void **state) {
    const struct scn_condition *c =
        eventually("{telemetry: {where: [{path: \"$.alert\", exists: true}]}}", SCN_COND_TELEMETRY);
    assert_true(c->count.has_min);
    assert_false(c->count.has_max);
    assert_int_equal(c->count.min, 1);
    assert_int_equal(c->fields.items[0].op, SCN_CMP_EXISTS);
    assert_true(c->fields.items[0].value.boolean);
}

static void test_scn_parse_telemetry_exact_count_sets_both_bounds(void **state) {
    const struct scn_condition *c = eventually("{telemetry: {count: 12}}", SCN_COND_TELEMETRY);
    assert_int_equal(c->count.min, 12);
    assert_int_equal(c->count.max, 12);
}

static void test_scn_parse_twin_condition_reads_reported_fields(void **state) {
    const struct scn_condition *c = eventually(
        "{twin: {reported: [{path: telemetryPeriodSeconds.value, eq: 10}, "
        "{path: \"fw.version\", matches: \"^1\\\\.[0-9]+$\"}, {path: \"list[2]\", ne: null}]}}",
        SCN_COND_TWIN);
    assert_int_equal(c->fields.count, 3);
    assert_int_equal(c->fields.items[0].value.kind, SCN_VALUE_NUMBER);
    assert_float_equal(c->fields.items[0].value.number, 10.0, 1e-9);
    assert_int_equal(c->fields.items[1].op, SCN_CMP_MATCHES);
    assert_string_equal(c->fields.items[1].value.string, "^1\\.[0-9]+$");
    assert_int_equal(c->fields.items[2].op, SCN_CMP_NE);
    assert_int_equal(c->fields.items[2].value.kind, SCN_VALUE_NULL);
    assert_int_equal(c->device_index, 0);
    assert_false(scn_condition_needs_local_hub(c->kind));
}

static void test_scn_parse_method_condition_resolves_call(void **state) {
    const struct scn_condition *c = eventually(
        "{method: {call: m1, status: 200, payload: [{path: \"$\", eq: ok}]}}", SCN_COND_METHOD);
    assert_string_equal(c->method.call.id, "m1");
    assert_int_equal(c->method.call.index, 0);
    assert_true(c->method.has_status);
    assert_int_equal(c->method.status, 200);
    assert_string_equal(c->fields.items[0].path, "$");
}

static void test_scn_parse_c2d_condition_resolves_message(void **state) {
    const struct scn_condition *c =
        eventually("{c2d: {message: msg, outcome: expired}}", SCN_COND_C2D);
    assert_int_equal(c->c2d.message.index, 1);
    assert_int_equal(c->c2d.outcome, SCN_C2D_EXPIRED);
    assert_false(c->count.has_min);
}

static void test_scn_parse_led_state_condition_by_name(void **state) {
    const struct scn_condition *c = eventually("{led: {name: LED1_RED, state: on}}", SCN_COND_LED);
    assert_string_equal(c->led.name, "LED1_RED");
    assert_int_equal(c->led.gpio, -1);
    assert_false(c->led.blink);
    assert_int_equal(c->led.state, SCN_LED_ON);
}

static void test_scn_parse_led_blink_condition_by_gpio(void **state) {
    const struct scn_condition *c =
        eventually("{led: {gpio: 9, blink: {on: 250ms, off: 750ms, cycles: 4}}}", SCN_COND_LED);
    assert_null(c->led.name);
    assert_int_equal(c->led.gpio, 9);
    assert_true(c->led.blink);
    assert_int_equal(c->led.on_ms, 250);
    assert_int_equal(c->led.off_ms, 750);
    assert_int_equal(c->led.tolerance_ms, 50);
    assert_int_equal(c->led.cycles, 4);
}

static void test_scn_parse_app_exit_condition_code(void **state) {
    const struct scn_condition *c = eventually("{app_exit: {code: 7}}", SCN_COND_APP_EXIT);
    assert_true(c->exit.has_code);
    assert_int_equal(c->exit.code, 7);
    assert_int_equal(c->count.min, 1);
}

static void test_scn_parse_app_exit_condition_signal(void **state) {
    const struct scn_condition *c =
        eventually("{app_exit: {signal: SIGSEGV, count: {at_least: 2}}}", SCN_COND_APP_EXIT);
    assert_false(c->exit.has_code);
    assert_int_equal(c->exit.signal, SIGSEGV);
    assert_int_equal(c->count.min, 2);
}

static void test_scn_parse_restarts_condition_count(void **state) {
    const struct scn_condition *c =
        eventually("{restarts: {count: {at_most: 3}}}", SCN_COND_RESTARTS);
    assert_false(c->count.has_min);
    assert_true(c->count.has_max);
    assert_int_equal(c->count.max, 3);
}

static void test_scn_parse_failure_report_condition_reason(void **state) {
    const struct scn_condition *c =
        eventually("{failure_report: {reason: killed-after-sigterm-timeout, count: 1}}",
                   SCN_COND_FAILURE_REPORT);
    assert_string_equal(c->exit.reason, "killed-after-sigterm-timeout");
    assert_int_equal(c->count.min, 1);
    assert_int_equal(c->count.max, 1);
}

static void test_scn_parse_failure_report_condition_memory_budget(void **state) {
    const struct scn_condition *c =
        eventually("{failure_report: {reason: memory-budget}}", SCN_COND_FAILURE_REPORT);
    assert_string_equal(c->exit.reason, "memory-budget");
}

static void test_scn_parse_log_condition_pattern(void **state) {
    const struct scn_condition *c =
        eventually("{log: {matches: \"reconnect(ed|ing)\"}}", SCN_COND_LOG);
    assert_string_equal(c->pattern, "reconnect(ed|ing)");
    assert_int_equal(c->count.min, 1);
}

static void test_scn_parse_peak_memory_condition_budget(void **state) {
    const struct scn_condition *c =
        eventually("{peak_memory: {under: 256KiB}}", SCN_COND_PEAK_MEMORY);
    assert_int_equal(c->memory_under_bytes, 256 * 1024);
}

static void test_scn_parse_denied_condition_capability(void **state) {
    const struct scn_condition *c = eventually(
        "{denied: {capability: \"AllowedConnections:evil.example.com\"}}", SCN_COND_DENIED);
    assert_string_equal(c->capability, "AllowedConnections:evil.example.com");
    assert_int_equal(c->count.min, 1);
}

static void test_scn_parse_connections_condition_open_and_total(void **state) {
    const struct scn_condition *c =
        eventually("{connections: {open: 1, total: {at_most: 5}}}", SCN_COND_CONNECTIONS);
    assert_true(c->connections.has_open);
    assert_int_equal(c->connections.open.min, 1);
    assert_true(c->connections.has_total);
    assert_int_equal(c->connections.total.max, 5);
}

static void test_scn_parse_always_window_by_step_and_time(void **state) {
    assert_int_equal(
        scn_test_parse_with(REFERENCED_STEPS "expect:\n"
                                             "  - name: one connection\n"
                                             "    always: {connections: {open: {at_most: 1}}}\n"
                                             "    from: msg\n"
                                             "    to: 5m\n",
                            &s),
        SCN_OK);
    const struct scn_expectation *e = &s.expectations[0];
    assert_string_equal(e->name, "one connection");
    assert_int_equal(e->form, SCN_ALWAYS);
    assert_true(e->from.is_step);
    assert_string_equal(e->from.step.id, "msg");
    assert_int_equal(e->from.step.index, 1);
    assert_true(e->has_to);
    assert_false(e->to.is_step);
    assert_int_equal(e->to.ms, 300000);
}

static void test_scn_parse_always_without_window_covers_the_run(void **state) {
    assert_int_equal(scn_test_parse_with("expect:\n  - always: {restarts: {count: 0}}\n", &s),
                     SCN_OK);
    const struct scn_expectation *e = &s.expectations[0];
    assert_false(e->from.is_step);
    assert_int_equal(e->from.ms, 0);
    assert_false(e->has_to);
}

static void test_scn_parse_until_step_waits_with_within(void **state) {
    assert_int_equal(scn_test_parse_with("steps:\n"
                                         "  - until:\n"
                                         "      connections: {open: 1}\n"
                                         "    within: 30s\n"
                                         "    id: online\n",
                                         &s),
                     SCN_OK);
    const struct scn_step *st = &s.steps[0];
    assert_int_equal(st->timing, SCN_UNTIL);
    assert_int_equal(st->action.kind, SCN_ACT_NONE);
    assert_int_equal(st->until.kind, SCN_COND_CONNECTIONS);
    assert_int_equal(st->within_ms, 30000);
    assert_string_equal(st->id, "online");
    assert_int_equal(st->until.loc.line, 7);
    assert_int_equal(st->until.loc.column, 7);
}

static void test_scn_parse_field_value_types_follow_yaml(void **state) {
    const struct scn_condition *c = eventually(
        "{twin: {reported: [{path: a, eq: \"10\"}, {path: b, eq: true}, {path: c, eq: 1.5e2}, "
        "{path: d, le: -3}]}}",
        SCN_COND_TWIN);
    assert_int_equal(c->fields.items[0].value.kind, SCN_VALUE_STRING);
    assert_string_equal(c->fields.items[0].value.string, "10");
    assert_int_equal(c->fields.items[1].value.kind, SCN_VALUE_BOOL);
    assert_true(c->fields.items[1].value.boolean);
    assert_int_equal(c->fields.items[2].value.kind, SCN_VALUE_NUMBER);
    assert_float_equal(c->fields.items[2].value.number, 150.0, 1e-9);
    assert_int_equal(c->fields.items[3].op, SCN_CMP_LE);
    assert_float_equal(c->fields.items[3].value.number, -3.0, 1e-9);
}

static void test_scn_condition_key_every_kind_is_named(void **state) {
    for (int k = SCN_COND_NONE + 1; k < SCN_COND_KIND_COUNT; ++k) {
        assert_string_not_equal(scn_condition_key((enum scn_condition_kind)k), "?");
    }
    assert_string_equal(scn_condition_key(SCN_COND_NONE), "?");
}

#define T(name) cmocka_unit_test_teardown(name, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(test_scn_parse_telemetry_condition_fills_every_option),
        T(test_scn_parse_telemetry_where_without_count_means_at_least_one),
        T(test_scn_parse_telemetry_exact_count_sets_both_bounds),
        T(test_scn_parse_twin_condition_reads_reported_fields),
        T(test_scn_parse_method_condition_resolves_call),
        T(test_scn_parse_c2d_condition_resolves_message),
        T(test_scn_parse_led_state_condition_by_name),
        T(test_scn_parse_led_blink_condition_by_gpio),
        T(test_scn_parse_app_exit_condition_code),
        T(test_scn_parse_app_exit_condition_signal),
        T(test_scn_parse_restarts_condition_count),
        T(test_scn_parse_failure_report_condition_reason),
        T(test_scn_parse_failure_report_condition_memory_budget),
        T(test_scn_parse_log_condition_pattern),
        T(test_scn_parse_peak_memory_condition_budget),
        T(test_scn_parse_denied_condition_capability),
        T(test_scn_parse_connections_condition_open_and_total),
        T(test_scn_parse_always_window_by_step_and_time),
        T(test_scn_parse_always_without_window_covers_the_run),
        T(test_scn_parse_until_step_waits_with_within),
        T(test_scn_parse_field_value_types_follow_yaml),
        T(test_scn_condition_key_every_kind_is_named),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
