// SPDX-License-Identifier: MIT
// applibs/i2c.h end to end through hal_stub, the device bus, the bus server and the board's I2C
// masters with the LSM6DS3 model wired as the sample hardware says (ISU2, address 0x6A): the
// open errno matrix (EACCES, ENODEV, EBUSY), EBADF and EFAULT, a target that does not answer
// (ENXIO), the sensor's registers as the Azure Sphere I2C sample reads them, the temperature
// output against the temperature the outside world sets, and the fault knobs.
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define I2C_STRUCTS_VERSION 1
#include <applibs/gpio.h>
#include <applibs/i2c.h>
#include <hw/sample_appliance.h>

#include "os_harness.h"

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"i2c-test\","
    "\"ComponentId\":\"12121212-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{\"I2cMaster\":[\"$SAMPLE_LSM6DS3_I2C\",\"ISU3\"],\"Gpio\":[8]},"
    "\"ApplicationType\":\"Default\"}";

static const uint8_t sensor_address = 0x6A;
static const uint8_t who_am_i = 0x0F;
static const uint8_t ctrl1_xl = 0x10;
static const uint8_t ctrl3_c = 0x12;
static const uint8_t status_reg = 0x1E;
static const uint8_t out_temp_l = 0x20;
static const uint8_t outz_l_xl = 0x2C;

static struct sim_device *device;

static int set_up(void **state) {
    device = os_harness_start(manifest);
    return 0;
}

static int tear_down(void **state) {
    os_harness_stop();
    return 0;
}

static int open_sensor_bus(void) {
    int fd = I2CMaster_Open(SAMPLE_LSM6DS3_I2C);
    assert_true(fd >= 0);
    return fd;
}

static uint8_t read_register(int fd, uint8_t reg) {
    uint8_t value = 0;
    assert_int_equal(I2CMaster_WriteThenRead(fd, sensor_address, &reg, 1, &value, 1), 2);
    return value;
}

static int16_t read_word(int fd, uint8_t low_reg) {
    uint8_t bytes[2] = {0};
    assert_int_equal(I2CMaster_WriteThenRead(fd, sensor_address, &low_reg, 1, bytes, 2), 3);
    return (int16_t)(uint16_t)(bytes[0] | (bytes[1] << 8));
}

// The LSM6DS3's temperature output in °C: 16 LSB/°C, 0 = 25 °C.
static double read_temperature(int fd) {
    return read_word(fd, out_temp_l) / 16.0 + 25.0;
}

static void set_temperature(double celsius) {
    os_harness_lock();
    sim_lsm6ds3_set_temperature(&device->board.temperature_sensor, celsius);
    os_harness_unlock();
}

static void set_link(enum sim_i2c_link link) {
    os_harness_lock();
    sim_board_temperature_target(&device->board)->link = link;
    os_harness_unlock();
}

static unsigned denials_of(const char *capability) {
    unsigned denied = 0;
    os_harness_lock();
    for (size_t i = 0; i < device->audit.count; i++) {
        if (strcmp(device->audit.entries[i].capability, capability) == 0) {
            denied = device->audit.entries[i].denied;
        }
    }
    os_harness_unlock();
    return denied;
}

static void test_I2CMaster_Open_not_in_manifest_fails_EACCES(void **state) {
    errno = 0;
    assert_int_equal(I2CMaster_Open(1), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(denials_of("I2cMaster:ISU1"), 1);
}

static void test_I2CMaster_Open_no_such_interface_fails_ENODEV(void **state) {
    const I2C_InterfaceId ids[] = {5, -1, 1000};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        errno = 0;
        assert_int_equal(I2CMaster_Open(ids[i]), -1);
        assert_int_equal(errno, ENODEV);
    }
}

static void test_I2CMaster_Open_already_open_fails_EBUSY(void **state) {
    int fd = open_sensor_bus();
    errno = 0;
    assert_int_equal(I2CMaster_Open(SAMPLE_LSM6DS3_I2C), -1);
    assert_int_equal(errno, EBUSY);
    close(fd);
    // Closing the descriptor frees the interface at once.
    fd = open_sensor_bus();
    close(fd);
}

