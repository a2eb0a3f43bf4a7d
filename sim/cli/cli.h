// SPDX-License-Identifier: MIT
// The spheresim command line: one function per verb. Each returns the process exit status and
// reports failures as one line on stderr starting with "spheresim: ".
#pragma once

#include <stddef.h>

int sim_cmd_run(int argc, char **argv);
int sim_cmd_ctl(int argc, char **argv);
int sim_cmd_hub(int argc, char **argv);
int sim_cmd_image(int argc, char **argv);
int sim_cmd_reports(int argc, char **argv);
int sim_cmd_scenario(int argc, char **argv);
int sim_cmd_deploy(int argc, char **argv);
// `hub serve` (argv[0] is "serve"): the hub's HTTP service process, which `hub start` runs.
int sim_cmd_hub_serve(int argc, char **argv);
// The hub verbs that go through the HTTP service API; argv[0] is the verb (serve, twin, method,
// c2d, telemetry). Returns -1, printing nothing, when the verb is not one of these.
int sim_cmd_hub_service(int argc, char **argv);
// `hub enrollment …` and `hub dps …` (argv[0] is the verb): the local Device Provisioning
// Service's enrollments and registration credentials. Returns -1, printing nothing, for other
// verbs.
int sim_cmd_hub_enrollment(int argc, char **argv);

// Prints "spheresim: <message>" to stderr and returns 2 (usage) for use as `return usage(...)`.
int sim_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// Prints "spheresim: <message>" to stderr and returns 1.
int sim_cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

// The per-user state root: $SPHERESIM_HOME, else $XDG_STATE_HOME/spheresim, else
// ~/.local/state/spheresim. Returns 0, or -1 if it does not fit.
int sim_cli_home(char *out, size_t out_size);

// Writes "<dir><suffix>" into out. Returns 0, or -1 (after reporting "path too long") if it
// does not fit.
int sim_cli_join(char *out, size_t out_size, const char *dir, const char *suffix);
