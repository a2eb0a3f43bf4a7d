// SPDX-License-Identifier: MIT
// `spheresim image`: builds, signs and inspects signed image packages (docs/image-packages.md),
// and makes the tenant's update-signing key. The work is in sim/image; this file parses options
// and prints.
#include <cjson/cJSON.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image_inspect.h"
#include "image/image_pack.h"
#include "image/image_sign.h"
#include "os/fs_util.h"

#define MAX_PUBLIC_KEY_BYTES (16 * 1024)

static const char image_usage[] =
    "usage: spheresim image COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  pack DIR -o FILE --version X.Y.Z [--type app|os] [--key K | --sign]\n"
    "       [--name NAME] [--component-id GUID] [--hardware-definition F]\n"
    "       [--build-time SECONDS]\n"
    "                          package an unpacked app (app_manifest.json, bin/app,\n"
    "                          resources) or, with --type os, a simulated OS release\n"
    "                          (--name and --component-id apply to OS releases only);\n"
    "                          --key signs with the private key K, --sign with the\n"
    "                          tenant key; without either the package is unsigned\n"
    "  sign FILE [--key K] [-o OUT]\n"
    "                          sign (or re-sign) a package, in place unless -o;\n"
    "                          default key: the tenant update-signing key\n"
    "  inspect FILE [--key PUB] [--json]\n"
    "                          show metadata, files and hashes, and check the signature\n"
    "                          against the public key PUB (default: the tenant's);\n"
    "                          exits 0 only when the signature verifies\n"
    "  keygen [--json]         create the tenant update-signing key if missing and show it\n"
    "\n"
    "Every command takes --tenant-dir D (default $SPHERESIM_HOME/tenant), where the key pair\n"
    "image-signing.key (private, 0600) and image-signing.pub.pem (what devices trust) live,\n"
    "beside the tenant CA. pack, sign and keygen take --json too.\n";

enum image_option {
    OPT_TENANT_DIR = 1 << 0,
    OPT_OUTPUT = 1 << 1,
    OPT_VERSION = 1 << 2,
    OPT_TYPE = 1 << 3,
    OPT_KEY = 1 << 4,
    OPT_SIGN = 1 << 5,
    OPT_NAME = 1 << 6,
    OPT_COMPONENT = 1 << 7,
    OPT_HWDEF = 1 << 8,
    OPT_BUILD_TIME = 1 << 9,
    OPT_JSON = 1 << 10,
};

struct image_args {
    unsigned seen;
    const char *tenant_dir;
    const char *output;
    const char *version;
    const char *type;
    const char *key;
    const char *name;
    const char *component_id;
    const char *hardware_definition;
    long long build_time;
    bool json;
    const char *positional[2];
    int positional_count;
};

struct value_option {
    const char *name;
    enum image_option flag;
    size_t field;  // offset of the const char * in struct image_args; 0 for --build-time
};

static const struct value_option value_options[] = {
    {"--tenant-dir", OPT_TENANT_DIR, offsetof(struct image_args, tenant_dir)},
    {"-o", OPT_OUTPUT, offsetof(struct image_args, output)},
    {"--output", OPT_OUTPUT, offsetof(struct image_args, output)},
    {"--version", OPT_VERSION, offsetof(struct image_args, version)},
    {"--type", OPT_TYPE, offsetof(struct image_args, type)},
    {"--key", OPT_KEY, offsetof(struct image_args, key)},
    {"--name", OPT_NAME, offsetof(struct image_args, name)},
    {"--component-id", OPT_COMPONENT, offsetof(struct image_args, component_id)},
    {"--hardware-definition", OPT_HWDEF, offsetof(struct image_args, hardware_definition)},
    {"--build-time", OPT_BUILD_TIME, 0},
};

static int parse_args(int argc, char **argv, struct image_args *args) {
    memset(args, 0, sizeof *args);
    args->build_time = -1;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        const struct value_option *option = NULL;
        for (size_t k = 0; k < sizeof value_options / sizeof value_options[0]; k++) {
            if (strcmp(arg, value_options[k].name) == 0) {
                option = &value_options[k];
            }
        }
        if (option != NULL) {
            if (i + 1 >= argc) {
                return sim_cli_usage_error("image: %s needs a value", arg);
            }
            const char *value = argv[++i];
            args->seen |= option->flag;
            if (option->flag != OPT_BUILD_TIME) {
                *(const char **)((char *)args + option->field) = value;
                continue;
            }
            char *end = NULL;
            args->build_time = strtoll(value, &end, 10);
            if (end == value || *end != '\0' || args->build_time < 0) {
                return sim_cli_usage_error(
                    "image: --build-time must be seconds since 1970 (a number), not '%s'", value);
            }
        } else if (strcmp(arg, "--sign") == 0) {
            args->seen |= OPT_SIGN;
        } else if (strcmp(arg, "--json") == 0) {
            args->json = true;
            args->seen |= OPT_JSON;
        } else if (arg[0] == '-' && arg[1] != '\0') {
            return sim_cli_usage_error("image: unknown option '%s' (see 'spheresim image --help')",
                                       arg);
        } else if (args->positional_count == 2) {
            return sim_cli_usage_error("image: unexpected argument '%s'", arg);
        } else {
            args->positional[args->positional_count++] = arg;
        }
    }
    return 0;
}

