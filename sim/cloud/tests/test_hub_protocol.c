// SPDX-License-Identifier: MIT
// Unit tests for the local hub's device-protocol parsers and builders (hub_protocol.h). Inputs
// are what a hostile or merely sloppy MQTT client could send: fields at and one past every limit,
// broken %-escapes, embedded NULs, other devices' ids, wildcards and near-miss topics.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_protocol.h"

// A heap string of n copies of c, freed by the caller.
static char *repeat(char c, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

// ---- result names, ids ----

static void test_hub_result_name_every_value_named(void **state) {
    (void)state;
    assert_string_equal(hub_result_name(HUB_OK), "ok");
    assert_string_equal(hub_result_name(HUB_ERR_INVALID), "invalid");
    assert_string_equal(hub_result_name(HUB_ERR_TOO_LARGE), "too-large");
    assert_string_equal(hub_result_name(HUB_ERR_NO_MATCH), "no-match");
    assert_string_equal(hub_result_name(HUB_ERR_AUTH), "auth");
    assert_string_equal(hub_result_name(HUB_ERR_EXPIRED), "expired");
    assert_string_equal(hub_result_name(HUB_ERR_INTERNAL), "internal");
    assert_string_equal(hub_result_name((enum hub_result)99), "unknown");
}

static void test_hub_is_valid_device_id_allowed_charset_accepted(void **state) {
    (void)state;
    assert_true(hub_is_valid_device_id("dev1"));
    assert_true(hub_is_valid_device_id("A-b.c%d_e*f?g!h(i)j,k:l=m@n$o'p"));
    char *at = repeat('a', HUB_MAX_ID);
    assert_true(hub_is_valid_device_id(at));
    free(at);
}

static void test_hub_is_valid_device_id_bad_chars_and_lengths_refused(void **state) {
    (void)state;
    const char *bad[] = {"", "a+b", "a#b", "a/b", "a b", "a\tb", "caf\xc3\xa9", "a&b", "a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(hub_is_valid_device_id(bad[i]));
    }
    assert_false(hub_is_valid_device_id(NULL));
    char *past = repeat('a', HUB_MAX_ID + 1);
    assert_false(hub_is_valid_device_id(past));
    free(past);
}

static void test_hub_is_valid_request_id_limits_and_escapes(void **state) {
    (void)state;
    assert_true(hub_is_valid_request_id("1"));
    assert_true(hub_is_valid_request_id("a%2Fb"));
    const char *bad[] = {"", "a b", "a#b", "a+b", "a&b", "%", "%4", "%zz", "%00", "\x7f"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(hub_is_valid_request_id(bad[i]));
    }
    char *at = repeat('7', HUB_MAX_RID);
    char *past = repeat('7', HUB_MAX_RID + 1);
    assert_true(hub_is_valid_request_id(at));
    assert_false(hub_is_valid_request_id(past));
    free(at);
    free(past);
}

static void test_hub_is_valid_method_name_separators_refused(void **state) {
    (void)state;
    assert_true(hub_is_valid_method_name("reboot"));
    assert_true(hub_is_valid_method_name("set-LED_1.0"));
    const char *bad[] = {"", "a/b", "a?b", "a#b", "a+b", "a&b", "a%20", "a b", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(hub_is_valid_method_name(bad[i]));
    }
    char *at = repeat('m', HUB_MAX_METHOD);
    char *past = repeat('m', HUB_MAX_METHOD + 1);
    assert_true(hub_is_valid_method_name(at));
    assert_false(hub_is_valid_method_name(past));
    free(at);
    free(past);
}

// ---- URL encoding ----

static void test_hub_url_decode_bad_escapes_invalid(void **state) {
    (void)state;
    char out[16];
    const char *bad[] = {"%", "%4", "%zz", "%00", "a%", "a%g0", "%0g"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_url_decode(bad[i], strlen(bad[i]), out, sizeof out, NULL),
                         HUB_ERR_INVALID);
    }
    assert_int_equal(hub_url_decode("a\0b", 3, out, sizeof out, NULL), HUB_ERR_INVALID);
}

static void test_hub_url_decode_plus_kept_and_size_bounded(void **state) {
    (void)state;
    char out[4];
    size_t len = 0;
    assert_int_equal(hub_url_decode("a+%2f", 5, out, sizeof out, &len), HUB_OK);
    assert_string_equal(out, "a+/");
    assert_int_equal(len, 3);
    assert_int_equal(hub_url_decode("abcd", 4, out, sizeof out, NULL), HUB_ERR_TOO_LARGE);
}

static void test_hub_url_encode_reserved_encoded_too_small_fails(void **state) {
    (void)state;
    char out[32];
    assert_int_equal(hub_url_encode("a/b c$.~", out, sizeof out), 14);
    assert_string_equal(out, "a%2Fb%20c%24.~");
    assert_int_equal(hub_url_encode("a/b", out, 5), -1);
    assert_string_equal(out, "");
    assert_int_equal(hub_url_encode("a/b", out, 6), 5);
}

