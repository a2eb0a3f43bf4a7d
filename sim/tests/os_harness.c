// SPDX-License-Identifier: MIT
// The in-process OS for unit tests; see os_harness.h.
#include "os_harness.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devbus.h"
#include "os/bus_server.h"
#include "os/hwdef.h"

static struct sim_device device;
static pthread_t server;
static int app_end = -1;
static int os_end = -1;
static int stop_pipe[2] = {-1, -1};
static pthread_mutex_t device_lock = PTHREAD_MUTEX_INITIALIZER;

static void die(const char *what, const char *detail) {
    fprintf(stderr, "os_harness: %s: %s\n", what, detail);
    abort();
}

static void *serve(void *unused) {
    static struct devbus_msg request;
    static struct devbus_msg reply;
    for (;;) {
        struct pollfd fds[2 + SIM_BOARD_CHANNEL_SLOTS];
        int slots[2 + SIM_BOARD_CHANNEL_SLOTS];
        nfds_t count = 0;
        fds[count++] = (struct pollfd){.fd = stop_pipe[0], .events = POLLIN};
        fds[count++] = (struct pollfd){.fd = os_end, .events = POLLIN};
        pthread_mutex_lock(&device_lock);
        for (int slot = 0; slot < SIM_BOARD_CHANNEL_SLOTS; slot++) {
            int fd = sim_board_channel_fd(&device.board, slot);
            if (fd >= 0) {
                slots[count] = slot;
                fds[count++] = (struct pollfd){.fd = fd, .events = POLLIN};
            }
        }
        pthread_mutex_unlock(&device_lock);
        if (poll(fds, count, -1) < 0 && errno != EINTR) {
            die("poll", strerror(errno));
        }
        if (fds[0].revents != 0) {
            return unused;
        }
        pthread_mutex_lock(&device_lock);
        if (fds[1].revents & POLLIN) {
            int stray = -1;
            if (devbus_recv(os_end, &request, &stray) == 0) {
                int fd_to_pass = -1;
                sim_bus_handle(&device, &request, &reply, &fd_to_pass);
                devbus_send(os_end, &reply, fd_to_pass);
                if (fd_to_pass >= 0) {
                    close(fd_to_pass);
                }
            }
        }
        for (nfds_t i = 2; i < count; i++) {
            if (fds[i].revents != 0) {
                sim_board_channel_serve(&device.board, slots[i]);
            }
        }
        pthread_mutex_unlock(&device_lock);
    }
}

static void load_manifest(const char *manifest_json) {
    char err[1024];
    static struct sim_hwdef hw;
    if (hw.count == 0 && sim_hwdef_load(sim_hwdef_default_for_board("mt3620_rdb"), &hw, err,
                                        sizeof(err)) != SIM_HWDEF_OK) {
        die("hardware definition", err);
    }
    if (sim_manifest_parse(manifest_json, strlen(manifest_json), "test_manifest.json", &hw,
                           &device.manifest, err, sizeof(err)) != SIM_MANIFEST_OK) {
        die("manifest", err);
    }
}

struct sim_device *os_harness_start(const char *manifest_json) {
    char err[1024];
    load_manifest(manifest_json);
    if (sim_board_init(&device.board, "mt3620_rdb", err, sizeof(err)) != SIM_BOARD_OK) {
        die("board", err);
    }
    char dir_template[] = "/tmp/spheresim-harness.XXXXXX";
    if (mkdtemp(dir_template) == NULL) {
        die("mkdtemp", strerror(errno));
    }
    snprintf(device.dir, sizeof(device.dir), "%s", dir_template);
    snprintf(device.package_dir, sizeof(device.package_dir), "%s", dir_template);
    snprintf(device.cert_path, sizeof(device.cert_path), "%s/certs/device.pem", dir_template);
    sim_clock_init(&device.clock);
    if (sim_device_log_open(&device.log, "/dev/null", NULL, &device.clock) != 0) {
        die("log", strerror(errno));
    }
    device.network =
        (struct sim_network){.link_up = true, .interface_enabled = true, .time_synced = true};
    device.sysevent_fd = -1;
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0 || pipe(stop_pipe) != 0) {
        die("socketpair", strerror(errno));
    }
    os_end = ends[0];
    app_end = ends[1];
    char fd_text[16];
    snprintf(fd_text, sizeof(fd_text), "%d", app_end);
    setenv(DEVBUS_FD_ENV, fd_text, 1);
    if (pthread_create(&server, NULL, serve, NULL) != 0) {
        die("pthread_create", "failed");
    }
    return &device;
}

void os_harness_stop(void) {
    (void)!write(stop_pipe[1], "x", 1);
    pthread_join(server, NULL);
    sim_board_release_all(&device.board);
    sim_device_log_close(&device.log);
    char command[PATH_MAX + 16];
    snprintf(command, sizeof(command), "rm -rf '%s'", device.dir);
    (void)!system(command);
}

void os_harness_set_manifest(const char *manifest_json) {
    pthread_mutex_lock(&device_lock);
    load_manifest(manifest_json);
    pthread_mutex_unlock(&device_lock);
}

void os_harness_lock(void) {
    pthread_mutex_lock(&device_lock);
}

void os_harness_unlock(void) {
    pthread_mutex_unlock(&device_lock);
}

int os_harness_share_fault_page(void) {
    char err[256];
    if (sim_fault_page_share(&device.faults, err, sizeof(err)) != SIM_FAULT_PAGE_OK) {
        return -1;
    }
    char text[16];
    snprintf(text, sizeof(text), "%d", dup(sim_fault_page_fd(&device.faults)));
    setenv(DEVBUS_FAULT_FD_ENV, text, 1);
    return 0;
}
