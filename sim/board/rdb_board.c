// SPDX-License-Identifier: MIT
// GPIO models of the MT3620 RDB; see rdb_board.h. Pin identities come from the hardware
// definition files (mt3620_rdb.json importing mt3620.json), so the board and the manifest
// resolver agree on every id and name.
#include "board/rdb_board.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devbus.h"
#include "os/hwdef.h"

static const char rdb_prefix[] = "MT3620_RDB_";
static const char chip_prefix[] = "MT3620_GPIO";

static void power_on_state(struct sim_gpio_pin *pin) {
    pin->direction = SIM_GPIO_UNCONFIGURED;
    pin->output_mode = 0;
    // LEDs are wired to 3.3 V through the LED and buttons have pull-ups: both idle high.
    pin->driven = 1;
    pin->external = 1;
}

enum sim_board_result sim_board_init(struct sim_board *board, const char *board_name, char *err,
                                     size_t err_size) {
    memset(board, 0, sizeof(*board));
    if (strcmp(board_name, "mt3620_rdb") != 0) {
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
    if (sim_hwdef_load(SPHERESIM_HARDWARE_DIR "/mt3620_rdb.json", hw, hw_err, sizeof(hw_err)) !=
        SIM_HWDEF_OK) {
        snprintf(err, err_size, "%s", hw_err);
        result = SIM_BOARD_ERR_DEFINITION;
        goto out;
    }
    for (size_t i = 0; i < hw->count; i++) {
        const struct sim_hwdef_entry *e = &hw->entries[i];
        if (strcmp(e->type, "Gpio") != 0 || !e->is_integer || e->int_value < 0 ||
            e->int_value >= SIM_BOARD_MAX_GPIO) {
            continue;
        }
        struct sim_gpio_pin *pin = &board->pins[e->int_value];
        if (strncmp(e->name, chip_prefix, sizeof(chip_prefix) - 1) == 0) {
            pin->exists = true;
        } else if (strncmp(e->name, rdb_prefix, sizeof(rdb_prefix) - 1) == 0 &&
                   pin->name[0] == '\0') {
            snprintf(pin->name, sizeof(pin->name), "%s", e->name + sizeof(rdb_prefix) - 1);
            pin->is_led = strstr(pin->name, "LED") != NULL;
            pin->is_button = strncmp(pin->name, "BUTTON_", 7) == 0;
        }
    }
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        board->pins[id].channel_fd = -1;
        power_on_state(&board->pins[id]);
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

static void release(struct sim_gpio_pin *pin) {
    if (pin->channel_fd >= 0) {
        close(pin->channel_fd);
        pin->channel_fd = -1;
    }
}

static bool peer_has_closed(int fd) {
    struct pollfd pfd = {.fd = fd, .events = POLLRDHUP};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
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
    if (pin->channel_fd >= 0 && peer_has_closed(pin->channel_fd)) {
        // The app closed its descriptor just before asking again; the hang-up may not have been
        // served yet, but the GPIO is free.
        release(pin);
    }
    if (pin->channel_fd >= 0) {
        return EBUSY;
    }
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        return errno;
    }
    pin->channel_fd = ends[0];
    pin->direction = as_output ? SIM_GPIO_OUTPUT : SIM_GPIO_INPUT;
    if (as_output) {
        pin->output_mode = (uint8_t)output_mode;
        pin->driven = (uint8_t)initial_value;
    }
    *out_app_fd = ends[1];
    return 0;
}

static uint8_t level_of(const struct sim_gpio_pin *pin) {
    return pin->direction == SIM_GPIO_OUTPUT ? pin->driven : pin->external;
}

bool sim_board_gpio_serve(struct sim_board *board, int id) {
    struct sim_gpio_pin *pin = pin_at(board, id);
    if (pin == NULL || pin->channel_fd < 0) {
        return false;
    }
    struct devbus_gpio_msg msg;
    ssize_t n = recv(pin->channel_fd, &msg, sizeof(msg), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
        release(pin);
        return false;
    }
    if (n < 0) {
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
    if (send(pin->channel_fd, &reply, sizeof(reply), MSG_NOSIGNAL | MSG_DONTWAIT) !=
        (ssize_t)sizeof(reply)) {
        release(pin);
        return false;
    }
    return true;
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
        release(&board->pins[id]);
    }
}

void sim_board_reset(struct sim_board *board) {
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        release(&board->pins[id]);
        bool pressed = board->pins[id].is_button && board->pins[id].external == 0;
        power_on_state(&board->pins[id]);
        // A finger on a button stays there across a reset.
        if (pressed) {
            board->pins[id].external = 0;
        }
    }
}
