// SPDX-License-Identifier: MIT
// `spheresim ctl`: drives a running device through its control socket. Each verb becomes one
// JSON request; the device's reply is printed (status, gpio and the sensor verbs) or checked
// (actions).
#include <cjson/cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "os/app_stats.h"
#include "os/ctl_commands.h"
#include "os/ctl_socket.h"
#include "os/device_clock.h"
#include "os/fault_page.h"
#include "net/net_units.h"

static const char ctl_usage[] =
    "usage: spheresim ctl [--device-dir D] COMMAND\n"
    "\n"
    "commands:\n"
    "  status                      print the device's state as JSON\n"
    "  button A|B press|release|click\n"
    "  gpio get N                  print a GPIO's direction and level as JSON\n"
    "  net down [--stall] | up     take the device's network link down or bring it up; open\n"
    "                              connections are reset (or, with --stall, frozen until up)\n"
    "  proxy WORDS...              a fault-proxy command (docs/faults.md), e.g.\n"
    "                              proxy toxic add all latency 200ms jitter 50ms down\n"
    "                              proxy toxic list | proxy toxic clear all | proxy stats\n"
    "  reboot                      SIGTERM the app, SIGKILL after 2 s, boot again\n"
    "  power-off                   cut the power: the app is killed without SIGTERM\n"
    "  power-on                    power a device that is off back on\n"
    "  sensor temperature [CELSIUS] [--stuck|--unstuck] [--noise SIGMA [--seed N]]\n"
    "                     [--disconnect|--connect|--hang]\n"
    "                              set the temperature sensor's temperature and faults; prints\n"
    "                              the sensors' state as JSON\n"
    "  adc CHANNEL [VOLTS] [--noise SIGMA [--seed N]]\n"
    "                              apply VOLTS to an ADC channel's pin (0-7), and/or add\n"
    "                              Gaussian noise of SIGMA volts to every sample the app reads\n"
    "  potentiometer [VOLTS] [--noise SIGMA [--seed N]]\n"
    "                              the same for the potentiometer (ADC channel 0)\n"
    "  clock [status]              print the device clock (time, offset, rate, synced) as JSON\n"
    "  clock jump DURATION         move device time, e.g. +2h, -30m, 1d, 1h30m, 500ms\n"
    "  clock set TIME              set device time (UTC), e.g. 2030-01-01T00:00:00Z\n"
    "  clock rate N                run device time N times as fast as real time (0.001-1000000)\n"
    "  dns fail [HOST] | ok        the DNS server stops answering the app's lookups (all, or\n"
    "                              those for HOST or a *.domain pattern), or answers again\n"
    "  time-sync unsynced | synced the time server stops answering (time no longer synced,\n"
    "                              networking not ready) or answers again (syncs if online)\n"
    "  storage full | eio | ok     the app's mutable storage: writes fail with ENOSPC, I/O fails\n"
    "                              with EIO, or healthy again\n"
    "  cert rotate [--validity D]  the tenant CA issues the device a new certificate now, valid\n"
    "                              for D of device time (1m-365d, default 24h); prints its dates\n"
    "  memory limit SIZE | off     the app's allocations fail with ENOMEM once its heap would\n"
    "                              pass SIZE (e.g. 128KiB; not in AddressSanitizer builds), or\n"
    "                              no limit again\n"
    "  memory budget SIZE | off    the app's RAM budget (16KiB-1024MiB): an allocation past it\n"
    "                              kills the app, as on the device; off: none\n"
    "  power-cut STEP | none       cut the power when an update reaches STEP (one of\n"
    "                              'spheresim deploy --crash-points'); run ends with status 86\n"
    "\n"
    "--device-dir defaults to $SPHERESIM_HOME/devices/default, as for 'spheresim run'.\n";

// True when word is one of the NULL-terminated list of choices.
static bool is_one_of(const char *word, ...) {
    va_list choices;
    va_start(choices, word);
    bool found = false;
    for (const char *choice = va_arg(choices, const char *); choice != NULL && !found;
         choice = va_arg(choices, const char *)) {
        found = strcmp(word, choice) == 0;
    }
    va_end(choices);
    return found;
}

// Parses a whole word as a finite number.
static bool parse_number(const char *word, double *out_value) {
    char *end = NULL;
    double value = strtod(word, &end);
    if (end == word || *end != '\0' || !isfinite(value)) {
        return false;
    }
    *out_value = value;
    return true;
}

