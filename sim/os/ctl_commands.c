// SPDX-License-Identifier: MIT
// Control requests; see ctl_commands.h. Every field of a request is checked and a bad one is
// answered with an error naming it, never acted on half-way.
#include "os/ctl_commands.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "os/supervisor.h"

static const char *state_name(enum sim_app_state state) {
    switch (state) {
        case SIM_APP_RUNNING:
            return "running";
        case SIM_APP_STOPPING:
            return "stopping";
        case SIM_APP_WAITING:
            return "waiting-to-restart";
        case SIM_APP_POWERED_OFF:
            return "powered-off";
        case SIM_APP_FINISHED:
            return "finished";
        default:
            return "idle";
    }
}

static const char *direction_name(enum sim_gpio_direction direction) {
    switch (direction) {
        case SIM_GPIO_INPUT:
            return "input";
        case SIM_GPIO_OUTPUT:
            return "output";
        default:
            return "unconfigured";
    }
}

static void add_gpio_status(cJSON *root, const struct sim_board *board) {
    cJSON *gpios = cJSON_AddArrayToObject(root, "gpio");
    cJSON *leds = cJSON_AddObjectToObject(root, "leds");
    cJSON *buttons = cJSON_AddObjectToObject(root, "buttons");
    for (int id = 0; id < SIM_BOARD_MAX_GPIO; id++) {
        const struct sim_gpio_pin *pin = &board->pins[id];
        if (!pin->exists) {
            continue;
        }
        uint8_t level = 0;
        sim_board_gpio_level(board, id, &level);
        cJSON *item = cJSON_CreateObject();
        cJSON_AddNumberToObject(item, "id", id);
        if (pin->name[0] != '\0') {
            cJSON_AddStringToObject(item, "name", pin->name);
        }
        cJSON_AddStringToObject(item, "direction", direction_name(pin->direction));
        cJSON_AddNumberToObject(item, "level", level);
        cJSON_AddBoolToObject(item, "open", pin->channel_fd >= 0);
        cJSON_AddItemToArray(gpios, item);
        if (pin->is_led) {
            // Active-low: an LED is lit only while its pin is driven low as an output.
            bool lit = pin->direction == SIM_GPIO_OUTPUT && pin->driven == 0;
            cJSON_AddStringToObject(leds, pin->name, lit ? "on" : "off");
        } else if (pin->is_button) {
            cJSON_AddStringToObject(buttons, pin->name,
                                    pin->external == 0 ? "pressed" : "released");
        }
    }
}

static void add_status(cJSON *root, const struct sim_supervisor *s) {
    const struct sim_device *d = s->device;
    char stamp[40];
    sim_clock_format(sim_clock_now_ms(&d->clock), stamp, sizeof(stamp));
    cJSON_AddStringToObject(root, "device_id", d->device_id);
    cJSON_AddStringToObject(root, "device_time", stamp);
    cJSON_AddNumberToObject(root, "uptime_ms", (double)sim_clock_uptime_ms(&d->clock));
    cJSON_AddStringToObject(root, "power", s->state == SIM_APP_POWERED_OFF ? "off" : "on");
    cJSON *app = cJSON_AddObjectToObject(root, "app");
    cJSON_AddStringToObject(app, "name", d->manifest.name);
    cJSON_AddStringToObject(app, "component_id", d->manifest.component_id);
    cJSON_AddStringToObject(app, "state", state_name(s->state));
    if (s->state == SIM_APP_RUNNING || s->state == SIM_APP_STOPPING) {
        cJSON_AddNumberToObject(app, "pid", s->app.pid);
    } else {
        cJSON_AddNullToObject(app, "pid");
    }
    cJSON_AddNumberToObject(app, "restarts", s->restarts);
    if (s->last_exit.valid) {
        cJSON *last = cJSON_AddObjectToObject(app, "last_exit");
        if (s->last_exit.signaled) {
            cJSON_AddNumberToObject(last, "signal", s->last_exit.code);
        } else {
            cJSON_AddNumberToObject(last, "exit_code", s->last_exit.code);
        }
        cJSON_AddStringToObject(last, "reason", s->last_exit.reason);
    }
    cJSON *net = cJSON_AddObjectToObject(root, "network");
    cJSON_AddBoolToObject(net, "link_up", d->network.link_up);
    cJSON_AddBoolToObject(net, "interface_enabled", d->network.interface_enabled);
    cJSON_AddBoolToObject(net, "time_synced", d->network.time_synced);
    cJSON_AddBoolToObject(net, "ready", sim_device_networking_ready(d));
    cJSON_AddBoolToObject(root, "device_auth_ready", d->cert_ready);
    add_gpio_status(root, &d->board);
}

