// SPDX-License-Identifier: MIT
// The page of faults the app's side applies (devbus.h, struct devbus_fault_page): the
// mutable-storage fault and the heap limit. The OS gives the app a real descriptor to its storage
// file, so it cannot fail the app's pwrite() itself, and the app's allocator runs in the app's
// process; hal_stub reads this page and fails I/O on that file as a full or failing flash would,
// and allocations past the limit as an app near its RAM limit sees them. The page also carries
// the app's memory budget, past which hal_stub kills the app (app_stats.h). The page is a sealed
// memfd: the OS writes, the app can only read.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "devbus.h"

// Under AddressSanitizer the sanitizer owns the app's allocator (hal_stub's heap_accounting.c
// steps aside), so nothing can fail the app's allocations: the OS refuses a heap limit there, and
// the scenario runner skips a memory_pressure step, each with this reason. The OS and the app are
// built together, so the OS's own build tells which allocator the app has.
#if defined(__SANITIZE_ADDRESS__)
#define SIM_HEAP_LIMIT_SUPPORTED 0
#else
#define SIM_HEAP_LIMIT_SUPPORTED 1
#endif
#define SIM_HEAP_LIMIT_UNSUPPORTED_REASON                                                     \
    "this is an AddressSanitizer build: the sanitizer owns the app's allocator, so hal_stub " \
    "cannot fail its allocations"
// The largest heap limit the OS takes, as the scenario parameter's range.
#define SIM_HEAP_LIMIT_MAX (1ull << 30)

struct sim_fault_page {
    struct devbus_fault_page *page;     // NULL until shared
    int fd;                             // valid only while page is set
    enum devbus_storage_fault storage;  // kept here too, so an unshared page still reports it
    uint64_t heap_limit_bytes;          // likewise; 0: no limit
    uint64_t memory_budget_bytes;       // likewise; 0: no budget (app_stats.h)
};

enum sim_fault_page_result {
    SIM_FAULT_PAGE_OK = 0,
    SIM_FAULT_PAGE_ERR_SYSTEM,  // the memfd could not be made (reason in err)
};

// Creates the page (descriptor close-on-exec, numbered 10 or above, for the app spawn to pass
// on) and publishes the current faults to it.
enum sim_fault_page_result sim_fault_page_share(struct sim_fault_page *faults, char *err,
                                                size_t err_size);

// Sets the storage fault; the app sees it on its next storage I/O.
void sim_fault_page_set_storage(struct sim_fault_page *faults, enum devbus_storage_fault fault);

// Sets the app's heap limit in bytes (0: none); the app's next allocation obeys it.
void sim_fault_page_set_heap_limit(struct sim_fault_page *faults, uint64_t limit_bytes);

// Sets the app's memory budget in bytes (0: none); an allocation past it kills the app.
void sim_fault_page_set_memory_budget(struct sim_fault_page *faults, uint64_t budget_bytes);

// The descriptor to pass to the app, or -1 when not shared.
int sim_fault_page_fd(const struct sim_fault_page *faults);

// Unmaps and closes the page.
void sim_fault_page_unshare(struct sim_fault_page *faults);

// "none", "full" or "eio".
const char *sim_fault_page_storage_name(enum devbus_storage_fault fault);
