// SPDX-License-Identifier: MIT
// Maps the app stats page read-write; see app_stats_view.h. As with the fault page
// (fault_page_view.c), the descriptor comes from the environment the OS spawned the app with, is
// checked to be a file at least a page long, and is closed once mapped; a page without the
// expected magic and version is left alone.
#include "app_stats_view.h"

#include <sys/mman.h>

#include "inherited_page.h"

static struct devbus_app_stats_page *stats_page;

void halstub_app_stats_map(void) {
    if (__atomic_load_n(&stats_page, __ATOMIC_ACQUIRE) != NULL) {
        return;
    }
    struct devbus_app_stats_page *page = halstub_map_inherited_page(
        DEVBUS_STATS_FD_ENV, PROT_READ | PROT_WRITE, DEVBUS_STATS_MAGIC, DEVBUS_STATS_VERSION);
    if (page != NULL) {
        __atomic_store_n(&stats_page, page, __ATOMIC_RELEASE);
    }
}

__attribute__((constructor)) static void app_stats_view_init(void) {
    halstub_app_stats_map();
}

struct devbus_app_stats_page *halstub_app_stats_page(void) {
    return __atomic_load_n(&stats_page, __ATOMIC_ACQUIRE);
}

void halstub_app_stats_publish(uint64_t in_use_bytes, uint64_t peak_bytes) {
    struct devbus_app_stats_page *page = halstub_app_stats_page();
    if (page == NULL) {
        return;
    }
    // Relaxed: the OS reads a snapshot for display; a figure a moment old is fine.
    __atomic_store_n(&page->heap_in_use_bytes, in_use_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&page->heap_peak_bytes, peak_bytes, __ATOMIC_RELAXED);
}

void halstub_app_stats_mark_budget_exceeded(uint64_t request_bytes, uint64_t budget_bytes) {
    struct devbus_app_stats_page *page = halstub_app_stats_page();
    if (page == NULL) {
        return;
    }
    __atomic_store_n(&page->budget_request_bytes, request_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&page->budget_bytes, budget_bytes, __ATOMIC_RELAXED);
    // Last, with release: whoever sees the flag sees the figures above.
    __atomic_store_n(&page->budget_exceeded, 1u, __ATOMIC_RELEASE);
}
