// SPDX-License-Identifier: MIT
// `spheresim run`: loads the app's image package and manifest, prepares the device (state
// directory, identity, board) and hands over to the supervisor until the device is stopped.
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/run_hub.h"
#include "os/app_stats.h"
#include "os/fs_util.h"
#include "os/hwdef.h"
#include "os/device_proxy.h"
#include "os/supervisor.h"
#include "os/update_agent.h"

static const char run_usage[] =
    "usage: spheresim run APP_DIR_OR_BINARY [options]\n"
    "\n"
    "Runs a high-level app inside a simulated MT3620 device until interrupted (Ctrl-C), or once\n"
    "with --once. APP_DIR is an unpacked image package (app_manifest.json + bin/app, as\n"
    "spheresim_add_app builds it); a BINARY is run with the manifest next to it or --manifest.\n"
    "\n"
    "options:\n"
    "  --manifest F      use this app_manifest.json instead of the package's\n"
    "  --board NAME      board model and hardware definition (default mt3620_rdb)\n"
    "  --hardware-definition F\n"
    "                    resolve the manifest's $NAMEs with this hardware definition JSON\n"
    "                    (default: the board's sample_appliance.json)\n"
    "  --device-dir D    the device's state directory (default $SPHERESIM_HOME/devices/default)\n"
    "  --once            run the app once; exit with its exit code, or 128+signal\n"
    "  --network-down    boot with the network down\n"
    "  --time-unsynced   boot with the time server not answering: the link is up, but time is\n"
    "                    not synced (nor networking ready) until 'ctl time-sync synced'\n"
    "  --net-seed N      seed for the fault proxy's random choices (default: from the device\n"
    "                    id); every TCP connection of the app runs through the proxy\n"
    "  --hub local|HOSTNAME\n"
    "                    local: use (and start if needed) the local hub, register the device\n"
    "                    and map <hub>.azure-devices.net and the DPS host to it; HOSTNAME: a\n"
    "                    real hub, names resolve with real DNS (default: neither)\n"
    "  --hub-state-dir D the local hub's state directory (default $SPHERESIM_HOME/hub)\n"
    "  --map-host NAME[:PORT]=ADDRESS[:PORT]\n"
    "                    resolve NAME to a loopback endpoint (repeatable; ADDRESS in 127/8)\n"
    "  --clock-rate N    run device time N times as fast as real time "
    "(0.001-1000000)\n"
    "  --memory-budget SIZE|off\n"
    "                    the app's RAM budget: an allocation past it kills the app, as on the\n"
    "                    device (default 256KiB, the MT3620's; 16KiB-1024MiB; not enforced in\n"
    "                    AddressSanitizer builds)\n" SIM_UPDATE_RUN_USAGE
    "  --debug           log every device-bus request\n"
    "  --help            show this help\n";

struct run_options {
    const char *target;
    const char *manifest;
    const char *board;
    const char *hardware_definition;
    const char *device_dir;
    bool once;
    bool network_down;
    bool time_unsynced;
    bool debug;
    const char *hub;
    const char *hub_state_dir;
    const char *map_hosts[SIM_NET_MAX_HOSTS];
    size_t map_host_count;
    double clock_rate;
    bool have_net_seed;
    uint64_t net_seed;
    uint64_t memory_budget_bytes;  // 0: none
    struct sim_update_config update;
};

// FNV-1a: a device keeps the same proxy decisions from run to run unless --net-seed says otherwise.
static uint64_t seed_from_text(const char *text) {
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        hash = (hash ^ *p) * 0x100000001b3ull;
    }
    return hash;
}

