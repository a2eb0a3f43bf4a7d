// SPDX-License-Identifier: MIT
// The boot counter record lives at offset 0 of the mutable storage file: a magic number, so a
// file written by something else is not mistaken for a count, followed by the count. Both are
// in the device's native byte order; the file never leaves the device.

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>

#include "boot_counter.h"
#include "exitcodes.h"

// "BCN1": boot counter, record layout 1.
#define BOOT_COUNTER_MAGIC 0x314E4342u

typedef struct {
    uint32_t magic;
    uint32_t count;
} BootCounterRecord;

static ExitCode ReadCount(int fd, uint32_t *outCount);
static ExitCode WriteCount(int fd, uint32_t count);

static ExitCode ReadCount(int fd, uint32_t *outCount) {
    BootCounterRecord record;
    ssize_t bytesRead = pread(fd, &record, sizeof(record), 0);
    if (bytesRead == -1) {
        Log_Debug("ERROR: Could not read the boot counter: %s (%d).\n", strerror(errno), errno);
        return ExitCode_BootCounter_Read;
    }

    if (bytesRead == 0) {
        // A new device, or storage that was deleted: this is the first boot.
        *outCount = 0;
        return ExitCode_Success;
    }

    if (bytesRead != (ssize_t)sizeof(record) || record.magic != BOOT_COUNTER_MAGIC) {
        // Losing the count is better than refusing to start: the app's real job does not
        // depend on it.
        Log_Debug("WARNING: Boot counter record is not valid (%zd bytes); counting from 0.\n",
                  bytesRead);
        *outCount = 0;
        return ExitCode_Success;
    }

    *outCount = record.count;
    return ExitCode_Success;
}

static ExitCode WriteCount(int fd, uint32_t count) {
    const BootCounterRecord record = {.magic = BOOT_COUNTER_MAGIC, .count = count};
    ssize_t bytesWritten = pwrite(fd, &record, sizeof(record), 0);
    if (bytesWritten != (ssize_t)sizeof(record)) {
        if (bytesWritten >= 0) {
            // A short write leaves a torn record; report it like a full storage.
            errno = ENOSPC;
        }
        Log_Debug("ERROR: Could not write the boot counter: %s (%d).\n", strerror(errno), errno);
        return ExitCode_BootCounter_Write;
    }

    // Without fsync a power loss right after boot could bring back the previous count.
    if (fsync(fd) != 0) {
        Log_Debug("ERROR: Could not sync the boot counter: %s (%d).\n", strerror(errno), errno);
        return ExitCode_BootCounter_Sync;
    }
    return ExitCode_Success;
}

ExitCode BootCounter_Increment(uint32_t *outBootCount) {
    int fd = Storage_OpenMutableFile();
    if (fd == -1) {
        Log_Debug("ERROR: Could not open mutable storage: %s (%d).\n", strerror(errno), errno);
        return ExitCode_BootCounter_Open;
    }

    uint32_t count = 0;
    ExitCode result = ReadCount(fd, &count);
    if (result == ExitCode_Success) {
        count++;
        result = WriteCount(fd, count);
    }

    // Close right away: Storage_DeleteMutableFile and app updates expect no open descriptors.
    if (close(fd) != 0) {
        Log_Debug("ERROR: Could not close mutable storage: %s (%d).\n", strerror(errno), errno);
    }

    if (result != ExitCode_Success) {
        // Failing storage (full, or I/O errors) must not stop the app from doing its job; the
        // count is only for diagnostics. The exit code says where it failed.
        Log_Debug(
            "WARNING: the boot count is not kept while storage fails (exit code %d "
            "avoided).\n",
            (int)result);
    }
    *outBootCount = count;
    return ExitCode_Success;
}
