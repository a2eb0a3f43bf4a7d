// SPDX-License-Identifier: MIT
// Maps a page the OS shared; see inherited_page.h.
#include "inherited_page.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void *halstub_map_inherited_page(const char *env_name, int prot, uint32_t magic, uint32_t version) {
    const char *text = getenv(env_name);
    if (text == NULL) {
        return NULL;
    }
    char *end = NULL;
    long fd = strtol(text, &end, 10);
    unsetenv(env_name);
    if (end == text || *end != '\0' || fd < 0 || fd > 65535) {
        return NULL;
    }
    long page_size = sysconf(_SC_PAGESIZE);
    struct stat st;
    if (page_size <= 0 || fstat((int)fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < page_size) {
        return NULL;
    }
    void *map = mmap(NULL, (size_t)page_size, prot, MAP_SHARED, (int)fd, 0);
    close((int)fd);
    if (map == MAP_FAILED) {
        return NULL;
    }
    const uint32_t *header = map;
    if (__atomic_load_n(&header[0], __ATOMIC_RELAXED) != magic ||
        __atomic_load_n(&header[1], __ATOMIC_RELAXED) != version) {
        munmap(map, (size_t)page_size);
        return NULL;
    }
    return map;
}
