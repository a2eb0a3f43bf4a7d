// SPDX-License-Identifier: MIT
// Mutable-storage faults on the app's side. The OS hands the app a real descriptor to its storage
// file, so a full or failing flash cannot be simulated by the OS refusing anything: instead the
// OS shares a read-only fault page (devbus.h, struct devbus_fault_page; fault_page_view.c maps
// it) and hal_stub defines the positioned and vectored I/O calls an app makes on that descriptor
// (pread, pwrite, readv, writev, fsync, fdatasync, ftruncate). Plain read() and write() are not
// covered: i2c_posix.c already defines those for I2C descriptors, and mutable storage is a file
// to pread and pwrite.
// While the page says FULL, writes to the storage file fail with ENOSPC; while it says EIO, reads,
// writes and syncs fail with EIO. Every other descriptor, and the storage file while no fault is
// set, goes straight to libc at the cost of one atomic load.
//
// The storage file is recognised by device and inode (noted when Storage_OpenMutableFile gets
// it), so a dup() of it or a descriptor opened before the fault is covered too, and a descriptor
// number reused after close() is not mistaken for it. These definitions bind only the app's own
// calls; shared libraries (libmosquitto, libcurl) never touch mutable storage.
#undef _FILE_OFFSET_BITS  // pread and pread64 (and the others) are defined separately below
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devbus.h"
#include "fault_page_view.h"
#include "storage_fault.h"

static uint64_t storage_dev;
static uint64_t storage_ino;
static bool storage_known;

void halstub_storage_fault_note(int fd) {
    halstub_fault_page_map();
    struct stat st;
    if (fstat(fd, &st) != 0) {
        return;
    }
    __atomic_store_n(&storage_dev, (uint64_t)st.st_dev, __ATOMIC_RELAXED);
    __atomic_store_n(&storage_ino, (uint64_t)st.st_ino, __ATOMIC_RELAXED);
    __atomic_store_n(&storage_known, true, __ATOMIC_RELEASE);
}

// The fault that applies to I/O on fd: OK unless a fault is set and fd is the storage file.
static enum devbus_storage_fault fault_for(int fd) {
    const struct devbus_fault_page *page = halstub_fault_page();
    if (page == NULL || !__atomic_load_n(&storage_known, __ATOMIC_ACQUIRE)) {
        return DEVBUS_STORAGE_OK;
    }
    uint32_t fault = __atomic_load_n(&page->storage_fault, __ATOMIC_ACQUIRE);
    if (fault == DEVBUS_STORAGE_OK) {
        return DEVBUS_STORAGE_OK;
    }
    struct stat st;
    int saved = errno;
    bool is_storage = fstat(fd, &st) == 0 &&
                      (uint64_t)st.st_dev == __atomic_load_n(&storage_dev, __ATOMIC_RELAXED) &&
                      (uint64_t)st.st_ino == __atomic_load_n(&storage_ino, __ATOMIC_RELAXED);
    errno = saved;
    return is_storage ? (enum devbus_storage_fault)fault : DEVBUS_STORAGE_OK;
}

// Fails a read or sync: only EIO does.
bool halstub_storage_fault_fails_read(int fd) {
    if (fault_for(fd) == DEVBUS_STORAGE_EIO) {
        errno = EIO;
        return true;
    }
    return false;
}

// Fails a write: ENOSPC when full, EIO when failing. A zero-length write changes nothing and
// is left alone, as a full file system leaves it.
bool halstub_storage_fault_fails_write(int fd, size_t length) {
    enum devbus_storage_fault fault = length > 0 ? fault_for(fd) : DEVBUS_STORAGE_OK;
    if (fault == DEVBUS_STORAGE_OK) {
        return false;
    }
    errno = fault == DEVBUS_STORAGE_FULL ? ENOSPC : EIO;
    return true;
}

static size_t iov_length(const struct iovec *iov, int count) {
    size_t total = 0;
    for (int i = 0; iov != NULL && i < count; i++) {
        total += iov[i].iov_len;
    }
    return total;
}

