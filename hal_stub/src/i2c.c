// SPDX-License-Identifier: MIT
// applibs I2C master. Opening an interface asks the OS, which checks the board and the manifest
// and hands back one end of a channel to the bus model; configuration and transfers are
// request/reply messages on that channel. Every transfer is one whole bus transaction on the OS
// side, so a write-then-read is never split by another transfer.
#include <applibs/i2c.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "bus_client.h"
#include "i2c_internal.h"
#include "peripheral_fds.h"

// Replies are matched to requests by order on each channel; one exchange at a time keeps two
// threads sharing a descriptor from taking each other's replies. It also guards `transfer`.
static pthread_mutex_t i2c_lock = PTHREAD_MUTEX_INITIALIZER;
// Static because the message is over a kilobyte and exchanges are serialised anyway.
static struct devbus_i2c_msg transfer;

// Sends msg (header plus msg->write_len bytes) and receives the reply into msg. Called with
// i2c_lock held. Returns 0, or -1 with errno set.
static int exchange_locked(int fd, struct devbus_i2c_msg *msg) {
    size_t request_len = DEVBUS_I2C_HEADER_SIZE + msg->write_len;
    uint16_t wanted = msg->read_len;
    ssize_t n = halstub_peripheral_exchange(fd, HALSTUB_PERIPHERAL_I2C, msg, request_len, msg,
                                            sizeof(*msg), DEVBUS_I2C_HEADER_SIZE);
    if (n < 0) {
        return -1;
    }
    if (msg->err != 0) {
        errno = msg->err;
        return -1;
    }
    if (msg->read_len > wanted || (size_t)n != DEVBUS_I2C_HEADER_SIZE + msg->read_len) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int I2CMaster_Open(I2C_InterfaceId id) {
    const int32_t args[4] = {id, 0, 0, 0};
    int fd = halstub_peripheral_open(DEVBUS_OP_I2C_OPEN, args, HALSTUB_PERIPHERAL_I2C);
    if (fd >= 0) {
        halstub_i2c_posix_track(fd);
    }
    return fd;
}

static int configure(int fd, uint8_t op, uint32_t address, uint32_t value) {
    struct devbus_i2c_msg msg = {.op = op, .address = address, .value = value};
    pthread_mutex_lock(&i2c_lock);
    int result = exchange_locked(fd, &msg);
    int saved = errno;
    pthread_mutex_unlock(&i2c_lock);
    errno = saved;
    return result;
}

int I2CMaster_SetBusSpeed(int fd, uint32_t speedInHz) {
    return configure(fd, DEVBUS_I2C_SET_SPEED, 0, speedInHz);
}

int I2CMaster_SetTimeout(int fd, uint32_t timeoutInMs) {
    return configure(fd, DEVBUS_I2C_SET_TIMEOUT, 0, timeoutInMs);
}

int I2CMaster_SetDefaultTargetAddress(int fd, I2C_DeviceAddress address) {
    return configure(fd, DEVBUS_I2C_SET_DEFAULT, address, 0);
}

int halstub_i2c_transfer(int fd, bool to_default, uint32_t address, const uint8_t *write_data,
                         size_t write_len, uint8_t *read_data, size_t read_len, size_t *out_written,
                         size_t *out_read) {
    if ((write_data == NULL && write_len > 0) || (read_data == NULL && read_len > 0)) {
        errno = EFAULT;
        return -1;
    }
    if (write_len > DEVBUS_I2C_MAX_TRANSFER || read_len > DEVBUS_I2C_MAX_TRANSFER) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&i2c_lock);
    transfer = (struct devbus_i2c_msg){.op = DEVBUS_I2C_TRANSFER,
                                       .flags = to_default ? DEVBUS_I2C_TO_DEFAULT : 0,
                                       .address = address,
                                       .write_len = (uint16_t)write_len,
                                       .read_len = (uint16_t)read_len};
    if (write_len > 0) {
        memcpy(transfer.data, write_data, write_len);
    }
    int result = exchange_locked(fd, &transfer);
    int saved = errno;
    if (result == 0) {
        // Never trust the reply's length beyond what the caller's buffer holds.
        if (transfer.read_len > read_len) {
            transfer.read_len = (uint16_t)read_len;
        }
        if (transfer.read_len > 0 && read_data != NULL) {
            memcpy(read_data, transfer.data, transfer.read_len);
        }
        if (out_written != NULL) {
            *out_written = transfer.write_len;
        }
        if (out_read != NULL) {
            *out_read = transfer.read_len;
        }
    }
    pthread_mutex_unlock(&i2c_lock);
    errno = saved;
    return result;
}

ssize_t I2CMaster_Read(int fd, I2C_DeviceAddress address, uint8_t *buffer, size_t maxLength) {
    size_t got = 0;
    if (halstub_i2c_transfer(fd, false, address, NULL, 0, buffer, maxLength, NULL, &got) != 0) {
        return -1;
    }
    return (ssize_t)got;
}

ssize_t I2CMaster_Write(int fd, I2C_DeviceAddress address, const uint8_t *data, size_t length) {
    size_t sent = 0;
    if (halstub_i2c_transfer(fd, false, address, data, length, NULL, 0, &sent, NULL) != 0) {
        return -1;
    }
    return (ssize_t)sent;
}

ssize_t I2CMaster_WriteThenRead(int fd, I2C_DeviceAddress address, const uint8_t *writeData,
                                size_t lenWriteData, uint8_t *readData, size_t lenReadData) {
    size_t sent = 0;
    size_t got = 0;
    if (halstub_i2c_transfer(fd, false, address, writeData, lenWriteData, readData, lenReadData,
                             &sent, &got) != 0) {
        return -1;
    }
    return (ssize_t)(sent + got);
}