static int expect(const struct image_args *args, unsigned allowed, int words, const char *verb) {
    if ((args->seen & ~(allowed | OPT_TENANT_DIR)) != 0) {
        return sim_cli_usage_error("image %s: option not valid here (see 'spheresim image --help')",
                                   verb);
    }
    if (args->positional_count != words) {
        return sim_cli_usage_error("image %s: expected %s (see 'spheresim image --help')", verb,
                                   words == 1 ? "no argument" : "one file or directory");
    }
    return 0;
}

static int tenant_dir(const struct image_args *args, char *out, size_t out_size) {
    if (args->tenant_dir != NULL) {
        int n = snprintf(out, out_size, "%s", args->tenant_dir);
        return n < 0 || (size_t)n >= out_size ? sim_cli_fail("image: --tenant-dir path too long")
                                              : 0;
    }
    char home[PATH_MAX];
    if (sim_cli_home(home, sizeof home) != 0) {
        return sim_cli_fail("image: SPHERESIM_HOME path too long");
    }
    return sim_cli_join(out, out_size, home, "/tenant");
}

static void print_json(cJSON *json) {
    char *text = json != NULL ? cJSON_Print(json) : NULL;
    if (text != NULL) {
        puts(text);
        cJSON_free(text);
    }
}

// The tenant signing key, created if missing; its path goes to key_path.
static int ensure_tenant_key(const char *tenant, char *key_path, size_t key_path_size,
                             const char *verb) {
    char err[1024];
    if (sim_image_signing_key_ensure(tenant, NULL, NULL, err, sizeof err) != SIM_IMAGE_OK) {
        return sim_cli_fail("image %s: %s", verb, err);
    }
    if (!sim_image_tenant_path(tenant, SIM_IMAGE_SIGNING_KEY_FILE, key_path, key_path_size)) {
        return sim_cli_fail("image %s: tenant directory path too long", verb);
    }
    return 0;
}

static void print_written(const char *verb, const char *path, bool json, bool is_signed,
                          const uint8_t key_id[SIM_IMAGE_KEY_ID_LEN]) {
    char hex[2 * SIM_IMAGE_KEY_ID_LEN + 1] = "";
    if (is_signed) {
        sim_image_hex(key_id, SIM_IMAGE_KEY_ID_LEN, hex);
    }
    if (!json) {
        printf("%s %s (%s%s)\n", verb, path, is_signed ? "signed, key " : "unsigned", hex);
        return;
    }
    cJSON *obj = cJSON_CreateObject();
    cJSON_AddStringToObject(obj, "file", path);
    cJSON_AddBoolToObject(obj, "signed", is_signed);
    if (is_signed) {
        cJSON_AddStringToObject(obj, "keyId", hex);
    }
    print_json(obj);
    cJSON_Delete(obj);
}

static int image_pack(const struct image_args *args, const char *tenant) {
    int status = expect(args,
                        OPT_OUTPUT | OPT_VERSION | OPT_TYPE | OPT_KEY | OPT_SIGN | OPT_NAME |
                            OPT_COMPONENT | OPT_HWDEF | OPT_BUILD_TIME | OPT_JSON,
                        2, "pack");
    if (status != 0) {
        return status;
    }
    struct sim_image_pack_options opts = {
        .dir = args->positional[1],
        .type = SIM_IMAGE_TYPE_APP,
        .hardware_definition = args->hardware_definition,
        .name = args->name,
        .component_id = args->component_id,
        .build_time = args->build_time,
        .signing_key = args->key,
    };
    if (args->output == NULL) {
        return sim_cli_usage_error("image pack: -o FILE is required");
    }
    if (args->version == NULL || !sim_image_version_parse(args->version, &opts.version)) {
        return sim_cli_usage_error("image pack: --version must be MAJOR.MINOR.PATCH, not '%s'",
                                   args->version != NULL ? args->version : "(missing)");
    }
    if (args->type != NULL && strcmp(args->type, "os") == 0) {
        opts.type = SIM_IMAGE_TYPE_OS;
    } else if (args->type != NULL && strcmp(args->type, "app") != 0) {
        return sim_cli_usage_error("image pack: --type must be app or os, not '%s'", args->type);
    }
    if ((args->seen & OPT_KEY) && (args->seen & OPT_SIGN)) {
        return sim_cli_usage_error("image pack: give --key K or --sign, not both");
    }
    char key_path[PATH_MAX];
    if ((args->seen & OPT_SIGN) != 0) {
        if ((status = ensure_tenant_key(tenant, key_path, sizeof key_path, "pack")) != 0) {
            return status;
        }
        opts.signing_key = key_path;
    }
    uint8_t key_id[SIM_IMAGE_KEY_ID_LEN];
    char err[2048];
    if (sim_image_pack(&opts, args->output, key_id, err, sizeof err) != SIM_IMAGE_OK) {
        return sim_cli_fail("image pack: %s", err);
    }
    print_written("packed", args->output, args->json, opts.signing_key != NULL, key_id);
    return 0;
}

