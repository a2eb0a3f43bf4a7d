// SPDX-License-Identifier: MIT
// Starts, stops and describes the local hub's mosquitto (see hub_broker.h). Start and stop hold
// an exclusive lock on <state>/hub.lock, so two commands on one state directory never race to
// issue certificates or spawn two brokers.

#include "cloud/hub_broker.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloud/hub_broker_internal.h"
#include "cloud/hub_daemon.h"
#include "cloud/hub_pki.h"
#include "cloud/hub_service_process.h"
#include "cloud/hub_store.h"
#include "os/fs_util.h"
#include "os/identity.h"

#define STOP_TERM_MS 5000
#define STOP_KILL_MS 2000
// 256 KB of telemetry plus the longest topic and the MQTT header: bigger packets are not
// telemetry the hub could take, so the broker drops the connection before reading them.
#define MAX_PACKET_BYTES (256 * 1024 + 65536 + 1024)

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t err_size,
                                                          const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
}

static bool join(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < out_size;
}

// mosquitto.conf has no quoting: a value runs to the end of the line, and some options split on
// spaces. Paths and names written into it must not need quoting.
static bool conf_safe(const char *value) {
    for (const char *p = value; *p != '\0'; p++) {
        if (*p == ' ' || *p == '#' || (unsigned char)*p < 0x20 || *p == 0x7f) {
            return false;
        }
    }
    return value[0] != '\0';
}

static bool valid_hub_name(const char *name) {
    size_t len = strlen(name);
    if (len == 0 || len > 50 || name[0] == '-' || name[len - 1] == '-') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
            return false;
        }
    }
    return true;
}

static void fill_paths(struct hub_broker_info *info, const char *state_dir,
                       const char *tenant_dir) {
    snprintf(info->state_dir, sizeof info->state_dir, "%s", state_dir);
    // Truncation here only shortens paths of a state dir that join() below already rejected.
    (void)join(info->ca_path, sizeof info->ca_path, state_dir, "pki/" HUB_PKI_CA_CERT);
    (void)join(info->db_path, sizeof info->db_path, state_dir, HUB_STORE_FILE);
    (void)join(info->log_path, sizeof info->log_path, state_dir, "broker.log");
    (void)join(info->config_path, sizeof info->config_path, state_dir, "mosquitto.conf");
    if (tenant_dir != NULL) {
        (void)join(info->tenant_ca_path, sizeof info->tenant_ca_path, tenant_dir, "ca.pem");
    }
}

static void set_name(struct hub_broker_info *info, const char *name) {
    snprintf(info->hub_name, sizeof info->hub_name, "%s", name);
    snprintf(info->hub_hostname, sizeof info->hub_hostname, "%s%s", name, HUB_BROKER_HOST_SUFFIX);
}

bool hub_broker_process_alive(long pid, const char *needle) {
    if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno != EPERM)) {
        return false;
    }
    char path[64];
    char buf[PATH_MAX + 256];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    size_t len = 0;
    if (sim_fs_read_file(path, buf, sizeof buf - 1, &len, NULL, 0) != 0) {
        return false;
    }
    buf[len] = '\0';
    const char *state = strrchr(buf, ')');
    if (state == NULL || state[1] != ' ' || state[2] == 'Z' || state[2] == 'X') {
        return false;
    }
    snprintf(path, sizeof path, "/proc/%ld/cmdline", pid);
    if (sim_fs_read_file(path, buf, sizeof buf - 1, &len, NULL, 0) != 0) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\0') {
            buf[i] = ' ';
        }
    }
    buf[len] = '\0';
    return strstr(buf, needle) != NULL;
}

