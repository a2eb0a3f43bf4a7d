// SPDX-License-Identifier: MIT
// `spheresim hub`: runs the local IoT Hub (start, stop, status), manages its device registry and
// shows the telemetry it accepted. Registry and telemetry commands work on the hub's SQLite
// database directly, whether or not the broker runs; the plugin reads the registry on every
// connection attempt, so changes apply to the next CONNECT.
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cloud/hub_broker.h"
#include "cloud/hub_protocol.h"
#include "cloud/hub_sas.h"
#include "cloud/hub_store.h"
#include "cloud/hub_ingest.h"
#include "cloud/hub_journal.h"
#include "cloud/hub_telemetry.h"
#include "os/fs_util.h"
#include "os/identity.h"

#define DEVICE_CERT_VALIDITY_SECONDS (24L * 3600)
#define DEFAULT_SAS_EXPIRY_SECONDS 3600L
#define EXIT_NOT_RUNNING 3

static const char hub_usage[] =
    "usage: spheresim hub COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  start [--port N] [--name NAME] [--san NAME]... [--verbose] [--json]\n"
    "                              start the local hub on 127.0.0.1 (MQTT over TLS) and its\n"
    "                              HTTP service API unless they run; returns once both answer\n"
    "  stop                        stop both (SIGTERM, SIGKILL after 5 s)\n"
    "  status [--json]             exit 0 when running, 3 when not\n"
    "  device add ID [--x509|--sas]\n"
    "                              register a device; prints its credentials as JSON\n"
    "                              (--x509, the default: a 24 h certificate from the tenant CA)\n"
    "  device list                 the registry as a JSON array\n"
    "  device remove ID            unregister a device\n"
    "  device sas-token ID [--expiry-seconds N]\n"
    "                              print a SAS token (MQTT password) for a SAS device\n"
    "  telemetry ID [--json]       the telemetry the hub accepted from a device (read from\n"
    "                              its database; --follow, --after, --limit go through the\n"
    "                              service API)\n"
    "  twin, method, c2d           drive the hub through its HTTP service API; see\n"
    "                              'spheresim hub twin --help'\n"
    "  fault                       restart the broker, kick, drop, delay, throttle; see\n"
    "                              'spheresim hub fault --help'\n"
    "  enrollment, dps             the local Device Provisioning Service's enrollments and\n"
    "                              registration credentials; see 'spheresim hub dps --help'\n"
    "\n"
    "Every command takes --state-dir D (default $SPHERESIM_HOME/hub); only start creates a\n"
    "hub there, the others fail when D holds none. --name sets the hub name (default\n"
    "spheresim: spheresim.azure-devices.net); --san adds a server certificate name. Device\n"
    "credentials come from the tenant CA in $SPHERESIM_HOME/tenant.\n";

enum option_flag {
    OPT_STATE_DIR = 1 << 0,
    OPT_PORT = 1 << 1,
    OPT_NAME = 1 << 2,
    OPT_SAN = 1 << 3,
    OPT_VERBOSE = 1 << 4,
    OPT_JSON = 1 << 5,
    OPT_AUTH = 1 << 6,
    OPT_EXPIRY = 1 << 7,
};

struct hub_args {
    unsigned seen;
    const char *state_dir;
    const char *name;
    long port;
    long expiry_seconds;
    const char *sans[HUB_BROKER_MAX_EXTRA_NAMES];
    size_t san_count;
    bool verbose;
    bool json;
    bool sas;
    const char *positional[3];
    int positional_count;
};

static bool parse_long(const char *text, long min, long max, long *out) {
    char *end = NULL;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || value < min || value > max) {
        return false;
    }
    *out = value;
    return true;
}

