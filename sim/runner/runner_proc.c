// SPDX-License-Identifier: MIT
// The processes a scenario starts: devices (`spheresim run`) and hub commands. Each device runs
// in its own process group so that a Ctrl-C on the terminal reaches the runner alone, which then
// stops everything in order; each is also told to stop (SIGTERM) if the runner itself dies, so a
// killed runner does not leave devices behind.
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner/runner_internal.h"

static volatile sig_atomic_t signalled;
static struct sigaction saved[3];
static const int handled[3] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig) {
    (void)sig;
    signalled = 1;
}

void rn_install_signals(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < 3; i++) {
        sigaction(handled[i], &action, &saved[i]);
    }
}

void rn_restore_signals(void) {
    for (size_t i = 0; i < 3; i++) {
        sigaction(handled[i], &saved[i], NULL);
    }
}

bool rn_signalled(void) {
    return signalled != 0;
}

bool scn_run_interrupted(void) {
    return signalled != 0;
}

int64_t rn_mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

// In the child: its own group, SIGTERM when the runner goes, default signal handling, output to
// the pipe, stdin from /dev/null. Only async-signal-safe calls until exec.
static void child_setup(int out_write) {
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof(dfl));
    dfl.sa_handler = SIG_DFL;
    for (size_t i = 0; i < 3; i++) {
        sigaction(handled[i], &dfl, NULL);
    }
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
    }
    dup2(out_write, STDOUT_FILENO);
    dup2(out_write, STDERR_FILENO);
}

pid_t rn_spawn(char *const argv[], int *out_fd, char *err, size_t err_size) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, err_size, "pipe: %s", strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        child_setup(fds[1]);
        execv(argv[0], argv);
        static const char msg[] = "spheresim: scenario: cannot execute the spheresim binary\n";
        (void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
        _exit(127);
    }
    // Also in the parent, so the group exists before anyone signals it.
    setpgid(pid, pid);
    close(fds[1]);
    fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    *out_fd = fds[0];
    return pid;
}

// Waits for pid up to deadline (monotonic ms); true when it was reaped.
static bool reap_until(pid_t pid, int64_t deadline, int *out_status) {
    for (;;) {
        int status = 0;
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid || (got < 0 && errno == ECHILD)) {
            if (out_status != NULL) {
                *out_status = got == pid ? status : 0;
            }
            return true;
        }
        if (rn_mono_ms() >= deadline) {
            return false;
        }
        struct timespec pause = {.tv_nsec = 10 * 1000000};
        nanosleep(&pause, NULL);
    }
}

void rn_stop_group(pid_t pid, int grace_ms, int *out_status) {
    if (pid <= 0) {
        return;
    }
    kill(-pid, SIGTERM);
    kill(pid, SIGTERM);
    if (!reap_until(pid, rn_mono_ms() + grace_ms, out_status)) {
        kill(-pid, SIGKILL);
        kill(pid, SIGKILL);
        reap_until(pid, rn_mono_ms() + 5000, out_status);
    }
    // Anything left in the group (an app the device did not get to stop) goes too.
    kill(-pid, SIGKILL);
}

int rn_run_capture(char *const argv[], int timeout_ms, char *out, size_t out_size, char *err,
                   size_t err_size) {
    int fd = -1;
    size_t len = 0;
    if (out_size > 0) {
        out[0] = '\0';
    }
    pid_t pid = rn_spawn(argv, &fd, err, err_size);
    if (pid < 0) {
        return -1;
    }
    int64_t deadline = rn_mono_ms() + timeout_ms;
    bool open_pipe = true;
    while (open_pipe && rn_mono_ms() < deadline) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int left = (int)(deadline - rn_mono_ms());
        if (poll(&pfd, 1, left > 0 ? left : 0) <= 0) {
            continue;
        }
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof(chunk));
        if (n > 0) {
            size_t keep = (size_t)n;
            if (out_size > 0 && len + keep >= out_size) {
                keep = out_size - 1 - len;
            }
            memcpy(out + len, chunk, keep);
            len += keep;
            out[len] = '\0';
        } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            open_pipe = false;
        }
    }
    close(fd);
    int status = 0;
    if (open_pipe || !reap_until(pid, deadline, &status)) {
        rn_stop_group(pid, 1000, NULL);
        snprintf(err, err_size, "%s did not finish within %d s", argv[1] ? argv[1] : argv[0],
                 timeout_ms / 1000);
        return -1;
    }
    if (WIFSIGNALED(status)) {
        snprintf(err, err_size, "killed by signal %d", WTERMSIG(status));
        return -1;
    }
    return WEXITSTATUS(status);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void rn_remove_tree(const char *path) {
    if (path[0] != '\0') {
        nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    }
}