// `sensor temperature [CELSIUS] [options]`: fills request, or returns the usage error.
static const char *add_sensor_fields(int argc, char **argv, cJSON *request) {
    static const char usage[] =
        "ctl sensor: expected temperature [CELSIUS] [--stuck|--unstuck] [--noise SIGMA "
        "[--seed N]] [--disconnect|--connect|--hang]";
    if (argc < 2 || strcmp(argv[1], "temperature") != 0) {
        return usage;
    }
    cJSON_AddStringToObject(request, "cmd", "sensor");
    cJSON_AddStringToObject(request, "sensor", "temperature");
    for (int i = 2; i < argc; i++) {
        const char *word = argv[i];
        double value = 0;
        bool has_value = i + 1 < argc && parse_number(argv[i + 1], &value);
        if (strcmp(word, "--stuck") == 0 || strcmp(word, "--unstuck") == 0) {
            cJSON_DeleteItemFromObjectCaseSensitive(request, "stuck");
            cJSON_AddBoolToObject(request, "stuck", strcmp(word, "--stuck") == 0);
        } else if (is_one_of(word, "--disconnect", "--connect", "--hang", NULL)) {
            const char *link = strcmp(word, "--disconnect") == 0 ? "disconnected"
                               : strcmp(word, "--hang") == 0     ? "hung"
                                                                 : "connected";
            cJSON_DeleteItemFromObjectCaseSensitive(request, "link");
            cJSON_AddStringToObject(request, "link", link);
        } else if ((strcmp(word, "--noise") == 0 || strcmp(word, "--seed") == 0) && has_value) {
            cJSON_DeleteItemFromObjectCaseSensitive(request, word + 2);
            cJSON_AddNumberToObject(request, word + 2, value);
            i++;
        } else if (strncmp(word, "--", 2) != 0 && parse_number(word, &value) &&
                   !cJSON_HasObjectItem(request, "celsius")) {
            cJSON_AddNumberToObject(request, "celsius", value);
        } else {
            return usage;
        }
    }
    return NULL;
}

// `[VOLTS] [--noise SIGMA [--seed N]]` from argv[first] on, at least one of the two.
static const char *add_adc_input_fields(int argc, char **argv, int first, cJSON *request,
                                        const char *usage) {
    for (int i = first; i < argc; i++) {
        const char *word = argv[i];
        double value = 0;
        bool has_value = i + 1 < argc && parse_number(argv[i + 1], &value);
        if ((strcmp(word, "--noise") == 0 || strcmp(word, "--seed") == 0) && has_value &&
            !cJSON_HasObjectItem(request, word + 2)) {
            cJSON_AddNumberToObject(request, word + 2, value);
            i++;
        } else if (strncmp(word, "--", 2) != 0 && parse_number(word, &value) &&
                   !cJSON_HasObjectItem(request, "volts")) {
            cJSON_AddNumberToObject(request, "volts", value);
        } else {
            return usage;
        }
    }
    bool has_input = cJSON_HasObjectItem(request, "volts") || cJSON_HasObjectItem(request, "noise");
    return has_input ? NULL : usage;
}

// Runs the device's own parser on request here first, so a bad value is reported before any
// device is contacted, in the words the device would use. Returns NULL or the error.
static const char *check_with_device_parser(const cJSON *request) {
    char *text = cJSON_PrintUnformatted(request);
    struct sim_ctl_request parsed;
    const char *error = NULL;
    if (text == NULL) {
        error = "ctl: out of memory";
    } else if (sim_ctl_parse(text, &parsed, &error) != 0) {
        static char message[320];
        snprintf(message, sizeof(message), "ctl %s", error);
        error = message;
    }
    free(text);
    return error;
}

// `clock [status] | jump D | set T | rate N`: the values go to the device as typed, and the
// device's own parser, run here first, says what is wrong with a bad one.
static const char *add_clock_fields(int argc, char **argv, cJSON *request) {
    static const char usage[] = "ctl clock: expected status, jump DURATION, set TIME or rate N";
    cJSON_AddStringToObject(request, "cmd", "clock");
    const char *action = argc >= 2 ? argv[1] : "status";
    const char *field = strcmp(action, "jump") == 0   ? "by"
                        : strcmp(action, "set") == 0  ? "time"
                        : strcmp(action, "rate") == 0 ? "rate"
                                                      : NULL;
    if (field == NULL ? strcmp(action, "status") != 0 || argc > 2 : argc != 3) {
        return usage;
    }
    cJSON_AddStringToObject(request, "action", action);
    if (field != NULL) {
        cJSON_AddStringToObject(request, field, argv[2]);
    }
    return check_with_device_parser(request);
}

