// SPDX-License-Identifier: MIT
// Unit tests for method_handlers: each direct method's statuses, replies and actions, hostile
// payloads (not JSON, wrong types, deep nesting, huge, embedded NUL) answered without crashing,
// and cloud-to-device messages accepted or rejected with a printable summary.

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

static int Call(const char *name, const char *payload, const MethodHandlers_Diagnostics *d) {
    return MethodHandlers_HandleMethod(name, payload, payload != NULL ? strlen(payload) : 0, d,
                                       &action, response, sizeof(response), &responseLength);
}

// Parses the last reply; fails the test unless it is a JSON object of the reported length.
static cJSON *Reply(void) {
    assert_int_equal(responseLength, strlen(response));
    cJSON *root = cJSON_Parse(response);
    if (!cJSON_IsObject(root)) {
        fail_msg("reply is not a JSON object: '%s'", response);
    }
    return root;
}

static const char *StringMember(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static double NumberMember(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static void ExpectError(int status, int expectedStatus, const char *field) {
    assert_int_equal(status, expectedStatus);
    assert_int_equal(action.type, MethodHandlers_ActionType_None);
    cJSON *root = Reply();
    assert_true(strlen(StringMember(root, "error")) > 0);
    if (field != NULL) {
        assert_string_equal(StringMember(root, "field"), field);
    }
    cJSON_Delete(root);
}

static void test_HandleMethod_setLedValid_200AndAction(void **state) {
    assert_int_equal(Call("setLed", "{\"led\":\"LED2\",\"on\":true,\"extra\":1}", NULL), 200);
    assert_int_equal(action.type, MethodHandlers_ActionType_SetLed);
    assert_int_equal(action.led, MethodHandlers_Led_Led2);
    assert_true(action.ledOn);
    cJSON *root = Reply();
    assert_string_equal(StringMember(root, "led"), "LED2");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "on")));
    cJSON_Delete(root);

    assert_int_equal(Call("setLed", " {\"on\":false,\"led\":\"LED1\"} \n", NULL), 200);
    assert_int_equal(action.led, MethodHandlers_Led_Led1);
    assert_false(action.ledOn);
    assert_string_equal(MethodHandlers_LedName(MethodHandlers_Led_Led1), "LED1");
}

static void test_HandleMethod_setLedBadFields_400NamingField(void **state) {
    ExpectError(Call("setLed", "{\"on\":true}", NULL), 400, "led");
    ExpectError(Call("setLed", "{\"led\":\"LED9\",\"on\":true}", NULL), 400, "led");
    ExpectError(Call("setLed", "{\"led\":\"led1\",\"on\":true}", NULL), 400, "led");
    ExpectError(Call("setLed", "{\"led\":1,\"on\":true}", NULL), 400, "led");
    ExpectError(Call("setLed", "{\"led\":\"LED1\"}", NULL), 400, "on");
    ExpectError(Call("setLed", "{\"led\":\"LED1\",\"on\":1}", NULL), 400, "on");
    ExpectError(Call("setLed", "{\"led\":\"LED1\",\"on\":\"true\"}", NULL), 400, "on");
}

static void test_HandleMethod_rebootValid_200AndDelay(void **state) {
    assert_int_equal(Call("reboot", "{\"delaySeconds\":0}", NULL), 200);
    assert_int_equal(action.type, MethodHandlers_ActionType_Reboot);
    assert_int_equal(action.rebootDelaySeconds, 0);
    assert_int_equal(Call("reboot", "{\"delaySeconds\":3600}", NULL), 200);
    assert_int_equal(action.rebootDelaySeconds, 3600);
    cJSON *root = Reply();
    assert_true(NumberMember(root, "rebootInSeconds") == 3600);
    cJSON_Delete(root);
}

