// SPDX-License-Identifier: MIT
// The update agent's check cycle: deliver pending update results, upload new failure-report
// events, ask the service, download and verify. One request at a time, each step started when
// the previous one finishes. Everything the service says is checked before use; the package
// itself is trusted only once its signature verifies (image_verify.h).
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "os/device.h"
#include "os/fs_util.h"
#include "os/update_agent_crash.h"
#include "os/update_agent_internal.h"
#include "os/format_text.h"

#define SERVICE_FILE "service.json"
#define SERVICE_MAX_BYTES 4096
#define KEY_MAX_BYTES (16 * 1024)
#define API_TIMEOUT_MS 15000
#define DOWNLOAD_TIMEOUT_MS 300000
// What a package may add to its payload: header, metadata, file table and signature.
#define PACKAGE_OVERHEAD                                       \
    ((uint64_t)SIM_IMAGE_HEADER_LEN + SIM_IMAGE_METADATA_LEN + \
     (uint64_t)SIM_IMAGE_MAX_FILES * SIM_IMAGE_FILE_ENTRY_LEN + SIM_IMAGE_SIG_BLOCK_LEN)

static bool is_loopback_https(const char *url) {
    // https://127.a.b.c:port, nothing else: the device talks to a local stand-in only.
    unsigned a, b, c, port;
    char tail;
    return sscanf(url, "https://127.%u.%u.%u:%u%c", &a, &b, &c, &port, &tail) == 4 && a < 256 &&
           b < 256 && c < 256 && port > 0 && port < 65536;
}

// Reads <service dir>/service.json: the service's URL and the CA its certificate chains to.
static bool read_service(struct sim_update_agent *agent) {
    char path[PATH_MAX];
    static char text[SERVICE_MAX_BYTES];
    size_t len = 0;
    char err[PATH_MAX + 64];
    int n = snprintf(path, sizeof(path), "%s/%s", agent->config.service_dir, SERVICE_FILE);
    if (n < 0 || (size_t)n >= sizeof(path) ||
        sim_fs_read_file(path, text, sizeof(text), &len, err, sizeof(err)) != 0) {
        // Said once until it changes: a device without a service checks for nothing quietly.
        if (strcmp(agent->last_result, "no update service") != 0) {
            update_log(agent, "no update service to check (%s)",
                       errno == ENOENT
                           ? "no service.json: start one with 'spheresim deploy --start'"
                           : err);
            snprintf(agent->last_result, sizeof(agent->last_result), "no update service");
        }
        return false;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(root, "url");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "ca");
    bool ok = cJSON_IsString(url) && cJSON_IsString(ca) &&
              strlen(url->valuestring) < sizeof(agent->service_url) &&
              is_loopback_https(url->valuestring) && ca->valuestring[0] == '/' &&
              strlen(ca->valuestring) < sizeof(agent->service_ca);
    if (ok) {
        snprintf(agent->service_url, sizeof(agent->service_url), "%s", url->valuestring);
        snprintf(agent->service_ca, sizeof(agent->service_ca), "%s", ca->valuestring);
    } else {
        update_log(agent, "%s: \"url\" must be https://127.x.y.z:PORT and \"ca\" an absolute path",
                   path);
    }
    cJSON_Delete(root);
    return ok;
}

void update_schedule_next(struct sim_update_agent *agent, bool failed) {
    agent->phase = PHASE_IDLE;
    int64_t delay = agent->config.check_period_ms;
    if (failed && delay > UPDATE_RETRY_MS) {
        delay = UPDATE_RETRY_MS;
    }
    agent->next_check_device_ms = update_now(agent) + delay;
    // However fast device time runs, checks stay at least this far apart in real time.
    agent->next_check_host_ms = sim_clock_monotonic_ms() + UPDATE_MIN_REAL_INTERVAL_MS;
}

static void forget_request_body(struct sim_update_agent *agent) {
    free(agent->request_body);
    agent->request_body = NULL;
    agent->request_len = 0;
}

