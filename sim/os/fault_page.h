// SPDX-License-Identifier: MIT
// The page of faults the app's side applies (devbus.h, struct devbus_fault_page): today the
// mutable-storage fault. The OS gives the app a real descriptor to its storage file, so it cannot
// fail the app's pwrite() itself; hal_stub reads this page and fails I/O on that file as a full
// or failing flash would. The page is a sealed memfd: the OS writes, the app can only read.
#pragma once

#include <stddef.h>

#include "devbus.h"

struct sim_fault_page {
    struct devbus_fault_page *page;     // NULL until shared
    int fd;                             // valid only while page is set
    enum devbus_storage_fault storage;  // kept here too, so an unshared page still reports it
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

// The descriptor to pass to the app, or -1 when not shared.
int sim_fault_page_fd(const struct sim_fault_page *faults);

// Unmaps and closes the page.
void sim_fault_page_unshare(struct sim_fault_page *faults);

// "none", "full" or "eio".
const char *sim_fault_page_storage_name(enum devbus_storage_fault fault);
