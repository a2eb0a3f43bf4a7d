// SPDX-License-Identifier: MIT
// `spheresim deploy`: hands signed image packages to the local update service (sim/update), which
// simulated devices check, and manages that service and its device groups. Every operation goes
// through the service's HTTPS API; the service is started if it is not running, as `run --hub
// local` starts the hub.
#include <cjson/cJSON.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image_format.h"
#include "os/fs_util.h"
#include "os/update_agent_crash.h"
#include "update/update_client.h"
#include "update/update_service.h"
#include "update/update_store.h"

#define IMAGE_MAX_BYTES (SIM_IMAGE_MAX_PAYLOAD + 1024 * 1024)

static const char deploy_usage[] =
    "usage: spheresim deploy IMAGE (--device ID | --group NAME) [options]\n"
    "       spheresim deploy --list [options]\n"
    "       spheresim deploy --group-add NAME --device ID | --group-remove NAME --device ID\n"
    "       spheresim deploy --start [--port N] | --stop | --status\n"
    "\n"
    "Deploys a signed image package (spheresim image pack) to one simulated device or to a\n"
    "device group through the local update service, which devices check on boot, on their\n"
    "first network connection and then every 20 h of device time. A device is offered the\n"
    "latest deployment for its app (an OS release first) and refuses one that is not newer\n"
    "than what it runs.\n"
    "\n"
    "  IMAGE --device ID     deploy to the device with this id (spheresim ctl status shows it)\n"
    "  IMAGE --group NAME    deploy to every device in the group\n"
    "  --list                deployments, devices (their versions and last results), groups\n"
    "  --group-add NAME --device ID\n"
    "                        put the device into the group (out of any other)\n"
    "  --group-remove NAME --device ID\n"
    "                        take the device out of the group\n"
    "  --start [--port N]    start the service (deploy and --list start it when needed)\n"
    "  --stop, --status      stop it; tell whether it runs\n"
    "\n"
    "options:\n"
    "  --state-dir D   the service's state (default $SPHERESIM_HOME/update; devices find the\n"
    "                  service through D/service.json: `run --update-service-dir D`)\n"
    "  --tenant-dir D  the tenant CA whose device certificates the service trusts\n"
    "                  (default $SPHERESIM_HOME/tenant)\n"
    "  --port N        the service's port when it is started (default: a free one)\n"
    "  --json          machine-readable output\n";

enum deploy_verb {
    VERB_DEPLOY,
    VERB_LIST,
    VERB_GROUP_ADD,
    VERB_GROUP_REMOVE,
    VERB_START,
    VERB_STOP,
    VERB_STATUS,
    VERB_SERVE,
    VERB_CRASH_POINTS
};

struct deploy_args {
    enum deploy_verb verb;
    int verbs;
    const char *image;
    const char *device;
    const char *group;
    const char *state_dir;
    const char *tenant_dir;
    int port;
    bool json;
    char state_buf[PATH_MAX];
    char tenant_buf[PATH_MAX];
};

static void set_verb(struct deploy_args *a, enum deploy_verb verb) {
    a->verb = verb;
    a->verbs++;
}

