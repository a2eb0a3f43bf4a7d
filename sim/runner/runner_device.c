// SPDX-License-Identifier: MIT
// The scenario's devices: each one is a `spheresim run` child with its own device directory in
// the run's temporary directory. Before the start the runner puts the initial state in place
// (runner_device_prepare.c); afterwards it watches the device: its log arrives on the child's
// stdout, its state comes from the control socket (sampled; LED changes are the differences between
// samples), and the OS's records (exits.jsonl, events.jsonl) are read as they grow.
//
// A device whose power the runner had the OS cut at an update step (power_cut_during_install)
// ends its `spheresim run` with the crash points' status; that is the power going, so the runner
// records it and, after a short time off, starts the same command on the same device directory
// again: a power-on that boots from whatever the cut left on the device's storage.
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/ctl_socket.h"
#include "os/update_agent_crash.h"
#include "runner/runner_internal.h"
#include "os/format_text.h"

#define CTL_REPLY_MAX (96 * 1024)
#define BOOT_TIMEOUT_MS 30000
#define STATUS_PERIOD_MS 50
#define BLINK_STATUS_PERIOD_MS 15
// How long a device whose power was cut at an update step stays off.
#define POWER_CUT_OFF_MS 500

static const struct {
    const char *name;
    int gpio;
} rdb_leds[] = {
    {"LED1_RED", 8},
    {"LED1_GREEN", 9},
    {"LED1_BLUE", 10},
    {"LED2_RED", 15},
    {"LED2_GREEN", 16},
    {"LED2_BLUE", 17},
    {"LED3_RED", 18},
    {"LED3_GREEN", 19},
    {"LED3_BLUE", 20},
    {"LED4_RED", 21},
    {"LED4_GREEN", 22},
    {"LED4_BLUE", 23},
    {"STATUS_LED_RED", 45},
    {"STATUS_LED_GREEN", 46},
    {"STATUS_LED_BLUE", 47},
    {"NETWORKING_LED_RED", 48},
    {"NETWORKING_LED_GREEN", 14},
    {"NETWORKING_LED_BLUE", 11},
};

int rn_led_gpio(const char *name) {
    for (size_t i = 0; i < sizeof(rdb_leds) / sizeof(rdb_leds[0]); i++) {
        if (strcmp(rdb_leds[i].name, name) == 0) {
            return rdb_leds[i].gpio;
        }
    }
    return -1;
}

static const char *led_name(int gpio) {
    for (size_t i = 0; i < sizeof(rdb_leds) / sizeof(rdb_leds[0]); i++) {
        if (rdb_leds[i].gpio == gpio) {
            return rdb_leds[i].name;
        }
    }
    return NULL;
}

bool rn_push(void **items, size_t *count, size_t *cap, size_t size, const void *item) {
    if (*count == *cap) {
        size_t grown = *cap == 0 ? 16 : *cap * 2;
        void *bigger = realloc(*items, grown * size);
        if (bigger == NULL) {
            return false;
        }
        *items = bigger;
        *cap = grown;
    }
    memcpy((char *)*items + *count * size, item, size);
    (*count)++;
    return true;
}

int rn_ctl(struct rn_runner *r, size_t device, const char *request_json, cJSON **out_reply,
           char *err, size_t err_size) {
    struct rn_device *d = &r->devices[device];
    char *reply = malloc(CTL_REPLY_MAX);
    int result = -1;
    if (out_reply != NULL) {
        *out_reply = NULL;
    }
    if (reply == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    if (sim_ctl_request(d->ctl_path, request_json, reply, CTL_REPLY_MAX, err, err_size) != 0) {
        goto out;
    }
    cJSON *json = cJSON_Parse(reply);
    if (!cJSON_IsObject(json)) {
        snprintf(err, err_size, "the device's reply is not a JSON object");
        cJSON_Delete(json);
        goto out;
    }
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(json, "ok"))) {
        const cJSON *why = cJSON_GetObjectItemCaseSensitive(json, "error");
        snprintf(err, err_size, "%s", cJSON_IsString(why) ? why->valuestring : "refused");
        cJSON_Delete(json);
        goto out;
    }
    if (out_reply != NULL) {
        *out_reply = json;
    } else {
        cJSON_Delete(json);
    }
    result = 0;
