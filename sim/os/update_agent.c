// SPDX-License-Identifier: MIT
// The device's update agent; see update_agent.h. This file holds the agent's life cycle, the
// supervisor's hooks, the install flow's system events, the install itself and rollbacks. The
// check cycle and the download are in update_agent_check.c.
#include "os/update_agent.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "os/device.h"
#include "os/failure_events.h"
#include "os/fs_util.h"
#include "os/hwdef.h"
#include "os/package_view.h"
#include "os/sysevent_service.h"
#include "os/update_agent_internal.h"
#include "os/format_text.h"

// Until the app registers for system events (or turns out unable to), the check after a boot
// waits this long, as a device's first check waits for its network: an app starting at boot
// then sees the check's events.
#define BOOT_CHECK_GRACE_MS 3000
// An app that cannot register has nothing to wait for; it gets a moment to finish starting, as on
// a device, where the first check follows the network's coming up.
#define BOOT_CHECK_UNREGISTERED_MS 1000
#define VIEW_DIR "image"
#define VIEW_EXTRAS "update/view-extras"

int update_path(const struct sim_update_agent *agent, const char *name, char *out,
                size_t out_size) {
    int n = snprintf(out, out_size, "%s/%s/%s", agent->device->dir, UPDATE_DIR, name);
    return n < 0 || (size_t)n >= out_size ? -1 : 0;
}

int64_t update_now(const struct sim_update_agent *agent) {
    return sim_clock_device_ms(&agent->device->clock);
}

void update_log(struct sim_update_agent *agent, const char *fmt, ...) {
    char line[1024];
    va_list args;
    va_start(args, fmt);
    vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
    sim_device_log_os(&agent->device->log, "update: %s", line);
}

// --- system events ---

static const char *event_name(uint32_t event) {
    switch (event) {
        case SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL:
            return "UpdateReadyForInstall";
        case SIM_SYSEVENT_UPDATE_STARTED:
            return "UpdateStarted";
        case SIM_SYSEVENT_NO_UPDATE_AVAILABLE:
            return "NoUpdateAvailable";
        default:
            return "?";
    }
}

static const char *status_name(uint32_t status) {
    static const char *const names[] = {"Invalid", "Pending", "Final", "Deferred", "Complete"};
    return status < 5 ? names[status] : "?";
}

void update_deliver(struct sim_update_agent *agent, uint32_t event, uint32_t status,
                    uint32_t update_type, uint32_t minutes) {
    struct sim_sysevent ev = {.event = event,
                              .status = status,
                              .update_type = update_type,
                              .max_deferral_minutes = minutes};
    bool sent = sim_sysevent_deliver(agent->device, &ev);
    if (event == SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL && status == SIM_SYSEVENT_STATUS_PENDING) {
        update_log(agent, "event %s %s (max_deferral_time_in_minutes=%u, update_type=%s)%s",
                   event_name(event), status_name(status), minutes,
                   update_type == SIM_SYSEVENT_UPDATE_SYSTEM ? "System" : "App",
                   sent ? "" : " not delivered: no app registered for it");
    } else {
        update_log(agent, "event %s %s%s", event_name(event), status_name(status),
                   sent ? "" : " not delivered: no app registered for it");
    }
}

static bool app_listening(const struct sim_update_agent *agent) {
    const struct sim_device *d = agent->device;
    return d->sysevent_fd >= 0 && (d->sysevent_mask & SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL) != 0;
}

// --- the app's slot, as the device runs it ---

