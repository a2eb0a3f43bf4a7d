// SPDX-License-Identifier: MIT
// An in-memory stand-in for the app's mutable storage file, behind the telemetry queue's I/O
// table, that can lose power. A power cut is scheduled at the N-th write: that write lands
// only partly (the first B bytes, the last B bytes, or the first B bytes with the rest left
// erased to 0xFF, as a torn flash page can look), it and every later call fail with EIO, and
// the image is left exactly as it would be found on the next boot. Writes that completed are
// durable, which is what fsync guarantees for writes issued before it: the queue syncs after
// every write, so no write is ever outstanding across a sync.
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "telemetry_queue.h"

#define FAKE_STORAGE_CAPACITY 4096u

typedef enum {
    FakeStorage_Cut_Prefix,
    FakeStorage_Cut_Suffix,
    FakeStorage_Cut_PrefixErased,
} FakeStorage_CutMode;

typedef struct {
    uint8_t image[FAKE_STORAGE_CAPACITY];
    size_t fileSize;
} FakeStorage_Image;

typedef struct {
    FakeStorage_Image disk;
    /// Writes issued so far, the torn one included.
    int writes;
    int syncs;
    /// Index of the write that loses power, or -1.
    int cutAtWrite;
    size_t cutBytes;
    FakeStorage_CutMode cutMode;
    bool poweredOff;
    /// Length of each write issued, so a harness can enumerate cut points.
    size_t writeLengths[1024];
    /// When non-negative, the read with this index (counting from 0) fails with EIO.
    int failReadAt;
    int reads;
} FakeStorage;

static inline ssize_t FakeStorage_Read(const TelemetryQueue_Io *io, void *buffer, size_t length,
                                       off_t offset) {
    FakeStorage *storage = io->context;
    if (storage->poweredOff || storage->reads++ == storage->failReadAt) {
        errno = EIO;
        return -1;
    }
    if (offset < 0 || (size_t)offset >= storage->disk.fileSize) {
        return 0;
    }
    size_t available = storage->disk.fileSize - (size_t)offset;
    size_t n = length < available ? length : available;
    memcpy(buffer, storage->disk.image + offset, n);
    return (ssize_t)n;
}

static inline void FakeStorage_Put(FakeStorage *storage, size_t offset, const uint8_t *bytes,
                                   size_t length) {
    if (offset > storage->disk.fileSize) {
        memset(storage->disk.image + storage->disk.fileSize, 0, offset - storage->disk.fileSize);
    }
    memcpy(storage->disk.image + offset, bytes, length);
    if (offset + length > storage->disk.fileSize) {
        storage->disk.fileSize = offset + length;
    }
}

static inline ssize_t FakeStorage_Write(const TelemetryQueue_Io *io, const void *buffer,
                                        size_t length, off_t offset) {
    FakeStorage *storage = io->context;
    const uint8_t *bytes = buffer;
    if (storage->poweredOff) {
        errno = EIO;
        return -1;
    }
    if (offset < 0 || (size_t)offset + length > FAKE_STORAGE_CAPACITY) {
        errno = EDQUOT;
        return -1;
    }
    int index = storage->writes++;
    if ((size_t)index < sizeof(storage->writeLengths) / sizeof(storage->writeLengths[0])) {
        storage->writeLengths[index] = length;
    }
    if (index != storage->cutAtWrite) {
        FakeStorage_Put(storage, (size_t)offset, bytes, length);
        return (ssize_t)length;
    }

    size_t landed = storage->cutBytes < length ? storage->cutBytes : length;
    switch (storage->cutMode) {
        case FakeStorage_Cut_Prefix:
            FakeStorage_Put(storage, (size_t)offset, bytes, landed);
            break;
        case FakeStorage_Cut_Suffix:
            FakeStorage_Put(storage, (size_t)offset + length - landed, bytes + length - landed,
                            landed);
            break;
        case FakeStorage_Cut_PrefixErased: {
            uint8_t erased[FAKE_STORAGE_CAPACITY];
            memcpy(erased, bytes, landed);
            memset(erased + landed, 0xFF, length - landed);
            FakeStorage_Put(storage, (size_t)offset, erased, length);
            break;
        }
    }
    storage->poweredOff = true;
    errno = EIO;
    return -1;
}

static inline int FakeStorage_Sync(const TelemetryQueue_Io *io) {
    FakeStorage *storage = io->context;
    if (storage->poweredOff) {
        errno = EIO;
        return -1;
    }
    storage->syncs++;
    return 0;
}

/// Powers the storage on with the given image (NULL: empty) and no cut scheduled, and fills
/// *io to reach it.
static inline void FakeStorage_Boot(FakeStorage *storage, const FakeStorage_Image *image,
                                    TelemetryQueue_Io *io) {
    if (image != NULL) {
        if (image != &storage->disk) {
            storage->disk = *image;
        }
    } else {
        memset(&storage->disk, 0, sizeof(storage->disk));
    }
    storage->writes = 0;
    storage->syncs = 0;
    storage->cutAtWrite = -1;
    storage->cutBytes = 0;
    storage->cutMode = FakeStorage_Cut_Prefix;
    storage->poweredOff = false;
    storage->failReadAt = -1;
    storage->reads = 0;
    memset(io, 0, sizeof(*io));
    io->read = FakeStorage_Read;
    io->write = FakeStorage_Write;
    io->sync = FakeStorage_Sync;
    io->context = storage;
}
