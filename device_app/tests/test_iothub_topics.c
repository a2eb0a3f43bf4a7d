// SPDX-License-Identifier: MIT
// Unit tests for iothub_topics: the exact topics the device publishes, and classification of
// every topic shape the hub sends, including hostile ones (over-long, bad escapes, missing or
// duplicated request ids, out-of-range statuses and versions).

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "iothub_topics.h"

static IoTHubTopics_ParsedTopic parsed;

static void test_BuildTelemetryTopic_minimal_hasSystemProperties(void **state) {
    char topic[256];
    size_t length = 0;
    IoTHubTopics_TelemetryProperties properties = {.messageId = "m1"};
    assert_int_equal(
        IoTHubTopics_BuildTelemetryTopic("dev1", &properties, topic, sizeof(topic), &length),
        IoTHubTopics_Result_Ok);
    assert_string_equal(topic,
                        "devices/dev1/messages/events/$.mid=m1&$.ct=application%2Fjson&$.ce=utf-8");
    assert_int_equal(length, strlen(topic));
}

static void test_BuildTelemetryTopic_timeAndProperties_encodesThem(void **state) {
    char topic[256];
    struct timespec created = {.tv_sec = 1700000000, .tv_nsec = 123456789};
    IoTHubTopics_Property appProperties[] = {
        {"event", "button A"}, {"flag", NULL}, {"a&b", "x=y/z"}};
    IoTHubTopics_TelemetryProperties properties = {.messageId = "e1-7",
                                                   .creationTime = &created,
                                                   .properties = appProperties,
                                                   .propertyCount = 3};
    assert_int_equal(
        IoTHubTopics_BuildTelemetryTopic("dev1", &properties, topic, sizeof(topic), NULL),
        IoTHubTopics_Result_Ok);
    assert_string_equal(topic,
                        "devices/dev1/messages/events/$.mid=e1-7&$.ct=application%2Fjson"
                        "&$.ce=utf-8&$.ctime=2023-11-14T22%3A13%3A20.123Z&event=button%20A&flag"
                        "&a%26b=x%3Dy%2Fz");
}

static void test_BuildTelemetryTopic_dollarPropertyName_rejected(void **state) {
    char topic[256];
    IoTHubTopics_Property appProperties[] = {{"$.mid", "spoof"}};
    IoTHubTopics_TelemetryProperties properties = {
        .messageId = "m1", .properties = appProperties, .propertyCount = 1};
    assert_int_equal(
        IoTHubTopics_BuildTelemetryTopic("dev1", &properties, topic, sizeof(topic), NULL),
        IoTHubTopics_Result_InvalidArgument);
}