static int parse(int argc, char **argv, struct deploy_args *a, bool *out_help) {
    static const struct option options[] = {
        {"device", required_argument, NULL, 'd'},
        {"group", required_argument, NULL, 'g'},
        {"list", no_argument, NULL, 'l'},
        {"group-add", required_argument, NULL, 'A'},
        {"group-remove", required_argument, NULL, 'R'},
        {"start", no_argument, NULL, 's'},
        {"stop", no_argument, NULL, 'S'},
        {"status", no_argument, NULL, 'q'},
        {"serve", no_argument, NULL, 'V'},
        {"crash-points", no_argument, NULL, 'C'},
        {"state-dir", required_argument, NULL, 'D'},
        {"tenant-dir", required_argument, NULL, 'T'},
        {"port", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *out_help = false;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (opt) {
            case 'd':
                a->device = optarg;
                break;
            case 'g':
                a->group = optarg;
                break;
            case 'l':
                set_verb(a, VERB_LIST);
                break;
            case 'A':
            case 'R':
                a->group = optarg;
                set_verb(a, opt == 'A' ? VERB_GROUP_ADD : VERB_GROUP_REMOVE);
                break;
            case 's':
                set_verb(a, VERB_START);
                break;
            case 'S':
                set_verb(a, VERB_STOP);
                break;
            case 'q':
                set_verb(a, VERB_STATUS);
                break;
            case 'V':
                set_verb(a, VERB_SERVE);
                break;
            case 'C':
                set_verb(a, VERB_CRASH_POINTS);
                break;
            case 'D':
                a->state_dir = optarg;
                break;
            case 'T':
                a->tenant_dir = optarg;
                break;
            case 'p': {
                char *end = NULL;
                long port = strtol(optarg, &end, 10);
                if (end == optarg || *end != '\0' || port < 0 || port > 65535) {
                    return sim_cli_usage_error("deploy: --port '%s' is not a port number", optarg);
                }
                a->port = (int)port;
                break;
            }
            case 'j':
                a->json = true;
                break;
            case 'h':
                *out_help = true;
                return 0;
            default:
                return sim_cli_usage_error("deploy: unknown or incomplete option '%s' (see --help)",
                                           argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (optind != argc - 1) {
            return sim_cli_usage_error("deploy: expected one IMAGE (see --help)");
        }
        a->image = argv[optind];
        set_verb(a, VERB_DEPLOY);
    }
    if (a->verbs != 1) {
        return sim_cli_usage_error(a->verbs == 0 ? "deploy: expected an IMAGE or a command (see "
                                                   "--help)"
                                                 : "deploy: give one IMAGE or command at a time");
    }
    if (a->verb == VERB_DEPLOY && (a->device != NULL) == (a->group != NULL)) {
        return sim_cli_usage_error("deploy: give exactly one of --device ID and --group NAME");
    }
    if ((a->verb == VERB_GROUP_ADD || a->verb == VERB_GROUP_REMOVE) && a->device == NULL) {
        return sim_cli_usage_error("deploy: --group-add and --group-remove need --device ID");
    }
    if (a->device != NULL && !update_device_id_valid(a->device)) {
        return sim_cli_usage_error(
            "deploy: --device '%s' is not a device id (letters, digits, "
            "'-')",
            a->device);
    }
    if (a->group != NULL && !update_group_valid(a->group)) {
        return sim_cli_usage_error(
            "deploy: group '%s' is not a group name (1 to 64 letters, digits, '.', '_', '-')",
            a->group);
    }
    return 0;
}

static int resolve_dirs(struct deploy_args *a) {
    char home[PATH_MAX];
    if (sim_cli_home(home, sizeof(home)) != 0) {
        return sim_cli_fail("deploy: state directory path too long");
    }
    if (a->state_dir == NULL) {
        if (sim_cli_join(a->state_buf, sizeof(a->state_buf), home, "/update") != 0) {
            return 1;
        }
        a->state_dir = a->state_buf;
    }
    if (a->tenant_dir == NULL) {
        if (sim_cli_join(a->tenant_buf, sizeof(a->tenant_buf), home, "/tenant") != 0) {
            return 1;
        }
        a->tenant_dir = a->tenant_buf;
    }
    return 0;
}

static int start_service(const struct deploy_args *a, bool quiet_if_running) {
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0) {
        return sim_cli_fail("deploy: cannot find the spheresim executable: %s", strerror(errno));
    }
    exe[n] = '\0';
    struct update_service_info info;
    bool already = false;
    char err[1024];
    if (update_service_start(exe, a->state_dir, a->tenant_dir, a->port, &info, &already, err,
                             sizeof(err)) != 0) {
        return sim_cli_fail("deploy: %s", err);
    }
    if (!already || !quiet_if_running) {
        fprintf(stderr,
                "spheresim: update service %s on %s (state in %s; 'spheresim deploy --stop"
                " --state-dir %s' stops it)\n",
                already ? "runs" : "started", info.url, a->state_dir, a->state_dir);
    }
    return 0;
}

// Calls the API (starting the service first). Returns 0 with *out_reply set, or 1 after
// reporting the failure; an HTTP status other than expected is a failure too.
static int call(const struct deploy_args *a, const char *method, const char *path, const void *body,
                size_t len, const char *content_type, long expected, char **out_reply) {
    *out_reply = NULL;
    int status = start_service(a, true);
    if (status != 0) {
        return status;
    }
    struct update_client client;
    char err[1024];
    long http = 0;
    if (update_client_open(a->state_dir, &client, err, sizeof(err)) != 0 ||
        update_client_call(&client, method, path, body, len, content_type, &http, out_reply, NULL,
                           err, sizeof(err)) != 0) {
        return sim_cli_fail("deploy: %s", err);
    }
    if (http != expected) {
        char message[512];
        update_client_error_text(*out_reply, message, sizeof(message));
        free(*out_reply);
        *out_reply = NULL;
        return sim_cli_fail("deploy: the update service refused (HTTP %ld): %s", http, message);
    }
    return 0;
}

static const char *text_of(const cJSON *obj, const char *key) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(item) ? item->valuestring : "";
}

static int deploy_image(const struct deploy_args *a) {
    char *data = malloc(IMAGE_MAX_BYTES);
    size_t len = 0;
    char err[PATH_MAX + 128];
    if (data == NULL) {
        return sim_cli_fail("deploy: out of memory");
    }
    if (sim_fs_read_file(a->image, data, IMAGE_MAX_BYTES, &len, err, sizeof(err)) != 0) {
        free(data);
        return sim_cli_fail("deploy: %s", err);
    }
    char path[256];
    snprintf(path, sizeof(path), "/update/v1/deployments?%s=%s",
             a->device != NULL ? "device" : "group", a->device != NULL ? a->device : a->group);
    char *reply = NULL;
    int status = call(a, "POST", path, data, len, "application/octet-stream", 201, &reply);
    free(data);
    if (status != 0) {
        return status;
    }
    cJSON *root = cJSON_Parse(reply);
    if (a->json) {
        printf("%s\n", reply);
    } else {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
        printf("deployment %lld: %s '%s' %s (component %s) to %s %s\n",
               cJSON_IsNumber(id) ? (long long)id->valuedouble : 0LL, text_of(root, "type"),
               text_of(root, "name"), text_of(root, "version"), text_of(root, "component_id"),
               a->device != NULL ? "device" : "group", a->device != NULL ? a->device : a->group);
    }
    const char *warning = text_of(root, "warning");
    if (warning[0] != '\0') {
        fprintf(stderr, "spheresim: deploy: warning: devices will refuse this package: %s\n",
                warning);
    }
    cJSON_Delete(root);
    free(reply);
    return 0;
}

static void print_list(cJSON *deployments, cJSON *devices) {
    printf("%-4s %-6s %-24s %-10s %-8s %s\n", "ID", "TYPE", "NAME", "VERSION", "TARGET", "TO");
    const cJSON *d;
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(deployments, "deployments")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(d, "id");
        bool group = cJSON_GetObjectItemCaseSensitive(d, "group") != NULL;
        printf("%-4lld %-6s %-24s %-10s %-8s %.16s%s\n",
               cJSON_IsNumber(id) ? (long long)id->valuedouble : 0LL, text_of(d, "type"),
               text_of(d, "name"), text_of(d, "version"), group ? "group" : "device",
               text_of(d, group ? "group" : "device"),
               !group && strlen(text_of(d, "device")) > 16 ? "…" : "");
    }
    printf("\n%-18s %-10s %-10s %-10s %-22s %s\n", "DEVICE", "GROUP", "APP", "OS", "LAST CHECK",
           "LAST RESULT");
    cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(devices, "devices")) {
        const cJSON *app = cJSON_GetObjectItemCaseSensitive(d, "app");
        const cJSON *last = cJSON_GetObjectItemCaseSensitive(d, "last_result");
        char result[160] = "-";
        if (cJSON_IsObject(last)) {
            snprintf(result, sizeof(result), "%s %s %s", text_of(last, "version"),
                     text_of(last, "state"), text_of(last, "reason"));
        }
        printf("%.16s%-2s %-10s %-10s %-10s %-22s %s\n", text_of(d, "device_id"), "…",
               text_of(d, "group")[0] != '\0' ? text_of(d, "group") : "-", text_of(app, "version"),
               text_of(d, "os_version"), text_of(d, "last_check"), result);
    }
}