out:
    free(reply);
    return result;
}

// ---- watching ----

static void add_sample(struct rn_sample **arr, size_t *count, size_t *cap, int64_t t,
                       uint64_t value) {
    if (*count > 0 && (*arr)[*count - 1].value == value) {
        return;
    }
    struct rn_sample s = {.t = t, .value = value};
    rn_push((void **)arr, count, cap, sizeof(s), &s);
}

// What the OS's log says that the runner counts: denied capabilities and connections.
static void classify_line(struct rn_runner *r, struct rn_device *d, const char *text, int64_t t) {
    static const char grant[] = ": the manifest does not grant ";
    static const char connect_denied[] = "os: denied tcp connect to ";
    if (strncmp(text, "os: net: tcp connect to ", 24) == 0) {
        RN_PUSH(d->connects, d->connect_count, d->connect_cap, t);
        return;
    }
    struct rn_denied denied = {.t = t};
    if (strncmp(text, connect_denied, sizeof(connect_denied) - 1) == 0) {
        const char *host = text + sizeof(connect_denied) - 1;
        size_t len = strcspn(host, ":");
        snprintf(denied.capability, sizeof(denied.capability), "AllowedConnections:%.*s", (int)len,
                 host);
    } else if (strncmp(text, "os: denied ", 11) == 0 && strstr(text, grant) != NULL) {
        const char *cap = strstr(text, grant) + sizeof(grant) - 1;
        size_t len = strcspn(cap, " ");
        snprintf(denied.capability, sizeof(denied.capability), "%.*s", (int)len, cap);
    } else {
        return;
    }
    RN_PUSH(d->denied, d->denied_count, d->denied_cap, denied);
    (void)r;
}

static void add_line(struct rn_runner *r, struct rn_device *d, const char *line) {
    // "[2026-12-05T18:33:55.374Z] os: ..." -> "os: ..."; other lines (stderr) are kept whole.
    const char *text = line;
    if (line[0] == '[') {
        const char *end = strstr(line, "] ");
        if (end != NULL) {
            text = end + 2;
        }
    }
    int64_t t = rn_now(r);
    struct rn_log_line entry = {.t = t, .text = strdup(text)};
    if (entry.text == NULL || !RN_PUSH(d->logs, d->log_count, d->log_cap, entry)) {
        free(entry.text);
        return;
    }
    classify_line(r, d, text, t);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "device", d->def->id);
    bool bus = strncmp(text, "os: bus: ", 9) == 0;
    cJSON_AddStringToObject(event, bus ? "call" : "line", bus ? text + 9 : text);
    rn_trace(r, bus ? "bus" : "log", event);
}

static void read_output(struct rn_runner *r, struct rn_device *d) {
    if (d->out_fd < 0) {
        return;
    }
    for (;;) {
        ssize_t n = read(d->out_fd, d->buf + d->buf_len, sizeof(d->buf) - 1 - d->buf_len);
        if (n <= 0) {
            if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                close(d->out_fd);
                d->out_fd = -1;
            }
            break;
        }
        d->buf_len += (size_t)n;
        d->buf[d->buf_len] = '\0';
        char *start = d->buf;
        char *newline;
        while ((newline = strchr(start, '\n')) != NULL) {
            *newline = '\0';
            add_line(r, d, start);
            start = newline + 1;
        }
        size_t rest = d->buf_len - (size_t)(start - d->buf);
        if (rest == sizeof(d->buf) - 1) {  // a line longer than the buffer: take it as it is
            add_line(r, d, d->buf);
            rest = 0;
        }
        memmove(d->buf, start, rest);
        d->buf_len = rest;
    }
}

