// SPDX-License-Identifier: MIT
// Control requests; see ctl_commands.h. Every field of a request is checked and a bad one is
// answered with an error naming it, never acted on half-way: parsing is done in full, without the
// device, before anything is executed (which also lets the parser be fuzzed on its own).
#include "os/ctl_commands.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "os/ctl_cert.h"
#include "os/ctl_clock.h"
#include "os/ctl_faults.h"
#include "os/ctl_power_cut.h"
#include "os/device_proxy.h"
#include "os/format_text.h"
#include "os/supervisor.h"
#include "os/update_agent.h"

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))
#define GPIO_ID_ERROR "gpio: \"id\" must be the number of a GPIO this board has"

// Seeds up to 2^53: every one survives the trip through a JSON number exactly.
#define MAX_SEED 9007199254740992.0

static const char *const button_actions[] = {
    [SIM_CTL_PRESS] = "press", [SIM_CTL_RELEASE] = "release", [SIM_CTL_CLICK] = "click"};

// KEEP's "" never matches: a request names the wiring it wants.
static const char *const wiring_names[] = {[SIM_CTL_WIRING_KEEP] = "",
                                           [SIM_CTL_WIRING_CONNECTED] = "connected",
                                           [SIM_CTL_WIRING_DISCONNECTED] = "disconnected",
                                           [SIM_CTL_WIRING_HUNG] = "hung"};

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

static const char *link_name(enum sim_i2c_link link) {
    switch (link) {
        case SIM_I2C_LINK_DISCONNECTED:
            return wiring_names[SIM_CTL_WIRING_DISCONNECTED];
        case SIM_I2C_LINK_HUNG:
            return wiring_names[SIM_CTL_WIRING_HUNG];
        default:
            return wiring_names[SIM_CTL_WIRING_CONNECTED];
    }
}

// The sensors as the outside world sets them and as the app would read them now.
static void add_sensor_status(cJSON *root, struct sim_board *board) {
    const struct sim_lsm6ds3 *sensor = &board->temperature_sensor;
    const struct sim_adc *adc = &board->adc;
    const struct sim_i2c_target *target = sim_board_temperature_target(board);
    cJSON *sensors = cJSON_AddObjectToObject(root, "sensors");
    cJSON_AddNumberToObject(sensors, "temperature_c", sensor->temperature_c);
    cJSON_AddNumberToObject(sensors, "temperature_reading_c", sim_lsm6ds3_reading_c(sensor));
    cJSON_AddNumberToObject(sensors, "potentiometer_v", adc->input_v[board->potentiometer_channel]);
    cJSON_AddNumberToObject(sensors, "adc_reference_v", adc->reference_v);
    cJSON *inputs = cJSON_AddArrayToObject(sensors, "adc_inputs_v");
    for (size_t i = 0; i < SIM_ADC_CHANNELS; i++) {
        cJSON_AddItemToArray(inputs, cJSON_CreateNumber(adc->input_v[i]));
    }
    cJSON *faults = cJSON_AddObjectToObject(sensors, "faults");
    cJSON_AddBoolToObject(faults, "temperature_stuck", sensor->stuck);
    cJSON_AddNumberToObject(faults, "temperature_noise_sigma_c", sensor->noise.sigma);
    cJSON_AddNumberToObject(faults, "potentiometer_noise_sigma_v",
                            adc->noise[board->potentiometer_channel].sigma);
    cJSON_AddStringToObject(faults, "temperature_link",
                            link_name(target != NULL ? target->link : SIM_I2C_LINK_CONNECTED));
}