static int list(const struct deploy_args *a) {
    char *deployments = NULL;
    char *devices = NULL;
    char *groups = NULL;
    int status = call(a, "GET", "/update/v1/deployments", NULL, 0, NULL, 200, &deployments);
    if (status == 0) {
        status = call(a, "GET", "/update/v1/devices", NULL, 0, NULL, 200, &devices);
    }
    if (status == 0) {
        status = call(a, "GET", "/update/v1/groups", NULL, 0, NULL, 200, &groups);
    }
    if (status == 0) {
        cJSON *d = cJSON_Parse(deployments);
        cJSON *v = cJSON_Parse(devices);
        cJSON *g = cJSON_Parse(groups);
        if (a->json) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddItemToObject(root, "deployments",
                                  cJSON_DetachItemFromObject(d, "deployments"));
            cJSON_AddItemToObject(root, "devices", cJSON_DetachItemFromObject(v, "devices"));
            cJSON_AddItemToObject(root, "groups", cJSON_DetachItemFromObject(g, "groups"));
            char *text = cJSON_Print(root);
            printf("%s\n", text != NULL ? text : "{}");
            free(text);
            cJSON_Delete(root);
        } else {
            print_list(d, v);
        }
        cJSON_Delete(d);
        cJSON_Delete(v);
        cJSON_Delete(g);
    }
    free(deployments);
    free(devices);
    free(groups);
    return status;
}

