// SPDX-License-Identifier: MIT
// The records of an app's exit; see supervisor_exit_record.h.
#include "os/supervisor_exit_record.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "os/exit_records.h"
#include "os/failure_events.h"

static void print_privilege_report(struct sim_supervisor *s) {
    static char report[8192];
    struct sim_device *d = s->device;
    if (sim_audit_report_json(&d->audit, &d->manifest, report, sizeof(report)) < 0) {
        return;
    }
    sim_device_log_os(&d->log, "least-privilege report: %s", report);
    char path[PATH_MAX];
    if (sim_device_path(d, "records/privilege-report.json", path, sizeof(path)) == 0) {
        FILE *file = fopen(path, "we");
        if (file != NULL) {
            fprintf(file, "%s\n", report);
            fclose(file);
        }
    }
}

static const char *exit_reason(const struct sim_supervisor *s, bool signaled, int code,
                               bool over_budget) {
    if (s->after_exit == SIM_AFTER_POWER_CUT) {
        return "power-cut";
    }
    // The app's allocator marked its stats page and killed it: whatever the OS was doing
    // (even stopping it), the app died of its memory use.
    if (over_budget && signaled && code == SIGKILL) {
        return "memory-budget";
    }
    // The app may still have exited by itself in the instant before SIGKILL landed.
    if (s->sigkill_sent && signaled && code == SIGKILL) {
        return "killed-after-sigterm-timeout";
    }
    if (s->sigterm_sent) {
        return "stopped";
    }
    return signaled ? "crash" : "exit";
}

// Exits the OS asked for (SIGTERM before a reboot, update or power-down, or a power cut) are not
// failures; the planned event that caused them is recorded instead. An app that ignores SIGTERM
// until SIGKILL is.
static void record_exit_event(struct sim_supervisor *s, int status, const char *reason,
                              const struct sim_app_stats_snapshot *stats) {
    if (strcmp(reason, "exit") != 0 && strcmp(reason, "crash") != 0 &&
        strcmp(reason, "killed-after-sigterm-timeout") != 0 &&
        strcmp(reason, "memory-budget") != 0) {
        return;
    }
    const char *component_id = s->device->manifest.component_id;
    char description[SIM_EVENT_DESCRIPTION_MAX];
    if (strcmp(reason, "memory-budget") == 0) {
        sim_app_stats_describe_budget_kill(description, sizeof(description), status,
                                           stats->budget_bytes, component_id, s->image_id);
    } else if (WIFSIGNALED(status)) {
        sim_failure_describe_app_crash(description, sizeof(description), status, WTERMSIG(status),
                                       component_id, s->image_id);
    } else {
        sim_failure_describe_app_exit(description, sizeof(description), WEXITSTATUS(status),
                                      component_id, s->image_id);
    }
    sim_failure_event_record(s->device, SIM_EVENT_UNPLANNED, SIM_EVENT_CLASS_APPLICATION,
                             description);
}

void sim_supervisor_record_exit(struct sim_supervisor *s, int status, int64_t ran_ms) {
    struct sim_device *d = s->device;
    bool signaled = WIFSIGNALED(status);
    int code = signaled ? WTERMSIG(status) : WEXITSTATUS(status);
    struct sim_app_stats_snapshot stats;
    (void)sim_app_stats_read(&s->app.stats, &stats);
    sim_app_stats_release(&s->app.stats);
    const char *reason = exit_reason(s, signaled, code, stats.budget_exceeded);
    struct sim_exit_record record = {.time_ms = sim_clock_now_ms(&d->clock),
                                     .ran_ms = ran_ms,
                                     .signaled = signaled,
                                     .exit_code = signaled ? 0 : code,
                                     .signal = signaled ? code : 0,
                                     .reason = reason};
    snprintf(record.component_id, sizeof(record.component_id), "%s", d->manifest.component_id);
    char path[PATH_MAX];
    if (sim_device_path(d, "records/exits.jsonl", path, sizeof(path)) != 0 ||
        sim_exit_record_append(path, &record) != 0) {
        sim_device_log_os(&d->log, "could not record the app's exit: %s", strerror(errno));
    }
    if (strcmp(reason, "memory-budget") == 0) {
        // The figures are the app's own; the heap it asked for is what it held plus the request,
        // rounded up so that it reads as over the budget.
        uint64_t wanted = stats.heap_in_use_bytes + stats.budget_request_bytes;
        sim_device_log_os(&d->log,
                          "app killed: its heap would grow to %" PRIu64
                          " KiB, over its memory budget of %" PRIu64 " KiB (%" PRIu64
                          " KiB held, %" PRIu64 " bytes requested)",
                          (wanted + 1023) / 1024, stats.budget_bytes / 1024,
                          stats.heap_in_use_bytes / 1024, stats.budget_request_bytes);
    }
    record_exit_event(s, status, reason, &stats);
    s->last_exit = (struct sim_last_exit){
        .valid = true, .signaled = signaled, .code = code, .time_ms = record.time_ms};
    snprintf(s->last_exit.reason, sizeof(s->last_exit.reason), "%s", reason);
    if (signaled) {
        sim_device_log_os(&d->log, "app exited: signal %d (SIG%s), %s, after %lld ms", code,
                          sigabbrev_np(code) ? sigabbrev_np(code) : "?", reason, (long long)ran_ms);
    } else {
        sim_device_log_os(&d->log, "app exited: code %d, %s, after %lld ms", code, reason,
                          (long long)ran_ms);
    }
    print_privilege_report(s);
}
