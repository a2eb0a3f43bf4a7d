// SPDX-License-Identifier: MIT
// Running the update service: the local stand-in for the cloud service that deploys images to
// devices (AS3). One process per state directory serves the HTTPS API (update_server.h); the
// CLI starts it on demand and leaves it running, as `run --hub local` does with the hub.
//
// The state directory holds, besides the store (update_store.h):
//   service.json   {"pid","port","url","ca"} while the service runs: how devices and the CLI
//                  find it (devices read it from `run --update-service-dir`, by default the same
//                  $SPHERESIM_HOME/update that `deploy --state-dir` defaults to)
//   admin.token    the administrator's bearer token (mode 0600)
//   pki/           the service's own CA (ca.pem, which clients trust) and server certificate
//   service.lock   held by the running service
//   service.log    its output
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

struct update_service_info {
    bool running;
    int pid;
    int port;
    char url[128];
    char ca[PATH_MAX];
};

// The service process itself (`spheresim deploy --serve`): takes the lock, makes sure the token,
// the PKI and the tenant CA (in tenant_dir) exist, serves until SIGTERM or SIGINT, then removes
// service.json. Returns the process's exit status, after reporting a problem on stderr.
int update_service_serve(const char *state_dir, const char *tenant_dir, int port);

// Whether a service runs for state_dir (service.json names a live process that answers).
// Returns 0 (out->running tells), or -1 with a reason in err for damaged files.
int update_service_query(const char *state_dir, struct update_service_info *out, char *err,
                         size_t err_size);

// Starts the service for state_dir unless one runs (*out_already), by running `exe deploy
// --serve` in the background, and waits until it answers. Returns 0, or -1 with a reason in err.
int update_service_start(const char *exe, const char *state_dir, const char *tenant_dir, int port,
                         struct update_service_info *out, bool *out_already, char *err,
                         size_t err_size);

// Stops the service for state_dir (SIGTERM, SIGKILL after 5 s). *out_was_running tells whether
// there was one. Returns 0, or -1 with a reason in err.
int update_service_stop(const char *state_dir, bool *out_was_running, char *err, size_t err_size);