static void test_I2CMaster_calls_on_other_fds_fail_EBADF(void **state) {
    int pipe_fds[2];
    assert_int_equal(pipe(pipe_fds), 0);
    int gpio_fd = GPIO_OpenAsOutput(8, GPIO_OutputMode_PushPull, GPIO_Value_High);
    assert_true(gpio_fd >= 0);
    int closed_fd = open_sensor_bus();
    close(closed_fd);
    const int fds[] = {-1, pipe_fds[0], gpio_fd, closed_fd};
    uint8_t byte = 0;
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        errno = 0;
        assert_int_equal(I2CMaster_Read(fds[i], sensor_address, &byte, 1), -1);
        assert_int_equal(errno, EBADF);
        errno = 0;
        assert_int_equal(I2CMaster_Write(fds[i], sensor_address, &byte, 1), -1);
        assert_int_equal(errno, EBADF);
        errno = 0;
        assert_int_equal(I2CMaster_SetBusSpeed(fds[i], I2C_BUS_SPEED_STANDARD), -1);
        assert_int_equal(errno, EBADF);
    }
    close(gpio_fd);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
}

static void test_I2CMaster_null_buffers_fail_EFAULT(void **state) {
    int fd = open_sensor_bus();
    errno = 0;
    assert_int_equal(I2CMaster_Read(fd, sensor_address, NULL, 1), -1);
    assert_int_equal(errno, EFAULT);
    errno = 0;
    assert_int_equal(I2CMaster_Write(fd, sensor_address, NULL, 1), -1);
    assert_int_equal(errno, EFAULT);
    errno = 0;
    assert_int_equal(I2CMaster_WriteThenRead(fd, sensor_address, &who_am_i, 1, NULL, 1), -1);
    assert_int_equal(errno, EFAULT);
    // NULL with a length of 0 is allowed: an address-only transaction.
    assert_int_equal(I2CMaster_Write(fd, sensor_address, NULL, 0), 0);
    close(fd);
}

static void test_I2CMaster_Write_absent_target_fails_ENXIO(void **state) {
    int fd = open_sensor_bus();
    const uint8_t reg = 0;
    errno = 0;
    assert_int_equal(I2CMaster_Write(fd, 0x50, &reg, 1), -1);
    assert_int_equal(errno, ENXIO);
    close(fd);
    // An interface with nothing wired to it: every target is absent.
    fd = I2CMaster_Open(3);
    assert_true(fd >= 0);
    errno = 0;
    assert_int_equal(I2CMaster_Write(fd, sensor_address, NULL, 0), -1);
    assert_int_equal(errno, ENXIO);
    close(fd);
}

