// Bounded formatting for messages and paths built from long inputs.
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

// snprintf into out, returning 0, or -1 when the text was cut to fit. Messages that name paths
// may be cut on purpose; going through vsnprintf keeps the release build's truncation analysis
// (-Wformat-truncation) from treating that as an error at every call site.
__attribute__((format(printf, 3, 4))) static inline int sim_format(char *out, size_t out_size,
                                                                   const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(out, out_size, fmt, args);
    va_end(args);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}
