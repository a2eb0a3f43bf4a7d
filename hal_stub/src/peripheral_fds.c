// SPDX-License-Identifier: MIT
// A small table of peripheral channels keyed by (fd, device, inode), and the request/reply
// exchange on them; see peripheral_fds.h.
#include "peripheral_fds.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus_client.h"

#define MAX_CHANNELS 256

struct channel {
    int fd;
    enum halstub_peripheral_kind kind;
    dev_t dev;
    ino_t ino;
};

static struct channel channels[MAX_CHANNELS];
static pthread_mutex_t channels_lock = PTHREAD_MUTEX_INITIALIZER;

int halstub_peripheral_open(uint16_t op, const int32_t args[4], enum halstub_peripheral_kind kind) {
    struct devbus_msg reply;
    int fd = -1;
    if (halstub_bus_call(op, args, NULL, 0, &reply, &fd) < 0) {
        return -1;
    }
    if (fd < 0 || halstub_peripheral_fd_add(fd, kind) != 0) {
        int saved = fd < 0 ? EIO : errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = saved;
        return -1;
    }
    return fd;
}

int halstub_peripheral_fd_add(int fd, enum halstub_peripheral_kind kind) {
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return -1;
    }
    pthread_mutex_lock(&channels_lock);
    struct channel *slot = NULL;
    for (size_t i = 0; i < MAX_CHANNELS; i++) {
        struct channel *c = &channels[i];
        if (c->kind == 0 || c->fd == fd) {
            slot = c;
            if (c->fd == fd) {
                break;
            }
        }
    }
    if (slot != NULL) {
        *slot = (struct channel){.fd = fd, .kind = kind, .dev = st.st_dev, .ino = st.st_ino};
    }
    pthread_mutex_unlock(&channels_lock);
    if (slot == NULL) {
        errno = EMFILE;
        return -1;
    }
    return 0;
}

bool halstub_peripheral_fd_is(int fd, enum halstub_peripheral_kind kind) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        return false;
    }
    bool found = false;
    pthread_mutex_lock(&channels_lock);
    for (size_t i = 0; i < MAX_CHANNELS && !found; i++) {
        const struct channel *c = &channels[i];
        found = c->kind == kind && c->fd == fd && c->dev == st.st_dev && c->ino == st.st_ino;
    }
    pthread_mutex_unlock(&channels_lock);
    return found;
}

ssize_t halstub_peripheral_exchange(int fd, enum halstub_peripheral_kind kind, const void *request,
                                    size_t request_len, void *reply, size_t reply_size,
                                    size_t min_reply) {
    if (!halstub_peripheral_fd_is(fd, kind)) {
        errno = EBADF;
        return -1;
    }
    ssize_t n;
    do {
        n = send(fd, request, request_len, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)request_len) {
        errno = EIO;
        return -1;
    }
    do {
        n = recv(fd, reply, reply_size, 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0 || (size_t)n < min_reply) {
        errno = EIO;
        return -1;
    }
    return n;
}
