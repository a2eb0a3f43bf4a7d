// SPDX-License-Identifier: MIT
// Control requests; see ctl_commands.h. Every field of a request is checked and a bad one is
// answered with an error naming it, never acted on half-way: parsing is done in full, without the
// device, before anything is executed (which also lets the parser be fuzzed on its own).
#include "os/ctl_commands.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "os/supervisor.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define GPIO_ID_ERROR "gpio: \"id\" must be the number of a GPIO this board has"

static const char *const button_actions[] = {
    [SIM_CTL_PRESS] = "press", [SIM_CTL_RELEASE] = "release", [SIM_CTL_CLICK] = "click"};

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
    cJSON_AddBoolToObject(root, "certificate_valid", d->cert_ready);
    // What the app's Application_IsDeviceAuthReady would answer right now.
    bool auth_ready = d->manifest.caps.device_authentication[0] != '\0' && d->cert_ready &&
                      sim_device_networking_ready(d);
    cJSON_AddBoolToObject(root, "device_auth_ready", auth_ready);
    add_gpio_status(root, &d->board);
}

// The position of s in names, or count when it is not there.
static size_t index_of(const char *s, const char *const *names, size_t count) {
    size_t i = 0;
    while (i < count && strcmp(s, names[i]) != 0) {
        i++;
    }
    return i;
}

static const char *parse_fields(const cJSON *request, struct sim_ctl_request *out) {
    static const char *const commands[] = {
        [SIM_CTL_STATUS] = "status",     [SIM_CTL_BUTTON] = "button",
        [SIM_CTL_GPIO] = "gpio",         [SIM_CTL_NET] = "net",
        [SIM_CTL_REBOOT] = "reboot",     [SIM_CTL_POWER_OFF] = "power-off",
        [SIM_CTL_POWER_ON] = "power-on",
    };
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(request, "cmd");
    if (!cJSON_IsString(cmd)) {
        return "request: \"cmd\" must be a string";
    }
    size_t which = index_of(cmd->valuestring, commands, COUNT_OF(commands));
    if (which == COUNT_OF(commands)) {
        return "request: unknown \"cmd\" (expected status, button, gpio, net, reboot, power-off "
               "or power-on)";
    }
    out->cmd = (enum sim_ctl_cmd)which;
    if (out->cmd == SIM_CTL_BUTTON) {
        const cJSON *button = cJSON_GetObjectItemCaseSensitive(request, "button");
        const cJSON *action = cJSON_GetObjectItemCaseSensitive(request, "action");
        if (!cJSON_IsString(button) ||
            (strcmp(button->valuestring, "A") != 0 && strcmp(button->valuestring, "B") != 0)) {
            return "button: expected A or B";
        }
        out->button = button->valuestring[0];
        size_t a = cJSON_IsString(action)
                       ? index_of(action->valuestring, button_actions, COUNT_OF(button_actions))
                       : COUNT_OF(button_actions);
        if (a == COUNT_OF(button_actions)) {
            return "button: \"action\" must be press, release or click";
        }
        out->action = (enum sim_ctl_button_action)a;
    } else if (out->cmd == SIM_CTL_GPIO) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(request, "id");
        if (!cJSON_IsNumber(id) || id->valuedouble != (double)id->valueint) {
            return GPIO_ID_ERROR;
        }
        out->gpio_id = id->valueint;
    } else if (out->cmd == SIM_CTL_NET) {
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(request, "state");
        if (!cJSON_IsString(state) ||
            (strcmp(state->valuestring, "up") != 0 && strcmp(state->valuestring, "down") != 0)) {
            return "net: \"state\" must be up or down";
        }
        out->link_up = strcmp(state->valuestring, "up") == 0;
    }
    return NULL;
}

int sim_ctl_parse(const char *line, struct sim_ctl_request *out_request, const char **out_error) {
    memset(out_request, 0, sizeof(*out_request));
    cJSON *request = cJSON_Parse(line);
    *out_error =
        cJSON_IsObject(request) ? parse_fields(request, out_request) : "request: not a JSON object";
    cJSON_Delete(request);
    return *out_error == NULL ? 0 : -1;
}

static const char *execute(struct sim_supervisor *s, const struct sim_ctl_request *request,
                           cJSON *reply) {
    switch (request->cmd) {
        case SIM_CTL_STATUS:
            add_status(reply, s);
            break;
        case SIM_CTL_BUTTON:
            if (request->action == SIM_CTL_CLICK) {
                sim_supervisor_click(s, request->button);
            } else {
                sim_board_button(&s->device->board, request->button,
                                 request->action == SIM_CTL_PRESS);
            }
            sim_device_log_os(&s->device->log, "button %c %s", request->button,
                              button_actions[request->action]);
            break;
        case SIM_CTL_GPIO: {
            uint8_t level = 0;
            if (sim_board_gpio_level(&s->device->board, request->gpio_id, &level) != 0) {
                return GPIO_ID_ERROR;
            }
            const struct sim_gpio_pin *pin = &s->device->board.pins[request->gpio_id];
            cJSON_AddNumberToObject(reply, "id", request->gpio_id);
            cJSON_AddNumberToObject(reply, "level", level);
            cJSON_AddStringToObject(reply, "direction", direction_name(pin->direction));
            if (pin->name[0] != '\0') {
                cJSON_AddStringToObject(reply, "name", pin->name);
            }
            break;
        }
        case SIM_CTL_NET:
            sim_supervisor_set_link(s, request->link_up);
            break;
        case SIM_CTL_REBOOT:
            sim_supervisor_reboot(s);
            break;
        case SIM_CTL_POWER_OFF:
            sim_supervisor_power_off(s);
            break;
        case SIM_CTL_POWER_ON:
            sim_supervisor_power_on(s);
            break;
    }
    return NULL;
}

void sim_ctl_execute(struct sim_supervisor *s, const char *line, char *out, size_t out_size) {
    cJSON *reply = cJSON_CreateObject();
    struct sim_ctl_request request;
    const char *error = NULL;
    if (sim_ctl_parse(line, &request, &error) == 0) {
        error = execute(s, &request, reply);
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
}
