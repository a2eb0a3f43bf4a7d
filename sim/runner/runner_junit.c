// SPDX-License-Identifier: MIT
// The JUnit XML report: one <testcase> per scenario, one <failure> per failed expectation or
// step (each message carries the device time and the place in the scenario file and in the
// trace), the replay command in <system-out>. Text from scenarios and devices is escaped, and
// bytes XML 1.0 cannot carry at all are replaced.
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runner/runner.h"

static void put_escaped(FILE *f, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        switch (*p) {
            case '<':
                fputs("&lt;", f);
                break;
            case '>':
                fputs("&gt;", f);
                break;
            case '&':
                fputs("&amp;", f);
                break;
            case '"':
                fputs("&quot;", f);
                break;
            case '\'':
                fputs("&apos;", f);
                break;
            default:
                // Control characters other than tab and newlines are not allowed in XML 1.0.
                if (*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') {
                    fputc('?', f);
                } else {
                    fputc(*p, f);
                }
        }
    }
}

static const char *status_word(enum scn_run_status status) {
    switch (status) {
        case SCN_RUN_PASSED:
            return "passed";
        case SCN_RUN_FAILED:
            return "failed";
        case SCN_RUN_INTERRUPTED:
            return "interrupted";
        case SCN_RUN_SKIPPED:
            return "skipped";
        default:
            return "error";
    }
}

int scn_junit_write(const char *path, const char *const *names, const char *const *files,
                    const struct scn_run_result *results, size_t count) {
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        return -1;
    }
    size_t failures = 0;
    size_t errors = 0;
    size_t skipped = 0;
    double seconds = 0;
    for (size_t i = 0; i < count; i++) {
        failures += results[i].status == SCN_RUN_FAILED;
        errors += results[i].status == SCN_RUN_ERROR || results[i].status == SCN_RUN_INTERRUPTED;
        seconds += results[i].seconds;
        skipped += results[i].status == SCN_RUN_SKIPPED;
    }
    char stamp[32];
    time_t now = time(NULL);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", gmtime(&now));
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" time=\"%.3f\">\n", count,
            failures, errors, seconds);
    fprintf(f,
            "  <testsuite name=\"spheresim scenarios\" tests=\"%zu\" failures=\"%zu\" "
            "errors=\"%zu\" skipped=\"%zu\" time=\"%.3f\" timestamp=\"%s\">\n",
            count, failures, errors, skipped, seconds, stamp);
    for (size_t i = 0; i < count; i++) {
        const struct scn_run_result *r = &results[i];
        fputs("    <testcase classname=\"scenarios\" name=\"", f);
        put_escaped(f, names[i]);
        fputs("\" file=\"", f);
        put_escaped(f, files[i]);
        fprintf(f, "\" time=\"%.3f\">\n", r->seconds);
        size_t shown =
            r->failure_count < SCN_RUN_MAX_FAILURES ? r->failure_count : SCN_RUN_MAX_FAILURES;
        bool as_error = r->status == SCN_RUN_ERROR || r->status == SCN_RUN_INTERRUPTED;
        size_t listed = shown;
        if (r->status == SCN_RUN_SKIPPED) {
            fputs("      <skipped message=\"", f);
            put_escaped(f, shown > 0 ? r->failures[0].message : "skipped");
            fputs("\"/>\n", f);
            listed = 0;
        }
        for (size_t j = 0; j < listed; j++) {
            fprintf(f, "      <%s type=\"", as_error ? "error" : "failure");
            put_escaped(f, r->failures[j].type);
            fputs("\" message=\"", f);
            put_escaped(f, r->failures[j].message);
            fputs("\">", f);
            put_escaped(f, r->failures[j].message);
            fprintf(f, "</%s>\n", as_error ? "error" : "failure");
        }
        if (r->status != SCN_RUN_PASSED && r->status != SCN_RUN_SKIPPED && shown == 0) {
            fprintf(f, "      <%s message=\"%s\"/>\n", as_error ? "error" : "failure",
                    status_word(r->status));
        }
        if (r->failure_count > shown) {
            fprintf(f,
                    "      <failure type=\"more\" message=\"%zu more failure(s) not listed\"/>\n",
                    r->failure_count - shown);
        }
        fprintf(f, "      <system-out>seed %" PRIu64 "\nreplay: ", r->seed);
        put_escaped(f, r->replay);
        fputs("\n", f);
        if (r->status != SCN_RUN_PASSED && r->log_tail[0] != '\0') {
            fputs("last device log lines:\n", f);
            put_escaped(f, r->log_tail);
        }
        fputs("</system-out>\n    </testcase>\n", f);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    int result = ferror(f) ? -1 : 0;
    if (fclose(f) != 0) {
        result = -1;
    }
    return result;
}