static void test_HandleMethod_rebootBadDelay_400NoAction(void **state) {
    const char *payloads[] = {"{}",
                              "{\"delaySeconds\":-1}",
                              "{\"delaySeconds\":3601}",
                              "{\"delaySeconds\":1.5}",
                              "{\"delaySeconds\":\"5\"}",
                              "{\"delaySeconds\":null}",
                              "{\"delaySeconds\":1e999}"};
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        ExpectError(Call("reboot", payloads[i], NULL), 400, "delaySeconds");
    }
}

static void test_HandleMethod_getDiagnostics_allFigures(void **state) {
    MethodHandlers_Diagnostics diagnostics = {
        .uptimeSeconds = 5000000000ull,
        .totalMemoryKB = 120,
        .userMemoryKB = 100,
        .peakUserMemoryKB = 150,
        .connection = {.connected = true,
                       .connects = 3,
                       .disconnects = 2,
                       .failedAttempts = 7,
                       .messagesSent = 1000,
                       .messagesAcknowledged = 998},
        .queueDepth = 2,
    };
    // Whatever the payload, getDiagnostics does not look at it.
    assert_int_equal(Call("getDiagnostics", "not json at all", &diagnostics), 200);
    assert_int_equal(action.type, MethodHandlers_ActionType_None);
    cJSON *root = Reply();
    assert_true(NumberMember(root, "uptimeSeconds") == 5000000000.0);
    const cJSON *memory = cJSON_GetObjectItemCaseSensitive(root, "memory");
    assert_true(NumberMember(memory, "totalKB") == 120);
    assert_true(NumberMember(memory, "userKB") == 100);
    assert_true(NumberMember(memory, "peakUserKB") == 150);
    const cJSON *connection = cJSON_GetObjectItemCaseSensitive(root, "connection");
    assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(connection, "connected")));
    assert_true(NumberMember(connection, "connects") == 3);
    assert_true(NumberMember(connection, "disconnects") == 2);
    assert_true(NumberMember(connection, "failedAttempts") == 7);
    assert_true(NumberMember(connection, "messagesSent") == 1000);
    assert_true(NumberMember(connection, "messagesAcknowledged") == 998);
    assert_true(NumberMember(root, "queueDepth") == 2);
    cJSON_Delete(root);

    ExpectError(Call("getDiagnostics", NULL, NULL), 500, NULL);
}

static void test_HandleMethod_unknownName_404WithEscapedName(void **state) {
    ExpectError(Call("selfDestruct", "{}", NULL), 404, NULL);
    ExpectError(Call("a\"b\\c", "{}", NULL), 404, NULL);
    cJSON *root = Reply();
    assert_string_equal(StringMember(root, "method"), "a\"b\\c");
    cJSON_Delete(root);
    // Method names are case-sensitive, as in IoT Hub.
    ExpectError(Call("SETLED", "{\"led\":\"LED1\",\"on\":true}", NULL), 404, NULL);
}

static void test_HandleMethod_hostilePayloads_400Or413NoCrash(void **state) {
    ExpectError(Call("setLed", "", NULL), 400, NULL);
    ExpectError(Call("setLed", "   ", NULL), 400, NULL);
    ExpectError(Call("setLed", "null", NULL), 400, NULL);
    ExpectError(Call("setLed", "[\"LED1\", true]", NULL), 400, NULL);
    ExpectError(Call("setLed", "{\"led\":\"LED1\",\"on\":true", NULL), 400, NULL);
    ExpectError(Call("setLed", "{\"led\":\"LED1\",\"on\":true}{}", NULL), 400, NULL);
    ExpectError(Call("setLed", "{\"led\":\"\\ud800\",\"on\":true}", NULL), 400, NULL);
    ExpectError(Call("reboot", "\xff\xfe{", NULL), 400, NULL);

    static const char withNul[] = "{\"led\":\"LED1\",\"on\":true}\0{\"x\":1}";
    ExpectError(MethodHandlers_HandleMethod("setLed", withNul, sizeof(withNul) - 1, NULL, &action,
                                            response, sizeof(response), &responseLength),
                400, NULL);

    char *deep = malloc(100001);
    assert_non_null(deep);
    memset(deep, '[', 100000);
    deep[100000] = '\0';
    ExpectError(MethodHandlers_HandleMethod("setLed", deep, 3000, NULL, &action, response,
                                            sizeof(response), &responseLength),
                400, NULL);
    ExpectError(MethodHandlers_HandleMethod("setLed", deep, 100000, NULL, &action, response,
                                            sizeof(response), &responseLength),
                413, NULL);
    free(deep);

    // Many small nested objects within the limits still parse and are answered normally.
    ExpectError(Call("setLed", "{\"led\":{\"a\":{\"b\":{\"c\":[[[[1]]]]}}},\"on\":true}", NULL),
                400, "led");
}

