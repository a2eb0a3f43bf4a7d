// SPDX-License-Identifier: MIT
// The scenario runner: executes a validated scenario model (scenario.h) against real processes.
// It starts a local hub and one `spheresim run` per device in a private temporary directory,
// runs the steps at their device times, watches the devices (control socket, log, records,
// the hub's service API) and decides each expectation. Progress goes to a stream as it happens;
// a JSON trace and a JUnit test case are written at the end. Whatever it started is stopped
// before it returns, also on failure and on SIGINT/SIGTERM.
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "runner/scenario.h"

struct scn_run_config {
    const char *spheresim;  // the spheresim binary that runs devices and the hub
    bool has_seed;          // overrides the scenario's seed
    uint64_t seed;
    const char *trace_path;  // NULL: no trace file
    const char *work_dir;    // parent of the temporary state directory; NULL: $TMPDIR or /tmp
    bool keep;               // keep the state directory afterwards (its path is printed)
    FILE *progress;          // progress lines; NULL for none
    // The command that replays this run, without --seed (the runner adds it): printed on failure
    // and recorded in the trace.
    const char *replay_prefix;
};

enum scn_run_status {
    SCN_RUN_PASSED = 0,
    SCN_RUN_FAILED,       // a step or an expectation failed
    SCN_RUN_ERROR,        // the scenario could not be run (set-up, unsupported action, ...)
    SCN_RUN_INTERRUPTED,  // SIGINT or SIGTERM
    SCN_RUN_SKIPPED,      // it needs something this build does not have yet (said in failures)
};

// One failed expectation or step, for the JUnit report.
struct scn_run_failure {
    char message[1024];  // one line: what was expected, what was seen, device time, location
    char type[32];       // "expectation", "step", "error", "time-limit", "unsupported"
};

#define SCN_RUN_MAX_FAILURES 64

struct scn_run_result {
    enum scn_run_status status;
    uint64_t seed;
    double seconds;  // wall time of the run
    size_t expectations_passed;
    size_t expectations_failed;
    size_t failure_count;  // failures[] holds the first SCN_RUN_MAX_FAILURES
    struct scn_run_failure failures[SCN_RUN_MAX_FAILURES];
    char replay[2048];    // the replay command
    char log_tail[4096];  // the last lines the devices logged (for the report's system-out)
};

// Runs one scenario. Always fills *out (status SCN_RUN_ERROR with one failure explaining why when
// it cannot run). Installs SIGINT/SIGTERM/SIGHUP handlers for the duration of the run; a signal
// stops the run, cleans up and returns SCN_RUN_INTERRUPTED.
void scn_run(const struct scn_scenario *scenario, const struct scn_run_config *config,
             struct scn_run_result *out);

// True once SIGINT/SIGTERM/SIGHUP arrived during scn_run (so a caller running several scenarios
// stops too).
bool scn_run_interrupted(void);

// Writes a JUnit XML report with one test case per scenario. names[i] and files[i] describe
// results[i]. Returns 0, or -1 with errno when the file cannot be written.
int scn_junit_write(const char *path, const char *const *names, const char *const *files,
                    const struct scn_run_result *results, size_t count);
