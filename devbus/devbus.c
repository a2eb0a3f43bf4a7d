// SPDX-License-Identifier: MIT
// Framing for the device bus: one SOCK_SEQPACKET datagram per message, at most one descriptor
// attached. Both the app side (hal_stub) and the OS side (sim) use these two functions, so the
// validation of what arrives is written once.
#include "devbus.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <stdbool.h>

int devbus_send(int sock, const struct devbus_msg *msg, int fd_to_pass) {
    if (msg->len > DEVBUS_MAX_DATA) {
        errno = EINVAL;
        return -1;
    }
    struct iovec iov = {.iov_base = (void *)msg, .iov_len = DEVBUS_HEADER_SIZE + msg->len};
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    if (fd_to_pass >= 0) {
        memset(&control, 0, sizeof(control));
        mh.msg_control = control.buf;
        mh.msg_controllen = sizeof(control.buf);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &fd_to_pass, sizeof(int));
    }
    ssize_t n;
    do {
        n = sendmsg(sock, &mh, MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -1;
    }
    return 0;
}

static int take_passed_fd(struct msghdr *mh) {
    int fd = -1;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
            continue;
        }
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; i++) {
            int passed;
            memcpy(&passed, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
            if (fd < 0) {
                fd = passed;
            } else {
                // Only one descriptor is allowed; never leak the extras.
                (void)close(passed);
            }
        }
    }
    return fd;
}

int devbus_recv(int sock, struct devbus_msg *out_msg, int *out_fd) {
    *out_fd = -1;
    struct iovec iov = {.iov_base = out_msg, .iov_len = sizeof(*out_msg)};
    union {
        char buf[CMSG_SPACE(sizeof(int) * 4)];
        struct cmsghdr align;
    } control;
    struct msghdr mh = {.msg_iov = &iov,
                        .msg_iovlen = 1,
                        .msg_control = control.buf,
                        .msg_controllen = sizeof(control.buf)};
    ssize_t n;
    do {
        n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        return -1;
    }
    int fd = take_passed_fd(&mh);
    if (n == 0) {
        if (fd >= 0) {
            (void)close(fd);
        }
        errno = 0;
        return -1;
    }
    bool valid = (size_t)n >= DEVBUS_HEADER_SIZE && (mh.msg_flags & MSG_TRUNC) == 0 &&
                 out_msg->magic == DEVBUS_MAGIC && out_msg->version == DEVBUS_VERSION &&
                 out_msg->len <= DEVBUS_MAX_DATA && (size_t)n == DEVBUS_HEADER_SIZE + out_msg->len;
    if (!valid) {
        if (fd >= 0) {
            (void)close(fd);
        }
        errno = EPROTO;
        return -1;
    }
    *out_fd = fd;
    return 0;
}

const char *devbus_op_name(uint16_t op) {
    static const char *const names[DEVBUS_OP_COUNT] = {
        [DEVBUS_OP_HELLO] = "hello",
        [DEVBUS_OP_GPIO_OPEN_INPUT] = "gpio-open-input",
        [DEVBUS_OP_GPIO_OPEN_OUTPUT] = "gpio-open-output",
        [DEVBUS_OP_STORAGE_OPEN_MUTABLE] = "storage-open-mutable",
        [DEVBUS_OP_STORAGE_DELETE_MUTABLE] = "storage-delete-mutable",
        [DEVBUS_OP_NETWORK_STATUS] = "network-status",
        [DEVBUS_OP_DEVICEAUTH_STATUS] = "deviceauth-status",
        [DEVBUS_OP_POWER_REBOOT] = "power-reboot",
        [DEVBUS_OP_POWER_DOWN] = "power-down",
        [DEVBUS_OP_POWER_PROFILE] = "power-profile",
        [DEVBUS_OP_SYSEVENT_REGISTER] = "sysevent-register",
        [DEVBUS_OP_SYSEVENT_UNREGISTER] = "sysevent-unregister",
        [DEVBUS_OP_SYSEVENT_DEFER] = "sysevent-defer",
        [DEVBUS_OP_SYSEVENT_RESUME] = "sysevent-resume",
        [DEVBUS_OP_APP_CONNECT] = "app-connect",
        [DEVBUS_OP_NETWORK_SET_INTERFACE] = "network-set-interface",
        [DEVBUS_OP_NETWORK_IPCONFIG_APPLY] = "network-ipconfig-apply",
        [DEVBUS_OP_TIMESYNC_SET] = "timesync-set",
        [DEVBUS_OP_TIMESYNC_GET] = "timesync-get",
        [DEVBUS_OP_I2C_OPEN] = "i2c-open",
        [DEVBUS_OP_ADC_OPEN] = "adc-open",
        [DEVBUS_OP_NET_RESOLVE] = "net-resolve",
        [DEVBUS_OP_NET_RESOLVED] = "net-resolved",
        [DEVBUS_OP_NET_CONNECT] = "net-connect",
        [DEVBUS_OP_OS_VERSION] = "os-version",
    };
    if (op >= DEVBUS_OP_COUNT || names[op] == NULL) {
        return "unknown";
    }
    return names[op];
}