// ---- usernames ----

static void test_hub_parse_username_documented_form_parsed(void **state) {
    (void)state;
    struct hub_username u;
    assert_int_equal(hub_parse_username("myhub.azure-devices.net/dev1/?api-version=2021-04-12", &u),
                     HUB_OK);
    assert_string_equal(u.host, "myhub.azure-devices.net");
    assert_string_equal(u.device_id, "dev1");
    assert_string_equal(u.module_id, "");
    assert_string_equal(u.api_version, "2021-04-12");
    assert_string_equal(u.model_id, "");
}

static void test_hub_parse_username_sdk_extras_decoded(void **state) {
    (void)state;
    struct hub_username u;
    assert_int_equal(hub_parse_username("h/dev1/?api-version=2020-09-30&DeviceClientType="
                                        "iothubclient%2f1.11.0&model-id=dtmi%3Acom%3Aex%3B1",
                                        &u),
                     HUB_OK);
    assert_string_equal(u.api_version, "2020-09-30");
    assert_string_equal(u.model_id, "dtmi:com:ex;1");
}

static void test_hub_parse_username_module_and_old_forms_parsed(void **state) {
    (void)state;
    struct hub_username u;
    assert_int_equal(hub_parse_username("h/dev1/mod1/?api-version=2021-04-12", &u), HUB_OK);
    assert_string_equal(u.device_id, "dev1");
    assert_string_equal(u.module_id, "mod1");
    assert_int_equal(hub_parse_username("h/dev1/api-version=2016-11-14", &u), HUB_OK);
    assert_string_equal(u.module_id, "");
    assert_string_equal(u.api_version, "2016-11-14");
    assert_int_equal(hub_parse_username("h/dev1/mod1/api-version=2016-11-14&x=1", &u), HUB_OK);
    assert_string_equal(u.module_id, "mod1");
    assert_int_equal(hub_parse_username("h/dev1/", &u), HUB_OK);
    assert_string_equal(u.api_version, "");
    assert_int_equal(hub_parse_username("h/dev1/?", &u), HUB_OK);
}

static void test_hub_parse_username_malformed_invalid(void **state) {
    (void)state;
    struct hub_username u;
    const char *bad[] = {
        "",
        "h",
        "h/dev1",                       // no slash after the device id
        "/dev1/?api-version=1",         // empty host
        "h//?api-version=1",            // empty device id
        "h/dev+1/?api-version=1",       // wildcard in the id
        "h/dev#/?api-version=1",        // wildcard in the id
        "h/dev1/junk",                  // module id without its slash
        "h/dev1/mod 1/?api-version=1",  // bad module id
        "h/dev1/mod1/extra/?a=1",       // a path too deep
        "h/dev1/?api-version=%zz",      // bad escape
        "h/dev1/?api-version=%",        // bad escape
        "h/dev1/?api-version=%4",       // bad escape
        "h/dev1/?api-version=a%00b",    // decodes to NUL
        "h/dev1/?x=%zz",                // bad escape in an ignored parameter
        "h/dev1/?api-version=1&api-version=2",
        "h/dev1/?model-id=a&model-id=b",
        "ho st/dev1/?api-version=1",
        "h?x/dev1/?api-version=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_parse_username(bad[i], &u), HUB_ERR_INVALID);
        assert_string_equal(u.device_id, "");
    }
    assert_int_equal(hub_parse_username(NULL, &u), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_username("h/dev1/", NULL), HUB_ERR_INVALID);
}

static void test_hub_parse_username_field_limits_at_and_past(void **state) {
    (void)state;
    struct hub_username u;
    char buf[1024];
    char *host = repeat('h', 255);
    char *id = repeat('d', HUB_MAX_ID);
    char *api = repeat('1', sizeof u.api_version - 1);
    char *model = repeat('m', sizeof u.model_id - 1);
    snprintf(buf, sizeof buf, "%s/%s/%s/?api-version=%s&model-id=%s", host, id, id, api, model);
    assert_int_equal(hub_parse_username(buf, &u), HUB_OK);
    assert_int_equal(strlen(u.host), 255);
    assert_int_equal(strlen(u.model_id), sizeof u.model_id - 1);

    snprintf(buf, sizeof buf, "%sh/dev1/", host);
    assert_int_equal(hub_parse_username(buf, &u), HUB_ERR_INVALID);
    snprintf(buf, sizeof buf, "h/%sd/", id);
    assert_int_equal(hub_parse_username(buf, &u), HUB_ERR_INVALID);
    snprintf(buf, sizeof buf, "h/dev1/%sd/", id);
    assert_int_equal(hub_parse_username(buf, &u), HUB_ERR_INVALID);
    snprintf(buf, sizeof buf, "h/dev1/?api-version=%s1", api);
    assert_int_equal(hub_parse_username(buf, &u), HUB_ERR_INVALID);
    snprintf(buf, sizeof buf, "h/dev1/?model-id=%sm", model);
    assert_int_equal(hub_parse_username(buf, &u), HUB_ERR_INVALID);
    free(host);
    free(id);
    free(api);
    free(model);
}

