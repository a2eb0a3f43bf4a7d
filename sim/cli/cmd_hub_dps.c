// SPDX-License-Identifier: MIT
// `spheresim hub enrollment …` and `spheresim hub dps …`: the local Device Provisioning Service's
// enrollment list and the credentials a device needs to register with it. Like the registry
// commands, these work on the hub's SQLite database directly, whether or not the broker runs;
// DPS reads enrollments on every connection, so changes apply to the next CONNECT. Output is
// JSON; failures are one line on stderr.
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cloud/hub_dps.h"
#include "cloud/hub_enrollments.h"
#include "cloud/hub_sas.h"
#include "cloud/hub_store.h"
#include "os/fs_util.h"

#define DEFAULT_SAS_EXPIRY_SECONDS 3600L
#define MAX_POSITIONAL 4

static const char dps_usage[] =
    "usage: spheresim hub enrollment COMMAND [options]\n"
    "       spheresim hub dps COMMAND [options]\n"
    "\n"
    "enrollments (the local Device Provisioning Service's list):\n"
    "  enrollment add REGID --x509|--symmetric-key [--key K] [--secondary-key K] [--disabled]\n"
    "                              an individual enrollment; symmetric keys are generated\n"
    "                              unless given (base64 of 16-64 bytes)\n"
    "  enrollment group add NAME --x509|--symmetric-key [--key K] [--secondary-key K]\n"
    "                    [--disabled]\n"
    "                              an enrollment group: X.509 covers every certificate from\n"
    "                              the tenant CA, a symmetric-key group every device with a\n"
    "                              key derived from the group key ('dps key')\n"
    "  enrollment list             all enrollments as JSON ('enrollment group list': groups)\n"
    "  enrollment [group] remove|enable|disable ID\n"
    "\n"
    "device credentials:\n"
    "  dps key GROUP REGID [--key K]\n"
    "                              the device key a symmetric-key group derives for REGID\n"
    "                              (from the group's keys, or from --key)\n"
    "  dps sas-token REGID [--key K] [--expiry-seconds N] [--id-scope S]\n"
    "                              the MQTT username and password (SAS token) for registering\n"
    "                              REGID; without --key, its individual enrollment's key\n"
    "\n"
    "Every command takes --state-dir D (default $SPHERESIM_HOME/hub). The id scope defaults to\n"
    "" HUB_DPS_DEFAULT_ID_SCOPE ".\n";

enum option_flag {
    OPT_STATE_DIR = 1 << 0,
    OPT_KEY = 1 << 1,
    OPT_SECONDARY_KEY = 1 << 2,
    OPT_EXPIRY = 1 << 3,
    OPT_ID_SCOPE = 1 << 4,
    OPT_ATTESTATION = 1 << 5,
    OPT_DISABLED = 1 << 6,
};

struct dps_args {
    unsigned seen;
    const char *verb;  // "enrollment" or "dps"
    const char *state_dir;
    const char *key;
    const char *secondary_key;
    const char *id_scope;
    long expiry_seconds;
    bool symmetric_key;
    bool disabled;
    const char *positional[MAX_POSITIONAL];
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

// The option that takes the value after it, with its flag; 0 for other words.
static unsigned value_option(const char *arg) {
    static const struct {
        const char *name;
        unsigned flag;
    } options[] = {
        {"--state-dir", OPT_STATE_DIR},         {"--key", OPT_KEY},
        {"--secondary-key", OPT_SECONDARY_KEY}, {"--expiry-seconds", OPT_EXPIRY},
        {"--id-scope", OPT_ID_SCOPE},
    };
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
        if (strcmp(arg, options[i].name) == 0) {
            return options[i].flag;
        }
    }
    return 0;
}

