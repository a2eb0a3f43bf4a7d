// SPDX-License-Identifier: MIT
// Counts the app's heap exactly by standing in front of glibc's allocator: every allocation
// function here forwards to glibc's own entry points (__libc_malloc and friends) and adjusts a
// counter by the block's usable size. The app links this statically, so its definitions win
// for every library in the process, just as the device's allocator serves the whole app. Under
// AddressSanitizer the sanitizer must own the allocator, so the figures come from its statistics.
//
// The same front end applies the OS's heap limit (the memory_pressure fault): while the fault page
// (fault_page_view.h) carries a limit, an allocation that would take the bytes in use past it
// fails as glibc fails one it cannot serve: NULL with errno ENOMEM (posix_memalign returns
// ENOMEM), a failed realloc leaving the old block as it was. The check costs one atomic load
// while no limit is set, and nothing here allocates. The bytes in use are counted by usable size
// (a few bytes more per block than asked for); the request is judged by the bytes asked for.
// Under AddressSanitizer no limit applies: the OS refuses to set one there (sim/os/fault_page.h).
//
// It also enforces the app's memory budget (the device's 256 KiB of RAM, from the fault page):
// an allocation that would take the heap past it kills the app with SIGKILL, as the device OS
// kills an app over its memory limit, after marking the app stats page (app_stats_view.h) so
// that the OS knows why the app died. Every change of the figures is published on that page too,
// for `spheresim ctl status`. Neither happens under AddressSanitizer.
#include "heap_accounting.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <unistd.h>

#include "app_stats_view.h"
#include "fault_page_view.h"
#include "memory_budget.h"

// Referenced by hal_stub's link options so this object is always linked in.
int halstub_heap_accounting_linked;

#if defined(__SANITIZE_ADDRESS__)

// Exported by the sanitizer runtime; gcc ships no header declaring it.
extern size_t __sanitizer_get_current_allocated_bytes(void);

size_t halstub_heap_in_use_bytes(void) {
    // The sanitizer's allocator serves the app here; glibc's statistics would read zero.
    return __sanitizer_get_current_allocated_bytes();
}

size_t halstub_heap_peak_bytes(void) {
    static _Atomic size_t peak;
    size_t now = halstub_heap_in_use_bytes();
    size_t seen = atomic_load(&peak);
    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
    return now > seen ? now : seen;
}

void halstub_heap_publish(void) {
    size_t peak = halstub_heap_peak_bytes();
    halstub_app_stats_publish(halstub_heap_in_use_bytes(), peak);
}

#else

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *ptr);

static _Atomic int64_t in_use;
static _Atomic int64_t peak;

static void account(int64_t delta) {
    int64_t now = atomic_fetch_add(&in_use, delta) + delta;
    int64_t seen = atomic_load(&peak);
    while (now > seen && !atomic_compare_exchange_weak(&peak, &seen, now)) {
    }
    int64_t top = now > seen ? now : seen;
    halstub_app_stats_publish(now > 0 ? (uint64_t)now : 0, top > 0 ? (uint64_t)top : 0);
}

// The app has gone over its memory budget: it dies at once, with no chance to clean up, as on
// the device. The mark on the stats page comes first, so that the OS can name the cause.
__attribute__((noreturn)) static void die_over_budget(size_t request, uint64_t budget) {
    halstub_app_stats_mark_budget_exceeded(request, budget);
    for (;;) {
        kill(getpid(), SIGKILL);
        pause();
    }
}

// True when the OS's heap limit refuses request more bytes now; does not return when they would
// take the app past its memory budget. Leaves errno alone.
static bool limit_refuses(size_t request) {
    const struct devbus_fault_page *page = halstub_fault_page();
    if (page == NULL) {
        return false;
    }
    uint64_t limit = __atomic_load_n(&page->heap_limit_bytes, __ATOMIC_ACQUIRE);
    uint64_t budget = __atomic_load_n(&page->memory_budget_bytes, __ATOMIC_ACQUIRE);
    int64_t held = atomic_load(&in_use);
    switch (halstub_heap_judge(limit, budget, held > 0 ? (uint64_t)held : 0, request)) {
        case HALSTUB_HEAP_REFUSE:
            return true;
        case HALSTUB_HEAP_KILL:
            die_over_budget(request, budget);
        case HALSTUB_HEAP_ALLOW:
            break;
    }
    return false;
}

// As limit_refuses, and sets errno to ENOMEM when it refuses, as glibc's allocator would.
static bool refuse(size_t request) {
    if (!limit_refuses(request)) {
        return false;
    }
    errno = ENOMEM;
    return true;
}

static void *track(void *ptr) {
    if (ptr != NULL) {
        account((int64_t)malloc_usable_size(ptr));
    }
    return ptr;
}

void *malloc(size_t size) {
    if (refuse(size)) {
        return NULL;
    }
    return track(__libc_malloc(size));
}

void *calloc(size_t count, size_t size) {
    size_t total = 0;
    // An overflowing product is glibc's to refuse (ENOMEM); it never reaches the limit check.
    if (!__builtin_mul_overflow(count, size, &total) && refuse(total)) {
        return NULL;
    }
    return track(__libc_calloc(count, size));
}

void free(void *ptr) {
    if (ptr != NULL) {
        account(-(int64_t)malloc_usable_size(ptr));
        __libc_free(ptr);
    }
}

void *realloc(void *ptr, size_t size) {
    size_t before = ptr != NULL ? malloc_usable_size(ptr) : 0;
    // Shrinking, and realloc(ptr, 0) (which frees), take nothing more: only growth is judged.
    if (size > before && refuse(size - before)) {
        return NULL;
    }
    void *moved = __libc_realloc(ptr, size);
    if (moved != NULL) {
        account((int64_t)malloc_usable_size(moved) - (int64_t)before);
    } else if (size == 0 && ptr != NULL) {
        account(-(int64_t)before);
    }
    return moved;
}

void *memalign(size_t alignment, size_t size) {
    if (refuse(size)) {
        return NULL;
    }
    return track(__libc_memalign(alignment, size));
}

void *aligned_alloc(size_t alignment, size_t size) {
    if (refuse(size)) {
        return NULL;
    }
    return track(__libc_memalign(alignment, size));
}

int posix_memalign(void **out, size_t alignment, size_t size) {
    if (alignment < sizeof(void *) || (alignment & (alignment - 1)) != 0) {
        return EINVAL;
    }
    if (limit_refuses(size)) {
        return ENOMEM;
    }
    void *ptr = track(__libc_memalign(alignment, size));
    if (ptr == NULL) {
        return ENOMEM;
    }
    *out = ptr;
    return 0;
}

size_t halstub_heap_in_use_bytes(void) {
    int64_t now = atomic_load(&in_use);
    return now > 0 ? (size_t)now : 0;
}

size_t halstub_heap_peak_bytes(void) {
    int64_t seen = atomic_load(&peak);
    return seen > 0 ? (size_t)seen : 0;
}

void halstub_heap_publish(void) {
    // account() publishes at every allocation.
}

#endif
