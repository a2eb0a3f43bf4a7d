// SPDX-License-Identifier: MIT
// Putting a scenario's device in place before it starts: its directory, a manifest with the
// scenario's CmdArgs, a mutable-storage image, and the `spheresim run` command that is the
// device (started again, unchanged, after a power cut).
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/format_text.h"
#include "runner/runner_internal.h"

static int read_file(const char *path, char **out, size_t max) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return -1;
    }
    char *buf = malloc(max + 1);
    size_t n = buf != NULL ? fread(buf, 1, max + 1, f) : 0;
    fclose(f);
    if (buf == NULL || n > max) {
        free(buf);
        errno = EFBIG;
        return -1;
    }
    buf[n] = '\0';
    *out = buf;
    return 0;
}

// The manifest the app would use: --manifest, else the package's (a directory, or the directory
// holding the binary, or the one above bin/).
static void app_manifest_path(const struct scn_device *def, char *out, size_t out_size) {
    struct stat st;
    if (def->manifest != NULL) {
        snprintf(out, out_size, "%s", def->manifest);
    } else if (stat(def->app, &st) == 0 && S_ISDIR(st.st_mode)) {
        snprintf(out, out_size, "%s/app_manifest.json", def->app);
    } else {
        char copy[RN_PATH_MAX];
        snprintf(copy, sizeof(copy), "%s", def->app);
        char *dir = dirname(copy);
        const char *base = strrchr(dir, '/');
        if (base != NULL && strcmp(base + 1, "bin") == 0) {
            snprintf(out, out_size, "%.*s/app_manifest.json", (int)(base - dir), dir);
        } else {
            snprintf(out, out_size, "%s/app_manifest.json", dir);
        }
    }
}

static int copy_file(const char *from, const char *to, char *err, size_t err_size) {
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        snprintf(err, err_size, "cannot read %s: %s", from, strerror(errno));
        return -1;
    }
    int out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (out < 0) {
        (void)sim_format(err, err_size, "cannot write %s: %s", to, strerror(errno));
        close(in);
        return -1;
    }
    int result = 0;
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        if (write(out, buf, (size_t)n) != n) {
            (void)sim_format(err, err_size, "cannot write %s: %s", to, strerror(errno));
            result = -1;
            break;
        }
    }
    if (n < 0) {
        snprintf(err, err_size, "cannot read %s: %s", from, strerror(errno));
        result = -1;
    }
    close(in);
    close(out);
    return result;
}