static void test_I2CMaster_bad_arguments_fail_EINVAL(void **state) {
    int fd = open_sensor_bus();
    static uint8_t big[2048];
    errno = 0;
    assert_int_equal(I2CMaster_Write(fd, sensor_address, big, sizeof(big)), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(I2CMaster_Read(fd, 0x80, big, 1), -1);  // not a 7-bit address
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(I2CMaster_SetBusSpeed(fd, I2C_BUS_SPEED_HIGH), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(I2CMaster_SetDefaultTargetAddress(fd, 0x3FF), -1);
    assert_int_equal(errno, EINVAL);
    close(fd);
}

static void test_I2CMaster_configuration_as_the_sample_does_succeeds(void **state) {
    int fd = open_sensor_bus();
    assert_int_equal(I2CMaster_SetBusSpeed(fd, I2C_BUS_SPEED_STANDARD), 0);
    assert_int_equal(I2CMaster_SetBusSpeed(fd, I2C_BUS_SPEED_FAST_PLUS), 0);
    assert_int_equal(I2CMaster_SetTimeout(fd, 100), 0);
    assert_int_equal(I2CMaster_SetDefaultTargetAddress(fd, sensor_address), 0);
    os_harness_lock();
    const struct sim_i2c_bus *bus = &device->board.i2c[SAMPLE_LSM6DS3_I2C];
    assert_int_equal(bus->speed_hz, I2C_BUS_SPEED_FAST_PLUS);
    assert_int_equal(bus->timeout_ms, 100);
    os_harness_unlock();
    close(fd);
}

static void test_I2CMaster_WriteThenRead_who_am_i_returns_0x69(void **state) {
    int fd = open_sensor_bus();
    assert_int_equal(read_register(fd, who_am_i), 0x69);
    // Write, then a separate read, as the sample's second method.
    uint8_t value = 0;
    assert_int_equal(I2CMaster_Write(fd, sensor_address, &who_am_i, 1), 1);
    assert_int_equal(I2CMaster_Read(fd, sensor_address, &value, 1), 1);
    assert_int_equal(value, 0x69);
    close(fd);
}

static void test_posix_read_write_reach_the_default_target(void **state) {
    int fd = open_sensor_bus();
    assert_int_equal(I2CMaster_SetDefaultTargetAddress(fd, sensor_address), 0);
    uint8_t value = 0;
    assert_int_equal(write(fd, &who_am_i, 1), 1);
    assert_int_equal(read(fd, &value, 1), 1);
    assert_int_equal(value, 0x69);
    // Without a target that answers, POSIX calls fail as the API's do.
    assert_int_equal(I2CMaster_SetDefaultTargetAddress(fd, 0x11), 0);
    errno = 0;
    assert_int_equal(write(fd, &who_am_i, 1), -1);
    assert_int_equal(errno, ENXIO);
    close(fd);
}

static void test_sensor_reset_and_range_as_the_sample_does(void **state) {
    int fd = open_sensor_bus();
    const uint8_t reset[] = {ctrl3_c, 0x01};
    assert_int_equal(I2CMaster_Write(fd, sensor_address, reset, sizeof(reset)), 2);
    // SW_RESET clears itself; IF_INC is back to its default.
    assert_int_equal(read_register(fd, ctrl3_c), 0x04);
    assert_int_equal(read_register(fd, status_reg) & 0x01, 0);  // accelerometer powered down
    const uint8_t range[] = {ctrl1_xl, 0x18};                   // 12.5 Hz, ±4 g
    assert_int_equal(I2CMaster_Write(fd, sensor_address, range, sizeof(range)), 2);
    assert_int_equal(read_register(fd, ctrl1_xl), 0x18);
    assert_int_equal(read_register(fd, status_reg) & 0x05, 0x05);  // XLDA and TDA
    // Lying still: +1 g on Z, 0.122 mg/LSB at ±4 g.
    int16_t z = read_word(fd, outz_l_xl);
    assert_in_range(z, 8190, 8200);
    close(fd);
}

static void test_temperature_registers_match_set_temperature(void **state) {
    int fd = open_sensor_bus();
    // Values the output represents exactly (steps of 1/16 °C) read back within 1/256 °C.
    const double exact[] = {31.5, 25.0, -10.25, 85.0625, 0.0};
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
        set_temperature(exact[i]);
        double read = read_temperature(fd);
        assert_true(read > exact[i] - 1.0 / 256 && read < exact[i] + 1.0 / 256);
    }
    // Anything else is rounded to the nearest step.
    set_temperature(23.4567);
    double read = read_temperature(fd);
    assert_true(read > 23.4567 - 1.0 / 32 && read < 23.4567 + 1.0 / 32);
    // Out of the part's range the output saturates, as the part's does.
    set_temperature(5000.0);
    assert_int_equal(read_word(fd, out_temp_l), INT16_MAX);
    set_temperature(25.0);
    close(fd);
}

static void test_temperature_disconnected_fails_ENXIO_until_connected(void **state) {
    int fd = open_sensor_bus();
    set_link(SIM_I2C_LINK_DISCONNECTED);
    uint8_t value = 0;
    errno = 0;
    assert_int_equal(I2CMaster_WriteThenRead(fd, sensor_address, &who_am_i, 1, &value, 1), -1);
    assert_int_equal(errno, ENXIO);
    set_link(SIM_I2C_LINK_HUNG);
    errno = 0;
    assert_int_equal(I2CMaster_WriteThenRead(fd, sensor_address, &who_am_i, 1, &value, 1), -1);
    assert_int_equal(errno, ETIMEDOUT);
    set_link(SIM_I2C_LINK_CONNECTED);
    assert_int_equal(read_register(fd, who_am_i), 0x69);
    close(fd);
}

static void test_temperature_stuck_keeps_value(void **state) {
    int fd = open_sensor_bus();
    set_temperature(30.0);
    os_harness_lock();
    sim_lsm6ds3_set_stuck(&device->board.temperature_sensor, true);
    os_harness_unlock();
    set_temperature(40.0);
    assert_true(read_temperature(fd) == 30.0);
    os_harness_lock();
    sim_lsm6ds3_set_stuck(&device->board.temperature_sensor, false);
    os_harness_unlock();
    assert_true(read_temperature(fd) == 40.0);
    set_temperature(25.0);
    close(fd);
}

// Reads n noisy samples with the given seed.
static void read_noisy(int fd, uint64_t seed, double *out, size_t n) {
    os_harness_lock();
    sim_lsm6ds3_set_noise(&device->board.temperature_sensor, 0.5, seed);
    os_harness_unlock();
    for (size_t i = 0; i < n; i++) {
        out[i] = read_temperature(fd);
    }
}

static void test_temperature_noise_is_seeded(void **state) {
    int fd = open_sensor_bus();
    set_temperature(20.0);
    double first[16];
    double again[16];
    read_noisy(fd, 7, first, 16);
    read_noisy(fd, 7, again, 16);
    assert_memory_equal(first, again, sizeof(first));
    bool varies = false;
    double sum = 0;
    for (size_t i = 0; i < 16; i++) {
        varies = varies || first[i] != first[0];
        sum += first[i];
    }
    assert_true(varies);
    assert_true(sum / 16 > 19.0 && sum / 16 < 21.0);
    os_harness_lock();
    sim_lsm6ds3_set_noise(&device->board.temperature_sensor, 0, 0);
    os_harness_unlock();
    assert_true(read_temperature(fd) == 20.0);
    set_temperature(25.0);
    close(fd);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_I2CMaster_Open_not_in_manifest_fails_EACCES),
        cmocka_unit_test(test_I2CMaster_Open_no_such_interface_fails_ENODEV),
        cmocka_unit_test(test_I2CMaster_Open_already_open_fails_EBUSY),
        cmocka_unit_test(test_I2CMaster_calls_on_other_fds_fail_EBADF),
        cmocka_unit_test(test_I2CMaster_null_buffers_fail_EFAULT),
        cmocka_unit_test(test_I2CMaster_Write_absent_target_fails_ENXIO),
        cmocka_unit_test(test_I2CMaster_bad_arguments_fail_EINVAL),
        cmocka_unit_test(test_I2CMaster_configuration_as_the_sample_does_succeeds),
        cmocka_unit_test(test_I2CMaster_WriteThenRead_who_am_i_returns_0x69),
        cmocka_unit_test(test_posix_read_write_reach_the_default_target),
        cmocka_unit_test(test_sensor_reset_and_range_as_the_sample_does),
        cmocka_unit_test(test_temperature_registers_match_set_temperature),
        cmocka_unit_test(test_temperature_disconnected_fails_ENXIO_until_connected),
        cmocka_unit_test(test_temperature_stuck_keeps_value),
        cmocka_unit_test(test_temperature_noise_is_seeded),
    };
    return cmocka_run_group_tests(tests, set_up, tear_down);
}
