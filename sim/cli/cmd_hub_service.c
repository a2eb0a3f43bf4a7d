// SPDX-License-Identifier: MIT
// The service-facing `spheresim hub` verbs: `serve` (the HTTP service process that `hub start`
// runs beside the broker) and the verbs that drive the hub through that HTTP API with libcurl,
// exactly as a test or a user's script would: twin get/patch, method, c2d, telemetry. Going
// through HTTP rather than the hub's database keeps one path for every change to hub state.
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_hub_api.h"
#include "cloud/hub_broker.h"
#include "cloud/hub_service.h"
#include "cloud/hub_service_client.h"
#include "os/fs_util.h"

#define MAX_STATE_FILE (64 * 1024)
#define MAX_PROPERTIES 64
#define FOLLOW_INTERVAL_MS 200

static const char serve_usage[] =
    "usage: spheresim hub serve [--state-dir D] [--http-port N] [--mqtt-port M] [--ca-file F]\n"
    "\n"
    "Runs the hub's HTTP service API on 127.0.0.1:N (0 or absent: a free port) until SIGTERM.\n"
    "It talks to the broker on 127.0.0.1:M over TLS as the service client, with the token in\n"
    "D/service.token, and reconnects whenever the broker restarts. --mqtt-port and --ca-file\n"
    "default to the \"port\" and \"caCertificate\" in D/hub.json. Writes D/service.pid and\n"
    "D/service.json {\"httpPort\": N}. `hub start` runs this; it is not meant for users.\n";

static const char service_usage[] =
    "usage: spheresim hub VERB [--state-dir D] ...\n"
    "\n"
    "  twin get ID                 print the device's twin\n"
    "  twin patch ID JSON          patch desired properties: JSON is a desired-properties\n"
    "                              object, or a full patch {\"tags\"?, "
    "\"properties\":{\"desired\"}}\n"
    "  method ID NAME [JSON] [--timeout S] [--connect-timeout S]\n"
    "                              invoke a direct method (response timeout 5-300 s, default\n"
    "                              30); prints {\"status\",\"payload\"}, exit 1 when the device\n"
    "                              is offline (404) or does not answer (504)\n"
    "  c2d ID TEXT [--property K=V]... [--ttl S] [--message-id X] [--correlation-id X]\n"
    "      [--ack none|positive|negative|full]\n"
    "                              send a cloud-to-device message\n"
    "  telemetry ID [--follow] [--after N] [--limit N]\n"
    "                              telemetry the hub accepted from the device after cursor N;\n"
    "                              --follow prints each message as one JSON line until Ctrl-C\n"
    "\n"
    "They call the hub's HTTP service API (port from D/hub.json or D/service.json); --state-dir\n"
    "defaults to $SPHERESIM_HOME/hub. Output is JSON.\n";

struct verb_args {
    const char *state_dir;
    const char *pos[4];
    int pos_count;
    const char *timeout;
    const char *connect_timeout;
    const char *ttl;
    const char *message_id;
    const char *correlation_id;
    const char *ack;
    const char *after;
    const char *limit;
    const char *http_port;
    const char *mqtt_port;
    const char *ca_file;
    const char *properties[MAX_PROPERTIES];
    int property_count;
    bool follow;
    bool help;
    bool no_tls;
};

// Where each option with a value is stored; `allowed` lists the options a verb accepts.
static const char **option_slot(struct verb_args *args, const char *name) {
    static const char *const names[] = {"--state-dir", "--timeout",    "--connect-timeout",
                                        "--ttl",       "--message-id", "--correlation-id",
                                        "--ack",       "--after",      "--limit",
                                        "--http-port", "--mqtt-port",  "--ca-file"};
    const char **slots[] = {&args->state_dir, &args->timeout,    &args->connect_timeout,
                            &args->ttl,       &args->message_id, &args->correlation_id,
                            &args->ack,       &args->after,      &args->limit,
                            &args->http_port, &args->mqtt_port,  &args->ca_file};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i]) == 0) {
            return slots[i];
        }
    }
    return NULL;
}

static bool is_allowed(const char *allowed, const char *option) {
    size_t len = strlen(option);
    for (const char *p = allowed; (p = strstr(p, option)) != NULL; p += len) {
        if ((p == allowed || p[-1] == ' ') && (p[len] == ' ' || p[len] == '\0')) {
            return true;
        }
    }
    return false;
}

