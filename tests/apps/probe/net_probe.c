// SPDX-License-Identifier: MIT
// The probe's network mode; see net_probe.h. Connections are made the way libmosquitto makes
// them (getaddrinfo, a non-blocking socket, connect, wait for writable, SO_ERROR), so the
// simulator's interposition is exercised on the same path a real cloud client takes.
#include "net_probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <applibs/log.h>

#define PROBE_NET_TIMEOUT_MS 5000

static const char *EaiName(int code) {
    switch (code) {
        case EAI_NONAME:
            return "EAI_NONAME";
        case EAI_AGAIN:
            return "EAI_AGAIN";
        case EAI_FAIL:
            return "EAI_FAIL";
        case EAI_FAMILY:
            return "EAI_FAMILY";
        case EAI_SERVICE:
            return "EAI_SERVICE";
        case EAI_SYSTEM:
            return "EAI_SYSTEM";
        default: {
            static char unnamed[24];
            snprintf(unnamed, sizeof(unnamed), "EAI%d", code);
            return unnamed;
        }
    }
}

// Waits for a non-blocking connect to finish; returns 0 or the errno it failed with.
static int FinishConnect(int fd) {
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    int ready = poll(&pfd, 1, PROBE_NET_TIMEOUT_MS);
    if (ready == 0) {
        return ETIMEDOUT;
    }
    if (ready < 0) {
        return errno;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
        return errno;
    }
    return err;
}

// Sends one line and logs the first line that comes back.
static void Echo(int fd, const char *what) {
    static const char line[] = "probe\n";
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0 ||
        send(fd, line, sizeof(line) - 1, MSG_NOSIGNAL) != (ssize_t)(sizeof(line) - 1)) {
        Log_Debug("PROBE echo %s errno %s\n", what, ErrnoName(errno));
        return;
    }
    struct timeval timeout = {.tv_sec = PROBE_NET_TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    char reply[64];
    size_t have = 0;
    while (have < sizeof(reply) - 1) {
        ssize_t n = recv(fd, reply + have, 1, 0);
        if (n <= 0) {
            Log_Debug("PROBE echo %s errno %s\n", what, ErrnoName(n == 0 ? ECONNRESET : errno));
            return;
        }
        if (reply[have] == '\n') {
            break;
        }
        have++;
    }
    reply[have] = '\0';
    Log_Debug("PROBE echo %s %s\n", what, reply);
}

static void ProbeTarget(const char *target) {
    char host[256];
    const char *colon = strrchr(target, ':');
    if (colon == NULL || (size_t)(colon - target) >= sizeof(host)) {
        Log_Debug("PROBE error bad-target %s\n", target);
        return;
    }
    memcpy(host, target, (size_t)(colon - target));
    host[colon - target] = '\0';
    const char *port = colon + 1;

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
    struct addrinfo *list = NULL;
    int rc = getaddrinfo(host, port, &hints, &list);
    if (rc != 0) {
        Log_Debug("PROBE resolve %s error %s\n", host, EaiName(rc));
        return;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    const void *raw = list->ai_family == AF_INET
                          ? (const void *)&((struct sockaddr_in *)list->ai_addr)->sin_addr
                          : (const void *)&((struct sockaddr_in6 *)list->ai_addr)->sin6_addr;
    inet_ntop(list->ai_family, raw, text, sizeof(text));
    Log_Debug("PROBE resolve %s ok %s\n", host, text);

    int fd = socket(list->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int err = 0;
    if (fd < 0) {
        err = errno;
    } else if (connect(fd, list->ai_addr, list->ai_addrlen) != 0) {
        err = errno == EINPROGRESS ? FinishConnect(fd) : errno;
    }
    freeaddrinfo(list);
    Log_Debug("PROBE connect %s %s%s\n", target, err == 0 ? "ok" : "errno ",
              err == 0 ? "" : ErrnoName(err));
    if (err == 0) {
        Echo(fd, target);
    }
    if (fd >= 0) {
        close(fd);
    }
}

static void ProbeUnix(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        Log_Debug("PROBE error bad-unix-path %s\n", path);
        return;
    }
    memcpy(addr.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int err = 0;
    if (fd < 0 || connect(fd, (const struct sockaddr *)&addr, sizeof(addr)) != 0) {
        err = errno;
    }
    Log_Debug("PROBE unix %s %s%s\n", path, err == 0 ? "ok" : "errno ",
              err == 0 ? "" : ErrnoName(err));
    if (err == 0) {
        Echo(fd, "unix");
    }
    if (fd >= 0) {
        close(fd);
    }
}

void ProbeNet_Run(const char *const *targets, size_t count, const char *unixPath) {
    for (size_t i = 0; i < count; i++) {
        ProbeTarget(targets[i]);
    }
    if (unixPath != NULL) {
        ProbeUnix(unixPath);
    }
    Log_Debug("PROBE net-done\n");
}