static void test_hub_parse_username_other_device_id_reported_as_is(void **state) {
    (void)state;
    // The parser reports whose name is in the username; the plugin compares it with the client id.
    struct hub_username u;
    assert_int_equal(hub_parse_username("h/dev2/?api-version=1", &u), HUB_OK);
    assert_string_equal(u.device_id, "dev2");
}

static void test_hub_parse_dps_username_forms(void **state) {
    (void)state;
    struct hub_dps_username d;
    assert_int_equal(hub_parse_dps_username("0ne00000A0A/registrations/reg-1/"
                                            "api-version=2019-03-31&ClientVersion=c%2F1.0",
                                            &d),
                     HUB_OK);
    assert_string_equal(d.id_scope, "0ne00000A0A");
    assert_string_equal(d.registration_id, "reg-1");
    assert_string_equal(d.api_version, "2019-03-31");
    assert_int_equal(hub_parse_dps_username("s/registrations/r/?api-version=1", &d), HUB_OK);
    assert_int_equal(hub_parse_dps_username("h/dev1/?api-version=1", &d), HUB_ERR_NO_MATCH);
    assert_int_equal(hub_parse_dps_username("s/registrations/r$1/api-version=1", &d),
                     HUB_ERR_INVALID);
    assert_int_equal(hub_parse_dps_username("s/registrations/r", &d), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_dps_username("s-1/registrations/r/", &d), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_dps_username("s/registrations/r/junk", &d), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_dps_username(NULL, &d), HUB_ERR_INVALID);
}

// ---- property bags ----

static void test_hub_parse_property_bag_system_and_app_properties_decoded(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    const char *t = "%24.mid=m1&$.ct=application%2Fjson&%24.ce=utf-8&temp+alert=a+b&flag&empty=";
    assert_int_equal(hub_parse_property_bag(t, strlen(t), &bag), HUB_OK);
    assert_int_equal(bag.count, 6);
    assert_string_equal(bag.items[0].key, "$.mid");
    assert_string_equal(bag.items[0].value, "m1");
    assert_string_equal(bag.items[1].key, "$.ct");
    assert_string_equal(bag.items[1].value, "application/json");
    assert_true(hub_is_system_property(bag.items[1].key));
    assert_string_equal(bag.items[3].key, "temp+alert"); /* '+' is not a space */
    assert_string_equal(bag.items[3].value, "a+b");
    assert_false(hub_is_system_property(bag.items[3].key));
    assert_false(bag.items[4].has_value);
    assert_true(bag.items[5].has_value);
    assert_string_equal(hub_property_get(&bag, "flag"), "");
    assert_string_equal(hub_property_get(&bag, "empty"), "");
    assert_null(hub_property_get(&bag, "missing"));
    assert_string_equal(hub_property_get(&bag, "$.ce"), "utf-8");
}

static void test_hub_parse_property_bag_empty_and_odd_segments_tolerated(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    assert_int_equal(hub_parse_property_bag("", 0, &bag), HUB_OK);
    assert_int_equal(bag.count, 0);
    assert_int_equal(hub_parse_property_bag(NULL, 0, &bag), HUB_OK);
    assert_int_equal(hub_parse_property_bag("a=1&&b=2&", 9, &bag), HUB_OK);
    assert_int_equal(bag.count, 2);
    assert_int_equal(hub_parse_property_bag("a=b=c", 5, &bag), HUB_OK);
    assert_string_equal(bag.items[0].value, "b=c");
    assert_true(bag.items[0].has_value);
    // Only len bytes count: the rest of the buffer is not part of the bag.
    assert_int_equal(hub_parse_property_bag("a=1&b=2%zz", 7, &bag), HUB_OK);
    assert_int_equal(bag.count, 2);
    assert_string_equal(bag.items[1].value, "2");
}

static void test_hub_parse_property_bag_bad_escapes_invalid(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    const char *bad[] = {"%",     "%4",   "%zz", "%00=1",  "a=%",   "a=%4",  "a=%zz",
                         "a=%00", "a=1%", "=v",  "a=1&=2", "k%2=v", "a=%G1", "a=%1G"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_parse_property_bag(bad[i], strlen(bad[i]), &bag), HUB_ERR_INVALID);
        assert_int_equal(bag.count, 0);
        assert_int_equal(hub_validate_property_bag(bad[i], strlen(bad[i])), HUB_ERR_INVALID);
    }
}

static void test_hub_parse_property_bag_embedded_nul_invalid(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    static const char text[] = "a=1\0b=2";
    assert_int_equal(hub_parse_property_bag(text, sizeof text - 1, &bag), HUB_ERR_INVALID);
    static const char in_key[] = "a\0x=1";
    assert_int_equal(hub_parse_property_bag(in_key, sizeof in_key - 1, &bag), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_property_bag("a=1", 3, NULL), HUB_ERR_INVALID);
    assert_int_equal(hub_parse_property_bag(NULL, 3, &bag), HUB_ERR_INVALID);
}

