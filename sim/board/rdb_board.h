// SPDX-License-Identifier: MIT
// The MT3620 reference development board's GPIOs as the app sees them: every GPIO the chip has,
// the RDB's LEDs (active-low: driving the pin low lights the LED) and buttons A and B (pulled
// up: pressed reads low). An opened GPIO is a channel whose other end the app holds; the board
// answers GPIO_GetValue/GPIO_SetValue requests on it.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_BOARD_MAX_GPIO 128

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

// Serves one request waiting on a GPIO's channel. Returns false when the app has closed the
// channel (the GPIO is then released), true otherwise.
bool sim_board_gpio_serve(struct sim_board *board, int id);

// The level on a pin: the driven level for outputs, the external one otherwise.
// Returns 0 or ENODEV.
int sim_board_gpio_level(const struct sim_board *board, int id, uint8_t *out_level);

// Presses (true) or releases (false) button 'A' or 'B'. Returns 0 or ENODEV.
int sim_board_button(struct sim_board *board, char button, bool pressed);

// Releases every open channel: the app died, so its descriptors are gone.
void sim_board_release_all(struct sim_board *board);

// A reset (reboot or power cycle): channels released and every pin back to its power-on state.
void sim_board_reset(struct sim_board *board);
