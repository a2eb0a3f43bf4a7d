// SPDX-License-Identifier: MIT
// applibs/adc.h end to end through hal_stub, the device bus, the bus server and the board's ADC
// controller with the sample hardware's potentiometer: the open errno matrix (EACCES, ENODEV,
// EBUSY), EBADF, EFAULT and EINVAL, the sample width, and samples against the voltage the outside
// world applies and the reference voltage the app sets.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include <applibs/adc.h>
#include <hw/sample_appliance.h>

#include "os_harness.h"

#define MANIFEST_WITH(capabilities)                                                         \
    "{\"SchemaVersion\":1,\"Name\":\"adc-test\","                                           \
    "\"ComponentId\":\"adadadad-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\"," \
    "\"Capabilities\":{" capabilities "},\"ApplicationType\":\"Default\"}"

static const char manifest[] = MANIFEST_WITH("\"Adc\":[\"$SAMPLE_POTENTIOMETER_ADC_CONTROLLER\"]");
static const char manifest_without_adc[] = MANIFEST_WITH("\"Gpio\":[8]");

static struct sim_device *device;

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static int open_adc(void) {
    int fd = ADC_Open(SAMPLE_POTENTIOMETER_ADC_CONTROLLER);
    assert_true(fd >= 0);
    return fd;
}

static void set_potentiometer(double volts) {
    os_harness_lock();
    assert_int_equal(sim_adc_set_input(&device->board.adc, SAMPLE_POTENTIOMETER_ADC_CHANNEL, volts),
                     0);
    os_harness_unlock();
}

static uint32_t poll_potentiometer(int fd) {
    uint32_t sample = UINT32_MAX;
    assert_int_equal(ADC_Poll(fd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, &sample), 0);
    return sample;
}

static void test_ADC_Open_not_in_manifest_fails_EACCES(void **state) {
    os_harness_set_manifest(manifest_without_adc);
    errno = 0;
    assert_int_equal(ADC_Open(SAMPLE_POTENTIOMETER_ADC_CONTROLLER), -1);
    assert_int_equal(errno, EACCES);
    os_harness_set_manifest(manifest);
}

static void test_ADC_Open_no_such_controller_fails_ENODEV(void **state) {
    const ADC_ControllerId ids[] = {1, 7, UINT32_MAX};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        errno = 0;
        assert_int_equal(ADC_Open(ids[i]), -1);
        assert_int_equal(errno, ENODEV);
    }
}

static void test_ADC_Open_already_open_fails_EBUSY(void **state) {
    int fd = open_adc();
    errno = 0;
    assert_int_equal(ADC_Open(SAMPLE_POTENTIOMETER_ADC_CONTROLLER), -1);
    assert_int_equal(errno, EBUSY);
    close(fd);
    fd = open_adc();
    close(fd);
}

