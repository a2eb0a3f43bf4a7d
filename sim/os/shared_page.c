// SPDX-License-Identifier: MIT
// Pages the OS shares with its app; see shared_page.h.
#include "os/shared_page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

// Out of the way of the descriptors the app spawn arranges (0-9).
#define PAGE_FD_MIN 10

size_t sim_shared_page_size(void) {
    return (size_t)sysconf(_SC_PAGESIZE);
}

int sim_shared_page_create(struct sim_shared_page *out_page, const char *name, const char *what,
                           enum sim_shared_page_access access, char *err, size_t err_size) {
    *out_page = (struct sim_shared_page){.map = NULL, .fd = -1};
    size_t size = sim_shared_page_size();
    void *map = MAP_FAILED;
    bool sealed = access == SIM_SHARED_PAGE_APP_READS;
    int fd = memfd_create(name, MFD_CLOEXEC | (sealed ? MFD_ALLOW_SEALING : 0));
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
        snprintf(err, err_size, "cannot create the %s: %s", what, strerror(errno));
        goto fail;
    }
    map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        snprintf(err, err_size, "cannot map the %s: %s", what, strerror(errno));
        goto fail;
    }
    // F_SEAL_FUTURE_WRITE keeps this mapping writable and refuses every later writable one.
    if (sealed && fcntl(fd, F_ADD_SEALS,
                        F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_FUTURE_WRITE | F_SEAL_SEAL) != 0) {
        snprintf(err, err_size, "cannot seal the %s: %s", what, strerror(errno));
        goto fail;
    }
    int high_fd = fcntl(fd, F_DUPFD_CLOEXEC, PAGE_FD_MIN);
    if (high_fd < 0) {
        snprintf(err, err_size, "cannot move the %s: %s", what, strerror(errno));
        goto fail;
    }
    close(fd);
    *out_page = (struct sim_shared_page){.map = map, .fd = high_fd};
    return 0;
fail:
    if (map != MAP_FAILED) {
        munmap(map, size);
    }
    if (fd >= 0) {
        close(fd);
    }
    return -1;
}

void sim_shared_page_release(struct sim_shared_page *page) {
    if (page->map != NULL) {
        munmap(page->map, sim_shared_page_size());
    }
    if (page->fd >= 0) {
        close(page->fd);
    }
    *page = (struct sim_shared_page){.map = NULL, .fd = -1};
}
