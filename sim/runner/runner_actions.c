// SPDX-License-Identifier: MIT
// Carrying out a step's action on the device side: board changes and OS faults through the
// device's control socket, network faults through the OS (link state) and its fault proxy
// (toxics, by the proxy's own text commands), TLS faults as device clock skew, and app crashes
// and hangs as signals to the app's process. A fault with `for` is undone by a timer. Hub
// actions are in runner_cloud.c.
//
// Probability: an action with `probability` below 1 asks the seed once, when the step runs,
// whether it applies (network toxics instead pass the probability to the proxy, which draws
// per connection from the same seed); the draw is recorded in the trace.
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net_prng.h"
#include "runner/runner_cloud.h"
#include "runner/runner_internal.h"
#include "os/fault_page.h"
#include "os/format_text.h"

// The LSM6DS3's operating range is -40..85 °C, the ADC's input 0 V to its 2.5 V reference.
#define TEMPERATURE_HIGH_C 150.0
#define TEMPERATURE_LOW_C -60.0
#define POTENTIOMETER_HIGH_V 3.0
#define POTENTIOMETER_LOW_V -0.5
// Past the 24 h validity of a device certificate (docs/device-os.md, Identity).
#define CERT_SKEW_MS (25LL * 3600 * 1000)
#define DEFAULT_CLICK_MS 100
#define SEED_53_BITS ((1ULL << 53) - 1)

uint64_t rn_derive_seed(const struct rn_runner *r, const char *what, uint64_t index) {
    return sim_net_prng_mix(r->seed ^ sim_net_prng_mix(sim_net_prng_hash(what) + index));
}

double rn_draw(const struct rn_runner *r, const char *what, uint64_t index) {
    return (double)(rn_derive_seed(r, what, index) >> 11) / (double)(1ULL << 53);
}

bool rn_action_supported(const struct rn_runner *r, const struct scn_action *a, const char **why) {
    (void)r;
    switch (a->kind) {
        case SCN_ACT_MEMORY_PRESSURE:
            *why = SIM_HEAP_LIMIT_UNSUPPORTED_REASON;
            return SIM_HEAP_LIMIT_SUPPORTED;
        default:
            return true;
    }
}

void rn_describe_action(const struct scn_action *a, char *out, size_t out_size) {
    char extra[160] = "";
    switch (a->kind) {
        case SCN_ACT_PRESS:
        case SCN_ACT_RELEASE:
        case SCN_ACT_CLICK:
            snprintf(extra, sizeof(extra), " %c", a->button.button == SCN_BUTTON_A ? 'A' : 'B');
            break;
        case SCN_ACT_SENSOR_SET:
            snprintf(extra, sizeof(extra), " %s = %g",
                     a->sensor.sensor == SCN_SENSOR_TEMPERATURE ? "temperature" : "potentiometer",
                     a->sensor.value);
            break;
        case SCN_ACT_CRASH:
            snprintf(extra, sizeof(extra), " signal %d", a->crash.signal);
            break;
        case SCN_ACT_CLOCK_JUMP:
            snprintf(extra, sizeof(extra), " %+" PRId64 " ms", a->clock.jump_ms);
            break;
        case SCN_ACT_METHOD:
        case SCN_ACT_METHOD_TIMEOUT:
            snprintf(extra, sizeof(extra), " %s", a->method.name);
            break;
        case SCN_ACT_C2D_BURST:
            snprintf(extra, sizeof(extra), " of %" PRIu64, a->c2d.count);
            break;
        case SCN_ACT_MEMORY_PRESSURE:
            snprintf(extra, sizeof(extra), " limit %" PRIu64 " bytes", a->memory.limit_bytes);
            break;
        default:
            break;
    }
    char timing[48] = "";
    if (a->has_for) {
        snprintf(timing, sizeof(timing), " for %" PRIu64 " ms", a->for_ms);
    }
    snprintf(out, out_size, "%s%s%s", scn_action_key(a->kind), extra, timing);
}

// Sends a control request for a step; a refusal fails the step.
static int step_ctl(struct rn_runner *r, size_t step, const char *request) {
    const struct scn_step *s = &r->scn->steps[step];
    char err[512];
    if (rn_ctl(r, s->device_index, request, NULL, err, sizeof(err)) == 0) {
        return 0;
    }
    char label[256];
    rn_step_label(r, step, label, sizeof(label));
    rn_fail(r, "step", "%s: the device refused %s: %s", label, request, err);
    return -1;
}