// Reads the manifest for the ComponentId and, with cmd_args, writes a copy whose CmdArgs are
// the scenario's.
static int prepare_manifest(struct rn_runner *r, struct rn_device *d, char *err, size_t err_size) {
    char path[RN_PATH_MAX];
    app_manifest_path(d->def, path, sizeof(path));
    char *text = NULL;
    if (read_file(path, &text, 1024 * 1024) != 0) {
        (void)sim_format(err, err_size, "cannot read the manifest %s: %s", path, strerror(errno));
        return -1;
    }
    cJSON *manifest = cJSON_Parse(text);
    free(text);
    if (manifest == NULL) {
        (void)sim_format(err, err_size, "the manifest %s is not valid JSON", path);
        return -1;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(manifest, "ComponentId");
    if (!cJSON_IsString(id) || strlen(id->valuestring) >= sizeof(d->component_id)) {
        (void)sim_format(err, err_size, "%s: no ComponentId", path);
        cJSON_Delete(manifest);
        return -1;
    }
    snprintf(d->component_id, sizeof(d->component_id), "%s", id->valuestring);
    int result = 0;
    if (d->def->has_cmd_args) {
        cJSON *args = cJSON_CreateArray();
        for (size_t i = 0; i < d->def->cmd_arg_count; i++) {
            cJSON_AddItemToArray(args, cJSON_CreateString(d->def->cmd_args[i]));
        }
        cJSON_DeleteItemFromObjectCaseSensitive(manifest, "CmdArgs");
        cJSON_AddItemToObject(manifest, "CmdArgs", args);
        snprintf(d->manifest, sizeof(d->manifest), "%s/manifest-%zu.json", r->root, d->index);
        char *out = cJSON_Print(manifest);
        FILE *f = out != NULL ? fopen(d->manifest, "w") : NULL;
        if (f == NULL || fputs(out, f) < 0) {
            (void)sim_format(err, err_size, "cannot write %s", d->manifest);
            result = -1;
        }
        if (f != NULL) {
            fclose(f);
        }
        free(out);
    } else if (d->def->manifest != NULL) {
        snprintf(d->manifest, sizeof(d->manifest), "%s", d->def->manifest);
    }
    cJSON_Delete(manifest);
    return result;
}

int rn_device_prepare(struct rn_runner *r, struct rn_device *d, char *err, size_t err_size) {
    snprintf(d->dir, sizeof(d->dir), "%s/d%zu", r->root, d->index);
    snprintf(d->ctl_path, sizeof(d->ctl_path), "%s/ctl.sock", d->dir);
    d->out_fd = -1;
    d->temperature_c = 25;
    d->power_on_at = RN_NEVER;
    if (mkdir(d->dir, 0700) != 0) {
        (void)sim_format(err, err_size, "cannot create %s: %s", d->dir, strerror(errno));
        return -1;
    }
    if (prepare_manifest(r, d, err, err_size) != 0) {
        return -1;
    }
    if (d->def->storage_image != NULL) {
        char dir[RN_PATH_MAX + 16];
        char file[RN_PATH_MAX + 96];
        snprintf(dir, sizeof(dir), "%s/storage", d->dir);
        snprintf(file, sizeof(file), "%s/%s", dir, d->component_id);
        if (mkdir(dir, 0700) != 0 || copy_file(d->def->storage_image, file, err, err_size) != 0) {
            if (err[0] == '\0') {
                (void)sim_format(err, err_size, "cannot create %s: %s", dir, strerror(errno));
            }
            return -1;
        }
    }
    return 0;
}

int rn_device_spawn(struct rn_runner *r, struct rn_device *d, char *err, size_t err_size) {
    char *argv[24];
    size_t n = 0;
    argv[n++] = (char *)r->cfg->spheresim;
    argv[n++] = "run";
    argv[n++] = d->def->app;
    argv[n++] = "--device-dir";
    argv[n++] = d->dir;
    argv[n++] = "--board";
    argv[n++] = d->def->board != NULL ? d->def->board : "mt3620_rdb";
    argv[n++] = "--debug";
    // The device's fault proxy draws from its own stream of the scenario's seed, recorded in
    // the trace so a run can be replayed decision for decision.
    uint64_t net_seed = rn_derive_seed(r, "net", d->index);
    char net_seed_text[24];
    snprintf(net_seed_text, sizeof(net_seed_text), "%" PRIu64, net_seed);
    argv[n++] = "--net-seed";
    argv[n++] = net_seed_text;
    cJSON *decision = cJSON_CreateObject();
    cJSON_AddStringToObject(decision, "what", "net-seed");
    cJSON_AddStringToObject(decision, "device", d->def->id != NULL ? d->def->id : "");
    cJSON_AddStringToObject(decision, "seed", net_seed_text);
    rn_trace(r, "decision", decision);
    if (d->manifest[0] != '\0') {
        argv[n++] = "--manifest";
        argv[n++] = d->manifest;
    }
    if (d->def->network_down) {
        argv[n++] = "--network-down";
    }
    if (!d->def->time_synced) {
        argv[n++] = "--time-unsynced";
    }
    if (r->updates) {
        argv[n++] = "--update-check-period";
        argv[n++] = "2s";
    }
    argv[n++] = "--hub";
    if (r->hub_local) {
        argv[n++] = "local";
        argv[n++] = "--hub-state-dir";
        argv[n++] = r->hub_dir;
    } else {
        argv[n++] = r->scn->hub.host;
    }
    argv[n] = NULL;
    d->pid = rn_spawn(argv, &d->out_fd, err, err_size);
    return d->pid > 0 ? 0 : -1;
}