// Options may come anywhere among the words. Returns 0, or the exit status after reporting.
static int parse_args(int argc, char **argv, const char *verb, const char *allowed,
                      struct verb_args *args) {
    memset(args, 0, sizeof(*args));
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            args->help = true;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0 || strcmp(arg, "--") == 0) {
            if (args->pos_count == 4) {
                return sim_cli_usage_error("hub %s: unexpected argument '%s'", verb, arg);
            }
            args->pos[args->pos_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--state-dir") != 0 && strcmp(arg, "--json") != 0 &&
            !is_allowed(allowed, arg)) {
            return sim_cli_usage_error("hub %s: unknown option '%s' (see --help)", verb, arg);
        }
        if (strcmp(arg, "--follow") == 0 || strcmp(arg, "--no-tls") == 0 ||
            strcmp(arg, "--json") == 0) {
            args->follow |= strcmp(arg, "--follow") == 0;
            args->no_tls |= strcmp(arg, "--no-tls") == 0;
            continue;
        }
        if (i + 1 >= argc) {
            return sim_cli_usage_error("hub %s: %s needs a value", verb, arg);
        }
        const char *value = argv[++i];
        if (strcmp(arg, "--property") == 0) {
            if (args->property_count == MAX_PROPERTIES) {
                return sim_cli_usage_error("hub %s: at most %d --property", verb, MAX_PROPERTIES);
            }
            args->properties[args->property_count++] = value;
            continue;
        }
        const char **slot = option_slot(args, arg);
        if (slot == NULL) {
            return sim_cli_usage_error("hub %s: unknown option '%s' (see --help)", verb, arg);
        }
        *slot = value;
    }
    return 0;
}

static bool parse_long(const char *text, long min, long max, long *out) {
    char *end = NULL;
    errno = 0;
    long value = text != NULL ? strtol(text, &end, 10) : 0;
    if (text == NULL || end == text || *end != '\0' || errno != 0 || value < min || value > max) {
        return false;
    }
    *out = value;
    return true;
}

static int resolve_state_dir(const struct verb_args *args, char *out, size_t out_size) {
    if (args->state_dir != NULL) {
        int n = snprintf(out, out_size, "%s", args->state_dir);
        return n < 0 || (size_t)n >= out_size ? sim_cli_fail("hub: --state-dir path too long") : 0;
    }
    char home[PATH_MAX];
    if (sim_cli_home(home, sizeof(home)) != 0) {
        return sim_cli_fail("hub: SPHERESIM_HOME path too long");
    }
    return sim_cli_join(out, out_size, home, "/hub") != 0 ? 1 : 0;
}

// Parses D/<name> as JSON; NULL when it is missing or unreadable.
static cJSON *read_state_json(const char *state_dir, const char *name) {
    char path[PATH_MAX];
    static char text[MAX_STATE_FILE + 1];
    size_t len = 0;
    int n = snprintf(path, sizeof(path), "%s/%s", state_dir, name);
    if (n < 0 || (size_t)n >= sizeof(path) ||
        sim_fs_read_file(path, text, MAX_STATE_FILE, &len, NULL, 0) != 0) {
        return NULL;
    }
    text[len] = '\0';
    return cJSON_Parse(text);
}

// A positive integer member of D/<name>, 0 when absent.
static int state_port(const char *state_dir, const char *name, const char *key) {
    cJSON *doc = read_state_json(state_dir, name);
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(doc, key);
    int port = cJSON_IsNumber(item) && item->valuedouble >= 1 && item->valuedouble <= 65535
                   ? item->valueint
                   : 0;
    cJSON_Delete(doc);
    return port;
}

// ---- serve ----

static int write_state_file(const char *state_dir, const char *name, const char *text) {
    char path[PATH_MAX];
    char err[256];
    if (sim_cli_join(path, sizeof(path), state_dir, name) != 0) {
        return -1;
    }
    if (sim_fs_write_atomic(path, text, strlen(text), 0644, NULL, err, sizeof(err)) != 0) {
        sim_cli_fail("hub serve: %s", err);
        return -1;
    }
    return 0;
}