static int sensor_request(struct rn_runner *r, size_t step, const char *fields) {
    char request[256];
    (void)sim_format(request, sizeof(request), "{\"cmd\":\"sensor\",\"sensor\":\"temperature\",%s}",
                     fields);
    return step_ctl(r, step, request);
}

static int set_potentiometer(struct rn_runner *r, size_t step, double volts) {
    char request[128];
    snprintf(request, sizeof(request), "{\"cmd\":\"potentiometer\",\"volts\":%.6g}", volts);
    return step_ctl(r, step, request);
}

static int set_temperature(struct rn_runner *r, size_t step, double celsius) {
    char fields[64];
    snprintf(fields, sizeof(fields), "\"celsius\":%.6g", celsius);
    return sensor_request(r, step, fields);
}

// The environment changes; a sensor that is stuck or driven out of range keeps showing that.
static int sensor_set(struct rn_runner *r, size_t step, struct rn_device *d,
                      const struct scn_action *a) {
    if (a->sensor.sensor == SCN_SENSOR_TEMPERATURE) {
        d->temperature_c = a->sensor.value;
        return d->temp_out_of_range ? 0 : set_temperature(r, step, a->sensor.value);
    }
    d->potentiometer_v = a->sensor.value;
    return d->pot_stuck || d->pot_out_of_range ? 0 : set_potentiometer(r, step, a->sensor.value);
}

static int sensor_stuck(struct rn_runner *r, size_t step, struct rn_device *d,
                        const struct scn_action *a) {
    char fields[128];
    if (a->sensor.sensor == SCN_SENSOR_POTENTIOMETER) {
        // The ADC has no stuck knob: the runner, which plays the environment, stops passing
        // changes on.
        d->pot_stuck = true;
        return a->sensor.has_value ? set_potentiometer(r, step, a->sensor.value) : 0;
    }
    if (!a->sensor.has_value) {
        return sensor_request(r, step, "\"stuck\":true");
    }
    // Stuck at a value: the part freezes on that value, then the environment returns.
    snprintf(fields, sizeof(fields), "\"celsius\":%.6g,\"stuck\":true", a->sensor.value);
    if (sensor_request(r, step, fields) != 0) {
        return -1;
    }
    return set_temperature(r, step, d->temperature_c);
}

static int sensor_out_of_range(struct rn_runner *r, size_t step, struct rn_device *d,
                               const struct scn_action *a) {
    bool high = a->sensor.side == SCN_RANGE_HIGH;
    if (a->sensor.sensor == SCN_SENSOR_TEMPERATURE) {
        d->temp_out_of_range = true;
        return set_temperature(r, step, high ? TEMPERATURE_HIGH_C : TEMPERATURE_LOW_C);
    }
    d->pot_out_of_range = true;
    return set_potentiometer(r, step, high ? POTENTIOMETER_HIGH_V : POTENTIOMETER_LOW_V);
}

static int sensor_restore(struct rn_runner *r, size_t step, struct rn_device *d,
                          enum scn_sensor sensor) {
    if (sensor == SCN_SENSOR_POTENTIOMETER) {
        d->pot_stuck = false;
        d->pot_out_of_range = false;
        char request[128];
        snprintf(request, sizeof(request), "{\"cmd\":\"potentiometer\",\"volts\":%.6g,\"noise\":0}",
                 d->potentiometer_v);
        return step_ctl(r, step, request);
    }
    d->temp_out_of_range = false;
    char fields[160];
    snprintf(fields, sizeof(fields),
             "\"stuck\":false,\"noise\":0,\"link\":\"connected\",\"celsius\":%.6g",
             d->temperature_c);
    return sensor_request(r, step, fields);
}

// ---- network: the OS's link and the fault proxy ----

static const char *direction_word(enum scn_direction direction) {
    switch (direction) {
        case SCN_DIR_TO_HUB:
            return " up";
        case SCN_DIR_TO_DEVICE:
            return " down";
        default:
            return "";
    }
}

