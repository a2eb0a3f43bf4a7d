// SPDX-License-Identifier: MIT
// Unit tests for the verdict on one allocation (memory_budget.h): the heap limit refuses, the
// memory budget kills, and the limit is judged first.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memory_budget.h"

#define KIB 1024u

static void test_halstub_heap_judge_no_limit_no_budget_allows(void **state) {
    (void)state;
    assert_int_equal(halstub_heap_judge(0, 0, 0, 0), HALSTUB_HEAP_ALLOW);
    assert_int_equal(halstub_heap_judge(0, 0, UINT64_MAX, UINT64_MAX), HALSTUB_HEAP_ALLOW);
}

static void test_halstub_heap_judge_budget_kills_past_it_not_at_it(void **state) {
    (void)state;
    assert_int_equal(halstub_heap_judge(0, 256 * KIB, 240 * KIB, 16 * KIB), HALSTUB_HEAP_ALLOW);
    assert_int_equal(halstub_heap_judge(0, 256 * KIB, 240 * KIB, 16 * KIB + 1), HALSTUB_HEAP_KILL);
    assert_int_equal(halstub_heap_judge(0, 256 * KIB, 0, 256 * KIB + 1), HALSTUB_HEAP_KILL);
    assert_int_equal(halstub_heap_judge(0, 256 * KIB, 256 * KIB, 0), HALSTUB_HEAP_ALLOW);
    assert_int_equal(halstub_heap_judge(0, 256 * KIB, 10, UINT64_MAX), HALSTUB_HEAP_KILL);
}

static void test_halstub_heap_judge_limit_refuses_before_budget_kills(void **state) {
    (void)state;
    // Past both: the limit refuses, so nothing is allocated and the budget is not passed.
    assert_int_equal(halstub_heap_judge(128 * KIB, 256 * KIB, 200 * KIB, 100 * KIB),
                     HALSTUB_HEAP_REFUSE);
    // Past the limit only.
    assert_int_equal(halstub_heap_judge(128 * KIB, 256 * KIB, 120 * KIB, 16 * KIB),
                     HALSTUB_HEAP_REFUSE);
    // A limit above the budget: the budget kills first.
    assert_int_equal(halstub_heap_judge(512 * KIB, 256 * KIB, 250 * KIB, 16 * KIB),
                     HALSTUB_HEAP_KILL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_halstub_heap_judge_no_limit_no_budget_allows),
        cmocka_unit_test(test_halstub_heap_judge_budget_kills_past_it_not_at_it),
        cmocka_unit_test(test_halstub_heap_judge_limit_refuses_before_budget_kills),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
