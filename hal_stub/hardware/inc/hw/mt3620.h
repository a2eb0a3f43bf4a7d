// SPDX-License-Identifier: MIT
// Peripherals of the MediaTek MT3620 as an Azure Sphere high-level app sees them: the value
// code passes to applibs (MainCoreHeaderValue) and the value the app manifest lists
// (AppManifestValue). GPIO ids have gaps; only the listed ones exist.
//
// Written as the SDK's generator would write it from hal_stub/hardware/mt3620.json;
// test_hwdef checks that every name and value here matches the JSON.

#pragma once

// Chip GPIO 0; its pin doubles as a PWM-CONTROLLER-0 output.
#define MT3620_GPIO0 (0)

// Chip GPIO 1; its pin doubles as a PWM-CONTROLLER-0 output.
#define MT3620_GPIO1 (1)

// Chip GPIO 2; its pin doubles as a PWM-CONTROLLER-0 output.
#define MT3620_GPIO2 (2)

// Chip GPIO 3; its pin doubles as a PWM-CONTROLLER-0 output.
#define MT3620_GPIO3 (3)

// Chip GPIO 4; its pin doubles as a PWM-CONTROLLER-1 output.
#define MT3620_GPIO4 (4)

// Chip GPIO 5; its pin doubles as a PWM-CONTROLLER-1 output.
#define MT3620_GPIO5 (5)

// Chip GPIO 6; its pin doubles as a PWM-CONTROLLER-1 output.
#define MT3620_GPIO6 (6)

// Chip GPIO 7; its pin doubles as a PWM-CONTROLLER-1 output.
#define MT3620_GPIO7 (7)

// Chip GPIO 8; its pin doubles as a PWM-CONTROLLER-2 output.
#define MT3620_GPIO8 (8)

// Chip GPIO 9; its pin doubles as a PWM-CONTROLLER-2 output.
#define MT3620_GPIO9 (9)

// Chip GPIO 10; its pin doubles as a PWM-CONTROLLER-2 output.
#define MT3620_GPIO10 (10)

// Chip GPIO 11; its pin doubles as a PWM-CONTROLLER-2 output.
#define MT3620_GPIO11 (11)

// Chip GPIO 12.
#define MT3620_GPIO12 (12)

// Chip GPIO 13.
#define MT3620_GPIO13 (13)

// Chip GPIO 14.
#define MT3620_GPIO14 (14)

// Chip GPIO 15.
#define MT3620_GPIO15 (15)

// Chip GPIO 16.
#define MT3620_GPIO16 (16)

// Chip GPIO 17.
#define MT3620_GPIO17 (17)

// Chip GPIO 18.
#define MT3620_GPIO18 (18)

// Chip GPIO 19.
#define MT3620_GPIO19 (19)

// Chip GPIO 20.
#define MT3620_GPIO20 (20)

// Chip GPIO 21.
#define MT3620_GPIO21 (21)

// Chip GPIO 22.
#define MT3620_GPIO22 (22)

// Chip GPIO 23.
#define MT3620_GPIO23 (23)

// Chip GPIO 26; its pin belongs to ISU0 when that unit is in use.
#define MT3620_GPIO26 (26)

// Chip GPIO 27; its pin belongs to ISU0 when that unit is in use.
#define MT3620_GPIO27 (27)

// Chip GPIO 28; its pin belongs to ISU0 when that unit is in use.
#define MT3620_GPIO28 (28)

// Chip GPIO 29; its pin belongs to ISU0 when that unit is in use.
#define MT3620_GPIO29 (29)

// Chip GPIO 30; its pin belongs to ISU0 when that unit is in use.
#define MT3620_GPIO30 (30)

// Chip GPIO 31; its pin belongs to ISU1 when that unit is in use.
#define MT3620_GPIO31 (31)

// Chip GPIO 32; its pin belongs to ISU1 when that unit is in use.
#define MT3620_GPIO32 (32)

// Chip GPIO 33; its pin belongs to ISU1 when that unit is in use.
#define MT3620_GPIO33 (33)

// Chip GPIO 34; its pin belongs to ISU1 when that unit is in use.
#define MT3620_GPIO34 (34)

// Chip GPIO 35; its pin belongs to ISU1 when that unit is in use.
#define MT3620_GPIO35 (35)

// Chip GPIO 36; its pin belongs to ISU2 when that unit is in use.
#define MT3620_GPIO36 (36)

// Chip GPIO 37; its pin belongs to ISU2 when that unit is in use.
#define MT3620_GPIO37 (37)

// Chip GPIO 38; its pin belongs to ISU2 when that unit is in use.
#define MT3620_GPIO38 (38)

// Chip GPIO 39; its pin belongs to ISU2 when that unit is in use.
#define MT3620_GPIO39 (39)

// Chip GPIO 40; its pin belongs to ISU2 when that unit is in use.
#define MT3620_GPIO40 (40)

// Chip GPIO 41; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO41 (41)

// Chip GPIO 42; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO42 (42)

// Chip GPIO 43; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO43 (43)

// Chip GPIO 44; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO44 (44)

// Chip GPIO 45; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO45 (45)

// Chip GPIO 46; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO46 (46)

// Chip GPIO 47; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO47 (47)

// Chip GPIO 48; its pin doubles as an ADC-CONTROLLER-0 input.
#define MT3620_GPIO48 (48)