// The proxy command for a toxic step, in sim/net's text form (docs/faults.md).
static void toxic_command(const struct scn_action *a, size_t step, char *out, size_t out_size) {
    char toxic[160];
    switch (a->kind) {
        case SCN_ACT_LATENCY:
            snprintf(toxic, sizeof(toxic), "latency %" PRIu64 "ms jitter %" PRIu64 "ms",
                     a->latency.delay_ms, a->latency.jitter_ms);
            break;
        case SCN_ACT_BANDWIDTH:
            snprintf(toxic, sizeof(toxic), "bandwidth %" PRIu64 "B/s",
                     a->bandwidth.bytes_per_second);
            break;
        case SCN_ACT_RESET:
            snprintf(toxic, sizeof(toxic), "reset");
            break;
        case SCN_ACT_BLACKHOLE:
            snprintf(toxic, sizeof(toxic), "blackhole");
            break;
        case SCN_ACT_SLOW_CLOSE:
            snprintf(toxic, sizeof(toxic), "slow_close %" PRIu64 "ms", a->slow_close.delay_ms);
            break;
        case SCN_ACT_SLICER:
            snprintf(toxic, sizeof(toxic),
                     "slicer size %" PRIu64 " variation %" PRIu64 " delay %" PRIu64 "ms",
                     a->slicer.size, a->slicer.variation, a->slicer.delay_ms);
            break;
        default:  // SCN_ACT_CUT_AFTER
            snprintf(toxic, sizeof(toxic), "limit_data %" PRIu64, a->cut_after.bytes);
            break;
    }
    snprintf(out, out_size, "toxic add all %s%s probability %.6f name step%zu", toxic,
             direction_word(a->direction), a->probability, step + 1);
}

// One proxy command through the device's control socket. Until the OS routes connections
// through the proxy, the device answers that it does not know the request: say so plainly.
static int proxy_command(struct rn_runner *r, size_t step, const char *command) {
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "cmd", "proxy");
    cJSON_AddStringToObject(request, "command", command);
    char *text = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    char err[512];
    int result = text != NULL
                     ? rn_ctl(r, r->scn->steps[step].device_index, text, NULL, err, sizeof(err))
                     : -1;
    free(text);
    if (result == 0) {
        return 0;
    }
    char label[256];
    rn_step_label(r, step, label, sizeof(label));
    if (strstr(err, "unknown \"cmd\"") != NULL) {
        rn_fail(r, "step",
                "%s: network faults need the device OS's fault proxy (control request "
                "\"proxy\"), which this build does not have yet",
                label);
    } else {
        rn_fail(r, "step", "%s: the fault proxy refused '%s': %s", label, command, err);
    }
    return -1;
}

// ---- OS ----

static pid_t app_pid(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    cJSON *status = NULL;
    char err[256];
    pid_t pid = 0;
    if (rn_ctl(r, s->device_index, "{\"cmd\":\"status\"}", &status, err, sizeof(err)) == 0) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(status, "app");
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(app, "pid");
        pid = cJSON_IsNumber(p) ? (pid_t)p->valuedouble : 0;
    }
    cJSON_Delete(status);
    if (pid <= 0) {
        char label[256];
        rn_step_label(r, step, label, sizeof(label));
        rn_fail(r, "step", "%s: no app is running on device %s", label,
                s->device_id ? s->device_id : "");
    }
    return pid;
}

static int clock_jump(struct rn_runner *r, size_t step, int64_t ms) {
    char request[128];
    snprintf(request, sizeof(request),
             "{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"%+" PRId64 "ms\"}", ms);
    return step_ctl(r, step, request);
}

// The DNS server stops answering lookups (of every name when host is NULL).
static int dns_request(struct rn_runner *r, size_t step, const char *host) {
    cJSON *request = cJSON_CreateObject();
    cJSON_AddStringToObject(request, "cmd", "dns");
    cJSON_AddStringToObject(request, "state", "fail");
    if (host != NULL) {
        cJSON_AddStringToObject(request, "host", host);
    }
    char *text = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    int result = text != NULL ? step_ctl(r, step, text) : -1;
    free(text);
    return result;
}

static int storage_request(struct rn_runner *r, size_t step, const char *state) {
    char request[64];
    snprintf(request, sizeof(request), "{\"cmd\":\"storage\",\"state\":\"%s\"}", state);
    return step_ctl(r, step, request);
}

