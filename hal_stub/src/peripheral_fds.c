// SPDX-License-Identifier: MIT
// A small table of peripheral channels keyed by (fd, device, inode); see peripheral_fds.h.
#include "peripheral_fds.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/stat.h>

#define MAX_CHANNELS 256

struct channel {
    int fd;
    enum halstub_peripheral_kind kind;
    dev_t dev;
    ino_t ino;
};

static struct channel channels[MAX_CHANNELS];
static pthread_mutex_t channels_lock = PTHREAD_MUTEX_INITIALIZER;

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
