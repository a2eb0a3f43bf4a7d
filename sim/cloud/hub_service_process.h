// SPDX-License-Identifier: MIT
// The hub's HTTP service process beside the broker: `hub start` runs `spheresim hub serve` (this
// same executable, found through /proc/self/exe) detached into its own session once the broker is
// up, and `hub stop` ends it before the broker. The service process writes <state>/service.pid
// and <state>/service.json {"httpPort"} itself; it talks to the broker as the service client with
// <state>/service.token, which hub_service_token_ensure creates.
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cloud/hub_broker.h"

#define HUB_SERVICE_LOG "service.log"

// Makes sure <state_dir>/service.token holds a service token: 32 random bytes as 64 hex digits,
// mode 0600. An existing well-formed token is kept (clients already hold it).
enum hub_broker_result hub_service_token_ensure(const char *state_dir, char *err, size_t err_size);

// Starts the service process for the broker on mqtt_port (whose TLS certificate ca_file
// verifies) unless one already runs for state_dir,
// and returns once GET /spheresim/health answers 200 (ERR_START after about 10 s, with the tail
// of service.log). http_port 0 lets it pick a free port. *out_pid and *out_http_port describe the
// running service either way.
enum hub_broker_result hub_service_process_start(const char *state_dir, int mqtt_port,
                                                 const char *ca_file, int http_port, long *out_pid,
                                                 int *out_http_port, char *err, size_t err_size);

// SIGTERM, then SIGKILL after 5 s. ERR_NOT_RUNNING when no service process runs.
enum hub_broker_result hub_service_process_stop(const char *state_dir, char *err, size_t err_size);

// The running service's pid (0 when none) and its HTTP port from service.json (0 when unknown).
void hub_service_process_query(const char *state_dir, long *out_pid, int *out_http_port);
