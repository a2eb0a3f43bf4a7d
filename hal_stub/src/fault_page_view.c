// SPDX-License-Identifier: MIT
// Maps the OS's fault page read-only; see fault_page_view.h. The descriptor comes from the
// environment the OS spawned the app with, is checked to be a file at least a page long, and is
// closed once mapped; a page without the expected magic and version is ignored.
#include "fault_page_view.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct devbus_fault_page *fault_page;

void halstub_fault_page_map(void) {
    if (__atomic_load_n(&fault_page, __ATOMIC_ACQUIRE) != NULL) {
        return;
    }
    const char *text = getenv(DEVBUS_FAULT_FD_ENV);
    if (text == NULL) {
        return;
    }
    char *end = NULL;
    long fd = strtol(text, &end, 10);
    // Handed over once: a program this app starts does not inherit the descriptor.
    unsetenv(DEVBUS_FAULT_FD_ENV);
    long page_size = sysconf(_SC_PAGESIZE);
    struct stat st;
    if (end == text || *end != '\0' || fd < 0 || fd > 65535 || page_size <= 0 ||
        fstat((int)fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < page_size) {
        return;
    }
    void *map = mmap(NULL, (size_t)page_size, PROT_READ, MAP_SHARED, (int)fd, 0);
    close((int)fd);
    if (map == MAP_FAILED) {
        return;
    }
    const struct devbus_fault_page *page = map;
    if (page->magic != DEVBUS_FAULT_MAGIC || page->version != DEVBUS_FAULT_VERSION) {
        munmap(map, (size_t)page_size);
        return;
    }
    __atomic_store_n(&fault_page, page, __ATOMIC_RELEASE);
}

// Runs before main, while the descriptor the OS passed is certainly still the page.
__attribute__((constructor)) static void fault_page_view_init(void) {
    halstub_fault_page_map();
}

const struct devbus_fault_page *halstub_fault_page(void) {
    return __atomic_load_n(&fault_page, __ATOMIC_ACQUIRE);
}
