// SPDX-License-Identifier: MIT
// The app's read-only view of the OS's fault page (devbus.h, struct devbus_fault_page): the
// storage fault (storage_fault.c) and the heap limit (heap_accounting.c) are read from it.
#pragma once

#include "devbus.h"

// Maps the page the OS named in the environment (DEVBUS_FAULT_FD_ENV), once; later calls find it
// mapped. Runs before main by itself; call it again where the page is needed and the environment
// may have been set after start-up (the OS's own tests do that). Never call it from the
// allocator: it touches the environment, whose lock the allocator may be called under.
void halstub_fault_page_map(void);

// The mapped page, or NULL when the OS shared none (or it was not valid). One atomic load, no
// allocation and no system call, so the allocator may call it.
const struct devbus_fault_page *halstub_fault_page(void);