// Open TCP connections of the app: its socket inodes found in the established rows of the
// kernel's TCP tables (the device bus and peripheral channels are Unix sockets, not counted).
// True once pid runs a program other than the device process's: between fork and exec the app's
// process is still a copy of the OS, holding the OS's own sockets (the update agent's, the
// proxy's), which are not the app's connections.
static bool runs_own_program(pid_t pid, pid_t device_pid) {
    char path[64];
    char app_exe[PATH_MAX];
    char device_exe[PATH_MAX];
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
    ssize_t a = readlink(path, app_exe, sizeof(app_exe) - 1);
    snprintf(path, sizeof(path), "/proc/%d/exe", (int)device_pid);
    ssize_t b = readlink(path, device_exe, sizeof(device_exe) - 1);
    if (a <= 0 || b <= 0) {
        return a > 0;
    }
    app_exe[a] = '\0';
    device_exe[b] = '\0';
    return strcmp(app_exe, device_exe) != 0;
}

static uint64_t count_connections(pid_t pid) {
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return 0;
    }
    unsigned long inodes[256];
    size_t inode_count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && inode_count < 256) {
        char link[64 + sizeof(entry->d_name)];
        char target[64];
        snprintf(link, sizeof(link), "%s/%s", path, entry->d_name);
        ssize_t n = readlink(link, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            unsigned long inode = 0;
            if (sscanf(target, "socket:[%lu]", &inode) == 1) {
                inodes[inode_count++] = inode;
            }
        }
    }
    closedir(dir);
    uint64_t open_count = 0;
    static const char *const tables[] = {"net/tcp", "net/tcp6"};
    for (size_t t = 0; t < 2 && inode_count > 0; t++) {
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, tables[t]);
        FILE *f = fopen(path, "re");
        char row[512];
        while (f != NULL && fgets(row, sizeof(row), f) != NULL) {
            unsigned state = 0;
            unsigned long inode = 0;
            // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
            if (sscanf(row, " %*s %*s %*s %x %*s %*s %*s %*s %*s %lu", &state, &inode) == 2 &&
                state == 1) {
                for (size_t i = 0; i < inode_count; i++) {
                    open_count += inodes[i] == inode;
                }
            }
        }
        if (f != NULL) {
            fclose(f);
        }
    }
    return open_count;
}

uint64_t rn_app_open_connections(pid_t app_pid, pid_t device_pid) {
    return runs_own_program(app_pid, device_pid) ? count_connections(app_pid) : 0;
}

static void note_gpio(struct rn_runner *r, struct rn_device *d, int gpio, bool lit, int64_t t) {
    if (gpio < 0 || gpio >= RN_MAX_GPIO || (d->gpio_known[gpio] && d->gpio_lit[gpio] == lit)) {
        return;
    }
    bool first = !d->gpio_known[gpio];
    d->gpio_known[gpio] = true;
    d->gpio_lit[gpio] = lit;
    struct rn_gpio_change change = {.t = t, .gpio = gpio, .lit = lit};
    RN_PUSH(d->gpio_changes, d->gpio_change_count, d->gpio_change_cap, change);
    const char *name = led_name(gpio);
    if (first && !lit) {
        return;  // the initial dark state is not news
    }
    cJSON *event = cJSON_CreateObject();
    cJSON_AddStringToObject(event, "device", d->def->id);
    cJSON_AddNumberToObject(event, "gpio", gpio);
    if (name != NULL) {
        cJSON_AddStringToObject(event, "led", name);
    }
    cJSON_AddStringToObject(event, "state", lit ? "on" : "off");
    rn_trace(r, "gpio", event);
}

