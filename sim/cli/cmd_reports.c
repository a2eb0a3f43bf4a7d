// SPDX-License-Identifier: MIT
// `spheresim reports`: a device's failure report (app exits and crashes, crash loops, reboots,
// and update events), aggregated as the tenant error report is. It reads the device directory
// only, so it works whether the device is running or not.
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "os/failure_report.h"
#include "os/fs_util.h"

static const char reports_usage[] =
    "usage: spheresim reports [--device-dir D] [--json | --csv]\n"
    "\n"
    "Prints the device's failure report: one row per kind of event per reporting day, with how\n"
    "often it happened and when it first and last did (device time, UTC). Event types are\n"
    "Planned (updates, reboots) or Unplanned (app exits, crashes, crash loops, failed updates,\n"
    "rollbacks); the class is Application or OS.\n"
    "\n"
    "  --device-dir D   the device's state directory (default $SPHERESIM_HOME/devices/default)\n"
    "  --json           a JSON array of objects (deviceId, eventType, eventClass, eventCount,\n"
    "                   description, startTime, endTime)\n"
    "  --csv            CSV with a header row, the columns of the tenant error report\n";

enum report_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

// The device id as the OS wrote it; never created here (a mistyped directory is an error).
static int read_device_id(const char *device_dir, char out[129]) {
    char path[PATH_MAX];
    if (sim_cli_join(path, sizeof(path), device_dir, "/device_id") != 0) {
        return -1;
    }
    char text[131];
    size_t len = 0;
    char err[PATH_MAX + 64];
    if (sim_fs_read_file(path, text, sizeof(text) - 1, &len, err, sizeof(err)) != 0) {
        if (errno == ENOENT) {
            sim_cli_fail("reports: %s is not a device directory (it has no device_id)", device_dir);
        } else {
            sim_cli_fail("reports: %s", err);
        }
        return -1;
    }
    text[len] = '\0';
    text[strcspn(text, "\n")] = '\0';
    if (strlen(text) > 128) {
        sim_cli_fail("reports: %s holds no device id", path);
        return -1;
    }
    memcpy(out, text, strlen(text) + 1);
    return 0;
}

int sim_cmd_reports(int argc, char **argv) {
    const char *device_dir = NULL;
    enum report_format format = FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(reports_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--device-dir") == 0 && i + 1 < argc) {
            device_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            format = FORMAT_JSON;
        } else if (strcmp(argv[i], "--csv") == 0) {
            format = FORMAT_CSV;
        } else {
            return sim_cli_usage_error("reports: unexpected argument '%s' (see --help)", argv[i]);
        }
    }
    char default_dir[PATH_MAX];
    if (device_dir == NULL) {
        char home[PATH_MAX];
        if (sim_cli_home(home, sizeof(home)) != 0 ||
            sim_cli_join(default_dir, sizeof(default_dir), home, "/devices/default") != 0) {
            return sim_cli_fail("reports: state directory path too long");
        }
        device_dir = default_dir;
    }
    char device_id[129];
    if (read_device_id(device_dir, device_id) != 0) {
        return 1;
    }
    char events_path[PATH_MAX];
    if (sim_cli_join(events_path, sizeof(events_path), device_dir, "/records/events.jsonl") != 0) {
        return 1;
    }
    struct sim_report report;
    char err[PATH_MAX + 128];
    enum sim_report_result result =
        sim_report_load(events_path, device_id, &report, err, sizeof(err));
    if (result != SIM_REPORT_OK) {
        sim_report_free(&report);
        return sim_cli_fail("reports: %s", err);
    }
    switch (format) {
        case FORMAT_TABLE:
            sim_report_write_table(&report, stdout);
            break;
        case FORMAT_JSON:
            sim_report_write_json(&report, stdout);
            break;
        case FORMAT_CSV:
            sim_report_write_csv(&report, stdout);
            break;
    }
    sim_report_free(&report);
    return 0;
}