// The running app's heap as its allocator reports it on the stats page (null when no app runs,
// or in an AddressSanitizer build, where hal_stub does not count), and the budget it runs under.
static void add_memory_status(cJSON *app, const struct sim_supervisor *s) {
    struct sim_app_stats_snapshot stats;
    bool running = s->state == SIM_APP_RUNNING || s->state == SIM_APP_STOPPING;
    if (running && sim_app_stats_read(&s->app.stats, &stats) && stats.heap_peak_bytes != 0) {
        cJSON_AddNumberToObject(app, "heap_in_use_bytes", (double)stats.heap_in_use_bytes);
        cJSON_AddNumberToObject(app, "heap_peak_bytes", (double)stats.heap_peak_bytes);
    } else {
        cJSON_AddNullToObject(app, "heap_in_use_bytes");
        cJSON_AddNullToObject(app, "heap_peak_bytes");
    }
    uint64_t budget = s->device->faults.memory_budget_bytes;
    if (budget != 0) {
        cJSON_AddNumberToObject(app, "memory_budget_bytes", (double)budget);
    } else {
        cJSON_AddNullToObject(app, "memory_budget_bytes");
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
    add_memory_status(app, s);
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
    sim_ctl_clock_add_status(cJSON_AddObjectToObject(root, "clock"), d);
    sim_ctl_faults_add_status(cJSON_AddObjectToObject(root, "faults"), d);
    cJSON_AddBoolToObject(root, "certificate_valid", d->cert_ready);
    // What the app's Application_IsDeviceAuthReady would answer right now.
    bool auth_ready = d->manifest.caps.device_authentication[0] != '\0' && d->cert_ready &&
                      sim_device_networking_ready(d);
    cJSON_AddBoolToObject(root, "device_auth_ready", auth_ready);
    sim_update_agent_add_status(d->update, cJSON_AddObjectToObject(root, "update"));
    add_gpio_status(root, &d->board);
    add_sensor_status(root, &s->device->board);
}

// The position of s in names, or count when it is not there.
static size_t index_of(const char *s, const char *const *names, size_t count) {
    size_t i = 0;
    while (i < count && strcmp(s, names[i]) != 0) {
        i++;
    }
    return i;
}

// A finite JSON number (cJSON turns an overflowing literal such as 1e999 into infinity).
static bool is_finite_number(const cJSON *item) {
    return cJSON_IsNumber(item) && isfinite(item->valuedouble);
}

// "noise" (a standard deviation in unit) and its optional "seed"; what names the request in
// errors. The text is built once per distinct (what, unit) pair in a static buffer.
static const char *parse_noise(const cJSON *request, const char *what, const char *unit,
                               struct sim_ctl_noise *out) {
    static char error[128];
    const cJSON *noise = cJSON_GetObjectItemCaseSensitive(request, "noise");
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(request, "seed");
    if (noise != NULL) {
        if (!is_finite_number(noise) || noise->valuedouble < 0) {
            (void)sim_format(error, sizeof(error),
                             "%s: \"noise\" must be a standard deviation in %s, 0 or more", what,
                             unit);
            return error;
        }
        out->set = true;
        out->sigma = noise->valuedouble;
    }
    if (seed != NULL) {
        if (noise == NULL) {
            (void)sim_format(error, sizeof(error), "%s: \"seed\" only goes with \"noise\"", what);
            return error;
        }
        if (!cJSON_IsNumber(seed) || seed->valuedouble < 0 || seed->valuedouble > MAX_SEED ||
            seed->valuedouble != floor(seed->valuedouble)) {
            (void)sim_format(error, sizeof(error),
                             "%s: \"seed\" must be a whole number from 0 to 2^53", what);
            return error;
        }
        out->seed = (uint64_t)seed->valuedouble;
    }
    return NULL;
}

static const char *parse_sensor(const cJSON *request, struct sim_ctl_sensor_change *out) {
    const cJSON *sensor = cJSON_GetObjectItemCaseSensitive(request, "sensor");
    if (!cJSON_IsString(sensor) || strcmp(sensor->valuestring, "temperature") != 0) {
        return "sensor: \"sensor\" must be temperature";
    }
    const cJSON *celsius = cJSON_GetObjectItemCaseSensitive(request, "celsius");
    const cJSON *stuck = cJSON_GetObjectItemCaseSensitive(request, "stuck");
    const cJSON *link = cJSON_GetObjectItemCaseSensitive(request, "link");
    if (celsius != NULL) {
        if (!is_finite_number(celsius)) {
            return "sensor: \"celsius\" must be a number";
        }
        out->set_celsius = true;
        out->celsius = celsius->valuedouble;
    }
    if (stuck != NULL) {
        if (!cJSON_IsBool(stuck)) {
            return "sensor: \"stuck\" must be true or false";
        }
        out->stuck = cJSON_IsTrue(stuck) ? SIM_CTL_STUCK_ON : SIM_CTL_STUCK_OFF;
    }
    const char *error = parse_noise(request, "sensor", "°C", &out->noise);
    if (error != NULL) {
        return error;
    }
    if (link != NULL) {
        size_t w = cJSON_IsString(link)
                       ? index_of(link->valuestring, wiring_names, COUNT_OF(wiring_names))
                       : SIM_CTL_WIRING_KEEP;
        if (w == SIM_CTL_WIRING_KEEP || w == COUNT_OF(wiring_names)) {
            return "sensor: \"link\" must be connected, disconnected or hung";
        }
        out->wiring = (enum sim_ctl_wiring)w;
    }
    return NULL;
}

// An ADC input's "volts" and "noise" (with "seed"): either or both.
static const char *parse_adc_input(const cJSON *request, const char *what,
                                   struct sim_ctl_request *out) {
    static char error[128];
    const char *noise_error = parse_noise(request, what, "V", &out->adc_noise);
    if (noise_error != NULL) {
        return noise_error;
    }
    const cJSON *volts = cJSON_GetObjectItemCaseSensitive(request, "volts");
    if (volts == NULL && out->adc_noise.set) {
        return NULL;
    }
    if (!is_finite_number(volts)) {
        (void)sim_format(error, sizeof(error), "%s: \"volts\" must be a number", what);
        return error;
    }
    out->set_volts = true;
    out->volts = volts->valuedouble;
    return NULL;
}

static const char *parse_adc(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *channel = cJSON_GetObjectItemCaseSensitive(request, "channel");
    if (!cJSON_IsNumber(channel) || channel->valuedouble < 0 ||
        channel->valuedouble >= SIM_ADC_CHANNELS ||
        channel->valuedouble != floor(channel->valuedouble)) {
        return "adc: \"channel\" must be an ADC channel, 0 to 7";
    }
    out->adc_channel = (uint32_t)channel->valuedouble;
    return parse_adc_input(request, "adc", out);
}

static const char *parse_fields(const cJSON *request, struct sim_ctl_request *out) {
    static const char *const commands[] = {
        [SIM_CTL_STATUS] = "status",
        [SIM_CTL_BUTTON] = "button",
        [SIM_CTL_GPIO] = "gpio",
        [SIM_CTL_NET] = "net",
        [SIM_CTL_REBOOT] = "reboot",
        [SIM_CTL_POWER_OFF] = "power-off",
        [SIM_CTL_POWER_ON] = "power-on",
        [SIM_CTL_SENSOR] = "sensor",
        [SIM_CTL_ADC] = "adc",
        [SIM_CTL_POTENTIOMETER] = "potentiometer",
        [SIM_CTL_CLOCK] = "clock",
        [SIM_CTL_PROXY] = "proxy",
        [SIM_CTL_DNS] = "dns",
        [SIM_CTL_TIME_SYNC] = "time-sync",
        [SIM_CTL_STORAGE] = "storage",
        [SIM_CTL_MEMORY] = "memory",
        [SIM_CTL_POWER_CUT] = "power-cut",
        [SIM_CTL_CERT] = "cert",
    };
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(request, "cmd");
    if (!cJSON_IsString(cmd)) {
        return "request: \"cmd\" must be a string";
    }
    size_t which = index_of(cmd->valuestring, commands, COUNT_OF(commands));
    if (which == COUNT_OF(commands)) {
        return "request: unknown \"cmd\" (expected status, button, gpio, net, reboot, power-off, "
               "power-on, sensor, adc, potentiometer, clock, proxy, dns, time-sync, storage, "
               "memory, power-cut or cert)";
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
        const cJSON *mode = cJSON_GetObjectItemCaseSensitive(request, "mode");
        if (mode != NULL) {
            if (out->link_up || !cJSON_IsString(mode) ||
                (strcmp(mode->valuestring, "reset") != 0 &&
                 strcmp(mode->valuestring, "stall") != 0)) {
                return "net: \"mode\" goes with \"state\":\"down\" and must be reset or stall";
            }
            out->stall = strcmp(mode->valuestring, "stall") == 0;
        }
    } else if (out->cmd == SIM_CTL_PROXY) {
        const cJSON *command = cJSON_GetObjectItemCaseSensitive(request, "command");
        if (!cJSON_IsString(command) || command->valuestring[0] == '\0' ||
            strlen(command->valuestring) > SIM_CTL_PROXY_COMMAND_MAX ||
            strpbrk(command->valuestring, "\r\n") != NULL) {
            return "proxy: \"command\" must be one line of 1 to 512 characters";
        }
        snprintf(out->proxy_command, sizeof(out->proxy_command), "%s", command->valuestring);
    } else if (out->cmd == SIM_CTL_SENSOR) {
        return parse_sensor(request, &out->sensor);
    } else if (out->cmd == SIM_CTL_ADC) {
        return parse_adc(request, out);
    } else if (out->cmd == SIM_CTL_POTENTIOMETER) {
        return parse_adc_input(request, "potentiometer", out);
    } else if (out->cmd == SIM_CTL_CLOCK) {
        return sim_ctl_clock_parse(request, out);
    } else if (out->cmd == SIM_CTL_DNS || out->cmd == SIM_CTL_TIME_SYNC ||
               out->cmd == SIM_CTL_STORAGE || out->cmd == SIM_CTL_MEMORY) {
        return sim_ctl_faults_parse(request, out);
    } else if (out->cmd == SIM_CTL_POWER_CUT) {
        return sim_ctl_power_cut_parse(request, out);
    } else if (out->cmd == SIM_CTL_CERT) {
        return sim_ctl_cert_parse(request, out);
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

static void apply_sensor_change(struct sim_device *d, const struct sim_ctl_sensor_change *c) {
    struct sim_lsm6ds3 *sensor = &d->board.temperature_sensor;
    if (c->set_celsius) {
        sim_lsm6ds3_set_temperature(sensor, c->celsius);
        sim_device_log_os(&d->log, "temperature set to %g °C", c->celsius);
    }
    if (c->stuck != SIM_CTL_STUCK_KEEP) {
        sim_lsm6ds3_set_stuck(sensor, c->stuck == SIM_CTL_STUCK_ON);
        sim_device_log_os(&d->log, "fault: temperature sensor %s",
                          sensor->stuck ? "stuck" : "unstuck");
    }
    if (c->noise.set) {
        sim_lsm6ds3_set_noise(sensor, c->noise.sigma, c->noise.seed);
        sim_device_log_os(&d->log, "fault: temperature noise sigma %g °C (seed %llu)",
                          c->noise.sigma, (unsigned long long)c->noise.seed);
    }
    struct sim_i2c_target *target = sim_board_temperature_target(&d->board);
    if (c->wiring != SIM_CTL_WIRING_KEEP && target != NULL) {
        static const enum sim_i2c_link links[] = {
            [SIM_CTL_WIRING_CONNECTED] = SIM_I2C_LINK_CONNECTED,
            [SIM_CTL_WIRING_DISCONNECTED] = SIM_I2C_LINK_DISCONNECTED,
            [SIM_CTL_WIRING_HUNG] = SIM_I2C_LINK_HUNG};
        target->link = links[c->wiring];
        sim_device_log_os(&d->log, "fault: temperature sensor %s", wiring_names[c->wiring]);
    }
}

// Sets an ADC pin and answers with what a poll would now read.
static const char *set_adc_input(struct sim_device *d, uint32_t channel,
                                 const struct sim_ctl_request *request, cJSON *reply) {
    struct sim_adc *adc = &d->board.adc;
    if (channel >= SIM_ADC_CHANNELS) {
        return "adc: \"channel\" must be an ADC channel, 0 to 7";
    }
    if (request->set_volts) {
        (void)sim_adc_set_input(adc, channel, request->volts);
        sim_device_log_os(&d->log, "ADC channel %u set to %g V", (unsigned)channel, request->volts);
    }
    if (request->adc_noise.set) {
        (void)sim_adc_set_noise(adc, channel, request->adc_noise.sigma, request->adc_noise.seed);
        sim_device_log_os(&d->log, "fault: ADC channel %u noise sigma %g V (seed %llu)",
                          (unsigned)channel, request->adc_noise.sigma,
                          (unsigned long long)request->adc_noise.seed);
    }
    uint32_t sample = 0;
    (void)sim_adc_sample(adc, channel, &sample);
    cJSON_AddNumberToObject(reply, "channel", channel);
    cJSON_AddNumberToObject(reply, "volts", adc->input_v[channel]);
    cJSON_AddNumberToObject(reply, "noise_v", adc->noise[channel].sigma);
    cJSON_AddNumberToObject(reply, "sample", sample);
    return NULL;
}

// The proxy's reply goes in "reply"; its error in the static buffer the caller reports.
static const char *run_proxy_command(struct sim_device *d, const char *command, cJSON *reply) {
    static char error[600];
    char out[4096];
    if (sim_device_proxy_command(d, command, out, sizeof(out)) != 0) {
        (void)sim_format(error, sizeof(error), "proxy: %s", out);
        return error;
    }
    sim_device_log_os(&d->log, "net: proxy: %s", command);
    cJSON_AddStringToObject(reply, "reply", out);
    return NULL;
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
            sim_supervisor_set_link(s, request->link_up,
                                    request->stall ? SIM_NET_DOWN_STALL : SIM_NET_DOWN_RESET);
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
        case SIM_CTL_SENSOR:
            apply_sensor_change(s->device, &request->sensor);
            // The reply carries the sensors' state, so a request without changes reads it.
            add_sensor_status(reply, &s->device->board);
            break;
        case SIM_CTL_ADC:
            return set_adc_input(s->device, request->adc_channel, request, reply);
        case SIM_CTL_POTENTIOMETER:
            return set_adc_input(s->device, s->device->board.potentiometer_channel, request, reply);
        case SIM_CTL_CLOCK:
            return sim_ctl_clock_execute(s, request, reply);
        case SIM_CTL_PROXY:
            return run_proxy_command(s->device, request->proxy_command, reply);
        case SIM_CTL_DNS:
        case SIM_CTL_TIME_SYNC:
        case SIM_CTL_STORAGE:
        case SIM_CTL_MEMORY:
            return sim_ctl_faults_execute(s, request, reply);
        case SIM_CTL_POWER_CUT:
            return sim_ctl_power_cut_execute(s, request, reply);
        case SIM_CTL_CERT:
            return sim_ctl_cert_execute(s, request, reply);
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
