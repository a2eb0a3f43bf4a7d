// SPDX-License-Identifier: MIT
// The sample hardware's sensors: the LSM6DS3's temperature sensor on I2C
// (SAMPLE_LSM6DS3_I2C, address 0x6A) and a potentiometer on the ADC
// (SAMPLE_POTENTIOMETER_ADC_CONTROLLER, channel SAMPLE_POTENTIOMETER_ADC_CHANNEL, 2.5 V
// reference). A failed reading is not fatal: sensors come loose, and the telemetry simply
// leaves that value out until they answer again.
#pragma once

#include <stdbool.h>

#include "exitcodes.h"

/// Opens the I2C interface and the ADC controller and configures them.
/// Returns ExitCode_Success or the ExitCode of the step that failed; call Sensors_Cleanup in
/// either case.
ExitCode Sensors_Initialise(void);

void Sensors_Cleanup(void);

/// Reads the LSM6DS3's temperature in degrees Celsius. Returns false (logged when the state
/// changes) when the sensor does not answer.
bool Sensors_ReadTemperature(double *outCelsius);

/// Reads the potentiometer's voltage. Returns false (logged when the state changes) when the
/// ADC fails.
bool Sensors_ReadPotentiometer(double *outVolts);
