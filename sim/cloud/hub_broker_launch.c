// SPDX-License-Identifier: MIT
// Launching the hub's mosquitto (see hub_broker_internal.h): finding the programs, starting the
// broker detached with the TLS shim preloaded, waiting for its port, and stopping it. Both `hub
// start` and a broker restart use it; the restart runs inside the multi-threaded HTTP service
// process, so the child's environment is built before fork and the child only execs.

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloud/hub_broker_internal.h"
#include "cloud/hub_daemon.h"

#define LOG_TAIL_BYTES 4096
#define MAX_ENV 4096

extern char **environ;

#ifndef SPHERESIM_HUB_ASAN_RUNTIME
#define SPHERESIM_HUB_ASAN_RUNTIME ""
#endif

void hub_broker_sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool join(char *out, size_t out_size, const char *dir, const char *name) {
    int n = snprintf(out, out_size, "%s/%s", dir, name);
    return n >= 0 && (size_t)n < out_size;
}

// True when something listens on 127.0.0.1:port. Read from /proc/net/tcp rather than by
// connecting, which would leave a failed TLS handshake in the broker log at every start.
static bool port_listening(int port) {
    FILE *f = fopen("/proc/net/tcp", "re");
    if (f == NULL) {
        return false;
    }
    char line[512];
    char want[32];
    snprintf(want, sizeof want, "0100007F:%04X", (unsigned)port);
    bool found = false;
    while (!found && fgets(line, sizeof line, f) != NULL) {
        char local[64];
        char remote[64];
        unsigned state = 0;
        // "  sl  local_address rem_address   st ..." — state 0A is LISTEN.
        if (sscanf(line, " %*d: %63s %63s %x", local, remote, &state) == 3 &&
            strcmp(local, want) == 0 && state == 0x0A) {
            found = true;
        }
    }
    fclose(f);
    return found;
}

// Finds an executable: env override, then PATH, then the sbin directories Debian installs
// daemons in (often missing from a user's PATH).
static bool find_mosquitto(char *out, size_t out_size) {
    const char *override = getenv("SPHERESIM_MOSQUITTO");
    if (override != NULL && override[0] != '\0') {
        snprintf(out, out_size, "%s", override);
        return access(out, X_OK) == 0;
    }
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/local/sbin:/sbin", path != NULL ? path : "");
    char *save = NULL;
    for (char *dir = strtok_r(dirs, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save)) {
        if (dir[0] != '\0' && join(out, out_size, dir, "mosquitto") && access(out, X_OK) == 0) {
            return true;
        }
    }
    return false;
}

static bool find_module(const char *env_name, const char *built_path, char *out, size_t out_size) {
    const char *override = getenv(env_name);
    const char *path = override != NULL && override[0] != '\0' ? override : built_path;
    int n = snprintf(out, out_size, "%s", path);
    return n >= 0 && (size_t)n < out_size && access(out, R_OK) == 0;
}

enum hub_broker_result hub_broker_find_programs(struct hub_broker_launch *launch, char *err,
                                                size_t err_size) {
    if (!find_mosquitto(launch->mosquitto, sizeof launch->mosquitto)) {
        snprintf(err, err_size, "mosquitto not found in PATH or /usr/sbin (apt install mosquitto)");
        return HUB_BROKER_ERR_START;
    }
    if (!find_module("SPHERESIM_HUB_PLUGIN", SPHERESIM_HUB_PLUGIN_PATH, launch->plugin,
                     sizeof launch->plugin)) {
        snprintf(err, err_size,
                 "hub plugin %s not found (build target spheresim_hub, or set "
                 "SPHERESIM_HUB_PLUGIN)",
                 launch->plugin);
        return HUB_BROKER_ERR_START;
    }
    // LD_PRELOAD separates its entries with spaces and colons.
    if (!find_module("SPHERESIM_HUB_TLS_PRELOAD", SPHERESIM_HUB_TLS_PRELOAD_PATH, launch->preload,
                     sizeof launch->preload) ||
        strpbrk(launch->preload, " :") != NULL) {
        snprintf(err, err_size,
                 "TLS preload %s not found or unusable (build target "
                 "spheresim_hub_tls, or set SPHERESIM_HUB_TLS_PRELOAD)",
                 launch->preload);
        return HUB_BROKER_ERR_START;
    }
    return HUB_BROKER_OK;
}

// Joins prefix, the caller's value of name (if any) and suffix with sep into "name=...";
// empty parts are left out. NULL when out of memory.
static char *env_entry(const char *name, const char *prefix, const char *suffix, char sep) {
    const char *parts[] = {prefix, getenv(name), suffix};
    size_t len = strlen(name) + 2;
    for (size_t i = 0; i < 3; i++) {
        len += parts[i] != NULL ? strlen(parts[i]) + 1 : 0;
    }
    char *entry = malloc(len);
    if (entry == NULL) {
        return NULL;
    }
    size_t used = (size_t)snprintf(entry, len, "%s=", name);
    for (size_t i = 0; i < 3; i++) {
        if (parts[i] != NULL && parts[i][0] != '\0') {
            bool first = entry[used - 1] == '=';
            used += (size_t)snprintf(entry + used, len - used, "%s%s",
                                     first ? "" : (char[]){sep, 0}, parts[i]);
        }
    }
    return entry;
}

