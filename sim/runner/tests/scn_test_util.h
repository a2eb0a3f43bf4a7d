// SPDX-License-Identifier: MIT
// Helpers for the scenario parser's tests: wrap a step or an expectation in a minimal scenario
// (one device, the local hub) and parse it, so each test states only the part it is about.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "runner/scenario.h"

// The scenario file name used by the tests; an absolute directory keeps resolved paths stable.
#define SCN_TEST_FILE "/scn/t.yaml"

#define SCN_TEST_PREAMBLE \
    "name: t\n"           \
    "devices:\n"          \
    "  - id: d1\n"        \
    "    app: app.app\n"

static char scn_test_err[1024];

// Parses text as SCN_TEST_FILE; returns the result and leaves the message in scn_test_err.
static inline enum scn_result scn_test_parse(const char *text, struct scn_scenario *out) {
    scn_test_err[0] = '\0';
    enum scn_result rc =
        scn_parse(text, strlen(text), SCN_TEST_FILE, NULL, out, scn_test_err, sizeof(scn_test_err));
    if (rc != SCN_OK) {
        fprintf(stderr, "parse failed: %s\n", scn_test_err);
    }
    return rc;
}

// Parses the preamble plus one step at 1 s whose action is the given one-line YAML.
static inline enum scn_result scn_test_parse_action(const char *action_line,
                                                    struct scn_scenario *out) {
    char text[4096];
    snprintf(text, sizeof(text), SCN_TEST_PREAMBLE "steps:\n  - at: 1s\n    %s\n", action_line);
    return scn_test_parse(text, out);
}

// Parses the preamble plus the given lines (already indented) appended.
static inline enum scn_result scn_test_parse_with(const char *tail, struct scn_scenario *out) {
    char text[8192];
    snprintf(text, sizeof(text), SCN_TEST_PREAMBLE "%s", tail);
    return scn_test_parse(text, out);
}
