// SPDX-License-Identifier: MIT
// The record is {magic, state, exit code, check} at STORAGE_LAYOUT_BOOT_REASON_OFFSET, native
// byte order (the file never leaves the device). The check word makes a torn write read as
// "unexpected", which is what it was.

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>

#include "boot_reason.h"
#include "storage_layout.h"

// "BRN1": boot reason, record layout 1.
#define BOOT_REASON_MAGIC 0x314E5242u
#define STATE_RUNNING 0u

typedef struct {
    uint32_t magic;
    uint32_t state;
    int32_t exitCode;
    uint32_t check;
} Record;

static uint32_t Check(const Record *record) {
    return record->magic ^ (record->state * 2654435761u) ^ ((uint32_t)record->exitCode << 7) ^
           0xA5A5A5A5u;
}

static bool Write(int fd, uint32_t state, int exitCode) {
    Record record = {.magic = BOOT_REASON_MAGIC, .state = state, .exitCode = exitCode};
    record.check = Check(&record);
    if (pwrite(fd, &record, sizeof(record), STORAGE_LAYOUT_BOOT_REASON_OFFSET) !=
        (ssize_t)sizeof(record)) {
        return false;
    }
    return fsync(fd) == 0;
}

static void Describe(const Record *record, ssize_t bytesRead, char *description, size_t size) {
    if (bytesRead <= 0) {
        snprintf(description, size, "firstStart");
    } else if (bytesRead != (ssize_t)sizeof(*record) || record->magic != BOOT_REASON_MAGIC ||
               record->check != Check(record) || record->state == STATE_RUNNING) {
        snprintf(description, size, "unexpectedStop");
    } else if (record->state == BootReason_RebootRequested) {
        snprintf(description, size, "rebootRequested");
    } else if (record->state == BootReason_StoppedByOs) {
        snprintf(description, size, "stoppedByOs");
    } else if (record->state == BootReason_Failure) {
        snprintf(description, size, "exitCode:%d", (int)record->exitCode);
    } else {
        snprintf(description, size, "unexpectedStop");
    }
}

ExitCode BootReason_Initialise(char *description, size_t size) {
    int fd = Storage_OpenMutableFile();
    if (fd == -1) {
        Log_Debug("ERROR: boot reason: cannot open mutable storage: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_BootReason_Open;
    }
    // Failing storage (full, or I/O errors) costs only this diagnostic, never the app's job.
    Record record;
    memset(&record, 0, sizeof(record));
    ssize_t bytesRead = pread(fd, &record, sizeof(record), STORAGE_LAYOUT_BOOT_REASON_OFFSET);
    if (bytesRead < 0) {
        Log_Debug("ERROR: boot reason: cannot read: %s (%d).\n", strerror(errno), errno);
        snprintf(description, size, "unknown");
    } else {
        Describe(&record, bytesRead, description, size);
        if (!Write(fd, STATE_RUNNING, 0)) {
            Log_Debug("ERROR: boot reason: cannot write: %s (%d).\n", strerror(errno), errno);
        }
    }
    close(fd);
    return ExitCode_Success;
}

void BootReason_Record(BootReason reason, int exitCode) {
    int fd = Storage_OpenMutableFile();
    if (fd == -1 || !Write(fd, (uint32_t)reason, exitCode)) {
        Log_Debug("ERROR: boot reason: cannot record how the app ends: %s (%d).\n", strerror(errno),
                  errno);
    }
    if (fd != -1) {
        close(fd);
    }
}