// The broker's environment: this process's, with LD_PRELOAD holding the sanitizer runtime when
// this build is instrumented (it must load first), whatever the caller preloads, then the TLS
// shim; instrumented builds also add the sanitizer options the broker needs. Returns a
// NULL-terminated array whose entries from *out_owned_from on are malloc'd; NULL when out of
// memory.
static char **broker_environment(const struct hub_broker_launch *launch, size_t *out_owned_from) {
#ifdef SPHERESIM_HUB_LSAN_SUPPRESSIONS
    static const char *const replaced[] = {"LD_PRELOAD=", "LSAN_OPTIONS=", "ASAN_OPTIONS="};
#else
    static const char *const replaced[] = {"LD_PRELOAD="};
#endif
    const size_t replaced_count = sizeof replaced / sizeof replaced[0];
    size_t count = 0;
    while (environ[count] != NULL && count < MAX_ENV) {
        count++;
    }
    char **env = calloc(count + replaced_count + 1, sizeof *env);
    if (env == NULL) {
        return NULL;
    }
    size_t n = 0;
    for (size_t i = 0; i < count; i++) {
        bool keep = true;
        for (size_t r = 0; r < replaced_count; r++) {
            keep = keep && strncmp(environ[i], replaced[r], strlen(replaced[r])) != 0;
        }
        if (keep) {
            env[n++] = environ[i];
        }
    }
    *out_owned_from = n;
    bool ok = (env[n++] = env_entry("LD_PRELOAD", SPHERESIM_HUB_ASAN_RUNTIME, launch->preload,
                                    ' ')) != NULL;
#ifdef SPHERESIM_HUB_LSAN_SUPPRESSIONS
    // Instrumented builds: leaks of the broker itself (listed in the file) must not fail the
    // plugin's tests; telling them apart takes full stacks through the uninstrumented broker.
    ok = ok && (env[n++] = env_entry("LSAN_OPTIONS", NULL,
                                     "suppressions=" SPHERESIM_HUB_LSAN_SUPPRESSIONS, ':')) != NULL;
    ok = ok && (env[n++] = env_entry("ASAN_OPTIONS", NULL, "fast_unwind_on_malloc=0", ':')) != NULL;
#endif
    if (!ok) {
        for (size_t i = *out_owned_from; i < n; i++) {
            free(env[i]);
        }
        free(env);
        return NULL;
    }
    return env;
}

pid_t hub_broker_spawn(const struct hub_broker_info *info, const struct hub_broker_launch *launch,
                       char *err, size_t err_size) {
    size_t owned_from = 0;
    char **env = broker_environment(launch, &owned_from);
    if (env == NULL) {
        snprintf(err, err_size, "out of memory");
        return -1;
    }
    pid_t pid = hub_daemon_fork(info->log_path, err, err_size);
    if (pid == 0) {
        char *const argv[] = {"mosquitto", "-c", (char *)info->config_path, NULL};
        execve(launch->mosquitto, argv, env);
        static const char failed[] = "spheresim: cannot run mosquitto\n";
        ssize_t ignored = write(STDERR_FILENO, failed, sizeof failed - 1);
        (void)ignored;
        _exit(127);
    }
    for (size_t i = owned_from; env[i] != NULL; i++) {
        free(env[i]);
    }
    free(env);
    return pid;
}

int hub_broker_wait_ready(pid_t pid, int port) {
    for (long waited = 0; waited < HUB_BROKER_READY_TIMEOUT_MS; waited += HUB_BROKER_POLL_MS) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            return 0;
        }
        if (port_listening(port)) {
            // Another program on the port would accept too; make sure ours did not die binding.
            hub_broker_sleep_ms(HUB_BROKER_POLL_MS);
            return waitpid(pid, &status, WNOHANG) == pid ? 0 : 1;
        }
        hub_broker_sleep_ms(HUB_BROKER_POLL_MS);
    }
    return -1;
}

// The last lines the broker wrote since offset, joined with " | ", for a one-line error.
void hub_broker_log_tail(const char *log_path, off_t offset, char *out, size_t out_size) {
    out[0] = '\0';
    int fd = open(log_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return;
    }
    struct stat st;
    char buf[LOG_TAIL_BYTES + 1];
    ssize_t len = 0;
    if (fstat(fd, &st) == 0 && st.st_size > offset) {
        off_t start = st.st_size - offset > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : offset;
        len = pread(fd, buf, LOG_TAIL_BYTES, start);
    }
    close(fd);
    if (len <= 0) {
        return;
    }
    buf[len] = '\0';
    // Keep the last three non-empty lines.
    const char *lines[3] = {NULL, NULL, NULL};
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        lines[0] = lines[1];
        lines[1] = lines[2];
        lines[2] = line;
    }
    size_t used = 0;
    for (int i = 0; i < 3; i++) {
        if (lines[i] == NULL || used >= out_size) {
            continue;
        }
        int n = snprintf(out + used, out_size - used, "%s%s", used > 0 ? " | " : "", lines[i]);
        if (n < 0) {
            break;
        }
        used += (size_t)n;
    }
}

void hub_broker_kill_wait(pid_t pid) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

bool hub_broker_wait_gone(long pid, const char *config_path, long timeout_ms) {
    for (long waited = 0; waited < timeout_ms; waited += HUB_BROKER_POLL_MS) {
        waitpid((pid_t)pid, NULL, WNOHANG);  // reaps it if this process happens to be the parent
        if (!hub_broker_process_alive(pid, config_path)) {
            return true;
        }
        hub_broker_sleep_ms(HUB_BROKER_POLL_MS);
    }
    return !hub_broker_process_alive(pid, config_path);
}
