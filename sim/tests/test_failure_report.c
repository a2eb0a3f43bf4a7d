// SPDX-License-Identifier: MIT
// Failure-report aggregation: which events share a row, how counts and times add up, and how a
// torn or corrupt events file is handled.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/failure_report.h"

#define DAY_MS 86400000LL
#define DEVICE "abc123"

struct fixture {
    char dir[64];
    char path[96];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof(*f));
    snprintf(f->dir, sizeof(f->dir), "/tmp/test_failure_report.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/events.jsonl", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f);
    return 0;
}

static void append(const struct fixture *f, int64_t time_ms, enum sim_event_type type,
                   const char *description) {
    struct sim_failure_event event = {
        .time_ms = time_ms, .type = type, .event_class = SIM_EVENT_CLASS_APPLICATION};
    snprintf(event.description, sizeof(event.description), "%s", description);
    assert_int_equal(sim_failure_event_append(f->path, &event), 0);
}

static void write_raw(const struct fixture *f, const char *text) {
    FILE *file = fopen(f->path, "a");
    assert_non_null(file);
    fputs(text, file);
    fclose(file);
}

static void test_report_load_missing_file_is_empty(void **state) {
    struct fixture *f = *state;
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)), SIM_REPORT_OK);
    assert_int_equal(report.row_count, 0);
    assert_string_equal(report.device_id, DEVICE);
    sim_report_free(&report);
}

static void test_report_load_same_event_same_day_aggregates(void **state) {
    struct fixture *f = *state;
    int64_t day = 20000 * DAY_MS;
    append(f, day + 5000, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    append(f, day + 1000, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    append(f, day + 9000, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)), SIM_REPORT_OK);
    assert_int_equal(report.row_count, 1);
    assert_int_equal(report.rows[0].count, 3);
    assert_int_equal(report.rows[0].start_ms, day + 1000);
    assert_int_equal(report.rows[0].end_ms, day + 9000);
    sim_report_free(&report);
}

static void test_report_load_different_day_type_or_text_split_rows(void **state) {
    struct fixture *f = *state;
    int64_t day = 20000 * DAY_MS;
    append(f, day + 1, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    append(f, day + DAY_MS + 1, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    append(f, day + 2, SIM_EVENT_UNPLANNED, "AppExit (exit_code=4)");
    append(f, day + 3, SIM_EVENT_PLANNED, "AppExit (exit_code=3)");
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)), SIM_REPORT_OK);
    assert_int_equal(report.row_count, 4);
    // Oldest first.
    assert_int_equal(report.rows[0].start_ms, day + 1);
    assert_int_equal(report.rows[3].start_ms, day + DAY_MS + 1);
    for (size_t i = 0; i < report.row_count; i++) {
        assert_int_equal(report.rows[i].count, 1);
    }
    sim_report_free(&report);
}

static void test_report_load_torn_last_line_is_ignored(void **state) {
    struct fixture *f = *state;
    append(f, 1000, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    write_raw(f, "{\"time_ms\":2000,\"event_type\":\"Unpl");
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)), SIM_REPORT_OK);
    assert_int_equal(report.row_count, 1);
    sim_report_free(&report);
}

static void test_report_load_corrupt_line_names_file_and_line(void **state) {
    struct fixture *f = *state;
    append(f, 1000, SIM_EVENT_UNPLANNED, "AppExit (exit_code=3)");
    write_raw(f,
              "{\"time_ms\":2000,\"event_type\":\"Sometimes\",\"event_class\":\"OS\","
              "\"description\":\"x\"}\n");
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)),
                     SIM_REPORT_ERR_INVALID);
    char expected[160];
    snprintf(expected, sizeof(expected), "%s:2: event_type", f->path);
    assert_non_null(strstr(err, expected));
    sim_report_free(&report);
}

static void test_report_load_overlong_line_is_invalid(void **state) {
    struct fixture *f = *state;
    char *line = malloc(10000);
    memset(line, 'x', 9998);
    line[9998] = '\n';
    line[9999] = '\0';
    write_raw(f, line);
    free(line);
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)),
                     SIM_REPORT_ERR_INVALID);
    assert_non_null(strstr(err, ":1: line longer than"));
    sim_report_free(&report);
}

static void test_report_write_csv_quotes_descriptions(void **state) {
    struct fixture *f = *state;
    append(f, 1000, SIM_EVENT_UNPLANNED, "AppCrash (signal_status=11; a,b \"q\")");
    struct sim_report report;
    char err[256] = "";
    assert_int_equal(sim_report_load(f->path, DEVICE, &report, err, sizeof(err)), SIM_REPORT_OK);
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    sim_report_write_csv(&report, out);
    fclose(out);
    assert_non_null(strstr(text, "Device ID,Event Type,Event Class,Event Count,Description,"));
    assert_non_null(strstr(text, DEVICE ",Unplanned,Application,1,\"AppCrash (signal_status=11; "
                                        "a,b \"\"q\"\")\",1970-01-01T00:00:01.000Z"));
    free(text);
    sim_report_free(&report);
}

static void test_failure_describe_app_crash_uses_tenant_report_shape(void **state) {
    (void)state;
    char text[SIM_EVENT_DESCRIPTION_MAX];
    // A SIGSEGV with a core dump: wait status 0x8b.
    sim_failure_describe_app_crash(text, sizeof(text), 0x8b, 11, "cid", "iid");
    assert_string_equal(text,
                        "AppCrash (exit_status=139; signal_status=11; signal_code=3; "
                        "component_id=cid; image_id=iid)");
    sim_failure_describe_app_exit(text, sizeof(text), 7, "cid", "iid");
    assert_string_equal(text, "AppExit (exit_code=7; component_id=cid; image_id=iid)");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_report_load_missing_file_is_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_load_same_event_same_day_aggregates, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_load_different_day_type_or_text_split_rows,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_load_torn_last_line_is_ignored, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_load_corrupt_line_names_file_and_line, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_report_load_overlong_line_is_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_report_write_csv_quotes_descriptions, setup, teardown),
        cmocka_unit_test(test_failure_describe_app_crash_uses_tenant_report_shape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