// The app's heap limit in bytes; 0 lifts it.
static int memory_request(struct rn_runner *r, size_t step, uint64_t limit_bytes) {
    char request[96];
    if (limit_bytes == 0) {
        snprintf(request, sizeof(request), "{\"cmd\":\"memory\",\"state\":\"ok\"}");
    } else {
        snprintf(request, sizeof(request), "{\"cmd\":\"memory\",\"limit\":%" PRIu64 "}",
                 limit_bytes);
    }
    return step_ctl(r, step, request);
}

static int run_device_action(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    const struct scn_action *a = &s->action;
    struct rn_device *d = &r->devices[s->device_index];
    char request[512];
    char button = a->button.button == SCN_BUTTON_A ? 'A' : 'B';
    switch (a->kind) {
        case SCN_ACT_PRESS:
        case SCN_ACT_RELEASE:
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"button\",\"button\":\"%c\",\"action\":\"%s\"}", button,
                     a->kind == SCN_ACT_PRESS ? "press" : "release");
            return step_ctl(r, step, request);
        case SCN_ACT_CLICK:
            if (a->button.hold_ms == DEFAULT_CLICK_MS) {
                snprintf(request, sizeof(request),
                         "{\"cmd\":\"button\",\"button\":\"%c\",\"action\":\"click\"}", button);
                return step_ctl(r, step, request);
            }
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"button\",\"button\":\"%c\",\"action\":\"press\"}", button);
            if (step_ctl(r, step, request) != 0) {
                return -1;
            }
            rn_add_timer(r, rn_now(r) + (int64_t)a->button.hold_ms, RN_TIMER_RELEASE, step, 0);
            return 0;
        case SCN_ACT_SENSOR_SET:
            return sensor_set(r, step, d, a);
        case SCN_ACT_SENSOR_NOISE: {
            uint64_t seed = rn_derive_seed(r, "sensor-noise", step) & SEED_53_BITS;
            cJSON *event = cJSON_CreateObject();
            cJSON_AddNumberToObject(event, "step", (double)step + 1);
            cJSON_AddStringToObject(event, "what", "sensor-noise-seed");
            cJSON_AddNumberToObject(event, "seed", (double)seed);
            rn_trace(r, "decision", event);
            if (a->sensor.sensor == SCN_SENSOR_POTENTIOMETER) {
                snprintf(request, sizeof(request),
                         "{\"cmd\":\"potentiometer\",\"noise\":%.6g,\"seed\":%" PRIu64 "}",
                         a->sensor.sigma, seed);
                return step_ctl(r, step, request);
            }
            snprintf(request, sizeof(request), "\"noise\":%.6g,\"seed\":%" PRIu64, a->sensor.sigma,
                     seed);
            return sensor_request(r, step, request);
        }
        case SCN_ACT_SENSOR_STUCK:
            return sensor_stuck(r, step, d, a);
        case SCN_ACT_SENSOR_DISCONNECT:
            return sensor_request(r, step, "\"link\":\"disconnected\"");
        case SCN_ACT_SENSOR_OUT_OF_RANGE:
            return sensor_out_of_range(r, step, d, a);
        case SCN_ACT_SENSOR_RESTORE:
            return sensor_restore(r, step, d, a->sensor.sensor);
        case SCN_ACT_NETWORK_DOWN:
        case SCN_ACT_NETWORK_UP:
            snprintf(request, sizeof(request), "{\"cmd\":\"net\",\"state\":\"%s\"}",
                     a->kind == SCN_ACT_NETWORK_UP ? "up" : "down");
            return step_ctl(r, step, request);
        case SCN_ACT_LATENCY:
        case SCN_ACT_BANDWIDTH:
        case SCN_ACT_RESET:
        case SCN_ACT_BLACKHOLE:
        case SCN_ACT_SLOW_CLOSE:
        case SCN_ACT_SLICER:
        case SCN_ACT_CUT_AFTER:
            toxic_command(a, step, request, sizeof(request));
            return proxy_command(r, step, request);
        case SCN_ACT_NETWORK_HEAL:
            return proxy_command(r, step, "toxic clear all");
        case SCN_ACT_CERT_EXPIRED:
            return clock_jump(r, step, CERT_SKEW_MS);
        case SCN_ACT_CERT_NOT_YET_VALID:
            return clock_jump(r, step, -CERT_SKEW_MS);
        case SCN_ACT_CERT_ROTATE:
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"cert\",\"action\":\"rotate\",\"validity_ms\":%" PRIu64 "}",
                     a->cert.validity_ms);
            return step_ctl(r, step, request);
        case SCN_ACT_CRASH:
        case SCN_ACT_HANG: {
            pid_t pid = app_pid(r, step);
            if (pid <= 0) {
                return -1;
            }
            if (kill(pid, a->kind == SCN_ACT_CRASH ? a->crash.signal : SIGSTOP) != 0) {
                return -1;
            }
            if (a->kind == SCN_ACT_HANG) {
                struct rn_hang hang = {
                    .step = step,
                    .pid = pid,
                    .until = a->has_for ? rn_now(r) + (int64_t)a->for_ms : INT64_MAX};
                RN_PUSH(r->hangs, r->hang_count, r->hang_cap, hang);
            }
            return 0;
        }
        case SCN_ACT_REBOOT:
            return step_ctl(r, step, "{\"cmd\":\"reboot\"}");
        case SCN_ACT_POWER_LOSS:
            if (step_ctl(r, step, "{\"cmd\":\"power-off\"}") != 0) {
                return -1;
            }
            rn_add_timer(r, rn_now(r) + (int64_t)a->power.off_ms, RN_TIMER_POWER_ON, step, 0);
            return 0;
        case SCN_ACT_CLOCK_JUMP:
            return clock_jump(r, step, a->clock.jump_ms);
        case SCN_ACT_DNS_FAILURE:
            return dns_request(r, step, a->dns.host);
        case SCN_ACT_TIME_UNSYNCED:
        case SCN_ACT_TIME_SYNC:
            return step_ctl(r, step,
                            a->kind == SCN_ACT_TIME_SYNC
                                ? "{\"cmd\":\"time-sync\",\"state\":\"synced\"}"
                                : "{\"cmd\":\"time-sync\",\"state\":\"unsynced\"}");
        case SCN_ACT_STORAGE_FULL:
        case SCN_ACT_STORAGE_EIO:
        case SCN_ACT_STORAGE_HEAL:
            return storage_request(r, step,
                                   a->kind == SCN_ACT_STORAGE_FULL  ? "full"
                                   : a->kind == SCN_ACT_STORAGE_EIO ? "eio"
                                                                    : "ok");
        case SCN_ACT_MEMORY_PRESSURE:
            return memory_request(r, step, a->memory.limit_bytes);
        case SCN_ACT_DEPLOY:
        case SCN_ACT_DEPLOY_CORRUPT:
        case SCN_ACT_POWER_CUT_DURING_INSTALL:
            return rn_update_action(r, step);
        default:
            return rn_cloud_action(r, step);
    }
}

