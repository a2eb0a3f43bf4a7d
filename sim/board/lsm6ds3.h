// SPDX-License-Identifier: MIT
// A model of the ST LSM6DS3 accelerometer/gyroscope, the I2C sensor of the Azure Sphere samples'
// hardware (address 0x6A with SDO to ground), used here as the board's temperature sensor. It
// keeps the register map an app sees over I2C: WHO_AM_I (0x0F) reads 0x69, the control
// registers are writable, CTRL3_C's SW_RESET restores the defaults, multi-byte accesses
// auto-increment (IF_INC), STATUS_REG (0x1E) flags new data, and OUT_TEMP_L/H (0x20/0x21) hold
// the temperature as 16-bit two's complement at 16 LSB/°C with 0 meaning 25 °C (ST's datasheet
// and driver for the LSM6DS3). The part is lying still: the gyroscope reads 0 and the
// accelerometer +1 g on Z while they are powered (ODR not 0).
//
// The environment sets the temperature; fault knobs make the reading stuck or noisy (Gaussian,
// from a seeded generator, so a scenario replays exactly).
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "board/noise.h"

#define SIM_LSM6DS3_ADDRESS 0x6A
#define SIM_LSM6DS3_WHO_AM_I 0x0F
#define SIM_LSM6DS3_WHO_AM_I_VALUE 0x69
#define SIM_LSM6DS3_CTRL1_XL 0x10
#define SIM_LSM6DS3_CTRL2_G 0x11
#define SIM_LSM6DS3_CTRL3_C 0x12
#define SIM_LSM6DS3_STATUS_REG 0x1E
#define SIM_LSM6DS3_OUT_TEMP_L 0x20
#define SIM_LSM6DS3_OUT_TEMP_H 0x21
#define SIM_LSM6DS3_OUTX_L_G 0x22
#define SIM_LSM6DS3_OUTX_L_XL 0x28
#define SIM_LSM6DS3_REGISTERS 0x80
// Temperature output: LSB per °C, and the temperature that reads as 0.
#define SIM_LSM6DS3_TEMP_LSB_PER_C 16.0
#define SIM_LSM6DS3_TEMP_ZERO_C 25.0

struct sim_lsm6ds3 {
    uint8_t regs[SIM_LSM6DS3_REGISTERS];
    uint8_t pointer;       // the register the next access starts at
    int16_t temp_sample;   // what OUT_TEMP_L/H hold: the last sample taken
    double temperature_c;  // the environment's temperature
    bool stuck;            // the output no longer follows the temperature
    int16_t stuck_sample;
    struct sim_noise noise;  // the reading's noise, in °C
};

// A part at 25 °C without faults, just powered on.
void sim_lsm6ds3_init(struct sim_lsm6ds3 *sensor);

// Power-on (or software) reset: registers back to their defaults. The environment and the
// faults are not the part's state and stay.
void sim_lsm6ds3_power_on(struct sim_lsm6ds3 *sensor);

// One I2C transaction (a sim_i2c_transfer_fn): the first byte written selects the register,
// the rest are written from there; the read continues from the selected register.
// Returns 0 (the part acknowledges everything).
int sim_lsm6ds3_transfer(void *sensor, const uint8_t *write_data, size_t write_len,
                         uint8_t *read_data, size_t read_len);

// Sets the environment's temperature; any value, the output saturates as the part's would.
void sim_lsm6ds3_set_temperature(struct sim_lsm6ds3 *sensor, double celsius);

// Freezes the output at the current temperature (true) or lets it follow again (false).
void sim_lsm6ds3_set_stuck(struct sim_lsm6ds3 *sensor, bool stuck);

// Adds Gaussian noise of the given standard deviation (°C, 0 for none) to every new sample,
// drawn from a generator started at seed.
void sim_lsm6ds3_set_noise(struct sim_lsm6ds3 *sensor, double sigma_c, uint64_t seed);

// The temperature the part reports without noise: the stuck value or the environment's,
// quantised to the output's resolution and range.
double sim_lsm6ds3_reading_c(const struct sim_lsm6ds3 *sensor);

// The output code for a temperature, saturated to 16 bits.
int16_t sim_lsm6ds3_temp_code(double celsius);
