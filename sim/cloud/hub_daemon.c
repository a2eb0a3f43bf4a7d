// SPDX-License-Identifier: MIT
// Detached children for the hub; see hub_daemon.h.
#include "cloud/hub_daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

pid_t hub_daemon_fork(const char *log_path, char *err, size_t err_size) {
    int log_fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (log_fd < 0) {
        snprintf(err, err_size, "cannot open %s: %s", log_path, strerror(errno));
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, err_size, "fork: %s", strerror(errno));
        close(log_fd);
        return -1;
    }
    if (pid > 0) {
        close(log_fd);
        return pid;
    }
    // Own session: the process outlives this command and ignores the terminal's signals.
    setsid();
    int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
    }
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    // A parent such as the HTTP service process (which restarts the broker) holds sockets, and
    // blocks or ignores signals for its own threads: the child gets none of that, so `hub stop`'s
    // SIGTERM reaches it and no connection of the parent's lives on in it.
    close_range(3, ~0U, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGPIPE, SIG_DFL);
    return 0;
}