static int parse_options(int argc, char **argv, struct run_options *out, bool *out_help) {
    static const struct option options[] = {
        {"manifest", required_argument, NULL, 'm'},
        {"board", required_argument, NULL, 'b'},
        {"device-dir", required_argument, NULL, 'd'},
        {"once", no_argument, NULL, 'o'},
        {"network-down", no_argument, NULL, 'n'},
        {"time-unsynced", no_argument, NULL, 'T'},
        {"debug", no_argument, NULL, 'g'},
        {"hub", required_argument, NULL, 'H'},
        {"hub-state-dir", required_argument, NULL, 'S'},
        {"map-host", required_argument, NULL, 'M'},
        {"clock-rate", required_argument, NULL, 'r'},
        {"net-seed", required_argument, NULL, 's'},
        {"memory-budget", required_argument, NULL, 'B'},
        {"help", no_argument, NULL, 'h'},
        SIM_UPDATE_RUN_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    *out = (struct run_options){
        .board = "mt3620_rdb", .clock_rate = 1, .memory_budget_bytes = SIM_MEMORY_BUDGET_DEFAULT};
    sim_update_config_init(&out->update);
    *out_help = false;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (opt >= SIM_UPDATE_OPTION_BASE &&
            opt < SIM_UPDATE_OPTION_BASE + SIM_UPDATE_OPTION_COUNT) {
            char err[256];
            if (sim_update_config_option(&out->update, opt, optarg, err, sizeof(err)) != 0) {
                return sim_cli_usage_error("run: %s", err);
            }
            continue;
        }
        switch (opt) {
            case 'm':
                out->manifest = optarg;
                break;
            case 'b':
                out->board = optarg;
                break;
            case 'd':
                out->device_dir = optarg;
                break;
            case 'o':
                out->once = true;
                break;
            case 'n':
                out->network_down = true;
                break;
            case 'T':
                out->time_unsynced = true;
                break;
            case 'g':
                out->debug = true;
                break;
            case 'r':
                if (sim_clock_parse_rate(optarg, &out->clock_rate) != SIM_CLOCK_OK) {
                    return sim_cli_usage_error(
                        "run: --clock-rate '%s' is not a rate from 0.001 to 1000000", optarg);
                }
                break;
            case 's': {
                char *end = NULL;
                errno = 0;
                out->net_seed = strtoull(optarg, &end, 10);
                if (optarg[0] < '0' || optarg[0] > '9' || *end != '\0' || errno != 0) {
                    return sim_cli_usage_error(
                        "run: --net-seed '%s' is not a number from 0 to 18446744073709551615",
                        optarg);
                }
                out->have_net_seed = true;
                break;
            }
            case 'B': {
                char err[320];
                if (sim_app_stats_parse_budget(optarg, &out->memory_budget_bytes, err,
                                               sizeof(err)) != 0) {
                    return sim_cli_usage_error("run: --memory-budget %s", err);
                }
                break;
            }
            case 'H':
                out->hub = optarg;
                break;
            case 'S':
                out->hub_state_dir = optarg;
                break;
            case 'M':
                if (out->map_host_count == SIM_NET_MAX_HOSTS) {
                    return sim_cli_usage_error("run: at most %d --map-host options",
                                               SIM_NET_MAX_HOSTS);
                }
                out->map_hosts[out->map_host_count++] = optarg;
                break;
            case 'h':
                *out_help = true;
                return 0;
            default:
                return sim_cli_usage_error("run: unknown or incomplete option '%s' (see --help)",
                                           argv[optind - 1]);
        }
    }
    if (optind != argc - 1) {
        return sim_cli_usage_error("run: expected one APP_DIR_OR_BINARY (see --help)");
    }
    if (out->hub_state_dir != NULL && (out->hub == NULL || strcmp(out->hub, "local") != 0)) {
        return sim_cli_usage_error("run: --hub-state-dir goes with --hub local");
    }
    if (out->hub != NULL && !sim_run_hub_valid(out->hub)) {
        return sim_cli_usage_error("run: --hub expects 'local' or a host name, not '%s'", out->hub);
    }
    // Checked here, before anything is created on disk; applied in prepare_network.
    static struct sim_net_policy scratch;
    sim_net_policy_init(&scratch);
    char err[512];
    for (size_t i = 0; i < out->map_host_count; i++) {
        if (sim_net_policy_map_text(&scratch, out->map_hosts[i], err, sizeof(err)) != SIM_NET_OK) {
            return sim_cli_usage_error("run: --map-host %s", err);
        }
    }
    out->target = argv[optind];
    return 0;
}

// The device's host map from --map-host, then the hub's names and trust root from --hub.
static int prepare_network(const struct run_options *opts, struct sim_device *device,
                           const char *home) {
    sim_net_policy_init(&device->net);
    char err[512];
    for (size_t i = 0; i < opts->map_host_count; i++) {
        if (sim_net_policy_map_text(&device->net, opts->map_hosts[i], err, sizeof(err)) !=
            SIM_NET_OK) {
            return sim_cli_usage_error("run: --map-host %s", err);
        }
    }
    return opts->hub != NULL ? sim_run_hub_prepare(device, home, opts->hub, opts->hub_state_dir)
                             : 0;
}

