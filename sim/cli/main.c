// SPDX-License-Identifier: MIT
// spheresim: runs an Azure Sphere high-level app on Linux inside a simulated MT3620 device.
// This file only dispatches to the verbs.
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: spheresim <command> [options]\n"
    "\n"
    "commands:\n"
    "  run APP_DIR_OR_BINARY   run an app inside a simulated device\n"
    "  ctl --device-dir D ...  drive a running device (status, buttons, network, power)\n"
    "  hub start|stop|status   run the local IoT Hub; hub device, hub telemetry\n"
    "  image pack|sign|inspect build, sign and check signed image packages\n"
    "  deploy IMAGE --device ID|--group G\n"
    "                          deploy an image package through the local update service\n"
    "  reports                 a device's failure report (exits, crashes, reboots, updates)\n"
    "  scenario FILE...        run fault-injection scenarios (JUnit XML, JSON trace)\n"
    "\n"
    "Run 'spheresim <command> --help' for a command's options.\n";

int main(int argc, char **argv) {
    if (argc < 2) {
        return sim_cli_usage_error("expected a command (try 'spheresim --help')");
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(verb, "run") == 0) {
        return sim_cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(verb, "ctl") == 0) {
        return sim_cmd_ctl(argc - 1, argv + 1);
    }
    if (strcmp(verb, "hub") == 0) {
        return sim_cmd_hub(argc - 1, argv + 1);
    }
    if (strcmp(verb, "reports") == 0) {
        return sim_cmd_reports(argc - 1, argv + 1);
    }
    if (strcmp(verb, "image") == 0) {
        return sim_cmd_image(argc - 1, argv + 1);
    }
    if (strcmp(verb, "scenario") == 0) {
        return sim_cmd_scenario(argc - 1, argv + 1);
    }
    if (strcmp(verb, "deploy") == 0) {
        return sim_cmd_deploy(argc - 1, argv + 1);
    }
    return sim_cli_usage_error("unknown command '%s' (try 'spheresim --help')", verb);
}