static int image_sign(const struct image_args *args, const char *tenant) {
    int status = expect(args, OPT_KEY | OPT_OUTPUT | OPT_JSON, 2, "sign");
    if (status != 0) {
        return status;
    }
    char key_path[PATH_MAX];
    const char *key = args->key;
    if (key == NULL) {
        if ((status = ensure_tenant_key(tenant, key_path, sizeof key_path, "sign")) != 0) {
            return status;
        }
        key = key_path;
    }
    const char *out = args->output != NULL ? args->output : args->positional[1];
    uint8_t key_id[SIM_IMAGE_KEY_ID_LEN];
    char err[2048];
    if (sim_image_sign_file(args->positional[1], key, out, key_id, err, sizeof err) !=
        SIM_IMAGE_OK) {
        return sim_cli_fail("image sign: %s", err);
    }
    print_written("signed", out, args->json, true, key_id);
    return 0;
}

// A JSON string field, escaped for a terminal: package text is hostile.
static const char *text_of(const cJSON *obj, const char *field, char *buf, size_t buf_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    const char *value = cJSON_IsString(item) ? item->valuestring : "";
    return sim_image_escape(value, strlen(value), buf, buf_size);
}

static double number_of(const cJSON *obj, const char *field) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, field);
    return cJSON_IsNumber(item) ? item->valuedouble : 0;
}

static void print_inspect_text(const cJSON *json) {
    char a[1024];
    char b[1024];
    char c[1024];
    const cJSON *structure = cJSON_GetObjectItemCaseSensitive(json, "structure");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(json, "signature");
    printf("package:      %s (%.0f bytes)\n", text_of(json, "file", a, sizeof a),
           number_of(json, "bytes"));
    const char *status = text_of(structure, "status", a, sizeof a);
    printf("structure:    %s%s%s\n", status, strcmp(status, "ok") == 0 ? "" : ": ",
           text_of(structure, "message", b, sizeof b));
    if (cJSON_GetObjectItemCaseSensitive(json, "componentId") != NULL) {
        printf("format:       %.0f\n", number_of(json, "formatVersion"));
        printf("type:         %s\n", text_of(json, "type", a, sizeof a));
        printf("component id: %s\n", text_of(json, "componentId", a, sizeof a));
        printf("name:         %s\n", text_of(json, "name", a, sizeof a));
        printf("version:      %s\n", text_of(json, "version", a, sizeof a));
        printf("build time:   %s (%.0f)\n", text_of(json, "buildTime", a, sizeof a),
               number_of(json, "buildTimeUnix"));
        printf("payload:      %.0f bytes\n", number_of(json, "payloadBytes"));
    }
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(json, "files");
    if (cJSON_GetArraySize(files) > 0) {
        printf("files:\n");
    }
    const cJSON *file;
    cJSON_ArrayForEach(file, files) {
        printf("  %s %10.0f  %s  %s\n", text_of(file, "mode", c, sizeof c),
               number_of(file, "bytes"), text_of(file, "sha256", a, sizeof a),
               text_of(file, "path", b, sizeof b));
    }
    status = text_of(sig, "status", a, sizeof a);
    bool ok = strcmp(status, "ok") == 0;
    printf("signature:    %s%s%s\n", ok ? "valid" : status, ok ? "" : ": ",
           ok ? "" : text_of(sig, "message", b, sizeof b));
    if (cJSON_GetObjectItemCaseSensitive(sig, "keyId") != NULL) {
        printf("signed by:    %s\n", text_of(sig, "keyId", a, sizeof a));
    }
    if (cJSON_GetObjectItemCaseSensitive(sig, "trustedKeyId") != NULL) {
        printf("trusted key:  %s\n", text_of(sig, "trustedKeyId", a, sizeof a));
    }
}

