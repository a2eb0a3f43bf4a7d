// SPDX-License-Identifier: MIT
// Names for what the MT3620 reference development board wires to the chip: its LEDs,
// buttons and header pins, and which ISU each header exposes.
//
// Written as the SDK's generator would write it from hal_stub/hardware/mt3620_rdb.json;
// test_hwdef checks that every name and value here matches the JSON.

#pragma once
#include "mt3620.h"

// User LED 1, red element (GPIO8, active low).
#define MT3620_RDB_LED1_RED MT3620_GPIO8

// User LED 1, green element (GPIO9, active low).
#define MT3620_RDB_LED1_GREEN MT3620_GPIO9

// User LED 1, blue element (GPIO10, active low).
#define MT3620_RDB_LED1_BLUE MT3620_GPIO10

// User LED 2, red element (GPIO15, active low).
#define MT3620_RDB_LED2_RED MT3620_GPIO15

// User LED 2, green element (GPIO16, active low).
#define MT3620_RDB_LED2_GREEN MT3620_GPIO16

// User LED 2, blue element (GPIO17, active low).
#define MT3620_RDB_LED2_BLUE MT3620_GPIO17

// User LED 3, red element (GPIO18, active low).
#define MT3620_RDB_LED3_RED MT3620_GPIO18

// User LED 3, green element (GPIO19, active low).
#define MT3620_RDB_LED3_GREEN MT3620_GPIO19

// User LED 3, blue element (GPIO20, active low).
#define MT3620_RDB_LED3_BLUE MT3620_GPIO20

// User LED 4, red element (GPIO21, active low).
#define MT3620_RDB_LED4_RED MT3620_GPIO21

// User LED 4, green element (GPIO22, active low).
#define MT3620_RDB_LED4_GREEN MT3620_GPIO22

// User LED 4, blue element (GPIO23, active low).
#define MT3620_RDB_LED4_BLUE MT3620_GPIO23

// Application status LED, red element (GPIO45).
#define MT3620_RDB_STATUS_LED_RED MT3620_GPIO45

// Application status LED, green element (GPIO46).
#define MT3620_RDB_STATUS_LED_GREEN MT3620_GPIO46

// Application status LED, blue element (GPIO47).
#define MT3620_RDB_STATUS_LED_BLUE MT3620_GPIO47

// Wi-Fi (networking) status LED, red element (GPIO48).
#define MT3620_RDB_NETWORKING_LED_RED MT3620_GPIO48

// Wi-Fi (networking) status LED, green element (GPIO14).
#define MT3620_RDB_NETWORKING_LED_GREEN MT3620_GPIO14

// Wi-Fi (networking) status LED, blue element (GPIO11).
#define MT3620_RDB_NETWORKING_LED_BLUE MT3620_GPIO11

// Push button A (GPIO12, reads low while pressed).
#define MT3620_RDB_BUTTON_A MT3620_GPIO12

// Push button B (GPIO13, reads low while pressed).
#define MT3620_RDB_BUTTON_B MT3620_GPIO13

// Header 1, pin 3 carries GPIO59.
#define MT3620_RDB_HEADER1_PIN3_GPIO MT3620_GPIO59

// Header 1, pin 4 carries GPIO0.
#define MT3620_RDB_HEADER1_PIN4_GPIO MT3620_GPIO0

// Header 1, pin 5 carries GPIO56.
#define MT3620_RDB_HEADER1_PIN5_GPIO MT3620_GPIO56

// Header 1, pin 6 carries GPIO1.
#define MT3620_RDB_HEADER1_PIN6_GPIO MT3620_GPIO1

// Header 1, pin 7 carries GPIO58.
#define MT3620_RDB_HEADER1_PIN7_GPIO MT3620_GPIO58

// Header 1, pin 8 carries GPIO2.
#define MT3620_RDB_HEADER1_PIN8_GPIO MT3620_GPIO2

