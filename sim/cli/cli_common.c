// SPDX-License-Identifier: MIT
// Helpers shared by the verbs: error lines and the per-user state directory.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

__attribute__((format(printf, 1, 0))) static void vreport(const char *fmt, va_list args) {
    fputs("spheresim: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
}

int sim_cli_usage_error(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vreport(fmt, args);
    va_end(args);
    return 2;
}

int sim_cli_fail(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vreport(fmt, args);
    va_end(args);
    return 1;
}

int sim_cli_home(char *out, size_t out_size) {
    const char *explicit_home = getenv("SPHERESIM_HOME");
    const char *state = getenv("XDG_STATE_HOME");
    const char *home = getenv("HOME");
    int n;
    if (explicit_home != NULL && explicit_home[0] != '\0') {
        n = snprintf(out, out_size, "%s", explicit_home);
    } else if (state != NULL && state[0] != '\0') {
        n = snprintf(out, out_size, "%s/spheresim", state);
    } else {
        n = snprintf(out, out_size, "%s/.local/state/spheresim", home != NULL ? home : "/tmp");
    }
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int sim_cli_join(char *out, size_t out_size, const char *dir, const char *suffix) {
    int n = snprintf(out, out_size, "%s%s", dir, suffix);
    if (n < 0 || (size_t)n >= out_size) {
        sim_cli_fail("path too long: %s%s", dir, suffix);
        return -1;
    }
    return 0;
}