static int load_hw(struct sim_update_agent *agent, struct sim_hwdef **out, char *err,
                   size_t err_size) {
    *out = malloc(sizeof(**out));
    if (*out == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (sim_hwdef_load(agent->config.hw_path, *out, err, err_size) != SIM_HWDEF_OK) {
        free(*out);
        *out = NULL;
        return -1;
    }
    return 0;
}

// Points the device at the active app slot: its package root, manifest and binary.
static int activate_app(struct sim_update_agent *agent, char *err, size_t err_size) {
    struct sim_device *d = agent->device;
    char slot[PATH_MAX];
    char dir[PATH_MAX];
    char manifest_path[PATH_MAX];
    static struct sim_manifest manifest;
    struct sim_hwdef *hw = NULL;
    if (sim_slots_app_dir(d->dir, agent->slots.app_active, slot, sizeof(slot)) != 0) {
        snprintf(err, err_size, "%s: path too long", d->dir);
        return -1;
    }
    // Absolute: the app starts in its package directory and is exec'd by this path.
    if (realpath(slot, dir) == NULL) {
        snprintf(err, err_size, "%s: %s", slot, strerror(errno));
        return -1;
    }
    if (snprintf(manifest_path, sizeof(manifest_path), "%s/%s", dir, SIM_IMAGE_MANIFEST_PATH) >=
        (int)sizeof(manifest_path)) {
        snprintf(err, err_size, "%s: path too long", dir);
        return -1;
    }
    if (load_hw(agent, &hw, err, err_size) != 0) {
        return -1;
    }
    enum sim_manifest_result loaded =
        sim_manifest_load(manifest_path, hw, &manifest, err, err_size);
    free(hw);
    if (loaded != SIM_MANIFEST_OK) {
        return -1;
    }
    char executable[PATH_MAX];
    if (snprintf(executable, sizeof(executable), "%s%s", dir, manifest.entry_point) >=
        (int)sizeof(executable)) {
        snprintf(err, err_size, "%s: entry point path too long", dir);
        return -1;
    }
    if (access(executable, X_OK) != 0) {
        snprintf(err, err_size, "%s: EntryPoint %s is not an executable in slot %c (%s)",
                 manifest_path, manifest.entry_point, sim_slots_name(agent->slots.app_active),
                 strerror(errno));
        return -1;
    }
    d->manifest = manifest;
    snprintf(d->package_dir, sizeof(d->package_dir), "%s", dir);
    snprintf(d->manifest_path, sizeof(d->manifest_path), "%s", manifest_path);
    snprintf(d->executable, sizeof(d->executable), "%s", executable);
    return 0;
}

// Files the OS added to the package view (regular files; the package's own are links), saved
// aside while the view is rebuilt from another slot.
static char extras_root[PATH_MAX];
static char view_root[PATH_MAX];
static int extras_failed;

static int save_extra(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    if (flag != FTW_F) {
        return 0;
    }
    const char *relative = path + strlen(view_root) + 1;
    char err[PATH_MAX + 64];
    if (sim_package_view_add_file(extras_root, relative, path, err, sizeof(err)) != 0) {
        extras_failed = 1;
    }
    return 0;
}

static int restore_extra(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)ftw;
    if (flag != FTW_F) {
        return 0;
    }
    const char *relative = path + strlen(extras_root) + 1;
    char err[PATH_MAX + 64];
    if (sim_package_view_add_file(view_root, relative, path, err, sizeof(err)) != 0) {
        extras_failed = 1;
    }
    return 0;
}

// With `run --hub local` the app runs from a view of its package (package_view.h) holding files
// the OS added; after a switch the view is rebuilt from the new slot, those files kept.
static int activate_with_view(struct sim_update_agent *agent, char *err, size_t err_size) {
    struct sim_device *d = agent->device;
    bool uses_view = sim_device_path(d, VIEW_DIR, view_root, sizeof(view_root)) == 0 &&
                     strcmp(d->package_dir, view_root) == 0;
    if (activate_app(agent, err, err_size) != 0) {
        return -1;
    }
    if (!uses_view) {
        return 0;
    }
    char reason[PATH_MAX + 64];
    extras_failed = 0;
    if (sim_device_path(d, VIEW_EXTRAS, extras_root, sizeof(extras_root)) != 0 ||
        sim_image_remove_tree(extras_root, reason, sizeof(reason)) != SIM_IMAGE_OK) {
        (void)sim_format(err, err_size, "%s: cannot clear the saved view files", extras_root);
        return -1;
    }
    if (nftw(view_root, save_extra, 16, FTW_PHYS) != 0 || extras_failed) {
        (void)sim_format(err, err_size, "%s: cannot save the files the OS added to the view",
                         view_root);
        return -1;
    }
    if (sim_package_view_build(d->package_dir, view_root, err, err_size) != 0) {
        return -1;
    }
    if (access(extras_root, F_OK) == 0 &&
        (nftw(extras_root, restore_extra, 16, FTW_PHYS) != 0 || extras_failed)) {
        (void)sim_format(err, err_size, "%s: cannot put the OS's files back into the view",
                         view_root);
        return -1;
    }
    snprintf(d->package_dir, sizeof(d->package_dir), "%s", view_root);
    return 0;
}