// `proxy WORDS...`: the words, joined by spaces, are one of the proxy's text commands.
static const char *add_proxy_command(int argc, char **argv, cJSON *request) {
    char line[SIM_CTL_PROXY_COMMAND_MAX + 1] = "";
    size_t used = 0;
    for (int i = 1; i < argc; i++) {
        int n = snprintf(line + used, sizeof(line) - used, "%s%s", i > 1 ? " " : "", argv[i]);
        if (n < 0 || (size_t)n >= sizeof(line) - used) {
            return "ctl proxy: the command is longer than 512 characters";
        }
        used += (size_t)n;
    }
    cJSON_AddStringToObject(request, "cmd", "proxy");
    cJSON_AddStringToObject(request, "command", line);
    return NULL;
}

// `dns fail [HOST] | ok`: the device's own parser, run here first, checks HOST.
static const char *add_fault_fields(int argc, char **argv, cJSON *request) {
    static const char usage[] = "ctl dns: expected fail [HOST] or ok";
    if (argc < 2 || argc > 3 || !is_one_of(argv[1], "fail", "ok", NULL) ||
        (argc == 3 && strcmp(argv[1], "fail") != 0)) {
        return usage;
    }
    cJSON_AddStringToObject(request, "cmd", "dns");
    cJSON_AddStringToObject(request, "state", argv[1]);
    if (argc == 3) {
        cJSON_AddStringToObject(request, "host", argv[2]);
    }
    return check_with_device_parser(request);
}

// `memory limit SIZE` or `memory off`: fills request, or returns the usage error.
static const char *add_memory_fields(int argc, char **argv, cJSON *request) {
    static const char usage[] =
        "ctl memory: expected limit SIZE (e.g. 128KiB), off, or budget SIZE|off";
    static char message[400];
    cJSON_AddStringToObject(request, "cmd", "memory");
    if (argc == 2 && strcmp(argv[1], "off") == 0) {
        cJSON_AddStringToObject(request, "state", "ok");
        return NULL;
    }
    if (argc == 3 && strcmp(argv[1], "budget") == 0) {
        char err[320];
        uint64_t budget = 0;
        if (sim_app_stats_parse_budget(argv[2], &budget, err, sizeof(err)) != 0) {
            snprintf(message, sizeof(message), "ctl memory budget: %s", err);
            return message;
        }
        cJSON_AddNumberToObject(request, "budget", (double)budget);
        return NULL;
    }
    if (argc != 3 || strcmp(argv[1], "limit") != 0) {
        return usage;
    }
    char err[256];
    uint64_t bytes = 0;
    if (sim_net_parse_bytes(argv[2], err, sizeof(err), &bytes) != SIM_NET_PROXY_OK) {
        snprintf(message, sizeof(message), "ctl memory limit: %s", err);
        return message;
    }
    if (bytes == 0 || bytes > SIM_HEAP_LIMIT_MAX) {
        snprintf(message, sizeof(message),
                 "ctl memory limit: '%s' is out of range (1 byte to 1 GiB; 'off' lifts the limit)",
                 argv[2]);
        return message;
    }
    cJSON_AddNumberToObject(request, "limit", (double)bytes);
    return NULL;
}

// `cert rotate [--validity DURATION]`: the duration is read as `clock jump` reads one, and the
// device's own parser, run here first, checks its bounds.
static const char *add_cert_fields(int argc, char **argv, cJSON *request) {
    static const char usage[] = "ctl cert: expected rotate [--validity DURATION]";
    bool with_validity = argc == 4 && strcmp(argv[2], "--validity") == 0;
    if (argc < 2 || strcmp(argv[1], "rotate") != 0 || (argc != 2 && !with_validity)) {
        return usage;
    }
    cJSON_AddStringToObject(request, "cmd", "cert");
    cJSON_AddStringToObject(request, "action", "rotate");
    if (with_validity) {
        int64_t ms = 0;
        if (argv[3][0] == '-' || argv[3][0] == '+' ||
            sim_clock_parse_duration(argv[3], &ms) != SIM_CLOCK_OK) {
            return "ctl cert rotate: --validity must be a duration such as 10m, 2h or 30d";
        }
        cJSON_AddNumberToObject(request, "validity_ms", (double)ms);
    }
    return check_with_device_parser(request);
}

