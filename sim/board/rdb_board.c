// SPDX-License-Identifier: MIT
// The MT3620 RDB; see rdb_board.h. Peripheral identities come from the hardware definition
// files (sample_appliance.json importing mt3620_rdb.json importing mt3620.json), so the board and
// the manifest resolver agree on every id and name, and the sensors sit where the sample
// hardware definition says they are wired.
#include "board/rdb_board.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/channel.h"
#include "devbus.h"
#include "os/hwdef.h"

static const char rdb_prefix[] = "MT3620_RDB_";
static const char chip_gpio_prefix[] = "MT3620_GPIO";
static const char chip_i2c_prefix[] = "MT3620_ISU";
static const char chip_adc_prefix[] = "MT3620_ADC_CONTROLLER";
static const char sensor_i2c_name[] = "SAMPLE_LSM6DS3_I2C";
static const char potentiometer_channel_name[] = "SAMPLE_POTENTIOMETER_ADC_CHANNEL";

static void power_on_state(struct sim_gpio_pin *pin) {
    pin->direction = SIM_GPIO_UNCONFIGURED;
    pin->output_mode = 0;
    // LEDs are wired to 3.3 V through the LED and buttons have pull-ups: both idle high.
    pin->driven = 1;
    pin->external = 1;
}

static bool has_prefix(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

// The number an app passes to the API for a definition entry: its header value, "(2)" → 2.
static bool api_id_of(const struct sim_hwdef_entry *e, int *out_id) {
    char *end = NULL;
    long id = e->header_value[0] == '(' ? strtol(e->header_value + 1, &end, 10) : -1;
    if (end == NULL || *end != ')' || id < 0 || id > 1000) {
        return false;
    }
    *out_id = (int)id;
    return true;
}

static void add_gpio_entry(struct sim_board *board, const struct sim_hwdef_entry *e) {
    if (!e->is_integer || e->int_value < 0 || e->int_value >= SIM_BOARD_MAX_GPIO) {
        return;
    }
    struct sim_gpio_pin *pin = &board->pins[e->int_value];
    if (has_prefix(e->name, chip_gpio_prefix)) {
        pin->exists = true;
    } else if (has_prefix(e->name, rdb_prefix) && pin->name[0] == '\0') {
        snprintf(pin->name, sizeof(pin->name), "%s", e->name + sizeof(rdb_prefix) - 1);
        pin->is_led = strstr(pin->name, "LED") != NULL;
        pin->is_button = has_prefix(pin->name, "BUTTON_");
    }
}

// The chip's own entries (not the board's aliases) say which interfaces exist.
static void add_peripheral_entry(struct sim_board *board, const struct sim_hwdef_entry *e) {
    int id;
    if (!api_id_of(e, &id)) {
        return;
    }
    if (strcmp(e->type, "I2cMaster") == 0 && has_prefix(e->name, chip_i2c_prefix) &&
        id < SIM_I2C_MAX_ISU) {
        sim_i2c_bus_init(&board->i2c[id], e->value);
    } else if (strcmp(e->type, "Adc") == 0 && has_prefix(e->name, chip_adc_prefix) && id == 0) {
        sim_adc_init(&board->adc, e->value);
    }
}

// Wires the sample hardware's sensors where its definition says. Returns 0, or -1 with err set.
static int wire_sensors(struct sim_board *board, const struct sim_hwdef *hw, char *err,
                        size_t err_size) {
    const struct sim_hwdef_entry *bus = sim_hwdef_find(hw, sensor_i2c_name);
    const struct sim_hwdef_entry *channel = sim_hwdef_find(hw, potentiometer_channel_name);
    int isu = -1;
    int adc_channel = -1;
    if (bus == NULL || !api_id_of(bus, &isu) || isu >= SIM_I2C_MAX_ISU || !board->i2c[isu].exists) {
        snprintf(err, err_size, "the hardware definition maps %s to no I2C interface",
                 sensor_i2c_name);
        return -1;
    }
    if (channel == NULL || !api_id_of(channel, &adc_channel) || adc_channel >= SIM_ADC_CHANNELS ||
        !board->adc.exists) {
        snprintf(err, err_size, "the hardware definition maps %s to no ADC channel",
                 potentiometer_channel_name);
        return -1;
    }
    sim_lsm6ds3_init(&board->temperature_sensor);
    board->temperature_sensor_isu = isu;
    board->potentiometer_channel = (uint32_t)adc_channel;
    int rc = sim_i2c_bus_attach(&board->i2c[isu], SIM_LSM6DS3_ADDRESS, &board->temperature_sensor,
                                sim_lsm6ds3_transfer);
    if (rc != 0) {
        snprintf(err, err_size, "cannot wire the LSM6DS3 to %s: %s", board->i2c[isu].manifest_name,
                 strerror(rc));
        return -1;
    }
    return 0;
}

enum sim_board_result sim_board_init(struct sim_board *board, const char *board_name, char *err,
                                     size_t err_size) {
    memset(board, 0, sizeof(*board));
    // Before anything can fail: a board that failed to build is still released safely.
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        board->pins[id].channel_fd = -1;
        power_on_state(&board->pins[id]);
    }
    for (int id = 0; id < SIM_I2C_MAX_ISU; id++) {
        board->i2c[id].channel_fd = -1;
    }
    board->adc.channel_fd = -1;
    const char *definition = sim_hwdef_default_for_board(board_name);
    if (definition == NULL) {
        snprintf(err, err_size, "unknown board '%s' (known: mt3620_rdb)", board_name);
        return SIM_BOARD_ERR_UNKNOWN;
    }
    struct sim_hwdef *hw = calloc(1, sizeof(*hw));
    if (hw == NULL) {
        snprintf(err, err_size, "out of memory loading the %s definition", board_name);
        return SIM_BOARD_ERR_DEFINITION;
    }
    enum sim_board_result result = SIM_BOARD_OK;
    char hw_err[512];
    if (sim_hwdef_load(definition, hw, hw_err, sizeof(hw_err)) != SIM_HWDEF_OK) {
        snprintf(err, err_size, "%s", hw_err);
        result = SIM_BOARD_ERR_DEFINITION;
        goto out;
    }
    for (size_t i = 0; i < hw->count; i++) {
        const struct sim_hwdef_entry *e = &hw->entries[i];
        if (strcmp(e->type, "Gpio") == 0) {
            add_gpio_entry(board, e);
        } else {
            add_peripheral_entry(board, e);
        }
    }
    if (wire_sensors(board, hw, err, err_size) != 0) {
        result = SIM_BOARD_ERR_DEFINITION;
    }
out:
    free(hw);
    return result;
}

