// SPDX-License-Identifier: MIT
// POSIX read() and write() on an I2C descriptor, which the device turns into transfers to the
// target chosen with I2CMaster_SetDefaultTargetAddress (the SDK's I2C sample reads WHO_AM_I this
// way). The OS end of the channel cannot see a read(), so hal_stub defines read and write
// itself: a call on a descriptor that is an I2C channel becomes a transfer, and every other call
// goes to glibc, unless the mutable-storage fault says it must fail (storage_fault.c). The
// common path costs two atomic loads: only descriptors once opened as I2C take the full check.
//
// Like read(2) and write(2) on Linux's i2c-dev, a request larger than one transfer moves the
// first DEVBUS_I2C_MAX_TRANSFER bytes and returns that short count.
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "devbus.h"
#include "i2c_internal.h"
#include "peripheral_fds.h"
#include "storage_fault.h"

// glibc's own entry points, which its read and write symbols alias.
extern ssize_t __read(int fd, void *buf, size_t count);
extern ssize_t __write(int fd, const void *buf, size_t count);

#define TRACKED_FDS 1024
#define BITS_PER_WORD 64

// A bit per descriptor number ever opened as I2C; cleared never, because close() is not ours to
// see. A set bit only means "check properly".
static _Atomic uint64_t tracked[TRACKED_FDS / BITS_PER_WORD];
static atomic_bool tracked_high;  // some I2C descriptor was numbered TRACKED_FDS or above

void halstub_i2c_posix_track(int fd) {
    if (fd < 0) {
        return;
    }
    if (fd >= TRACKED_FDS) {
        atomic_store(&tracked_high, true);
        return;
    }
    atomic_fetch_or(&tracked[fd / BITS_PER_WORD], (uint64_t)1 << (fd % BITS_PER_WORD));
}

static bool is_i2c_channel(int fd) {
    if (fd < 0) {
        return false;
    }
    bool maybe = fd < TRACKED_FDS
                     ? (atomic_load_explicit(&tracked[fd / BITS_PER_WORD], memory_order_relaxed) >>
                        (fd % BITS_PER_WORD)) &
                           1u
                     : atomic_load_explicit(&tracked_high, memory_order_relaxed);
    return maybe && halstub_peripheral_fd_is(fd, HALSTUB_PERIPHERAL_I2C);
}

// Referenced by hal_stub's link options so this object is always linked in: read() and write()
// apply the storage faults too, in apps that never open I2C.
int halstub_posix_io_linked;

static size_t one_transfer(size_t count) {
    return count < DEVBUS_I2C_MAX_TRANSFER ? count : DEVBUS_I2C_MAX_TRANSFER;
}

ssize_t read(int fd, void *buf, size_t count) {
    if (!is_i2c_channel(fd)) {
        return halstub_storage_fault_fails_read(fd) ? -1 : __read(fd, buf, count);
    }
    size_t got = 0;
    if (halstub_i2c_transfer(fd, true, 0, NULL, 0, buf, one_transfer(count), NULL, &got) != 0) {
        return -1;
    }
    return (ssize_t)got;
}

ssize_t write(int fd, const void *buf, size_t count) {
    if (!is_i2c_channel(fd)) {
        return halstub_storage_fault_fails_write(fd, count) ? -1 : __write(fd, buf, count);
    }
    size_t sent = 0;
    if (halstub_i2c_transfer(fd, true, 0, buf, one_transfer(count), NULL, 0, &sent, NULL) != 0) {
        return -1;
    }
    return (ssize_t)sent;
}