long hub_broker_read_pid(const char *state_dir, const char *name) {
    char path[PATH_MAX];
    char buf[32];
    size_t len = 0;
    if (!join(path, sizeof path, state_dir, name) ||
        sim_fs_read_file(path, buf, sizeof buf - 1, &len, NULL, 0) != 0) {
        return 0;
    }
    buf[len] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

static void read_hub_json(const char *state_dir, struct hub_broker_info *info) {
    char path[PATH_MAX];
    static char buf[16384];
    size_t len = 0;
    if (!join(path, sizeof path, state_dir, "hub.json") ||
        sim_fs_read_file(path, buf, sizeof buf - 1, &len, NULL, 0) != 0) {
        return;
    }
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(root, "hubName");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "port");
    const cJSON *tenant = cJSON_GetObjectItemCaseSensitive(root, "tenantCaCertificate");
    if (cJSON_IsString(name) && valid_hub_name(name->valuestring)) {
        set_name(info, name->valuestring);
    }
    if (cJSON_IsNumber(port) && port->valuedouble >= 1 && port->valuedouble <= 65535) {
        info->port = (int)port->valuedouble;
    }
    if (cJSON_IsString(tenant)) {
        snprintf(info->tenant_ca_path, sizeof info->tenant_ca_path, "%s", tenant->valuestring);
    }
    cJSON_Delete(root);
}

enum hub_broker_result hub_broker_query(const char *state_dir, const char *tenant_dir,
                                        struct hub_broker_info *out_info, char *err,
                                        size_t err_size) {
    memset(out_info, 0, sizeof *out_info);
    char probe[PATH_MAX];
    if (!join(probe, sizeof probe, state_dir, "mosquitto.conf.tmp")) {
        set_err(err, err_size, "hub state directory path %s is too long", state_dir);
        return HUB_BROKER_ERR_INVALID;
    }
    // The broker's command line names the canonical path; compare like with like.
    char canonical[PATH_MAX];
    if (realpath(state_dir, canonical) != NULL) {
        state_dir = canonical;
    }
    fill_paths(out_info, state_dir, tenant_dir);
    set_name(out_info, HUB_BROKER_DEFAULT_NAME);
    read_hub_json(state_dir, out_info);
    long pid = hub_broker_read_pid(state_dir, "broker.pid");
    out_info->running = hub_broker_process_alive(pid, out_info->config_path);
    out_info->pid = out_info->running ? pid : 0;
    hub_service_process_query(state_dir, &out_info->service_pid, &out_info->http_port);
    return HUB_BROKER_OK;
}