// --- failures, installs, rollbacks ---

static void remove_download(struct sim_update_agent *agent) {
    char path[PATH_MAX];
    if (update_path(agent, "download.partial", path, sizeof(path)) == 0) {
        unlink(path);
    }
    if (update_path(agent, "download.imagepackage", path, sizeof(path)) == 0) {
        unlink(path);
    }
}

static void close_package(struct sim_update_agent *agent) {
    if (agent->pkg_open) {
        sim_image_package_close(agent->pkg);
        agent->pkg_open = false;
    }
}

static void add_result(struct sim_update_agent *agent, const char *state, const char *reason) {
    struct update_result r = {.deployment = agent->offer.deployment};
    snprintf(r.state, sizeof(r.state), "%s", state);
    sim_image_version_format(&agent->offer.version, r.version, sizeof(r.version));
    snprintf(r.reason, sizeof(r.reason), "%s", reason);
    update_outbox_add(agent, &r);
}

void update_fail(struct sim_update_agent *agent, const char *what, const char *reason_name,
                 const char *detail, bool block_package) {
    bool os = agent->offer.type == SIM_IMAGE_TYPE_OS;
    char version[40];
    sim_image_version_format(&agent->offer.version, version, sizeof(version));
    char description[SIM_EVENT_DESCRIPTION_MAX];
    const char *kind = strcmp(what, "rejected") == 0 ? "Rejected" : "Failed";
    if (os) {
        snprintf(description, sizeof(description), "OsUpdate%s (reason=%s; version=%s)", kind,
                 reason_name, version);
    } else {
        snprintf(description, sizeof(description),
                 "AppUpdate%s (reason=%s; component_id=%s; version=%s)", kind, reason_name,
                 agent->offer.component_id, version);
    }
    sim_failure_event_record(agent->device, SIM_EVENT_UNPLANNED,
                             os ? SIM_EVENT_CLASS_OS : SIM_EVENT_CLASS_APPLICATION, description);
    update_log(agent, "deployment %lld %s: %s: %s", agent->offer.deployment, what, reason_name,
               detail);
    char reason[160];
    snprintf(reason, sizeof(reason), "%s: %.140s", reason_name, detail);
    add_result(agent, what, reason);
    snprintf(agent->last_result, sizeof(agent->last_result), "%s %s: %s", version, what,
             reason_name);
    if (block_package) {
        update_block_package(agent, agent->offer.sha256);
    }
    update_check_abort(agent);
    close_package(agent);
    remove_download(agent);
    agent->flow = (struct sim_update_flow){0};
    update_schedule_next(agent, strcmp(reason_name, "download-failed") == 0);
}