static int copy_path(char *out, size_t out_size, const char *text) {
    int n = snprintf(out, out_size, "%s", text);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

// Works out the package root, the binary to run (empty: the manifest's EntryPoint) and the
// default manifest path from what the user named.
static int locate_package(const char *target, struct sim_device *device, char *manifest_default,
                          size_t manifest_size) {
    char resolved[PATH_MAX];
    struct stat st;
    if (realpath(target, resolved) == NULL || stat(resolved, &st) != 0) {
        return sim_cli_fail("run: %s: %s", target, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        copy_path(device->package_dir, sizeof(device->package_dir), resolved);
        device->executable[0] = '\0';
    } else {
        copy_path(device->executable, sizeof(device->executable), resolved);
        char dir[PATH_MAX];
        copy_path(dir, sizeof(dir), resolved);
        char *parent = dirname(dir);
        // A binary inside a package's bin/ belongs to the package above it.
        const char *base = strrchr(parent, '/');
        if (base != NULL && strcmp(base, "/bin") == 0 && base != parent) {
            parent[base - parent] = '\0';
        }
        copy_path(device->package_dir, sizeof(device->package_dir), parent);
    }
    int n = snprintf(manifest_default, manifest_size, "%s/app_manifest.json", device->package_dir);
    return n < 0 || (size_t)n >= manifest_size ? sim_cli_fail("run: package path too long") : 0;
}

static int load_manifest(const struct run_options *opts, struct sim_device *device,
                         const char *manifest_default) {
    const char *manifest_path = opts->manifest != NULL ? opts->manifest : manifest_default;
    copy_path(device->manifest_path, sizeof(device->manifest_path), manifest_path);
    const char *hw_path = opts->hardware_definition != NULL
                              ? opts->hardware_definition
                              : sim_hwdef_default_for_board(opts->board);
    if (hw_path == NULL) {
        return sim_cli_fail("run: unknown board '%s' (known: mt3620_rdb)", opts->board);
    }
    static struct sim_hwdef hw;
    char err[1024];
    if (sim_hwdef_load(hw_path, &hw, err, sizeof(err)) != SIM_HWDEF_OK) {
        return sim_cli_fail("run: %s", err);
    }
    if (sim_manifest_load(manifest_path, &hw, &device->manifest, err, sizeof(err)) !=
        SIM_MANIFEST_OK) {
        return sim_cli_fail("run: the app can't be installed: %s", err);
    }
    if (device->executable[0] == '\0') {
        int n = snprintf(device->executable, sizeof(device->executable), "%s%s",
                         device->package_dir, device->manifest.entry_point);
        if (n < 0 || (size_t)n >= sizeof(device->executable)) {
            return sim_cli_fail("run: entry point path too long");
        }
    }
    if (access(device->executable, X_OK) != 0) {
        return sim_cli_fail("run: %s: EntryPoint %s is not an executable in the package (%s)",
                            manifest_path, device->manifest.entry_point, strerror(errno));
    }
    return 0;
}

// Creates the state directories and takes the device's lock, held until spheresim exits.
static int prepare_device_dir(struct sim_device *device) {
    static const char *const subdirs[] = {"", "/storage", "/certs", "/logs", "/records"};
    char err[512];
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        char path[PATH_MAX];
        if (sim_cli_join(path, sizeof(path), device->dir, subdirs[i]) != 0) {
            return 1;
        }
        if (sim_fs_make_dirs(path, 0700, err, sizeof(err)) != 0) {
            return sim_cli_fail("run: %s", err);
        }
    }
    char lock_path[PATH_MAX];
    sim_device_path(device, "lock", lock_path, sizeof(lock_path));
    int lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        return sim_cli_fail("run: device directory %s is in use by another spheresim", device->dir);
    }
    return 0;
}

static int prepare_identity(struct sim_device *device) {
    char err[1024];
    if (sim_tenant_ca_ensure(device->tenant_dir, err, sizeof(err)) != SIM_IDENTITY_OK ||
        sim_device_id_ensure(device->dir, device->device_id, err, sizeof(err)) != SIM_IDENTITY_OK) {
        return sim_cli_fail("run: %s", err);
    }
    sim_device_path(device, "certs/device.pem", device->cert_path, sizeof(device->cert_path));
    return 0;
}

