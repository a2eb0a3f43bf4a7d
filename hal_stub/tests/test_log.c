// SPDX-License-Identifier: MIT
// Unit tests for hal_stub's Log_Debug / Log_DebugVarArgs: errno behaviour, and that each message
// reaches file descriptor 2 whole (the simulated OS reads the app's stderr). Each test points
// stderr at a pipe with dup2 and reads back what arrived.
// pipe2, F_SETPIPE_SZ.
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/log.h>

struct captured_stderr {
    int saved_fd;
    int read_fd;
};

static void capture_begin(struct captured_stderr *cap) {
    int fds[2];
    assert_int_equal(pipe2(fds, O_CLOEXEC), 0);
    // Enough room for the largest message in these tests without a reader running concurrently.
    (void)fcntl(fds[1], F_SETPIPE_SZ, 256 * 1024);
    cap->saved_fd = dup(STDERR_FILENO);
    assert_true(cap->saved_fd >= 0);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    close(fds[1]);
    cap->read_fd = fds[0];
}

// Restores stderr and returns what was written meanwhile (NUL-terminated, caller frees).
static char *capture_end(struct captured_stderr *cap, size_t *out_len) {
    assert_int_equal(dup2(cap->saved_fd, STDERR_FILENO), STDERR_FILENO);
    close(cap->saved_fd);

    size_t cap_bytes = 4096;
    size_t len = 0;
    char *buf = malloc(cap_bytes);
    assert_non_null(buf);
    for (;;) {
        if (len + 1 >= cap_bytes) {
            cap_bytes *= 2;
            buf = realloc(buf, cap_bytes);
            assert_non_null(buf);
        }
        ssize_t n = read(cap->read_fd, buf + len, cap_bytes - len - 1);
        assert_true(n >= 0);
        if (n == 0) {
            break;
        }
        len += (size_t)n;
    }
    close(cap->read_fd);
    buf[len] = '\0';
    *out_len = len;
    return buf;
}

static int log_via_varargs(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int rc = Log_DebugVarArgs(fmt, args);
    va_end(args);
    return rc;
}

static void test_Log_Debug_nullFormat_failsWithEFAULT(void **state) {
    errno = 0;
    assert_int_equal(Log_Debug(NULL), -1);
    assert_int_equal(errno, EFAULT);
}

static void test_Log_DebugVarArgs_nullFormat_failsWithEFAULT(void **state) {
    errno = 0;
    assert_int_equal(log_via_varargs(NULL), -1);
    assert_int_equal(errno, EFAULT);
}

static void test_Log_Debug_formattedMessage_writtenToStderr(void **state) {
    struct captured_stderr cap;
    capture_begin(&cap);
    int rc = Log_Debug("value=%d name=%s\n", 42, "led");
    size_t len;
    char *out = capture_end(&cap, &len);

    assert_int_equal(rc, 0);
    assert_string_equal(out, "value=42 name=led\n");
    free(out);
}

static void test_Log_DebugVarArgs_formattedMessage_writtenToStderr(void **state) {
    struct captured_stderr cap;
    capture_begin(&cap);
    int rc = log_via_varargs("%s-%u", "abc", 7u);
    size_t len;
    char *out = capture_end(&cap, &len);

    assert_int_equal(rc, 0);
    assert_string_equal(out, "abc-7");
    free(out);
}

static void test_Log_Debug_success_leavesErrnoUnchanged(void **state) {
    struct captured_stderr cap;
    capture_begin(&cap);
    errno = ENOENT;
    int rc = Log_Debug("x\n");
    int err = errno;
    size_t len;
    char *out = capture_end(&cap, &len);

    assert_int_equal(rc, 0);
    assert_int_equal(err, ENOENT);
    free(out);
}

static void test_Log_Debug_messageLongerThanStackBuffer_arrivesWhole(void **state) {
    enum { LEN = 5000 };
    char *big = malloc(LEN + 1);
    assert_non_null(big);
    for (size_t i = 0; i < LEN; i++) {
        big[i] = (char)('a' + i % 26);
    }
    big[LEN] = '\0';

    struct captured_stderr cap;
    capture_begin(&cap);
    int rc = Log_Debug("<%s>\n", big);
    size_t len;
    char *out = capture_end(&cap, &len);

    assert_int_equal(rc, 0);
    assert_int_equal(len, LEN + 3);
    assert_int_equal(out[0], '<');
    assert_memory_equal(out + 1, big, LEN);
    assert_string_equal(out + 1 + LEN, ">\n");
    free(out);
    free(big);
}

static void test_Log_Debug_hugeMessage_truncatedWithMarker(void **state) {
    enum { LEN = 100 * 1024 };
    char *huge = malloc(LEN + 1);
    assert_non_null(huge);
    memset(huge, 'z', LEN);
    huge[LEN] = '\0';

    struct captured_stderr cap;
    capture_begin(&cap);
    int rc = Log_Debug("%s", huge);
    size_t len;
    char *out = capture_end(&cap, &len);

    assert_int_equal(rc, 0);
    assert_true(len > 1024);
    assert_true(len < LEN);
    assert_non_null(strstr(out, "[truncated]"));
    assert_int_equal(out[len - 1], '\n');
    free(out);
    free(huge);
}

static void test_Log_Debug_stderrClosed_failsWithEBADF(void **state) {
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    close(STDERR_FILENO);
    errno = 0;
    int rc = Log_Debug("lost\n");
    int err = errno;
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);

    assert_int_equal(rc, -1);
    assert_int_equal(err, EBADF);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Log_Debug_nullFormat_failsWithEFAULT),
        cmocka_unit_test(test_Log_DebugVarArgs_nullFormat_failsWithEFAULT),
        cmocka_unit_test(test_Log_Debug_formattedMessage_writtenToStderr),
        cmocka_unit_test(test_Log_DebugVarArgs_formattedMessage_writtenToStderr),
        cmocka_unit_test(test_Log_Debug_success_leavesErrnoUnchanged),
        cmocka_unit_test(test_Log_Debug_messageLongerThanStackBuffer_arrivesWhole),
        cmocka_unit_test(test_Log_Debug_hugeMessage_truncatedWithMarker),
        cmocka_unit_test(test_Log_Debug_stderrClosed_failsWithEBADF),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
