// SPDX-License-Identifier: MIT
// The scenario's local hub and the runner's view of it. The hub is started with `spheresim hub
// start` in the run's own state directory and stopped with `hub stop`, so it is the same hub a
// user runs. Everything else goes through its HTTP service API with libcurl's multi interface:
// the runner never blocks on the hub, because a method call may take minutes and a broker
// restart seconds while devices still have to be watched. Telemetry is read page by page as the
// hub accepts it, the twin and the device record (C2D queue counts) are polled while a condition
// needs them.
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner_internal.h"

#define HUB_START_TIMEOUT_MS 60000
#define TELEMETRY_PERIOD_MS 200
#define TWIN_PERIOD_MS 300
#define RECORD_PERIOD_MS 250
#define POLL_TIMEOUT_MS 10000

struct rn_http {
    CURL *easy;
    struct curl_slist *headers;
    char *request_body;
    char *response;
    size_t len;
    size_t cap;
    rn_http_done done;
    size_t device;
    size_t step;
    uint64_t number;
    struct rn_http *next;
};

static pid_t broker_starter;  // `hub start` bringing the broker back, or 0
static int broker_starter_fd = -1;

static size_t collect(char *data, size_t size, size_t count, void *user) {
    struct rn_http *h = user;
    size_t n = size * count;
    if (h->len + n + 1 > h->cap) {
        size_t cap = (h->len + n + 1) * 2;
        char *bigger = realloc(h->response, cap);
        if (bigger == NULL) {
            return 0;
        }
        h->response = bigger;
        h->cap = cap;
    }
    memcpy(h->response + h->len, data, n);
    h->len += n;
    h->response[h->len] = '\0';
    return n;
}

int rn_http_start(struct rn_runner *r, const char *method, const char *path, const char *body,
                  long timeout_ms, rn_http_done done, size_t device, size_t step, uint64_t number) {
    if (r->multi == NULL || r->http_port <= 0) {
        return -1;
    }
    struct rn_http *h = calloc(1, sizeof(*h));
    if (h == NULL || (h->easy = curl_easy_init()) == NULL) {
        free(h);
        return -1;
    }
    char url[1024];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", r->http_port, path);
    h->done = done;
    h->device = device;
    h->step = step;
    h->number = number;
    curl_easy_setopt(h->easy, CURLOPT_URL, url);
    curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(h->easy, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(h->easy, CURLOPT_PRIVATE, h);
    if (body != NULL) {
        h->request_body = strdup(body);
        h->headers = curl_slist_append(NULL, "Content-Type: application/json");
        curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
        curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, h->request_body);
    }
    h->next = r->http;
    r->http = h;
    curl_multi_add_handle(r->multi, h->easy);
    return 0;
}

static void http_free(struct rn_runner *r, struct rn_http *h) {
    curl_multi_remove_handle(r->multi, h->easy);
    curl_easy_cleanup(h->easy);
    curl_slist_free_all(h->headers);
    free(h->request_body);
    free(h->response);
    free(h);
}

static void http_pump(struct rn_runner *r) {
    if (r->multi == NULL) {
        return;
    }
    int running = 0;
    curl_multi_perform(r->multi, &running);
    CURLMsg *msg;
    int left = 0;
    while ((msg = curl_multi_info_read(r->multi, &left)) != NULL) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        struct rn_http *h = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&h);
        long status = 0;
        if (msg->data.result == CURLE_OK) {
            curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
        }
        for (struct rn_http **p = &r->http; *p != NULL; p = &(*p)->next) {
            if (*p == h) {
                *p = h->next;
                break;
            }
        }
        if (h->done != NULL) {
            h->done(r, status, h->response != NULL ? h->response : "", h->device, h->step,
                    h->number);
        }
        http_free(r, h);
    }
}

bool rn_hub_busy(const struct rn_runner *r) {
    return r->http != NULL || broker_starter > 0;
}

