// SPDX-License-Identifier: MIT
// `spheresim hub fault ...`: the hub's fault hooks from the command line, through the HTTP service
// API's POST /spheresim/faults/{fault} exactly as a scenario or a test script would call it:
// restart the broker, kick a device, drop or delay twin answers and method requests, throttle.
#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_hub_api.h"

#define RESTART_TIMEOUT_S 60 /* stop (up to 7 s), start (up to 10 s), reconnect (up to 10 s) */
#define MAX_RATE 100000
#define MAX_DELAY_MS 600000

static const char fault_usage[] =
    "usage: spheresim hub fault FAULT [--state-dir D] ...\n"
    "\n"
    "  broker-restart [--kill]     stop the broker and start it again on the same port; state in\n"
    "                              hub.db survives, devices see their connection drop and must\n"
    "                              reconnect (--kill: SIGKILL, a crash, instead of SIGTERM)\n"
    "  server-ca untrusted|trusted restart the broker presenting a server certificate from a CA\n"
    "                              devices do not trust (a TLS-intercepting middlebox), or the\n"
    "                              hub's own again; devices see their connection drop\n"
    "  kick ID                     drop the device's connection\n"
    "  twin|method normal|drop|delay [--device ID] [--delay-ms N]\n"
    "                              drop or delay the hub's twin answers / method requests, for\n"
    "                              one device or (without --device) every device\n"
    "  throttle [--device ID] [--twin N] [--telemetry N]\n"
    "                              per-second rates (0 = unlimited) for one device or, without\n"
    "                              --device, the whole hub; past them twin requests get 429\n"
    "\n"
    "Settings other than broker-restart and server-ca last until changed or until the broker\n"
    "restarts; server-ca lasts until changed or until 'hub start' starts the broker anew.\n"
    "Exit 0 on success; 1 with the hub's reason; 3 when the hub is not running.\n";

struct fault_args {
    const char *state_dir;
    const char *device;
    const char *delay_ms;
    const char *twin;
    const char *telemetry;
    const char *pos[3];
    int pos_count;
    bool kill;
    bool help;
};

static int parse(int argc, char **argv, struct fault_args *args) {
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char **slot = strcmp(arg, "--state-dir") == 0   ? &args->state_dir
                            : strcmp(arg, "--device") == 0    ? &args->device
                            : strcmp(arg, "--delay-ms") == 0  ? &args->delay_ms
                            : strcmp(arg, "--twin") == 0      ? &args->twin
                            : strcmp(arg, "--telemetry") == 0 ? &args->telemetry
                                                              : NULL;
        if (slot != NULL) {
            if (i + 1 >= argc) {
                return sim_cli_usage_error("hub fault: %s needs a value", arg);
            }
            *slot = argv[++i];
        } else if (strcmp(arg, "--kill") == 0) {
            args->kill = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            args->help = true;
        } else if (strncmp(arg, "--", 2) == 0) {
            return sim_cli_usage_error("hub fault: unknown option '%s' (see --help)", arg);
        } else if (args->pos_count == 3) {
            return sim_cli_usage_error("hub fault: unexpected argument '%s'", arg);
        } else {
            args->pos[args->pos_count++] = arg;
        }
    }
    return 0;
}

// Adds an integer option in [0, max] to body under name; false (after reporting) when malformed.
static bool add_number(cJSON *body, const char *name, const char *option, const char *text,
                       long max) {
    if (text == NULL) {
        return true;
    }
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || value < 0 || value > max) {
        sim_cli_usage_error("hub fault: %s must be 0-%ld, not '%s'", option, max, text);
        return false;
    }
    cJSON_AddNumberToObject(body, name, (double)value);
    return true;
}