enum sim_update_action update_begin_flow(struct sim_update_agent *agent) {
    bool os = agent->offer.type == SIM_IMAGE_TYPE_OS;
    int64_t budget = agent->config.max_deferral_ms > 0
                         ? agent->config.max_deferral_ms
                         : (os ? SIM_UPDATE_OS_MAX_DEFERRAL_MS : SIM_UPDATE_APP_MAX_DEFERRAL_MS);
    char version[40];
    sim_image_version_format(&agent->offer.version, version, sizeof(version));
    // Logged before the flow starts, so that its time stamp is never later than the flow's.
    update_log(agent, "deployment %lld: %s %s verified; ready to install", agent->offer.deployment,
               os ? "OS" : "app", version);
    struct sim_sysevent ev;
    sim_update_flow_begin(&agent->flow, update_now(agent),
                          os ? SIM_SYSEVENT_UPDATE_SYSTEM : SIM_SYSEVENT_UPDATE_APP, budget,
                          SIM_UPDATE_WARNING_MS, app_listening(agent), &ev);
    if (ev.event != 0) {
        update_deliver(agent, ev.event, ev.status, ev.update_type, ev.max_deferral_minutes);
    }
    if (agent->flow.state == SIM_FLOW_INSTALL) {
        agent->phase = PHASE_STOPPING;
        return SIM_UPDATE_STOP_APP;
    }
    return SIM_UPDATE_NONE;
}

static void roll_back(struct sim_update_agent *agent, const char *why);

static enum sim_update_action install(struct sim_update_agent *agent) {
    struct sim_device *d = agent->device;
    bool os = agent->offer.type == SIM_IMAGE_TYPE_OS;
    char old_version[40];
    char new_version[40];
    sim_image_version_format(
        os ? &agent->slots.os_version : &sim_slots_active_app(&agent->slots)->version, old_version,
        sizeof(old_version));
    sim_image_version_format(&agent->offer.version, new_version, sizeof(new_version));
    char err[1024] = "";
    if (sim_slots_install(d->dir, &agent->slots, agent->pkg, agent->offer.sha256, err,
                          sizeof(err)) != SIM_SLOTS_OK) {
        update_fail(agent, "failed", "io-error", err, false);
        return SIM_UPDATE_START_APP;
    }
    close_package(agent);
    remove_download(agent);
    agent->flow = (struct sim_update_flow){0};
    char description[SIM_EVENT_DESCRIPTION_MAX];
    if (os) {
        snprintf(description, sizeof(description), "OsUpdate (version=%s; previous_version=%s)",
                 new_version, old_version);
    } else {
        snprintf(description, sizeof(description),
                 "AppUpdate (component_id=%s; version=%s; previous_version=%s)",
                 agent->offer.component_id, new_version, old_version);
    }
    sim_failure_event_record(d, SIM_EVENT_PLANNED,
                             os ? SIM_EVENT_CLASS_OS : SIM_EVENT_CLASS_APPLICATION, description);
    add_result(agent, "installed", "");
    snprintf(agent->last_result, sizeof(agent->last_result), "%s %s installed", os ? "OS" : "app",
             new_version);
    update_schedule_next(agent, false);
    if (os) {
        update_log(agent, "OS %s installed in slot %c (was %s): rebooting", new_version,
                   sim_slots_name(agent->slots.os_active), old_version);
        return SIM_UPDATE_REBOOT;
    }
    update_log(agent, "app %s installed in slot %c (was %s in slot %c)", new_version,
               sim_slots_name(agent->slots.app_active), old_version,
               sim_slots_name(agent->slots.app_previous));
    if (activate_with_view(agent, err, sizeof(err)) != 0) {
        // A package the verifier accepts can still hold a manifest this board can't resolve.
        char why[256];
        snprintf(why, sizeof(why), "cannot run here (%.200s)", err);
        roll_back(agent, why);
        return SIM_UPDATE_START_APP;
    }
    sim_update_trial_begin(&agent->trial, agent->config.rollback_exits,
                           agent->config.rollback_window_ms);
    agent->complete_owed = true;
    // The new app is checked for again once it is up, as after a boot: the result reaches the
    // service, and a newer deployment (or an OS release) follows.
    agent->next_check_device_ms = 0;
    agent->boot_check_armed = true;
    agent->boot_check_deadline_ms = sim_clock_monotonic_ms() + BOOT_CHECK_GRACE_MS;
    return SIM_UPDATE_START_APP;
}