static void test_ADC_calls_on_other_fds_fail_EBADF(void **state) {
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    uint32_t sample = 0;
    errno = 0;
    assert_int_equal(ADC_Poll(pipe_fds[0], 0, &sample), -1);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(ADC_GetSampleBitCount(-1, 0), -1);
    assert_int_equal(errno, EBADF);
    errno = 0;
    assert_int_equal(ADC_SetReferenceVoltage(pipe_fds[1], 0, 2.5f), -1);
    assert_int_equal(errno, EBADF);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_ADC_Poll_null_output_fails_EFAULT(void **state) {
    int fd = open_adc();
    errno = 0;
    assert_int_equal(ADC_Poll(fd, 0, NULL), -1);
    assert_int_equal(errno, EFAULT);
    close(fd);
}

static void test_ADC_bad_channel_fails_EINVAL(void **state) {
    int fd = open_adc();
    uint32_t sample = 0;
    errno = 0;
    assert_int_equal(ADC_Poll(fd, 8, &sample), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(ADC_GetSampleBitCount(fd, 100), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(ADC_SetReferenceVoltage(fd, 8, 2.5f), -1);
    assert_int_equal(errno, EINVAL);
    close(fd);
}

static void test_ADC_GetSampleBitCount_is_12(void **state) {
    int fd = open_adc();
    assert_int_equal(ADC_GetSampleBitCount(fd, SAMPLE_POTENTIOMETER_ADC_CHANNEL), 12);
    close(fd);
}

static void test_ADC_Poll_is_proportional_to_voltage(void **state) {
    int fd = open_adc();
    set_potentiometer(0.0);
    assert_int_equal(poll_potentiometer(fd), 0);
    set_potentiometer(1.25);
    assert_in_range(poll_potentiometer(fd), 2047, 2048);
    set_potentiometer(2.5);
    assert_int_equal(poll_potentiometer(fd), 4095);
    set_potentiometer(0.625);
    assert_in_range(poll_potentiometer(fd), 1023, 1024);
    // Beyond the reference the converter saturates; below 0 V it reads 0.
    set_potentiometer(3.3);
    assert_int_equal(poll_potentiometer(fd), 4095);
    set_potentiometer(-0.5);
    assert_int_equal(poll_potentiometer(fd), 0);
    // Other channels read their own pins.
    uint32_t other = UINT32_MAX;
    assert_int_equal(ADC_Poll(fd, 5, &other), 0);
    assert_int_equal(other, 0);
    close(fd);
}

static void test_ADC_SetReferenceVoltage_scales_samples(void **state) {
    int fd = open_adc();
    set_potentiometer(0.9);
    assert_int_equal(ADC_SetReferenceVoltage(fd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, 1.8f), 0);
    assert_in_range(poll_potentiometer(fd), 2047, 2048);
    assert_int_equal(ADC_SetReferenceVoltage(fd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, 2.5f), 0);
    assert_in_range(poll_potentiometer(fd), 1473, 1475);
    const float bad[] = {0.0f, -1.0f, 3.3f};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        assert_int_equal(ADC_SetReferenceVoltage(fd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, bad[i]), -1);
        assert_int_equal(errno, EINVAL);
    }
    set_potentiometer(0.0);
    close(fd);
}

// Polls n samples with noise of sigma volts from seed.
static void poll_noisy(int fd, double sigma_v, uint64_t seed, uint32_t *out, size_t n) {
    os_harness_lock();
    assert_int_equal(
        sim_adc_set_noise(&device->board.adc, SAMPLE_POTENTIOMETER_ADC_CHANNEL, sigma_v, seed), 0);
    os_harness_unlock();
    for (size_t i = 0; i < n; i++) {
        out[i] = poll_potentiometer(fd);
    }
}

static void test_ADC_noise_is_seeded_and_scatters_around_the_input(void **state) {
    int fd = open_adc();
    set_potentiometer(1.25);
    uint32_t first[32];
    uint32_t again[32];
    poll_noisy(fd, 0.05, 11, first, 32);
    poll_noisy(fd, 0.05, 11, again, 32);
    assert_memory_equal(first, again, sizeof(first));
    bool varies = false;
    double sum = 0;
    for (size_t i = 0; i < 32; i++) {
        varies = varies || first[i] != first[0];
        sum += first[i];
    }
    assert_true(varies);
    // 0.05 V is about 82 codes; the mean of 32 stays well within 60 codes of 2048.
    assert_true(sum / 32 > 1988 && sum / 32 < 2108);
    // Other channels are not affected, and noise off gives exact samples again.
    uint32_t other = UINT32_MAX;
    assert_int_equal(ADC_Poll(fd, 5, &other), 0);
    assert_int_equal(other, 0);
    poll_noisy(fd, 0, 0, first, 1);
    assert_in_range(first[0], 2047, 2048);
    os_harness_lock();
    assert_int_equal(sim_adc_set_noise(&device->board.adc, 8, 0.1, 1), EINVAL);
    assert_int_equal(sim_adc_set_noise(&device->board.adc, 0, -0.1, 1), EINVAL);
    os_harness_unlock();
    set_potentiometer(0.0);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ADC_Open_not_in_manifest_fails_EACCES),
        cmocka_unit_test(test_ADC_Open_no_such_controller_fails_ENODEV),
        cmocka_unit_test(test_ADC_Open_already_open_fails_EBUSY),
        cmocka_unit_test(test_ADC_calls_on_other_fds_fail_EBADF),
        cmocka_unit_test(test_ADC_Poll_null_output_fails_EFAULT),
        cmocka_unit_test(test_ADC_bad_channel_fails_EINVAL),
        cmocka_unit_test(test_ADC_GetSampleBitCount_is_12),
        cmocka_unit_test(test_ADC_Poll_is_proportional_to_voltage),
        cmocka_unit_test(test_ADC_SetReferenceVoltage_scales_samples),
        cmocka_unit_test(test_ADC_noise_is_seeded_and_scatters_around_the_input),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
