// SPDX-License-Identifier: MIT
// Unit tests for request_tracker: $rid generation, matching answers to requests (and refusing
// stale, duplicate and foreign ones), deadlines and timeouts, and draining on disconnect.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "request_tracker.h"

static RequestTracker tracker;

static void StartOk(RequestTracker_Kind kind, uint64_t nowMs, uint32_t timeoutMs, uint32_t context,
                    char *rid) {
    assert_int_equal(RequestTracker_Start(&tracker, kind, nowMs, timeoutMs, context, rid,
                                          REQUEST_TRACKER_REQUEST_ID_SIZE, NULL),
                     RequestTracker_Result_Ok);
}

static void test_Start_twoRequests_distinctDecimalIds(void **state) {
    RequestTracker_Init(&tracker, 100);
    char a[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char b[REQUEST_TRACKER_REQUEST_ID_SIZE];
    RequestTracker_Request request;
    assert_int_equal(RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, 1000, 500, 7, a,
                                          sizeof(a), &request),
                     RequestTracker_Result_Ok);
    assert_string_equal(a, "100");
    assert_int_equal(request.deadlineMs, 1500);
    assert_int_equal(request.context, 7);
    StartOk(RequestTracker_Kind_ReportedPatch, 1000, 500, 0, b);
    assert_string_equal(b, "101");
    assert_int_equal(RequestTracker_PendingCount(&tracker), 2);
    assert_true(RequestTracker_IsPending(&tracker, RequestTracker_Kind_TwinGet));
    assert_true(RequestTracker_IsPending(&tracker, RequestTracker_Kind_ReportedPatch));
}

static void test_Complete_knownId_returnsKindAndContextOnce(void **state) {
    RequestTracker_Init(&tracker, 1);
    char get[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char patch[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 11, get);
    StartOk(RequestTracker_Kind_ReportedPatch, 0, 1000, 22, patch);

    RequestTracker_Request request;
    assert_int_equal(RequestTracker_Complete(&tracker, patch, &request), RequestTracker_Result_Ok);
    assert_int_equal(request.kind, RequestTracker_Kind_ReportedPatch);
    assert_int_equal(request.context, 22);
    // The same answer twice (a duplicate) is not matched again.
    assert_int_equal(RequestTracker_Complete(&tracker, patch, &request),
                     RequestTracker_Result_Unknown);
    assert_int_equal(RequestTracker_Complete(&tracker, get, &request), RequestTracker_Result_Ok);
    assert_int_equal(request.kind, RequestTracker_Kind_TwinGet);
    assert_int_equal(RequestTracker_PendingCount(&tracker), 0);
}

static void test_Complete_foreignOrMalformedId_unknown(void **state) {
    RequestTracker_Init(&tracker, 5);
    char rid[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 0, rid);
    RequestTracker_Request request;
    const char *ids[] = {"", "6", "05", "+5", "5 ", "5a", "-5", "4294967301", "99999999999", "abc"};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        assert_int_equal(RequestTracker_Complete(&tracker, ids[i], &request),
                         RequestTracker_Result_Unknown);
    }
    assert_int_equal(RequestTracker_PendingCount(&tracker), 1);
    assert_int_equal(RequestTracker_Complete(&tracker, NULL, &request),
                     RequestTracker_Result_InvalidArgument);
}