static void test_hub_parse_property_bag_count_limit_at_and_past(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    char text[HUB_MAX_PROPERTIES * 8 + 16] = "";
    size_t len = 0;
    for (int i = 0; i < HUB_MAX_PROPERTIES; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, "%sk%d=v", i ? "&" : "", i);
    }
    assert_int_equal(hub_parse_property_bag(text, len, &bag), HUB_OK);
    assert_int_equal(bag.count, HUB_MAX_PROPERTIES);
    len += (size_t)snprintf(text + len, sizeof text - len, "&one=more");
    assert_int_equal(hub_parse_property_bag(text, len, &bag), HUB_ERR_TOO_LARGE);
    assert_int_equal(bag.count, 0);
    assert_int_equal(hub_validate_property_bag(text, len), HUB_ERR_TOO_LARGE);
}

static void test_hub_parse_property_bag_key_value_limits_at_and_past(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    static char text[4 * HUB_MAX_PROPERTY_VALUE];
    char *key_at = repeat('k', HUB_MAX_PROPERTY_KEY - 1);
    char *value_at = repeat('v', HUB_MAX_PROPERTY_VALUE - 1);
    int n = snprintf(text, sizeof text, "%s=%s", key_at, value_at);
    assert_int_equal(hub_parse_property_bag(text, (size_t)n, &bag), HUB_OK);
    n = snprintf(text, sizeof text, "%sk=v", key_at);
    assert_int_equal(hub_parse_property_bag(text, (size_t)n, &bag), HUB_ERR_TOO_LARGE);
    n = snprintf(text, sizeof text, "k=%sv", value_at);
    assert_int_equal(hub_parse_property_bag(text, (size_t)n, &bag), HUB_ERR_TOO_LARGE);
    // Limits are on decoded bytes: 255 escapes are 765 characters but a 255-byte key.
    n = 0;
    for (int i = 0; i < HUB_MAX_PROPERTY_KEY - 1; i++) {
        n += snprintf(text + n, sizeof text - (size_t)n, "%%41");
    }
    n += snprintf(text + n, sizeof text - (size_t)n, "=1");
    assert_int_equal(hub_parse_property_bag(text, (size_t)n, &bag), HUB_OK);
    assert_int_equal(strlen(bag.items[0].key), HUB_MAX_PROPERTY_KEY - 1);
    free(key_at);
    free(value_at);
}

static void test_hub_encode_property_bag_round_trip(void **state) {
    (void)state;
    static struct hub_property_bag bag, back;
    const char *t = "%24.mid=m%201&%24.to=%2Fdevices%2Fd%2Fmessages%2Fdevicebound&flag&e=&x=%C3%A9";
    assert_int_equal(hub_parse_property_bag(t, strlen(t), &bag), HUB_OK);
    char out[256];
    int n = hub_encode_property_bag(&bag, out, sizeof out);
    assert_int_equal(n, (int)strlen(t));
    assert_string_equal(out, t);
    assert_int_equal(hub_parse_property_bag(out, (size_t)n, &back), HUB_OK);
    assert_memory_equal(&bag, &back, sizeof bag);
}

static void test_hub_encode_property_bag_too_small_fails_empty(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    assert_int_equal(hub_parse_property_bag("$.mid=1", 7, &bag), HUB_OK);
    char out[16];
    assert_int_equal(hub_encode_property_bag(&bag, out, 10), 9); /* "%24.mid=1" + NUL */
    assert_int_equal(hub_encode_property_bag(&bag, out, 9), -1);
    assert_string_equal(out, "");
    assert_int_equal(hub_encode_property_bag(&bag, out, 0), -1);
    assert_int_equal(hub_encode_property_bag(NULL, out, sizeof out), -1);
    bag.items[0].key[0] = '\0';
    assert_int_equal(hub_encode_property_bag(&bag, out, sizeof out), -1);
    memset(bag.items[0].key, 'k', sizeof bag.items[0].key); /* unterminated */
    assert_int_equal(hub_encode_property_bag(&bag, out, sizeof out), -1);
    bag.count = HUB_MAX_PROPERTIES + 1;
    assert_int_equal(hub_encode_property_bag(&bag, out, sizeof out), -1);
}

// ---- topics a device publishes ----

static void test_hub_classify_publish_telemetry_with_and_without_bag(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *t = "devices/dev1/messages/events/";
    assert_int_equal(hub_classify_publish(t, "dev1", &p), HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_TELEMETRY);
    assert_int_equal(p.properties_offset, strlen(t));
    assert_int_equal(p.properties_len, 0);
    t = "devices/dev1/messages/events/%24.ct=application%2Fjson&a=1";
    assert_int_equal(hub_classify_publish(t, "dev1", &p), HUB_OK);
    assert_int_equal(p.properties_len, strlen("%24.ct=application%2Fjson&a=1"));
    assert_memory_equal(t + p.properties_offset, "%24.ct", 6);
}

