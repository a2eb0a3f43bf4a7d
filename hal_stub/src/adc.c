// SPDX-License-Identifier: MIT
// applibs ADC. Opening a controller asks the OS, which checks the board and the manifest and
// hands back one end of a channel to the converter model; each call is one request/reply on that
// channel, so samples always reflect the board's inputs at the moment of the call.
#include <applibs/adc.h>

#include <errno.h>

#include "bus_client.h"
#include "peripheral_fds.h"

int ADC_Open(ADC_ControllerId id) {
    // The bus carries signed arguments; an id too large for one is no controller either.
    const int32_t args[4] = {id > INT32_MAX ? -1 : (int32_t)id, 0, 0, 0};
    return halstub_peripheral_open(DEVBUS_OP_ADC_OPEN, args, HALSTUB_PERIPHERAL_ADC);
}

// Sends msg and receives the reply into it. Returns 0, or -1 with errno set.
static int exchange(int fd, struct devbus_adc_msg *msg) {
    if (halstub_peripheral_exchange(fd, HALSTUB_PERIPHERAL_ADC, msg, sizeof(*msg), msg,
                                    sizeof(*msg), sizeof(*msg)) < 0) {
        return -1;
    }
    if (msg->err != 0) {
        errno = msg->err;
        return -1;
    }
    return 0;
}

int ADC_GetSampleBitCount(int fd, ADC_ChannelId channel) {
    struct devbus_adc_msg msg = {.op = DEVBUS_ADC_GET_BIT_COUNT, .channel = channel};
    if (exchange(fd, &msg) != 0) {
        return -1;
    }
    return (int)msg.value;
}

int ADC_SetReferenceVoltage(int fd, ADC_ChannelId channel, float referenceVoltage) {
    struct devbus_adc_msg msg = {
        .op = DEVBUS_ADC_SET_REFERENCE, .channel = channel, .volts = referenceVoltage};
    return exchange(fd, &msg);
}

int ADC_Poll(int fd, ADC_ChannelId channel, uint32_t *outSampleValue) {
    if (outSampleValue == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_adc_msg msg = {.op = DEVBUS_ADC_POLL, .channel = channel};
    if (exchange(fd, &msg) != 0) {
        return -1;
    }
    *outSampleValue = msg.value;
    return 0;
}
