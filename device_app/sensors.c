// SPDX-License-Identifier: MIT
// Register numbers and scaling from ST's LSM6DS3 datasheet (DocID026899): WHO_AM_I (0Fh) reads
// 69h; OUT_TEMP_L/OUT_TEMP_H (20h/21h) hold a signed 16-bit temperature at 16 LSB per degree,
// 0 meaning 25 degrees. The temperature sensor runs whenever the chip is powered, so no
// configuration is written. The MT3620's ADC takes 12-bit samples against a 2.5 V reference.

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

// applibs_versions.h must come before any applibs header.
#include "applibs_versions.h"

#include <applibs/adc.h>
#include <applibs/i2c.h>
#include <applibs/log.h>

#include <hw/sample_appliance.h>

#include "sensors.h"

#define LSM6DS3_ADDRESS 0x6A
#define LSM6DS3_WHO_AM_I 0x0F
#define LSM6DS3_WHO_AM_I_VALUE 0x69
#define LSM6DS3_OUT_TEMP_L 0x20
#define LSM6DS3_TEMP_LSB_PER_C 16.0
#define LSM6DS3_TEMP_ZERO_C 25.0
#define I2C_TIMEOUT_MS 100
#define ADC_REFERENCE_VOLTS 2.5f

static int i2cFd = -1;
static int adcFd = -1;
static int adcBits = 12;
// The last errno each sensor failed with (0 = working), so a fault is logged once.
static int temperatureError = 0;
static int potentiometerError = 0;

static void NoteState(const char *name, int *lastError, int error) {
    if (error == *lastError) {
        return;
    }
    if (error != 0) {
        Log_Debug("WARNING: sensors: cannot read the %s: %s (%d).\n", name, strerror(error), error);
    } else {
        Log_Debug("INFO: sensors: the %s answers again.\n", name);
    }
    *lastError = error;
}

ExitCode Sensors_Initialise(void) {
    i2cFd = I2CMaster_Open(SAMPLE_LSM6DS3_I2C);
    if (i2cFd == -1) {
        Log_Debug("ERROR: I2CMaster_Open: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Sensors_OpenI2c;
    }
    if (I2CMaster_SetBusSpeed(i2cFd, I2C_BUS_SPEED_STANDARD) != 0 ||
        I2CMaster_SetTimeout(i2cFd, I2C_TIMEOUT_MS) != 0) {
        Log_Debug("ERROR: I2C bus set-up: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Sensors_ConfigureI2c;
    }
    // An absent sensor is reported but not fatal: it may be plugged in later.
    uint8_t whoAmI = 0;
    const uint8_t reg = LSM6DS3_WHO_AM_I;
    ssize_t n = I2CMaster_WriteThenRead(i2cFd, LSM6DS3_ADDRESS, &reg, 1, &whoAmI, 1);
    if (n == -1 || whoAmI != LSM6DS3_WHO_AM_I_VALUE) {
        Log_Debug("WARNING: sensors: no LSM6DS3 at 0x%02x (WHO_AM_I 0x%02x, %s).\n",
                  LSM6DS3_ADDRESS, whoAmI, n == -1 ? strerror(errno) : "unexpected value");
    }

    adcFd = ADC_Open(SAMPLE_POTENTIOMETER_ADC_CONTROLLER);
    if (adcFd == -1) {
        Log_Debug("ERROR: ADC_Open: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Sensors_OpenAdc;
    }
    adcBits = ADC_GetSampleBitCount(adcFd, SAMPLE_POTENTIOMETER_ADC_CHANNEL);
    if (adcBits <= 0 || adcBits > 24) {
        Log_Debug("ERROR: ADC_GetSampleBitCount: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Sensors_AdcBits;
    }
    if (ADC_SetReferenceVoltage(adcFd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, ADC_REFERENCE_VOLTS) !=
        0) {
        Log_Debug("ERROR: ADC_SetReferenceVoltage: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Sensors_AdcReference;
    }
    return ExitCode_Success;
}

void Sensors_Cleanup(void) {
    if (i2cFd >= 0) {
        close(i2cFd);
    }
    if (adcFd >= 0) {
        close(adcFd);
    }
    i2cFd = -1;
    adcFd = -1;
}

bool Sensors_ReadTemperature(double *outCelsius) {
    if (i2cFd < 0 || outCelsius == NULL) {
        return false;
    }
    const uint8_t reg = LSM6DS3_OUT_TEMP_L;
    uint8_t bytes[2] = {0, 0};
    ssize_t n = I2CMaster_WriteThenRead(i2cFd, LSM6DS3_ADDRESS, &reg, 1, bytes, sizeof(bytes));
    if (n != (ssize_t)(1 + sizeof(bytes))) {
        NoteState("temperature sensor", &temperatureError, n == -1 ? errno : EIO);
        return false;
    }
    NoteState("temperature sensor", &temperatureError, 0);
    int16_t raw = (int16_t)(uint16_t)(bytes[0] | (bytes[1] << 8));
    *outCelsius = raw / LSM6DS3_TEMP_LSB_PER_C + LSM6DS3_TEMP_ZERO_C;
    return true;
}

bool Sensors_ReadPotentiometer(double *outVolts) {
    if (adcFd < 0 || outVolts == NULL) {
        return false;
    }
    uint32_t sample = 0;
    if (ADC_Poll(adcFd, SAMPLE_POTENTIOMETER_ADC_CHANNEL, &sample) != 0) {
        NoteState("potentiometer", &potentiometerError, errno);
        return false;
    }
    NoteState("potentiometer", &potentiometerError, 0);
    uint32_t fullScale = (1u << adcBits) - 1u;
    *outVolts = (double)sample * ADC_REFERENCE_VOLTS / (double)fullScale;
    return true;
}
