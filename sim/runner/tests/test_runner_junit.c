// SPDX-License-Identifier: MIT
// The JUnit report (runner_junit.c): one test case per scenario, one <failure> per failure,
// skipped scenarios as <skipped>, and text from scenarios and devices escaped so the file stays
// well-formed XML whatever it contains.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner/runner.h"

static char *write_and_read(const char *const *names, const char *const *files,
                            const struct scn_run_result *results, size_t count) {
    char path[] = "/tmp/test_runner_junit.XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(scn_junit_write(path, names, files, results, count), 0);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    unlink(path);
    return text;
}

static size_t count_of(const char *text, const char *needle) {
    size_t n = 0;
    for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
        n++;
    }
    return n;
}

static void test_scn_junit_write_failures_one_element_each_escaped(void **state) {
    (void)state;
    struct scn_run_result *r = calloc(2, sizeof(*r));
    r[0].status = SCN_RUN_PASSED;
    r[0].seed = 7;
    snprintf(r[0].replay, sizeof(r[0].replay), "spheresim scenario a.yaml --seed 7");
    r[1].status = SCN_RUN_FAILED;
    r[1].seed = 8;
    r[1].failure_count = 2;
    snprintf(r[1].failures[0].type, sizeof(r[1].failures[0].type), "expectation");
    snprintf(r[1].failures[0].message, sizeof(r[1].failures[0].message),
             "expectation 1 <a & \"b\"> at device time 2.000 s (trace event 12)");
    snprintf(r[1].failures[1].type, sizeof(r[1].failures[1].type), "step");
    snprintf(r[1].failures[1].message, sizeof(r[1].failures[1].message), "bell \a here");
    snprintf(r[1].log_tail, sizeof(r[1].log_tail), "dev1: app: <oops>\n");
    const char *names[] = {"first", "sec<ond>"};
    const char *files[] = {"a.yaml", "b.yaml"};
    char *xml = write_and_read(names, files, r, 2);
    assert_int_equal(count_of(xml, "<testcase "), 2);
    assert_int_equal(count_of(xml, "<failure "), 2);
    assert_non_null(strstr(xml, "tests=\"2\" failures=\"1\" errors=\"0\""));
    assert_non_null(strstr(xml, "name=\"sec&lt;ond&gt;\""));
    assert_non_null(strstr(xml, "&lt;a &amp; &quot;b&quot;&gt;"));
    assert_non_null(strstr(xml, "trace event 12"));
    assert_null(strchr(xml, '\a'));
    assert_non_null(strstr(xml, "bell ? here"));
    assert_non_null(strstr(xml, "dev1: app: &lt;oops&gt;"));
    assert_non_null(strstr(xml, "replay: spheresim scenario a.yaml --seed 7"));
    free(r);
}

static void test_scn_junit_write_skipped_and_errors_are_not_failures(void **state) {
    (void)state;
    struct scn_run_result *r = calloc(2, sizeof(*r));
    r[0].status = SCN_RUN_SKIPPED;
    r[0].failure_count = 1;
    snprintf(r[0].failures[0].message, sizeof(r[0].failures[0].message), "needs the proxy");
    r[1].status = SCN_RUN_ERROR;
    r[1].failure_count = 1;
    snprintf(r[1].failures[0].message, sizeof(r[1].failures[0].message), "f.yaml:3:4: bad");
    const char *names[] = {"skip", "err"};
    const char *files[] = {"s.yaml", "f.yaml"};
    char *xml = write_and_read(names, files, r, 2);
    assert_non_null(strstr(xml, "<skipped message=\"needs the proxy\"/>"));
    assert_non_null(strstr(xml, "failures=\"0\" errors=\"1\" skipped=\"1\""));
    assert_int_equal(count_of(xml, "<error "), 1);
    assert_int_equal(count_of(xml, "<failure "), 0);
    free(r);
}

static void test_scn_junit_write_unwritable_path_fails(void **state) {
    (void)state;
    struct scn_run_result r = {.status = SCN_RUN_PASSED};
    const char *names[] = {"x"};
    const char *files[] = {"x.yaml"};
    assert_int_equal(scn_junit_write("/nonexistent-dir/j.xml", names, files, &r, 1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scn_junit_write_failures_one_element_each_escaped),
        cmocka_unit_test(test_scn_junit_write_skipped_and_errors_are_not_failures),
        cmocka_unit_test(test_scn_junit_write_unwritable_path_fails),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
