// SPDX-License-Identifier: MIT
// The LSM6DS3 model; see lsm6ds3.h. Register numbers and bit positions follow ST's datasheet
// (DocID026899): CTRL1_XL's ODR_XL in bits 7-4 and FS_XL in bits 3-2, CTRL2_G's ODR_G in bits
// 7-4, CTRL3_C's BOOT (bit 7), IF_INC (bit 2) and SW_RESET (bit 0), STATUS_REG's TDA, GDA and
// XLDA in bits 2-0.
#include "board/lsm6ds3.h"

#include <math.h>
#include <string.h>

#define CTRL3_C_BOOT 0x80u
#define CTRL3_C_IF_INC 0x04u
#define CTRL3_C_SW_RESET 0x01u
#define STATUS_TDA 0x04u
#define STATUS_GDA 0x02u
#define STATUS_XLDA 0x01u
#define ODR_MASK 0xF0u
#define FS_XL_SHIFT 2
#define OUT_XL_BYTES 6
#define OUT_G_BYTES 6

// Registers an app may write; the rest are read-only or reserved and ignore writes.
static bool is_writable(uint8_t reg) {
    return reg == 0x01 || (reg >= 0x04 && reg <= 0x0B) || reg == 0x0D || reg == 0x0E ||
           (reg >= SIM_LSM6DS3_CTRL1_XL && reg <= 0x1A) || (reg >= 0x58 && reg <= 0x5F);
}

void sim_lsm6ds3_power_on(struct sim_lsm6ds3 *sensor) {
    memset(sensor->regs, 0, sizeof(sensor->regs));
    sensor->regs[SIM_LSM6DS3_WHO_AM_I] = SIM_LSM6DS3_WHO_AM_I_VALUE;
    sensor->regs[SIM_LSM6DS3_CTRL3_C] = CTRL3_C_IF_INC;
    sensor->pointer = 0;
    sensor->temp_sample = 0;
}

void sim_lsm6ds3_init(struct sim_lsm6ds3 *sensor) {
    memset(sensor, 0, sizeof(*sensor));
    sensor->temperature_c = SIM_LSM6DS3_TEMP_ZERO_C;
    sim_lsm6ds3_power_on(sensor);
}

int16_t sim_lsm6ds3_temp_code(double celsius) {
    double code = round((celsius - SIM_LSM6DS3_TEMP_ZERO_C) * SIM_LSM6DS3_TEMP_LSB_PER_C);
    if (!(code > INT16_MIN)) {  // also catches NaN
        return INT16_MIN;
    }
    return code > INT16_MAX ? INT16_MAX : (int16_t)code;
}

static double celsius_of(int16_t code) {
    return code / SIM_LSM6DS3_TEMP_LSB_PER_C + SIM_LSM6DS3_TEMP_ZERO_C;
}

double sim_lsm6ds3_reading_c(const struct sim_lsm6ds3 *sensor) {
    return celsius_of(sensor->stuck ? sensor->stuck_sample
                                    : sim_lsm6ds3_temp_code(sensor->temperature_c));
}

void sim_lsm6ds3_set_temperature(struct sim_lsm6ds3 *sensor, double celsius) {
    sensor->temperature_c = celsius;
}

void sim_lsm6ds3_set_stuck(struct sim_lsm6ds3 *sensor, bool stuck) {
    if (stuck && !sensor->stuck) {
        sensor->stuck_sample = sim_lsm6ds3_temp_code(sensor->temperature_c);
    }
    sensor->stuck = stuck;
}

void sim_lsm6ds3_set_noise(struct sim_lsm6ds3 *sensor, double sigma_c, uint64_t seed) {
    sim_noise_set(&sensor->noise, sigma_c, seed);
}

static void take_temperature_sample(struct sim_lsm6ds3 *sensor) {
    if (sensor->stuck) {
        sensor->temp_sample = sensor->stuck_sample;
        return;
    }
    double celsius = sensor->temperature_c + sim_noise_next(&sensor->noise);
    sensor->temp_sample = sim_lsm6ds3_temp_code(celsius);
}

static bool powered(const struct sim_lsm6ds3 *sensor, uint8_t ctrl_reg) {
    return (sensor->regs[ctrl_reg] & ODR_MASK) != 0;
}

// +1 g in the accelerometer's current full scale: ±2 g, ±16 g, ±4 g, ±8 g for FS_XL 0-3.
static int16_t one_g_code(const struct sim_lsm6ds3 *sensor) {
    static const double mg_per_lsb[4] = {0.061, 0.488, 0.122, 0.244};
    unsigned fs = (sensor->regs[SIM_LSM6DS3_CTRL1_XL] >> FS_XL_SHIFT) & 0x3u;
    return (int16_t)lround(1000.0 / mg_per_lsb[fs]);
}