static void remove_state_file(const char *state_dir, const char *name) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof(path), "%s%s", state_dir, name) < (int)sizeof(path)) {
        unlink(path);
    }
}

// True when D/service.pid names a live process other than this one.
static bool other_service_running(const char *state_dir, long *out_pid) {
    char path[PATH_MAX];
    char text[32];
    size_t len = 0;
    *out_pid = 0;
    if (snprintf(path, sizeof(path), "%s/service.pid", state_dir) >= (int)sizeof(path) ||
        sim_fs_read_file(path, text, sizeof(text) - 1, &len, NULL, 0) != 0) {
        return false;
    }
    text[len] = '\0';
    text[strcspn(text, "\n")] = '\0';
    long pid = 0;
    if (!parse_long(text, 1, INT_MAX, &pid) || pid == (long)getpid()) {
        return false;
    }
    *out_pid = pid;
    return kill((pid_t)pid, 0) == 0 || errno == EPERM;
}

// hub_service_restart_fn for the broker-restart fault; ctx is the state directory.
static int restart_broker(void *ctx, bool kill_hard, char *err, size_t err_size) {
    struct hub_broker_info *info = calloc(1, sizeof(*info));
    if (info == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    enum hub_broker_result result = hub_broker_restart(ctx, kill_hard, info, err, err_size);
    if (result == HUB_BROKER_OK) {
        fprintf(stderr, "spheresim: hub service: restarted the broker (%s), now pid %ld\n",
                kill_hard ? "SIGKILL" : "SIGTERM", info->pid);
    }
    free(info);
    return result == HUB_BROKER_OK ? 0 : -1;
}

// hub_service_server_ca_fn for the server-ca fault; ctx is the state directory.
static int switch_server_ca(void *ctx, bool untrusted, char *err, size_t err_size) {
    struct hub_broker_info *info = calloc(1, sizeof(*info));
    if (info == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    enum hub_broker_result result = hub_broker_set_server_ca(
        ctx, untrusted ? HUB_BROKER_SERVER_CA_UNTRUSTED : HUB_BROKER_SERVER_CA_TRUSTED, info, err,
        err_size);
    if (result == HUB_BROKER_OK) {
        fprintf(stderr,
                "spheresim: hub service: restarted the broker presenting %s certificate, now pid "
                "%ld\n",
                untrusted ? "an untrusted" : "the hub's", info->pid);
    }
    free(info);
    return result == HUB_BROKER_OK ? 0 : -1;
}

int sim_cmd_hub_serve(int argc, char **argv) {
    struct verb_args args;
    int status =
        parse_args(argc, argv, "serve", "--http-port --mqtt-port --ca-file --no-tls", &args);
    if (status != 0) {
        return status;
    }
    if (args.help) {
        fputs(serve_usage, stdout);
        return 0;
    }
    char state_dir[PATH_MAX];
    if (args.pos_count != 0) {
        return sim_cli_usage_error("hub serve: unexpected argument '%s'", args.pos[0]);
    }
    if ((status = resolve_state_dir(&args, state_dir, sizeof(state_dir))) != 0) {
        return status;
    }
    long http_port = 0;
    long mqtt_port = state_port(state_dir, "hub.json", "port");
    if (args.http_port != NULL && !parse_long(args.http_port, 0, 65535, &http_port)) {
        return sim_cli_usage_error("hub serve: --http-port must be 0-65535");
    }
    if (args.mqtt_port != NULL && !parse_long(args.mqtt_port, 1, 65535, &mqtt_port)) {
        return sim_cli_usage_error("hub serve: --mqtt-port must be 1-65535");
    }
    if (mqtt_port == 0) {
        return sim_cli_usage_error("hub serve: no --mqtt-port and no port in %s/hub.json",
                                   state_dir);
    }
    char ca_file[PATH_MAX] = "";
    cJSON *hub = read_state_json(state_dir, "hub.json");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(hub, "caCertificate");
    snprintf(ca_file, sizeof(ca_file), "%s",
             args.ca_file != NULL ? args.ca_file
             : cJSON_IsString(ca) ? ca->valuestring
                                  : "");
    cJSON_Delete(hub);
    if (ca_file[0] == '\0' && !args.no_tls) {
        return sim_cli_usage_error("hub serve: no --ca-file and no caCertificate in %s/hub.json",
                                   state_dir);
    }
    long other = 0;
    if (other_service_running(state_dir, &other)) {
        return sim_cli_fail("hub serve: a service already runs for %s (pid %ld)", state_dir, other);
    }

    // Block the stop signals before any thread starts, so only sigwait below sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    signal(SIGPIPE, SIG_IGN); /* a TLS write to a broker that just died */

    struct hub_service_client *client = NULL;
    struct hub_service *service = NULL;
    struct hub_service_client_options client_options = {
        .host = "127.0.0.1",
        .port = (int)mqtt_port,
        .state_dir = state_dir,
        .ca_file = args.no_tls ? NULL : ca_file,
    };
    char text[128];
    status = 1;
    if (hub_service_client_start(&client_options, &client) != 0) {
        sim_cli_fail("hub serve: cannot start the broker client");
        goto out;
    }
    // This process restarts the broker for the broker-restart fault: it is the one that
    // outlives the broker, and it knows when its own client is connected again.
    struct hub_service_options service_options = {
        .http_port = (int)http_port,
        .client = client,
        .restart = restart_broker,
        .server_ca = switch_server_ca,
        .restart_ctx = state_dir,
    };
    if (hub_service_start(&service_options, &service) != 0) {
        sim_cli_fail("hub serve: cannot serve HTTP on 127.0.0.1:%ld", http_port);
        goto out;
    }
    snprintf(text, sizeof(text), "%ld\n", (long)getpid());
    if (write_state_file(state_dir, "/service.pid", text) != 0) {
        goto out;
    }
    snprintf(text, sizeof(text), "{\"httpPort\": %d}\n", hub_service_port(service));
    if (write_state_file(state_dir, "/service.json", text) != 0) {
        goto out;
    }
    fputs(text, stdout);
    fflush(stdout);
    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    status = 0;
out:
    // A method call may be waiting minutes for a device: fail it now so the HTTP threads end.
    hub_service_client_cancel(client);
    hub_service_stop(service);
    hub_service_client_stop(client);
    if (service != NULL) {
        remove_state_file(state_dir, "/service.json");
        remove_state_file(state_dir, "/service.pid");
    }
    return status;
}

// ---- the HTTP client verbs ----

static int cmd_twin(const struct verb_args *args, struct hub_api *api, const char *id) {
    char path[1024];
    if (hub_api_escape(api, id, path + 7, sizeof(path) - 7) != 0) {
        return sim_cli_fail("hub %s: device id too long", api->verb);
    }
    memcpy(path, "/twins/", 7);
    if (strcmp(args->pos[0], "get") == 0) {
        return hub_api_call_and_print(api, "GET", path, NULL, 30);
    }
    cJSON *patch = cJSON_Parse(args->pos[2]);
    if (!cJSON_IsObject(patch)) {
        cJSON_Delete(patch);
        return sim_cli_usage_error("hub twin patch: JSON must be a JSON object");
    }
    // A bare object is the desired properties; one with "properties" or "tags" is a full patch.
    if (!cJSON_HasObjectItem(patch, "properties") && !cJSON_HasObjectItem(patch, "tags")) {
        cJSON *full = cJSON_CreateObject();
        cJSON_AddItemToObject(cJSON_AddObjectToObject(full, "properties"), "desired", patch);
        patch = full;
    }
    int status = hub_api_call_and_print(api, "PATCH", path, patch, 30);
    cJSON_Delete(patch);
    return status;
}

static int cmd_method(const struct verb_args *args, struct hub_api *api) {
    long timeout = 30;
    long connect_timeout = 0;
    if (args->timeout != NULL && !parse_long(args->timeout, 5, 300, &timeout)) {
        return sim_cli_usage_error("hub method: --timeout must be 5-300 seconds");
    }
    if (args->connect_timeout != NULL &&
        !parse_long(args->connect_timeout, 0, 300, &connect_timeout)) {
        return sim_cli_usage_error("hub method: --connect-timeout must be 0-300 seconds");
    }
    cJSON *payload = args->pos_count == 3 ? cJSON_Parse(args->pos[2]) : cJSON_CreateNull();
    if (payload == NULL) {
        return sim_cli_usage_error("hub method: the payload is not valid JSON");
    }
    char path[1024];
    char id[900];
    if (hub_api_escape(api, args->pos[0], id, sizeof(id)) != 0) {
        cJSON_Delete(payload);
        return sim_cli_fail("hub method: device id too long");
    }
    snprintf(path, sizeof(path), "/twins/%s/methods", id);
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "methodName", args->pos[1]);
    cJSON_AddNumberToObject(body, "responseTimeoutInSeconds", (double)timeout);
    cJSON_AddNumberToObject(body, "connectTimeoutInSeconds", (double)connect_timeout);
    cJSON_AddItemToObject(body, "payload", payload);
    int status = hub_api_call_and_print(api, "POST", path, body, timeout + connect_timeout + 15);
    cJSON_Delete(body);
    return status;
}

static int cmd_c2d(const struct verb_args *args, struct hub_api *api) {
    long ttl = 0;
    if (args->ttl != NULL && !parse_long(args->ttl, 60, 172800, &ttl)) {
        return sim_cli_usage_error("hub c2d: --ttl must be 60-172800 seconds");
    }
    cJSON *body = cJSON_CreateObject();
    cJSON_AddStringToObject(body, "body", args->pos[1]);
    cJSON *properties =
        args->property_count > 0 ? cJSON_AddObjectToObject(body, "properties") : NULL;
    for (int i = 0; i < args->property_count; i++) {
        const char *eq = strchr(args->properties[i], '=');
        char key[256];
        if (eq == NULL || eq == args->properties[i] ||
            (size_t)(eq - args->properties[i]) >= sizeof(key)) {
            cJSON_Delete(body);
            return sim_cli_usage_error("hub c2d: --property wants KEY=VALUE, not '%s'",
                                       args->properties[i]);
        }
        snprintf(key, sizeof(key), "%.*s", (int)(eq - args->properties[i]), args->properties[i]);
        cJSON_DeleteItemFromObjectCaseSensitive(properties, key);
        cJSON_AddStringToObject(properties, key, eq + 1);
    }
    if (ttl > 0) {
        cJSON_AddNumberToObject(body, "ttlSeconds", (double)ttl);
    }
    const char *names[] = {"messageId", "correlationId", "ack"};
    const char *values[] = {args->message_id, args->correlation_id, args->ack};
    for (size_t i = 0; i < 3; i++) {
        if (values[i] != NULL) {
            cJSON_AddStringToObject(body, names[i], values[i]);
        }
    }
    char path[1024];
    char id[900];
    int status = 1;
    if (hub_api_escape(api, args->pos[0], id, sizeof(id)) != 0) {
        status = sim_cli_fail("hub c2d: device id too long");
    } else {
        snprintf(path, sizeof(path), "/spheresim/devices/%s/messages", id);
        status = hub_api_call_and_print(api, "POST", path, body, 30);
    }
    cJSON_Delete(body);
    return status;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int signal_number) {
    interrupted = 1;
}

// Prints each message of a telemetry page as one line; *after moves to the page's cursor.
// Returns the number of messages, or -1 for a page without a usable cursor.
static int print_page(const struct hub_api_reply *reply, double *after) {
    cJSON *doc = cJSON_Parse(reply->body != NULL ? reply->body : "");
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(doc, "messages");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(doc, "next");
    int count = -1;
    if (cJSON_IsArray(messages) && cJSON_IsNumber(next)) {
        count = 0;
        const cJSON *message = NULL;
        cJSON_ArrayForEach(message, messages) {
            char *line = cJSON_PrintUnformatted(message);
            if (line != NULL) {
                puts(line);
                free(line);
            }
            count++;
        }
        fflush(stdout);
        *after = next->valuedouble;
    }
    cJSON_Delete(doc);
    return count;
}

static int cmd_telemetry(const struct verb_args *args, struct hub_api *api) {
    long after = 0;
    long limit = 100;
    if (args->after != NULL && !parse_long(args->after, 0, LONG_MAX, &after)) {
        return sim_cli_usage_error("hub telemetry: --after must be a cursor (an integer >= 0)");
    }
    if (args->limit != NULL && !parse_long(args->limit, 1, 1000, &limit)) {
        return sim_cli_usage_error("hub telemetry: --limit must be 1-1000");
    }
    char id[900];
    char path[1200];
    if (hub_api_escape(api, args->pos[0], id, sizeof(id)) != 0) {
        return sim_cli_fail("hub telemetry: device id too long");
    }
    if (!args->follow) {
        snprintf(path, sizeof(path), "/spheresim/telemetry?deviceId=%s&after=%ld&limit=%ld", id,
                 after, limit);
        return hub_api_call_and_print(api, "GET", path, NULL, 30);
    }
    struct sigaction action = {.sa_handler = on_interrupt};
    sigaction(SIGINT, &action, NULL); /* no SA_RESTART: Ctrl-C cuts the sleep short */
    sigaction(SIGTERM, &action, NULL);
    double cursor = (double)after;
    while (!interrupted) {
        struct hub_api_reply reply;
        snprintf(path, sizeof(path), "/spheresim/telemetry?deviceId=%s&after=%.0f&limit=%ld", id,
                 cursor, limit);
        int status = hub_api_call(api, "GET", path, NULL, 30, &reply);
        if (status != 0) {
            return status;
        }
        int count = 0;
        if (reply.status == 200) {
            count = print_page(&reply, &cursor);
            if (count < 0) {
                free(reply.body);
                return sim_cli_fail("hub telemetry: the hub sent a page without a cursor");
            }
        } else if (reply.status != 503) {
            /* 503 is a broker restart in progress: keep following */
            status = hub_api_report_refusal(api, &reply);
            free(reply.body);
            return status;
        }
        free(reply.body);
        if (count < limit) {
            struct timespec pause = {.tv_sec = 0, .tv_nsec = FOLLOW_INTERVAL_MS * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    return 0;
}

int sim_cmd_hub_service(int argc, char **argv) {
    if (argc < 1) {
        return -1;
    }
    const char *verb = argv[0];
    if (strcmp(verb, "serve") == 0) {
        return sim_cmd_hub_serve(argc, argv);
    }
    if (strcmp(verb, "fault") == 0) {
        return sim_cmd_hub_fault(argc, argv);
    }
    const char *allowed = NULL;
    int min_words = 0;
    int max_words = 0;
    if (strcmp(verb, "twin") == 0) {
        allowed = "";
        min_words = 2;
        max_words = 3;
    } else if (strcmp(verb, "method") == 0) {
        allowed = "--timeout --connect-timeout";
        min_words = 2;
        max_words = 3;
    } else if (strcmp(verb, "c2d") == 0) {
        allowed = "--property --ttl --message-id --correlation-id --ack";
        min_words = max_words = 2;
    } else if (strcmp(verb, "telemetry") == 0) {
        allowed = "--follow --after --limit";
        min_words = max_words = 1;
    } else {
        return -1;
    }
    struct verb_args args;
    int status = parse_args(argc, argv, verb, allowed, &args);
    if (status != 0) {
        return status;
    }
    if (args.help) {
        fputs(service_usage, stdout);
        return 0;
    }
    bool twin_ok = strcmp(verb, "twin") != 0 ||
                   (args.pos_count == 2 && strcmp(args.pos[0], "get") == 0) ||
                   (args.pos_count == 3 && strcmp(args.pos[0], "patch") == 0);
    if (args.pos_count < min_words || args.pos_count > max_words || !twin_ok) {
        return sim_cli_usage_error("hub %s: wrong arguments (see 'spheresim hub %s --help')", verb,
                                   verb);
    }
    char state_dir[PATH_MAX];
    if ((status = resolve_state_dir(&args, state_dir, sizeof(state_dir))) != 0) {
        return status;
    }
    char label[32];
    snprintf(label, sizeof(label), "%s%s%s", verb, strcmp(verb, "twin") == 0 ? " " : "",
             strcmp(verb, "twin") == 0 ? args.pos[0] : "");
    struct hub_api api;
    if ((status = hub_api_open(state_dir, label, &api)) != 0) {
        hub_api_close(&api);
        return status;
    }
    if (strcmp(verb, "twin") == 0) {
        status = cmd_twin(&args, &api, args.pos[1]);
    } else if (strcmp(verb, "method") == 0) {
        status = cmd_method(&args, &api);
    } else if (strcmp(verb, "c2d") == 0) {
        status = cmd_c2d(&args, &api);
    } else {
        status = cmd_telemetry(&args, &api);
    }
    hub_api_close(&api);
    return status;
}
