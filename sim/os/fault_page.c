// SPDX-License-Identifier: MIT
// The shared fault page; see fault_page.h.
#include "os/fault_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// Out of the way of the descriptors the app spawn arranges (0-9).
#define PAGE_FD_MIN 10

enum sim_fault_page_result sim_fault_page_share(struct sim_fault_page *faults, char *err,
                                                size_t err_size) {
    enum sim_fault_page_result result = SIM_FAULT_PAGE_ERR_SYSTEM;
    size_t size = (size_t)sysconf(_SC_PAGESIZE);
    void *map = MAP_FAILED;
    int fd = memfd_create("spheresim-device-faults", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, err_size, "cannot create the device fault page: %s", strerror(errno));
        goto out;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(err, err_size, "cannot map the device fault page: %s", strerror(errno));
        goto out;
    }
    // Only this mapping may write: the app can map the page to read, never to change it.
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) !=
        0) {
        snprintf(err, err_size, "cannot seal the device fault page: %s", strerror(errno));
        goto out;
    }
    int high_fd = fcntl(fd, F_DUPFD_CLOEXEC, PAGE_FD_MIN);
    if (high_fd < 0) {
        snprintf(err, err_size, "cannot move the device fault page: %s", strerror(errno));
        goto out;
    }
    close(fd);
    fd = high_fd;
    struct devbus_fault_page *page = map;
    page->magic = DEVBUS_FAULT_MAGIC;
    page->version = DEVBUS_FAULT_VERSION;
    __atomic_store_n(&page->storage_fault, (uint32_t)faults->storage, __ATOMIC_RELEASE);
    __atomic_store_n(&page->heap_limit_bytes, faults->heap_limit_bytes, __ATOMIC_RELEASE);
    sim_fault_page_unshare(faults);
    faults->page = page;
    faults->fd = fd;
    map = MAP_FAILED;
    fd = -1;
    result = SIM_FAULT_PAGE_OK;
out:
    if (map != MAP_FAILED) {
        munmap(map, size);
    }
    if (fd >= 0) {
        close(fd);
    }
    return result;
}

void sim_fault_page_set_storage(struct sim_fault_page *faults, enum devbus_storage_fault fault) {
    faults->storage = fault;
    if (faults->page != NULL) {
        __atomic_store_n(&faults->page->storage_fault, (uint32_t)fault, __ATOMIC_RELEASE);
    }
}

void sim_fault_page_set_heap_limit(struct sim_fault_page *faults, uint64_t limit_bytes) {
    faults->heap_limit_bytes = limit_bytes;
    if (faults->page != NULL) {
        __atomic_store_n(&faults->page->heap_limit_bytes, limit_bytes, __ATOMIC_RELEASE);
    }
}

int sim_fault_page_fd(const struct sim_fault_page *faults) {
    return faults->page != NULL ? faults->fd : -1;
}

void sim_fault_page_unshare(struct sim_fault_page *faults) {
    if (faults->page == NULL) {
        return;
    }
    munmap(faults->page, (size_t)sysconf(_SC_PAGESIZE));
    close(faults->fd);
    faults->page = NULL;
    faults->fd = -1;
}

const char *sim_fault_page_storage_name(enum devbus_storage_fault fault) {
    switch (fault) {
        case DEVBUS_STORAGE_FULL:
            return "full";
        case DEVBUS_STORAGE_EIO:
            return "eio";
        default:
            return "none";
    }
}
