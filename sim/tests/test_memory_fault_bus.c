// SPDX-License-Identifier: MIT
// The OS's heap limit (the memory_pressure fault) as the app meets it, in one process: the OS
// side sets the limit on the shared fault page, and the test's own allocations, which run through
// hal_stub's allocator front end, fail with ENOMEM past it and succeed again once it is lifted.
// Under AddressSanitizer the sanitizer owns the allocator and no limit can apply: skipped there.
#include <errno.h>
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fault_page_view.h"
#include "heap_accounting.h"
#include "os_harness.h"

#define KIB 1024u

static const char manifest[] =
    "{\"SchemaVersion\":1,\"Name\":\"memory-fault-test\","
    "\"ComponentId\":\"dddddddd-2222-3333-4444-555555555555\",\"EntryPoint\":\"/bin/app\","
    "\"Capabilities\":{},\"ApplicationType\":\"Default\"}";

// Called through volatile pointers so that the compiler cannot fold an allocation that is only
// checked and freed into "never NULL".
static void *(*volatile alloc_fn)(size_t) = malloc;
static void *(*volatile calloc_fn)(size_t, size_t) = calloc;
static void *(*volatile realloc_fn)(void *, size_t) = realloc;
static void *(*volatile aligned_alloc_fn)(size_t, size_t) = aligned_alloc;
static void *(*volatile memalign_fn)(size_t, size_t) = memalign;
static int (*volatile posix_memalign_fn)(void **, size_t, size_t) = posix_memalign;

static struct sim_device *device;

static int group_set_up(void **state) {
    (void)state;
    device = os_harness_start(manifest);
    if (os_harness_share_fault_page() != 0) {
        return -1;
    }
    // The mapping hal_stub's constructor would have made at start.
    halstub_fault_page_map();
    return halstub_fault_page() != NULL ? 0 : -1;
}

static int group_tear_down(void **state) {
    (void)state;
    sim_fault_page_unshare(&device->faults);
    os_harness_stop();
    return 0;
}

static void set_heap_limit(uint64_t limit_bytes) {
    os_harness_lock();
    sim_fault_page_set_heap_limit(&device->faults, limit_bytes);
    os_harness_unlock();
}

// Leaves room for the serving thread's few allocations between reading the figure and the test's.
static void limit_to_in_use_plus(size_t room) {
    set_heap_limit(halstub_heap_in_use_bytes() + room);
}

static void assert_enomem(void *ptr) {
    int saved = errno;
    free(ptr);
    assert_null(ptr);
    assert_int_equal(saved, ENOMEM);
}

static void test_malloc_past_limit_fails_with_enomem_and_works_when_lifted(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    limit_to_in_use_plus(256 * KIB);
    void *small = alloc_fn(16 * KIB);
    assert_non_null(small);
    errno = 0;
    assert_enomem(alloc_fn(512 * KIB));
    errno = 0;
    assert_enomem(calloc_fn(512, KIB));
    errno = 0;
    assert_enomem(aligned_alloc_fn(64, 512 * KIB));
    errno = 0;
    assert_enomem(memalign_fn(64, 512 * KIB));
    void *aligned = small;
    errno = 0;
    assert_int_equal(posix_memalign_fn(&aligned, 64, 512 * KIB), ENOMEM);
    assert_ptr_equal(aligned, small);  // untouched on failure
    assert_int_equal(errno, 0);        // posix_memalign reports through its result only
    set_heap_limit(0);
    void *big = alloc_fn(512 * KIB);
    assert_non_null(big);
    free(big);
    free(small);
}

static void test_realloc_growth_past_limit_fails_and_keeps_the_block(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    char *block = alloc_fn(8 * KIB);
    assert_non_null(block);
    memset(block, 'q', 8 * KIB);
    limit_to_in_use_plus(256 * KIB);
    errno = 0;
    assert_null(realloc_fn(block, 1024 * KIB));
    assert_int_equal(errno, ENOMEM);
    assert_int_equal(block[8 * KIB - 1], 'q');
    // Shrinking needs nothing more, so it works under the limit.
    block = realloc_fn(block, 4 * KIB);
    assert_non_null(block);
    assert_int_equal(block[4 * KIB - 1], 'q');
    set_heap_limit(0);
    block = realloc_fn(block, 1024 * KIB);
    assert_non_null(block);
    free(block);
}

static void test_limit_below_use_refuses_even_small_allocations(void **state) {
    (void)state;
#if defined(__SANITIZE_ADDRESS__)
    skip();
#endif
    set_heap_limit(1);
    errno = 0;
    assert_enomem(alloc_fn(16));
    set_heap_limit(0);
    void *ptr = alloc_fn(16);
    assert_non_null(ptr);
    free(ptr);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malloc_past_limit_fails_with_enomem_and_works_when_lifted),
        cmocka_unit_test(test_realloc_growth_past_limit_fails_and_keeps_the_block),
        cmocka_unit_test(test_limit_below_use_refuses_even_small_allocations),
    };
    return cmocka_run_group_tests(tests, group_set_up, group_tear_down);
}