static bool start_request(struct sim_update_agent *agent, const char *method, const char *path,
                          int out_fd, uint64_t max_bytes, const char *content_type) {
    char url[512];
    char err[256];
    int n = snprintf(url, sizeof(url), "%s%s", agent->service_url, path);
    struct sim_update_http_request req = {
        .url = url,
        .method = method,
        .body = agent->request_body,
        .body_len = agent->request_len,
        .content_type = content_type,
        .ca_path = agent->service_ca,
        .cert_path = agent->device->cert_path,
        .out_fd = out_fd,
        .max_bytes = max_bytes,
        .timeout_ms = out_fd >= 0 ? DOWNLOAD_TIMEOUT_MS : API_TIMEOUT_MS,
    };
    if (n < 0 || (size_t)n >= sizeof(url) ||
        sim_update_http_start(&agent->http, &req, err, sizeof(err)) != 0) {
        update_log(agent, "cannot start a request to the update service: %s",
                   n < 0 || (size_t)n >= sizeof(url) ? "URL too long" : err);
        return false;
    }
    return true;
}

static bool start_json_post(struct sim_update_agent *agent, const char *path, cJSON *body) {
    forget_request_body(agent);
    agent->request_body = cJSON_PrintUnformatted(body);
    cJSON_Delete(body);
    if (agent->request_body == NULL) {
        return false;
    }
    agent->request_len = strlen(agent->request_body);
    return start_request(agent, "POST", path, -1, 0, "application/json");
}

static bool send_status(struct sim_update_agent *agent) {
    const struct update_result *r = &agent->outbox[0];
    cJSON *body = cJSON_CreateObject();
    cJSON_AddNumberToObject(body, "deployment", (double)r->deployment);
    cJSON_AddStringToObject(body, "state", r->state);
    cJSON_AddStringToObject(body, "version", r->version);
    cJSON_AddStringToObject(body, "reason", r->reason);
    char path[256];
    snprintf(path, sizeof(path), "/update/v1/devices/%s/status", agent->device->device_id);
    return start_json_post(agent, path, body);
}

static bool send_check(struct sim_update_agent *agent) {
    const struct sim_slot *app = sim_slots_active_app(&agent->slots);
    char version[40];
    cJSON *body = cJSON_CreateObject();
    cJSON *app_json = cJSON_AddObjectToObject(body, "app");
    cJSON_AddStringToObject(app_json, "component_id", app->component_id);
    sim_image_version_format(&app->version, version, sizeof(version));
    cJSON_AddStringToObject(app_json, "version", version);
    cJSON *os = cJSON_AddObjectToObject(body, "os");
    sim_image_version_format(&agent->slots.os_version, version, sizeof(version));
    cJSON_AddStringToObject(os, "version", version);
    // What the device will not take, so that the service offers the next thing instead.
    const struct update_blocked *b = &agent->blocked;
    cJSON *refused = cJSON_AddArrayToObject(body, "refused_packages");
    for (size_t i = 0; i < b->package_count; i++) {
        cJSON_AddItemToArray(refused, cJSON_CreateString(b->packages[i]));
    }
    cJSON *versions = cJSON_AddArrayToObject(body, "refused_versions");
    for (size_t i = 0; i < b->version_count; i++) {
        cJSON *item = cJSON_CreateObject();
        sim_image_version_format(&b->versions[i].version, version, sizeof(version));
        cJSON_AddStringToObject(item, "component_id", b->versions[i].component_id);
        cJSON_AddStringToObject(item, "version", version);
        cJSON_AddItemToArray(versions, item);
    }
    char path[256];
    snprintf(path, sizeof(path), "/update/v1/devices/%s/check", agent->device->device_id);
    return start_json_post(agent, path, body);
}

// Starts the next request of the cycle; false when none could be started.
static bool next_request(struct sim_update_agent *agent) {
    if (agent->phase == PHASE_STATUS) {
        if (agent->outbox_count > 0) {
            return send_status(agent);
        }
        agent->phase = PHASE_EVENTS;
    }
    if (agent->phase == PHASE_EVENTS && !agent->events_stalled) {
        size_t len = 0;
        char *chunk = update_events_chunk(agent, &len);
        if (chunk != NULL) {
            forget_request_body(agent);
            agent->request_body = chunk;
            agent->request_len = len;
            agent->events_sent_from = agent->events_offset;
            agent->events_sent_len = len;
            char path[256];
            snprintf(path, sizeof(path), "/update/v1/devices/%s/events?offset=%" PRIu64,
                     agent->device->device_id, agent->events_offset);
            return start_request(agent, "POST", path, -1, 0, "application/x-ndjson");
        }
    }
    agent->phase = PHASE_CHECK;
    return send_check(agent);
}

