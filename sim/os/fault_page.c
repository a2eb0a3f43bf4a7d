// SPDX-License-Identifier: MIT
// The shared fault page; see fault_page.h.
#include "os/fault_page.h"

#include "os/shared_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum sim_fault_page_result sim_fault_page_share(struct sim_fault_page *faults, char *err,
                                                size_t err_size) {
    struct sim_shared_page shared;
    if (sim_shared_page_create(&shared, "spheresim-device-faults", "device fault page",
                               SIM_SHARED_PAGE_APP_READS, err, err_size) != 0) {
        return SIM_FAULT_PAGE_ERR_SYSTEM;
    }
    struct devbus_fault_page *page = shared.map;
    page->magic = DEVBUS_FAULT_MAGIC;
    page->version = DEVBUS_FAULT_VERSION;
    __atomic_store_n(&page->storage_fault, (uint32_t)faults->storage, __ATOMIC_RELEASE);
    __atomic_store_n(&page->heap_limit_bytes, faults->heap_limit_bytes, __ATOMIC_RELEASE);
    __atomic_store_n(&page->memory_budget_bytes, faults->memory_budget_bytes, __ATOMIC_RELEASE);
    sim_fault_page_unshare(faults);
    faults->page = page;
    faults->fd = shared.fd;
    return SIM_FAULT_PAGE_OK;
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

void sim_fault_page_set_memory_budget(struct sim_fault_page *faults, uint64_t budget_bytes) {
    faults->memory_budget_bytes = budget_bytes;
    if (faults->page != NULL) {
        __atomic_store_n(&faults->page->memory_budget_bytes, budget_bytes, __ATOMIC_RELEASE);
    }
}

int sim_fault_page_fd(const struct sim_fault_page *faults) {
    return faults->page != NULL ? faults->fd : -1;
}

void sim_fault_page_unshare(struct sim_fault_page *faults) {
    if (faults->page == NULL) {
        return;
    }
    munmap(faults->page, sim_shared_page_size());
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
