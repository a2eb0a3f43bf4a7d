// SPDX-License-Identifier: MIT
// `spheresim reports`: a device's failure report (app exits and crashes, crash loops, reboots,
// and update events), aggregated as the tenant error report is. It reads the device directory,
// so it works whether the device is running or not; with --device ID it reads what the device
// uploaded to the update service instead, through the service's API.
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "os/failure_report.h"
#include "os/fs_util.h"
#include "update/update_client.h"
#include "update/update_service.h"
#include "update/update_store.h"

static const char reports_usage[] =
    "usage: spheresim reports [--device-dir D] [--json | --csv]\n"
    "       spheresim reports --device ID [--state-dir D] [--json | --csv]\n"
    "\n"
    "Prints the device's failure report: one row per kind of event per reporting day, with how\n"
    "often it happened and when it first and last did (device time, UTC). Event types are\n"
    "Planned (updates, reboots) or Unplanned (app exits, crashes, crash loops, failed updates,\n"
    "rollbacks); the class is Application or OS.\n"
    "\n"
    "  --device-dir D   the device's state directory (default $SPHERESIM_HOME/devices/default)\n"
    "  --device ID      instead, the report the device uploaded to the update service (devices\n"
    "                   upload their events at each update check)\n"
    "  --state-dir D    that service's state directory (default $SPHERESIM_HOME/update)\n"
    "  --json           a JSON array of objects (deviceId, eventType, eventClass, eventCount,\n"
    "                   description, startTime, endTime)\n"
    "  --csv            CSV with a header row, the columns of the tenant error report\n";

enum report_format { FORMAT_TABLE, FORMAT_JSON, FORMAT_CSV };

static int print_report(const char *events_path, const char *device_id, enum report_format format);

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

// Fetches the events device_id uploaded to the update service in state_dir (started if needed)
// into a temporary file, whose path goes to out_path. Returns 0 or spheresim's exit status.
static int fetch_uploaded_events(const char *state_dir, const char *device_id, char *out_path,
                                 size_t out_size) {
    char exe[PATH_MAX];
    char tenant[PATH_MAX];
    char home[PATH_MAX];
    char err[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 || sim_cli_home(home, sizeof(home)) != 0 ||
        sim_cli_join(tenant, sizeof(tenant), home, "/tenant") != 0) {
        return sim_cli_fail("reports: cannot find the spheresim executable or state directory");
    }
    exe[n] = '\0';
    struct update_service_info info;
    bool already = false;
    if (update_service_start(exe, state_dir, tenant, 0, &info, &already, err, sizeof(err)) != 0) {
        return sim_cli_fail("reports: %s", err);
    }
    struct update_client client;
    char path[256];
    long status = 0;
    char *body = NULL;
    size_t len = 0;
    snprintf(path, sizeof(path), "/update/v1/devices/%s/events", device_id);
    if (update_client_open(state_dir, &client, err, sizeof(err)) != 0 ||
        update_client_call(&client, "GET", path, NULL, 0, NULL, &status, &body, &len, err,
                           sizeof(err)) != 0) {
        return sim_cli_fail("reports: %s", err);
    }
    if (status != 200) {
        char message[512];
        update_client_error_text(body, message, sizeof(message));
        free(body);
        return sim_cli_fail("reports: the update service refused (HTTP %ld): %s", status, message);
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(out_path, out_size, "%s/spheresim-report.XXXXXX", tmp != NULL ? tmp : "/tmp");
    int fd = mkostemp(out_path, O_CLOEXEC);
    bool ok = fd >= 0 && write(fd, body, len) == (ssize_t)len;
    if (fd >= 0) {
        close(fd);
    }
    free(body);
    if (!ok) {
        if (fd >= 0) {
            unlink(out_path);
        }
        return sim_cli_fail("reports: cannot write a temporary file: %s", strerror(errno));
    }
    return 0;
}

int sim_cmd_reports(int argc, char **argv) {
    const char *device_dir = NULL;
    const char *device = NULL;
    const char *state_dir = NULL;
    enum report_format format = FORMAT_TABLE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(reports_usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--device-dir") == 0 && i + 1 < argc) {
            device_dir = argv[++i];
        } else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc) {
            device = argv[++i];
        } else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc) {
            state_dir = argv[++i];
        } else if (strcmp(argv[i], "--json") == 0) {
            format = FORMAT_JSON;
        } else if (strcmp(argv[i], "--csv") == 0) {
            format = FORMAT_CSV;
        } else {
            return sim_cli_usage_error("reports: unexpected argument '%s' (see --help)", argv[i]);
        }
    }
    if (device != NULL || state_dir != NULL) {
        if (device == NULL || device_dir != NULL || !update_device_id_valid(device)) {
            return sim_cli_usage_error(
                "reports: --state-dir goes with --device ID (a device id), not --device-dir");
        }
        char default_state[PATH_MAX];
        char home[PATH_MAX];
        if (state_dir == NULL) {
            if (sim_cli_home(home, sizeof(home)) != 0 ||
                sim_cli_join(default_state, sizeof(default_state), home, "/update") != 0) {
                return 1;
            }
            state_dir = default_state;
        }
        char events[PATH_MAX];
        char device_id[UPDATE_DEVICE_ID_MAX + 1];
        snprintf(device_id, sizeof(device_id), "%s", device);
        for (char *c = device_id; *c != '\0'; c++) {
            *c = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
        }
        int status = fetch_uploaded_events(state_dir, device_id, events, sizeof(events));
        if (status != 0) {
            return status;
        }
        status = print_report(events, device_id, format);
        unlink(events);
        return status;
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
    return print_report(events_path, device_id, format);
}

static int print_report(const char *events_path, const char *device_id, enum report_format format) {
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