// Checks the words and options for the fault and builds its request body. Returns 0, or the
// exit status after reporting.
static int build_body(const struct fault_args *args, const char *fault, cJSON *body) {
    bool restart = strcmp(fault, "broker-restart") == 0;
    bool server_ca = strcmp(fault, "server-ca") == 0;
    bool kick = strcmp(fault, "kick") == 0;
    bool throttle = strcmp(fault, "throttle") == 0;
    bool mode = strcmp(fault, "twin") == 0 || strcmp(fault, "method") == 0;
    if (!restart && !server_ca && !kick && !throttle && !mode) {
        return sim_cli_usage_error(
            "hub fault: unknown fault '%s' (broker-restart, server-ca, kick, twin, method, "
            "throttle)",
            fault);
    }
    if (server_ca &&
        (args->pos_count != 2 || args->kill || args->device || args->delay_ms || args->twin ||
         args->telemetry ||
         (strcmp(args->pos[1], "untrusted") != 0 && strcmp(args->pos[1], "trusted") != 0))) {
        return sim_cli_usage_error("hub fault server-ca: expected untrusted or trusted");
    }
    if (server_ca) {
        cJSON_AddStringToObject(body, "ca", args->pos[1]);
        return 0;
    }
    int words = kick || mode ? 2 : 1;
    bool device_ok = mode || throttle;
    if (args->pos_count != words || (args->kill && !restart) || (args->device && !device_ok) ||
        (args->delay_ms && !mode) || ((args->twin || args->telemetry) && !throttle)) {
        return sim_cli_usage_error(
            "hub fault %s: wrong arguments (see 'spheresim hub fault --help')", fault);
    }
    if (restart && args->kill) {
        cJSON_AddStringToObject(body, "signal", "SIGKILL");
    }
    const char *device = kick ? args->pos[1] : args->device;
    if (device != NULL) {
        cJSON_AddStringToObject(body, "deviceId", device);
    }
    if (mode) {
        cJSON_AddStringToObject(body, "mode", args->pos[1]);
    }
    if (!add_number(body, "delayMs", "--delay-ms", args->delay_ms, MAX_DELAY_MS) ||
        !add_number(body, "twinPerSecond", "--twin", args->twin, MAX_RATE) ||
        !add_number(body, "telemetryPerSecond", "--telemetry", args->telemetry, MAX_RATE)) {
        return 2;
    }
    if (throttle && args->twin == NULL && args->telemetry == NULL) {
        return sim_cli_usage_error("hub fault throttle: give --twin N and/or --telemetry N");
    }
    return 0;
}

int sim_cmd_hub_fault(int argc, char **argv) {
    struct fault_args args;
    int status = parse(argc, argv, &args);
    if (status != 0) {
        return status;
    }
    if (args.help) {
        fputs(fault_usage, stdout);
        return 0;
    }
    if (args.pos_count == 0) {
        return sim_cli_usage_error("hub fault: which fault? (see 'spheresim hub fault --help')");
    }
    const char *fault = args.pos[0];
    cJSON *body = cJSON_CreateObject();
    if (body == NULL) {
        return sim_cli_fail("hub fault: out of memory");
    }
    status = build_body(&args, fault, body);
    char state_dir[PATH_MAX];
    char home[PATH_MAX];
    if (status == 0 && args.state_dir == NULL &&
        (sim_cli_home(home, sizeof(home)) != 0 ||
         sim_cli_join(state_dir, sizeof(state_dir), home, "/hub") != 0)) {
        status = sim_cli_fail("hub fault: SPHERESIM_HOME path too long");
    } else if (status == 0 && args.state_dir != NULL &&
               snprintf(state_dir, sizeof(state_dir), "%s", args.state_dir) >=
                   (int)sizeof(state_dir)) {
        status = sim_cli_fail("hub fault: --state-dir path too long");
    }
    if (status != 0) {
        cJSON_Delete(body);
        return status;
    }
    char label[32];
    char path[64];
    snprintf(label, sizeof(label), "fault %s", fault);
    snprintf(path, sizeof(path), "/spheresim/faults/%s", fault);
    struct hub_api api;
    status = hub_api_open(state_dir, label, &api);
    if (status == 0) {
        bool restarts = strcmp(fault, "broker-restart") == 0 || strcmp(fault, "server-ca") == 0;
        status =
            hub_api_call_and_print(&api, "POST", path, body, restarts ? RESTART_TIMEOUT_S : 30);
    }
    hub_api_close(&api);
    cJSON_Delete(body);
    return status;
}