static void apply_status(struct rn_runner *r, struct rn_device *d, const cJSON *status, int64_t t) {
    const cJSON *power = cJSON_GetObjectItemCaseSensitive(status, "power");
    d->power_on = cJSON_IsString(power) && strcmp(power->valuestring, "on") == 0;
    const cJSON *app = cJSON_GetObjectItemCaseSensitive(status, "app");
    const cJSON *state = cJSON_GetObjectItemCaseSensitive(app, "state");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(app, "pid");
    const cJSON *restarts = cJSON_GetObjectItemCaseSensitive(app, "restarts");
    if (cJSON_IsString(state) && strcmp(state->valuestring, d->app_state) != 0) {
        snprintf(d->app_state, sizeof(d->app_state), "%s", state->valuestring);
    }
    d->app_pid = cJSON_IsNumber(pid) ? (pid_t)pid->valuedouble : 0;
    if (cJSON_IsNumber(restarts)) {
        // The OS counts from 0 again after a power cut ended its process; the runner's count
        // goes on, so a `restarts` window across the cut counts what happened in it.
        d->restarts = d->restarts_before + (uint64_t)restarts->valuedouble;
        add_sample(&d->restart_samples, &d->restart_sample_count, &d->restart_sample_cap, t,
                   d->restarts);
    }
    const cJSON *pin;
    cJSON_ArrayForEach(pin, cJSON_GetObjectItemCaseSensitive(status, "gpio")) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(pin, "id");
        const cJSON *dir = cJSON_GetObjectItemCaseSensitive(pin, "direction");
        const cJSON *level = cJSON_GetObjectItemCaseSensitive(pin, "level");
        if (cJSON_IsNumber(id) && cJSON_IsString(dir) && cJSON_IsNumber(level)) {
            bool lit = strcmp(dir->valuestring, "output") == 0 && level->valuedouble == 0;
            note_gpio(r, d, (int)id->valuedouble, lit, t);
        }
    }
    const cJSON *sensors = cJSON_GetObjectItemCaseSensitive(status, "sensors");
    const cJSON *temp = cJSON_GetObjectItemCaseSensitive(sensors, "temperature_c");
    if (cJSON_IsNumber(temp) && !d->temp_out_of_range) {
        d->temperature_c = temp->valuedouble;
    }
    if (d->app_pid > 0) {
        d->open_connections = rn_app_open_connections(d->app_pid, d->pid);
        // The peak the app's own Applications_GetPeakUserModeMemoryUsageInKB reports; none
        // before the app has shown the OS any figures.
        const cJSON *heap_peak = cJSON_GetObjectItemCaseSensitive(app, "heap_peak_bytes");
        if (cJSON_IsNumber(heap_peak)) {
            uint64_t kb = (uint64_t)heap_peak->valuedouble / 1024;
            if (kb > d->peak_memory_kb) {
                d->peak_memory_kb = kb;
            }
            add_sample(&d->memory_samples, &d->memory_sample_count, &d->memory_sample_cap, t, kb);
        }
    } else {
        d->open_connections = 0;
    }
    add_sample(&d->open_samples, &d->open_sample_count, &d->open_sample_cap, t,
               d->open_connections);
}

// The number after key in a report description ("exit_code=", "signal_status="), 0 if absent
// or out of range.
static int field_number(const char *description, const char *key) {
    const char *at = strstr(description, key);
    if (at == NULL) {
        return 0;
    }
    long value = strtol(at + strlen(key), NULL, 10);
    return value >= 0 && value <= 255 ? (int)value : 0;
}

static enum rn_report_kind report_kind(const char *description, int *code, int *signal) {
    *code = 0;
    *signal = 0;
    if (strncmp(description, "AppExit ", 8) == 0) {
        *code = field_number(description, "exit_code=");
        return RN_REPORT_EXIT;
    }
    if (strncmp(description, "AppCrashLoop ", 13) == 0) {
        return RN_REPORT_CRASH_LOOP;
    }
    if (strncmp(description, "AppCrash ", 9) == 0) {
        *signal = field_number(description, "signal_status=");
        return RN_REPORT_CRASH;
    }
    return RN_REPORT_OTHER;
}