// Parses options anywhere among the words after the verb; returns 0, or the exit status after
// reporting.
static int parse_args(int argc, char **argv, struct dps_args *args) {
    memset(args, 0, sizeof *args);
    args->verb = argv[0];
    args->expiry_seconds = DEFAULT_SAS_EXPIRY_SECONDS;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        unsigned flag = value_option(arg);
        if (flag != 0) {
            if (i + 1 >= argc) {
                return sim_cli_usage_error("hub %s: %s needs a value", args->verb, arg);
            }
            const char *value = argv[++i];
            args->seen |= flag;
            if (flag == OPT_STATE_DIR) {
                args->state_dir = value;
            } else if (flag == OPT_KEY) {
                args->key = value;
            } else if (flag == OPT_SECONDARY_KEY) {
                args->secondary_key = value;
            } else if (flag == OPT_ID_SCOPE) {
                args->id_scope = value;
            } else if (!parse_long(value, 1, 315360000L, &args->expiry_seconds)) {
                return sim_cli_usage_error("hub %s: --expiry-seconds must be 1-315360000",
                                           args->verb);
            }
        } else if (strcmp(arg, "--x509") == 0 || strcmp(arg, "--symmetric-key") == 0) {
            if ((args->seen & OPT_ATTESTATION) != 0) {
                return sim_cli_usage_error("hub %s: give one of --x509 and --symmetric-key",
                                           args->verb);
            }
            args->symmetric_key = strcmp(arg, "--symmetric-key") == 0;
            args->seen |= OPT_ATTESTATION;
        } else if (strcmp(arg, "--disabled") == 0) {
            args->disabled = true;
            args->seen |= OPT_DISABLED;
        } else if (strncmp(arg, "--", 2) == 0) {
            return sim_cli_usage_error(
                "hub %s: unknown option '%s' (see 'spheresim hub %s --help')", args->verb, arg,
                args->verb);
        } else if (args->positional_count == MAX_POSITIONAL) {
            return sim_cli_usage_error("hub %s: unexpected argument '%s'", args->verb, arg);
        } else {
            args->positional[args->positional_count++] = arg;
        }
    }
    return 0;
}

// Checks that only `allowed` options were given and exactly `words` positional words.
static int expect(const struct dps_args *args, unsigned allowed, int words, const char *command) {
    if ((args->seen & ~(allowed | OPT_STATE_DIR)) != 0) {
        return sim_cli_usage_error("hub %s: option not valid here (see 'spheresim hub %s --help')",
                                   command, args->verb);
    }
    if (args->positional_count != words) {
        return sim_cli_usage_error(
            "hub %s: wrong number of arguments (see 'spheresim hub %s "
            "--help')",
            command, args->verb);
    }
    return 0;
}

static int check_id(const char *id, const char *command) {
    if (!hub_enrollment_id_is_valid(id)) {
        return sim_cli_usage_error("hub %s: '%s' is not a valid id (1-128 of A-Z a-z 0-9 - . _ :)",
                                   command, id);
    }
    return 0;
}

// Opens the enrollment tables in the hub database, creating the state directory if needed.
static struct hub_enrollments *open_enrollments(const struct dps_args *args, const char *command) {
    char home[PATH_MAX];
    char state_dir[PATH_MAX];
    char db_path[PATH_MAX];
    char err[512];
    if (args->state_dir != NULL) {
        int n = snprintf(state_dir, sizeof state_dir, "%s", args->state_dir);
        if (n < 0 || (size_t)n >= sizeof state_dir) {
            sim_cli_fail("hub %s: --state-dir path too long", command);
            return NULL;
        }
    } else if (sim_cli_home(home, sizeof home) != 0) {
        sim_cli_fail("hub %s: SPHERESIM_HOME path too long", command);
        return NULL;
    } else if (sim_cli_join(state_dir, sizeof state_dir, home, "/hub") != 0) {
        return NULL;
    }
    // Only `hub start` creates a hub; a mistyped --state-dir must not get a new, empty one.
    if (!hub_store_state_exists(state_dir)) {
        sim_cli_fail("hub %s: %s holds no hub (no " HUB_STORE_FILE
                     "); 'spheresim hub start --state-dir %s' creates one",
                     command, state_dir, state_dir);
        return NULL;
    }
    if (sim_cli_join(db_path, sizeof db_path, state_dir, "/" HUB_STORE_FILE) != 0) {
        return NULL;
    }
    struct hub_enrollments *enrollments = NULL;
    if (hub_enrollments_open(db_path, &enrollments, err, sizeof err) != HUB_ENROLLMENT_OK) {
        sim_cli_fail("hub %s: %s", command, err);
        return NULL;
    }
    return enrollments;
}

// Prints json (and deletes it); fails when it could not be built.
static int print_json(cJSON *json, const char *command) {
    char *text = json != NULL ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    if (text == NULL) {
        return sim_cli_fail("hub %s: out of memory", command);
    }
    puts(text);
    cJSON_free(text);
    return 0;
}