static const char *execute(struct sim_supervisor *s, const cJSON *request, cJSON *reply) {
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(request, "cmd");
    if (!cJSON_IsString(cmd)) {
        return "request: \"cmd\" must be a string";
    }
    const char *name = cmd->valuestring;
    if (strcmp(name, "status") == 0) {
        add_status(reply, s);
        return NULL;
    }
    if (strcmp(name, "button") == 0) {
        const cJSON *button = cJSON_GetObjectItemCaseSensitive(request, "button");
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(request, "action");
        if (!cJSON_IsString(button) ||
            (strcmp(button->valuestring, "A") != 0 && strcmp(button->valuestring, "B") != 0)) {
            return "button: expected A or B";
        }
        if (!cJSON_IsString(action)) {
            return "button: \"action\" must be press, release or click";
        }
        char which = button->valuestring[0];
        if (strcmp(action->valuestring, "press") == 0) {
            sim_board_button(&s->device->board, which, true);
        } else if (strcmp(action->valuestring, "release") == 0) {
            sim_board_button(&s->device->board, which, false);
        } else if (strcmp(action->valuestring, "click") == 0) {
            sim_supervisor_click(s, which);
        } else {
            return "button: \"action\" must be press, release or click";
        }
        sim_device_log_os(&s->device->log, "button %c %s", which, action->valuestring);
        return NULL;
    }
    if (strcmp(name, "gpio") == 0) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(request, "id");
        uint8_t level = 0;
        if (!cJSON_IsNumber(id) || id->valuedouble != (double)id->valueint ||
            sim_board_gpio_level(&s->device->board, id->valueint, &level) != 0) {
            return "gpio: \"id\" must be the number of a GPIO this board has";
        }
        const struct sim_gpio_pin *pin = &s->device->board.pins[id->valueint];
        cJSON_AddNumberToObject(reply, "id", id->valueint);
        cJSON_AddNumberToObject(reply, "level", level);
        cJSON_AddStringToObject(reply, "direction", direction_name(pin->direction));
        if (pin->name[0] != '\0') {
            cJSON_AddStringToObject(reply, "name", pin->name);
        }
        return NULL;
    }
    if (strcmp(name, "net") == 0) {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(request, "state");
        if (!cJSON_IsString(state) ||
            (strcmp(state->valuestring, "up") != 0 && strcmp(state->valuestring, "down") != 0)) {
            return "net: \"state\" must be up or down";
        }
        sim_supervisor_set_link(s, strcmp(state->valuestring, "up") == 0);
        return NULL;
    }
    if (strcmp(name, "reboot") == 0) {
        sim_supervisor_reboot(s);
        return NULL;
    }
    if (strcmp(name, "power-off") == 0) {
        sim_supervisor_power_off(s);
        return NULL;
    }
    if (strcmp(name, "power-on") == 0) {
        sim_supervisor_power_on(s);
        return NULL;
    }
    return "request: unknown \"cmd\" (expected status, button, gpio, net, reboot, power-off or "
           "power-on)";
}

void sim_ctl_execute(struct sim_supervisor *s, const char *line, char *out, size_t out_size) {
    cJSON *reply = cJSON_CreateObject();
    cJSON *request = cJSON_Parse(line);
    const char *error = NULL;
    if (!cJSON_IsObject(request)) {
        error = "request: not a JSON object";
    } else {
        error = execute(s, request, reply);
    }
    if (error != NULL) {
        cJSON_Delete(reply);
        reply = cJSON_CreateObject();
        cJSON_AddBoolToObject(reply, "ok", false);
        cJSON_AddStringToObject(reply, "error", error);
    } else {
        cJSON_AddBoolToObject(reply, "ok", true);
    }
    if (!cJSON_PrintPreallocated(reply, out, (int)out_size, false)) {
        snprintf(out, out_size, "{\"ok\":false,\"error\":\"reply too large\"}");
    }
    cJSON_Delete(reply);
    cJSON_Delete(request);
}