// Reads complete new lines of a JSON-lines record file from *offset on.
static void tail_records(struct rn_runner *r, struct rn_device *d, const char *name, long *offset,
                         bool exits) {
    char path[RN_PATH_MAX + 32];
    snprintf(path, sizeof(path), "%s/records/%s", d->dir, name);
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        return;
    }
    char line[2048];
    int64_t t = rn_now(r);
    while (fseek(f, *offset, SEEK_SET) == 0 && fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        if (line[len - 1] != '\n') {
            break;  // still being written
        }
        *offset += (long)len;
        cJSON *json = cJSON_Parse(line);
        if (!cJSON_IsObject(json)) {
            cJSON_Delete(json);
            continue;
        }
        cJSON *event = cJSON_Duplicate(json, true);
        cJSON_AddStringToObject(event, "device", d->def->id);
        if (exits) {
            struct rn_exit e = {.t = t};
            const cJSON *reason = cJSON_GetObjectItemCaseSensitive(json, "reason");
            const cJSON *code = cJSON_GetObjectItemCaseSensitive(json, "exit_code");
            const cJSON *sig = cJSON_GetObjectItemCaseSensitive(json, "signal");
            snprintf(e.reason, sizeof(e.reason), "%s",
                     cJSON_IsString(reason) ? reason->valuestring : "?");
            e.has_code = cJSON_IsNumber(code);
            e.code = e.has_code ? (int)code->valuedouble : 0;
            e.signal = cJSON_IsNumber(sig) ? (int)sig->valuedouble : 0;
            RN_PUSH(d->exits, d->exit_count, d->exit_cap, e);
            rn_trace(r, "app-exit", event);
        } else {
            struct rn_report rep = {.t = t};
            const cJSON *desc = cJSON_GetObjectItemCaseSensitive(json, "description");
            snprintf(rep.description, sizeof(rep.description), "%s",
                     cJSON_IsString(desc) ? desc->valuestring : "");
            rep.kind = report_kind(rep.description, &rep.code, &rep.signal);
            RN_PUSH(d->reports, d->report_count, d->report_cap, rep);
            rn_trace(r, "failure-report", event);
        }
        cJSON_Delete(json);
    }
    fclose(f);
}

// A device powered on again starts with the board's defaults; the world around it did not
// change, so the runner, which plays it, sets the temperature and the potentiometer again.
// Faults that earlier steps put on the device's own parts are gone with its process, like the
// rest of its state (docs/scenarios.md says so); a sensor the runner holds out of range or stuck
// stays at the board's default until a later step changes it.
static void restore_environment(struct rn_runner *r, struct rn_device *d) {
    char request[128];
    char err[256];
    d->restore_environment = false;
    if (!d->temp_out_of_range) {
        snprintf(request, sizeof(request),
                 "{\"cmd\":\"sensor\",\"sensor\":\"temperature\",\"celsius\":%.6g}",
                 d->temperature_c);
        if (rn_ctl(r, d->index, request, NULL, err, sizeof(err)) != 0) {
            rn_progress(r, "%s: could not set the temperature again: %s", d->def->id, err);
        }
    }
    if (!d->pot_stuck && !d->pot_out_of_range) {
        snprintf(request, sizeof(request), "{\"cmd\":\"potentiometer\",\"volts\":%.6g}",
                 d->potentiometer_v);
        if (rn_ctl(r, d->index, request, NULL, err, sizeof(err)) != 0) {
            rn_progress(r, "%s: could not set the potentiometer again: %s", d->def->id, err);
        }
    }
}

static void sample_status(struct rn_runner *r, struct rn_device *d) {
    cJSON *status = NULL;
    char err[256];
    if (rn_ctl(r, d->index, "{\"cmd\":\"status\"}", &status, err, sizeof(err)) == 0) {
        d->have_status = true;
        if (d->restore_environment) {
            restore_environment(r, d);
        }
        apply_status(r, d, status, rn_now(r));
    }
    cJSON_Delete(status);
    tail_records(r, d, "exits.jsonl", &d->exits_offset, true);
    tail_records(r, d, "events.jsonl", &d->events_offset, false);
}

// The device process ended at the update step the runner armed: the power went. What is left
// of the process group (the app, if its parent-death signal has not reached it yet) goes too.
static void power_cut(struct rn_runner *r, struct rn_device *d, pid_t group) {
    kill(-group, SIGKILL);
    // What the OS recorded before it went (the app's exit for the install) belongs before the cut.
    tail_records(r, d, "exits.jsonl", &d->exits_offset, true);
    tail_records(r, d, "events.jsonl", &d->events_offset, false);
    if (d->out_fd >= 0) {
        close(d->out_fd);
        d->out_fd = -1;
    }
    d->buf_len = 0;
    d->power_cut_armed = false;
    d->restarts_before = d->restarts;
    d->have_status = false;
    d->app_pid = 0;
    d->power_on_at = rn_now(r) + POWER_CUT_OFF_MS;
    char label[256];
    rn_step_label(r, d->power_cut_step, label, sizeof(label));
    rn_progress(r, "%s: power cut at update step %s (%s); power returns in %d ms", d->def->id,
                d->power_cut_at, label, POWER_CUT_OFF_MS);
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)d->power_cut_step + 1);
    cJSON_AddStringToObject(event, "device", d->def->id);
    cJSON_AddStringToObject(event, "at", d->power_cut_at);
    rn_trace(r, "power-cut", event);
}

