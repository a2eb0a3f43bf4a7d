// SPDX-License-Identifier: MIT
// Unit tests for dps_protocol: the DPS username and requests, and the parsing of DPS's answers,
// including hostile topics and bodies (values that would be echoed into a topic or used as a
// TLS host name must be refused when malformed).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "dps_protocol.h"

static char buffer[512];

static void test_BuildUsername_valid_documentedShape(void **state) {
    assert_true(DpsProtocol_BuildUsername("0ne00AB12CD", "dev1", buffer, sizeof(buffer)));
    assert_string_equal(buffer, "0ne00AB12CD/registrations/dev1/api-version=2019-03-31");
}

static void test_BuildUsername_invalidOrTooSmall_emptyAndFalse(void **state) {
    assert_false(DpsProtocol_BuildUsername("0ne/00", "dev1", buffer, sizeof(buffer)));
    assert_string_equal(buffer, "");
    assert_false(DpsProtocol_BuildUsername("0ne00AB12CD", "dev/1", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildUsername("0ne00AB12CD", "", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildUsername(NULL, "dev1", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildUsername("0ne00AB12CD", "dev1", buffer, 10));
    assert_string_equal(buffer, "");
}

static void test_BuildRequests_valid_documentedTopicsAndBody(void **state) {
    assert_true(DpsProtocol_BuildRegisterTopic("1", buffer, sizeof(buffer)));
    assert_string_equal(buffer, "$dps/registrations/PUT/iotdps-register/?$rid=1");
    assert_true(DpsProtocol_BuildRegisterPayload("dev1", buffer, sizeof(buffer)));
    assert_string_equal(buffer, "{\"registrationId\":\"dev1\"}");
    assert_true(DpsProtocol_BuildPollTopic("2", "4.abc-def_1:2", buffer, sizeof(buffer)));
    assert_string_equal(buffer,
                        "$dps/registrations/GET/iotdps-get-operationstatus/"
                        "?$rid=2&operationId=4.abc-def_1:2");
}

static void test_BuildRequests_hostileIds_refused(void **state) {
    assert_false(DpsProtocol_BuildRegisterTopic("1&x=2", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildRegisterPayload("a\"b", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildPollTopic("2", "op&$rid=9", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildPollTopic("2", "op/#", buffer, sizeof(buffer)));
    assert_false(DpsProtocol_BuildPollTopic("2", "", buffer, sizeof(buffer)));
}

static void test_ParseResponseTopic_registerAnswer_statusRidRetryAfter(void **state) {
    DpsProtocol_ResponseTopic topic;
    assert_true(
        DpsProtocol_ParseResponseTopic("$dps/registrations/res/202/?$rid=1&retry-after=3", &topic));
    assert_int_equal(topic.status, 202);
    assert_string_equal(topic.requestId, "1");
    assert_true(topic.hasRetryAfter);
    assert_int_equal(topic.retryAfterSeconds, 3);
    // Parameters in either order, unknown ones ignored.
    assert_true(DpsProtocol_ParseResponseTopic(
        "$dps/registrations/res/200/?retry-after=120&x=y&$rid=17", &topic));
    assert_int_equal(topic.status, 200);
    assert_string_equal(topic.requestId, "17");
    assert_int_equal(topic.retryAfterSeconds, 120);
}

static void test_ParseResponseTopic_hugeRetryAfter_capped(void **state) {
    DpsProtocol_ResponseTopic topic;
    assert_true(DpsProtocol_ParseResponseTopic(
        "$dps/registrations/res/429/?$rid=1&retry-after=4294967295", &topic));
    assert_int_equal(topic.retryAfterSeconds, DPS_PROTOCOL_MAX_RETRY_AFTER_SECONDS);
}

static void test_ParseResponseTopic_malformed_refused(void **state) {
    DpsProtocol_ResponseTopic topic;
    const char *bad[] = {
        "$dps/registrations/res/202/?retry-after=3",          // no $rid
        "$dps/registrations/res/2x2/?$rid=1",                 // bad status
        "$dps/registrations/res/99/?$rid=1",                  // out of range
        "$dps/registrations/res/202?$rid=1",                  // no slash
        "$dps/registrations/res/202/?$rid=1&$rid=2",          // repeated $rid
        "$dps/registrations/res/202/?$rid=",                  // empty $rid
        "$dps/registrations/res/202/?$rid=1&retry-after=-1",  // negative
        "$iothub/twin/res/200/?$rid=1",                       // not DPS
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(DpsProtocol_ParseResponseTopic(bad[i], &topic));
    }
    assert_false(DpsProtocol_ParseResponseTopic(NULL, &topic));
    static char huge[2000];
    memset(huge, 'a', sizeof(huge) - 1);
    memcpy(huge, "$dps/registrations/res/202/?$rid=1&x=", 37);
    assert_false(DpsProtocol_ParseResponseTopic(huge, &topic));
}

static void test_ParseResponse_assigning_operationId(void **state) {
    static const char body[] = "{\"operationId\":\"4.0123abcd\",\"status\":\"assigning\"}";
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(202, body, strlen(body), &response);
    assert_int_equal(response.state, DpsProtocol_State_Assigning);
    assert_string_equal(response.operationId, "4.0123abcd");
}

static void test_ParseResponse_assigned_hubAndDeviceId(void **state) {
    static const char body[] =
        "{\"operationId\":\"4.1\",\"status\":\"assigned\",\"registrationState\":{"
        "\"registrationId\":\"dev1\",\"assignedHub\":\"contoso.azure-devices.net\","
        "\"deviceId\":\"dev1\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\"}}";
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(200, body, strlen(body), &response);
    assert_int_equal(response.state, DpsProtocol_State_Assigned);
    assert_string_equal(response.assignedHub, "contoso.azure-devices.net");
    assert_string_equal(response.deviceId, "dev1");
}

static void test_ParseResponse_assignedWithBadHub_failed(void **state) {
    static const char body[] =
        "{\"operationId\":\"4.1\",\"status\":\"assigned\",\"registrationState\":{"
        "\"assignedHub\":\"evil host/\\u0000\",\"deviceId\":\"dev1\"}}";
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(200, body, strlen(body), &response);
    assert_int_equal(response.state, DpsProtocol_State_Failed);
    assert_non_null(strstr(response.detail, "assignedHub"));
}

static void test_ParseResponse_disabled_failedWithMessage(void **state) {
    static const char body[] =
        "{\"operationId\":\"4.1\",\"status\":\"disabled\",\"registrationState\":{"
        "\"errorMessage\":\"Enrollment is disabled\"}}";
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(200, body, strlen(body), &response);
    assert_int_equal(response.state, DpsProtocol_State_Failed);
    assert_non_null(strstr(response.detail, "'disabled'"));
    assert_non_null(strstr(response.detail, "Enrollment is disabled"));
}

static void test_ParseResponse_errorStatus_failedWithServiceMessage(void **state) {
    static const char body[] = "{\"errorCode\":401002,\"message\":\"Unauthorized\\u001b[31m\"}";
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(401, body, strlen(body), &response);
    assert_int_equal(response.state, DpsProtocol_State_Failed);
    assert_non_null(strstr(response.detail, "status 401"));
    assert_non_null(strstr(response.detail, "Unauthorized"));
    for (const char *p = response.detail; *p != '\0'; p++) {
        assert_true(*p >= 0x20 && *p < 0x7F);
    }
}

static void test_ParseResponse_hostileBodies_failed(void **state) {
    const char *bad[] = {"",
                         "not json",
                         "[]",
                         "{\"operationId\":\"a&b\",\"status\":\"assigning\"}",
                         "{\"status\":\"assigned\"}",
                         "{\"operationId\":7}",
                         "{\"operationId\":\"x\"} trailing"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        DpsProtocol_Response response;
        DpsProtocol_ParseResponse(202, bad[i], strlen(bad[i]), &response);
        assert_int_equal(response.state, DpsProtocol_State_Failed);
        assert_true(strlen(response.detail) > 0);
    }
    static char deep[300];
    memset(deep, '[', sizeof(deep) - 1);
    DpsProtocol_Response response;
    DpsProtocol_ParseResponse(200, deep, strlen(deep), &response);
    assert_int_equal(response.state, DpsProtocol_State_Failed);
    static char large[DPS_PROTOCOL_MAX_BODY_LENGTH + 10];
    memset(large, ' ', sizeof(large));
    DpsProtocol_ParseResponse(200, large, sizeof(large), &response);
    assert_int_equal(response.state, DpsProtocol_State_Failed);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_BuildUsername_valid_documentedShape),
        cmocka_unit_test(test_BuildUsername_invalidOrTooSmall_emptyAndFalse),
        cmocka_unit_test(test_BuildRequests_valid_documentedTopicsAndBody),
        cmocka_unit_test(test_BuildRequests_hostileIds_refused),
        cmocka_unit_test(test_ParseResponseTopic_registerAnswer_statusRidRetryAfter),
        cmocka_unit_test(test_ParseResponseTopic_hugeRetryAfter_capped),
        cmocka_unit_test(test_ParseResponseTopic_malformed_refused),
        cmocka_unit_test(test_ParseResponse_assigning_operationId),
        cmocka_unit_test(test_ParseResponse_assigned_hubAndDeviceId),
        cmocka_unit_test(test_ParseResponse_assignedWithBadHub_failed),
        cmocka_unit_test(test_ParseResponse_disabled_failedWithMessage),
        cmocka_unit_test(test_ParseResponse_errorStatus_failedWithServiceMessage),
        cmocka_unit_test(test_ParseResponse_hostileBodies_failed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