int sim_cmd_run(int argc, char **argv) {
    static struct sim_device device;
    static struct sim_supervisor supervisor;
    struct run_options opts;
    bool help = false;
    int status = parse_options(argc, argv, &opts, &help);
    if (status != 0 || help) {
        if (help) {
            fputs(run_usage, stdout);
        }
        return status;
    }
    char home[PATH_MAX];
    char manifest_default[PATH_MAX];
    if (sim_cli_home(home, sizeof(home)) != 0) {
        return sim_cli_fail("run: state directory path too long");
    }
    if (sim_cli_join(device.tenant_dir, sizeof(device.tenant_dir), home, "/tenant") != 0 ||
        sim_cli_join(device.dir, sizeof(device.dir),
                     opts.device_dir != NULL ? opts.device_dir : home,
                     opts.device_dir != NULL ? "" : "/devices/default") != 0) {
        return 1;
    }
    if ((status = locate_package(opts.target, &device, manifest_default,
                                 sizeof(manifest_default))) != 0 ||
        (status = load_manifest(&opts, &device, manifest_default)) != 0 ||
        (status = prepare_device_dir(&device)) != 0 || (status = prepare_identity(&device)) != 0) {
        return status;
    }
    char err[512];
    if (sim_board_init(&device.board, opts.board, err, sizeof(err)) != SIM_BOARD_OK) {
        return sim_cli_fail("run: %s", err);
    }
    char log_path[PATH_MAX];
    sim_device_path(&device, "logs/device.log", log_path, sizeof(log_path));
    sim_clock_init(&device.clock);
    sim_clock_set_rate(&device.clock, opts.clock_rate);  // checked by parse_options
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (sim_device_log_open(&device.log, log_path, stdout, &device.clock) != 0) {
        return sim_cli_fail("run: %s: %s", log_path, strerror(errno));
    }
    device.network = (struct sim_network){.link_up = !opts.network_down,
                                          .interface_enabled = true,
                                          .time_sync_enabled = true,
                                          .time_server_down = opts.time_unsynced};
    device.sysevent_fd = -1;
    device.debug = opts.debug;
    sim_fault_page_set_memory_budget(&device.faults, opts.memory_budget_bytes);
    // The app becomes the installed (factory) image in an A/B slot, which the device runs from.
    static struct sim_update_agent *update_agent;
    const char *hw_path = opts.hardware_definition != NULL
                              ? opts.hardware_definition
                              : sim_hwdef_default_for_board(opts.board);
    char update_err[1024];
    if (sim_update_config_finish(&opts.update, home, hw_path, update_err, sizeof(update_err)) !=
            0 ||
        sim_update_agent_prepare(&update_agent, &device, &opts.update, update_err,
                                 sizeof(update_err)) != 0) {
        sim_device_log_close(&device.log);
        return sim_cli_fail("run: %s", update_err);
    }
    if ((status = prepare_network(&opts, &device, home)) != 0) {
        sim_update_agent_free(update_agent);
        sim_device_log_close(&device.log);
        return status;
    }
    uint64_t net_seed = opts.have_net_seed ? opts.net_seed : seed_from_text(device.device_id);
    char proxy_err[256];
    if (sim_device_proxy_start(&device, net_seed, proxy_err, sizeof(proxy_err)) != 0) {
        sim_update_agent_free(update_agent);
        sim_device_log_close(&device.log);
        return sim_cli_fail("run: %s", proxy_err);
    }
    char ctl_path[PATH_MAX];
    sim_device_path(&device, "ctl.sock", ctl_path, sizeof(ctl_path));
    sim_device_log_os(&device.log, "device %s: app %s, state in %s", device.device_id,
                      device.executable, device.dir);
    sim_device_log_os(&device.log,
                      "net: the app's TCP connections run through the fault proxy "
                      "(seed %llu)",
                      (unsigned long long)net_seed);
    char budget_text[128];
    sim_app_stats_budget_text(opts.memory_budget_bytes, budget_text, sizeof(budget_text));
    sim_device_log_os(&device.log, "memory budget: %s", budget_text);
    status = sim_supervisor_run(&supervisor, &device, opts.once, ctl_path);
    sim_device_proxy_stop(&device);
    sim_update_agent_free(update_agent);
    sim_device_log_close(&device.log);
    return status;
}
