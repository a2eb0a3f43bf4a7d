// SPDX-License-Identifier: MIT
// A check the control-request parser's tests share: a refused line comes back with a one-line
// error that names what was wrong. Include after <cmocka.h>.
#pragma once

#include <string.h>

#include "os/ctl_commands.h"

// Asserts that line is refused with an error containing expected, on one line.
static inline void assert_ctl_error(const char *line, const char *expected) {
    struct sim_ctl_request request;
    const char *error = NULL;
    assert_int_equal(sim_ctl_parse(line, &request, &error), -1);
    assert_non_null(error);
    if (strstr(error, expected) == NULL) {
        fail_msg("%s: error '%s' does not contain '%s'", line, error, expected);
    }
    assert_null(strchr(error, '\n'));
}