void update_check_start(struct sim_update_agent *agent) {
    if (agent->phase != PHASE_IDLE || !agent->powered) {
        return;
    }
    agent->next_check_device_ms = 0;
    if (!sim_device_networking_ready(agent->device)) {
        // The check happens when the network comes up (sim_update_agent_network).
        update_log(agent, "update check waits for the network");
        agent->network_checked = false;
        return;
    }
    agent->network_checked = true;
    if (!read_service(agent)) {
        update_schedule_next(agent, true);
        return;
    }
    update_log(agent, "checking for updates at %s", agent->service_url);
    agent->phase = PHASE_STATUS;
    agent->events_stalled = false;
    if (!next_request(agent)) {
        update_schedule_next(agent, true);
    }
}

void update_check_abort(struct sim_update_agent *agent) {
    sim_update_http_cancel(&agent->http);
    forget_request_body(agent);
    if (agent->download_fd >= 0) {
        close(agent->download_fd);
        agent->download_fd = -1;
    }
}

static bool copy_field(const cJSON *obj, const char *key, char *out, size_t out_size) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsString(item) || strlen(item->valuestring) >= out_size) {
        return false;
    }
    memcpy(out, item->valuestring, strlen(item->valuestring) + 1);
    return true;
}

static bool is_hex(const char *text, size_t len) {
    if (strlen(text) != len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

static bool is_content_path(const char *path) {
    if (strncmp(path, "/update/v1/", 11) != 0) {
        return false;
    }
    for (const char *p = path; *p != '\0'; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// Parses the check's answer. Returns 1 for an offer, 0 for none, -1 for a bad answer.
static int parse_offer(struct sim_update_agent *agent, const char *text, size_t len) {
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *update = cJSON_GetObjectItemCaseSensitive(root, "update");
    int result = -1;
    struct update_offer *o = &agent->offer;
    memset(o, 0, sizeof(*o));
    char type[8];
    char version[40];
    if (cJSON_IsNull(update)) {
        result = 0;
        goto out;
    }
    const cJSON *deployment = cJSON_GetObjectItemCaseSensitive(update, "deployment");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(update, "size");
    if (!cJSON_IsObject(update) || !cJSON_IsNumber(deployment) || deployment->valuedouble < 1 ||
        deployment->valuedouble > 1e15 || !cJSON_IsNumber(size) || size->valuedouble < 1 ||
        size->valuedouble > (double)(SIM_IMAGE_MAX_PAYLOAD + PACKAGE_OVERHEAD) ||
        !copy_field(update, "type", type, sizeof(type)) ||
        !copy_field(update, "component_id", o->component_id, sizeof(o->component_id)) ||
        !copy_field(update, "version", version, sizeof(version)) ||
        !copy_field(update, "sha256", o->sha256, sizeof(o->sha256)) ||
        !copy_field(update, "url", o->path, sizeof(o->path)) ||
        !sim_image_version_parse(version, &o->version) ||
        !is_hex(o->sha256, 2 * SIM_IMAGE_SHA256_LEN) || !is_content_path(o->path) ||
        !sim_image_guid_is_valid(o->component_id) ||
        (strcmp(type, "app") != 0 && strcmp(type, "os") != 0)) {
        goto out;
    }
    o->deployment = (long long)deployment->valuedouble;
    o->size = (uint64_t)size->valuedouble;
    o->type = strcmp(type, "os") == 0 ? SIM_IMAGE_TYPE_OS : SIM_IMAGE_TYPE_APP;
    result = 1;
out:
    cJSON_Delete(root);
    return result;
}

static bool start_download(struct sim_update_agent *agent) {
    char path[PATH_MAX];
    char dir[PATH_MAX];
    char err[PATH_MAX + 64];
    if (update_path(agent, "", dir, sizeof(dir)) != 0 ||
        update_path(agent, "download.partial", path, sizeof(path)) != 0 ||
        sim_fs_make_dirs(dir, 0700, err, sizeof(err)) != 0) {
        return false;
    }
    forget_request_body(agent);
    agent->download_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (agent->download_fd < 0) {
        update_log(agent, "%s: %s", path, strerror(errno));
        return false;
    }
    sim_update_crash_point("download-created");
    return start_request(agent, "GET", agent->offer.path, agent->download_fd, agent->offer.size,
                         NULL);
}

// Syncs and renames the complete download into place. Returns false (logged) on an I/O error.
static bool keep_download(struct sim_update_agent *agent, char *out_path, size_t out_size) {
    char partial[PATH_MAX];
    char dir[PATH_MAX];
    if (update_path(agent, "download.partial", partial, sizeof(partial)) != 0 ||
        update_path(agent, "download.imagepackage", out_path, out_size) != 0 ||
        update_path(agent, "", dir, sizeof(dir)) != 0) {
        return false;
    }
    sim_update_crash_point("download-written");
    int fd = agent->download_fd;
    agent->download_fd = -1;
    bool ok = fsync(fd) == 0;
    close(fd);
    if (ok) {
        sim_update_crash_point("download-synced");
        ok = rename(partial, out_path) == 0;
    }
    if (ok) {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ok = dfd >= 0 && fsync(dfd) == 0;
        if (dfd >= 0) {
            close(dfd);
        }
    }
    if (!ok) {
        update_log(agent, "keeping the download failed: %s", strerror(errno));
        return false;
    }
    sim_update_crash_point("download-renamed");
    return true;
}

static enum sim_update_action verify_download(struct sim_update_agent *agent, const char *path) {
    static char key[KEY_MAX_BYTES];
    size_t key_len = 0;
    char err[1024];
    if (sim_fs_read_file(agent->trusted_key_path, key, sizeof(key), &key_len, err, sizeof(err)) !=
        0) {
        update_fail(agent, "rejected", "bad-key", err, false);
        return SIM_UPDATE_NONE;
    }
    bool os = agent->offer.type == SIM_IMAGE_TYPE_OS;
    const struct sim_slot *app = sim_slots_active_app(&agent->slots);
    struct sim_image_policy policy = {
        .trusted_key = key,
        .trusted_key_len = key_len,
        .component_id = os ? SIM_IMAGE_OS_COMPONENT_ID : app->component_id,
        .installed_version = os ? &agent->slots.os_version : &app->version,
    };
    enum sim_image_result rc = sim_image_package_open(agent->pkg, path, err, sizeof(err));
    agent->pkg_open = true;
    if (rc == SIM_IMAGE_OK) {
        rc = sim_image_package_verify(agent->pkg, &policy, err, sizeof(err));
    }
    if (rc == SIM_IMAGE_OK &&
        sim_image_package_info(agent->pkg)->metadata.type != agent->offer.type) {
        rc = SIM_IMAGE_ERR_WRONG_COMPONENT;
        (void)sim_format(err, sizeof(err),
                         "%s: the service offered an %s update, the package is not one", path,
                         os ? "OS" : "app");
    }
    if (rc != SIM_IMAGE_OK) {
        update_fail(agent, "rejected", sim_image_result_name(rc), err,
                    rc != SIM_IMAGE_ERR_IO && rc != SIM_IMAGE_ERR_CRYPTO);
        return SIM_UPDATE_NONE;
    }
    sim_update_crash_point("verified");
    agent->phase = PHASE_FLOW;
    return update_begin_flow(agent);
}

static enum sim_update_action download_done(struct sim_update_agent *agent) {
    struct sim_update_http *http = &agent->http;
    char detail[512];
    if (http->result != 0 || http->status != 200) {
        snprintf(detail, sizeof(detail), "%s (HTTP %ld)",
                 http->error[0] != '\0' ? http->error : "no content", http->status);
    } else if (http->written != agent->offer.size) {
        snprintf(detail, sizeof(detail), "got %" PRIu64 " of %" PRIu64 " bytes", http->written,
                 agent->offer.size);
    } else {
        char sha[65];
        sim_update_http_sha256(http, sha);
        if (strcmp(sha, agent->offer.sha256) != 0) {
            snprintf(detail, sizeof(detail), "the bytes' SHA-256 is %s, not the announced %s", sha,
                     agent->offer.sha256);
        } else {
            char path[PATH_MAX];
            if (!keep_download(agent, path, sizeof(path))) {
                update_fail(agent, "failed", "io-error", "keeping the download failed", false);
                return SIM_UPDATE_NONE;
            }
            return verify_download(agent, path);
        }
    }
    update_fail(agent, "failed", "download-failed", detail, false);
    return SIM_UPDATE_NONE;
}

static void events_done(struct sim_update_agent *agent) {
    struct sim_update_http *http = &agent->http;
    cJSON *root = http->reply != NULL ? cJSON_ParseWithLength(http->reply, http->reply_len) : NULL;
    const cJSON *received = cJSON_GetObjectItemCaseSensitive(root, "received");
    if ((http->status == 200 || http->status == 409) && cJSON_IsNumber(received) &&
        received->valuedouble >= 0) {
        // 409: the service has a different count (it lost state, or we did): continue from its.
        agent->events_offset = (uint64_t)received->valuedouble;
        update_events_offset_save(agent);
    }
    // Unless the service now has exactly what was sent (it may count more than this device's
    // file holds, if the file was replaced), another upload now could go round in circles; the
    // next check tries again.
    if (agent->events_offset != agent->events_sent_from + agent->events_sent_len) {
        agent->events_stalled = true;
    }
    cJSON_Delete(root);
}

static enum sim_update_action continue_cycle(struct sim_update_agent *agent) {
    if (!next_request(agent)) {
        update_schedule_next(agent, true);
    }
    return SIM_UPDATE_NONE;
}

enum sim_update_action update_check_transfer_done(struct sim_update_agent *agent) {
    struct sim_update_http *http = &agent->http;
    bool ok = http->result == 0 && http->status >= 200 && http->status < 300;
    switch (agent->phase) {
        case PHASE_STATUS:
            if (!ok && http->status != 400 && http->status != 404) {
                break;
            }
            // Delivered, or refused for good (a result the service cannot use): done with it.
            update_outbox_pop(agent);
            return continue_cycle(agent);
        case PHASE_EVENTS: {
            events_done(agent);
            if (!ok && http->status != 409) {
                break;
            }
            // More than one chunk may be waiting; the check comes after all of them.
            return continue_cycle(agent);
        }
        case PHASE_CHECK: {
            if (!ok) {
                break;
            }
            int offer = parse_offer(agent, http->reply != NULL ? http->reply : "", http->reply_len);
            if (offer < 0) {
                update_log(agent, "the update service's answer is not an update offer");
                update_schedule_next(agent, true);
                return SIM_UPDATE_NONE;
            }
            char version[40];
            sim_image_version_format(&agent->offer.version, version, sizeof(version));
            if (offer == 1 && update_is_blocked(agent, &agent->offer)) {
                update_log(agent, "deployment %lld (%s %s) is blocked on this device: skipped",
                           agent->offer.deployment,
                           agent->offer.type == SIM_IMAGE_TYPE_OS ? "OS" : "app", version);
                offer = 0;
            }
            if (offer == 0) {
                update_log(agent, "no update available");
                snprintf(agent->last_result, sizeof(agent->last_result), "no update available");
                update_deliver(agent, SIM_SYSEVENT_NO_UPDATE_AVAILABLE, SIM_SYSEVENT_STATUS_FINAL,
                               0, 0);
                update_schedule_next(agent, false);
                return SIM_UPDATE_NONE;
            }
            update_log(agent, "deployment %lld: %s update to %s (%" PRIu64 " bytes): downloading",
                       agent->offer.deployment,
                       agent->offer.type == SIM_IMAGE_TYPE_OS ? "OS" : "app", version,
                       agent->offer.size);
            update_deliver(agent, SIM_SYSEVENT_UPDATE_STARTED, SIM_SYSEVENT_STATUS_PENDING,
                           agent->offer.type == SIM_IMAGE_TYPE_OS ? SIM_SYSEVENT_UPDATE_SYSTEM
                                                                  : SIM_SYSEVENT_UPDATE_APP,
                           0);
            agent->phase = PHASE_DOWNLOAD;
            if (!start_download(agent)) {
                update_fail(agent, "failed", "io-error", "cannot start the download", false);
            }
            return SIM_UPDATE_NONE;
        }
        case PHASE_DOWNLOAD:
            return download_done(agent);
        default:
            return SIM_UPDATE_NONE;
    }
    update_log(agent, "the update service did not answer: %s (HTTP %ld)",
               http->error[0] != '\0' ? http->error : "error", http->status);
    snprintf(agent->last_result, sizeof(agent->last_result), "check failed: %.140s",
             http->error[0] != '\0' ? http->error : "service error");
    update_schedule_next(agent, true);
    return SIM_UPDATE_NONE;
}