// Header 1, pin 9 carries GPIO57.
#define MT3620_RDB_HEADER1_PIN9_GPIO MT3620_GPIO57

// Header 1, pin 10 carries GPIO3.
#define MT3620_RDB_HEADER1_PIN10_GPIO MT3620_GPIO3

// Header 1, pin 11 carries GPIO60.
#define MT3620_RDB_HEADER1_PIN11_GPIO MT3620_GPIO60

// Header 1, pin 12 carries GPIO4.
#define MT3620_RDB_HEADER1_PIN12_GPIO MT3620_GPIO4

// Header 2, pin 1 carries GPIO28.
#define MT3620_RDB_HEADER2_PIN1_GPIO MT3620_GPIO28

// Header 2, pin 3 carries GPIO26.
#define MT3620_RDB_HEADER2_PIN3_GPIO MT3620_GPIO26

// Header 2, pin 4 carries GPIO5.
#define MT3620_RDB_HEADER2_PIN4_GPIO MT3620_GPIO5

// Header 2, pin 5 carries GPIO29.
#define MT3620_RDB_HEADER2_PIN5_GPIO MT3620_GPIO29

// Header 2, pin 6 carries GPIO6.
#define MT3620_RDB_HEADER2_PIN6_GPIO MT3620_GPIO6

// Header 2, pin 7 carries GPIO27.
#define MT3620_RDB_HEADER2_PIN7_GPIO MT3620_GPIO27

// Header 2, pin 8 carries GPIO7.
#define MT3620_RDB_HEADER2_PIN8_GPIO MT3620_GPIO7

// Header 2, pin 9 carries GPIO30.
#define MT3620_RDB_HEADER2_PIN9_GPIO MT3620_GPIO30

// Header 2, pin 11 carries GPIO41.
#define MT3620_RDB_HEADER2_PIN11_GPIO MT3620_GPIO41

// Header 2, pin 12 carries GPIO43.
#define MT3620_RDB_HEADER2_PIN12_GPIO MT3620_GPIO43

// Header 2, pin 13 carries GPIO42.
#define MT3620_RDB_HEADER2_PIN13_GPIO MT3620_GPIO42

// Header 2, pin 14 carries GPIO44.
#define MT3620_RDB_HEADER2_PIN14_GPIO MT3620_GPIO44

// Header 3, pin 5 carries GPIO66.
#define MT3620_RDB_HEADER3_PIN5_GPIO MT3620_GPIO66

// Header 3, pin 7 carries GPIO67.
#define MT3620_RDB_HEADER3_PIN7_GPIO MT3620_GPIO67

// Header 3, pin 9 carries GPIO68.
#define MT3620_RDB_HEADER3_PIN9_GPIO MT3620_GPIO68

// Header 3, pin 11 carries GPIO69.
#define MT3620_RDB_HEADER3_PIN11_GPIO MT3620_GPIO69

// Header 3, pin 12 carries GPIO70.
#define MT3620_RDB_HEADER3_PIN12_GPIO MT3620_GPIO70

// Header 4, pin 5 carries GPIO33.
#define MT3620_RDB_HEADER4_PIN5_GPIO MT3620_GPIO33

// Header 4, pin 6 carries GPIO38.
#define MT3620_RDB_HEADER4_PIN6_GPIO MT3620_GPIO38

// Header 4, pin 7 carries GPIO31.
#define MT3620_RDB_HEADER4_PIN7_GPIO MT3620_GPIO31

// Header 4, pin 8 carries GPIO36.
#define MT3620_RDB_HEADER4_PIN8_GPIO MT3620_GPIO36

// Header 4, pin 9 carries GPIO34.
#define MT3620_RDB_HEADER4_PIN9_GPIO MT3620_GPIO34

// Header 4, pin 10 carries GPIO39.
#define MT3620_RDB_HEADER4_PIN10_GPIO MT3620_GPIO39

