// SPDX-License-Identifier: MIT
// Peripheral channels; see channel.h. Every call is non-blocking because the OS serves all
// channels from one loop and must never wait on an app.
#include "board/channel.h"

#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

int sim_channel_create(int *out_model_fd, int *out_app_fd) {
    int ends[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0) {
        return errno;
    }
    *out_model_fd = ends[0];
    *out_app_fd = ends[1];
    return 0;
}

bool sim_channel_peer_closed(int model_fd) {
    struct pollfd pfd = {.fd = model_fd, .events = POLLRDHUP};
    return poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLRDHUP)) != 0;
}

void sim_channel_close(int *model_fd) {
    if (*model_fd >= 0) {
        close(*model_fd);
        *model_fd = -1;
    }
}

ssize_t sim_channel_receive(int model_fd, void *buf, size_t size) {
    // MSG_TRUNC: an oversized request reports its real length, so the model can refuse it
    // instead of acting on the part that fitted.
    ssize_t n = recv(model_fd, buf, size, MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return 0;
    }
    // An empty datagram and an orderly hang-up both read as 0 on SEQPACKET; treat both as the
    // app going away, since hal_stub never sends an empty request.
    return n <= 0 ? -1 : n;
}

int sim_channel_reply(int model_fd, const void *reply, size_t len) {
    ssize_t n = send(model_fd, reply, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    return n == (ssize_t)len ? 0 : -1;
}
