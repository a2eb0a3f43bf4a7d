// SPDX-License-Identifier: MIT
// applibs GPIO. Opening a GPIO asks the OS, which checks the manifest and the board and hands
// back one end of a channel to the pin model; reads and writes are request/reply messages on
// that channel, so the descriptor is a real fd the app closes with close().
#include <applibs/gpio.h>

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus_client.h"
#include "peripheral_fds.h"

static int open_gpio(uint16_t op, int32_t id, int32_t mode, int32_t value) {
    const int32_t args[4] = {id, mode, value, 0};
    struct devbus_msg reply;
    int fd = -1;
    if (halstub_bus_call(op, args, NULL, 0, &reply, &fd) < 0) {
        return -1;
    }
    if (fd < 0 || halstub_peripheral_fd_add(fd, HALSTUB_PERIPHERAL_GPIO) != 0) {
        int saved = fd < 0 ? EIO : errno;
        if (fd >= 0) {
            close(fd);
        }
        errno = saved;
        return -1;
    }
    return fd;
}

int GPIO_OpenAsInput(GPIO_Id gpioId) {
    return open_gpio(DEVBUS_OP_GPIO_OPEN_INPUT, gpioId, 0, 0);
}

int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode,
                      GPIO_Value_Type initialValue) {
    return open_gpio(DEVBUS_OP_GPIO_OPEN_OUTPUT, gpioId, outputMode, initialValue);
}

static int exchange(int gpioFd, struct devbus_gpio_msg *msg) {
    if (!halstub_peripheral_fd_is(gpioFd, HALSTUB_PERIPHERAL_GPIO)) {
        errno = EBADF;
        return -1;
    }
    ssize_t n;
    do {
        n = send(gpioFd, msg, sizeof(*msg), MSG_NOSIGNAL);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(*msg)) {
        errno = EIO;
        return -1;
    }
    do {
        n = recv(gpioFd, msg, sizeof(*msg), 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(*msg)) {
        errno = EIO;
        return -1;
    }
    if (msg->err != 0) {
        errno = msg->err;
        return -1;
    }
    return 0;
}

int GPIO_GetValue(int gpioFd, GPIO_Value_Type *outValue) {
    if (outValue == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_gpio_msg msg = {.op = DEVBUS_GPIO_GET};
    if (exchange(gpioFd, &msg) != 0) {
        return -1;
    }
    *outValue = msg.value;
    return 0;
}

int GPIO_SetValue(int gpioFd, GPIO_Value_Type value) {
    if (value != GPIO_Value_Low && value != GPIO_Value_High) {
        errno = EINVAL;
        return -1;
    }
    struct devbus_gpio_msg msg = {.op = DEVBUS_GPIO_SET, .value = value};
    return exchange(gpioFd, &msg);
}
