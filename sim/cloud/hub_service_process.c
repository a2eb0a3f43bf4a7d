// SPDX-License-Identifier: MIT
// Running the hub's HTTP service process (see hub_service_process.h). The readiness check is a
// plain HTTP/1.0 GET over a loopback socket: the one request and its status line are all this
// needs, and it keeps libcurl out of the broker-management code.

#include "cloud/hub_service_process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/rand.h>

#include "cloud/hub_broker_internal.h"
#include "cloud/hub_daemon.h"
#include "cloud/hub_service_protocol.h"
#include "os/fs_util.h"

#define TOKEN_BYTES 32
#define READY_TIMEOUT_MS 10000
#define HEALTH_IO_MS 1000
#define STOP_TERM_MS 5000
#define STOP_KILL_MS 2000
#define POLL_MS 50

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

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool is_token(const char *text, size_t len) {
    if (len != 2 * TOKEN_BYTES) {
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

enum hub_broker_result hub_service_token_ensure(const char *state_dir, char *err, size_t err_size) {
    char path[PATH_MAX];
    if (!join(path, sizeof path, state_dir, SPHERESIM_SERVICE_TOKEN_FILE)) {
        set_err(err, err_size, "hub state directory path %s is too long", state_dir);
        return HUB_BROKER_ERR_INVALID;
    }
    char text[2 * TOKEN_BYTES + 2];
    size_t len = 0;
    if (sim_fs_read_file(path, text, sizeof text, &len, NULL, 0) == 0 && is_token(text, len)) {
        // Someone may have loosened the mode; the token is a credential.
        if (chmod(path, 0600) != 0) {
            set_err(err, err_size, "cannot make %s private: %s", path, strerror(errno));
            return HUB_BROKER_ERR_IO;
        }
        return HUB_BROKER_OK;
    }
    unsigned char bytes[TOKEN_BYTES];
    if (RAND_bytes(bytes, sizeof bytes) != 1) {
        set_err(err, err_size, "no random numbers for the service token");
        return HUB_BROKER_ERR_IO;
    }
    for (size_t i = 0; i < TOKEN_BYTES; i++) {
        snprintf(text + 2 * i, 3, "%02x", bytes[i]);
    }
    if (sim_fs_write_atomic(path, text, 2 * TOKEN_BYTES, 0600, NULL, err, err_size) != 0) {
        return HUB_BROKER_ERR_IO;
    }
    return HUB_BROKER_OK;
}

// True when pid is a `hub serve` for state_dir.
static bool service_alive(long pid, const char *state_dir) {
    return hub_broker_process_alive(pid, " serve ") && hub_broker_process_alive(pid, state_dir);
}

static int read_http_port(const char *state_dir) {
    char path[PATH_MAX];
    char text[256];
    size_t len = 0;
    if (!join(path, sizeof path, state_dir, "service.json") ||
        sim_fs_read_file(path, text, sizeof text - 1, &len, NULL, 0) != 0) {
        return 0;
    }
    text[len] = '\0';
    cJSON *doc = cJSON_Parse(text);
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(doc, "httpPort");
    int result = cJSON_IsNumber(port) && port->valuedouble >= 1 && port->valuedouble <= 65535
                     ? (int)port->valuedouble
                     : 0;
    cJSON_Delete(doc);
    return result;
}

void hub_service_process_query(const char *state_dir, long *out_pid, int *out_http_port) {
    long pid = hub_broker_read_pid(state_dir, "service.pid");
    bool alive = service_alive(pid, state_dir);
    *out_pid = alive ? pid : 0;
    *out_http_port = alive ? read_http_port(state_dir) : 0;
}

// Waits until fd is ready for events or ms pass.
static bool wait_fd(int fd, short events, int ms) {
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, ms) == 1 && (p.revents & events) != 0;
}

// One GET /spheresim/health; true when it answers 200.
static bool health_ok(int port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return false;
    }
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port),
                               .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = false;
    static const char request[] = "GET /spheresim/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    char reply[64];
    ssize_t got = 0;
    if ((connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 || errno == EINPROGRESS) &&
        wait_fd(fd, POLLOUT, HEALTH_IO_MS) &&
        send(fd, request, sizeof request - 1, MSG_NOSIGNAL) == (ssize_t)(sizeof request - 1)) {
        while ((size_t)got < sizeof reply - 1 && wait_fd(fd, POLLIN, HEALTH_IO_MS)) {
            ssize_t n = recv(fd, reply + got, sizeof reply - 1 - (size_t)got, 0);
            if (n <= 0) {
                break;
            }
            got += n;
        }
        reply[got] = '\0';
        ok = strncmp(reply, "HTTP/1.", 7) == 0 && strncmp(reply + 8, " 200", 4) == 0;
    }
    close(fd);
    return ok;
}

