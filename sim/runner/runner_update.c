// SPDX-License-Identifier: MIT
// Update actions: deploying an image package to a device through the local update service
// (`spheresim deploy`, docs/updates.md), intact or damaged. Each run has its own tenant, so
// the runner signs what it deploys with the run's tenant key: a package file is re-signed, an
// unpacked app directory is packed first (version 1.0.<step number>, newer than the sideloaded
// 0.0.0 a device boots with). Damage is done after signing, so only the device's own checks
// can catch it. Devices in a scenario with updates check every 2 s of device time.
//
// power_cut_during_install arms the device's power cut at one of the install's steps (the
// control request power-cut, ctl_power_cut.h) before it deploys, so the device cannot reach the
// step first; runner_device.c then sees the device process end there and powers it on again.
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "os/update_agent_crash.h"
#include "runner/runner_internal.h"

#define COMMAND_TIMEOUT_MS 60000

bool rn_update_needed(const struct rn_runner *r) {
    for (size_t i = 0; i < r->scn->step_count; i++) {
        enum scn_action_kind kind = r->scn->steps[i].action.kind;
        if (r->scn->steps[i].timing != SCN_UNTIL &&
            (kind == SCN_ACT_DEPLOY || kind == SCN_ACT_DEPLOY_CORRUPT ||
             kind == SCN_ACT_POWER_CUT_DURING_INSTALL)) {
            return true;
        }
    }
    return false;
}

