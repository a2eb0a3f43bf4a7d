// SPDX-License-Identifier: MIT
// Unit tests for the maintenance direct method in method_handlers: valid durations (0 ends the
// window) give 200 and the action; hostile payloads (not JSON, wrong types, negative, fractions,
// huge, NaN-like, nested, oversized) give 400 or 413 naming the field, and no action.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "method_handlers.h"

static char response[METHOD_HANDLERS_RESPONSE_SIZE];
static size_t responseLength;
static MethodHandlers_Action action;

static int Call(const char *payload, size_t length) {
    return MethodHandlers_HandleMethod("maintenance", payload, length, NULL, &action, response,
                                       sizeof(response), &responseLength);
}

static int CallText(const char *payload) {
    return Call(payload, payload != NULL ? strlen(payload) : 0);
}

static cJSON *Reply(void) {
    assert_int_equal(responseLength, strlen(response));
    cJSON *root = cJSON_Parse(response);
    if (!cJSON_IsObject(root)) {
        fail_msg("reply is not a JSON object: '%s'", response);
    }
    return root;
}

static void test_HandleMethod_maintenanceValid_200AndAction(void **unused) {
    (void)unused;
    static const struct {
        const char *payload;
        uint32_t seconds;
    } cases[] = {
        {"{\"durationSeconds\": 0}", 0},
        {"{\"durationSeconds\": 1}", 1},
        {"{\"durationSeconds\": 600, \"note\": \"firmware flash\"}", 600},
        {"{\"durationSeconds\": 86400}", 86400},
        {"{\"durationSeconds\": 3.6e3}", 3600},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(CallText(cases[i].payload), 200);
        assert_int_equal(action.type, MethodHandlers_ActionType_Maintenance);
        assert_int_equal(action.maintenanceSeconds, cases[i].seconds);
        cJSON *root = Reply();
        const cJSON *seconds = cJSON_GetObjectItemCaseSensitive(root, "maintenanceSeconds");
        assert_true(cJSON_IsNumber(seconds));
        assert_int_equal((uint32_t)seconds->valuedouble, cases[i].seconds);
        cJSON_Delete(root);
    }
}

static void ExpectRefused(int status, int expectedStatus, const char *field) {
    assert_int_equal(status, expectedStatus);
    assert_int_equal(action.type, MethodHandlers_ActionType_None);
    cJSON *root = Reply();
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(root, "error");
    assert_true(cJSON_IsString(error) && strlen(error->valuestring) > 0);
    if (field != NULL) {
        const cJSON *named = cJSON_GetObjectItemCaseSensitive(root, "field");
        assert_true(cJSON_IsString(named));
        assert_string_equal(named->valuestring, field);
    }
    cJSON_Delete(root);
}

static void test_HandleMethod_maintenanceBadDuration_400NamingField(void **unused) {
    (void)unused;
    static const char *const payloads[] = {
        "{}",
        "{\"durationSeconds\": -1}",
        "{\"durationSeconds\": -0.5}",
        "{\"durationSeconds\": 86401}",
        "{\"durationSeconds\": 1e300}",
        "{\"durationSeconds\": 4294967296}",
        "{\"durationSeconds\": 18446744073709551616}",
        "{\"durationSeconds\": 1.5}",
        "{\"durationSeconds\": \"60\"}",
        "{\"durationSeconds\": true}",
        "{\"durationSeconds\": null}",
        "{\"durationSeconds\": [60]}",
        "{\"durationSeconds\": {\"value\": 60}}",
        "{\"DurationSeconds\": 60}",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        ExpectRefused(CallText(payloads[i]), 400, "durationSeconds");
    }
}

static void test_HandleMethod_maintenanceNotAnObject_400(void **unused) {
    (void)unused;
    static const char *const payloads[] = {
        "",
        "60",
        "\"60\"",
        "[60]",
        "null",
        "{\"durationSeconds\": 60",
        "durationSeconds=60",
        "{\"durationSeconds\": NaN}",
        "{\"durationSeconds\": Infinity}",
    };
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        ExpectRefused(CallText(payloads[i]), 400, NULL);
    }
    // An embedded NUL: the length says there is more than the C string.
    static const char withNul[] = "{\"durationSeconds\": 60}\0{}";
    ExpectRefused(Call(withNul, sizeof(withNul) - 1), 400, NULL);
}

static void test_HandleMethod_maintenanceHugeOrDeep_413Or400(void **unused) {
    (void)unused;
    size_t size = METHOD_HANDLERS_MAX_PAYLOAD_LENGTH + 64;
    char *huge = malloc(size + 1);
    assert_non_null(huge);
    int prefix = snprintf(huge, size + 1, "{\"durationSeconds\": 60, \"pad\": \"");
    memset(huge + prefix, 'a', size - (size_t)prefix - 2);
    memcpy(huge + size - 2, "\"}", 3);
    ExpectRefused(Call(huge, size), 413, NULL);

    // Deeply nested: refused by the depth limit, not a stack overflow.
    size_t depth = 2000;
    char *deep = malloc(2 * depth + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = '\0';
    int status = CallText(deep);
    assert_true(status == 400 || status == 413);
    assert_int_equal(action.type, MethodHandlers_ActionType_None);
    free(deep);
    free(huge);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_HandleMethod_maintenanceValid_200AndAction),
        cmocka_unit_test(test_HandleMethod_maintenanceBadDuration_400NamingField),
        cmocka_unit_test(test_HandleMethod_maintenanceNotAnObject_400),
        cmocka_unit_test(test_HandleMethod_maintenanceHugeOrDeep_413Or400),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