// ---- enrollment ----

static int enrollment_add(const struct dps_args *args, enum hub_enrollment_kind kind,
                          const char *id, struct hub_enrollments *enrollments,
                          const char *command) {
    if ((args->seen & OPT_ATTESTATION) == 0) {
        return sim_cli_usage_error("hub %s: give --x509 or --symmetric-key", command);
    }
    if (!args->symmetric_key && (args->seen & (OPT_KEY | OPT_SECONDARY_KEY)) != 0) {
        return sim_cli_usage_error("hub %s: X.509 enrollments take no keys", command);
    }
    if (args->secondary_key != NULL && args->key == NULL) {
        return sim_cli_usage_error("hub %s: --secondary-key needs --key", command);
    }
    struct hub_enrollment enrollment = {
        .kind = kind,
        .attestation = args->symmetric_key ? HUB_ATTESTATION_SYMMETRIC_KEY : HUB_ATTESTATION_X509,
        .enabled = !args->disabled,
    };
    int n1 = snprintf(enrollment.id, sizeof enrollment.id, "%s", id);
    int n2 = snprintf(enrollment.primary_key, sizeof enrollment.primary_key, "%s",
                      args->key != NULL ? args->key : "");
    int n3 = snprintf(enrollment.secondary_key, sizeof enrollment.secondary_key, "%s",
                      args->secondary_key != NULL ? args->secondary_key : "");
    if (n1 < 0 || (size_t)n1 >= sizeof enrollment.id || n2 < 0 ||
        (size_t)n2 >= sizeof enrollment.primary_key || n3 < 0 ||
        (size_t)n3 >= sizeof enrollment.secondary_key) {
        return sim_cli_usage_error("hub %s: id or key too long", command);
    }
    // A single given key is used for both, so any of the device's tokens stays valid.
    if (args->key != NULL && args->secondary_key == NULL) {
        memcpy(enrollment.secondary_key, enrollment.primary_key, sizeof enrollment.secondary_key);
    }
    if (hub_enrollment_add(enrollments, &enrollment) != HUB_ENROLLMENT_OK) {
        return sim_cli_fail("hub %s: %s", command, hub_enrollments_error(enrollments));
    }
    return print_json(hub_enrollment_to_json(&enrollment), command);
}

struct list_output {
    cJSON *individual;
    cJSON *groups;
};

static int list_one(const struct hub_enrollment *enrollment, void *ctx) {
    struct list_output *output = ctx;
    cJSON *item = hub_enrollment_to_json(enrollment);
    cJSON *into = enrollment->kind == HUB_ENROLLMENT_GROUP ? output->groups : output->individual;
    if (item == NULL || into == NULL || !cJSON_AddItemToArray(into, item)) {
        cJSON_Delete(item);
        return 1;
    }
    return 0;
}

static int enrollment_list(bool groups_only, struct hub_enrollments *enrollments,
                           const char *command) {
    cJSON *root = cJSON_CreateObject();
    struct list_output output = {
        .individual = groups_only ? NULL : cJSON_AddArrayToObject(root, "individualEnrollments"),
        .groups = cJSON_AddArrayToObject(root, "enrollmentGroups"),
    };
    if (root == NULL || output.groups == NULL || (!groups_only && output.individual == NULL)) {
        cJSON_Delete(root);
        return sim_cli_fail("hub %s: out of memory", command);
    }
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    if (groups_only) {
        result = hub_enrollment_list_groups(enrollments, HUB_ATTESTATION_X509, list_one, &output);
        if (result == HUB_ENROLLMENT_OK) {
            result = hub_enrollment_list_groups(enrollments, HUB_ATTESTATION_SYMMETRIC_KEY,
                                                list_one, &output);
        }
    } else {
        result = hub_enrollment_list(enrollments, list_one, &output);
    }
    if (result != HUB_ENROLLMENT_OK) {
        cJSON_Delete(root);
        return sim_cli_fail("hub %s: %s", command, hub_enrollments_error(enrollments));
    }
    return print_json(root, command);
}

