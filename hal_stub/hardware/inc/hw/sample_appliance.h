// SPDX-License-Identifier: MIT
// The 'sample appliance' names that Azure Sphere sample apps use, bound to the MT3620 RDB,
// so an app written for the samples' abstraction runs on the simulated RDB unchanged.
//
// Written as the SDK's generator would write it from hal_stub/hardware/sample_appliance.json;
// test_hwdef checks that every name and value here matches the JSON.

#pragma once
#include "mt3620_rdb.h"

// First sample button: RDB button A.
#define SAMPLE_BUTTON_1 MT3620_RDB_BUTTON_A

// Second sample button: RDB button B.
#define SAMPLE_BUTTON_2 MT3620_RDB_BUTTON_B

// ADC controller for an external potentiometer; this is the name to request in the manifest.
#define SAMPLE_POTENTIOMETER_ADC_CONTROLLER MT3620_RDB_ADC_CONTROLLER0

// Potentiometer wiper on ADC channel 0 (header 2, pin 11); not a manifest value.
#define SAMPLE_POTENTIOMETER_ADC_CHANNEL MT3620_ADC_CHANNEL0

// General-purpose sample LED: red element of RDB LED 1.
#define SAMPLE_LED MT3620_RDB_LED1_RED

// PWM controller that dims RDB LED 1; this is the name to request in the manifest.
#define SAMPLE_LED_PWM_CONTROLLER MT3620_RDB_LED_PWM_CONTROLLER2

// PWM channel of LED 1's green element; not a manifest value.
#define SAMPLE_LED_PWM_CHANNEL MT3620_PWM_CHANNEL1

// Sample RGB LED, red element: RDB LED 2.
#define SAMPLE_RGBLED_RED MT3620_RDB_LED2_RED

// Sample RGB LED, green element: RDB LED 2.
#define SAMPLE_RGBLED_GREEN MT3620_RDB_LED2_GREEN

// Sample RGB LED, blue element: RDB LED 2.
#define SAMPLE_RGBLED_BLUE MT3620_RDB_LED2_BLUE

// UART for the loopback sample: bridge header 2 pin 1 (RX) to pin 3 (TX).
#define SAMPLE_UART_LOOPBACK MT3620_RDB_HEADER2_ISU0_UART

// I2C bus of an external LSM6DS3 sensor (header 4: SDA pin 6, SCL pin 12).
#define SAMPLE_LSM6DS3_I2C MT3620_RDB_HEADER4_ISU2_I2C

// SPI bus of an external LSM6DS3 sensor (header 4: MISO 5, SCLK 7, CSA 9, MOSI 11).
#define SAMPLE_LSM6DS3_SPI MT3620_RDB_HEADER4_ISU1_SPI

// Chip select used for the LSM6DS3 on SPI; not a manifest value.
#define SAMPLE_LSM6DS3_SPI_CS MT3620_SPI_CS_A

// Reset line of an external nRF52 (header 2, pin 4).
#define SAMPLE_NRF52_RESET MT3620_RDB_HEADER2_PIN4_GPIO

// DFU line of an external nRF52 (header 2, pin 14).
#define SAMPLE_NRF52_DFU MT3620_RDB_HEADER2_PIN14_GPIO

// UART to an external nRF52 (header 2: RX 1, TX 3, CTS 5, RTS 7).
#define SAMPLE_NRF52_UART MT3620_RDB_HEADER2_ISU0_UART

// Device status LED: red element of RDB LED 1.
#define SAMPLE_DEVICE_STATUS_LED MT3620_RDB_LED1_RED

// Update-pending indicator: blue element of RDB LED 3.
#define SAMPLE_PENDING_UPDATE_LED MT3620_RDB_LED3_BLUE