static uint8_t read_register(const struct sim_lsm6ds3 *sensor, uint8_t reg) {
    if (reg == SIM_LSM6DS3_STATUS_REG) {
        // The temperature is always fresh here; the part samples it only while the
        // accelerometer or gyroscope runs, a power detail this model leaves out.
        uint8_t status = STATUS_TDA;
        status |= powered(sensor, SIM_LSM6DS3_CTRL1_XL) ? STATUS_XLDA : 0;
        status |= powered(sensor, SIM_LSM6DS3_CTRL2_G) ? STATUS_GDA : 0;
        return status;
    }
    if (reg == SIM_LSM6DS3_OUT_TEMP_L || reg == SIM_LSM6DS3_OUT_TEMP_H) {
        uint16_t code = (uint16_t)sensor->temp_sample;
        return reg == SIM_LSM6DS3_OUT_TEMP_L ? (uint8_t)(code & 0xFF) : (uint8_t)(code >> 8);
    }
    if (reg >= SIM_LSM6DS3_OUTX_L_G && reg < SIM_LSM6DS3_OUTX_L_G + OUT_G_BYTES) {
        return 0;  // not rotating
    }
    if (reg >= SIM_LSM6DS3_OUTX_L_XL && reg < SIM_LSM6DS3_OUTX_L_XL + OUT_XL_BYTES) {
        // X and Y read 0; Z reads +1 g while the accelerometer is powered.
        unsigned offset = (unsigned)(reg - SIM_LSM6DS3_OUTX_L_XL);
        if (offset < 4 || !powered(sensor, SIM_LSM6DS3_CTRL1_XL)) {
            return 0;
        }
        uint16_t code = (uint16_t)one_g_code(sensor);
        return offset == 4 ? (uint8_t)(code & 0xFF) : (uint8_t)(code >> 8);
    }
    return sensor->regs[reg];
}

static void write_register(struct sim_lsm6ds3 *sensor, uint8_t reg, uint8_t value) {
    if (!is_writable(reg)) {
        return;
    }
    if (reg == SIM_LSM6DS3_CTRL3_C && (value & CTRL3_C_SW_RESET) != 0) {
        // The reset completes at once, so SW_RESET already reads back as 0.
        sim_lsm6ds3_power_on(sensor);
        return;
    }
    // BOOT reloads trimming values and clears itself; nothing to reload here.
    sensor->regs[reg] = reg == SIM_LSM6DS3_CTRL3_C ? (uint8_t)(value & ~CTRL3_C_BOOT) : value;
}

static uint8_t advance(const struct sim_lsm6ds3 *sensor, uint8_t reg) {
    if ((sensor->regs[SIM_LSM6DS3_CTRL3_C] & CTRL3_C_IF_INC) == 0) {
        return reg;
    }
    return (uint8_t)((reg + 1) % SIM_LSM6DS3_REGISTERS);
}

// True when a read of len bytes from the current register reaches OUT_TEMP_L.
static bool read_reaches_temperature(const struct sim_lsm6ds3 *sensor, size_t len) {
    uint8_t reg = sensor->pointer;
    for (size_t i = 0; i < len && i < SIM_LSM6DS3_REGISTERS; i++) {
        if (reg == SIM_LSM6DS3_OUT_TEMP_L) {
            return true;
        }
        reg = advance(sensor, reg);
    }
    return false;
}

int sim_lsm6ds3_transfer(void *model, const uint8_t *write_data, size_t write_len,
                         uint8_t *read_data, size_t read_len) {
    struct sim_lsm6ds3 *sensor = model;
    if (write_len > 0) {
        sensor->pointer = write_data[0] % SIM_LSM6DS3_REGISTERS;
        for (size_t i = 1; i < write_len; i++) {
            uint8_t reg = sensor->pointer;
            write_register(sensor, reg, write_data[i]);
            sensor->pointer = advance(sensor, reg);
        }
    }
    if (read_len > 0) {
        // A new sample per read that covers the low byte; reading the high byte on its own
        // returns the same sample's, as with the part's block data update.
        if (read_reaches_temperature(sensor, read_len)) {
            take_temperature_sample(sensor);
        }
        for (size_t i = 0; i < read_len; i++) {
            read_data[i] = read_register(sensor, sensor->pointer);
            sensor->pointer = advance(sensor, sensor->pointer);
        }
    }
    return 0;
}