static struct sim_gpio_pin *pin_at(struct sim_board *board, int id) {
    if (id < 0 || id >= SIM_BOARD_MAX_GPIO || !board->pins[id].exists) {
        return NULL;
    }
    return &board->pins[id];
}

int sim_board_gpio_open(struct sim_board *board, int id, bool as_output, int output_mode,
                        int initial_value, int *out_app_fd) {
    *out_app_fd = -1;
    struct sim_gpio_pin *pin = pin_at(board, id);
    if (pin == NULL) {
        return ENODEV;
    }
    if (as_output &&
        (output_mode < 0 || output_mode > 2 || initial_value < 0 || initial_value > 1)) {
        return EINVAL;
    }
    if (pin->channel_fd >= 0 && sim_channel_peer_closed(pin->channel_fd)) {
        // The app closed its descriptor just before asking again; the hang-up may not have been
        // served yet, but the GPIO is free.
        sim_channel_close(&pin->channel_fd);
    }
    if (pin->channel_fd >= 0) {
        return EBUSY;
    }
    int err = sim_channel_create(&pin->channel_fd, out_app_fd);
    if (err != 0) {
        return err;
    }
    pin->direction = as_output ? SIM_GPIO_OUTPUT : SIM_GPIO_INPUT;
    if (as_output) {
        pin->output_mode = (uint8_t)output_mode;
        pin->driven = (uint8_t)initial_value;
    }
    return 0;
}

static uint8_t level_of(const struct sim_gpio_pin *pin) {
    return pin->direction == SIM_GPIO_OUTPUT ? pin->driven : pin->external;
}