// Parses options anywhere among the words; returns 0, or the exit status after reporting.
static int parse_args(int argc, char **argv, struct hub_args *args) {
    memset(args, 0, sizeof *args);
    args->expiry_seconds = DEFAULT_SAS_EXPIRY_SECONDS;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes_value = strcmp(arg, "--state-dir") == 0 || strcmp(arg, "--port") == 0 ||
                           strcmp(arg, "--name") == 0 || strcmp(arg, "--san") == 0 ||
                           strcmp(arg, "--expiry-seconds") == 0;
        if (takes_value && value == NULL) {
            return sim_cli_usage_error("hub: %s needs a value", arg);
        }
        if (strcmp(arg, "--state-dir") == 0) {
            args->state_dir = value;
            args->seen |= OPT_STATE_DIR;
        } else if (strcmp(arg, "--port") == 0) {
            if (!parse_long(value, 1, 65535, &args->port)) {
                return sim_cli_usage_error("hub: --port must be 1-65535, not '%s'", value);
            }
            args->seen |= OPT_PORT;
        } else if (strcmp(arg, "--name") == 0) {
            args->name = value;
            args->seen |= OPT_NAME;
        } else if (strcmp(arg, "--san") == 0) {
            if (args->san_count == HUB_BROKER_MAX_EXTRA_NAMES) {
                return sim_cli_usage_error("hub: at most %d --san names",
                                           HUB_BROKER_MAX_EXTRA_NAMES);
            }
            args->sans[args->san_count++] = value;
            args->seen |= OPT_SAN;
        } else if (strcmp(arg, "--expiry-seconds") == 0) {
            if (!parse_long(value, -315360000L, 315360000L, &args->expiry_seconds)) {
                return sim_cli_usage_error("hub: --expiry-seconds must be a number of seconds");
            }
            args->seen |= OPT_EXPIRY;
        } else if (strcmp(arg, "--verbose") == 0) {
            args->verbose = true;
            args->seen |= OPT_VERBOSE;
            continue;
        } else if (strcmp(arg, "--json") == 0) {
            args->json = true;
            args->seen |= OPT_JSON;
            continue;
        } else if (strcmp(arg, "--x509") == 0 || strcmp(arg, "--sas") == 0) {
            args->sas = strcmp(arg, "--sas") == 0;
            args->seen |= OPT_AUTH;
            continue;
        } else if (strncmp(arg, "--", 2) == 0) {
            return sim_cli_usage_error("hub: unknown option '%s' (see 'spheresim hub --help')",
                                       arg);
        } else {
            if (args->positional_count == 3) {
                return sim_cli_usage_error("hub: unexpected argument '%s'", arg);
            }
            args->positional[args->positional_count++] = arg;
            continue;
        }
        i++;  // the option's value
    }
    return 0;
}

// Checks that only `allowed` options were given and exactly `words` positional words.
static int expect(const struct hub_args *args, unsigned allowed, int words, const char *command) {
    if ((args->seen & ~(allowed | OPT_STATE_DIR)) != 0) {
        return sim_cli_usage_error("hub %s: option not valid here (see 'spheresim hub --help')",
                                   command);
    }
    if (args->positional_count != words) {
        return sim_cli_usage_error(
            "hub %s: wrong number of arguments (see 'spheresim hub "
            "--help')",
            command);
    }
    return 0;
}

struct hub_paths {
    char home[PATH_MAX];
    char state_dir[PATH_MAX];
    char tenant_dir[PATH_MAX];
};

static int resolve_paths(const struct hub_args *args, struct hub_paths *paths) {
    if (sim_cli_home(paths->home, sizeof paths->home) != 0) {
        return sim_cli_fail("hub: SPHERESIM_HOME path too long");
    }
    if (sim_cli_join(paths->tenant_dir, sizeof paths->tenant_dir, paths->home, "/tenant") != 0) {
        return 1;
    }
    if (args->state_dir != NULL) {
        int n = snprintf(paths->state_dir, sizeof paths->state_dir, "%s", args->state_dir);
        if (n < 0 || (size_t)n >= sizeof paths->state_dir) {
            return sim_cli_fail("hub: --state-dir path too long");
        }
        return 0;
    }
    return sim_cli_join(paths->state_dir, sizeof paths->state_dir, paths->home, "/hub") != 0;
}

static void print_json(cJSON *json) {
    char *text = json != NULL ? cJSON_Print(json) : NULL;
    if (text != NULL) {
        puts(text);
        cJSON_free(text);
    }
}

static void print_info(const struct hub_broker_info *info, bool json) {
    if (json) {
        cJSON *object = hub_broker_info_to_json(info);
        print_json(object);
        cJSON_Delete(object);
        return;
    }
    if (!info->running) {
        printf("hub %s: not running (state in %s)\n", info->hub_hostname, info->state_dir);
        return;
    }
    printf("hub %s: running (pid %ld) on 127.0.0.1:%d\n", info->hub_hostname, info->pid,
           info->port);
    if (info->http_port > 0) {
        printf("  service API: http://127.0.0.1:%d (pid %ld)\n", info->http_port,
               info->service_pid);
    } else {
        printf("  service API: not running ('hub start' starts it again)\n");
    }
    printf("  CA certificate (devices trust):  %s\n", info->ca_path);
    printf("  tenant CA (device certificates): %s\n", info->tenant_ca_path);
    printf("  state: %s  log: %s\n", info->state_dir, info->log_path);
}