// libc's definition of name, looked up once (the next one after the app's own).
static void *next_symbol(void **cache, const char *name) {
    void *fn = __atomic_load_n(cache, __ATOMIC_ACQUIRE);
    if (fn == NULL) {
        fn = dlsym(RTLD_NEXT, name);
        __atomic_store_n(cache, fn, __ATOMIC_RELEASE);
    }
    return fn;
}

// Calls libc's function, or the system call itself if libc's could not be found.
#define CALL_NEXT(type, name, sysno, ...)      \
    do {                                       \
        static void *cache;                    \
        void *fn = next_symbol(&cache, #name); \
        if (fn != NULL) {                      \
            type next;                         \
            memcpy(&next, &fn, sizeof(next));  \
            return next(__VA_ARGS__);          \
        }                                      \
        return syscall(sysno, __VA_ARGS__);    \
    } while (0)

typedef ssize_t (*pread_fn)(int, void *, size_t, off_t);
typedef ssize_t (*pwrite_fn)(int, const void *, size_t, off_t);
typedef ssize_t (*readv_fn)(int, const struct iovec *, int);
typedef int (*fd_fn)(int);
typedef int (*truncate_fn)(int, off_t);

ssize_t pread(int fd, void *buf, size_t count, off_t offset) {
    if (halstub_storage_fault_fails_read(fd)) {
        return -1;
    }
    CALL_NEXT(pread_fn, pread, SYS_pread64, fd, buf, count, offset);
}

ssize_t pread64(int fd, void *buf, size_t count, off64_t offset) {
    if (halstub_storage_fault_fails_read(fd)) {
        return -1;
    }
    CALL_NEXT(pread_fn, pread64, SYS_pread64, fd, buf, count, offset);
}

ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset) {
    if (halstub_storage_fault_fails_write(fd, count)) {
        return -1;
    }
    CALL_NEXT(pwrite_fn, pwrite, SYS_pwrite64, fd, buf, count, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset) {
    if (halstub_storage_fault_fails_write(fd, count)) {
        return -1;
    }
    CALL_NEXT(pwrite_fn, pwrite64, SYS_pwrite64, fd, buf, count, offset);
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt) {
    if (halstub_storage_fault_fails_read(fd)) {
        return -1;
    }
    CALL_NEXT(readv_fn, readv, SYS_readv, fd, iov, iovcnt);
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt) {
    if (halstub_storage_fault_fails_write(fd, iov_length(iov, iovcnt))) {
        return -1;
    }
    CALL_NEXT(readv_fn, writev, SYS_writev, fd, iov, iovcnt);
}

// A full flash still syncs (nothing new reached it); a failing one does not.
int fsync(int fd) {
    if (halstub_storage_fault_fails_read(fd)) {
        return -1;
    }
    CALL_NEXT(fd_fn, fsync, SYS_fsync, fd);
}

int fdatasync(int fd) {
    if (halstub_storage_fault_fails_read(fd)) {
        return -1;
    }
    CALL_NEXT(fd_fn, fdatasync, SYS_fdatasync, fd);
}

// Growing the file needs space; shrinking it frees space, so only a failing flash refuses that.
static bool fail_truncate(int fd, off_t length) {
    enum devbus_storage_fault fault = fault_for(fd);
    struct stat st;
    if (fault == DEVBUS_STORAGE_FULL && (fstat(fd, &st) != 0 || length <= st.st_size)) {
        fault = DEVBUS_STORAGE_OK;
    }
    if (fault == DEVBUS_STORAGE_OK) {
        return false;
    }
    errno = fault == DEVBUS_STORAGE_FULL ? ENOSPC : EIO;
    return true;
}

int ftruncate(int fd, off_t length) {
    if (fail_truncate(fd, length)) {
        return -1;
    }
    CALL_NEXT(truncate_fn, ftruncate, SYS_ftruncate, fd, length);
}

int ftruncate64(int fd, off64_t length) {
    if (fail_truncate(fd, length)) {
        return -1;
    }
    CALL_NEXT(truncate_fn, ftruncate64, SYS_ftruncate, fd, length);
}