static void test_HandleMethod_tinyResponseBuffer_500ShortestReply(void **state) {
    char small[16];
    size_t length = 99;
    int status = MethodHandlers_HandleMethod("reboot", "{\"delaySeconds\":1}", 18, NULL, &action,
                                             small, sizeof(small), &length);
    assert_int_equal(status, 500);
    assert_int_equal(action.type, MethodHandlers_ActionType_None);
    assert_int_equal(length, strlen(small));
    assert_int_equal(MethodHandlers_HandleMethod(NULL, "{}", 2, NULL, &action, response,
                                                 sizeof(response), &responseLength),
                     500);
}

// Random bytes and random mutations of valid payloads: every call must answer with a known
// status and a JSON reply, and act only on a 200.
static void test_HandleMethod_randomPayloads_alwaysAnswered(void **state) {
    static const char *const names[] = {"setLed", "reboot", "getDiagnostics", "x"};
    static const char seedPayload[] = "{\"led\":\"LED1\",\"on\":true,\"delaySeconds\":5}";
    MethodHandlers_Diagnostics diagnostics;
    memset(&diagnostics, 0, sizeof(diagnostics));
    unsigned int seed = 7;
    for (int round = 0; round < 5000; round++) {
        char payload[64];
        size_t length = sizeof(seedPayload) - 1;
        memcpy(payload, seedPayload, length);
        int mutations = 1 + (int)(rand_r(&seed) % 4);
        for (int m = 0; m < mutations; m++) {
            payload[(size_t)rand_r(&seed) % length] = (char)(rand_r(&seed) & 0xFF);
        }
        const char *name = names[(size_t)rand_r(&seed) % 4];
        int status = MethodHandlers_HandleMethod(name, payload, length, &diagnostics, &action,
                                                 response, sizeof(response), &responseLength);
        assert_true(status == 200 || status == 400 || status == 404);
        if (status != 200) {
            assert_int_equal(action.type, MethodHandlers_ActionType_None);
        }
        cJSON_Delete(Reply());
    }
}

static void ParseC2D(const char *topic, IoTHubTopics_ParsedTopic *parsed) {
    assert_int_equal(IoTHubTopics_Parse(topic, "dev1", parsed),
                     IoTHubTopics_TopicType_CloudToDevice);
}

static void test_HandleCloudToDevice_jsonAndText_acceptedWithSummary(void **state) {
    static IoTHubTopics_ParsedTopic parsed;
    char summary[METHOD_HANDLERS_C2D_SUMMARY_SIZE];
    ParseC2D("devices/dev1/messages/devicebound/%24.mid=m-1&%24.ct=application%2Fjson", &parsed);
    const char *body = "{\"blink\": 3}";
    assert_true(MethodHandlers_HandleCloudToDevice(&parsed, (const uint8_t *)body, strlen(body),
                                                   summary, sizeof(summary)));
    assert_non_null(strstr(summary, "m-1"));
    assert_non_null(strstr(summary, "JSON object"));
    assert_non_null(strstr(summary, "{\"blink\": 3}"));

    ParseC2D("devices/dev1/messages/devicebound/", &parsed);
    const char *text = "h\xc3\xa9llo\tworld";
    assert_true(MethodHandlers_HandleCloudToDevice(&parsed, (const uint8_t *)text, strlen(text),
                                                   summary, sizeof(summary)));
    assert_non_null(strstr(summary, "text"));
    assert_non_null(strstr(summary, "h??llo.world"));
    assert_true(MethodHandlers_HandleCloudToDevice(&parsed, NULL, 0, summary, sizeof(summary)));
}

