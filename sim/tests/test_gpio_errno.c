// SPDX-License-Identifier: MIT
// The GPIO errno matrix, end to end through hal_stub, the device bus, the bus server and the
// board: EACCES (not in the manifest), ENODEV (no such GPIO), EBUSY (already open), EINVAL (bad
// mode or value), EBADF (not a GPIO descriptor), EFAULT (NULL output), and the values that
// succeed.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/gpio.h>

#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"gpio-test\","
    "\"ComponentId\":\"11111111-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"CmdArgs\":[],\"Capabilities\":{\"Gpio\":[8,9,12]},\"ApplicationType\":\"Default\"}";

static struct sim_device *device;

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static void test_GPIO_OpenAsOutput_not_in_manifest_fails_EACCES(void **state) {
    errno = 0;
    assert_int_equal(GPIO_OpenAsOutput(10, GPIO_OutputMode_PushPull, GPIO_Value_High), -1);
    assert_int_equal(errno, EACCES);
    errno = 0;
    assert_int_equal(GPIO_OpenAsInput(13), -1);
    assert_int_equal(errno, EACCES);
}

static void test_GPIO_OpenAsInput_no_such_gpio_fails_ENODEV(void **state) {
    errno = 0;
    assert_int_equal(GPIO_OpenAsInput(200), -1);
    assert_int_equal(errno, ENODEV);
    errno = 0;
    assert_int_equal(GPIO_OpenAsInput(-1), -1);
    assert_int_equal(errno, ENODEV);
}

static void test_GPIO_OpenAsOutput_bad_mode_or_value_fails_EINVAL(void **state) {
    errno = 0;
    assert_int_equal(GPIO_OpenAsOutput(8, 7, GPIO_Value_High), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, 5), -1);
    assert_int_equal(errno, EINVAL);
}

static void test_GPIO_OpenAsOutput_already_open_fails_EBUSY(void **state) {
    int fd = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High), -1);
    assert_int_equal(errno, EBUSY);
    errno = 0;
    assert_int_equal(GPIO_OpenAsInput(8), -1);
    assert_int_equal(errno, EBUSY);
    close(fd);
    // Closing the descriptor frees the GPIO at once.
    fd = GPIO_OpenAsInput(8);
    assert_true(fd >= 0);
    close(fd);
}

static void test_GPIO_GetValue_not_a_gpio_fd_fails_EBADF(void **state) {
    GPIO_Value_Type value;
    errno = 0;
    assert_int_equal(GPIO_GetValue(-1, &value), -1);
    assert_int_equal(errno, EBADF);
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    errno = 0;
    assert_int_equal(GPIO_GetValue(pipe_fds[0], &value), -1);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(GPIO_SetValue(pipe_fds[1], GPIO_Value_Low), -1);
    assert_int_equal(errno, EBADF);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_GPIO_GetValue_after_close_fails_EBADF(void **state) {
    int fd = GPIO_OpenAsOutput(9, GPIO_OutputMode_PushPull, GPIO_Value_High);
    assert_true(fd >= 0);
    close(fd);
    GPIO_Value_Type value;
    errno = 0;
    assert_int_equal(GPIO_GetValue(fd, &value), -1);
    assert_int_equal(errno, EBADF);
    // A new descriptor that reuses the number is not a GPIO either.
    int other[2];
    assert_int_equal(pipe(other), 0);
    errno = 0;
    assert_int_equal(GPIO_GetValue(fd, &value), -1);
    assert_int_equal(errno, EBADF);
    close(other[0]);
    close(other[1]);
}

static void test_GPIO_GetValue_null_output_fails_EFAULT(void **state) {
    int fd = GPIO_OpenAsInput(12);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(GPIO_GetValue(fd, NULL), -1);
    assert_int_equal(errno, EFAULT);
    close(fd);
}

static void test_GPIO_SetValue_bad_value_fails_EINVAL(void **state) {
    int fd = GPIO_OpenAsOutput(8, GPIO_OutputMode_OpenDrain, GPIO_Value_High);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(GPIO_SetValue(fd, 2), -1);
    assert_int_equal(errno, EINVAL);
    close(fd);
}

static void test_GPIO_SetValue_output_drives_pin(void **state) {
    int fd = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High);
    assert_true(fd >= 0);
    GPIO_Value_Type value = 9;
    assert_int_equal(GPIO_GetValue(fd, &value), 0);
    assert_int_equal(value, GPIO_Value_High);
    assert_int_equal(GPIO_SetValue(fd, GPIO_Value_Low), 0);
    assert_int_equal(GPIO_GetValue(fd, &value), 0);
    assert_int_equal(value, GPIO_Value_Low);
    close(fd);
}

static void test_GPIO_GetValue_input_reads_button(void **state) {
    int fd = GPIO_OpenAsInput(12);
    assert_true(fd >= 0);
    GPIO_Value_Type value = 9;
    assert_int_equal(GPIO_GetValue(fd, &value), 0);
    assert_int_equal(value, GPIO_Value_High);
    sim_board_button(&device->board, 'A', true);
    assert_int_equal(GPIO_GetValue(fd, &value), 0);
    assert_int_equal(value, GPIO_Value_Low);
    // Setting an input is accepted and has no effect.
    assert_int_equal(GPIO_SetValue(fd, GPIO_Value_High), 0);
    assert_int_equal(GPIO_GetValue(fd, &value), 0);
    assert_int_equal(value, GPIO_Value_Low);
    sim_board_button(&device->board, 'A', false);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_GPIO_OpenAsOutput_not_in_manifest_fails_EACCES),
        cmocka_unit_test(test_GPIO_OpenAsInput_no_such_gpio_fails_ENODEV),
        cmocka_unit_test(test_GPIO_OpenAsOutput_bad_mode_or_value_fails_EINVAL),
        cmocka_unit_test(test_GPIO_OpenAsOutput_already_open_fails_EBUSY),
        cmocka_unit_test(test_GPIO_GetValue_not_a_gpio_fd_fails_EBADF),
        cmocka_unit_test(test_GPIO_GetValue_after_close_fails_EBADF),
        cmocka_unit_test(test_GPIO_GetValue_null_output_fails_EFAULT),
        cmocka_unit_test(test_GPIO_SetValue_bad_value_fails_EINVAL),
        cmocka_unit_test(test_GPIO_SetValue_output_drives_pin),
        cmocka_unit_test(test_GPIO_GetValue_input_reads_button),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
