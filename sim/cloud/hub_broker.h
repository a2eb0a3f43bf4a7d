// SPDX-License-Identifier: MIT
// Running the local hub: the state directory's layout, the broker's PKI and configuration, and
// starting, stopping and querying Debian's mosquitto with the spheresim hub plugin loaded.
//
// State directory:
//   pki/ca.pem, ca.key          hub root CA (devices trust it for the hub)
//   pki/server.pem, server.key  broker certificate: localhost, 127.0.0.1, {name}.azure-devices.net,
//                               global.azure-devices-provisioning.net and any extra names
//   mosquitto.conf              generated on every start
//   hub.db                      SQLite: registry, twins, C2D queue, telemetry, connection events
//   hub.json                    what `hub status --json` prints, written on every start
//   broker.pid, broker.log      the running broker
//   service.token               the service clients' password (0600; hub_service_process.h)
//   service.pid, service.json, service.log   the HTTP service process (`hub serve`)
//   devices/ID.pem              X.509 credentials issued by `hub device add`
// Client certificates are verified against the tenant CA (sim/os/identity.h); the broker runs on
// 127.0.0.1 only, as a child detached into its own session, and outlives the command that
// started it. It runs with libspheresim_hub_tls.so preloaded (hub_tls_preload.c), because
// mosquitto 2.0 alone cannot ask for a client certificate without requiring one, and IoT Hub's
// one port takes certificate and SAS devices alike.
#pragma once

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define HUB_BROKER_DEFAULT_NAME "spheresim"
#define HUB_BROKER_HOST_SUFFIX ".azure-devices.net"
#define HUB_BROKER_DPS_HOST "global.azure-devices-provisioning.net"
#define HUB_BROKER_MAX_EXTRA_NAMES 16

enum hub_broker_result {
    HUB_BROKER_OK = 0,
    HUB_BROKER_ERR_IO,           // the state directory or a file in it could not be used
    HUB_BROKER_ERR_INVALID,      // bad options (port, names, paths mosquitto.conf cannot hold)
    HUB_BROKER_ERR_START,        // mosquitto, the plugin or the PKI failed; the broker is not up
    HUB_BROKER_ERR_NOT_RUNNING,  // stop: there was no broker to stop
};

struct hub_broker_options {
    const char *state_dir;
    const char *tenant_dir;  // the tenant CA's directory; created if missing
    const char *hub_name;    // NULL: HUB_BROKER_DEFAULT_NAME
    int port;                // 0: the previous port if free, else any free loopback port
    const char *extra_names[HUB_BROKER_MAX_EXTRA_NAMES];  // more server certificate names
    size_t extra_name_count;
    bool verbose_log;  // broker logs every packet (for debugging and tests)
};

struct hub_broker_info {
    bool running;
    long pid;          // 0 when not running
    int port;          // 0 when never started
    long service_pid;  // the HTTP service process; 0 when it does not run
    int http_port;     // its port; 0 when it does not run
    char hub_name[64];
    char hub_hostname[128];
    char state_dir[PATH_MAX];
    char ca_path[PATH_MAX];         // hub root CA: what devices verify the hub with
    char tenant_ca_path[PATH_MAX];  // what the hub verifies device certificates with
    char db_path[PATH_MAX];
    char log_path[PATH_MAX];
    char config_path[PATH_MAX];
};

// Starts the broker unless one is already running for this state directory, and returns once its
// TLS port accepts connections (or after about 10 s with ERR_START); then the HTTP service
// process, unless it runs, once GET /spheresim/health answers (a broker whose service cannot
// start is stopped again: ERR_START). *out_already_running tells
// which happened; out_info describes the running hub either way. On ERR_START err ends with the
// last lines of broker.log.
enum hub_broker_result hub_broker_start(const struct hub_broker_options *options,
                                        struct hub_broker_info *out_info, bool *out_already_running,
                                        char *err, size_t err_size);

// Stops the HTTP service process, then the broker: SIGTERM, then SIGKILL after 5 s.
// ERR_NOT_RUNNING if no broker was running (a stale pid file is removed) or state_dir holds no
// hub (then nothing is created in it).
enum hub_broker_result hub_broker_stop(const char *state_dir, char *err, size_t err_size);

// Restarts the running broker of state_dir with the configuration it was started with (the same
// port, certificates and plugin), keeping every state hub.db holds; the broker's own sessions go,
// so connected clients see their connection drop and must reconnect. kill_hard stops the old
// broker with SIGKILL (a crash: the next start replays the telemetry journal) instead of SIGTERM
// (SIGKILL after 5 s). Returns once the new broker listens, with out_info describing it.
// ERR_NOT_RUNNING when no broker runs (or state_dir holds no hub); ERR_START when the new one did
// not come up (then none runs, and err ends with the tail of broker.log); ERR_IO otherwise.
enum hub_broker_result hub_broker_restart(const char *state_dir, bool kill_hard,
                                          struct hub_broker_info *out_info, char *err,
                                          size_t err_size);

enum hub_broker_server_ca {
    HUB_BROKER_SERVER_CA_KEEP = 0,
    HUB_BROKER_SERVER_CA_TRUSTED,    // the hub's own certificate, from the CA devices trust
    HUB_BROKER_SERVER_CA_UNTRUSTED,  // one with the same names from an unrelated CA (hub_pki.h)
};

// The untrusted_ca fault: restarts the running broker as hub_broker_restart does (SIGTERM), its
// listener presenting the chosen certificate, so that connected devices drop and every new TLS
// handshake verifies (TRUSTED) or fails verification (UNTRUSTED). The choice lasts until changed
// or until `hub start` starts the broker anew, which always presents the hub's own. Errors as for
// hub_broker_restart, and ERR_INVALID for KEEP or a configuration it cannot rewrite.
enum hub_broker_result hub_broker_set_server_ca(const char *state_dir,
                                                enum hub_broker_server_ca server_ca,
                                                struct hub_broker_info *out_info, char *err,
                                                size_t err_size);

// Describes the hub in state_dir from hub.json and the pid file, whether or not it runs. A hub
// never started gets the default name and tenant_dir's CA. ERR_IO only if state_dir is unusable.
enum hub_broker_result hub_broker_query(const char *state_dir, const char *tenant_dir,
                                        struct hub_broker_info *out_info, char *err,
                                        size_t err_size);

// The info as the JSON object `hub status --json` prints. NULL when out of memory.
cJSON *hub_broker_info_to_json(const struct hub_broker_info *info);