static bool revertible(enum scn_action_kind kind) {
    switch (kind) {
        case SCN_ACT_SENSOR_NOISE:
        case SCN_ACT_SENSOR_STUCK:
        case SCN_ACT_SENSOR_DISCONNECT:
        case SCN_ACT_SENSOR_OUT_OF_RANGE:
        case SCN_ACT_NETWORK_DOWN:
        case SCN_ACT_DNS_FAILURE:
        case SCN_ACT_TIME_UNSYNCED:
        case SCN_ACT_STORAGE_FULL:
        case SCN_ACT_STORAGE_EIO:
        case SCN_ACT_MEMORY_PRESSURE:
        case SCN_ACT_LATENCY:
        case SCN_ACT_BANDWIDTH:
        case SCN_ACT_RESET:
        case SCN_ACT_BLACKHOLE:
        case SCN_ACT_SLOW_CLOSE:
        case SCN_ACT_SLICER:
        case SCN_ACT_CUT_AFTER:
        case SCN_ACT_CERT_EXPIRED:
        case SCN_ACT_CERT_NOT_YET_VALID:
        case SCN_ACT_UNTRUSTED_CA:
        case SCN_ACT_THROTTLE:
        case SCN_ACT_TWIN_DROP:
        case SCN_ACT_TWIN_DELAY:
            return true;
        default:
            return false;
    }
}