static void test_HandleCloudToDevice_malformed_rejectedPrintableSummary(void **state) {
    static IoTHubTopics_ParsedTopic parsed;
    static IoTHubTopics_ParsedTopic json;
    char summary[METHOD_HANDLERS_C2D_SUMMARY_SIZE];
    ParseC2D("devices/dev1/messages/devicebound/%24.mid=%1B%5B31mevil%0A", &parsed);
    ParseC2D("devices/dev1/messages/devicebound/%24.ct=application%2Fjson%3Bcharset%3Dutf-8",
             &json);
    struct {
        const IoTHubTopics_ParsedTopic *topic;
        const char *body;
        size_t length;
    } cases[] = {
        {&parsed, "bad\xc3", 4},       // truncated UTF-8
        {&parsed, "\xc0\xaf", 2},      // overlong
        {&parsed, "\xed\xa0\x80", 3},  // surrogate
        {&parsed, "a\0b", 3},          // NUL
        {&parsed, "\x1b[2J", 4},       // terminal escape
        {&json, "{\"a\":", 5},         // declared JSON, is not
        {&json, "[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]", 42},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_false(MethodHandlers_HandleCloudToDevice(cases[i].topic,
                                                        (const uint8_t *)cases[i].body,
                                                        cases[i].length, summary, sizeof(summary)));
        assert_non_null(strstr(summary, "rejected"));
        for (const char *p = summary; *p != '\0'; p++) {
            assert_true(*p >= 0x20 && *p < 0x7F);
        }
    }

    uint8_t *huge = malloc(METHOD_HANDLERS_MAX_C2D_LENGTH + 1);
    assert_non_null(huge);
    memset(huge, 'a', METHOD_HANDLERS_MAX_C2D_LENGTH + 1);
    assert_false(MethodHandlers_HandleCloudToDevice(
        &parsed, huge, METHOD_HANDLERS_MAX_C2D_LENGTH + 1, summary, sizeof(summary)));
    assert_true(MethodHandlers_HandleCloudToDevice(&parsed, huge, METHOD_HANDLERS_MAX_C2D_LENGTH,
                                                   summary, sizeof(summary)));
    // Long text is summarised, not copied.
    assert_true(strlen(summary) < METHOD_HANDLERS_C2D_SUMMARY_SIZE);
    free(huge);

    IoTHubTopics_ParsedTopic notC2d;
    memset(&notC2d, 0, sizeof(notC2d));
    assert_false(MethodHandlers_HandleCloudToDevice(&notC2d, NULL, 0, summary, sizeof(summary)));
    assert_false(MethodHandlers_HandleCloudToDevice(NULL, NULL, 0, summary, sizeof(summary)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_HandleMethod_setLedValid_200AndAction),
        cmocka_unit_test(test_HandleMethod_setLedBadFields_400NamingField),
        cmocka_unit_test(test_HandleMethod_rebootValid_200AndDelay),
        cmocka_unit_test(test_HandleMethod_rebootBadDelay_400NoAction),
        cmocka_unit_test(test_HandleMethod_getDiagnostics_allFigures),
        cmocka_unit_test(test_HandleMethod_unknownName_404WithEscapedName),
        cmocka_unit_test(test_HandleMethod_hostilePayloads_400Or413NoCrash),
        cmocka_unit_test(test_HandleMethod_tinyResponseBuffer_500ShortestReply),
        cmocka_unit_test(test_HandleMethod_randomPayloads_alwaysAnswered),
        cmocka_unit_test(test_HandleCloudToDevice_jsonAndText_acceptedWithSummary),
        cmocka_unit_test(test_HandleCloudToDevice_malformed_rejectedPrintableSummary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
