// SPDX-License-Identifier: MIT
// Unit tests for json_utils: the size and depth limits hold before cJSON sees the input, exactly
// one JSON value is accepted, NUL bytes and trailing garbage are refused, and printing never
// overruns the caller's buffer.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "json_utils.h"

static JsonUtils_Result Parse(const char *text, size_t maxLength, unsigned int maxDepth) {
    cJSON *root = NULL;
    JsonUtils_Result result = JsonUtils_Parse(text, strlen(text), maxLength, maxDepth, &root);
    assert_true((result == JsonUtils_Result_Ok) == (root != NULL));
    cJSON_Delete(root);
    return result;
}

static void test_Parse_wellFormedValues_ok(void **state) {
    const char *values[] = {"{}",
                            "[]",
                            "0",
                            "\"s\"",
                            "true",
                            " {\"a\":[1,2,{\"b\":null}]} \r\n",
                            "\"brackets [[[ inside a string ]]] \\\" {{\""};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        assert_int_equal(Parse(values[i], 100, 3), JsonUtils_Result_Ok);
    }
}

static void test_Parse_depthLimit_exactlyAtLimitOk(void **state) {
    assert_int_equal(Parse("[[[1]]]", 100, 3), JsonUtils_Result_Ok);
    assert_int_equal(Parse("[[[[1]]]]", 100, 3), JsonUtils_Result_TooDeep);
    assert_int_equal(Parse("{\"a\":{\"b\":{\"c\":{}}}}", 100, 3), JsonUtils_Result_TooDeep);
    // An escaped quote does not end a string, so these brackets stay inside it.
    assert_int_equal(Parse("[\"\\\"[[[[[\"]", 100, 3), JsonUtils_Result_Ok);
}

static void test_Parse_sizeLimit_exactlyAtLimitOk(void **state) {
    assert_int_equal(Parse("[1,2]", 5, 3), JsonUtils_Result_Ok);
    assert_int_equal(Parse("[1,2] ", 5, 3), JsonUtils_Result_TooLarge);
}

static void test_Parse_hostileInput_refused(void **state) {
    assert_int_equal(Parse("", 100, 3), JsonUtils_Result_Empty);
    assert_int_equal(Parse(" \n\t", 100, 3), JsonUtils_Result_Empty);
    assert_int_equal(Parse("{} {}", 100, 3), JsonUtils_Result_Invalid);
    assert_int_equal(Parse("{\"a\":}", 100, 3), JsonUtils_Result_Invalid);
    assert_int_equal(Parse("nul", 100, 3), JsonUtils_Result_Invalid);
    assert_int_equal(Parse("]]]]", 100, 3), JsonUtils_Result_Invalid);
    static const char withNul[] = "{}\0";
    cJSON *root = NULL;
    assert_int_equal(JsonUtils_Parse(withNul, sizeof(withNul) - 1, 100, 3, &root),
                     JsonUtils_Result_Invalid);
    assert_null(root);
    // The input need not be NUL-terminated: only `length` bytes are read.
    const char unterminated[] = {'[', '1', ']', '!'};
    assert_int_equal(JsonUtils_Parse(unterminated, 3, 100, 3, &root), JsonUtils_Result_Ok);
    cJSON_Delete(root);
    assert_int_equal(JsonUtils_Parse(NULL, 3, 100, 3, &root), JsonUtils_Result_Invalid);
    assert_int_equal(JsonUtils_Parse("{}", 2, 100, 3, NULL), JsonUtils_Result_Invalid);
    assert_string_equal(JsonUtils_ResultToString(JsonUtils_Result_TooDeep),
                        "payload is nested too deeply");
}

static void test_Print_smallBuffer_falseAndEmpty(void **state) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "key", "value");
    char buffer[64];
    size_t length = 0;
    assert_true(JsonUtils_Print(root, buffer, sizeof(buffer), &length));
    assert_string_equal(buffer, "{\"key\":\"value\"}");
    assert_int_equal(length, 15);
    char small[8];
    assert_false(JsonUtils_Print(root, small, sizeof(small), &length));
    assert_string_equal(small, "");
    assert_int_equal(length, 0);
    assert_false(JsonUtils_Print(NULL, buffer, sizeof(buffer), &length));
    cJSON_Delete(root);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_Parse_wellFormedValues_ok),
        cmocka_unit_test(test_Parse_depthLimit_exactlyAtLimitOk),
        cmocka_unit_test(test_Parse_sizeLimit_exactlyAtLimitOk),
        cmocka_unit_test(test_Parse_hostileInput_refused),
        cmocka_unit_test(test_Print_smallBuffer_falseAndEmpty),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
