// SPDX-License-Identifier: MIT
// The MT3620 reference development board as the app sees it: every GPIO the chip has, the RDB's
// LEDs (active-low: driving the pin low lights the LED) and buttons A and B (pulled up: pressed
// reads low); the chip's I2C masters, with the sample hardware's LSM6DS3 temperature sensor on
// the ISU that SAMPLE_LSM6DS3_I2C names; and the ADC controller, with the sample hardware's
// potentiometer on SAMPLE_POTENTIOMETER_ADC_CHANNEL. An opened peripheral is a channel whose
// other end the app holds; the board answers the app's requests on it.
//
// The OS serves channels by slot: one number per peripheral the app can hold open (each GPIO,
// each I2C interface, the ADC controller), so the loop that watches them needs no knowledge of
// what is behind a slot.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "board/adc_model.h"
#include "board/i2c_bus.h"
#include "board/lsm6ds3.h"

#define SIM_BOARD_MAX_GPIO 128

// Channel slots: GPIOs by id, then I2C interfaces by id, then the ADC controller.
#define SIM_BOARD_SLOT_I2C0 SIM_BOARD_MAX_GPIO
#define SIM_BOARD_SLOT_ADC (SIM_BOARD_SLOT_I2C0 + SIM_I2C_MAX_ISU)
#define SIM_BOARD_CHANNEL_SLOTS (SIM_BOARD_SLOT_ADC + 1)

enum sim_gpio_direction { SIM_GPIO_UNCONFIGURED = 0, SIM_GPIO_INPUT, SIM_GPIO_OUTPUT };

struct sim_gpio_pin {
    bool exists;
    char name[40];  // the RDB's name without the MT3620_RDB_ prefix ("LED1_RED"), or ""
    bool is_led;
    bool is_button;
    enum sim_gpio_direction direction;
    uint8_t output_mode;  // GPIO_OutputMode_Type while an output
    uint8_t driven;       // the level the app drives (outputs)
    uint8_t external;     // the level the outside world applies (inputs; buttons)
    int channel_fd;       // the OS end of the app's channel, -1 when the GPIO isn't open
};

struct sim_board {
    struct sim_gpio_pin pins[SIM_BOARD_MAX_GPIO];
    struct sim_i2c_bus i2c[SIM_I2C_MAX_ISU];  // by I2C_InterfaceId
    struct sim_adc adc;                       // ADC_ControllerId 0
    struct sim_lsm6ds3 temperature_sensor;
    int temperature_sensor_isu;  // the I2C interface it is wired to
    uint32_t potentiometer_channel;
};

enum sim_board_result { SIM_BOARD_OK = 0, SIM_BOARD_ERR_DEFINITION, SIM_BOARD_ERR_UNKNOWN };

// Builds the board from the hardware definitions of the named board (only "mt3620_rdb").
// err names the board or definition file at fault.
enum sim_board_result sim_board_init(struct sim_board *board, const char *board_name, char *err,
                                     size_t err_size);

// Opens a GPIO for the app and returns the app's end of the channel in *out_app_fd.
// Returns 0 or an errno: ENODEV (no such GPIO), EINVAL (bad mode or value), EBUSY (already open),
// EMFILE/ENFILE (no descriptors). The caller checks the manifest first.
int sim_board_gpio_open(struct sim_board *board, int id, bool as_output, int output_mode,
                        int initial_value, int *out_app_fd);

// The OS end of the channel open in slot, or -1 when nothing is open there (or slot is out of
// range).
int sim_board_channel_fd(const struct sim_board *board, int slot);

// Serves one request waiting on the channel in slot. Returns false when the app has closed the
// channel (the peripheral is then released), true otherwise.
bool sim_board_channel_serve(struct sim_board *board, int slot);

// The I2C interface with this id, or NULL when the board has none.
struct sim_i2c_bus *sim_board_i2c(struct sim_board *board, int id);

// The I2C target the temperature sensor answers as (its wiring, for link faults).
struct sim_i2c_target *sim_board_temperature_target(struct sim_board *board);

// The level on a pin: the driven level for outputs, the external one otherwise.
// Returns 0 or ENODEV.
int sim_board_gpio_level(const struct sim_board *board, int id, uint8_t *out_level);

// Presses (true) or releases (false) button 'A' or 'B'. Returns 0 or ENODEV.
int sim_board_button(struct sim_board *board, char button, bool pressed);

// Releases every open channel: the app died, so its descriptors are gone.
void sim_board_release_all(struct sim_board *board);

// A reset (reboot or power cycle): channels released and every peripheral back to its power-on
// state. What the outside world does (a pressed button, the temperature, the potentiometer, a
// fault) stays.
void sim_board_reset(struct sim_board *board);