static int hub_start(const struct hub_args *args, const struct hub_paths *paths) {
    int status = expect(args, OPT_PORT | OPT_NAME | OPT_SAN | OPT_VERBOSE | OPT_JSON, 1, "start");
    if (status != 0) {
        return status;
    }
    struct hub_broker_options options = {
        .state_dir = paths->state_dir,
        .tenant_dir = paths->tenant_dir,
        .hub_name = args->name,
        .port = (int)args->port,
        .extra_name_count = args->san_count,
        .verbose_log = args->verbose,
    };
    memcpy(options.extra_names, args->sans, args->san_count * sizeof args->sans[0]);
    static struct hub_broker_info info;
    bool already = false;
    char err[2048];
    if (hub_broker_start(&options, &info, &already, err, sizeof err) != HUB_BROKER_OK) {
        return sim_cli_fail("hub start: %s", err);
    }
    if (already && !args->json) {
        printf("already running\n");
    }
    print_info(&info, args->json);
    return 0;
}

static int hub_stop(const struct hub_args *args, const struct hub_paths *paths) {
    int status = expect(args, 0, 1, "stop");
    if (status != 0) {
        return status;
    }
    if (!hub_store_state_exists(paths->state_dir)) {
        return sim_cli_fail("hub stop: %s holds no hub (no " HUB_STORE_FILE ")", paths->state_dir);
    }
    char err[512];
    enum hub_broker_result result = hub_broker_stop(paths->state_dir, err, sizeof err);
    if (result == HUB_BROKER_ERR_NOT_RUNNING) {
        printf("%s\n", err);
        return 0;
    }
    if (result != HUB_BROKER_OK) {
        return sim_cli_fail("hub stop: %s", err);
    }
    printf("stopped\n");
    return 0;
}

static int hub_status(const struct hub_args *args, const struct hub_paths *paths) {
    int status = expect(args, OPT_JSON, 1, "status");
    if (status != 0) {
        return status;
    }
    static struct hub_broker_info info;
    char err[512];
    if (hub_broker_query(paths->state_dir, paths->tenant_dir, &info, err, sizeof err) !=
        HUB_BROKER_OK) {
        return sim_cli_fail("hub status: %s", err);
    }
    print_info(&info, args->json);
    return info.running ? 0 : EXIT_NOT_RUNNING;
}

// Opens the database of the hub in the state directory. Only `hub start` creates a hub: a
// directory without one (a mistyped --state-dir) is an error, and nothing is created in it.
static struct hub_store *open_store(const struct hub_paths *paths, const char *command) {
    char err[512];
    char db_path[PATH_MAX];
    if (!hub_store_state_exists(paths->state_dir)) {
        sim_cli_fail("hub %s: %s holds no hub (no " HUB_STORE_FILE
                     "); 'spheresim hub start --state-dir %s' creates one",
                     command, paths->state_dir, paths->state_dir);
        return NULL;
    }
    if (sim_cli_join(db_path, sizeof db_path, paths->state_dir, "/" HUB_STORE_FILE) != 0) {
        return NULL;
    }
    struct hub_store *store = NULL;
    if (hub_store_open(db_path, &store, err, sizeof err) != HUB_STORE_OK) {
        sim_cli_fail("hub %s: %s", command, err);
        return NULL;
    }
    return store;
}

// Adds the fields every credential printout shares.
static void add_hub_fields(cJSON *object, const struct hub_broker_info *info) {
    cJSON_AddStringToObject(object, "hubHostname", info->hub_hostname);
    cJSON_AddStringToObject(object, "caCertificate", info->ca_path);
    if (info->port > 0) {
        cJSON_AddNumberToObject(object, "port", info->port);
    } else {
        cJSON_AddNullToObject(object, "port");
    }
}

