// SPDX-License-Identifier: MIT
// The rule of the OS's heap limit (the memory_pressure fault), apart from the allocator that
// applies it (heap_accounting.c) so that it can be tested on its own.
#pragma once

#include <stdbool.h>
#include <stdint.h>

// Whether an allocation of request bytes may go ahead while the app holds in_use bytes, under
// limit (0: no limit). It may unless it would take the bytes in use past the limit; a limit
// already below what the app holds refuses everything.
static inline bool halstub_heap_limit_allows(uint64_t limit, uint64_t in_use, uint64_t request) {
    if (limit == 0) {
        return true;
    }
    // Written so that nothing overflows, whatever the operands.
    return request <= limit && in_use <= limit - request;
}