static void test_hub_classify_publish_other_device_no_match(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *topics[] = {
        "devices/dev2/messages/events/",
        "devices/dev/messages/events/",    // a prefix of our id
        "devices/dev1x/messages/events/",  // our id is a prefix of it
        "devices/DEV1/messages/events/",   // ids are case-sensitive
        "devices/+/messages/events/",
        "devices//messages/events/",
        "devices/dev1/messages/events",  // no trailing slash: the hub leaves it unmatched
        "devices/dev1/messages/event/",
        "devices/dev1/messages/devicebound/",
        "devices/dev1/modules/m1/messages/events/",  // a module topic from a device client
        "devices/dev1",
        "devices/",
        "$iothub/twin/res/200/?$rid=1",
        "$iothub/methods/POST/reboot/?$rid=1",
        "$iothub/twin/PATCH/properties/desired/?$version=2",
        "$iothub/twin/GET",
        "$iothub/twin/get/?$rid=1",
        "$dps/registrations/res/202/?$rid=1",
        "foo",
        "",
        "#",
    };
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++) {
        assert_int_equal(hub_classify_publish(topics[i], "dev1", &p), HUB_ERR_NO_MATCH);
    }
}

static void test_hub_classify_publish_module_topics_need_module_client(void **state) {
    (void)state;
    struct hub_publish_topic p;
    assert_int_equal(
        hub_classify_publish("devices/dev1/modules/m1/messages/events/a=1", "dev1/m1", &p), HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_TELEMETRY);
    assert_int_equal(p.properties_len, 3);
    assert_int_equal(
        hub_classify_publish("devices/dev1/modules/m2/messages/events/", "dev1/m1", &p),
        HUB_ERR_NO_MATCH);
    assert_int_equal(hub_classify_publish("devices/dev1/messages/events/", "dev1/m1", &p),
                     HUB_ERR_NO_MATCH);
    assert_int_equal(hub_classify_publish("$iothub/twin/GET/?$rid=1", "dev1/m1", &p), HUB_OK);
}

static void test_hub_classify_publish_bad_bag_invalid(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *bad[] = {"devices/dev1/messages/events/%", "devices/dev1/messages/events/a=%4",
                         "devices/dev1/messages/events/a=%zz", "devices/dev1/messages/events/a=%00",
                         "devices/dev1/messages/events/=x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_classify_publish(bad[i], "dev1", &p), HUB_ERR_INVALID);
    }
}

static void test_hub_classify_publish_wildcard_chars_in_id_matched_exactly(void **state) {
    (void)state;
    struct hub_publish_topic p;
    // '*', '?', '$' and friends are legal id characters with no special meaning in MQTT topics.
    assert_int_equal(hub_classify_publish("devices/d*?$(1)/messages/events/", "d*?$(1)", &p),
                     HUB_OK);
    assert_int_equal(hub_classify_publish("devices/dx?$(1)/messages/events/", "d*?$(1)", &p),
                     HUB_ERR_NO_MATCH);
}

static void test_hub_classify_publish_bad_client_id_invalid(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *bad[] = {"", "d+1", "d#", "a/b/c", "/m", "d/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_classify_publish("devices/d+1/messages/events/", bad[i], &p),
                         HUB_ERR_INVALID);
    }
    char *long_id = repeat('d', HUB_MAX_ID + 1);
    assert_int_equal(hub_classify_publish("$iothub/twin/GET/?$rid=1", long_id, &p),
                     HUB_ERR_INVALID);
    free(long_id);
    assert_int_equal(hub_classify_publish(NULL, "dev1", &p), HUB_ERR_INVALID);
    assert_int_equal(hub_classify_publish("x", NULL, &p), HUB_ERR_INVALID);
    assert_int_equal(hub_classify_publish("x", "dev1", NULL), HUB_ERR_INVALID);
}

static void test_hub_classify_publish_twin_requests_rid_kept_raw(void **state) {
    (void)state;
    struct hub_publish_topic p;
    assert_int_equal(hub_classify_publish("$iothub/twin/GET/?$rid=42", "dev1", &p), HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_TWIN_GET);
    assert_string_equal(p.request_id, "42");
    assert_int_equal(
        hub_classify_publish("$iothub/twin/PATCH/properties/reported/?$rid=a%2Fb&$version=3",
                             "dev1", &p),
        HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_TWIN_PATCH_REPORTED);
    assert_string_equal(p.request_id, "a%2Fb");
    assert_int_equal(hub_classify_publish("$iothub/twin/GET/?x=1&%24rid=7", "dev1", &p), HUB_OK);
    assert_string_equal(p.request_id, "7");
}

