// SPDX-License-Identifier: MIT
// fork/exec of the app; see app_process.h.
#include "os/app_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devbus.h"

// The bus lands on this descriptor in the app, after stdin/stdout/stderr.
enum { APP_BUS_FD = 3 };
// The device clock's page follows it; the OS keeps its own copy at 10 or above, out of the way.
enum { APP_CLOCK_FD = 4 };
// Then the fault page (fault_page.h), which hal_stub reads to fail the app's storage I/O.
enum { APP_FAULT_FD = 5 };
// Then the app stats page (app_stats.h), where hal_stub's allocator writes the heap figures.
enum { APP_STATS_FD = 6 };

// Runs in the child between fork and exec: only async-signal-safe calls.
static void exec_app(const struct sim_device *device, int bus_fd, int output_fd, int stats_fd,
                     char *const argv[]) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1) {
        _exit(127);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd < 0 || dup2(null_fd, STDIN_FILENO) < 0 || dup2(output_fd, STDOUT_FILENO) < 0 ||
        dup2(output_fd, STDERR_FILENO) < 0) {
        _exit(127);
    }
    // dup2 onto itself keeps close-on-exec set, so that case clears the flag instead.
    if (bus_fd == APP_BUS_FD ? fcntl(bus_fd, F_SETFD, 0) < 0 : dup2(bus_fd, APP_BUS_FD) < 0) {
        _exit(127);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int sig = 1; sig < NSIG; sig++) {
        signal(sig, SIG_DFL);
    }
    // Writing past the mutable-storage quota fails with EFBIG instead of killing the app.
    signal(SIGXFSZ, SIG_IGN);
    const struct sim_manifest_capabilities *caps = &device->manifest.caps;
    rlim_t quota = caps->mutable_storage ? (rlim_t)caps->mutable_storage_kb * 1024 : 0;
    struct rlimit limit = {.rlim_cur = quota, .rlim_max = quota};
    setrlimit(RLIMIT_FSIZE, &limit);
    if (chdir(device->package_dir) != 0) {
        _exit(127);
    }
    char bus_env[32] = DEVBUS_FD_ENV "=3";
    putenv(bus_env);
    int clock_fd = sim_clock_page_fd(&device->clock);
    char clock_env[32] = DEVBUS_CLOCK_FD_ENV "=4";
    if (clock_fd >= 0 && dup2(clock_fd, APP_CLOCK_FD) == APP_CLOCK_FD) {
        putenv(clock_env);
    } else {
        unsetenv(DEVBUS_CLOCK_FD_ENV);  // whatever spheresim itself inherited is not for the app
    }
    int fault_fd = sim_fault_page_fd(&device->faults);
    char fault_env[32] = DEVBUS_FAULT_FD_ENV "=5";
    if (fault_fd >= 0 && dup2(fault_fd, APP_FAULT_FD) == APP_FAULT_FD) {
        putenv(fault_env);
    } else {
        unsetenv(DEVBUS_FAULT_FD_ENV);
    }
    char stats_env[32] = DEVBUS_STATS_FD_ENV "=6";
    if (stats_fd >= 0 && dup2(stats_fd, APP_STATS_FD) == APP_STATS_FD) {
        putenv(stats_env);
    } else {
        unsetenv(DEVBUS_STATS_FD_ENV);
    }
    execv(device->executable, argv);
    _exit(127);
}

int sim_app_spawn(const struct sim_device *device, struct sim_app_process *out_process, char *err,
                  size_t err_size) {
    const struct sim_manifest *manifest = &device->manifest;
    if (access(device->executable, X_OK) != 0) {
        snprintf(err, err_size, "%s: cannot execute the app: %s", device->executable,
                 strerror(errno));
        return -1;
    }
    char *argv[SIM_MANIFEST_MAX_ARGS + 2];
    argv[0] = (char *)device->executable;
    for (size_t i = 0; i < manifest->cmd_arg_count; i++) {
        argv[i + 1] = (char *)manifest->cmd_args[i];
    }
    argv[manifest->cmd_arg_count + 1] = NULL;

    int bus[2] = {-1, -1};
    int output[2] = {-1, -1};
    struct sim_app_stats stats = {.page = NULL, .fd = -1};
    if (sim_app_stats_create(&stats, err, err_size) != 0) {
        goto fail;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, bus) != 0 ||
        pipe2(output, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "cannot create the device bus: %s", strerror(errno));
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "cannot fork the app: %s", strerror(errno));
        goto fail;
    }
    if (pid == 0) {
        exec_app(device, bus[1], output[1], sim_app_stats_fd(&stats), argv);
    }
    close(bus[1]);
    close(output[1]);
    sim_app_stats_close_fd(&stats);
    fcntl(output[0], F_SETFL, O_NONBLOCK);
    fcntl(bus[0], F_SETFL, O_NONBLOCK);
    *out_process = (struct sim_app_process){
        .pid = pid, .bus_fd = bus[0], .output_fd = output[0], .stats = stats};
    return 0;
fail:
    sim_app_stats_release(&stats);
    for (int i = 0; i < 2; i++) {
        if (bus[i] >= 0) {
            close(bus[i]);
        }
        if (output[i] >= 0) {
            close(output[i]);
        }
    }
    return -1;
}
