// SPDX-License-Identifier: MIT
// Starting one of the hub's long-lived processes (the broker, the HTTP service): it must outlive
// the `spheresim hub start` that launched it, ignore the terminal's signals, read nothing and
// write its output to its log file.
#pragma once

#include <stddef.h>
#include <sys/types.h>

// Forks. In the parent returns the child's pid, or -1 with a one-line reason in err (the log
// can't be opened, fork failed). In the child returns 0 after it has become a session leader
// with stdin on /dev/null, stdout/stderr appended to log_path, no other file descriptors, no
// blocked signals and SIGPIPE at its default; the caller then execs (and only execs: the parent
// may have threads).
pid_t hub_daemon_fork(const char *log_path, char *err, size_t err_size);