static void test_hub_classify_publish_missing_or_bad_rid_invalid(void **state) {
    (void)state;
    struct hub_publish_topic p;
    char *rid_past = repeat('1', HUB_MAX_RID + 1);
    char *rid_at = repeat('1', HUB_MAX_RID);
    char past[512], at[512];
    snprintf(past, sizeof past, "$iothub/twin/GET/?$rid=%s", rid_past);
    snprintf(at, sizeof at, "$iothub/twin/GET/?$rid=%s", rid_at);
    const char *bad[] = {
        "$iothub/twin/GET/",
        "$iothub/twin/GET/?",
        "$iothub/twin/GET/?$rid=",
        "$iothub/twin/GET/?$rid",
        "$iothub/twin/GET/?rid=1",
        "$iothub/twin/GET/?$rid=1&$rid=2",
        "$iothub/twin/GET/?$rid=%zz",
        "$iothub/twin/GET/?$rid=%",
        "$iothub/twin/GET/?$rid=%00",
        "$iothub/twin/GET/?$rid=a b",
        "$iothub/twin/GET/?%zz=1&$rid=1",
        "$iothub/twin/GET/x?$rid=1",
        "$iothub/twin/PATCH/properties/reported/",
        "$iothub/twin/PATCH/properties/reported/?$version=1",
        past,
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_classify_publish(bad[i], "dev1", &p), HUB_ERR_INVALID);
        assert_string_equal(p.request_id, "");
    }
    assert_int_equal(hub_classify_publish(at, "dev1", &p), HUB_OK);
    assert_int_equal(strlen(p.request_id), HUB_MAX_RID);
    free(rid_past);
    free(rid_at);
}

static void test_hub_classify_publish_method_response_status_parsed(void **state) {
    (void)state;
    struct hub_publish_topic p;
    assert_int_equal(hub_classify_publish("$iothub/methods/res/200/?$rid=9", "dev1", &p), HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_METHOD_RESPONSE);
    assert_int_equal(p.status, 200);
    assert_string_equal(p.request_id, "9");
    assert_int_equal(hub_classify_publish("$iothub/methods/res/2147483647/?$rid=9", "dev1", &p),
                     HUB_OK);
    assert_int_equal(p.status, 2147483647);
    assert_int_equal(hub_classify_publish("$iothub/methods/res/-1/?$rid=9", "dev1", &p), HUB_OK);
    assert_int_equal(p.status, -1);
}

static void test_hub_classify_publish_method_response_bad_status_invalid(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *bad[] = {
        "$iothub/methods/res/abc/?$rid=1",
        "$iothub/methods/res//?$rid=1",
        "$iothub/methods/res/+200/?$rid=1",
        "$iothub/methods/res/ 200/?$rid=1",
        "$iothub/methods/res/2.5/?$rid=1",
        "$iothub/methods/res/2147483648/?$rid=1",
        "$iothub/methods/res/-2147483649/?$rid=1",
        "$iothub/methods/res/99999999999999999999/?$rid=1",
        "$iothub/methods/res/-/?$rid=1",
        "$iothub/methods/res/200",
        "$iothub/methods/res/200/",
        "$iothub/methods/res/200?$rid=1",
        "$iothub/methods/res/0x10/?$rid=1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_classify_publish(bad[i], "dev1", &p), HUB_ERR_INVALID);
    }
}

static void test_hub_classify_publish_dps_register_and_poll(void **state) {
    (void)state;
    struct hub_publish_topic p;
    assert_int_equal(
        hub_classify_publish("$dps/registrations/PUT/iotdps-register/?$rid=1", "reg-1", &p),
        HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_DPS_REGISTER);
    assert_int_equal(hub_classify_publish("$dps/registrations/GET/iotdps-get-operationstatus/"
                                          "?$rid=2&operationId=4.abc%2Edef",
                                          "reg-1", &p),
                     HUB_OK);
    assert_int_equal(p.kind, HUB_PUB_DPS_POLL);
    assert_string_equal(p.request_id, "2");
    assert_string_equal(p.operation_id, "4.abc.def");
    assert_int_equal(hub_classify_publish("$dps/registrations/GET/iotdps-get-operationstatus/"
                                          "?operationId=op&$rid=3",
                                          "reg-1", &p),
                     HUB_OK);
    assert_string_equal(p.operation_id, "op");
    assert_string_equal(p.request_id, "3");
}

static void test_hub_classify_publish_dps_poll_without_operation_invalid(void **state) {
    (void)state;
    struct hub_publish_topic p;
    const char *bad[] = {
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2",
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=",
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=%zz",
        "$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId=a&operationId=b",
        "$dps/registrations/GET/iotdps-get-operationstatus/?operationId=a",
        "$dps/registrations/PUT/iotdps-register/",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hub_classify_publish(bad[i], "reg-1", &p), HUB_ERR_INVALID);
    }
}

// ---- subscriptions ----