static void test_TakeExpired_pastDeadlines_earliestFirstThenUnknown(void **state) {
    RequestTracker_Init(&tracker, 1);
    char late[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char early[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char pending[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_TwinGet, 0, 3000, 1, late);
    StartOk(RequestTracker_Kind_ReportedPatch, 0, 2000, 2, early);
    StartOk(RequestTracker_Kind_ReportedPatch, 0, 9000, 3, pending);

    uint64_t deadline = 0;
    assert_true(RequestTracker_NextDeadline(&tracker, &deadline));
    assert_int_equal(deadline, 2000);

    RequestTracker_Request request;
    assert_false(RequestTracker_TakeExpired(&tracker, 1999, &request));
    assert_true(RequestTracker_TakeExpired(&tracker, 3000, &request));
    assert_int_equal(request.context, 2);
    assert_true(RequestTracker_TakeExpired(&tracker, 3000, &request));
    assert_int_equal(request.context, 1);
    assert_false(RequestTracker_TakeExpired(&tracker, 3000, &request));

    // An answer that comes after its request timed out is not matched.
    assert_int_equal(RequestTracker_Complete(&tracker, early, &request),
                     RequestTracker_Result_Unknown);
    assert_true(RequestTracker_NextDeadline(&tracker, &deadline));
    assert_int_equal(deadline, 9000);
    assert_false(RequestTracker_IsPending(&tracker, RequestTracker_Kind_TwinGet));
}

static void test_Start_tableFull_fullUntilOneCompletes(void **state) {
    RequestTracker_Init(&tracker, 1);
    char rid[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char first[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_ReportedPatch, 0, 1000, 0, first);
    for (int i = 1; i < REQUEST_TRACKER_CAPACITY; i++) {
        StartOk(RequestTracker_Kind_ReportedPatch, 0, 1000, 0, rid);
    }
    assert_int_equal(RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, 0, 1000, 0, rid,
                                          sizeof(rid), NULL),
                     RequestTracker_Result_Full);
    assert_string_equal(rid, "");
    RequestTracker_Request request;
    assert_int_equal(RequestTracker_Complete(&tracker, first, &request), RequestTracker_Result_Ok);
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 0, rid);
}

static void test_Start_idWraps_skipsZeroAndPendingIds(void **state) {
    RequestTracker_Init(&tracker, UINT32_MAX);
    char a[REQUEST_TRACKER_REQUEST_ID_SIZE];
    char b[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 0, a);
    assert_string_equal(a, "4294967295");
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 0, b);
    assert_string_equal(b, "1");
    RequestTracker_Request request;
    assert_int_equal(RequestTracker_Complete(&tracker, a, &request), RequestTracker_Result_Ok);

    // Force the counter back onto an id that is still pending.
    tracker.nextId = 1;
    StartOk(RequestTracker_Kind_TwinGet, 0, 1000, 0, a);
    assert_string_equal(a, "2");
}

static void test_TakeAny_onDisconnect_oldestFirstUntilEmpty(void **state) {
    RequestTracker_Init(&tracker, 1);
    char rid[REQUEST_TRACKER_REQUEST_ID_SIZE];
    StartOk(RequestTracker_Kind_ReportedPatch, 50, 10, 1, rid);
    StartOk(RequestTracker_Kind_TwinGet, 60, 1, 2, rid);
    StartOk(RequestTracker_Kind_ReportedPatch, 70, 5, 3, rid);
    RequestTracker_Request request;
    for (uint32_t expected = 1; expected <= 3; expected++) {
        assert_true(RequestTracker_TakeAny(&tracker, &request));
        assert_int_equal(request.context, expected);
    }
    assert_false(RequestTracker_TakeAny(&tracker, &request));
    uint64_t deadline = 0;
    assert_false(RequestTracker_NextDeadline(&tracker, &deadline));
}

static void test_Start_badArguments_invalid(void **state) {
    RequestTracker_Init(&tracker, 1);
    char rid[REQUEST_TRACKER_REQUEST_ID_SIZE];
    assert_int_equal(RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, 0, 0, 0, rid,
                                          sizeof(rid), NULL),
                     RequestTracker_Result_InvalidArgument);
    assert_int_equal(RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, 0, 10, 0, rid,
                                          sizeof(rid) - 1, NULL),
                     RequestTracker_Result_InvalidArgument);
    assert_int_equal(
        RequestTracker_Start(NULL, RequestTracker_Kind_TwinGet, 0, 10, 0, rid, sizeof(rid), NULL),
        RequestTracker_Result_InvalidArgument);
    // A deadline past the end of time saturates instead of wrapping into the past.
    RequestTracker_Request request;
    assert_int_equal(RequestTracker_Start(&tracker, RequestTracker_Kind_TwinGet, UINT64_MAX - 5, 10,
                                          0, rid, sizeof(rid), &request),
                     RequestTracker_Result_Ok);
    assert_true(request.deadlineMs == UINT64_MAX);
    assert_int_equal(RequestTracker_PendingCount(NULL), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Start_twoRequests_distinctDecimalIds),
        cmocka_unit_test(test_Complete_knownId_returnsKindAndContextOnce),
        cmocka_unit_test(test_Complete_foreignOrMalformedId_unknown),
        cmocka_unit_test(test_TakeExpired_pastDeadlines_earliestFirstThenUnknown),
        cmocka_unit_test(test_Start_tableFull_fullUntilOneCompletes),
        cmocka_unit_test(test_Start_idWraps_skipsZeroAndPendingIds),
        cmocka_unit_test(test_TakeAny_onDisconnect_oldestFirstUntilEmpty),
        cmocka_unit_test(test_Start_badArguments_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