// remove, enable, disable: prints the enrollment as it is afterwards (as it was, for remove).
static int enrollment_change(const char *sub, enum hub_enrollment_kind kind, const char *id,
                             struct hub_enrollments *enrollments, const char *command) {
    struct hub_enrollment enrollment;
    enum hub_enrollment_result result = HUB_ENROLLMENT_OK;
    if (strcmp(sub, "remove") == 0) {
        result = hub_enrollment_get(enrollments, kind, id, &enrollment);
        if (result == HUB_ENROLLMENT_OK) {
            result = hub_enrollment_remove(enrollments, kind, id);
        }
    } else {
        result = hub_enrollment_set_enabled(enrollments, kind, id, strcmp(sub, "enable") == 0);
        if (result == HUB_ENROLLMENT_OK) {
            result = hub_enrollment_get(enrollments, kind, id, &enrollment);
        }
    }
    if (result != HUB_ENROLLMENT_OK) {
        return sim_cli_fail("hub %s: %s", command, hub_enrollments_error(enrollments));
    }
    return print_json(hub_enrollment_to_json(&enrollment), command);
}

static int cmd_enrollment(const struct dps_args *args) {
    bool group = args->positional_count > 0 && strcmp(args->positional[0], "group") == 0;
    int first = group ? 1 : 0;
    const char *sub = args->positional_count > first ? args->positional[first] : "";
    enum hub_enrollment_kind kind = group ? HUB_ENROLLMENT_GROUP : HUB_ENROLLMENT_INDIVIDUAL;
    char command[48];
    snprintf(command, sizeof command, "enrollment %s%s", group ? "group " : "", sub);
    bool is_add = strcmp(sub, "add") == 0;
    bool is_list = strcmp(sub, "list") == 0;
    bool is_change =
        strcmp(sub, "remove") == 0 || strcmp(sub, "enable") == 0 || strcmp(sub, "disable") == 0;
    if (!is_add && !is_list && !is_change) {
        return sim_cli_usage_error(
            "hub enrollment: expected [group] add, list, remove, enable or disable");
    }
    int status =
        expect(args, is_add ? OPT_ATTESTATION | OPT_KEY | OPT_SECONDARY_KEY | OPT_DISABLED : 0,
               first + (is_list ? 1 : 2), command);
    const char *id = is_list ? NULL : args->positional[first + 1];
    if (status == 0 && id != NULL) {
        status = check_id(id, command);
    }
    if (status != 0) {
        return status;
    }
    struct hub_enrollments *enrollments = open_enrollments(args, command);
    if (enrollments == NULL) {
        return 1;
    }
    if (is_add) {
        status = enrollment_add(args, kind, id, enrollments, command);
    } else if (is_list) {
        status = enrollment_list(group, enrollments, command);
    } else {
        status = enrollment_change(sub, kind, id, enrollments, command);
    }
    hub_enrollments_close(enrollments);
    return status;
}

// ---- dps ----

