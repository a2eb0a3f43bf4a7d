// SPDX-License-Identifier: MIT
// Running, finding, starting and stopping the update service; see update_service.h.
#include "update/update_service.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cloud/hub_daemon.h"
#include "cloud/hub_pki.h"
#include "image/image_format.h"
#include "os/fs_util.h"
#include "os/identity.h"
#include "update/update_api.h"
#include "update/update_client.h"
#include "update/update_server.h"
#include "update/update_store.h"
#include "os/format_text.h"

#define PEM_MAX (64 * 1024)
#define START_TIMEOUT_MS 10000
#define STOP_TERM_MS 5000
#define POLL_MS 50

static int join(char *out, size_t out_size, const char *dir, const char *name) {
    return sim_format(out, out_size, "%s/%s", dir, name);
}

static void sleep_ms(long ms) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static bool alive(int pid) {
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

// Creates the administrator's token once; racing creators settle on one.
static int ensure_token(const char *state_dir, char *out, char *err, size_t err_size) {
    char path[PATH_MAX];
    if (join(path, sizeof(path), state_dir, "admin.token") != 0) {
        snprintf(err, err_size, "%s: path too long", state_dir);
        return -1;
    }
    unsigned char bytes[UPDATE_API_TOKEN_LEN / 2];
    char hex[UPDATE_API_TOKEN_LEN + 2];
    if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
        snprintf(err, err_size, "cannot make a random token");
        return -1;
    }
    sim_image_hex(bytes, sizeof(bytes), hex);
    bool existed = false;
    if (sim_fs_write_atomic(path, hex, UPDATE_API_TOKEN_LEN, 0600, &existed, err, err_size) != 0) {
        return -1;
    }
    size_t len = 0;
    if (sim_fs_read_file(path, out, UPDATE_API_TOKEN_LEN, &len, err, err_size) != 0 ||
        len != UPDATE_API_TOKEN_LEN) {
        (void)sim_format(err, err_size, "%s: not a token of %d characters", path,
                         UPDATE_API_TOKEN_LEN);
        return -1;
    }
    out[len] = '\0';
    chmod(path, 0600);
    return 0;
}