static void test_hub_classify_subscription_documented_filters(void **state) {
    (void)state;
    enum hub_subscription_kind k;
    assert_int_equal(hub_classify_subscription("devices/dev1/messages/devicebound/#", "dev1", &k),
                     HUB_OK);
    assert_int_equal(k, HUB_SUB_C2D);
    assert_int_equal(hub_classify_subscription("devices/+/messages/devicebound/#", "dev1", &k),
                     HUB_OK);
    assert_int_equal(k, HUB_SUB_C2D);
    assert_int_equal(hub_classify_subscription("$iothub/methods/POST/#", "dev1", &k), HUB_OK);
    assert_int_equal(k, HUB_SUB_METHODS);
    assert_int_equal(hub_classify_subscription("$iothub/twin/res/#", "dev1", &k), HUB_OK);
    assert_int_equal(k, HUB_SUB_TWIN_RESPONSES);
    assert_int_equal(
        hub_classify_subscription("$iothub/twin/PATCH/properties/desired/#", "dev1", &k), HUB_OK);
    assert_int_equal(k, HUB_SUB_TWIN_DESIRED);
    assert_int_equal(hub_classify_subscription("$dps/registrations/res/#", "reg-1", &k), HUB_OK);
    assert_int_equal(k, HUB_SUB_DPS_RESPONSES);
    assert_int_equal(hub_classify_subscription("$iothub/methods/POST/#", "dev1/m1", &k), HUB_OK);
}

static void test_hub_classify_subscription_others_no_match(void **state) {
    (void)state;
    enum hub_subscription_kind k;
    const char *filters[] = {
        "devices/dev2/messages/devicebound/#",
        "devices/dev1x/messages/devicebound/#",
        "devices/dev1/messages/devicebound/",
        "devices/dev1/messages/devicebound",
        "devices/dev1/messages/devicebound/+",
        "devices/dev1/messages/events/#",
        "devices/#",
        "devices/+/messages/#",
        "#",
        "+/#",
        "$iothub/#",
        "$iothub/+/res/#",
        "$iothub/twin/#",
        "$iothub/twin/res/200/#",
        "$iothub/methods/POST/reboot/#",
        "$iothub/twin/PATCH/properties/reported/#",
        "$dps/#",
        "",
    };
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        assert_int_equal(hub_classify_subscription(filters[i], "dev1", &k), HUB_ERR_NO_MATCH);
    }
    // Modules receive no cloud-to-device messages.
    assert_int_equal(
        hub_classify_subscription("devices/dev1/messages/devicebound/#", "dev1/m1", &k),
        HUB_ERR_NO_MATCH);
    assert_int_equal(hub_classify_subscription("$iothub/twin/res/#", "bad+id", &k),
                     HUB_ERR_INVALID);
    assert_int_equal(hub_classify_subscription(NULL, "dev1", &k), HUB_ERR_INVALID);
}

// ---- builders ----

static void test_hub_topic_twin_response_version_optional(void **state) {
    (void)state;
    char out[128];
    assert_int_equal(hub_topic_twin_response(out, sizeof out, 200, "1", -1),
                     (int)strlen("$iothub/twin/res/200/?$rid=1"));
    assert_string_equal(out, "$iothub/twin/res/200/?$rid=1");
    assert_true(hub_topic_twin_response(out, sizeof out, 204, "a%2Fb", 7) > 0);
    assert_string_equal(out, "$iothub/twin/res/204/?$rid=a%2Fb&$version=7");
}

static void test_hub_topic_builders_exact_fit_and_one_short(void **state) {
    (void)state;
    char out[128];
    const char *want = "$iothub/twin/PATCH/properties/desired/?$version=12";
    size_t n = strlen(want);
    assert_int_equal(hub_topic_twin_desired(out, n + 1, 12), (int)n);
    assert_string_equal(out, want);
    assert_int_equal(hub_topic_twin_desired(out, n, 12), -1);
    assert_string_equal(out, "");
    assert_int_equal(hub_topic_twin_desired(out, sizeof out, -1), -1);
    assert_int_equal(hub_topic_twin_desired(NULL, 10, 1), -1);
    assert_int_equal(hub_topic_twin_response(out, 5, 200, "1", 1), -1);
    assert_string_equal(out, "");
}

static void test_hub_topic_method_request_validates_name_and_rid(void **state) {
    (void)state;
    char out[512];
    assert_true(hub_topic_method_request(out, sizeof out, "reboot", "5") > 0);
    assert_string_equal(out, "$iothub/methods/POST/reboot/?$rid=5");
    assert_int_equal(hub_topic_method_request(out, sizeof out, "a/b", "5"), -1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, "a#", "5"), -1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, "", "5"), -1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, "m", ""), -1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, "m", "a b"), -1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, "m", NULL), -1);
    char *long_name = repeat('m', HUB_MAX_METHOD + 1);
    assert_int_equal(hub_topic_method_request(out, sizeof out, long_name, "5"), -1);
    long_name[HUB_MAX_METHOD] = '\0';
    assert_true(hub_topic_method_request(out, sizeof out, long_name, "5") > 0);
    free(long_name);
}

