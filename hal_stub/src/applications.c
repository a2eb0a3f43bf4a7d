// SPDX-License-Identifier: MIT
// The functions behind applications.h: the OS version, which the OS answers over the bus, and
// the memory figures. User-mode memory is the app's heap as counted by heap_accounting; the
// kernel's share is the page-table memory Linux attributes to the process (VmPTE), the closest
// host analogue of the kernel memory the device charges to an app.
#include <applibs/applications.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus_client.h"
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

int halstub_applications_os_version(Applications_OsVersion *outVersion) {
    if (outVersion == NULL) {
        errno = EFAULT;
        return -1;
    }
    struct devbus_msg reply;
    if (halstub_bus_call(DEVBUS_OP_OS_VERSION, NULL, NULL, 0, &reply, NULL) < 0) {
        return -1;
    }
    size_t len =
        reply.len < sizeof(outVersion->version) - 1 ? reply.len : sizeof(outVersion->version) - 1;
    memset(outVersion->version, 0, sizeof(outVersion->version));
    memcpy(outVersion->version, reply.data, len);
    return 0;
}