static int dps_key(const struct dps_args *args) {
    const char *command = "dps key";
    int status = expect(args, OPT_KEY, 3, command);
    const char *group = args->positional[1];
    const char *registration_id = args->positional[2];
    if (status == 0) {
        status = check_id(group, command);
    }
    if (status == 0) {
        status = check_id(registration_id, command);
    }
    if (status != 0) {
        return status;
    }
    struct hub_enrollment enrollment = {.attestation = HUB_ATTESTATION_SYMMETRIC_KEY};
    if (args->key != NULL) {
        snprintf(enrollment.primary_key, sizeof enrollment.primary_key, "%s", args->key);
    } else {
        struct hub_enrollments *enrollments = open_enrollments(args, command);
        if (enrollments == NULL) {
            return 1;
        }
        enum hub_enrollment_result result =
            hub_enrollment_get(enrollments, HUB_ENROLLMENT_GROUP, group, &enrollment);
        if (result != HUB_ENROLLMENT_OK) {
            sim_cli_fail("hub %s: %s", command, hub_enrollments_error(enrollments));
        }
        hub_enrollments_close(enrollments);
        if (result != HUB_ENROLLMENT_OK) {
            return 1;
        }
        if (enrollment.attestation != HUB_ATTESTATION_SYMMETRIC_KEY) {
            return sim_cli_fail("hub %s: group %s uses X.509, not symmetric keys", command, group);
        }
    }
    char primary[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    char secondary[HUB_ENROLLMENT_DERIVED_KEY_SIZE] = "";
    if (hub_enrollment_derive_device_key(enrollment.primary_key, registration_id, primary,
                                         sizeof primary) != 0 ||
        (enrollment.secondary_key[0] != '\0' &&
         hub_enrollment_derive_device_key(enrollment.secondary_key, registration_id, secondary,
                                          sizeof secondary) != 0)) {
        return sim_cli_fail("hub %s: the group key is not base64 of 16-64 bytes", command);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "enrollmentGroupId", group);
    cJSON_AddStringToObject(out, "registrationId", registration_id);
    cJSON_AddStringToObject(out, "primaryKey", primary);
    if (secondary[0] != '\0') {
        cJSON_AddStringToObject(out, "secondaryKey", secondary);
    }
    return print_json(out, command);
}

static int dps_sas_token(const struct dps_args *args) {
    const char *command = "dps sas-token";
    int status = expect(args, OPT_KEY | OPT_EXPIRY | OPT_ID_SCOPE, 2, command);
    const char *registration_id = args->positional[1];
    if (status == 0) {
        status = check_id(registration_id, command);
    }
    if (status != 0) {
        return status;
    }
    const char *scope = args->id_scope != NULL ? args->id_scope : HUB_DPS_DEFAULT_ID_SCOPE;
    struct hub_enrollment enrollment = {0};
    if (args->key != NULL) {
        snprintf(enrollment.primary_key, sizeof enrollment.primary_key, "%s", args->key);
    } else {
        struct hub_enrollments *enrollments = open_enrollments(args, command);
        if (enrollments == NULL) {
            return 1;
        }
        enum hub_enrollment_result result = hub_enrollment_get(
            enrollments, HUB_ENROLLMENT_INDIVIDUAL, registration_id, &enrollment);
        hub_enrollments_close(enrollments);
        if (result != HUB_ENROLLMENT_OK ||
            enrollment.attestation != HUB_ATTESTATION_SYMMETRIC_KEY) {
            return sim_cli_fail(
                "hub %s: %s has no symmetric-key individual enrollment; give --key (for a "
                "group, the key from 'hub dps key')",
                command, registration_id);
        }
    }
    char resource[HUB_SAS_MAX_RESOURCE];
    char token[HUB_SAS_MAX_TOKEN];
    char username[HUB_SAS_MAX_RESOURCE + sizeof "/api-version=" HUB_DPS_API_VERSION];
    int n = snprintf(resource, sizeof resource, "%s/registrations/%s", scope, registration_id);
    if (n < 0 || (size_t)n >= sizeof resource) {
        return sim_cli_usage_error("hub %s: --id-scope too long", command);
    }
    snprintf(username, sizeof username, "%s/api-version=%s", resource, HUB_DPS_API_VERSION);
    long long expiry = (long long)time(NULL) + args->expiry_seconds;
    if (hub_sas_token_make(resource, enrollment.primary_key, HUB_DPS_SAS_KEY_NAME, expiry, token,
                           sizeof token) < 0) {
        return sim_cli_fail("hub %s: cannot make a token (is the key base64?)", command);
    }
    cJSON *out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "registrationId", registration_id);
    cJSON_AddStringToObject(out, "idScope", scope);
    cJSON_AddStringToObject(out, "provisioningHost", HUB_DPS_GLOBAL_HOST);
    cJSON_AddStringToObject(out, "username", username);
    cJSON_AddStringToObject(out, "sasToken", token);
    cJSON_AddNumberToObject(out, "expiry", (double)expiry);
    return print_json(out, command);
}

static int cmd_dps(const struct dps_args *args) {
    const char *sub = args->positional_count > 0 ? args->positional[0] : "";
    if (strcmp(sub, "key") == 0) {
        return dps_key(args);
    }
    if (strcmp(sub, "sas-token") == 0) {
        return dps_sas_token(args);
    }
    return sim_cli_usage_error("hub dps: expected key or sas-token");
}

int sim_cmd_hub_enrollment(int argc, char **argv) {
    if (argc < 1 || (strcmp(argv[0], "enrollment") != 0 && strcmp(argv[0], "dps") != 0)) {
        return -1;
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(dps_usage, stdout);
            return 0;
        }
    }
    struct dps_args args;
    int status = parse_args(argc, argv, &args);
    if (status != 0) {
        return status;
    }
    return strcmp(args.verb, "dps") == 0 ? cmd_dps(&args) : cmd_enrollment(&args);
}