// Chip GPIO 56.
#define MT3620_GPIO56 (56)

// Chip GPIO 57.
#define MT3620_GPIO57 (57)

// Chip GPIO 58.
#define MT3620_GPIO58 (58)

// Chip GPIO 59.
#define MT3620_GPIO59 (59)

// Chip GPIO 60.
#define MT3620_GPIO60 (60)

// Chip GPIO 61.
#define MT3620_GPIO61 (61)

// Chip GPIO 62.
#define MT3620_GPIO62 (62)

// Chip GPIO 63.
#define MT3620_GPIO63 (63)

// Chip GPIO 64.
#define MT3620_GPIO64 (64)

// Chip GPIO 65.
#define MT3620_GPIO65 (65)

// Chip GPIO 66; its pin belongs to ISU3 when that unit is in use.
#define MT3620_GPIO66 (66)

// Chip GPIO 67; its pin belongs to ISU3 when that unit is in use.
#define MT3620_GPIO67 (67)

// Chip GPIO 68; its pin belongs to ISU3 when that unit is in use.
#define MT3620_GPIO68 (68)

// Chip GPIO 69; its pin belongs to ISU3 when that unit is in use.
#define MT3620_GPIO69 (69)

// Chip GPIO 70; its pin belongs to ISU3 when that unit is in use.
#define MT3620_GPIO70 (70)

// Chip GPIO 71; its pin belongs to ISU4 when that unit is in use.
#define MT3620_GPIO71 (71)

// Chip GPIO 72; its pin belongs to ISU4 when that unit is in use.
#define MT3620_GPIO72 (72)

// Chip GPIO 73; its pin belongs to ISU4 when that unit is in use.
#define MT3620_GPIO73 (73)

// Chip GPIO 74; its pin belongs to ISU4 when that unit is in use.
#define MT3620_GPIO74 (74)

// Chip GPIO 75; its pin belongs to ISU4 when that unit is in use.
#define MT3620_GPIO75 (75)

// Chip GPIO 80.
#define MT3620_GPIO80 (80)

// Serial interface unit 0 used as an I2C master.
#define MT3620_ISU0_I2C (0)

// Serial interface unit 1 used as an I2C master.
#define MT3620_ISU1_I2C (1)

// Serial interface unit 2 used as an I2C master.
#define MT3620_ISU2_I2C (2)

// Serial interface unit 3 used as an I2C master.
#define MT3620_ISU3_I2C (3)

// Serial interface unit 4 used as an I2C master.
#define MT3620_ISU4_I2C (4)

// Serial interface unit 0 used as an SPI master.
#define MT3620_ISU0_SPI (0)

// Serial interface unit 1 used as an SPI master.
#define MT3620_ISU1_SPI (1)

// Serial interface unit 2 used as an SPI master.
#define MT3620_ISU2_SPI (2)

// Serial interface unit 3 used as an SPI master.
#define MT3620_ISU3_SPI (3)

// Serial interface unit 4 used as an SPI master.
#define MT3620_ISU4_SPI (4)

// Serial interface unit 0 used as a UART.
#define MT3620_ISU0_UART (4)

// Serial interface unit 1 used as a UART.
#define MT3620_ISU1_UART (5)

// Serial interface unit 2 used as a UART.
#define MT3620_ISU2_UART (6)

// Serial interface unit 3 used as a UART.
#define MT3620_ISU3_UART (7)

// Serial interface unit 4 used as a UART.
#define MT3620_ISU4_UART (8)

// PWM controller 0; requesting it takes GPIO0 to GPIO3 away from GPIO use.
#define MT3620_PWM_CONTROLLER0 (0)

// PWM controller 1; requesting it takes GPIO4 to GPIO7 away from GPIO use.
#define MT3620_PWM_CONTROLLER1 (1)

// PWM controller 2; requesting it takes GPIO8 to GPIO11 away from GPIO use.
#define MT3620_PWM_CONTROLLER2 (2)

// ADC controller 0; requesting it takes GPIO41 to GPIO48 away from GPIO use.
#define MT3620_ADC_CONTROLLER0 (0)

// Channel 0 of a PWM controller; a PWM_Apply argument, never an app manifest value.
#define MT3620_PWM_CHANNEL0 (0)

// Channel 1 of a PWM controller; a PWM_Apply argument, never an app manifest value.
#define MT3620_PWM_CHANNEL1 (1)

// Channel 2 of a PWM controller; a PWM_Apply argument, never an app manifest value.
#define MT3620_PWM_CHANNEL2 (2)

// Channel 3 of a PWM controller; a PWM_Apply argument, never an app manifest value.
#define MT3620_PWM_CHANNEL3 (3)

// Channel 0 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL0 (0)

// Channel 1 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL1 (1)

// Channel 2 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL2 (2)

// Channel 3 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL3 (3)

// Channel 4 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL4 (4)

// Channel 5 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL5 (5)

// Channel 6 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL6 (6)

// Channel 7 of the ADC controller; an ADC_Poll argument, never an app manifest value.
#define MT3620_ADC_CHANNEL7 (7)

// SPI chip select A for SPIMaster_Open; not a peripheral, so it has no app manifest value.
#define MT3620_SPI_CS_A (-1)

// SPI chip select B for SPIMaster_Open; not a peripheral, so it has no app manifest value.
#define MT3620_SPI_CS_B (-2)
