// SPDX-License-Identifier: MIT
// The `clock` control request; see ctl_clock.h. A bad value is quoted back in the error, cut
// short and with control characters replaced, so the reason stays one readable line.
#include "os/ctl_clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "os/supervisor.h"

#define QUOTE_MAX 40

static const char *const actions[] = {[SIM_CTL_CLOCK_STATUS] = "status",
                                      [SIM_CTL_CLOCK_JUMP] = "jump",
                                      [SIM_CTL_CLOCK_SET] = "set",
                                      [SIM_CTL_CLOCK_RATE] = "rate"};

static char error_text[256];

// Copies at most QUOTE_MAX characters of text, each control character as '?'.
static void quote(const char *text, char out[QUOTE_MAX + 4]) {
    size_t n = 0;
    for (; text[n] != '\0' && n < QUOTE_MAX; n++) {
        unsigned char c = (unsigned char)text[n];
        out[n] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (text[n] != '\0') {
        memcpy(out + n, "...", 3);
        n += 3;
    }
    out[n] = '\0';
}

static const char *bad_value(const char *what, const char *value, const char *expected) {
    char quoted[QUOTE_MAX + 4];
    quote(value, quoted);
    snprintf(error_text, sizeof(error_text), "clock %s: '%s' %s", what, quoted, expected);
    return error_text;
}

static const char *parse_jump(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *by = cJSON_GetObjectItemCaseSensitive(request, "by");
    if (!cJSON_IsString(by)) {
        return "clock jump: \"by\" must be a duration string such as \"+2h\" or \"-30m\"";
    }
    switch (sim_clock_parse_duration(by->valuestring, &out->clock_ms)) {
        case SIM_CLOCK_OK:
            return NULL;
        case SIM_CLOCK_ERR_RANGE:
            return bad_value("jump", by->valuestring, "is longer than 100 years");
        default:
            return bad_value("jump", by->valuestring,
                             "is not a duration (expected [+|-]N with a unit ms, s, m, h or d, "
                             "e.g. +2h, -30m or 1h30m)");
    }
}

static const char *parse_set(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *when = cJSON_GetObjectItemCaseSensitive(request, "time");
    if (!cJSON_IsString(when)) {
        return "clock set: \"time\" must be a UTC time such as \"2030-01-01T00:00:00Z\"";
    }
    switch (sim_clock_parse_time(when->valuestring, &out->clock_ms)) {
        case SIM_CLOCK_OK:
            return NULL;
        case SIM_CLOCK_ERR_RANGE:
            return bad_value("set", when->valuestring, "is not a date and time from 1970 to 2199");
        default:
            return bad_value("set", when->valuestring,
                             "is not a UTC time (expected YYYY-MM-DDTHH:MM:SS[.fff]Z)");
    }
}

static const char *parse_rate(const cJSON *request, struct sim_ctl_request *out) {
    static const char range[] = "is outside 0.001 to 1000000";
    const cJSON *rate = cJSON_GetObjectItemCaseSensitive(request, "rate");
    if (cJSON_IsNumber(rate)) {
        if (!isfinite(rate->valuedouble) || rate->valuedouble < SIM_CLOCK_RATE_MIN ||
            rate->valuedouble > SIM_CLOCK_RATE_MAX) {
            char text[32];
            snprintf(text, sizeof(text), "%g", rate->valuedouble);
            return bad_value("rate", text, range);
        }
        out->clock_rate = rate->valuedouble;
        return NULL;
    }
    if (!cJSON_IsString(rate)) {
        return "clock rate: \"rate\" must be a number, device seconds per real second";
    }
    switch (sim_clock_parse_rate(rate->valuestring, &out->clock_rate)) {
        case SIM_CLOCK_OK:
            return NULL;
        case SIM_CLOCK_ERR_RANGE:
            return bad_value("rate", rate->valuestring, range);
        default:
            return bad_value("rate", rate->valuestring,
                             "is not a number (expected device seconds per real second, "
                             "e.g. 1, 60 or 3600)");
    }
}

const char *sim_ctl_clock_parse(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(request, "action");
    size_t which = SIM_CTL_CLOCK_STATUS;
    if (action != NULL) {
        size_t count = sizeof(actions) / sizeof(actions[0]);
        which = count;
        for (size_t i = 0; cJSON_IsString(action) && i < count; i++) {
            if (strcmp(action->valuestring, actions[i]) == 0) {
                which = i;
            }
        }
        if (which == count) {
            return "clock: \"action\" must be status, jump, set or rate";
        }
    }
    out->clock_action = (enum sim_ctl_clock_action)which;
    switch (out->clock_action) {
        case SIM_CTL_CLOCK_JUMP:
            return parse_jump(request, out);
        case SIM_CTL_CLOCK_SET:
            return parse_set(request, out);
        case SIM_CTL_CLOCK_RATE:
            return parse_rate(request, out);
        default:
            return NULL;
    }
}

void sim_ctl_clock_add_status(cJSON *object, const struct sim_device *device) {
    const struct sim_clock *clock = &device->clock;
    // One reading of the host clock, so the figures agree with each other.
    int64_t host_ns = sim_clock_host_ns();
    int64_t wall_ms = sim_clock_now_ms_at(clock, host_ns);
    int64_t offset_ms = wall_ms - sim_clock_network_ms_at(clock, host_ns);
    char text[48];
    sim_clock_format(wall_ms, text, sizeof(text));
    cJSON_AddStringToObject(object, "device_time", text);
    sim_clock_format(sim_clock_network_ms_at(clock, host_ns), text, sizeof(text));
    cJSON_AddStringToObject(object, "network_time", text);
    cJSON_AddNumberToObject(object, "offset_ms", (double)offset_ms);
    sim_clock_format_duration(offset_ms, text, sizeof(text));
    cJSON_AddStringToObject(object, "offset", text);
    cJSON_AddNumberToObject(object, "rate", sim_clock_rate(clock));
    cJSON_AddBoolToObject(object, "synced", device->network.time_synced);
    cJSON_AddNumberToObject(object, "uptime_ms", (double)sim_clock_uptime_ms_at(clock, host_ns));
    cJSON_AddNumberToObject(object, "lead_ms", (double)sim_clock_lead_ms_at(clock, host_ns));
}

const char *sim_ctl_clock_execute(struct sim_supervisor *s, const struct sim_ctl_request *request,
                                  cJSON *reply) {
    struct sim_clock *clock = &s->device->clock;
    char what[96];
    char text[48];
    switch (request->clock_action) {
        case SIM_CTL_CLOCK_JUMP:
            if (sim_clock_jump(clock, request->clock_ms) != SIM_CLOCK_OK) {
                return "clock jump: the device time would leave 1970 to 2199";
            }
            sim_clock_format_duration(request->clock_ms, text, sizeof(text));
            snprintf(what, sizeof(what), "jumped %s", text);
            sim_supervisor_clock_changed(s, what);
            break;
        case SIM_CTL_CLOCK_SET:
            if (sim_clock_set(clock, request->clock_ms) != SIM_CLOCK_OK) {
                return "clock set: the time must be from 1970 to 2199";
            }
            sim_clock_format(request->clock_ms, text, sizeof(text));
            snprintf(what, sizeof(what), "set to %s", text);
            sim_supervisor_clock_changed(s, what);
            break;
        case SIM_CTL_CLOCK_RATE:
            if (sim_clock_set_rate(clock, request->clock_rate) != SIM_CLOCK_OK) {
                return "clock rate: the rate must be from 0.001 to 1000000";
            }
            snprintf(what, sizeof(what), "rate %g device seconds per second",
                     sim_clock_rate(clock));
            sim_supervisor_clock_changed(s, what);
            break;
        case SIM_CTL_CLOCK_STATUS:
            break;
    }
    sim_ctl_clock_add_status(reply, s->device);
    return NULL;
}