static void test_hub_topic_c2d_encodes_bag(void **state) {
    (void)state;
    static struct hub_property_bag bag;
    char out[256];
    assert_true(hub_topic_c2d(out, sizeof out, "dev1", NULL) > 0);
    assert_string_equal(out, "devices/dev1/messages/devicebound/");
    assert_int_equal(hub_parse_property_bag("$.mid=1&$.to=/devices/dev1/messages/devicebound&p=a b",
                                            strlen("$.mid=1&$.to=/devices/dev1/messages/"
                                                   "devicebound&p=a b"),
                                            &bag),
                     HUB_OK);
    assert_true(hub_topic_c2d(out, sizeof out, "dev1", &bag) > 0);
    assert_string_equal(out,
                        "devices/dev1/messages/devicebound/%24.mid=1&%24.to=%2Fdevices%2Fdev1%2F"
                        "messages%2Fdevicebound&p=a%20b");
    assert_int_equal(hub_topic_c2d(out, 40, "dev1", &bag), -1);
    assert_string_equal(out, "");
    assert_int_equal(hub_topic_c2d(out, sizeof out, "dev/1", NULL), -1);
    assert_int_equal(hub_topic_c2d(out, sizeof out, "dev+", NULL), -1);
}

static void test_hub_topic_dps_response_retry_optional(void **state) {
    (void)state;
    char out[128];
    assert_true(hub_topic_dps_response(out, sizeof out, 202, "1", 3) > 0);
    assert_string_equal(out, "$dps/registrations/res/202/?$rid=1&retry-after=3");
    assert_true(hub_topic_dps_response(out, sizeof out, 200, "1", -1) > 0);
    assert_string_equal(out, "$dps/registrations/res/200/?$rid=1");
    assert_int_equal(hub_topic_dps_response(out, sizeof out, 200, "#", -1), -1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_result_name_every_value_named),
        cmocka_unit_test(test_hub_is_valid_device_id_allowed_charset_accepted),
        cmocka_unit_test(test_hub_is_valid_device_id_bad_chars_and_lengths_refused),
        cmocka_unit_test(test_hub_is_valid_request_id_limits_and_escapes),
        cmocka_unit_test(test_hub_is_valid_method_name_separators_refused),
        cmocka_unit_test(test_hub_url_decode_bad_escapes_invalid),
        cmocka_unit_test(test_hub_url_decode_plus_kept_and_size_bounded),
        cmocka_unit_test(test_hub_url_encode_reserved_encoded_too_small_fails),
        cmocka_unit_test(test_hub_parse_username_documented_form_parsed),
        cmocka_unit_test(test_hub_parse_username_sdk_extras_decoded),
        cmocka_unit_test(test_hub_parse_username_module_and_old_forms_parsed),
        cmocka_unit_test(test_hub_parse_username_malformed_invalid),
        cmocka_unit_test(test_hub_parse_username_field_limits_at_and_past),
        cmocka_unit_test(test_hub_parse_username_other_device_id_reported_as_is),
        cmocka_unit_test(test_hub_parse_dps_username_forms),
        cmocka_unit_test(test_hub_parse_property_bag_system_and_app_properties_decoded),
        cmocka_unit_test(test_hub_parse_property_bag_empty_and_odd_segments_tolerated),
        cmocka_unit_test(test_hub_parse_property_bag_bad_escapes_invalid),
        cmocka_unit_test(test_hub_parse_property_bag_embedded_nul_invalid),
        cmocka_unit_test(test_hub_parse_property_bag_count_limit_at_and_past),
        cmocka_unit_test(test_hub_parse_property_bag_key_value_limits_at_and_past),
        cmocka_unit_test(test_hub_encode_property_bag_round_trip),
        cmocka_unit_test(test_hub_encode_property_bag_too_small_fails_empty),
        cmocka_unit_test(test_hub_classify_publish_telemetry_with_and_without_bag),
        cmocka_unit_test(test_hub_classify_publish_other_device_no_match),
        cmocka_unit_test(test_hub_classify_publish_module_topics_need_module_client),
        cmocka_unit_test(test_hub_classify_publish_bad_bag_invalid),
        cmocka_unit_test(test_hub_classify_publish_wildcard_chars_in_id_matched_exactly),
        cmocka_unit_test(test_hub_classify_publish_bad_client_id_invalid),
        cmocka_unit_test(test_hub_classify_publish_twin_requests_rid_kept_raw),
        cmocka_unit_test(test_hub_classify_publish_missing_or_bad_rid_invalid),
        cmocka_unit_test(test_hub_classify_publish_method_response_status_parsed),
        cmocka_unit_test(test_hub_classify_publish_method_response_bad_status_invalid),
        cmocka_unit_test(test_hub_classify_publish_dps_register_and_poll),
        cmocka_unit_test(test_hub_classify_publish_dps_poll_without_operation_invalid),
        cmocka_unit_test(test_hub_classify_subscription_documented_filters),
        cmocka_unit_test(test_hub_classify_subscription_others_no_match),
        cmocka_unit_test(test_hub_topic_twin_response_version_optional),
        cmocka_unit_test(test_hub_topic_builders_exact_fit_and_one_short),
        cmocka_unit_test(test_hub_topic_method_request_validates_name_and_rid),
        cmocka_unit_test(test_hub_topic_c2d_encodes_bag),
        cmocka_unit_test(test_hub_topic_dps_response_retry_optional),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
