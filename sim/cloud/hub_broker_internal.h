// SPDX-License-Identifier: MIT
// Shared by hub_broker.c, hub_broker_launch.c and hub_service_process.c only: the process checks
// for the children `hub start` leaves running (the broker and the HTTP service process), and
// launching the broker, which both `hub start` and a broker restart (hub_broker_restart) do.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cloud/hub_broker.h"

#define HUB_BROKER_READY_TIMEOUT_MS 10000
#define HUB_BROKER_POLL_MS 50

// True when pid is a live (not zombie) process whose command line contains needle, so a recycled
// pid is never mistaken for ours.
bool hub_broker_process_alive(long pid, const char *needle);

// The pid in <state_dir>/<name>, 0 when missing or malformed.
long hub_broker_read_pid(const char *state_dir, const char *name);

// What runs the broker: the executable, the plugin it loads and the TLS shim preloaded into it.
struct hub_broker_launch {
    char mosquitto[PATH_MAX];
    char plugin[PATH_MAX];
    char preload[PATH_MAX];
    char tenant_dir[PATH_MAX];
    char pki_dir[PATH_MAX];
};

// Finds mosquitto, the plugin and the TLS preload library (environment overrides first).
// ERR_START with a hint naming what is missing.
enum hub_broker_result hub_broker_find_programs(struct hub_broker_launch *launch, char *err,
                                                size_t err_size);

// Starts mosquitto with info->config_path, detached, output appended to info->log_path. Safe to
// call from a multi-threaded process: the child only execs. Returns the pid, or -1 (err set).
pid_t hub_broker_spawn(const struct hub_broker_info *info, const struct hub_broker_launch *launch,
                       char *err, size_t err_size);

// Waits until the broker's port listens. 1 = ready, 0 = the broker exited, -1 = timed out (the
// broker is still running).
int hub_broker_wait_ready(pid_t pid, int port);

// The last lines the broker wrote to log_path since offset, joined with " | ", for an error.
void hub_broker_log_tail(const char *log_path, off_t offset, char *out, size_t out_size);

// SIGKILL and reap a child of this process.
void hub_broker_kill_wait(pid_t pid);

// Waits up to timeout_ms for the process (a broker of config_path) to be gone; reaps it if it is
// this process's child. True when it is gone.
bool hub_broker_wait_gone(long pid, const char *config_path, long timeout_ms);

// sleep that survives signals.
void hub_broker_sleep_ms(long ms);

// Points the listener's certfile and keyfile lines in config_path at server_dir's server.pem and
// server.key (hub_server_ca.c), keeping every other line. ERR_INVALID when the file does not have
// exactly one of each or server_dir cannot be written into it; ERR_IO when it cannot be
// read or replaced.
enum hub_broker_result hub_broker_config_set_server_dir(const char *config_path,
                                                        const char *server_dir, char *err,
                                                        size_t err_size);