// Turns the command words into a request object; returns NULL with *out_error set.
static cJSON *build_request(int argc, char **argv, const char **out_error) {
    cJSON *request = cJSON_CreateObject();
    const char *verb = argv[0];
    *out_error = NULL;
    if (strcmp(verb, "status") == 0 && argc == 1) {
        cJSON_AddStringToObject(request, "cmd", "status");
    } else if (strcmp(verb, "button") == 0 && argc == 3 &&
               !(is_one_of(argv[1], "A", "B", NULL) &&
                 is_one_of(argv[2], "press", "release", "click", NULL))) {
        *out_error = "ctl button: expected A or B, then press, release or click";
    } else if (strcmp(verb, "net") == 0 && !(argc == 2 && is_one_of(argv[1], "up", "down", NULL)) &&
               !(argc == 3 && strcmp(argv[1], "down") == 0 && strcmp(argv[2], "--stall") == 0)) {
        *out_error = "ctl net: expected up, down or down --stall";
    } else if (strcmp(verb, "button") == 0 && argc == 3) {
        cJSON_AddStringToObject(request, "cmd", "button");
        cJSON_AddStringToObject(request, "button", argv[1]);
        cJSON_AddStringToObject(request, "action", argv[2]);
    } else if (strcmp(verb, "gpio") == 0 && argc == 3 && strcmp(argv[1], "get") == 0) {
        char *end = NULL;
        long id = strtol(argv[2], &end, 10);
        if (end == argv[2] || *end != '\0' || id < 0 || id > 1000) {
            *out_error = "ctl gpio get: N must be a GPIO number";
        }
        cJSON_AddStringToObject(request, "cmd", "gpio");
        cJSON_AddNumberToObject(request, "id", (double)id);
    } else if (strcmp(verb, "net") == 0) {
        cJSON_AddStringToObject(request, "cmd", "net");
        cJSON_AddStringToObject(request, "state", argv[1]);
        if (argc == 3) {
            cJSON_AddStringToObject(request, "mode", "stall");
        }
    } else if (strcmp(verb, "proxy") == 0 && argc >= 2) {
        *out_error = add_proxy_command(argc, argv, request);
    } else if ((strcmp(verb, "reboot") == 0 || strcmp(verb, "power-off") == 0 ||
                strcmp(verb, "power-on") == 0) &&
               argc == 1) {
        cJSON_AddStringToObject(request, "cmd", verb);
    } else if (strcmp(verb, "sensor") == 0) {
        *out_error = add_sensor_fields(argc, argv, request);
    } else if (strcmp(verb, "adc") == 0 && argc >= 3) {
        static const char usage[] =
            "ctl adc: expected a channel (0-7), then VOLTS and/or --noise SIGMA [--seed N]";
        double channel = 0;
        cJSON_AddStringToObject(request, "cmd", "adc");
        if (!parse_number(argv[1], &channel) || channel != floor(channel) || channel < 0 ||
            channel > 7) {
            *out_error = usage;
        } else {
            cJSON_AddNumberToObject(request, "channel", channel);
            *out_error = add_adc_input_fields(argc, argv, 2, request, usage);
        }
    } else if (strcmp(verb, "potentiometer") == 0 && argc >= 2) {
        cJSON_AddStringToObject(request, "cmd", "potentiometer");
        *out_error = add_adc_input_fields(
            argc, argv, 1, request,
            "ctl potentiometer: expected VOLTS and/or --noise SIGMA [--seed N]");
    } else if (strcmp(verb, "clock") == 0 && argc <= 3) {
        *out_error = add_clock_fields(argc, argv, request);
    } else if (strcmp(verb, "dns") == 0) {
        *out_error = add_fault_fields(argc, argv, request);
    } else if (strcmp(verb, "time-sync") == 0 && argc == 2 &&
               is_one_of(argv[1], "unsynced", "synced", NULL)) {
        cJSON_AddStringToObject(request, "cmd", "time-sync");
        cJSON_AddStringToObject(request, "state", argv[1]);
    } else if (strcmp(verb, "storage") == 0 && argc == 2 &&
               is_one_of(argv[1], "full", "eio", "ok", NULL)) {
        cJSON_AddStringToObject(request, "cmd", "storage");
        cJSON_AddStringToObject(request, "state", argv[1]);
    } else if (strcmp(verb, "memory") == 0) {
        *out_error = add_memory_fields(argc, argv, request);
    } else if (strcmp(verb, "power-cut") == 0 && argc == 2) {
        // The device checks the step's name and lists the valid ones when it is wrong.
        cJSON_AddStringToObject(request, "cmd", "power-cut");
        cJSON_AddStringToObject(request, "at", argv[1]);
    } else if (strcmp(verb, "cert") == 0) {
        *out_error = add_cert_fields(argc, argv, request);
    } else {
        *out_error = "ctl: unknown command or wrong arguments (see 'spheresim ctl --help')";
    }
    if (*out_error != NULL) {
        cJSON_Delete(request);
        return NULL;
    }
    return request;
}