static int image_inspect(const struct image_args *args, const char *tenant) {
    int status = expect(args, OPT_KEY | OPT_JSON, 2, "inspect");
    if (status != 0) {
        return status;
    }
    char default_key[PATH_MAX];
    const char *key_path = args->key;
    if (key_path == NULL) {
        if (!sim_image_tenant_path(tenant, SIM_IMAGE_SIGNING_PUBKEY_FILE, default_key,
                                   sizeof default_key)) {
            return sim_cli_fail("image inspect: tenant directory path too long");
        }
        key_path = access(default_key, F_OK) == 0 ? default_key : NULL;
    }
    static char key[MAX_PUBLIC_KEY_BYTES];
    size_t key_len = 0;
    char err[2048];
    if (key_path != NULL &&
        sim_fs_read_file(key_path, key, sizeof key, &key_len, err, sizeof err) != 0) {
        return sim_cli_fail("image inspect: trusted key: %s", err);
    }
    cJSON *json = NULL;
    enum sim_image_result rc = sim_image_inspect(args->positional[1], key_path != NULL ? key : NULL,
                                                 key_len, &json, err, sizeof err);
    if (json == NULL) {
        return sim_cli_fail("image inspect: %s", err);
    }
    if (args->json) {
        print_json(json);
    } else {
        print_inspect_text(json);
    }
    cJSON_Delete(json);
    if (rc != SIM_IMAGE_OK) {
        char shown[2048];
        return sim_cli_fail("image inspect: %s",
                            sim_image_escape(err, sizeof err, shown, sizeof shown));
    }
    return 0;
}

static int image_keygen(const struct image_args *args, const char *tenant) {
    int status = expect(args, OPT_JSON, 1, "keygen");
    if (status != 0) {
        return status;
    }
    char key_path[PATH_MAX];
    char pub_path[PATH_MAX];
    char hex[2 * SIM_IMAGE_KEY_ID_LEN + 1];
    uint8_t key_id[SIM_IMAGE_KEY_ID_LEN];
    bool created = false;
    char err[1024];
    if (!sim_image_tenant_path(tenant, SIM_IMAGE_SIGNING_KEY_FILE, key_path, sizeof key_path) ||
        !sim_image_tenant_path(tenant, SIM_IMAGE_SIGNING_PUBKEY_FILE, pub_path, sizeof pub_path)) {
        return sim_cli_fail("image keygen: tenant directory path too long");
    }
    if (sim_image_signing_key_ensure(tenant, &created, key_id, err, sizeof err) != SIM_IMAGE_OK) {
        return sim_cli_fail("image keygen: %s", err);
    }
    sim_image_hex(key_id, sizeof key_id, hex);
    if (args->json) {
        cJSON *obj = cJSON_CreateObject();
        cJSON_AddStringToObject(obj, "privateKey", key_path);
        cJSON_AddStringToObject(obj, "publicKey", pub_path);
        cJSON_AddStringToObject(obj, "keyId", hex);
        cJSON_AddBoolToObject(obj, "created", created);
        print_json(obj);
        cJSON_Delete(obj);
        return 0;
    }
    printf("update-signing key: %s (%s)\n", key_path, created ? "created" : "existing");
    printf("public key (devices trust it): %s\n", pub_path);
    printf("key id: %s\n", hex);
    return 0;
}

int sim_cmd_image(int argc, char **argv) {
    if (argc < 2) {
        return sim_cli_usage_error("image: expected a command (try 'spheresim image --help')");
    }
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            (i == 1 && strcmp(argv[i], "help") == 0)) {
            fputs(image_usage, stdout);
            return 0;
        }
    }
    struct image_args args;
    int status = parse_args(argc - 1, argv + 1, &args);
    if (status != 0) {
        return status;
    }
    char tenant[PATH_MAX];
    if ((status = tenant_dir(&args, tenant, sizeof tenant)) != 0) {
        return status;
    }
    const char *verb = args.positional[0];
    if (verb == NULL) {
        return sim_cli_usage_error("image: expected a command (try 'spheresim image --help')");
    }
    if (strcmp(verb, "pack") == 0) {
        return image_pack(&args, tenant);
    }
    if (strcmp(verb, "sign") == 0) {
        return image_sign(&args, tenant);
    }
    if (strcmp(verb, "inspect") == 0) {
        return image_inspect(&args, tenant);
    }
    if (strcmp(verb, "keygen") == 0) {
        return image_keygen(&args, tenant);
    }
    return sim_cli_usage_error("image: unknown command '%s' (see 'spheresim image --help')", verb);
}
