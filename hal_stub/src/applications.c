// SPDX-License-Identifier: MIT
// The function behind applications.h's memory figures. User-mode memory is the app's heap as
// counted by heap_accounting; the kernel's share is the page-table memory Linux attributes to
// the process (VmPTE), the closest host analogue of the kernel memory the device charges to an
// app.
#include <applibs/applications.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "heap_accounting.h"

static size_t kernel_kib(void) {
    FILE *status = fopen("/proc/self/status", "re");
    if (status == NULL) {
        return 0;
    }
    char line[128];
    unsigned long kib = 0;
    while (fgets(line, sizeof(line), status) != NULL) {
        if (sscanf(line, "VmPTE: %lu kB", &kib) == 1) {
            break;
        }
    }
    fclose(status);
    return kib;
}

size_t halstub_applications_memory_kb(int which) {
    switch (which) {
        case 0:
            return halstub_heap_in_use_bytes() / 1024 + kernel_kib();
        case 1:
            return halstub_heap_in_use_bytes() / 1024;
        case 2:
            return halstub_heap_peak_bytes() / 1024;
        default:
            errno = EINVAL;
            return 0;
    }
}