// Runs `spheresim ARGS...`; returns 0, or -1 with its output (or why it did not run) in err.
static int spheresim(struct rn_runner *r, char *err, size_t err_size, char *const args[]) {
    char *argv[16];
    size_t n = 0;
    argv[n++] = (char *)r->cfg->spheresim;
    for (size_t i = 0; args[i] != NULL && n < 15; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    char out[4096];
    int status = rn_run_capture(argv, COMMAND_TIMEOUT_MS, out, sizeof(out), err, err_size);
    if (status > 0) {
        size_t len = strlen(out);
        while (len > 0 && out[len - 1] == '\n') {
            out[--len] = '\0';
        }
        snprintf(err, err_size, "%s", out);
    }
    return status == 0 ? 0 : -1;
}

int rn_update_start(struct rn_runner *r) {
    char err[4096] = "";
    if (spheresim(r, err, sizeof(err), (char *[]){"image", "keygen", NULL}) != 0 ||
        spheresim(r, err, sizeof(err), (char *[]){"deploy", "--start", NULL}) != 0) {
        rn_fail(r, "error", "the update service did not start: %s", err);
        return -1;
    }
    r->update_started = true;
    rn_progress(r, "update service started");
    return 0;
}

void rn_update_stop(struct rn_runner *r) {
    if (r->update_started) {
        char err[1024];
        spheresim(r, err, sizeof(err), (char *[]){"deploy", "--stop", NULL});
        r->update_started = false;
    }
}

static int copy_file(const char *from, const char *to, char *err, size_t err_size) {
    FILE *in = fopen(from, "rb");
    FILE *out = in != NULL ? fopen(to, "wb") : NULL;
    int result = in != NULL && out != NULL ? 0 : -1;
    char buf[65536];
    size_t n;
    while (result == 0 && (n = fread(buf, 1, sizeof(buf), in)) > 0) {
        if (fwrite(buf, 1, n, out) != n) {
            result = -1;
        }
    }
    if (result != 0) {
        snprintf(err, err_size, "cannot copy %s to %s: %s", from, to, strerror(errno));
    }
    if (in != NULL) {
        fclose(in);
    }
    if (out != NULL && fclose(out) != 0) {
        result = -1;
    }
    return result;
}

// Damages a signed package in place: one byte two thirds in flipped (inside the payload), or
// the last third cut off.
static int damage(const char *path, enum scn_corruption how, char *err, size_t err_size) {
    struct stat st;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size < 16) {
        snprintf(err, err_size, "cannot damage %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    off_t at = st.st_size * 2 / 3;
    int result = 0;
    if (how == SCN_CORRUPT_TRUNCATE) {
        result = ftruncate(fd, at);
    } else {
        unsigned char byte = 0;
        result = pread(fd, &byte, 1, at) == 1 ? 0 : -1;
        byte ^= 0xff;
        if (result == 0 && pwrite(fd, &byte, 1, at) != 1) {
            result = -1;
        }
    }
    if (result != 0) {
        snprintf(err, err_size, "cannot damage %s: %s", path, strerror(errno));
    }
    close(fd);
    return result;
}

// Prepares the package to deploy for the step at out: packed or copied, signed, damaged.
static int prepare(struct rn_runner *r, size_t step, char *out, size_t out_size, char *err,
                   size_t err_size) {
    const struct scn_action *a = &r->scn->steps[step].action;
    struct stat st;
    snprintf(out, out_size, "%s/deploy-%zu.imagepackage", r->root, step + 1);
    if (stat(a->update.image, &st) != 0) {
        snprintf(err, err_size, "cannot read the image %s: %s", a->update.image, strerror(errno));
        return -1;
    }
    char version[32];
    snprintf(version, sizeof(version), "1.0.%zu", step + 1);
    if (S_ISDIR(st.st_mode)) {
        if (spheresim(r, err, err_size,
                      (char *[]){"image", "pack", a->update.image, "-o", out, "--version", version,
                                 "--sign", NULL}) != 0) {
            return -1;
        }
    } else if (copy_file(a->update.image, out, err, err_size) != 0 ||
               spheresim(r, err, err_size, (char *[]){"image", "sign", out, NULL}) != 0) {
        return -1;
    }
    if (a->kind != SCN_ACT_DEPLOY_CORRUPT) {
        return 0;
    }
    if (a->update.corruption != SCN_CORRUPT_BAD_SIGNATURE) {
        return damage(out, a->update.corruption, err, err_size);
    }
    // Signed by a key the device does not trust: a tenant of its own.
    char other[RN_ROOT_MAX + 32];
    char key[RN_ROOT_MAX + 64];
    snprintf(other, sizeof(other), "%s/other-tenant", r->root);
    snprintf(key, sizeof(key), "%s/image-signing.key", other);
    return spheresim(r, err, err_size,
                     (char *[]){"image", "keygen", "--tenant-dir", other, NULL}) != 0 ||
                   spheresim(r, err, err_size,
                             (char *[]){"image", "sign", out, "--key", key, NULL}) != 0
               ? -1
               : 0;
}

const char *rn_power_cut_step(double progress) {
    int first = sim_update_crash_step_index("install-slot-cleared");
    int last = sim_update_crash_step_index("install-switched");
    int count = last - first + 1;
    int at = first + (int)(progress * count);
    // The parser keeps progress inside (0, 1); clamp anyway so no value can leave the install.
    if (at < first) {
        at = first;
    } else if (at > last) {
        at = last;
    }
    return sim_update_crash_steps[at];
}

// Asks the device to cut its power when the update reaches the step progress picks.
static int arm_power_cut(struct rn_runner *r, size_t step, char *err, size_t err_size) {
    const struct scn_step *s = &r->scn->steps[step];
    struct rn_device *d = &r->devices[s->device_index];
    const char *at = rn_power_cut_step(s->action.update.progress);
    char request[128];
    snprintf(request, sizeof(request), "{\"cmd\":\"power-cut\",\"at\":\"%s\"}", at);
    char why[512];
    if (rn_ctl(r, s->device_index, request, NULL, why, sizeof(why)) != 0) {
        snprintf(err, err_size, "the device refused the power cut at %s: %s", at, why);
        return -1;
    }
    d->power_cut_armed = true;
    d->power_cut_step = step;
    d->power_cut_at = at;
    rn_progress(r, "  %s: the power goes when the install reaches %s (progress %g)", d->def->id, at,
                s->action.update.progress);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "what", "power-cut-armed");
    cJSON_AddStringToObject(event, "device", d->def->id);
    cJSON_AddStringToObject(event, "at", at);
    cJSON_AddNumberToObject(event, "progress", s->action.update.progress);
    rn_trace(r, "fault", event);
    return 0;
}

int rn_update_action(struct rn_runner *r, size_t step) {
    const struct scn_step *s = &r->scn->steps[step];
    char package[RN_ROOT_MAX + 64];
    char err[4096] = "";
    char *device_id = r->devices[s->device_index].device_id;
    bool cut = s->action.kind == SCN_ACT_POWER_CUT_DURING_INSTALL;
    if (prepare(r, step, package, sizeof(package), err, sizeof(err)) != 0 ||
        (cut && arm_power_cut(r, step, err, sizeof(err)) != 0) ||
        spheresim(r, err, sizeof(err),
                  (char *[]){"deploy", package, "--device", device_id, NULL}) != 0) {
        char label[256];
        rn_step_label(r, step, label, sizeof(label));
        rn_fail(r, "step", "%s: %s", label, err);
        return -1;
    }
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)step + 1);
    cJSON_AddStringToObject(event, "device",
                            s->device_id != NULL ? s->device_id : r->devices[0].def->id);
    cJSON_AddStringToObject(event, "package", package);
    rn_trace(r, "deploy", event);
    return 0;
}
