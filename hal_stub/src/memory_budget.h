// SPDX-License-Identifier: MIT
// What the app's allocator does with one allocation, given the OS's heap limit (the
// memory_pressure fault: past it allocations fail) and the app's memory budget (the device's RAM
// limit: past it the OS kills the app). Apart from the allocator (heap_accounting.c) so that it
// can be tested on its own.
#pragma once

#include <stdint.h>

#include "heap_limit.h"

enum halstub_heap_verdict {
    HALSTUB_HEAP_ALLOW = 0,
    HALSTUB_HEAP_REFUSE,  // the heap limit says no: the allocation fails with ENOMEM
    HALSTUB_HEAP_KILL,    // the budget is exceeded: the app dies with SIGKILL
};

// The verdict on an allocation of request bytes while the app holds in_use bytes; limit and
// budget are 0 when not set. The limit is judged first: an allocation it refuses takes nothing,
// so it cannot take the heap past the budget.
static inline enum halstub_heap_verdict halstub_heap_judge(uint64_t limit, uint64_t budget,
                                                           uint64_t in_use, uint64_t request) {
    if (!halstub_heap_limit_allows(limit, in_use, request)) {
        return HALSTUB_HEAP_REFUSE;
    }
    // The budget is a limit the app may reach but not pass, like the heap limit.
    if (!halstub_heap_limit_allows(budget, in_use, request)) {
        return HALSTUB_HEAP_KILL;
    }
    return HALSTUB_HEAP_ALLOW;
}