// Switches back to the previous app. why says what the new one did, for the log and the service.
static void roll_back(struct sim_update_agent *agent, const char *why) {
    struct sim_device *d = agent->device;
    struct sim_slot failed = *sim_slots_active_app(&agent->slots);
    unsigned exits = agent->trial.exits;
    agent->trial.active = false;
    char err[1024] = "";
    if (sim_slots_rollback(d->dir, &agent->slots, err, sizeof(err)) != SIM_SLOTS_OK ||
        activate_with_view(agent, err, sizeof(err)) != 0) {
        update_log(agent, "rollback failed: %s", err);
        return;
    }
    char from[40];
    char to[40];
    sim_image_version_format(&failed.version, from, sizeof(from));
    sim_image_version_format(&sim_slots_active_app(&agent->slots)->version, to, sizeof(to));
    update_block_version(agent, failed.component_id, &failed.version);
    char description[SIM_EVENT_DESCRIPTION_MAX];
    snprintf(description, sizeof(description),
             "AppRollback (component_id=%s; from_version=%s; to_version=%s; exits=%u)",
             failed.component_id, from, to, exits);
    sim_failure_event_record(d, SIM_EVENT_UNPLANNED, SIM_EVENT_CLASS_APPLICATION, description);
    struct update_result r = {.deployment = agent->offer.deployment};
    snprintf(r.state, sizeof(r.state), "rolled-back");
    snprintf(r.version, sizeof(r.version), "%s", from);
    snprintf(r.reason, sizeof(r.reason), "%s", why);
    update_outbox_add(agent, &r);
    snprintf(agent->last_result, sizeof(agent->last_result), "app %s rolled back to %s", from, to);
    update_log(agent, "app %s %s: rolled back to %s in slot %c; %s will not be installed again",
               from, why, to, sim_slots_name(agent->slots.app_active), from);
    agent->complete_owed = false;
}

// --- life cycle ---

