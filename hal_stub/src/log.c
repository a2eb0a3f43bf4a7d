// SPDX-License-Identifier: MIT
// applibs Log_Debug for the Linux backend. On the device, debug output goes to the debugger; in
// the simulator the OS reads the app's stderr and timestamps each message, so each message is
// formatted completely first and then handed to the kernel in one write(2). That keeps messages
// from different threads from interleaving mid-line (for pipes, up to PIPE_BUF bytes).
#include <applibs/log.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Redeclared with the format attribute so that -Wformat=2 accepts passing fmt on to vsnprintf.
// The public header leaves it off, as the SDK does, so that apps with sloppy format strings
// still compile unchanged.
int Log_Debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int Log_DebugVarArgs(const char *fmt, va_list args) __attribute__((format(printf, 1, 0)));

enum {
    // Most messages fit here and need no allocation.
    LOG_STACK_BUFFER = 1024,
    // Longer messages (twin documents, payload dumps) are kept whole up to this size; past it
    // they are cut and marked, so one runaway message cannot exhaust the app's memory.
    LOG_MAX_MESSAGE = 16 * 1024,
};

static const char truncation_marker[] = "...[truncated]\n";

static int write_all(const char *buf, size_t len) {
    while (len > 0) {
        ssize_t n = write(STDERR_FILENO, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int Log_DebugVarArgs(const char *fmt, va_list args) {
    if (fmt == NULL) {
        errno = EFAULT;
        return -1;
    }
    // Callers often log and then inspect errno from an earlier call; a successful log must not
    // disturb it.
    const int saved_errno = errno;

    char stack_buf[LOG_STACK_BUFFER];
    va_list again;
    va_copy(again, args);
    int needed = vsnprintf(stack_buf, sizeof(stack_buf), fmt, args);
    if (needed < 0) {
        va_end(again);
        return -1;
    }

    char *buf = stack_buf;
    char *heap_buf = NULL;
    size_t len = (size_t)needed;
    if (len >= sizeof(stack_buf)) {
        size_t cap = len + 1;
        if (cap > LOG_MAX_MESSAGE) {
            cap = LOG_MAX_MESSAGE;
        }
        heap_buf = malloc(cap);
        if (heap_buf != NULL) {
            (void)vsnprintf(heap_buf, cap, fmt, again);
            buf = heap_buf;
            len = cap - 1;
        } else {
            len = sizeof(stack_buf) - 1;
        }
        if (len < (size_t)needed) {
            // Out of room: overwrite the tail with a marker so a reader sees the cut.
            size_t marker_len = sizeof(truncation_marker) - 1;
            memcpy(buf + len - marker_len, truncation_marker, marker_len);
        }
    }
    va_end(again);

    int rc = write_all(buf, len);
    int write_errno = errno;
    free(heap_buf);
    if (rc < 0) {
        errno = write_errno;
        return -1;
    }
    errno = saved_errno;
    return 0;
}

int Log_Debug(const char *fmt, ...) {
    if (fmt == NULL) {
        errno = EFAULT;
        return -1;
    }
    va_list args;
    va_start(args, fmt);
    int rc = Log_DebugVarArgs(fmt, args);
    va_end(args);
    return rc;
}