void rn_wait(struct rn_runner *r, int timeout_ms) {
    int fds[64];
    size_t n = rn_devices_fds(r, fds, 64);
    if (r->multi != NULL) {
        struct curl_waitfd extra[64];
        for (size_t i = 0; i < n; i++) {
            extra[i] = (struct curl_waitfd){.fd = fds[i], .events = CURL_WAIT_POLLIN};
        }
        curl_multi_poll(r->multi, extra, (unsigned)n, timeout_ms, NULL);
        return;
    }
    struct pollfd pfds[64];
    for (size_t i = 0; i < n; i++) {
        pfds[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
    }
    poll(pfds, n, timeout_ms);
}

// ---- the hub's process ----

static int hub_command(struct rn_runner *r, const char *verb, bool json, char *out, size_t out_size,
                       char *err, size_t err_size) {
    char *argv[] = {(char *)r->cfg->spheresim, "hub", (char *)verb, "--state-dir", r->hub_dir,
                    json ? "--json" : NULL,    NULL};
    int status = rn_run_capture(argv, HUB_START_TIMEOUT_MS, out, out_size, err, err_size);
    if (status > 0) {
        char *nl = strchr(out, '\n');
        if (nl != NULL && nl[1] == '\0') {
            *nl = '\0';
        }
        snprintf(err, err_size, "%s", out);
    }
    return status;
}

int rn_hub_start(struct rn_runner *r) {
    if (!r->hub_local) {
        return 0;
    }
    char out[8192];
    char err[8192] = "";
    if (hub_command(r, "start", true, out, sizeof(out), err, sizeof(err)) != 0) {
        rn_fail(r, "error", "the local hub did not start: %s", err);
        return -1;
    }
    r->hub_started = true;
    cJSON *status = cJSON_Parse(out);
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(status, "httpPort");
    r->http_port = cJSON_IsNumber(port) ? (int)port->valuedouble : 0;
    cJSON_Delete(status);
    if (r->http_port <= 0) {
        rn_fail(r, "error", "the local hub's status has no HTTP port: %.200s", out);
        return -1;
    }
    r->multi = curl_multi_init();
    rn_progress(r, "local hub started (state in %s, service API on 127.0.0.1:%d)", r->hub_dir,
                r->http_port);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "stateDir", r->hub_dir);
    cJSON_AddNumberToObject(event, "httpPort", r->http_port);
    rn_trace(r, "hub-start", event);
    return 0;
}

void rn_hub_stop(struct rn_runner *r) {
    if (broker_starter > 0) {
        rn_stop_group(broker_starter, 2000, NULL);
        broker_starter = 0;
    }
    if (broker_starter_fd >= 0) {
        close(broker_starter_fd);
        broker_starter_fd = -1;
    }
    if (!r->hub_started) {
        return;
    }
    char out[4096];
    char err[4096];
    if (hub_command(r, "stop", false, out, sizeof(out), err, sizeof(err)) != 0) {
        rn_progress(r, "warning: hub stop: %s", err);
    }
    r->hub_started = false;
}

void rn_hub_free(struct rn_runner *r) {
    while (r->http != NULL) {
        struct rn_http *h = r->http;
        r->http = h->next;
        http_free(r, h);
    }
    if (r->multi != NULL) {
        curl_multi_cleanup(r->multi);
        r->multi = NULL;
    }
}

int rn_hub_broker_stop(struct rn_runner *r, char *err, size_t err_size) {
    char out[8192];
    if (hub_command(r, "status", true, out, sizeof(out), err, err_size) != 0) {
        return -1;
    }
    cJSON *status = cJSON_Parse(out);
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(status, "pid");
    pid_t broker = cJSON_IsNumber(pid) ? (pid_t)pid->valuedouble : 0;
    cJSON_Delete(status);
    if (broker <= 0 || kill(broker, SIGTERM) != 0) {
        snprintf(err, err_size, "the broker is not running");
        return -1;
    }
    // The daemon is not our child: wait for it to be gone, as `hub stop` would.
    int64_t deadline = rn_mono_ms() + 7000;
    while (kill(broker, 0) == 0 && rn_mono_ms() < deadline) {
        struct timespec pause = {.tv_nsec = 20 * 1000000};
        nanosleep(&pause, NULL);
    }
    if (kill(broker, 0) == 0) {
        kill(broker, SIGKILL);
    }
    return 0;
}

void rn_hub_broker_start(struct rn_runner *r) {
    char *argv[] = {(char *)r->cfg->spheresim, "hub", "start", "--state-dir", r->hub_dir, NULL};
    char err[256];
    broker_starter = rn_spawn(argv, &broker_starter_fd, err, sizeof(err));
    if (broker_starter < 0) {
        broker_starter = 0;
        rn_fail(r, "step", "broker_restart: cannot start the broker again: %s", err);
    }
}