static bool gpio_serve(struct sim_gpio_pin *pin) {
    if (pin->channel_fd < 0) {
        return false;
    }
    struct devbus_gpio_msg msg;
    ssize_t n = sim_channel_receive(pin->channel_fd, &msg, sizeof(msg));
    if (n < 0) {
        sim_channel_close(&pin->channel_fd);
        return false;
    }
    if (n == 0) {
        return true;
    }
    struct devbus_gpio_msg reply = {.op = msg.op};
    if (n != (ssize_t)sizeof(msg)) {
        reply.err = EINVAL;
    } else if (msg.op == DEVBUS_GPIO_GET) {
        reply.value = level_of(pin);
    } else if (msg.op == DEVBUS_GPIO_SET) {
        if (msg.value > 1) {
            reply.err = EINVAL;
        } else if (pin->direction == SIM_GPIO_OUTPUT) {
            // On an input, setting a value is documented to have no effect.
            pin->driven = msg.value;
        }
    } else {
        reply.err = EINVAL;
    }
    if (sim_channel_reply(pin->channel_fd, &reply, sizeof(reply)) != 0) {
        sim_channel_close(&pin->channel_fd);
        return false;
    }
    return true;
}

int sim_board_channel_fd(const struct sim_board *board, int slot) {
    if (slot >= 0 && slot < SIM_BOARD_MAX_GPIO) {
        return board->pins[slot].channel_fd;
    }
    if (slot >= SIM_BOARD_SLOT_I2C0 && slot < SIM_BOARD_SLOT_ADC) {
        return board->i2c[slot - SIM_BOARD_SLOT_I2C0].channel_fd;
    }
    return slot == SIM_BOARD_SLOT_ADC ? board->adc.channel_fd : -1;
}

bool sim_board_channel_serve(struct sim_board *board, int slot) {
    if (slot >= 0 && slot < SIM_BOARD_MAX_GPIO) {
        return gpio_serve(&board->pins[slot]);
    }
    if (slot >= SIM_BOARD_SLOT_I2C0 && slot < SIM_BOARD_SLOT_ADC) {
        return sim_i2c_bus_serve(&board->i2c[slot - SIM_BOARD_SLOT_I2C0]);
    }
    return slot == SIM_BOARD_SLOT_ADC && sim_adc_serve(&board->adc);
}

struct sim_i2c_bus *sim_board_i2c(struct sim_board *board, int id) {
    if (id < 0 || id >= SIM_I2C_MAX_ISU || !board->i2c[id].exists) {
        return NULL;
    }
    return &board->i2c[id];
}

struct sim_i2c_target *sim_board_temperature_target(struct sim_board *board) {
    return sim_i2c_bus_target(&board->i2c[board->temperature_sensor_isu], SIM_LSM6DS3_ADDRESS);
}

int sim_board_gpio_level(const struct sim_board *board, int id, uint8_t *out_level) {
    if (id < 0 || id >= SIM_BOARD_MAX_GPIO || !board->pins[id].exists) {
        return ENODEV;
    }
    *out_level = level_of(&board->pins[id]);
    return 0;
}

int sim_board_button(struct sim_board *board, char button, bool pressed) {
    char name[16];
    snprintf(name, sizeof(name), "BUTTON_%c", button);
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        struct sim_gpio_pin *pin = &board->pins[id];
        if (pin->exists && pin->is_button && strcmp(pin->name, name) == 0) {
            pin->external = pressed ? 0 : 1;
            return 0;
        }
    }
    return ENODEV;
}

void sim_board_release_all(struct sim_board *board) {
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        sim_channel_close(&board->pins[id].channel_fd);
    }
    for (int id = 0; id < SIM_I2C_MAX_ISU; id++) {
        sim_i2c_bus_release(&board->i2c[id]);
    }
    sim_adc_release(&board->adc);
}

void sim_board_reset(struct sim_board *board) {
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        sim_channel_close(&board->pins[id].channel_fd);
        bool pressed = board->pins[id].is_button && board->pins[id].external == 0;
        power_on_state(&board->pins[id]);
        // A finger on a button stays there across a reset.
        if (pressed) {
            board->pins[id].external = 0;
        }
    }
    for (int id = 0; id < SIM_I2C_MAX_ISU; id++) {
        if (board->i2c[id].exists) {
            sim_i2c_bus_reset(&board->i2c[id]);
        }
    }
    if (board->adc.exists) {
        sim_adc_reset(&board->adc);
    }
    sim_lsm6ds3_power_on(&board->temperature_sensor);
}