// Starts the device again after a power cut, as a power-on: same command, same directory.
static void power_on(struct rn_runner *r, struct rn_device *d) {
    char err[1024] = "";
    d->power_on_at = RN_NEVER;
    cJSON *event = cJSON_CreateObject();
    cJSON_AddNumberToObject(event, "step", (double)d->power_cut_step + 1);
    cJSON_AddStringToObject(event, "what", "power-on");
    cJSON_AddStringToObject(event, "device", d->def->id);
    rn_trace(r, "fault", event);
    if (rn_device_spawn(r, d, err, sizeof(err)) != 0) {
        rn_fail(r, "error", "device %s: could not power it on again after the power cut: %s",
                d->def->id, err);
        r->fatal = true;
        return;
    }
    d->restore_environment = true;
    rn_progress(r, "%s: power returns; the device boots from its storage", d->def->id);
}

static void check_exit(struct rn_runner *r, struct rn_device *d) {
    if (d->pid <= 0) {
        return;
    }
    int status = 0;
    pid_t pid = d->pid;
    if (waitpid(pid, &status, WNOHANG) != pid) {
        return;
    }
    d->pid = 0;
    d->exit_status = status;
    read_output(r, d);
    if (d->power_cut_armed && WIFEXITED(status) && WEXITSTATUS(status) == SIM_UPDATE_CRASH_STATUS) {
        power_cut(r, d, pid);
        return;
    }
    d->stopped_unexpectedly = true;
    const char *last = d->log_count > 0 ? d->logs[d->log_count - 1].text : "(no output)";
    rn_fail(r, "error", "device %s: spheresim run stopped unexpectedly (%s %d); its last line: %s",
            d->def->id, WIFSIGNALED(status) ? "signal" : "exit status",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), last);
    r->fatal = true;
}

void rn_devices_poll(struct rn_runner *r) {
    int64_t now = rn_mono_ms();
    bool sample = now >= r->next_sample;
    if (sample) {
        r->next_sample = now + (r->blink_watch ? BLINK_STATUS_PERIOD_MS : STATUS_PERIOD_MS);
    }
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        read_output(r, d);
        check_exit(r, d);
        if (d->pid <= 0 && d->power_on_at != RN_NEVER && rn_now(r) >= d->power_on_at) {
            power_on(r, d);
        }
        if (sample && d->pid > 0) {
            sample_status(r, d);
        }
    }
}

size_t rn_devices_fds(struct rn_runner *r, int *fds, size_t max) {
    size_t n = 0;
    for (size_t i = 0; i < r->device_count && n < max; i++) {
        if (r->devices[i].out_fd >= 0) {
            fds[n++] = r->devices[i].out_fd;
        }
    }
    return n;
}

