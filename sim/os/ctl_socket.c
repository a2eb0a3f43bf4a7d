// SPDX-License-Identifier: MIT
// Unix-socket plumbing for the control channel; see ctl_socket.h.
#include "os/ctl_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fill_address(const char *path, struct sockaddr_un *addr, char *err, size_t err_size) {
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(addr->sun_path)) {
        snprintf(err, err_size, "%s: control socket path is longer than %zu bytes", path,
                 sizeof(addr->sun_path) - 1);
        return -1;
    }
    memcpy(addr->sun_path, path, strlen(path) + 1);
    return 0;
}

int sim_ctl_listen(const char *path, char *err, size_t err_size) {
    struct sockaddr_un addr;
    if (fill_address(path, &addr, err, err_size) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, err_size, "control socket: %s", strerror(errno));
        return -1;
    }
    // The device directory is locked by its one running OS, so a socket file left here is stale.
    unlink(path);
    if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, 8) != 0) {
        snprintf(err, err_size, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int sim_ctl_client_read(struct sim_ctl_client *client) {
    size_t room = sizeof(client->line) - 1 - client->len;
    if (room == 0) {
        return -1;
    }
    ssize_t n = recv(client->fd, client->line + client->len, room, MSG_DONTWAIT);
    if (n < 0) {
        return errno == EAGAIN || errno == EINTR ? 0 : -1;
    }
    if (n == 0) {
        return -1;
    }
    client->len += (size_t)n;
    client->line[client->len] = '\0';
    char *newline = memchr(client->line, '\n', client->len);
    if (newline == NULL) {
        return 0;
    }
    *newline = '\0';
    return 1;
}

void sim_ctl_client_reply(struct sim_ctl_client *client, const char *json) {
    // The reply is small and the client is waiting for it; a short blocking send is fine.
    int flags = fcntl(client->fd, F_GETFL);
    fcntl(client->fd, F_SETFL, flags & ~O_NONBLOCK);
    struct timeval timeout = {.tv_sec = 2};
    setsockopt(client->fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
    size_t len = strlen(json);
    (void)!send(client->fd, json, len, MSG_NOSIGNAL);
    (void)!send(client->fd, "\n", 1, MSG_NOSIGNAL);
    close(client->fd);
    client->fd = -1;
    client->len = 0;
}

int sim_ctl_request(const char *path, const char *request, char *out, size_t out_size, char *err,
                    size_t err_size) {
    struct sockaddr_un addr;
    if (fill_address(path, &addr, err, err_size) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(err, err_size, "socket: %s", strerror(errno));
        return -1;
    }
    int result = -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        snprintf(err, err_size, "no device is running with control socket %s (%s)", path,
                 strerror(errno));
        goto out;
    }
    size_t len = strlen(request);
    if (send(fd, request, len, MSG_NOSIGNAL) != (ssize_t)len ||
        send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
        snprintf(err, err_size, "sending to %s: %s", path, strerror(errno));
        goto out;
    }
    size_t got = 0;
    while (got + 1 < out_size) {
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int ready = poll(&pfd, 1, 10000);
        if (ready <= 0) {
            snprintf(err, err_size, "the device did not answer within 10 s");
            goto out;
        }
        ssize_t n = recv(fd, out + got, out_size - 1 - got, 0);
        if (n <= 0) {
            break;
        }
        got += (size_t)n;
        if (memchr(out, '\n', got) != NULL) {
            break;
        }
    }
    out[got] = '\0';
    char *newline = strchr(out, '\n');
    if (newline == NULL) {
        snprintf(err, err_size, "the device closed the control connection without a reply");
        goto out;
    }
    *newline = '\0';
    result = 0;
out:
    close(fd);
    return result;
}