static void test_BuildTelemetryTopic_badArguments_rejected(void **state) {
    char topic[256];
    char longId[IOTHUB_TOPICS_MAX_DEVICE_ID_LENGTH + 2];
    memset(longId, 'a', sizeof(longId) - 1);
    longId[sizeof(longId) - 1] = '\0';
    IoTHubTopics_TelemetryProperties properties = {.messageId = "m1"};
    IoTHubTopics_TelemetryProperties noId = {.messageId = ""};
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("a/b", &properties, topic, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("", &properties, topic, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic(longId, &properties, topic, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("dev1", &noId, topic, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("dev1", NULL, topic, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("dev1", &properties, NULL, 256, NULL),
                     IoTHubTopics_Result_InvalidArgument);
}

static void test_BuildTelemetryTopic_bufferOneShort_tooSmallAndEmpty(void **state) {
    char topic[256];
    size_t length = 0;
    IoTHubTopics_TelemetryProperties properties = {.messageId = "m1"};
    assert_int_equal(
        IoTHubTopics_BuildTelemetryTopic("dev1", &properties, topic, sizeof(topic), &length),
        IoTHubTopics_Result_Ok);
    char exact[256];
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("dev1", &properties, exact, length + 1, NULL),
                     IoTHubTopics_Result_Ok);
    assert_string_equal(exact, topic);
    assert_int_equal(IoTHubTopics_BuildTelemetryTopic("dev1", &properties, exact, length, &length),
                     IoTHubTopics_Result_BufferTooSmall);
    assert_string_equal(exact, "");
    assert_int_equal(length, 0);
}

static void test_FormatIso8601_epochAndInvalid_formatsOrRefuses(void **state) {
    char text[IOTHUB_TOPICS_ISO8601_SIZE];
    struct timespec epoch = {0, 999999999};
    assert_true(IoTHubTopics_FormatIso8601(&epoch, text, sizeof(text)));
    assert_string_equal(text, "1970-01-01T00:00:00.999Z");
    struct timespec bad = {0, 1000000000};
    assert_false(IoTHubTopics_FormatIso8601(&bad, text, sizeof(text)));
    assert_false(IoTHubTopics_FormatIso8601(&epoch, text, 10));
    assert_string_equal(text, "");
}

static void test_BuildRequestTopics_validIds_exactTopics(void **state) {
    char topic[128];
    size_t length = 0;
    assert_int_equal(IoTHubTopics_BuildTwinGetTopic("42", topic, sizeof(topic), &length),
                     IoTHubTopics_Result_Ok);
    assert_string_equal(topic, "$iothub/twin/GET/?$rid=42");
    assert_int_equal(length, strlen(topic));
    assert_int_equal(IoTHubTopics_BuildTwinReportedPatchTopic("43", topic, sizeof(topic), NULL),
                     IoTHubTopics_Result_Ok);
    assert_string_equal(topic, "$iothub/twin/PATCH/properties/reported/?$rid=43");
    assert_int_equal(
        IoTHubTopics_BuildMethodResponseTopic(404, "a%2Fb", topic, sizeof(topic), NULL),
        IoTHubTopics_Result_Ok);
    assert_string_equal(topic, "$iothub/methods/res/404/?$rid=a%2Fb");
    assert_int_equal(
        IoTHubTopics_BuildCloudToDeviceSubscription("dev1", topic, sizeof(topic), NULL),
        IoTHubTopics_Result_Ok);
    assert_string_equal(topic, "devices/dev1/messages/devicebound/#");
}

static void test_BuildRequestTopics_badIdOrStatus_rejected(void **state) {
    char topic[512];
    char longRid[IOTHUB_TOPICS_MAX_REQUEST_ID_LENGTH + 2];
    memset(longRid, '1', sizeof(longRid) - 1);
    longRid[sizeof(longRid) - 1] = '\0';
    const char *bad[] = {"", "a&b", "a b", "a#", "a+b", longRid};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(IoTHubTopics_BuildTwinGetTopic(bad[i], topic, sizeof(topic), NULL),
                         IoTHubTopics_Result_InvalidArgument);
    }
    assert_int_equal(IoTHubTopics_BuildMethodResponseTopic(99, "1", topic, sizeof(topic), NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildMethodResponseTopic(600, "1", topic, sizeof(topic), NULL),
                     IoTHubTopics_Result_InvalidArgument);
    assert_int_equal(IoTHubTopics_BuildTwinGetTopic("1", topic, 5, NULL),
                     IoTHubTopics_Result_BufferTooSmall);
}

static void test_Parse_twinResponse_statusRidVersion(void **state) {
    assert_int_equal(IoTHubTopics_Parse("$iothub/twin/res/200/?$rid=7", "dev1", &parsed),
                     IoTHubTopics_TopicType_TwinResponse);
    assert_int_equal(parsed.status, 200);
    assert_string_equal(parsed.requestId, "7");
    assert_false(parsed.hasVersion);

    assert_int_equal(
        IoTHubTopics_Parse("$iothub/twin/res/204/?$version=3&$rid=4&extra=x", "dev1", &parsed),
        IoTHubTopics_TopicType_TwinResponse);
    assert_int_equal(parsed.status, 204);
    assert_string_equal(parsed.requestId, "4");
    assert_true(parsed.hasVersion);
    assert_int_equal(parsed.version, 3);

    // An encoded key is the same key; the rid itself is kept exactly as sent.
    assert_int_equal(IoTHubTopics_Parse("$iothub/twin/res/429/?%24rid=a%2Fb", "dev1", &parsed),
                     IoTHubTopics_TopicType_TwinResponse);
    assert_int_equal(parsed.status, 429);
    assert_string_equal(parsed.requestId, "a%2Fb");
}

static void test_Parse_twinResponseHostile_malformed(void **state) {
    const char *topics[] = {
        "$iothub/twin/res/200/?$version=3",     // no rid
        "$iothub/twin/res/200/?$rid=",          // empty rid
        "$iothub/twin/res/200/?$rid=1&$rid=2",  // ambiguous rid
        "$iothub/twin/res/200/?$rid=1&$version=2&$version=3",
        "$iothub/twin/res/abc/?$rid=1",  // status not a number
        "$iothub/twin/res/99/?$rid=1",   // status out of range
        "$iothub/twin/res/600/?$rid=1",
        "$iothub/twin/res/0200/?$rid=1",
        "$iothub/twin/res//?$rid=1",
        "$iothub/twin/res/200?$rid=1",  // no slash before '?'
        "$iothub/twin/res/200/$rid=1",  // no '?'
        "$iothub/twin/res/200/?$rid=1&$version=x1",
        "$iothub/twin/res/200/?$rid=1&$version=",
        "$iothub/twin/res/200/?$rid=1&$version=99999999999999999999",
        "$iothub/twin/res/200/?$rid=1&$version=9223372036854775808",
        "$iothub/twin/res/200/?%zz=1&$rid=1",  // bad escape in a key
        "$iothub/twin/res/200/?%2=1&$rid=1",
        "$iothub/twin/res/200/?$rid=1&k=a b",  // raw space
        "$iothub/twin/res/200/?$rid=1 2",
        "$iothub/twin/res/",
    };
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        IoTHubTopics_TopicType type = IoTHubTopics_Parse(topics[i], "dev1", &parsed);
        if (type != IoTHubTopics_TopicType_Malformed) {
            fail_msg("'%s' classified as %d", topics[i], (int)type);
        }
        assert_string_equal(parsed.requestId, "");
    }
}

static void test_Parse_overLongTopic_malformed(void **state) {
    char topic[IOTHUB_TOPICS_MAX_TOPIC_LENGTH + 32];
    int n = snprintf(topic, sizeof(topic), "$iothub/twin/res/200/?$rid=1&pad=");
    memset(topic + n, 'x', sizeof(topic) - (size_t)n - 1);
    topic[sizeof(topic) - 1] = '\0';
    assert_int_equal(IoTHubTopics_Parse(topic, "dev1", &parsed), IoTHubTopics_TopicType_Malformed);
    // Exactly at the limit is still accepted.
    topic[IOTHUB_TOPICS_MAX_TOPIC_LENGTH] = '\0';
    assert_int_equal(IoTHubTopics_Parse(topic, "dev1", &parsed),
                     IoTHubTopics_TopicType_TwinResponse);
}

static void test_Parse_desiredPatch_versionRequired(void **state) {
    assert_int_equal(
        IoTHubTopics_Parse("$iothub/twin/PATCH/properties/desired/?$version=12", "d", &parsed),
        IoTHubTopics_TopicType_DesiredPropertiesPatch);
    assert_true(parsed.hasVersion);
    assert_int_equal(parsed.version, 12);
    assert_int_equal(IoTHubTopics_Parse("$iothub/twin/PATCH/properties/desired/?x=1", "d", &parsed),
                     IoTHubTopics_TopicType_Malformed);
    assert_int_equal(IoTHubTopics_Parse("$iothub/twin/PATCH/properties/desired/", "d", &parsed),
                     IoTHubTopics_TopicType_Malformed);
}

static void test_Parse_methodRequest_nameAndRid(void **state) {
    assert_int_equal(IoTHubTopics_Parse("$iothub/methods/POST/setLed/?$rid=abc1", "d", &parsed),
                     IoTHubTopics_TopicType_MethodRequest);
    assert_string_equal(parsed.methodName, "setLed");
    assert_string_equal(parsed.requestId, "abc1");

    char longName[256];
    char name[IOTHUB_TOPICS_MAX_METHOD_NAME_LENGTH + 2];
    memset(name, 'm', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    snprintf(longName, sizeof(longName), "$iothub/methods/POST/%s/?$rid=1", name);
    const char *topics[] = {
        "$iothub/methods/POST/setLed/?x=1",
        "$iothub/methods/POST//?$rid=1",
        "$iothub/methods/POST/a%41/?$rid=1",
        "$iothub/methods/POST/setLed?$rid=1",
        "$iothub/methods/POST/setLed/",
        "$iothub/methods/POST/a/b/?$rid=1",
        longName,
    };
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        assert_int_equal(IoTHubTopics_Parse(topics[i], "d", &parsed),
                         IoTHubTopics_TopicType_Malformed);
    }
}

static void test_Parse_cloudToDevice_decodesBag(void **state) {
    assert_int_equal(IoTHubTopics_Parse("devices/dev1/messages/devicebound/%24.mid=abc&%24.to="
                                        "%2Fdevices%2Fdev1%2Fmessages%2FdeviceBound&iothub-ack="
                                        "full&&flag&empty=&sp=a%20b",
                                        "dev1", &parsed),
                     IoTHubTopics_TopicType_CloudToDevice);
    assert_int_equal(parsed.propertyCount, 6);
    assert_string_equal(IoTHubTopics_FindProperty(&parsed, "$.mid")->value, "abc");
    assert_string_equal(IoTHubTopics_FindProperty(&parsed, "$.to")->value,
                        "/devices/dev1/messages/deviceBound");
    assert_null(IoTHubTopics_FindProperty(&parsed, "flag")->value);
    assert_string_equal(IoTHubTopics_FindProperty(&parsed, "empty")->value, "");
    assert_string_equal(IoTHubTopics_FindProperty(&parsed, "sp")->value, "a b");
    assert_null(IoTHubTopics_FindProperty(&parsed, "missing"));

    assert_int_equal(IoTHubTopics_Parse("devices/dev1/messages/devicebound/", "dev1", &parsed),
                     IoTHubTopics_TopicType_CloudToDevice);
    assert_int_equal(parsed.propertyCount, 0);
}

static void test_Parse_cloudToDeviceOtherDevice_notRecognised(void **state) {
    assert_int_equal(IoTHubTopics_Parse("devices/dev2/messages/devicebound/a=b", "dev1", &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("devices/dev1x/messages/devicebound/", "dev1", &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("devices/dev1/messages/events/", "dev1", &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
}

static void test_Parse_cloudToDeviceHostile_malformed(void **state) {
    const char *topics[] = {
        "devices/d/messages/devicebound/a=%4",       "devices/d/messages/devicebound/a=%zz",
        "devices/d/messages/devicebound/a=%00b",     "devices/d/messages/devicebound/a=b c",
        "devices/d/messages/devicebound/=v",         "devices/d/messages/devicebound/a=\x01",
        "devices/d/messages/devicebound/a=\xc3\xa9", "devices/d/messages/devicebound/%=1",
    };
    for (size_t i = 0; i < sizeof(topics) / sizeof(topics[0]); i++) {
        if (IoTHubTopics_Parse(topics[i], "d", &parsed) != IoTHubTopics_TopicType_Malformed) {
            fail_msg("'%s' not malformed", topics[i]);
        }
        assert_int_equal(parsed.propertyCount, 0);
    }

    char many[512];
    int n = snprintf(many, sizeof(many), "devices/d/messages/devicebound/");
    for (int i = 0; i <= IOTHUB_TOPICS_MAX_PROPERTIES; i++) {
        n += snprintf(many + n, sizeof(many) - (size_t)n, "p%d=%d&", i, i);
    }
    assert_int_equal(IoTHubTopics_Parse(many, "d", &parsed), IoTHubTopics_TopicType_Malformed);
}

static void test_Parse_unrelatedOrNull_notRecognised(void **state) {
    assert_int_equal(IoTHubTopics_Parse("foo/bar", "d", &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("$iothub/twin/GET/?$rid=1", "d", &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("", "d", &parsed), IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse(NULL, "d", &parsed), IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("foo", NULL, &parsed),
                     IoTHubTopics_TopicType_NotRecognised);
    assert_int_equal(IoTHubTopics_Parse("foo", "d", NULL), IoTHubTopics_TopicType_NotRecognised);
    assert_null(IoTHubTopics_FindProperty(NULL, "a"));
}

// Random topics built from the protocol's own pieces and troublesome bytes: nothing may crash
// (the sanitizer build checks memory), and whatever is accepted must satisfy the rules.
static void test_Parse_randomTopics_acceptedOnlyWhenValid(void **state) {
    static const char *const pieces[] = {
        "$iothub/twin/res/",
        "$iothub/twin/PATCH/properties/desired/",
        "$iothub/methods/POST/",
        "devices/d/messages/devicebound/",
        "200",
        "/",
        "?",
        "$rid=",
        "$version=",
        "&",
        "=",
        "%",
        "%2",
        "%24",
        "%00",
        "%zz",
        "1",
        "x",
        "99999999999999999999",
        " ",
        "\x7f",
        "\xff",
        "+",
        "#",
        "&&",
    };
    unsigned int seed = 12345;
    for (int round = 0; round < 20000; round++) {
        char topic[IOTHUB_TOPICS_MAX_TOPIC_LENGTH + 64] = "";
        size_t length = 0;
        int count = 1 + (int)(rand_r(&seed) % 10);
        for (int i = 0; i < count; i++) {
            const char *piece =
                pieces[(size_t)rand_r(&seed) % (sizeof(pieces) / sizeof(pieces[0]))];
            size_t pieceLength = strlen(piece);
            if (length + pieceLength >= sizeof(topic)) {
                break;
            }
            memcpy(topic + length, piece, pieceLength + 1);
            length += pieceLength;
        }
        IoTHubTopics_TopicType type = IoTHubTopics_Parse(topic, "d", &parsed);
        if (type == IoTHubTopics_TopicType_TwinResponse ||
            type == IoTHubTopics_TopicType_MethodRequest) {
            assert_true(IoTHubTopics_IsValidRequestId(parsed.requestId));
        }
        if (type == IoTHubTopics_TopicType_TwinResponse) {
            assert_in_range(parsed.status, 100, 599);
        }
        for (size_t i = 0; i < parsed.propertyCount; i++) {
            assert_true(parsed.properties[i].name[0] != '\0');
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_BuildTelemetryTopic_minimal_hasSystemProperties),
        cmocka_unit_test(test_BuildTelemetryTopic_timeAndProperties_encodesThem),
        cmocka_unit_test(test_BuildTelemetryTopic_dollarPropertyName_rejected),
        cmocka_unit_test(test_BuildTelemetryTopic_badArguments_rejected),
        cmocka_unit_test(test_BuildTelemetryTopic_bufferOneShort_tooSmallAndEmpty),
        cmocka_unit_test(test_FormatIso8601_epochAndInvalid_formatsOrRefuses),
        cmocka_unit_test(test_BuildRequestTopics_validIds_exactTopics),
        cmocka_unit_test(test_BuildRequestTopics_badIdOrStatus_rejected),
        cmocka_unit_test(test_Parse_twinResponse_statusRidVersion),
        cmocka_unit_test(test_Parse_twinResponseHostile_malformed),
        cmocka_unit_test(test_Parse_overLongTopic_malformed),
        cmocka_unit_test(test_Parse_desiredPatch_versionRequired),
        cmocka_unit_test(test_Parse_methodRequest_nameAndRid),
        cmocka_unit_test(test_Parse_cloudToDevice_decodesBag),
        cmocka_unit_test(test_Parse_cloudToDeviceOtherDevice_notRecognised),
        cmocka_unit_test(test_Parse_cloudToDeviceHostile_malformed),
        cmocka_unit_test(test_Parse_unrelatedOrNull_notRecognised),
        cmocka_unit_test(test_Parse_randomTopics_acceptedOnlyWhenValid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