int rn_action_run(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    const struct scn_action *a = &s->action;
    bool proxy_draws = a->kind >= SCN_ACT_LATENCY && a->kind <= SCN_ACT_CUT_AFTER;
    r->applied[step] = true;
    if (a->probability < 1.0 && !proxy_draws) {
        double draw = rn_draw(r, "probability", step);
        r->applied[step] = draw < a->probability;
        cJSON *event = cJSON_CreateObject();
        cJSON_AddNumberToObject(event, "step", (double)step + 1);
        cJSON_AddStringToObject(event, "what", "probability");
        cJSON_AddNumberToObject(event, "probability", a->probability);
        cJSON_AddNumberToObject(event, "draw", draw);
        cJSON_AddBoolToObject(event, "applies", r->applied[step]);
        rn_trace(r, "decision", event);
        if (!r->applied[step]) {
            rn_progress(r, "  the fault does not apply this time (draw %.4f >= %g)", draw,
                        a->probability);
            return 0;
        }
    }
    int result = run_device_action(r, step);
    if (result == 0 && a->has_for && revertible(a->kind)) {
        rn_add_timer(r, rn_now(r) + (int64_t)a->for_ms, RN_TIMER_REVERT, step, 0);
    }
    return result;
}

static void revert(struct rn_runner *r, size_t step, uint64_t number) {
    const struct scn_step *s = &r->scn->steps[step];
    const struct scn_action *a = &s->action;
    struct rn_device *d = &r->devices[s->device_index];
    char command[64];
    switch (a->kind) {
        case SCN_ACT_SENSOR_NOISE:
            if (a->sensor.sensor == SCN_SENSOR_POTENTIOMETER) {
                step_ctl(r, step, "{\"cmd\":\"potentiometer\",\"noise\":0}");
            } else {
                sensor_request(r, step, "\"noise\":0");
            }
            break;
        case SCN_ACT_SENSOR_STUCK:
            if (a->sensor.sensor == SCN_SENSOR_POTENTIOMETER) {
                d->pot_stuck = false;
                set_potentiometer(r, step, d->potentiometer_v);
            } else {
                sensor_request(r, step, "\"stuck\":false");
            }
            break;
        case SCN_ACT_SENSOR_DISCONNECT:
            sensor_request(r, step, "\"link\":\"connected\"");
            break;
        case SCN_ACT_SENSOR_OUT_OF_RANGE:
            if (a->sensor.sensor == SCN_SENSOR_POTENTIOMETER) {
                d->pot_out_of_range = false;
                set_potentiometer(r, step, d->potentiometer_v);
            } else {
                d->temp_out_of_range = false;
                set_temperature(r, step, d->temperature_c);
            }
            break;
        case SCN_ACT_NETWORK_DOWN:
            step_ctl(r, step, "{\"cmd\":\"net\",\"state\":\"up\"}");
            break;
        case SCN_ACT_DNS_FAILURE:
            step_ctl(r, step, "{\"cmd\":\"dns\",\"state\":\"ok\"}");
            break;
        case SCN_ACT_TIME_UNSYNCED:
            step_ctl(r, step, "{\"cmd\":\"time-sync\",\"state\":\"synced\"}");
            break;
        case SCN_ACT_STORAGE_FULL:
        case SCN_ACT_STORAGE_EIO:
            storage_request(r, step, "ok");
            break;
        case SCN_ACT_MEMORY_PRESSURE:
            memory_request(r, step, 0);
            break;
        case SCN_ACT_CERT_EXPIRED:
            clock_jump(r, step, -CERT_SKEW_MS);
            break;
        case SCN_ACT_CERT_NOT_YET_VALID:
            clock_jump(r, step, CERT_SKEW_MS);
            break;
        case SCN_ACT_LATENCY:
        case SCN_ACT_BANDWIDTH:
        case SCN_ACT_RESET:
        case SCN_ACT_BLACKHOLE:
        case SCN_ACT_SLOW_CLOSE:
        case SCN_ACT_SLICER:
        case SCN_ACT_CUT_AFTER:
            snprintf(command, sizeof(command), "toxic remove all step%zu", step + 1);
            proxy_command(r, step, command);
            break;
        default:
            rn_cloud_revert(r, step);
            break;
    }
}