// The tenant CA this hub trusts: the one it was started with, else the per-user one.
static void tenant_dir_of(const struct hub_broker_info *info, const struct hub_paths *paths,
                          char *out, size_t out_size) {
    const char *slash = strrchr(info->tenant_ca_path, '/');
    if (slash != NULL && slash != info->tenant_ca_path) {
        snprintf(out, out_size, "%.*s", (int)(slash - info->tenant_ca_path), info->tenant_ca_path);
    } else {
        snprintf(out, out_size, "%s", paths->tenant_dir);
    }
}

static int issue_certificate(const struct hub_broker_info *info, const struct hub_paths *paths,
                             const char *device_id, char *out_path, size_t out_size) {
    char tenant_dir[PATH_MAX];
    char devices_dir[PATH_MAX];
    char err[512];
    tenant_dir_of(info, paths, tenant_dir, sizeof tenant_dir);
    if (sim_cli_join(devices_dir, sizeof devices_dir, info->state_dir, "/devices") != 0) {
        return 1;
    }
    int n = snprintf(out_path, out_size, "%s/%s.pem", devices_dir, device_id);
    if (n < 0 || (size_t)n >= out_size) {
        return sim_cli_fail("hub device add: path too long");
    }
    if (sim_tenant_ca_ensure(tenant_dir, err, sizeof err) != SIM_IDENTITY_OK ||
        sim_fs_make_dirs(devices_dir, 0700, err, sizeof err) != 0 ||
        sim_device_cert_issue(tenant_dir, device_id, time(NULL), DEVICE_CERT_VALIDITY_SECONDS,
                              out_path, err, sizeof err) != SIM_IDENTITY_OK) {
        return sim_cli_fail("hub device add: %s", err);
    }
    return 0;
}

static int device_add(const struct hub_args *args, const struct hub_paths *paths,
                      const struct hub_broker_info *info, struct hub_store *store) {
    const char *id = args->positional[2];
    struct hub_device device = {.auth = args->sas ? HUB_AUTH_SAS : HUB_AUTH_X509, .enabled = true};
    snprintf(device.device_id, sizeof device.device_id, "%s", id);
    if (args->sas &&
        (hub_sas_key_generate(device.primary_key, sizeof device.primary_key) != 0 ||
         hub_sas_key_generate(device.secondary_key, sizeof device.secondary_key) != 0)) {
        return sim_cli_fail("hub device add: cannot generate a key");
    }
    if (hub_store_device_add(store, &device) != HUB_STORE_OK) {
        return sim_cli_fail("hub device add: %s", hub_store_error(store));
    }
    char cert_path[PATH_MAX];
    if (!args->sas && issue_certificate(info, paths, id, cert_path, sizeof cert_path) != 0) {
        hub_store_device_remove(store, id);  // no half-made device
        return 1;
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "deviceId", id);
    cJSON_AddStringToObject(out, "authentication", hub_auth_type_name(device.auth));
    if (args->sas) {
        cJSON_AddStringToObject(out, "primaryKey", device.primary_key);
        cJSON_AddStringToObject(out, "secondaryKey", device.secondary_key);
    } else {
        cJSON_AddStringToObject(out, "certificate", cert_path);
    }
    add_hub_fields(out, info);
    print_json(out);
    cJSON_Delete(out);
    return 0;
}

static int list_one(const struct hub_device *device, void *ctx) {
    cJSON *item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "deviceId", device->device_id);
    cJSON_AddStringToObject(item, "authentication", hub_auth_type_name(device->auth));
    cJSON_AddStringToObject(item, "status", device->enabled ? "enabled" : "disabled");
    cJSON_AddStringToObject(item, "createdTime", device->created_time);
    if (device->auth == HUB_AUTH_SAS) {
        cJSON_AddStringToObject(item, "primaryKey", device->primary_key);
        cJSON_AddStringToObject(item, "secondaryKey", device->secondary_key);
    }
    cJSON_AddItemToArray(ctx, item);
    return 0;
}

static int device_remove(const struct hub_args *args, const struct hub_broker_info *info,
                         struct hub_store *store) {
    const char *id = args->positional[2];
    if (hub_store_device_remove(store, id) != HUB_STORE_OK) {
        return sim_cli_fail("hub device remove: %s", hub_store_error(store));
    }
    char cert_path[PATH_MAX];
    int n = snprintf(cert_path, sizeof cert_path, "%s/devices/%s.pem", info->state_dir, id);
    if (n > 0 && (size_t)n < sizeof cert_path) {
        remove(cert_path);
    }
    printf("removed %s\n", id);
    return 0;
}