cJSON *hub_broker_info_to_json(const struct hub_broker_info *info) {
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL && cJSON_AddBoolToObject(root, "running", info->running) != NULL &&
              (info->running ? cJSON_AddNumberToObject(root, "pid", (double)info->pid)
                             : cJSON_AddNullToObject(root, "pid")) != NULL &&
              (info->port > 0 ? cJSON_AddNumberToObject(root, "port", info->port)
                              : cJSON_AddNullToObject(root, "port")) != NULL &&
              (info->http_port > 0 ? cJSON_AddNumberToObject(root, "httpPort", info->http_port)
                                   : cJSON_AddNullToObject(root, "httpPort")) != NULL &&
              (info->service_pid > 0
                   ? cJSON_AddNumberToObject(root, "servicePid", (double)info->service_pid)
                   : cJSON_AddNullToObject(root, "servicePid")) != NULL &&
              cJSON_AddStringToObject(root, "host", "127.0.0.1") != NULL &&
              cJSON_AddStringToObject(root, "hubName", info->hub_name) != NULL &&
              cJSON_AddStringToObject(root, "hubHostname", info->hub_hostname) != NULL &&
              cJSON_AddStringToObject(root, "caCertificate", info->ca_path) != NULL &&
              cJSON_AddStringToObject(root, "tenantCaCertificate", info->tenant_ca_path) != NULL &&
              cJSON_AddStringToObject(root, "stateDir", info->state_dir) != NULL &&
              cJSON_AddStringToObject(root, "database", info->db_path) != NULL &&
              cJSON_AddStringToObject(root, "log", info->log_path) != NULL &&
              cJSON_AddStringToObject(root, "config", info->config_path) != NULL;
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int lock_state_dir(const char *state_dir, char *err, size_t err_size) {
    char path[PATH_MAX];
    if (!join(path, sizeof path, state_dir, "hub.lock")) {
        set_err(err, err_size, "hub state directory path %s is too long", state_dir);
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0 || flock(fd, LOCK_EX) != 0) {
        set_err(err, err_size, "cannot lock %s: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    return fd;
}

// Binds 127.0.0.1:port (0 = any) with SO_REUSEADDR, as mosquitto will, and returns the port that
// was bound, or -1 if it is taken. A port in TIME_WAIT counts as free, as it does for mosquitto.
static int probe_port(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int result = -1;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0) {
        result = ntohs(addr.sin_port);
    }
    close(fd);
    return result;
}

static enum hub_broker_result write_config(const struct hub_broker_info *info,
                                           const struct hub_broker_launch *launch, bool verbose,
                                           char *err, size_t err_size) {
    const struct passwd *pw = getpwuid(geteuid());
    const char *paths[] = {info->state_dir, launch->plugin, launch->pki_dir, info->tenant_ca_path,
                           pw != NULL ? pw->pw_name : ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        if (!conf_safe(paths[i])) {
            set_err(err, err_size,
                    "'%s' cannot be written into mosquitto.conf (spaces or "
                    "control characters)",
                    paths[i]);
            return HUB_BROKER_ERR_INVALID;
        }
    }
    char text[8192];
    // The broker drops root privileges to `user`; naming the invoking user keeps the state
    // directory readable. QoS 2 and oversized packets close the connection, as on IoT Hub.
    int n = snprintf(text, sizeof text,
                     "# Generated by 'spheresim hub start' on every start; edits are overwritten.\n"
                     "per_listener_settings false\n"
                     "allow_anonymous false\n"
                     "allow_zero_length_clientid false\n"
                     "persistence false\n"
                     "retain_available true\n"
                     "max_packet_size %d\n"
                     "set_tcp_nodelay true\n"
                     "user %s\n"
                     "log_dest file %s\n"
                     "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n%s"
                     "log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S\n"
                     "connection_messages true\n"
                     "plugin %s\n"
                     "plugin_opt_state_dir %s\n"
                     "plugin_opt_hub_hostname %s\n"
                     "listener %d 127.0.0.1\n"
                     "certfile %s/" HUB_PKI_SERVER_CERT
                     "\n"
                     "keyfile %s/" HUB_PKI_SERVER_KEY
                     "\n"
                     "cafile %s\n"
                     "require_certificate false\n"
                     "max_qos 1\n",
                     MAX_PACKET_BYTES, pw != NULL ? pw->pw_name : "root", info->log_path,
                     verbose ? "log_type debug\nlog_type subscribe\nlog_type unsubscribe\n" : "",
                     launch->plugin, info->state_dir, info->hub_hostname, info->port,
                     launch->pki_dir, launch->pki_dir, info->tenant_ca_path);
    if (n < 0 || (size_t)n >= sizeof text) {
        set_err(err, err_size, "mosquitto.conf does not fit");
        return HUB_BROKER_ERR_INVALID;
    }
    if (sim_fs_write_atomic(info->config_path, text, (size_t)n, 0600, NULL, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    return HUB_BROKER_OK;
}

static enum hub_broker_result write_state(const struct hub_broker_info *info, char *err,
                                          size_t err_size) {
    char path[PATH_MAX];
    char pid_text[32];
    int n = snprintf(pid_text, sizeof pid_text, "%ld\n", info->pid);
    if (!join(path, sizeof path, info->state_dir, "broker.pid") ||
        sim_fs_write_atomic(path, pid_text, (size_t)n, 0644, NULL, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    cJSON *json = hub_broker_info_to_json(info);
    char *text = json != NULL ? cJSON_Print(json) : NULL;
    cJSON_Delete(json);
    enum hub_broker_result result = HUB_BROKER_OK;
    if (text == NULL) {
        set_err(err, err_size, "out of memory");
        return HUB_BROKER_ERR_IO;
    }
    if (!join(path, sizeof path, info->state_dir, "hub.json") ||
        sim_fs_write_atomic(path, text, strlen(text), 0644, NULL, err, err_size) != 0) {
        result = HUB_BROKER_ERR_IO;
    }
    cJSON_free(text);
    return result;
}

// Everything before the first spawn: directories, CA files, database schema, executables.
static enum hub_broker_result prepare(const struct hub_broker_options *options,
                                      struct hub_broker_info *info,
                                      struct hub_broker_launch *launch, char *err,
                                      size_t err_size) {
    const char *names[HUB_PKI_MAX_NAMES] = {"localhost", "127.0.0.1", info->hub_hostname,
                                            HUB_BROKER_DPS_HOST};
    size_t count = 4;
    for (size_t i = 0; i < options->extra_name_count && count < HUB_PKI_MAX_NAMES; i++) {
        names[count++] = options->extra_names[i];
    }
    if (!join(launch->pki_dir, sizeof launch->pki_dir, info->state_dir, "pki") ||
        snprintf(launch->tenant_dir, sizeof launch->tenant_dir, "%s", options->tenant_dir) < 0) {
        set_err(err, err_size, "hub state directory path is too long");
        return HUB_BROKER_ERR_INVALID;
    }
    if (sim_tenant_ca_ensure(options->tenant_dir, err, err_size) != SIM_IDENTITY_OK) {
        return HUB_BROKER_ERR_START;
    }
    if (hub_pki_ensure(launch->pki_dir, names, count, NULL, err, err_size) != HUB_PKI_OK ||
        hub_pki_ensure_untrusted(launch->pki_dir, err, err_size) != HUB_PKI_OK) {
        return HUB_BROKER_ERR_START;
    }
    struct hub_store *store = NULL;
    if (hub_store_open(info->db_path, &store, err, err_size) != HUB_STORE_OK) {
        return HUB_BROKER_ERR_IO;
    }
    hub_store_close(store);
    enum hub_broker_result token = hub_service_token_ensure(info->state_dir, err, err_size);
    if (token != HUB_BROKER_OK) {
        return token;
    }
    return hub_broker_find_programs(launch, err, err_size);
}

static enum hub_broker_result launch_broker(const struct hub_broker_options *options,
                                            struct hub_broker_info *info,
                                            const struct hub_broker_launch *launch, char *err,
                                            size_t err_size) {
    int previous_port = info->port;
    // An explicit port is used as is; otherwise the previous one keeps existing device
    // configurations working, and a fresh one is the fallback, retried once if it is taken in
    // the moment between choosing it and the broker binding it.
    for (int attempt = 0; attempt < 2; attempt++) {
        int wanted = options->port > 0 ? options->port : attempt == 0 ? previous_port : 0;
        int port = probe_port(wanted);
        if (port < 0 && options->port == 0) {
            port = probe_port(0);
        }
        if (port < 0) {
            set_err(err, err_size, "port %d on 127.0.0.1 is in use", wanted);
            return HUB_BROKER_ERR_START;
        }
        info->port = port;
        enum hub_broker_result result =
            write_config(info, launch, options->verbose_log, err, err_size);
        if (result != HUB_BROKER_OK) {
            return result;
        }
        struct stat st;
        off_t log_offset = stat(info->log_path, &st) == 0 ? st.st_size : 0;
        pid_t pid = hub_broker_spawn(info, launch, err, err_size);
        if (pid < 0) {
            return HUB_BROKER_ERR_START;
        }
        int ready = hub_broker_wait_ready(pid, port);
        if (ready == 1) {
            info->pid = pid;
            info->running = true;
            return HUB_BROKER_OK;
        }
        if (ready < 0) {
            hub_broker_kill_wait(pid);
        }
        char tail[1024];
        hub_broker_log_tail(info->log_path, log_offset, tail, sizeof tail);
        bool port_race = strstr(tail, "in use") != NULL && options->port == 0;
        if (!port_race || attempt == 1) {
            set_err(err, err_size, "mosquitto did not start%s: %s", ready < 0 ? " within 10 s" : "",
                    tail[0] != '\0' ? tail : "(no log output)");
            return HUB_BROKER_ERR_START;
        }
        previous_port = 0;
    }
    return HUB_BROKER_ERR_START;
}

// The HTTP port the last start recorded, when it is free again: scripts keep working across
// restarts. 0 lets the service process pick one.
static int previous_http_port(const char *state_dir) {
    char path[PATH_MAX];
    static char buf[16384];
    size_t len = 0;
    if (!join(path, sizeof path, state_dir, "hub.json") ||
        sim_fs_read_file(path, buf, sizeof buf - 1, &len, NULL, 0) != 0) {
        return 0;
    }
    buf[len] = '\0';
    cJSON *root = cJSON_Parse(buf);
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "httpPort");
    int wanted = cJSON_IsNumber(port) && port->valuedouble >= 1 && port->valuedouble <= 65535
                     ? (int)port->valuedouble
                     : 0;
    cJSON_Delete(root);
    return wanted > 0 && probe_port(wanted) == wanted ? wanted : 0;
}

enum hub_broker_result hub_broker_start(const struct hub_broker_options *options,
                                        struct hub_broker_info *out_info, bool *out_already_running,
                                        char *err, size_t err_size) {
    *out_already_running = false;
    const char *name = options->hub_name != NULL ? options->hub_name : HUB_BROKER_DEFAULT_NAME;
    if (!valid_hub_name(name)) {
        set_err(err, err_size, "hub name '%s' must be 1-50 of a-z, 0-9 and inner '-'", name);
        return HUB_BROKER_ERR_INVALID;
    }
    if (options->port < 0 || options->port > 65535) {
        set_err(err, err_size, "port %d is not 1-65535", options->port);
        return HUB_BROKER_ERR_INVALID;
    }
    if (sim_fs_make_dirs(options->state_dir, 0700, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    char state_dir[PATH_MAX];
    if (realpath(options->state_dir, state_dir) == NULL) {
        set_err(err, err_size, "%s: %s", options->state_dir, strerror(errno));
        return HUB_BROKER_ERR_IO;
    }
    int lock_fd = lock_state_dir(state_dir, err, err_size);
    if (lock_fd < 0) {
        return HUB_BROKER_ERR_IO;
    }
    struct hub_broker_launch *launch = calloc(1, sizeof *launch);
    enum hub_broker_result result = HUB_BROKER_ERR_IO;
    if (launch == NULL) {
        set_err(err, err_size, "out of memory");
        goto out;
    }
    result = hub_broker_query(state_dir, options->tenant_dir, out_info, err, err_size);
    if (result != HUB_BROKER_OK) {
        goto out;
    }
    *out_already_running = out_info->running;
    if (!out_info->running) {
        // A new start decides the name and trusts the tenant CA it was given, whatever hub.json
        // said last time.
        set_name(out_info, name);
        fill_paths(out_info, state_dir, options->tenant_dir);
        result = prepare(options, out_info, launch, err, err_size);
        if (result == HUB_BROKER_OK) {
            result = launch_broker(options, out_info, launch, err, err_size);
        }
        if (result != HUB_BROKER_OK) {
            goto out;
        }
    }
    // Also when only the service process had died: `hub start` brings back both.
    if (out_info->service_pid == 0) {
        result = hub_service_token_ensure(state_dir, err, err_size);
    }
    if (result == HUB_BROKER_OK && out_info->service_pid == 0) {
        int wanted = previous_http_port(state_dir);
        // The service trusts the untrusted_ca fault's CA too: it reaches the broker directly,
        // not through the middlebox the fault stands for. A hub state from before that file
        // existed has only the hub CA.
        char trust[PATH_MAX];
        if (!join(trust, sizeof trust, state_dir, "pki/" HUB_PKI_SERVICE_TRUST) ||
            access(trust, R_OK) != 0) {
            snprintf(trust, sizeof trust, "%s", out_info->ca_path);
        }
        result =
            hub_service_process_start(state_dir, out_info->port, trust, wanted,
                                      &out_info->service_pid, &out_info->http_port, err, err_size);
    }
    if (result == HUB_BROKER_OK) {
        result = write_state(out_info, err, err_size);
    }
    if (result != HUB_BROKER_OK && !*out_already_running) {
        hub_broker_kill_wait((pid_t)out_info->pid);
        out_info->running = false;
    }
out:
    free(launch);
    close(lock_fd);
    return result;
}

enum hub_broker_result hub_broker_stop(const char *state_dir, char *err, size_t err_size) {
    struct hub_broker_info *info = calloc(1, sizeof *info);
    if (info == NULL) {
        set_err(err, err_size, "out of memory");
        return HUB_BROKER_ERR_IO;
    }
    int lock_fd = -1;
    enum hub_broker_result result = hub_broker_query(state_dir, NULL, info, err, err_size);
    if (result != HUB_BROKER_OK) {
        goto out;
    }
    // Nothing to stop, and no lock file to leave behind in a directory that is not a hub's.
    if (!hub_store_state_exists(state_dir)) {
        set_err(err, err_size, "%s holds no hub", state_dir);
        result = HUB_BROKER_ERR_NOT_RUNNING;
        goto out;
    }
    lock_fd = lock_state_dir(state_dir, err, err_size);
    if (lock_fd < 0) {
        result = HUB_BROKER_ERR_IO;
        goto out;
    }
    // The service first, so it never sees the broker go away and starts reconnecting.
    char service_err[256];
    if (hub_service_process_stop(state_dir, service_err, sizeof service_err) == HUB_BROKER_ERR_IO) {
        set_err(err, err_size, "%s", service_err);
        result = HUB_BROKER_ERR_IO;
        goto out;
    }
    long pid = hub_broker_read_pid(state_dir, "broker.pid");
    char pid_path[PATH_MAX];
    (void)join(pid_path, sizeof pid_path, state_dir, "broker.pid");
    if (!hub_broker_process_alive(pid, info->config_path)) {
        unlink(pid_path);
        set_err(err, err_size, "the hub in %s is not running", state_dir);
        result = HUB_BROKER_ERR_NOT_RUNNING;
        goto out;
    }
    kill((pid_t)pid, SIGTERM);
    if (!hub_broker_wait_gone(pid, info->config_path, STOP_TERM_MS)) {
        kill((pid_t)pid, SIGKILL);
        if (!hub_broker_wait_gone(pid, info->config_path, STOP_KILL_MS)) {
            set_err(err, err_size, "broker %ld did not exit after SIGKILL", pid);
            result = HUB_BROKER_ERR_IO;
            goto out;
        }
    }
    unlink(pid_path);
out:
    if (lock_fd >= 0) {
        close(lock_fd);
    }
    free(info);
    return result;
}

// Points the stopped-to-be broker's configuration at the chosen server certificate. The untrusted
// PKI is made here if this hub was started by a build that did not make it.
static enum hub_broker_result select_server_ca(const char *state_dir,
                                               const struct hub_broker_info *info,
                                               enum hub_broker_server_ca server_ca, char *err,
                                               size_t err_size) {
    char pki_dir[PATH_MAX];
    char untrusted_dir[PATH_MAX];
    if (!join(pki_dir, sizeof pki_dir, state_dir, "pki") ||
        !join(untrusted_dir, sizeof untrusted_dir, pki_dir, HUB_PKI_UNTRUSTED_DIR)) {
        set_err(err, err_size, "hub state directory path is too long");
        return HUB_BROKER_ERR_INVALID;
    }
    const char *server_dir = pki_dir;
    if (server_ca == HUB_BROKER_SERVER_CA_UNTRUSTED) {
        if (hub_pki_ensure_untrusted(pki_dir, err, err_size) != HUB_PKI_OK) {
            return HUB_BROKER_ERR_IO;
        }
        server_dir = untrusted_dir;
    }
    return hub_broker_config_set_server_dir(info->config_path, server_dir, err, err_size);
}

// Restarts the broker as hub_broker_restart says; with server_ca other than KEEP, its listener
// presents that certificate from then on.
static enum hub_broker_result restart(const char *state_dir, bool kill_hard,
                                      enum hub_broker_server_ca server_ca,
                                      struct hub_broker_info *out_info, char *err,
                                      size_t err_size) {
    struct hub_broker_launch *launch = calloc(1, sizeof *launch);
    char canonical[PATH_MAX];
    int lock_fd = -1;
    enum hub_broker_result result = HUB_BROKER_ERR_IO;
    if (launch == NULL) {
        set_err(err, err_size, "out of memory");
        goto out;
    }
    if (!hub_store_state_exists(state_dir) || realpath(state_dir, canonical) == NULL) {
        set_err(err, err_size, "%s holds no hub", state_dir);
        result = HUB_BROKER_ERR_NOT_RUNNING;
        goto out;
    }
    // Under the lock `hub start` and `hub stop` take, so neither sees a broker half restarted.
    lock_fd = lock_state_dir(canonical, err, err_size);
    if (lock_fd < 0) {
        goto out;
    }
    result = hub_broker_query(canonical, NULL, out_info, err, err_size);
    if (result != HUB_BROKER_OK) {
        goto out;
    }
    if (!out_info->running) {
        set_err(err, err_size, "the hub in %s is not running", canonical);
        result = HUB_BROKER_ERR_NOT_RUNNING;
        goto out;
    }
    // Found before the old broker goes, so a missing program leaves the hub as it was.
    result = hub_broker_find_programs(launch, err, err_size);
    if (result != HUB_BROKER_OK) {
        goto out;
    }
    if (server_ca != HUB_BROKER_SERVER_CA_KEEP) {
        result = select_server_ca(canonical, out_info, server_ca, err, err_size);
        if (result != HUB_BROKER_OK) {
            goto out;
        }
    }
    // SIGTERM lets the plugin move the telemetry journal into hub.db; SIGKILL is a crash, after
    // which the new broker replays the journal.
    long old_pid = out_info->pid;
    kill((pid_t)old_pid, kill_hard ? SIGKILL : SIGTERM);
    if (!hub_broker_wait_gone(old_pid, out_info->config_path, STOP_TERM_MS)) {
        kill((pid_t)old_pid, SIGKILL);
        if (!hub_broker_wait_gone(old_pid, out_info->config_path, STOP_KILL_MS)) {
            set_err(err, err_size, "broker %ld did not exit after SIGKILL", old_pid);
            result = HUB_BROKER_ERR_IO;
            goto out;
        }
    }
    out_info->running = false;
    out_info->pid = 0;
    // The same mosquitto.conf, so the same port, certificates and plugin options.
    struct stat st;
    off_t log_offset = stat(out_info->log_path, &st) == 0 ? st.st_size : 0;
    pid_t pid = hub_broker_spawn(out_info, launch, err, err_size);
    if (pid < 0) {
        result = HUB_BROKER_ERR_START;
        goto out;
    }
    int ready = hub_broker_wait_ready(pid, out_info->port);
    if (ready != 1) {
        if (ready < 0) {
            hub_broker_kill_wait(pid);
        }
        char tail[1024];
        hub_broker_log_tail(out_info->log_path, log_offset, tail, sizeof tail);
        set_err(err, err_size, "mosquitto did not start again on port %d%s: %s", out_info->port,
                ready < 0 ? " within 10 s" : "", tail[0] != '\0' ? tail : "(no log output)");
        result = HUB_BROKER_ERR_START;
        goto out;
    }
    out_info->pid = pid;
    out_info->running = true;
    result = write_state(out_info, err, err_size);
out:
    if (lock_fd >= 0) {
        close(lock_fd);
    }
    free(launch);
    return result;
}

enum hub_broker_result hub_broker_restart(const char *state_dir, bool kill_hard,
                                          struct hub_broker_info *out_info, char *err,
                                          size_t err_size) {
    return restart(state_dir, kill_hard, HUB_BROKER_SERVER_CA_KEEP, out_info, err, err_size);
}

enum hub_broker_result hub_broker_set_server_ca(const char *state_dir,
                                                enum hub_broker_server_ca server_ca,
                                                struct hub_broker_info *out_info, char *err,
                                                size_t err_size) {
    if (server_ca != HUB_BROKER_SERVER_CA_TRUSTED && server_ca != HUB_BROKER_SERVER_CA_UNTRUSTED) {
        set_err(err, err_size, "server CA must be trusted or untrusted");
        return HUB_BROKER_ERR_INVALID;
    }
    return restart(state_dir, false, server_ca, out_info, err, err_size);
}