int sim_cmd_ctl(int argc, char **argv) {
    const char *device_dir = NULL;
    int first = 1;
    while (first < argc && strncmp(argv[first], "--", 2) == 0) {
        if (strcmp(argv[first], "--help") == 0) {
            fputs(ctl_usage, stdout);
            return 0;
        }
        if (strcmp(argv[first], "--device-dir") == 0 && first + 1 < argc) {
            device_dir = argv[first + 1];
            first += 2;
            continue;
        }
        return sim_cli_usage_error("ctl: unknown option '%s' (see --help)", argv[first]);
    }
    if (first >= argc) {
        return sim_cli_usage_error("ctl: expected a command (see --help)");
    }
    char socket_path[PATH_MAX];
    if (device_dir != NULL) {
        if (sim_cli_join(socket_path, sizeof(socket_path), device_dir, "/ctl.sock") != 0) {
            return 1;
        }
    } else {
        char home[PATH_MAX];
        if (sim_cli_home(home, sizeof(home)) != 0 ||
            sim_cli_join(socket_path, sizeof(socket_path), home, "/devices/default/ctl.sock") !=
                0) {
            return sim_cli_fail("ctl: state directory path too long");
        }
    }
    const char *error = NULL;
    cJSON *request = build_request(argc - first, argv + first, &error);
    if (request == NULL) {
        return sim_cli_usage_error("%s", error);
    }
    char *text = cJSON_PrintUnformatted(request);
    cJSON_Delete(request);
    static char reply_text[65536];
    char err[512];
    int status =
        sim_ctl_request(socket_path, text, reply_text, sizeof(reply_text), err, sizeof(err));
    free(text);
    if (status != 0) {
        return sim_cli_fail("ctl: %s", err);
    }
    cJSON *reply = cJSON_Parse(reply_text);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(reply, "ok");
    if (!cJSON_IsBool(ok)) {
        cJSON_Delete(reply);
        return sim_cli_fail("ctl: the device sent an unreadable reply");
    }
    if (cJSON_IsFalse(ok)) {
        const cJSON *message = cJSON_GetObjectItemCaseSensitive(reply, "error");
        status = sim_cli_fail(
            "ctl: %s", cJSON_IsString(message) ? message->valuestring : "the device refused");
        cJSON_Delete(reply);
        return status;
    }
    const char *verb = argv[first];
    const cJSON *proxy_reply = cJSON_GetObjectItemCaseSensitive(reply, "reply");
    if (strcmp(verb, "proxy") == 0 && cJSON_IsString(proxy_reply)) {
        fputs(proxy_reply->valuestring, stdout);
        if (proxy_reply->valuestring[0] != '\0' &&
            proxy_reply->valuestring[strlen(proxy_reply->valuestring) - 1] != '\n') {
            fputc('\n', stdout);
        }
    } else if (is_one_of(verb, "status", "gpio", "sensor", "adc", "potentiometer", "clock", "cert",
                         NULL)) {
        cJSON_DeleteItemFromObjectCaseSensitive(reply, "ok");
        char *pretty = cJSON_Print(reply);
        if (pretty != NULL) {
            puts(pretty);
            free(pretty);
        }
    }
    cJSON_Delete(reply);
    return 0;
}
