// SPDX-License-Identifier: MIT
// applibs GPIO. Opening a GPIO asks the OS, which checks the manifest and the board and hands
// back one end of a channel to the pin model; reads and writes are request/reply messages on
// that channel, so the descriptor is a real fd the app closes with close().
#include <applibs/gpio.h>

#include <errno.h>

#include "bus_client.h"
#include "peripheral_fds.h"

int GPIO_OpenAsInput(GPIO_Id gpioId) {
    const int32_t args[4] = {gpioId, 0, 0, 0};
    return halstub_peripheral_open(DEVBUS_OP_GPIO_OPEN_INPUT, args, HALSTUB_PERIPHERAL_GPIO);
}

int GPIO_OpenAsOutput(GPIO_Id gpioId, GPIO_OutputMode_Type outputMode,
                      GPIO_Value_Type initialValue) {
    const int32_t args[4] = {gpioId, outputMode, initialValue, 0};
    return halstub_peripheral_open(DEVBUS_OP_GPIO_OPEN_OUTPUT, args, HALSTUB_PERIPHERAL_GPIO);
}

static int exchange(int gpioFd, struct devbus_gpio_msg *msg) {
    if (halstub_peripheral_exchange(gpioFd, HALSTUB_PERIPHERAL_GPIO, msg, sizeof(*msg), msg,
                                    sizeof(*msg), sizeof(*msg)) < 0) {
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