// Waits until every device answers on its control socket, then sets scenario time 0 at the
// first device's boot (now minus its uptime).
static int wait_for_boot(struct rn_runner *r) {
    int64_t deadline = rn_mono_ms() + BOOT_TIMEOUT_MS;
    int64_t first_uptime = 0;
    size_t booted = 0;
    while (booted < r->device_count) {
        if (rn_signalled()) {
            return -1;
        }
        for (size_t i = 0; i < r->device_count; i++) {
            struct rn_device *d = &r->devices[i];
            read_output(r, d);
            if (d->booted) {
                continue;
            }
            if (d->pid > 0 && waitpid(d->pid, &d->exit_status, WNOHANG) == d->pid) {
                d->pid = 0;
                read_output(r, d);
                rn_fail(r, "error", "device %s (%s:%u:%u) did not start: %s", d->def->id,
                        r->scn->source, d->def->loc.line, d->def->loc.column,
                        d->log_count > 0 ? d->logs[d->log_count - 1].text : "no output");
                return -1;
            }
            cJSON *status = NULL;
            char err[256];
            if (access(d->ctl_path, F_OK) != 0 ||
                rn_ctl(r, i, "{\"cmd\":\"status\"}", &status, err, sizeof(err)) != 0) {
                continue;
            }
            const cJSON *uptime = cJSON_GetObjectItemCaseSensitive(status, "uptime_ms");
            if (booted == 0 && cJSON_IsNumber(uptime)) {
                first_uptime = (int64_t)uptime->valuedouble;
            }
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(status, "device_id");
            snprintf(d->device_id, sizeof(d->device_id), "%s",
                     cJSON_IsString(id) ? id->valuestring : "");
            if (booted == 0) {
                r->t0_mono_ms = rn_mono_ms() - first_uptime;
                r->t0_real_ms = rn_real_ms() - first_uptime;
                r->started = true;
            }
            d->booted = true;
            booted++;
            apply_status(r, d, status, rn_now(r));
            cJSON_Delete(status);
        }
        if (rn_mono_ms() > deadline) {
            rn_fail(r, "error", "the devices did not boot within %d s", BOOT_TIMEOUT_MS / 1000);
            return -1;
        }
        rn_wait(r, 20);
    }
    return 0;
}

int rn_devices_start(struct rn_runner *r) {
    char err[1024] = "";
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        if (rn_device_prepare(r, d, err, sizeof(err)) != 0 ||
            rn_device_spawn(r, d, err, sizeof(err)) != 0) {
            rn_fail(r, "error", "device %s (%s:%u:%u): %s", d->def->id, r->scn->source,
                    d->def->loc.line, d->def->loc.column, err);
            return -1;
        }
    }
    if (wait_for_boot(r) != 0) {
        return -1;
    }
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        rn_progress(r, "%s booted: device %.16s…, state in %s", d->def->id, d->device_id, d->dir);
        cJSON *event = cJSON_CreateObject();
        cJSON_AddStringToObject(event, "device", d->def->id);
        cJSON_AddStringToObject(event, "deviceId", d->device_id);
        cJSON_AddStringToObject(event, "dir", d->dir);
        rn_trace(r, "boot", event);
        if (d->def->clock_offset_ms != 0) {
            char request[128];
            snprintf(request, sizeof(request),
                     "{\"cmd\":\"clock\",\"action\":\"jump\",\"by\":\"%+" PRId64 "ms\"}",
                     d->def->clock_offset_ms);
            if (rn_ctl(r, i, request, NULL, err, sizeof(err)) != 0) {
                rn_fail(r, "error", "device %s: initial clock_offset: %s", d->def->id, err);
                return -1;
            }
        }
    }
    return 0;
}

void rn_devices_stop(struct rn_runner *r) {
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        if (d->pid > 0) {
            // SIGTERM: the device stops its app the platform's way (SIGTERM, SIGKILL after 2 s).
            rn_stop_group(d->pid, 6000, NULL);
            d->pid = 0;
        }
        if (d->out_fd >= 0) {
            close(d->out_fd);
            d->out_fd = -1;
        }
    }
}

void rn_devices_free(struct rn_runner *r) {
    for (size_t i = 0; i < r->device_count; i++) {
        struct rn_device *d = &r->devices[i];
        for (size_t j = 0; j < d->log_count; j++) {
            free(d->logs[j].text);
        }
        for (size_t j = 0; j < d->message_count; j++) {
            cJSON_Delete(d->messages[j].json);
            cJSON_Delete(d->messages[j].body);
        }
        free(d->logs);
        free(d->messages);
        free(d->exits);
        free(d->reports);
        free(d->gpio_changes);
        free(d->restart_samples);
        free(d->open_samples);
        free(d->memory_samples);
        free(d->denied);
        free(d->connects);
        cJSON_Delete(d->reported);
    }
    free(r->devices);
    r->devices = NULL;
}
