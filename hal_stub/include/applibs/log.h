// SPDX-License-Identifier: MIT
// applibs/log.h for spheresim's Linux backend: debug logging. On the device the text goes to
// the debugger; here it goes to the app's stderr, which the simulated OS collects and
// timestamps. Both functions are safe to call from several threads, but not from a signal
// handler.
#pragma once

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Formats a message printf-style and writes it to the debug log.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  fmt is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int Log_Debug(const char *fmt, ...);

/// Same as Log_Debug, but takes an already started va_list. The caller owns args: it calls
/// va_start before and va_end after.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  fmt is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int Log_DebugVarArgs(const char *fmt, va_list args);

#ifdef __cplusplus
}
#endif