static int device_sas_token(const struct hub_args *args, const struct hub_broker_info *info,
                            struct hub_store *store) {
    const char *id = args->positional[2];
    struct hub_device device;
    if (hub_store_device_get(store, id, &device) != HUB_STORE_OK) {
        return sim_cli_fail("hub device sas-token: %s", hub_store_error(store));
    }
    if (device.auth != HUB_AUTH_SAS) {
        return sim_cli_fail("hub device sas-token: %s authenticates with X.509, not SAS", id);
    }
    char resource[HUB_SAS_MAX_RESOURCE];
    char token[HUB_SAS_MAX_TOKEN];
    snprintf(resource, sizeof resource, "%s/devices/%s", info->hub_hostname, id);
    long long expiry = (long long)time(NULL) + args->expiry_seconds;
    if (hub_sas_token_make(resource, device.primary_key, NULL, expiry > 0 ? expiry : 1, token,
                           sizeof token) < 0) {
        return sim_cli_fail("hub device sas-token: cannot make a token for %s", id);
    }
    puts(token);
    return 0;
}

static int hub_device(const struct hub_args *args, const struct hub_paths *paths) {
    const char *sub = args->positional_count > 1 ? args->positional[1] : "";
    bool is_add = strcmp(sub, "add") == 0;
    bool is_list = strcmp(sub, "list") == 0;
    bool is_token = strcmp(sub, "sas-token") == 0;
    if (!is_add && !is_list && !is_token && strcmp(sub, "remove") != 0) {
        return sim_cli_usage_error("hub device: expected add, list, remove or sas-token");
    }
    char command[32];
    snprintf(command, sizeof command, "device %s", sub);
    int status = expect(args,
                        is_add     ? OPT_AUTH
                        : is_token ? OPT_EXPIRY
                                   : 0,
                        is_list ? 2 : 3, command);
    if (status != 0) {
        return status;
    }
    if (!is_list && !hub_is_valid_device_id(args->positional[2])) {
        return sim_cli_usage_error(
            "hub device %s: '%s' is not a valid device id (1-128 of "
            "A-Z a-z 0-9 - . %% _ * ? ! ( ) , : = @ $ ')",
            sub, args->positional[2]);
    }
    static struct hub_broker_info info;
    char err[512];
    if (hub_broker_query(paths->state_dir, paths->tenant_dir, &info, err, sizeof err) !=
        HUB_BROKER_OK) {
        return sim_cli_fail("hub device %s: %s", sub, err);
    }
    struct hub_store *store = open_store(paths, sub);
    if (store == NULL) {
        return 1;
    }
    if (is_add) {
        status = device_add(args, paths, &info, store);
    } else if (is_token) {
        status = device_sas_token(args, &info, store);
    } else if (is_list) {
        cJSON *array = cJSON_CreateArray();
        if (hub_store_device_list(store, list_one, array) != HUB_STORE_OK) {
            status = sim_cli_fail("hub device list: %s", hub_store_error(store));
        } else {
            print_json(array);
        }
        cJSON_Delete(array);
    } else {
        status = device_remove(args, &info, store);
    }
    hub_store_close(store);
    return status;
}

struct telemetry_output {
    cJSON *array;
    bool json;
};

static int print_message(const struct hub_telemetry *message, void *ctx) {
    struct telemetry_output *output = ctx;
    cJSON *item = hub_telemetry_to_json(message);
    if (item == NULL) {
        return 1;
    }
    if (output->json) {
        cJSON_AddItemToArray(output->array, item);
        return 0;
    }
    const cJSON *encoding = cJSON_GetObjectItemCaseSensitive(item, "bodyEncoding");
    const cJSON *body = cJSON_GetObjectItemCaseSensitive(item, "body");
    bool text = cJSON_IsString(encoding) && strcmp(encoding->valuestring, "utf-8") == 0;
    printf("%lld %s %s%s\n", message->sequence, message->enqueued_time,
           text ? "" : "base64:", cJSON_IsString(body) ? body->valuestring : "");
    cJSON_Delete(item);
    return 0;
}