int sim_update_agent_prepare(struct sim_update_agent **out_agent, struct sim_device *device,
                             const struct sim_update_config *config, char *err, size_t err_size) {
    *out_agent = NULL;
    struct sim_update_agent *agent = calloc(1, sizeof(*agent));
    struct sim_image_package *pkg = calloc(1, sizeof(*pkg));
    if (agent == NULL || pkg == NULL) {
        free(agent);
        free(pkg);
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    agent->device = device;
    agent->config = *config;
    agent->pkg = pkg;
    agent->download_fd = -1;
    int n = snprintf(agent->trusted_key_path, sizeof(agent->trusted_key_path),
                     "%s/image-signing.pub.pem", device->tenant_dir);
    if (n < 0 || (size_t)n >= sizeof(agent->trusted_key_path)) {
        snprintf(err, err_size, "%s: tenant directory path too long", device->tenant_dir);
        goto fail;
    }
    sim_slots_cleanup(device->dir);
    char update_dir[PATH_MAX];
    if (update_path(agent, "", update_dir, sizeof(update_dir)) != 0 ||
        sim_fs_make_dirs(update_dir, 0700, err, err_size) != 0) {
        goto fail;
    }
    remove_download(agent);
    char reason[1024];
    enum sim_slots_result loaded =
        sim_slots_load(device->dir, &agent->slots, reason, sizeof(reason));
    if (loaded != SIM_SLOTS_OK && loaded != SIM_SLOTS_ERR_NOT_FOUND) {
        snprintf(err, err_size, "%s (remove %s/slots to install the app afresh)", reason,
                 device->dir);
        goto fail;
    }
    struct sim_sideload_source source = {.package_dir = device->package_dir,
                                         .executable = device->executable,
                                         .manifest_path = device->manifest_path,
                                         .entry_point = device->manifest.entry_point,
                                         .component_id = device->manifest.component_id,
                                         .name = device->manifest.name};
    bool installed = false;
    if (sim_slots_sideload(device->dir, &source, &agent->slots, loaded == SIM_SLOTS_OK, &installed,
                           reason, sizeof(reason)) != SIM_SLOTS_OK) {
        snprintf(err, err_size, "installing the app: %s", reason);
        goto fail;
    }
    char described[128];
    sim_slots_describe(&agent->slots, agent->slots.app_active, described, sizeof(described));
    if (activate_app(agent, err, err_size) != 0) {
        goto fail;
    }
    if (sim_update_http_init(&agent->http, err, err_size) != 0) {
        goto fail;
    }
    update_store_load(agent);
    if (agent->slots.trial) {
        sim_update_trial_begin(&agent->trial, config->rollback_exits, config->rollback_window_ms);
    }
    device->update = agent;
    *out_agent = agent;
    char os_version[40];
    sim_image_version_format(&agent->slots.os_version, os_version, sizeof(os_version));
    update_log(agent, "%s app %s; OS %s", installed ? "installed the" : "running the installed",
               described, os_version);
    return 0;
fail:
    free(agent->pkg);
    free(agent);
    return -1;
}

void sim_update_agent_free(struct sim_update_agent *agent) {
    if (agent == NULL) {
        return;
    }
    update_check_abort(agent);
    close_package(agent);
    sim_update_http_close(&agent->http);
    if (agent->device != NULL && agent->device->update == agent) {
        agent->device->update = NULL;
    }
    free(agent->pkg);
    free(agent);
}

int sim_update_agent_fd(const struct sim_update_agent *agent) {
    return agent != NULL ? sim_update_http_fd(&agent->http) : -1;
}

static int64_t nearest(int64_t a, int64_t b) {
    if (a == 0) {
        return b;
    }
    return b != 0 && b < a ? b : a;
}

int64_t sim_update_agent_deadline(const struct sim_update_agent *agent) {
    if (agent == NULL || !agent->powered) {
        return 0;
    }
    const struct sim_clock *clock = &agent->device->clock;
    int64_t deadline = sim_update_http_deadline(&agent->http);
    deadline = nearest(deadline, agent->boot_check_armed ? agent->boot_check_deadline_ms : 0);
    if (agent->phase == PHASE_IDLE && agent->next_check_device_ms != 0) {
        int64_t at = sim_clock_host_deadline_ms(clock, agent->next_check_device_ms);
        deadline =
            nearest(deadline, at > agent->next_check_host_ms ? at : agent->next_check_host_ms);
    }
    if (agent->phase == PHASE_FLOW && agent->flow.deadline_ms != 0) {
        deadline = nearest(deadline, sim_clock_host_deadline_ms(clock, agent->flow.deadline_ms));
    }
    return nearest(deadline, sim_update_trial_deadline(&agent->trial));
}

enum sim_update_action sim_update_agent_serve(struct sim_update_agent *agent) {
    if (agent == NULL || !sim_update_http_serve(&agent->http)) {
        return SIM_UPDATE_NONE;
    }
    return update_check_transfer_done(agent);
}

static void start_boot_check(struct sim_update_agent *agent) {
    agent->boot_check_armed = false;
    update_check_start(agent);
}

enum sim_update_action sim_update_agent_run_due(struct sim_update_agent *agent) {
    if (agent == NULL || !agent->powered) {
        return SIM_UPDATE_NONE;
    }
    enum sim_update_action action = sim_update_agent_serve(agent);
    if (action != SIM_UPDATE_NONE) {
        return action;
    }
    int64_t host_now = sim_clock_monotonic_ms();
    int64_t now = update_now(agent);
    if (agent->boot_check_armed && host_now >= agent->boot_check_deadline_ms) {
        start_boot_check(agent);
    }
    if (agent->phase == PHASE_IDLE && agent->next_check_device_ms != 0 &&
        now >= agent->next_check_device_ms && host_now >= agent->next_check_host_ms) {
        update_check_start(agent);
    }
    if (sim_update_trial_passed(&agent->trial, host_now)) {
        char err[512];
        agent->trial.active = false;
        if (sim_slots_commit(agent->device->dir, &agent->slots, err, sizeof(err)) == SIM_SLOTS_OK) {
            update_log(agent, "the new app ran %lld ms without failing %u times: committed",
                       (long long)agent->trial.window_ms, agent->trial.max_exits);
        } else {
            update_log(agent, "cannot commit the new app: %s", err);
        }
    }
    if (agent->phase == PHASE_FLOW) {
        struct sim_sysevent ev;
        if (sim_update_flow_tick(&agent->flow, now, &ev)) {
            if (ev.event != 0) {
                update_deliver(agent, ev.event, ev.status, ev.update_type, ev.max_deferral_minutes);
            }
            if (agent->flow.state == SIM_FLOW_INSTALL) {
                update_log(agent, "installing: stopping the app");
                agent->phase = PHASE_STOPPING;
                return SIM_UPDATE_STOP_APP;
            }
        }
    }
    return SIM_UPDATE_NONE;
}

enum sim_update_action sim_update_agent_boot(struct sim_update_agent *agent) {
    if (agent == NULL) {
        return SIM_UPDATE_NONE;
    }
    if (agent->phase != PHASE_IDLE) {
        // A reboot in the middle of an update: it starts over from the next check.
        update_check_abort(agent);
        close_package(agent);
        agent->phase = PHASE_IDLE;
        agent->flow = (struct sim_update_flow){0};
    }
    agent->powered = true;
    agent->network_checked = false;
    agent->complete_owed = false;
    agent->next_check_device_ms = 0;
    if (agent->slots.trial) {
        sim_update_trial_begin(&agent->trial, agent->config.rollback_exits,
                               agent->config.rollback_window_ms);
    }
    remove_download(agent);
    agent->boot_check_armed = true;
    agent->boot_check_deadline_ms = sim_clock_monotonic_ms() + BOOT_CHECK_GRACE_MS;
    return SIM_UPDATE_NONE;
}

enum sim_update_action sim_update_agent_network(struct sim_update_agent *agent, bool up) {
    if (agent == NULL || !agent->powered) {
        return SIM_UPDATE_NONE;
    }
    if (!up) {
        if (agent->phase >= PHASE_STATUS && agent->phase <= PHASE_DOWNLOAD) {
            update_log(agent, "network down: update check interrupted");
            if (agent->phase == PHASE_DOWNLOAD) {
                update_check_abort(agent);
                remove_download(agent);
            } else {
                update_check_abort(agent);
            }
            update_schedule_next(agent, true);
            agent->network_checked = false;
        }
        return SIM_UPDATE_NONE;
    }
    if (!agent->network_checked && !agent->boot_check_armed) {
        update_check_start(agent);
    }
    return SIM_UPDATE_NONE;
}

void sim_update_agent_app_started(struct sim_update_agent *agent) {
    if (agent == NULL) {
        return;
    }
    sim_update_trial_app_started(&agent->trial, sim_clock_monotonic_ms());
    int64_t soon = sim_clock_monotonic_ms() + BOOT_CHECK_UNREGISTERED_MS;
    if (agent->boot_check_armed && !agent->device->manifest.caps.system_event_notifications &&
        soon < agent->boot_check_deadline_ms) {
        agent->boot_check_deadline_ms = soon;
    }
}

void sim_update_agent_app_registered(struct sim_update_agent *agent) {
    if (agent == NULL) {
        return;
    }
    if (agent->complete_owed &&
        (agent->device->sysevent_mask & SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL) != 0) {
        agent->complete_owed = false;
        update_deliver(agent, SIM_SYSEVENT_UPDATE_READY_FOR_INSTALL, SIM_SYSEVENT_STATUS_COMPLETE,
                       SIM_SYSEVENT_UPDATE_APP, 0);
    }
    if (agent->boot_check_armed) {
        start_boot_check(agent);
    }
}

enum sim_update_action sim_update_agent_app_exited(struct sim_update_agent *agent, bool unplanned) {
    if (agent == NULL) {
        return SIM_UPDATE_NONE;
    }
    if (sim_update_trial_app_exited(&agent->trial, sim_clock_monotonic_ms(), unplanned) ==
        SIM_TRIAL_ROLLBACK) {
        char why[128];
        snprintf(why, sizeof(why), "exited %u times within %lld ms of its first start",
                 agent->trial.exits, (long long)agent->trial.window_ms);
        roll_back(agent, why);
        return SIM_UPDATE_START_APP;
    }
    return SIM_UPDATE_NONE;
}

enum sim_update_action sim_update_agent_app_stopped(struct sim_update_agent *agent) {
    if (agent == NULL || agent->phase != PHASE_STOPPING) {
        return SIM_UPDATE_START_APP;
    }
    return install(agent);
}

void sim_update_agent_power_cut(struct sim_update_agent *agent) {
    if (agent == NULL) {
        return;
    }
    // RAM is gone: transfers, the open package, the flow, the trial's counts. What is on disk
    // (slots, download leftovers, outbox) is sorted out at the next boot.
    update_check_abort(agent);
    close_package(agent);
    agent->phase = PHASE_IDLE;
    agent->flow = (struct sim_update_flow){0};
    agent->trial = (struct sim_update_trial){0};
    agent->powered = false;
    agent->complete_owed = false;
    agent->next_check_device_ms = 0;
    agent->boot_check_armed = false;
}

int sim_update_agent_defer(struct sim_update_agent *agent, uint32_t event, uint32_t minutes) {
    if (agent == NULL || agent->phase != PHASE_FLOW) {
        return EINVAL;
    }
    struct sim_sysevent ev;
    int rc = sim_update_flow_defer(&agent->flow, update_now(agent), event, minutes, &ev);
    if (rc == 0) {
        update_log(agent, "the app deferred the update: %u min requested, %lld s granted", minutes,
                   (long long)(agent->flow.granted_ms / 1000));
        update_deliver(agent, ev.event, ev.status, ev.update_type, ev.max_deferral_minutes);
    }
    return rc;
}

int sim_update_agent_resume(struct sim_update_agent *agent, uint32_t event) {
    if (agent == NULL || agent->phase != PHASE_FLOW) {
        return EINVAL;
    }
    struct sim_sysevent ev;
    int rc = sim_update_flow_resume(&agent->flow, update_now(agent), event, &ev);
    if (rc == 0) {
        update_log(agent, "the app resumed the update");
        update_deliver(agent, ev.event, ev.status, ev.update_type, ev.max_deferral_minutes);
    }
    return rc;
}

void sim_update_agent_os_version(const struct sim_update_agent *agent, char *out, size_t out_size) {
    struct sim_image_version v =
        agent != NULL ? agent->slots.os_version : SIM_SLOTS_FACTORY_OS_VERSION;
    sim_image_version_format(&v, out, out_size);
}

static const char *phase_name(enum update_phase phase) {
    static const char *const names[] = {"idle",        "reporting",  "uploading-events", "checking",
                                        "downloading", "installing", "stopping-app"};
    return phase <= PHASE_STOPPING ? names[phase] : "?";
}

void sim_update_agent_add_status(const struct sim_update_agent *agent, struct cJSON *status) {
    if (agent == NULL) {
        return;
    }
    const struct sim_slot *app = sim_slots_active_app(&agent->slots);
    char version[40];
    sim_image_version_format(&app->version, version, sizeof(version));
    cJSON_AddStringToObject(status, "app_version", version);
    char slot[2] = {sim_slots_name(agent->slots.app_active), '\0'};
    cJSON_AddStringToObject(status, "app_slot", slot);
    cJSON_AddBoolToObject(status, "trial", agent->slots.trial);
    sim_image_version_format(&agent->slots.os_version, version, sizeof(version));
    cJSON_AddStringToObject(status, "os_version", version);
    cJSON_AddStringToObject(status, "phase", phase_name(agent->phase));
    cJSON_AddStringToObject(status, "flow", sim_update_flow_state_name(agent->flow.state));
    cJSON_AddStringToObject(status, "last_result", agent->last_result);
    cJSON_AddNumberToObject(status, "blocked_versions", (double)agent->blocked.version_count);
}