static char *read_pem(const char *path, char *err, size_t err_size) {
    char *text = malloc(PEM_MAX + 1);
    size_t len = 0;
    if (text == NULL || sim_fs_read_file(path, text, PEM_MAX, &len, err, err_size) != 0) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int write_service_json(const char *state_dir, int port, const char *ca, char *err,
                              size_t err_size) {
    char path[PATH_MAX];
    join(path, sizeof(path), state_dir, "service.json");
    cJSON *root = cJSON_CreateObject();
    char url[64];
    snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
    cJSON_AddNumberToObject(root, "pid", getpid());
    cJSON_AddNumberToObject(root, "port", port);
    cJSON_AddStringToObject(root, "url", url);
    cJSON_AddStringToObject(root, "ca", ca);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    int rc = text != NULL ? sim_fs_write_atomic(path, text, strlen(text), 0644, NULL, err, err_size)
                          : -1;
    free(text);
    return rc;
}

int update_service_serve(const char *state_dir, const char *tenant_dir, int port) {
    static struct update_store store;
    static struct update_service service;
    char err[2048];
    char path[PATH_MAX];
    char pki[PATH_MAX];
    char ca_path[PATH_MAX];
    char upload_dir[PATH_MAX];
    char *key = NULL;
    char *cert = NULL;
    char *trust = NULL;
    struct update_server *server = NULL;
    int status = 1;
    if (sim_fs_make_dirs(state_dir, 0700, err, sizeof(err)) != 0 ||
        join(path, sizeof(path), state_dir, "service.lock") != 0 ||
        join(pki, sizeof(pki), state_dir, "pki") != 0 ||
        join(ca_path, sizeof(ca_path), pki, HUB_PKI_CA_CERT) != 0 ||
        join(upload_dir, sizeof(upload_dir), state_dir, "packages") != 0) {
        fprintf(stderr, "spheresim: update service: %s\n", err);
        return 1;
    }
    int lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (lock_fd < 0 || flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        fprintf(stderr, "spheresim: update service: one already runs for %s\n", state_dir);
        if (lock_fd >= 0) {
            close(lock_fd);
        }
        return 1;
    }
    const char *const names[] = {"127.0.0.1", "localhost"};
    char server_key[PATH_MAX];
    char server_cert[PATH_MAX];
    char tenant_ca[PATH_MAX];
    join(server_key, sizeof(server_key), pki, HUB_PKI_SERVER_KEY);
    join(server_cert, sizeof(server_cert), pki, HUB_PKI_SERVER_CERT);
    join(tenant_ca, sizeof(tenant_ca), tenant_dir, "ca.pem");
    if (ensure_token(state_dir, service.token, err, sizeof(err)) != 0 ||
        hub_pki_ensure(pki, names, 2, NULL, err, sizeof(err)) != HUB_PKI_OK ||
        sim_tenant_ca_ensure(tenant_dir, err, sizeof(err)) != SIM_IDENTITY_OK ||
        (key = read_pem(server_key, err, sizeof(err))) == NULL ||
        (cert = read_pem(server_cert, err, sizeof(err))) == NULL ||
        (trust = read_pem(tenant_ca, err, sizeof(err))) == NULL ||
        update_store_open(&store, state_dir, err, sizeof(err)) != UPDATE_STORE_OK) {
        fprintf(stderr, "spheresim: update service: %s\n", err);
        goto out;
    }
    service.store = &store;
    // SIGTERM and SIGINT end the service; the server's thread must not take them.
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct update_server_options options = {.port = port,
                                            .key_pem = key,
                                            .cert_pem = cert,
                                            .trust_pem = trust,
                                            .upload_dir = upload_dir,
                                            .service = &service};
    if (update_server_start(&options, &server, err, sizeof(err)) != 0 ||
        write_service_json(state_dir, update_server_port(server), ca_path, err, sizeof(err)) != 0) {
        fprintf(stderr, "spheresim: update service: %s\n", err);
        goto out;
    }
    fprintf(stderr, "spheresim: update service for %s on https://127.0.0.1:%d (pid %d)\n",
            state_dir, update_server_port(server), (int)getpid());
    int sig = 0;
    sigwait(&stop, &sig);
    fprintf(stderr, "spheresim: update service stopping (signal %d)\n", sig);
    status = 0;
out:
    update_server_stop(server);
    if (server != NULL && join(path, sizeof(path), state_dir, "service.json") == 0) {
        unlink(path);
    }
    free(key);
    free(cert);
    free(trust);
    close(lock_fd);
    return status;
}

static int read_info(const char *state_dir, struct update_service_info *out, char *err,
                     size_t err_size) {
    memset(out, 0, sizeof(*out));
    char path[PATH_MAX];
    char text[4096];
    size_t len = 0;
    if (join(path, sizeof(path), state_dir, "service.json") != 0) {
        snprintf(err, err_size, "%s: path too long", state_dir);
        return -1;
    }
    if (sim_fs_read_file(path, text, sizeof(text), &len, err, err_size) != 0) {
        return errno == ENOENT ? 0 : -1;
    }
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(root, "pid");
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(root, "port");
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(root, "url");
    const cJSON *ca = cJSON_GetObjectItemCaseSensitive(root, "ca");
    bool ok = cJSON_IsNumber(pid) && cJSON_IsNumber(port) && cJSON_IsString(url) &&
              cJSON_IsString(ca) && pid->valuedouble > 0 && pid->valuedouble < 1e9 &&
              strlen(url->valuestring) < sizeof(out->url) &&
              strlen(ca->valuestring) < sizeof(out->ca);
    if (ok) {
        out->pid = (int)pid->valuedouble;
        out->port = (int)port->valuedouble;
        snprintf(out->url, sizeof(out->url), "%s", url->valuestring);
        snprintf(out->ca, sizeof(out->ca), "%s", ca->valuestring);
    } else {
        snprintf(err, err_size, "%s: \"pid\", \"port\", \"url\" and \"ca\" are required", path);
    }
    cJSON_Delete(root);
    return ok ? 0 : -1;
}

static bool answers(const char *state_dir) {
    struct update_client client;
    char err[512];
    long status = 0;
    char *reply = NULL;
    if (update_client_open(state_dir, &client, err, sizeof(err)) != 0) {
        return false;
    }
    client.token[0] = '\0';
    bool ok = update_client_call(&client, "GET", "/update/v1/health", NULL, 0, NULL, &status,
                                 &reply, NULL, err, sizeof(err)) == 0 &&
              status == 204;
    free(reply);
    return ok;
}

int update_service_query(const char *state_dir, struct update_service_info *out, char *err,
                         size_t err_size) {
    if (read_info(state_dir, out, err, err_size) != 0) {
        return -1;
    }
    out->running = alive(out->pid) && answers(state_dir);
    return 0;
}

int update_service_start(const char *exe, const char *state_dir, const char *tenant_dir, int port,
                         struct update_service_info *out, bool *out_already, char *err,
                         size_t err_size) {
    *out_already = false;
    if (sim_fs_make_dirs(state_dir, 0700, err, err_size) != 0 ||
        update_service_query(state_dir, out, err, err_size) != 0) {
        return -1;
    }
    if (out->running) {
        *out_already = true;
        return 0;
    }
    char log_path[PATH_MAX];
    char port_text[16];
    if (join(log_path, sizeof(log_path), state_dir, "service.log") != 0) {
        snprintf(err, err_size, "%s: path too long", state_dir);
        return -1;
    }
    snprintf(port_text, sizeof(port_text), "%d", port);
    pid_t pid = hub_daemon_fork(log_path, err, err_size);
    if (pid < 0) {
        return -1;
    }
    if (pid == 0) {
        execl(exe, "spheresim", "deploy", "--serve", "--state-dir", state_dir, "--tenant-dir",
              tenant_dir, "--port", port_text, (char *)NULL);
        _exit(127);
    }
    for (int waited = 0; waited < START_TIMEOUT_MS; waited += POLL_MS) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            snprintf(err, err_size, "the update service exited at start (see %s)", log_path);
            return -1;
        }
        struct update_service_info info;
        char ignored[256];
        if (read_info(state_dir, &info, ignored, sizeof(ignored)) == 0 && info.pid == pid &&
            answers(state_dir)) {
            *out = info;
            out->running = true;
            return 0;
        }
        sleep_ms(POLL_MS);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    snprintf(err, err_size, "the update service did not answer within %d s (see %s)",
             START_TIMEOUT_MS / 1000, log_path);
    return -1;
}

int update_service_stop(const char *state_dir, bool *out_was_running, char *err, size_t err_size) {
    struct update_service_info info;
    *out_was_running = false;
    if (read_info(state_dir, &info, err, err_size) != 0) {
        return -1;
    }
    char path[PATH_MAX];
    join(path, sizeof(path), state_dir, "service.json");
    if (!alive(info.pid)) {
        unlink(path);
        return 0;
    }
    *out_was_running = true;
    kill(info.pid, SIGTERM);
    for (int waited = 0; alive(info.pid) && waited < STOP_TERM_MS; waited += POLL_MS) {
        waitpid(info.pid, NULL, WNOHANG);  // reaps it if it happens to be our child
        sleep_ms(POLL_MS);
    }
    if (alive(info.pid)) {
        kill(info.pid, SIGKILL);
        for (int waited = 0; alive(info.pid) && waited < 2000; waited += POLL_MS) {
            waitpid(info.pid, NULL, WNOHANG);
            sleep_ms(POLL_MS);
        }
    }
    unlink(path);
    return alive(info.pid) ? (snprintf(err, err_size, "process %d did not stop", info.pid), -1) : 0;
}
