// SPDX-License-Identifier: MIT
// Maps the OS's fault page read-only; see fault_page_view.h. The descriptor comes from the
// environment the OS spawned the app with, is checked to be a file at least a page long, and is
// closed once mapped; a page without the expected magic and version is ignored.
#include "fault_page_view.h"

#include <sys/mman.h>

#include "inherited_page.h"

static const struct devbus_fault_page *fault_page;

void halstub_fault_page_map(void) {
    if (__atomic_load_n(&fault_page, __ATOMIC_ACQUIRE) != NULL) {
        return;
    }
    const struct devbus_fault_page *page = halstub_map_inherited_page(
        DEVBUS_FAULT_FD_ENV, PROT_READ, DEVBUS_FAULT_MAGIC, DEVBUS_FAULT_VERSION);
    if (page != NULL) {
        __atomic_store_n(&fault_page, page, __ATOMIC_RELEASE);
    }
}

// Runs before main, while the descriptor the OS passed is certainly still the page.
__attribute__((constructor)) static void fault_page_view_init(void) {
    halstub_fault_page_map();
}

const struct devbus_fault_page *halstub_fault_page(void) {
    return __atomic_load_n(&fault_page, __ATOMIC_ACQUIRE);
}