static pid_t spawn(const char *state_dir, int mqtt_port, const char *ca_file, int http_port,
                   char *err, size_t err_size) {
    char exe[PATH_MAX];
    char log_path[PATH_MAX];
    char mqtt[16];
    char http[16];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0 || !join(log_path, sizeof log_path, state_dir, HUB_SERVICE_LOG)) {
        set_err(err, err_size, "cannot find the spheresim executable: %s", strerror(errno));
        return -1;
    }
    exe[n] = '\0';
    snprintf(mqtt, sizeof mqtt, "%d", mqtt_port);
    snprintf(http, sizeof http, "%d", http_port);
    pid_t pid = hub_daemon_fork(log_path, err, err_size);
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        // The argument order is what service_alive recognises the process by.
        char *const argv[] = {
            "spheresim", "hub",         "serve", "--state-dir", (char *)state_dir, "--http-port",
            http,        "--mqtt-port", mqtt,    "--ca-file",   (char *)ca_file,   NULL,
        };
        execv(exe, argv);
        dprintf(STDERR_FILENO, "spheresim: cannot run %s: %s\n", exe, strerror(errno));
        _exit(127);
    }
    return pid;
}

// The last line of service.log, for an error message; a line longer than out is cut to fit.
static void log_tail(const char *state_dir, char *out, size_t out_size) {
    char path[PATH_MAX];
    char buf[2048];
    size_t len = 0;
    if (out_size == 0) {
        return;
    }
    out[0] = '\0';
    if (!join(path, sizeof path, state_dir, HUB_SERVICE_LOG)) {
        return;
    }
    FILE *f = fopen(path, "re");
    if (f == NULL) {
        return;
    }
    if (fseek(f, -(long)(sizeof buf - 1), SEEK_END) != 0) {
        rewind(f);
    }
    len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    while (len > 0 && buf[len - 1] == '\n') {
        len--;
    }
    buf[len] = '\0';
    const char *last = strrchr(buf, '\n');
    const char *line = last != NULL ? last + 1 : buf;
    size_t line_len = strlen(line);
    if (line_len >= out_size) {
        line_len = out_size - 1;  // the start of a long line says what went wrong
    }
    memcpy(out, line, line_len);
    out[line_len] = '\0';
}

enum hub_broker_result hub_service_process_start(const char *state_dir, int mqtt_port,
                                                 const char *ca_file, int http_port, long *out_pid,
                                                 int *out_http_port, char *err, size_t err_size) {
    hub_service_process_query(state_dir, out_pid, out_http_port);
    if (*out_pid != 0 && *out_http_port != 0) {
        return HUB_BROKER_OK;
    }
    char path[PATH_MAX];
    if (join(path, sizeof path, state_dir, "service.json")) {
        unlink(path);  // stale: the port is only known once the new process writes it
    }
    pid_t pid = spawn(state_dir, mqtt_port, ca_file, http_port, err, err_size);
    if (pid < 0) {
        return HUB_BROKER_ERR_START;
    }
    for (long waited = 0; waited < READY_TIMEOUT_MS; waited += POLL_MS) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            char tail[512];
            log_tail(state_dir, tail, sizeof tail);
            set_err(err, err_size, "the hub's service process exited: %s",
                    tail[0] != '\0' ? tail : "(no output)");
            return HUB_BROKER_ERR_START;
        }
        int port = read_http_port(state_dir);
        if (port > 0 && health_ok(port)) {
            *out_pid = pid;
            *out_http_port = port;
            return HUB_BROKER_OK;
        }
        sleep_ms(POLL_MS);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    char tail[512];
    log_tail(state_dir, tail, sizeof tail);
    set_err(err, err_size, "the hub's service process did not answer within %d s: %s",
            READY_TIMEOUT_MS / 1000, tail[0] != '\0' ? tail : "(no output)");
    return HUB_BROKER_ERR_START;
}

static bool wait_gone(long pid, const char *state_dir, long timeout_ms) {
    for (long waited = 0; waited < timeout_ms; waited += POLL_MS) {
        waitpid((pid_t)pid, NULL, WNOHANG);  // reaps it if this process happens to be the parent
        if (!service_alive(pid, state_dir)) {
            return true;
        }
        sleep_ms(POLL_MS);
    }
    return !service_alive(pid, state_dir);
}

enum hub_broker_result hub_service_process_stop(const char *state_dir, char *err, size_t err_size) {
    long pid = hub_broker_read_pid(state_dir, "service.pid");
    if (!service_alive(pid, state_dir)) {
        set_err(err, err_size, "no service process runs for %s", state_dir);
        return HUB_BROKER_ERR_NOT_RUNNING;
    }
    kill((pid_t)pid, SIGTERM);
    if (!wait_gone(pid, state_dir, STOP_TERM_MS)) {
        kill((pid_t)pid, SIGKILL);
        if (!wait_gone(pid, state_dir, STOP_KILL_MS)) {
            set_err(err, err_size, "service process %ld did not exit after SIGKILL", pid);
            return HUB_BROKER_ERR_IO;
        }
    }
    // A killed service leaves these behind; a stale port would send CLI calls nowhere.
    const char *files[] = {"service.pid", "service.json"};
    for (size_t i = 0; i < 2; i++) {
        char path[PATH_MAX];
        if (join(path, sizeof path, state_dir, files[i])) {
            unlink(path);
        }
    }
    return HUB_BROKER_OK;
}
