// SPDX-License-Identifier: MIT
// Unit tests for the heap limit's rule (heap_limit.h): which allocations the memory_pressure
// fault lets through.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "heap_limit.h"

static void test_halstub_heap_limit_allows_no_limit_allows_everything(void **state) {
    (void)state;
    assert_true(halstub_heap_limit_allows(0, 0, 0));
    assert_true(halstub_heap_limit_allows(0, UINT64_MAX, UINT64_MAX));
}

static void test_halstub_heap_limit_allows_up_to_the_limit_not_past_it(void **state) {
    (void)state;
    assert_true(halstub_heap_limit_allows(1000, 900, 100));
    assert_false(halstub_heap_limit_allows(1000, 900, 101));
    assert_true(halstub_heap_limit_allows(1000, 0, 1000));
    assert_false(halstub_heap_limit_allows(1000, 0, 1001));
    assert_true(halstub_heap_limit_allows(1000, 1000, 0));
}

static void test_halstub_heap_limit_allows_limit_below_use_refuses_everything(void **state) {
    (void)state;
    assert_false(halstub_heap_limit_allows(1000, 1001, 0));
    assert_false(halstub_heap_limit_allows(1000, 5000, 1));
}

static void test_halstub_heap_limit_allows_huge_operands_do_not_wrap(void **state) {
    (void)state;
    assert_false(halstub_heap_limit_allows(1000, 10, UINT64_MAX));
    assert_false(halstub_heap_limit_allows(1000, UINT64_MAX, 10));
    assert_false(halstub_heap_limit_allows(UINT64_MAX - 1, 2, UINT64_MAX - 2));
    assert_true(halstub_heap_limit_allows(UINT64_MAX, 2, UINT64_MAX - 2));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halstub_heap_limit_allows_no_limit_allows_everything),
        cmocka_unit_test(test_halstub_heap_limit_allows_up_to_the_limit_not_past_it),
        cmocka_unit_test(test_halstub_heap_limit_allows_limit_below_use_refuses_everything),
        cmocka_unit_test(test_halstub_heap_limit_allows_huge_operands_do_not_wrap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