static void check_broker_starter(struct rn_runner *r) {
    if (broker_starter <= 0) {
        return;
    }
    char buf[4096];
    while (broker_starter_fd >= 0 && read(broker_starter_fd, buf, sizeof(buf)) > 0) {
    }
    int status = 0;
    if (waitpid(broker_starter, &status, WNOHANG) != broker_starter) {
        return;
    }
    broker_starter = 0;
    close(broker_starter_fd);
    broker_starter_fd = -1;
    r->hub_restarting--;
    bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    rn_progress(r, "broker %s", ok ? "started again" : "did not start again");
    cJSON *event = cJSON_CreateObject();
    cJSON_AddBoolToObject(event, "ok", ok);
    rn_trace(r, "broker-start", event);
    if (!ok) {
        rn_fail(r, "step", "broker_restart: `hub start` failed (exit status %d)",
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
}

// ---- polls ----

static int64_t iso_to_ms(const char *text) {
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int ms = 0;
    if (sscanf(text, "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &ms) < 6) {
        return RN_NEVER;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (int64_t)timegm(&tm) * 1000 + ms;
}

static void on_telemetry(struct rn_runner *r, long status, const char *body, size_t device,
                         size_t step, uint64_t number) {
    (void)step;
    (void)number;
    struct rn_device *d = &r->devices[device];
    d->telemetry_busy = false;
    cJSON *page = status == 200 ? cJSON_Parse(body) : NULL;
    const cJSON *messages = cJSON_GetObjectItemCaseSensitive(page, "messages");
    const cJSON *next = cJSON_GetObjectItemCaseSensitive(page, "next");
    const cJSON *m;
    cJSON_ArrayForEach(m, messages) {
        const cJSON *seq = cJSON_GetObjectItemCaseSensitive(m, "sequence");
        const cJSON *when = cJSON_GetObjectItemCaseSensitive(m, "enqueuedTime");
        const cJSON *text = cJSON_GetObjectItemCaseSensitive(m, "body");
        int64_t real = cJSON_IsString(when) ? iso_to_ms(when->valuestring) : RN_NEVER;
        struct rn_message message = {
            .t = real != RN_NEVER ? real - r->t0_real_ms : rn_now(r),
            .sequence = cJSON_IsNumber(seq) ? (uint64_t)seq->valuedouble : 0,
            .json = cJSON_Duplicate(m, true),
            .body = cJSON_IsString(text) ? cJSON_Parse(text->valuestring) : NULL,
        };
        if (!RN_PUSH(d->messages, d->message_count, d->message_cap, message)) {
            cJSON_Delete(message.json);
            cJSON_Delete(message.body);
            continue;
        }
        cJSON *event = cJSON_CreateObject();
        cJSON_AddStringToObject(event, "device", d->def->id);
        cJSON_AddStringToObject(event, "direction", "device-to-cloud");
        cJSON_AddItemToObject(event, "message", cJSON_Duplicate(m, true));
        rn_trace(r, "telemetry", event);
    }
    if (cJSON_IsNumber(next)) {
        d->telemetry_cursor = (uint64_t)next->valuedouble;
    }
    if (cJSON_GetArraySize(messages) >= 1000) {
        d->telemetry_next = 0;  // more waiting: read the next page at once
    }
    cJSON_Delete(page);
}

// The reported section without the hub's bookkeeping, to see whether anything changed.
static char *reported_text(const cJSON *reported) {
    cJSON *copy = cJSON_Duplicate(reported, true);
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "$metadata");
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "$version");
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    return text;
}

static void on_twin(struct rn_runner *r, long status, const char *body, size_t device, size_t step,
                    uint64_t number) {
    (void)step;
    (void)number;
    struct rn_device *d = &r->devices[device];
    d->twin_busy = false;
    cJSON *twin = status == 200 ? cJSON_Parse(body) : NULL;
    cJSON *props = cJSON_GetObjectItemCaseSensitive(twin, "properties");
    cJSON *reported = cJSON_GetObjectItemCaseSensitive(props, "reported");
    if (cJSON_IsObject(reported)) {
        char *before = d->reported != NULL ? reported_text(d->reported) : NULL;
        char *after = reported_text(reported);
        bool changed = before == NULL || after == NULL || strcmp(before, after) != 0;
        cJSON_Delete(d->reported);
        d->reported = cJSON_DetachItemFromObjectCaseSensitive(props, "reported");
        d->reported_t = rn_now(r);
        if (changed && after != NULL) {
            cJSON *event = cJSON_CreateObject();
            cJSON_AddStringToObject(event, "device", d->def->id);
            cJSON_AddItemToObject(event, "reported", cJSON_Parse(after));
            rn_trace(r, "twin-reported", event);
        }
        free(before);
        free(after);
    }
    cJSON_Delete(twin);
}

// C2D accounting: the hub delivers a device's queue oldest first, so once the count of messages
// that left the queue reaches a message's place in the order it was queued, it has left. It left
// by expiring when its time to live had run out and the hub counted expiries meanwhile.
static void on_record(struct rn_runner *r, long status, const char *body, size_t device,
                      size_t step, uint64_t number) {
    (void)step;
    (void)number;
    struct rn_device *d = &r->devices[device];
    d->record_busy = false;
    cJSON *record = status == 200 ? cJSON_Parse(body) : NULL;
    const cJSON *queued = cJSON_GetObjectItemCaseSensitive(record, "cloudToDeviceMessageCount");
    const cJSON *expired = cJSON_GetObjectItemCaseSensitive(record, "cloudToDeviceExpiredCount");
    if (cJSON_IsNumber(queued) && d->c2d_sending == 0 &&
        d->record_total_at == d->c2d_queued_total) {
        uint64_t in_queue = (uint64_t)queued->valuedouble;
        uint64_t departed = d->c2d_queued_total > in_queue ? d->c2d_queued_total - in_queue : 0;
        uint64_t expired_now = cJSON_IsNumber(expired) ? (uint64_t)expired->valuedouble : 0;
        uint64_t expiries =
            expired_now > d->c2d_expired_seen ? expired_now - d->c2d_expired_seen : 0;
        d->c2d_expired_seen = expired_now;
        int64_t now = rn_now(r);
        for (size_t i = 0; i < r->c2d_count && departed > d->c2d_departed; i++) {
            struct rn_c2d *m = &r->c2d[i];
            if (m->device != device || m->state != RN_C2D_QUEUED || m->queued_upto > departed) {
                continue;
            }
            bool expired_one = expiries > 0 && now >= m->sent_t + (int64_t)m->ttl_ms;
            expiries -= expired_one ? 1 : 0;
            m->state = expired_one ? RN_C2D_EXPIRED : RN_C2D_COMPLETED;
            cJSON *event = cJSON_CreateObject();
            cJSON_AddStringToObject(event, "device", d->def->id);
            cJSON_AddNumberToObject(event, "step", (double)m->step + 1);
            cJSON_AddNumberToObject(event, "number", (double)m->number);
            cJSON_AddStringToObject(event, "outcome", expired_one ? "expired" : "completed");
            rn_trace(r, "c2d-outcome", event);
        }
        d->c2d_departed = departed;
    }
    cJSON_Delete(record);
}

static bool has_queued_c2d(const struct rn_runner *r, size_t device) {
    for (size_t i = 0; i < r->c2d_count; i++) {
        if (r->c2d[i].device == device && r->c2d[i].state == RN_C2D_QUEUED) {
            return true;
        }
    }
    return false;
}

static bool uses_twin(const struct rn_runner *r) {
    for (size_t i = 0; i < r->scn->step_count; i++) {
        if (r->scn->steps[i].timing == SCN_UNTIL && rn_cond_needs_twin(&r->scn->steps[i].until)) {
            return true;
        }
    }
    for (size_t i = 0; i < r->scn->expectation_count; i++) {
        if (rn_cond_needs_twin(&r->scn->expectations[i].cond)) {
            return true;
        }
    }
    return false;
}

void rn_hub_poll(struct rn_runner *r) {
    http_pump(r);
    check_broker_starter(r);
    if (r->multi == NULL || !r->started) {
        return;
    }
    int64_t now = rn_mono_ms();
    bool twin = uses_twin(r);
    char path[512];
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        if (d->device_id[0] == '\0') {
            continue;
        }
        if (!d->telemetry_busy && now >= d->telemetry_next) {
            snprintf(path, sizeof(path),
                     "/spheresim/telemetry?deviceId=%s&after=%" PRIu64 "&limit=1000", d->device_id,
                     d->telemetry_cursor);
            if (rn_http_start(r, "GET", path, NULL, POLL_TIMEOUT_MS, on_telemetry, i, 0, 0) == 0) {
                d->telemetry_busy = true;
                d->telemetry_next = now + TELEMETRY_PERIOD_MS;
            }
        }
        if (twin && !d->twin_busy && now >= d->twin_next) {
            snprintf(path, sizeof(path), "/twins/%s", d->device_id);
            if (rn_http_start(r, "GET", path, NULL, POLL_TIMEOUT_MS, on_twin, i, 0, 0) == 0) {
                d->twin_busy = true;
                d->twin_next = now + TWIN_PERIOD_MS;
            }
        }
        if (!d->record_busy && d->c2d_sending == 0 && now >= d->record_next &&
            has_queued_c2d(r, i)) {
            snprintf(path, sizeof(path), "/devices/%s", d->device_id);
            if (rn_http_start(r, "GET", path, NULL, POLL_TIMEOUT_MS, on_record, i, 0, 0) == 0) {
                d->record_busy = true;
                d->record_total_at = d->c2d_queued_total;
                d->record_next = now + RECORD_PERIOD_MS;
            }
        }
    }
}
