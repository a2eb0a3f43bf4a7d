// SPDX-License-Identifier: MIT
// The app end of the device bus. The OS passes the socket's number in SPHERESIM_BUS_FD before it
// execs the app; requests are serialised with a mutex because applibs calls may come from any
// thread, and each reply is matched to its request by sequence number.
#include "bus_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_mutex_t bus_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;
static int bus_fd = -1;
static uint32_t next_seq = 1;
static char package_root[DEVBUS_MAX_DATA];

static void bus_connect_once(void) {
    const char *text = getenv(DEVBUS_FD_ENV);
    if (text == NULL) {
        static const char hint[] = "hal_stub: not running under spheresim (no " DEVBUS_FD_ENV
                                   "); privileged applibs "
                                   "calls will fail with EIO\n";
        (void)!write(STDERR_FILENO, hint, sizeof(hint) - 1);
        return;
    }
    char *end = NULL;
    errno = 0;
    long fd = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || fd < 0 || fd > 65535) {
        return;
    }
    bus_fd = (int)fd;
}

static int call_locked(uint16_t op, const int32_t args[4], const void *data, size_t len,
                       struct devbus_msg *out_reply, int *out_fd) {
    static struct devbus_msg request;
    memset(&request, 0, DEVBUS_HEADER_SIZE);
    request.magic = DEVBUS_MAGIC;
    request.version = DEVBUS_VERSION;
    request.op = op;
    request.seq = next_seq++;
    if (args != NULL) {
        memcpy(request.arg, args, sizeof(request.arg));
    }
    if (len > DEVBUS_MAX_DATA) {
        errno = EINVAL;
        return -1;
    }
    request.len = (uint32_t)len;
    if (len > 0) {
        memcpy(request.data, data, len);
    }
    if (devbus_send(bus_fd, &request, -1) != 0) {
        errno = EIO;
        return -1;
    }
    int fd = -1;
    if (devbus_recv(bus_fd, out_reply, &fd) != 0 || out_reply->seq != request.seq ||
        out_reply->op != op) {
        if (fd >= 0) {
            close(fd);
        }
        errno = EIO;
        return -1;
    }
    if (out_fd != NULL) {
        *out_fd = fd;
    } else if (fd >= 0) {
        close(fd);
    }
    if (out_reply->result < 0) {
        errno = out_reply->err != 0 ? out_reply->err : EIO;
        return -1;
    }
    return out_reply->result;
}

int halstub_bus_call(uint16_t op, const int32_t args[4], const void *data, size_t len,
                     struct devbus_msg *out_reply, int *out_fd) {
    pthread_once(&bus_once, bus_connect_once);
    if (out_fd != NULL) {
        *out_fd = -1;
    }
    if (bus_fd < 0) {
        errno = EIO;
        return -1;
    }
    pthread_mutex_lock(&bus_lock);
    int result = call_locked(op, args, data, len, out_reply, out_fd);
    int saved = errno;
    pthread_mutex_unlock(&bus_lock);
    errno = saved;
    return result;
}

const char *halstub_bus_package_root(void) {
    static pthread_mutex_t root_lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&root_lock);
    if (package_root[0] == '\0') {
        static struct devbus_msg reply;
        if (halstub_bus_call(DEVBUS_OP_HELLO, NULL, NULL, 0, &reply, NULL) == 0 && reply.len > 0 &&
            reply.len < sizeof(package_root)) {
            memcpy(package_root, reply.data, reply.len);
            package_root[reply.len] = '\0';
        }
    }
    pthread_mutex_unlock(&root_lock);
    if (package_root[0] == '\0') {
        errno = EIO;
        return NULL;
    }
    return package_root;
}