static int set_group(const struct deploy_args *a, bool add) {
    char path[320];
    snprintf(path, sizeof(path), "/update/v1/groups/%s/devices/%s", a->group, a->device);
    char *reply = NULL;
    int status = call(a, add ? "PUT" : "DELETE", path, NULL, 0, NULL, 204, &reply);
    free(reply);
    if (status == 0 && !a->json) {
        printf("device %s %s group %s\n", a->device, add ? "is now in" : "left", a->group);
    }
    return status;
}

static int service_status(const struct deploy_args *a) {
    struct update_service_info info;
    char err[1024];
    if (update_service_query(a->state_dir, &info, err, sizeof(err)) != 0) {
        return sim_cli_fail("deploy: %s", err);
    }
    if (a->json) {
        printf("{\"running\":%s,\"url\":\"%s\",\"pid\":%d,\"state_dir\":\"%s\"}\n",
               info.running ? "true" : "false", info.running ? info.url : "",
               info.running ? info.pid : 0, a->state_dir);
    } else if (info.running) {
        printf("update service runs on %s (pid %d, state in %s)\n", info.url, info.pid,
               a->state_dir);
    } else {
        printf("no update service runs for %s\n", a->state_dir);
    }
    return info.running ? 0 : 3;
}

int sim_cmd_deploy(int argc, char **argv) {
    struct deploy_args args = {0};
    bool help = false;
    int status = parse(argc, argv, &args, &help);
    if (status != 0 || help) {
        if (help) {
            fputs(deploy_usage, stdout);
        }
        return status;
    }
    if ((status = resolve_dirs(&args)) != 0) {
        return status;
    }
    switch (args.verb) {
        case VERB_DEPLOY:
            return deploy_image(&args);
        case VERB_LIST:
            return list(&args);
        case VERB_GROUP_ADD:
        case VERB_GROUP_REMOVE:
            return set_group(&args, args.verb == VERB_GROUP_ADD);
        case VERB_START:
            return start_service(&args, false);
        case VERB_STOP: {
            bool was = false;
            char err[512];
            if (update_service_stop(args.state_dir, &was, err, sizeof(err)) != 0) {
                return sim_cli_fail("deploy: %s", err);
            }
            printf("%s\n", was ? "update service stopped" : "no update service was running");
            return 0;
        }
        case VERB_STATUS:
            return service_status(&args);
        case VERB_SERVE:
            return update_service_serve(args.state_dir, args.tenant_dir, args.port);
        case VERB_CRASH_POINTS:
            // For power-loss tests: every step where SPHERESIM_UPDATE_CRASH_AT can cut the power.
            for (size_t i = 0; i < sim_update_crash_step_count; i++) {
                printf("%s\n", sim_update_crash_steps[i]);
            }
            return 0;
    }
    return 1;
}