// Header 4, pin 11 carries GPIO32.
#define MT3620_RDB_HEADER4_PIN11_GPIO MT3620_GPIO32

// Header 4, pin 12 carries GPIO37.
#define MT3620_RDB_HEADER4_PIN12_GPIO MT3620_GPIO37

// Header 4, pin 13 carries GPIO35.
#define MT3620_RDB_HEADER4_PIN13_GPIO MT3620_GPIO35

// Header 4, pin 14 carries GPIO40.
#define MT3620_RDB_HEADER4_PIN14_GPIO MT3620_GPIO40

// PWM controller 0, channels 0-3 on header 1 pins 4, 6, 8 and 10 (GPIO0-3).
#define MT3620_RDB_PWM_CONTROLLER0 MT3620_PWM_CONTROLLER0

// PWM controller 1, channels 0-3 on header 1 pin 12 and header 2 pins 4, 6 and 8 (GPIO4-7).
#define MT3620_RDB_PWM_CONTROLLER1 MT3620_PWM_CONTROLLER1

// PWM controller 2 drives LED 1 red/green/blue (channels 0-2) and the networking LED's blue element
// (channel 3) (GPIO8-11).
#define MT3620_RDB_LED_PWM_CONTROLLER2 MT3620_PWM_CONTROLLER2

// ADC controller 0, channels 0-3 on header 2 pins 11, 13, 12 and 14 (GPIO41-48 are taken when
// requested).
#define MT3620_RDB_ADC_CONTROLLER0 MT3620_ADC_CONTROLLER0

// ISU0 as I2C on header 2 (pin 1 = SDA, pin 7 = SCL).
#define MT3620_RDB_HEADER2_ISU0_I2C MT3620_ISU0_I2C

// ISU1 as I2C on header 4 (pin 5 = SDA, pin 11 = SCL).
#define MT3620_RDB_HEADER4_ISU1_I2C MT3620_ISU1_I2C

// ISU2 as I2C on header 4 (pin 6 = SDA, pin 12 = SCL).
#define MT3620_RDB_HEADER4_ISU2_I2C MT3620_ISU2_I2C

// ISU3 as I2C on header 3 (pin 9 = SDA, pin 7 = SCL).
#define MT3620_RDB_HEADER3_ISU3_I2C MT3620_ISU3_I2C

// ISU0 as SPI on header 2 (MISO 1, SCLK 3, CSA 5, MOSI 7, CSB 9).
#define MT3620_RDB_HEADER2_ISU0_SPI MT3620_ISU0_SPI

// ISU1 as SPI on header 4 (MISO 5, SCLK 7, CSA 9, MOSI 11, CSB 13).
#define MT3620_RDB_HEADER4_ISU1_SPI MT3620_ISU1_SPI

// ISU2 as SPI on header 4 (MISO 6, SCLK 8, CSA 10, MOSI 12, CSB 14).
#define MT3620_RDB_HEADER4_ISU2_SPI MT3620_ISU2_SPI

// ISU3 as SPI on header 3 (MISO 9, SCLK 5, CSA 11, MOSI 7, CSB 12).
#define MT3620_RDB_HEADER3_ISU3_SPI MT3620_ISU3_SPI

// ISU0 as UART on header 2 (RX 1, TX 3, CTS 5, RTS 7).
#define MT3620_RDB_HEADER2_ISU0_UART MT3620_ISU0_UART

// ISU1 as UART on header 4 (RX 5, TX 7, CTS 9, RTS 11).
#define MT3620_RDB_HEADER4_ISU1_UART MT3620_ISU1_UART

// ISU2 as UART on header 4 (RX 6, TX 8, CTS 10, RTS 12).
#define MT3620_RDB_HEADER4_ISU2_UART MT3620_ISU2_UART

// ISU3 as UART on header 3 (RX 9, TX 5, CTS 11, RTS 7).
#define MT3620_RDB_HEADER3_ISU3_UART MT3620_ISU3_UART