static int hub_telemetry(const struct hub_args *args, const struct hub_paths *paths) {
    int status = expect(args, OPT_JSON, 2, "telemetry");
    if (status != 0) {
        return status;
    }
    if (!hub_is_valid_device_id(args->positional[1])) {
        return sim_cli_usage_error("hub telemetry: '%s' is not a valid device id",
                                   args->positional[1]);
    }
    struct hub_store *store = open_store(paths, "telemetry");
    if (store == NULL) {
        return 1;
    }
    // The store plus what the broker acknowledged but has not moved into it yet (the journal),
    // so a message shows up here as soon as its device has the PUBACK.
    char journal[PATH_MAX];
    char err[512];
    struct telemetry_output output = {.array = cJSON_CreateArray(), .json = args->json};
    if (sim_cli_join(journal, sizeof journal, paths->state_dir, "/" HUB_JOURNAL_FILE) != 0) {
        status = 1;
    } else if (hub_ingest_list(store, journal, args->positional[1], print_message, &output, err,
                               sizeof err) != HUB_STORE_OK) {
        status = sim_cli_fail("hub telemetry: %s", err);
    } else if (args->json) {
        print_json(output.array);
    }
    cJSON_Delete(output.array);
    hub_store_close(store);
    return status;
}

// The verb (first word that is not an option or --state-dir's value), or NULL; *out_at gets its
// index.
static const char *find_verb(int argc, char **argv, int *out_at) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--state-dir") == 0) {
            i++;
        } else if (strncmp(argv[i], "--", 2) != 0) {
            *out_at = i;
            return argv[i];
        }
    }
    return NULL;
}

// True for the verbs the HTTP service side handles (cmd_hub_service.c): serve, twin, method,
// c2d, fault, and telemetry when it follows or pages (this file reads telemetry from the database).
static bool is_service_verb(int argc, char **argv, const char *verb) {
    if (strcmp(verb, "serve") == 0 || strcmp(verb, "twin") == 0 || strcmp(verb, "method") == 0 ||
        strcmp(verb, "c2d") == 0 || strcmp(verb, "fault") == 0) {
        return true;
    }
    if (strcmp(verb, "telemetry") != 0) {
        return false;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "--after") == 0 ||
            strcmp(argv[i], "--limit") == 0) {
            return true;
        }
    }
    return false;
}

// Hands the command to another file's verbs (run) with the verb first, as they expect.
static int run_verb_first(int (*run)(int, char **), int argc, char **argv, int verb_at) {
    char **args = calloc((size_t)argc, sizeof *args);
    if (args == NULL) {
        return sim_cli_fail("hub: out of memory");
    }
    int n = 0;
    args[n++] = argv[verb_at];
    for (int i = 1; i < argc; i++) {
        if (i != verb_at) {
            args[n++] = argv[i];
        }
    }
    int status = run(n, args);
    free(args);
    return status >= 0 ? status : sim_cli_usage_error("hub: unknown command '%s'", argv[verb_at]);
}

int sim_cmd_hub(int argc, char **argv) {
    int verb_at = 0;
    const char *service_verb = find_verb(argc, argv, &verb_at);
    if (service_verb != NULL && is_service_verb(argc, argv, service_verb)) {
        return run_verb_first(sim_cmd_hub_service, argc, argv, verb_at);
    }
    // DPS verbs have their own --help (cmd_hub_dps.c).
    if (service_verb != NULL &&
        (strcmp(service_verb, "enrollment") == 0 || strcmp(service_verb, "dps") == 0)) {
        return run_verb_first(sim_cmd_hub_enrollment, argc, argv, verb_at);
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(hub_usage, stdout);
            return 0;
        }
    }
    struct hub_args args;
    int status = parse_args(argc - 1, argv + 1, &args);
    if (status != 0) {
        return status;
    }
    if (args.positional_count == 0) {
        return sim_cli_usage_error("hub: expected a command (see 'spheresim hub --help')");
    }
    struct hub_paths paths;
    status = resolve_paths(&args, &paths);
    if (status != 0) {
        return status;
    }
    const char *verb = args.positional[0];
    if (strcmp(verb, "start") == 0) {
        return hub_start(&args, &paths);
    }
    if (strcmp(verb, "stop") == 0) {
        return hub_stop(&args, &paths);
    }
    if (strcmp(verb, "status") == 0) {
        return hub_status(&args, &paths);
    }
    if (strcmp(verb, "device") == 0) {
        return hub_device(&args, &paths);
    }
    if (strcmp(verb, "telemetry") == 0) {
        return hub_telemetry(&args, &paths);
    }
    return sim_cli_usage_error("hub: unknown command '%s' (see 'spheresim hub --help')", verb);
}