// Whether sig is pending for the process (the kernel's pending sets in /proc, in hex).
static bool signal_pending(pid_t pid, int sig) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    char row[256];
    bool pending = false;
    while (f != NULL && fgets(row, sizeof(row), f) != NULL) {
        unsigned long long mask = 0;
        if ((sscanf(row, "ShdPnd: %llx", &mask) == 1 || sscanf(row, "SigPnd: %llx", &mask) == 1) &&
            (mask & (1ULL << (sig - 1))) != 0) {
            pending = true;
        }
    }
    if (f != NULL) {
        fclose(f);
    }
    return pending;
}

void rn_hangs_poll(struct rn_runner *r) {
    int64_t now = rn_now(r);
    for (size_t i = 0; i < r->hang_count; i++) {
        struct rn_hang *h = &r->hangs[i];
        if (h->done) {
            continue;
        }
        bool fired = signal_pending(h->pid, SIGALRM);
        if (!fired && now < h->until && kill(h->pid, 0) == 0) {
            continue;
        }
        h->done = true;
        char label[256];
        rn_step_label(r, h->step, label, sizeof(label));
        rn_progress(r, "%s: %s; the app runs again", label,
                    fired ? "its watchdog fired (SIGALRM pending)" : "the hang ends");
        cJSON *event = cJSON_CreateObject();
        cJSON_AddNumberToObject(event, "step", (double)h->step + 1);
        cJSON_AddStringToObject(event, "what", fired ? "watchdog-fired" : "hang-ends");
        rn_trace(r, "fault", event);
        kill(h->pid, SIGCONT);
    }
}

static bool device_off(struct rn_runner *r, size_t step) {
    cJSON *status = NULL;
    char err[256];
    bool off = false;
    if (rn_ctl(r, r->scn->steps[step].device_index, "{\"cmd\":\"status\"}", &status, err,
               sizeof(err)) == 0) {
        const cJSON *power = cJSON_GetObjectItemCaseSensitive(status, "power");
        off = cJSON_IsString(power) && strcmp(power->valuestring, "off") == 0;
    }
    cJSON_Delete(status);
    return off;
}

void rn_timer_fire(struct rn_runner *r, struct rn_timer *timer) {
    const struct scn_step *s = &r->scn->steps[timer->step];
    char label[256];
    rn_step_label(r, timer->step, label, sizeof(label));
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)timer->step + 1);
    switch (timer->kind) {
        case RN_TIMER_REVERT:
            rn_progress(r, "undo %s (its `for` ran out)", label);
            cJSON_AddStringToObject(event, "what", "revert");
            rn_trace(r, "fault", event);
            revert(r, timer->step, timer->number);
            break;
        case RN_TIMER_RELEASE: {
            char request[96];
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"button\",\"button\":\"%c\",\"action\":\"release\"}",
                     s->action.button.button == SCN_BUTTON_A ? 'A' : 'B');
            cJSON_AddStringToObject(event, "what", "release");
            rn_trace(r, "fault", event);
            step_ctl(r, timer->step, request);
            break;
        }
        case RN_TIMER_POWER_ON:
            // The cut takes effect asynchronously; a power-on before the device is off would be
            // ignored, so wait for it to be off (up to a second).
            if (!device_off(r, timer->step) && timer->number < 50) {
                rn_add_timer(r, rn_now(r) + 20, RN_TIMER_POWER_ON, timer->step, timer->number + 1);
                cJSON_Delete(event);
                break;
            }
            rn_progress(r, "power returns (%s)", label);
            cJSON_AddStringToObject(event, "what", "power-on");
            rn_trace(r, "fault", event);
            step_ctl(r, timer->step, "{\"cmd\":\"power-on\"}");
            break;
        case RN_TIMER_C2D_NEXT:
            cJSON_Delete(event);
            rn_cloud_c2d_next(r, timer->step, timer->number);
            break;
        case RN_TIMER_BROKER_START:
            rn_progress(r, "starting the broker again (%s)", label);
            cJSON_AddStringToObject(event, "what", "broker-start");
            rn_trace(r, "fault", event);
            rn_hub_broker_start(r);
            break;
    }
}
