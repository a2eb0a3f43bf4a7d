// SPDX-License-Identifier: MIT
// Direct methods in flight: responses match only their own device and request id, once; silent
// devices time out at their deadline; the table refuses more calls than it holds.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "cloud/hub_method_calls.h"

static struct hub_method_calls calls;

static void record_timeout(const char *caller_rid, void *context) {
    char *seen = context;
    strncat(seen, caller_rid, 63 - strlen(seen));
    strncat(seen, ";", 63 - strlen(seen));
}

static void test_hub_method_calls_finish_matching_response_returns_caller(void **state) {
    hub_method_calls_init(&calls);
    char rid_a[HUB_DEVICE_RID_SIZE];
    char rid_b[HUB_DEVICE_RID_SIZE];
    assert_int_equal(hub_method_calls_start(&calls, "devA", "callerA", 0, 30000, rid_a), HUB_OK);
    assert_int_equal(hub_method_calls_start(&calls, "devB", "callerB", 0, 30000, rid_b), HUB_OK);
    assert_string_not_equal(rid_a, rid_b);
    char caller[HUB_MAX_RID + 1];
    // Another device can't answer for devA.
    assert_int_equal(hub_method_calls_finish(&calls, "devB", rid_a, caller), HUB_ERR_NO_MATCH);
    assert_int_equal(hub_method_calls_finish(&calls, "devA", rid_a, caller), HUB_OK);
    assert_string_equal(caller, "callerA");
    // A second answer to the same request is not matched again.
    assert_int_equal(hub_method_calls_finish(&calls, "devA", rid_a, caller), HUB_ERR_NO_MATCH);
    assert_int_equal(hub_method_calls_finish(&calls, "devB", "nonsense", caller), HUB_ERR_NO_MATCH);
}

static void test_hub_method_calls_expire_silent_device_times_out(void **state) {
    hub_method_calls_init(&calls);
    char rid[HUB_DEVICE_RID_SIZE];
    assert_int_equal(hub_method_calls_start(&calls, "dev", "slow", 1000, 5000, rid), HUB_OK);
    assert_int_equal(hub_method_calls_start(&calls, "dev", "fast", 1000, 1000, rid), HUB_OK);
    assert_int_equal(hub_method_calls_next_deadline(&calls), 2000);
    char seen[64] = "";
    assert_int_equal(hub_method_calls_expire(&calls, 1999, record_timeout, seen), 0);
    assert_int_equal(hub_method_calls_expire(&calls, 2000, record_timeout, seen), 1);
    assert_string_equal(seen, "fast;");
    char caller[HUB_MAX_RID + 1];
    // A response after the timeout finds nothing.
    assert_int_equal(hub_method_calls_finish(&calls, "dev", rid, caller), HUB_ERR_NO_MATCH);
    assert_int_equal(hub_method_calls_expire(&calls, 6000, record_timeout, seen), 1);
    assert_string_equal(seen, "fast;slow;");
    assert_int_equal(hub_method_calls_next_deadline(&calls), -1);
}

static void test_hub_method_calls_start_table_full_fails_too_large(void **state) {
    hub_method_calls_init(&calls);
    char rid[HUB_DEVICE_RID_SIZE];
    for (int i = 0; i < HUB_MAX_METHOD_CALLS; i++) {
        assert_int_equal(hub_method_calls_start(&calls, "dev", "c", 0, 1000, rid), HUB_OK);
    }
    assert_int_equal(hub_method_calls_start(&calls, "dev", "c", 0, 1000, rid), HUB_ERR_TOO_LARGE);
    char long_id[HUB_MAX_ID + 2];
    memset(long_id, 'x', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    hub_method_calls_init(&calls);
    assert_int_equal(hub_method_calls_start(&calls, long_id, "c", 0, 1000, rid), HUB_ERR_INVALID);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_method_calls_finish_matching_response_returns_caller),
        cmocka_unit_test(test_hub_method_calls_expire_silent_device_times_out),
        cmocka_unit_test(test_hub_method_calls_start_table_full_fails_too_large),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
