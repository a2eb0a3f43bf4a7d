// SPDX-License-Identifier: MIT
// Unit tests for the app stats page, the OS's side (os/app_stats.c): reading what an app wrote,
// distrusting a page whose header it overwrote, the budget's text form and range, the `memory`
// control request's budget field, and the failure-report description of a budget kill.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "os/app_stats.h"
#include "os/ctl_commands.h"

static void test_sim_app_stats_read_sees_what_the_app_wrote(void **state) {
    (void)state;
    char err[256];
    struct sim_app_stats stats;
    assert_int_equal(sim_app_stats_create(&stats, err, sizeof(err)), 0);
    int fd = sim_app_stats_fd(&stats);
    assert_true(fd >= 10);
    // The app's mapping, as hal_stub makes it from the descriptor it was given.
    struct devbus_app_stats_page *app =
        mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    assert_true(app != MAP_FAILED);
    assert_int_equal(app->magic, DEVBUS_STATS_MAGIC);
    sim_app_stats_close_fd(&stats);
    assert_int_equal(sim_app_stats_fd(&stats), -1);

    struct sim_app_stats_snapshot snap;
    assert_true(sim_app_stats_read(&stats, &snap));
    assert_false(snap.budget_exceeded);
    app->heap_in_use_bytes = 1000;
    app->heap_peak_bytes = 5000;
    app->budget_request_bytes = 16384;
    app->budget_bytes = 262144;
    assert_true(sim_app_stats_read(&stats, &snap));
    assert_int_equal(snap.heap_in_use_bytes, 1000);
    assert_int_equal(snap.heap_peak_bytes, 5000);
    assert_false(snap.budget_exceeded);
    assert_int_equal(snap.budget_bytes, 0);  // not believed until the flag is set
    app->budget_exceeded = 1;
    assert_true(sim_app_stats_read(&stats, &snap));
    assert_true(snap.budget_exceeded);
    assert_int_equal(snap.budget_request_bytes, 16384);
    assert_int_equal(snap.budget_bytes, 262144);
    // Anything else in the flag is not a mark.
    app->budget_exceeded = 7;
    assert_true(sim_app_stats_read(&stats, &snap));
    assert_false(snap.budget_exceeded);
    // An app that scribbled over the header is not believed at all.
    app->magic = 0;
    assert_false(sim_app_stats_read(&stats, &snap));
    assert_false(snap.budget_exceeded);
    assert_int_equal(snap.heap_peak_bytes, 0);

    munmap(app, (size_t)sysconf(_SC_PAGESIZE));
    sim_app_stats_release(&stats);
    sim_app_stats_release(&stats);  // twice is harmless
    assert_false(sim_app_stats_read(&stats, &snap));
}

static void test_sim_app_stats_parse_budget_sizes_off_and_range(void **state) {
    (void)state;
    char err[320];
    uint64_t bytes = 1;
    assert_int_equal(sim_app_stats_parse_budget("off", &bytes, err, sizeof(err)), 0);
    assert_int_equal(bytes, 0);
    assert_int_equal(sim_app_stats_parse_budget("256KiB", &bytes, err, sizeof(err)), 0);
    assert_int_equal(bytes, 262144);
    assert_int_equal(sim_app_stats_parse_budget("16KiB", &bytes, err, sizeof(err)), 0);
    assert_int_equal(bytes, 16384);
    assert_int_equal(sim_app_stats_parse_budget("1024MiB", &bytes, err, sizeof(err)), 0);
    assert_int_equal(bytes, 1073741824);
    bytes = 7;
    assert_int_equal(sim_app_stats_parse_budget("16383", &bytes, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'16383' is out of range (16KiB to 1024MiB, or off)"));
    assert_int_equal(bytes, 7);
    assert_int_equal(sim_app_stats_parse_budget("1025MiB", &bytes, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "out of range"));
    assert_int_equal(sim_app_stats_parse_budget("0", &bytes, err, sizeof(err)), -1);
    assert_int_equal(sim_app_stats_parse_budget("12x", &bytes, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "expected a size such as 256KiB, or off"));
    assert_int_equal(sim_app_stats_parse_budget("", &bytes, err, sizeof(err)), -1);
}

static void test_sim_ctl_parse_memory_budget_fills_request(void **state) {
    (void)state;
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"budget\":524288}", &request, &error), 0);
    assert_true(request.set_memory_budget);
    assert_int_equal(request.memory_budget_bytes, 524288);
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"budget\":0}", &request, &error), 0);
    assert_true(request.set_memory_budget);
    assert_int_equal(request.memory_budget_bytes, 0);
    // The heap limit's forms leave the budget alone.
    assert_int_equal(sim_ctl_parse("{\"cmd\":\"memory\",\"limit\":4096}", &request, &error), 0);
    assert_false(request.set_memory_budget);
    const char *bad[] = {
        "{\"cmd\":\"memory\",\"budget\":16383}",
        "{\"cmd\":\"memory\",\"budget\":1073741825}",
        "{\"cmd\":\"memory\",\"budget\":-1}",
        "{\"cmd\":\"memory\",\"budget\":20000.5}",
        "{\"cmd\":\"memory\",\"budget\":\"256KiB\"}",
        "{\"cmd\":\"memory\",\"budget\":65536,\"limit\":4096}",
        "{\"cmd\":\"memory\",\"budget\":65536,\"state\":\"ok\"}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        error = NULL;
        assert_int_equal(sim_ctl_parse(bad[i], &request, &error), -1);
        assert_non_null(error);
        assert_non_null(strstr(error, "\"budget\" (0 for none, or 16384 to 1073741824 bytes)"));
    }
}

static void test_sim_app_stats_describe_budget_kill_is_an_appcrash_with_the_budget(void **state) {
    (void)state;
    char out[256];
    // A wait status for "killed by SIGKILL", without a core dump.
    int status = SIGKILL;
    assert_true(WIFSIGNALED(status));
    sim_app_stats_describe_budget_kill(out, sizeof(out), status, 262144, "comp", "img");
    assert_string_equal(out,
                        "AppCrash (exit_status=9; signal_status=9; signal_code=2; "
                        "component_id=comp; image_id=img; memory_budget_kib=256)");
}

static void test_sim_app_stats_budget_text_names_off(void **state) {
    (void)state;
    char out[128];
    sim_app_stats_budget_text(0, out, sizeof(out));
    assert_string_equal(out, "off");
    sim_app_stats_budget_text(262144, out, sizeof(out));
    assert_non_null(strstr(out, "262144 bytes ("));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sim_app_stats_read_sees_what_the_app_wrote),
        cmocka_unit_test(test_sim_app_stats_parse_budget_sizes_off_and_range),
        cmocka_unit_test(test_sim_ctl_parse_memory_budget_fills_request),
        cmocka_unit_test(test_sim_app_stats_describe_budget_kill_is_an_appcrash_with_the_budget),
        cmocka_unit_test(test_sim_app_stats_budget_text_names_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
