// SPDX-License-Identifier: MIT
// One page of memory the OS shares with its app (the device clock, the fault page, the app stats
// page): a memfd, mapped read-write in the OS, whose descriptor the app spawn passes on and the
// app maps itself. A read-only page is sealed so that only the OS's mapping can ever write it;
// a page the app reports through is left writable.
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum sim_shared_page_access {
    SIM_SHARED_PAGE_APP_READS,   // sealed: the app can map it to read, never to change it
    SIM_SHARED_PAGE_APP_WRITES,  // the app writes, the OS reads
};

struct sim_shared_page {
    void *map;  // NULL until created
    int fd;     // close-on-exec, numbered 10 or above; -1 when closed
};

// Creates a zeroed page called name (a memfd name, for /proc). Returns 0, or -1 with a reason
// naming what (e.g. "device clock page") in err; *out_page is then empty.
int sim_shared_page_create(struct sim_shared_page *out_page, const char *name, const char *what,
                           enum sim_shared_page_access access, char *err, size_t err_size);

// The page's size in bytes.
size_t sim_shared_page_size(void);

// Unmaps the page and closes its descriptor; an empty page is left alone.
void sim_shared_page_release(struct sim_shared_page *page);
