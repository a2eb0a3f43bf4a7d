// SPDX-License-Identifier: MIT
// Unit tests for twin documents (hub_twin.h): the patch rules at and past each documented limit,
// JSON-merge semantics, versions and $metadata, the three views, and the store form, including
// garbage where a stored twin should be.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud/hub_twin.h"

#define T1 "2026-01-01T00:00:01.000Z"
#define T2 "2026-01-01T00:00:02.000Z"
#define T3 "2026-01-01T00:00:03.000Z"

struct fixture {
    struct hub_twin twin;
    char err[256];
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL) {
        return -1;
    }
    hub_twin_init(&f->twin);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_twin_free(&f->twin);
    free(f);
    return 0;
}

// Parses text, applies it, frees it; returns the result.
static enum hub_result apply(struct fixture *f, char which, const char *text, const char *now) {
    cJSON *patch = cJSON_Parse(text);
    assert_non_null(patch);
    enum hub_result r = hub_twin_apply_patch(&f->twin, which, patch, now, f->err, sizeof f->err);
    cJSON_Delete(patch);
    return r;
}

static enum hub_result validate(const char *text, char *err, size_t err_size) {
    cJSON *patch = cJSON_Parse(text);
    assert_non_null(patch);
    enum hub_result r = hub_twin_validate_patch(patch, err, err_size);
    cJSON_Delete(patch);
    return r;
}

// Prints json (unformatted), compares with want, frees json.
static void assert_json(cJSON *json, const char *want) {
    assert_non_null(json);
    char *text = cJSON_PrintUnformatted(json);
    assert_non_null(text);
    assert_string_equal(text, want);
    cJSON_free(text);
    cJSON_Delete(json);
}

static void assert_section(const cJSON *section, const char *want) {
    assert_json(cJSON_Duplicate(section, true), want);
}

static const char *meta_at(const cJSON *meta, const char *path_a, const char *path_b,
                           const char *field) {
    const cJSON *node = meta;
    if (path_a != NULL) {
        node = cJSON_GetObjectItemCaseSensitive(node, path_a);
    }
    if (path_b != NULL) {
        node = cJSON_GetObjectItemCaseSensitive(node, path_b);
    }
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(node, field);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static char *repeat(char c, size_t n) {
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

// ---- init and views ----

static void test_hub_twin_init_empty_versions_one(void **state) {
    struct fixture *f = *state;
    assert_int_equal(f->twin.desired_version, 1);
    assert_int_equal(f->twin.reported_version, 1);
    assert_int_equal(f->twin.version, 1);
    assert_string_equal(f->twin.etag, "AAAAAAAAAAE=");
    assert_json(hub_twin_device_view(&f->twin),
                "{\"desired\":{\"$version\":1},"
                "\"reported\":{\"$version\":1}}");
}

static void test_hub_twin_device_view_reference_example_after_one_reported_patch(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'r', "{\"temperature\":32}", T1), HUB_OK);
    // Azure-Samples/IoTMQTTSample mosquitto/readme.md, as quoted in the protocol reference.
    assert_json(hub_twin_device_view(&f->twin),
                "{\"desired\":{\"$version\":1},\"reported\":{\"temperature\":32,\"$version\":2}}");
}

static void test_hub_twin_apply_patch_versions_and_etag_bump(void **state) {
    struct fixture *f = *state;
    char etag[64];
    snprintf(etag, sizeof etag, "%s", f->twin.etag);
    assert_int_equal(apply(f, 'd', "{\"a\":1}", T1), HUB_OK);
    assert_int_equal(f->twin.desired_version, 2);
    assert_int_equal(f->twin.reported_version, 1);
    assert_int_equal(f->twin.version, 2);
    assert_string_not_equal(f->twin.etag, etag);
    assert_string_equal(f->twin.etag, "AAAAAAAAAAI=");
    assert_int_equal(apply(f, 'r', "{}", T2), HUB_OK); /* an empty patch still counts */
    assert_int_equal(f->twin.desired_version, 2);
    assert_int_equal(f->twin.reported_version, 2);
    assert_int_equal(f->twin.version, 3);
}

static void test_hub_twin_apply_patch_null_deletes(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'r', "{\"a\":1,\"b\":2}", T1), HUB_OK);
    assert_int_equal(apply(f, 'r', "{\"a\":null,\"missing\":null}", T2), HUB_OK);
    assert_section(f->twin.reported, "{\"b\":2}");
    assert_null(cJSON_GetObjectItemCaseSensitive(f->twin.reported_metadata, "a"));
    assert_non_null(cJSON_GetObjectItemCaseSensitive(f->twin.reported_metadata, "b"));
}

static void test_hub_twin_apply_patch_nested_merge(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'd', "{\"a\":{\"x\":1,\"y\":2},\"s\":\"keep\"}", T1), HUB_OK);
    assert_int_equal(apply(f, 'd', "{\"a\":{\"y\":3,\"z\":{\"q\":true}}}", T2), HUB_OK);
    assert_section(f->twin.desired, "{\"a\":{\"x\":1,\"y\":3,\"z\":{\"q\":true}},\"s\":\"keep\"}");
    assert_int_equal(apply(f, 'd', "{\"a\":{\"x\":null,\"z\":{\"q\":null}}}", T3), HUB_OK);
    assert_section(f->twin.desired, "{\"a\":{\"y\":3,\"z\":{}},\"s\":\"keep\"}");
}

static void test_hub_twin_apply_patch_object_over_scalar_drops_nulls(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'r', "{\"a\":1,\"arr\":[1,2,3]}", T1), HUB_OK);
    assert_int_equal(apply(f, 'r', "{\"a\":{\"gone\":null,\"c\":1},\"arr\":[4]}", T2), HUB_OK);
    assert_section(f->twin.reported, "{\"a\":{\"c\":1},\"arr\":[4]}");
    assert_string_equal(meta_at(f->twin.reported_metadata, "a", "c", "$lastUpdated"), T2);
}

static void test_hub_twin_apply_patch_metadata_at_changed_nodes(void **state) {
    struct fixture *f = *state;
    const cJSON *m;
    assert_int_equal(apply(f, 'd', "{\"a\":{\"b\":1}}", T1), HUB_OK);
    assert_int_equal(apply(f, 'd', "{\"c\":1}", T2), HUB_OK);
    assert_int_equal(apply(f, 'd', "{\"a\":{\"d\":1}}", T3), HUB_OK);
    m = f->twin.desired_metadata;
    assert_string_equal(meta_at(m, NULL, NULL, "$lastUpdated"), T3);
    assert_string_equal(meta_at(m, "a", NULL, "$lastUpdated"), T3);
    assert_string_equal(meta_at(m, "a", "b", "$lastUpdated"), T1);
    assert_string_equal(meta_at(m, "a", "d", "$lastUpdated"), T3);
    assert_string_equal(meta_at(m, "c", NULL, "$lastUpdated"), T2);
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m, "a"), "b"),
        "$lastUpdatedVersion");
    assert_true(cJSON_IsNumber(ver));
    assert_int_equal((int)ver->valuedouble, 2);
    ver = cJSON_GetObjectItemCaseSensitive(m, "$lastUpdatedVersion");
    assert_int_equal((int)ver->valuedouble, 4);

    // Reported metadata carries no $lastUpdatedVersion.
    assert_int_equal(apply(f, 'r', "{\"r\":{\"s\":1}}", T1), HUB_OK);
    m = f->twin.reported_metadata;
    assert_string_equal(meta_at(m, "r", "s", "$lastUpdated"), T1);
    assert_null(cJSON_GetObjectItemCaseSensitive(m, "$lastUpdatedVersion"));
}

// ---- limits ----

// {"l1":{"l2":…{"lN":{"leaf":1}}}} written into buf.
static void nested(char *buf, size_t size, int levels) {
    size_t len = 0;
    len += (size_t)snprintf(buf + len, size - len, "{");
    for (int i = 1; i <= levels; i++) {
        len += (size_t)snprintf(buf + len, size - len, "\"l%d\":{", i);
    }
    len += (size_t)snprintf(buf + len, size - len, "\"leaf\":1");
    for (int i = 0; i <= levels; i++) {
        len += (size_t)snprintf(buf + len, size - len, "}");
    }
}

static void test_hub_twin_validate_patch_depth_10_ok_11_refused(void **state) {
    struct fixture *f = *state;
    char buf[512];
    nested(buf, sizeof buf, HUB_TWIN_MAX_DEPTH);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_OK);
    nested(buf, sizeof buf, HUB_TWIN_MAX_DEPTH + 1);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_ERR_TOO_LARGE);
    assert_non_null(strstr(f->err, "l1.l2.l3.l4.l5.l6.l7.l8.l9.l10.l11: nested deeper"));
    assert_int_equal(apply(f, 'd', buf, T1), HUB_ERR_TOO_LARGE);
    assert_int_equal(f->twin.desired_version, 1);
    // Arrays are containers too.
    assert_int_equal(validate("{\"a\":[[[[[[[[[[[1]]]]]]]]]]]}", f->err, sizeof f->err),
                     HUB_ERR_TOO_LARGE);
    assert_int_equal(validate("{\"a\":[[[[[[[[[[1]]]]]]]]]]}", f->err, sizeof f->err), HUB_OK);
}

static void test_hub_twin_apply_patch_section_limit_exact_ok_past_refused_unchanged(void **state) {
    struct fixture *f = *state;
    char *big = repeat('x', 4000);
    char *patch = malloc(HUB_TWIN_MAX_SECTION_BYTES * 2);
    assert_non_null(patch);
    size_t len = 0;
    len += (size_t)snprintf(patch + len, HUB_TWIN_MAX_SECTION_BYTES * 2 - len, "{");
    for (int i = 0; i < 8; i++) {
        len += (size_t)snprintf(patch + len, HUB_TWIN_MAX_SECTION_BYTES * 2 - len,
                                "%s\"k%d\":\"%s\"", i ? "," : "", i, big);
    }
    snprintf(patch + len, HUB_TWIN_MAX_SECTION_BYTES * 2 - len, "}");
    assert_int_equal(apply(f, 'r', patch, T1), HUB_OK);

    char *printed = cJSON_PrintUnformatted(f->twin.reported);
    size_t have = strlen(printed);
    cJSON_free(printed);
    size_t fill = HUB_TWIN_MAX_SECTION_BYTES - have - strlen(",\"z\":\"\"");
    char *z = repeat('z', fill + 1);
    snprintf(patch, HUB_TWIN_MAX_SECTION_BYTES * 2, "{\"z\":\"%s\"}", z);

    char *before = cJSON_PrintUnformatted(f->twin.reported);
    char *meta_before = cJSON_PrintUnformatted(f->twin.reported_metadata);
    assert_int_equal(apply(f, 'r', patch, T2), HUB_ERR_TOO_LARGE);
    assert_non_null(strstr(f->err, "reported"));
    char *after = cJSON_PrintUnformatted(f->twin.reported);
    char *meta_after = cJSON_PrintUnformatted(f->twin.reported_metadata);
    assert_string_equal(before, after);
    assert_string_equal(meta_before, meta_after);
    assert_int_equal(f->twin.reported_version, 2);
    assert_int_equal(f->twin.version, 2);

    z[fill] = '\0';
    snprintf(patch, HUB_TWIN_MAX_SECTION_BYTES * 2, "{\"z\":\"%s\"}", z);
    assert_int_equal(apply(f, 'r', patch, T2), HUB_OK);
    printed = cJSON_PrintUnformatted(f->twin.reported);
    assert_int_equal(strlen(printed), HUB_TWIN_MAX_SECTION_BYTES);
    cJSON_free(printed);

    cJSON_free(before);
    cJSON_free(after);
    cJSON_free(meta_before);
    cJSON_free(meta_after);
    free(z);
    free(patch);
    free(big);
}

static void test_hub_twin_validate_patch_key_rules(void **state) {
    struct fixture *f = *state;
    static const struct {
        const char *patch;
        enum hub_result want;
        const char *err;
    } cases[] = {
        {"{\"a\":{\"b.c\":1}}", HUB_ERR_INVALID, "a.b.c: key contains '.'"},
        {"{\"a$\":1}", HUB_ERR_INVALID, "a$: key contains '$'"},
        {"{\"a b\":1}", HUB_ERR_INVALID, "a b: key contains ' '"},
        {"{\"a\\tb\":1}", HUB_ERR_INVALID, "control character"},
        {"{\"a\\u007fb\":1}", HUB_ERR_INVALID, "control character"},
        {"{\"\":1}", HUB_ERR_INVALID, "empty key"},
        {"{\"$metadata\":{}}", HUB_ERR_INVALID, "key contains '$'"},
        {"{\"a\":{\"$version\":1}}", HUB_ERR_INVALID, "a.$version: key contains '$'"},
        {"{\"a\":1,\"a\":2}", HUB_ERR_INVALID, "a: duplicate key"},
        {"{\"\xff\":1}", HUB_ERR_INVALID, "UTF-8"},
        {"{\"\xc0\xaf\":1}", HUB_ERR_INVALID, "UTF-8"},
        {"{\"\xed\xa0\x80\":1}", HUB_ERR_INVALID, "UTF-8"},
        {"{\"$version\":7,\"ok\":1}", HUB_OK, NULL},
        {"{\"caf\xc3\xa9\":1,\"\xf0\x9f\x98\x80\":2}", HUB_OK, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        f->err[0] = '\0';
        assert_int_equal(validate(cases[i].patch, f->err, sizeof f->err), cases[i].want);
        if (cases[i].err != NULL) {
            assert_non_null(strstr(f->err, cases[i].err));
        }
    }
    assert_int_equal(apply(f, 'r', "{\"a\":{\"b.c\":1}}", T1), HUB_ERR_INVALID);
    assert_string_equal(f->err, "reported.a.b.c: key contains '.'");
    assert_int_equal(f->twin.reported_version, 1);
}

static void test_hub_twin_validate_patch_key_length_1024_ok_1025_refused(void **state) {
    struct fixture *f = *state;
    char *key = repeat('k', HUB_TWIN_MAX_KEY_BYTES + 1);
    char buf[HUB_TWIN_MAX_KEY_BYTES + 32];
    snprintf(buf, sizeof buf, "{\"%s\":1}", key);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_ERR_TOO_LARGE);
    key[HUB_TWIN_MAX_KEY_BYTES] = '\0';
    snprintf(buf, sizeof buf, "{\"%s\":1}", key);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_OK);
    free(key);
}

static void test_hub_twin_validate_patch_value_rules(void **state) {
    struct fixture *f = *state;
    char *s = repeat('s', HUB_TWIN_MAX_STRING_BYTES + 1);
    char buf[HUB_TWIN_MAX_STRING_BYTES + 32];
    snprintf(buf, sizeof buf, "{\"s\":\"%s\"}", s);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_ERR_TOO_LARGE);
    s[HUB_TWIN_MAX_STRING_BYTES] = '\0';
    snprintf(buf, sizeof buf, "{\"s\":\"%s\"}", s);
    assert_int_equal(validate(buf, f->err, sizeof f->err), HUB_OK);
    free(s);

    assert_int_equal(validate("{\"n\":4503599627370495,\"m\":-4503599627370495,\"f\":1.5,"
                              "\"t\":true,\"z\":null,\"e\":1e-300}",
                              f->err, sizeof f->err),
                     HUB_OK);
    assert_int_equal(validate("{\"n\":4503599627370496}", f->err, sizeof f->err), HUB_ERR_INVALID);
    assert_int_equal(validate("{\"n\":-4503599627370496}", f->err, sizeof f->err), HUB_ERR_INVALID);
    assert_int_equal(validate("{\"s\":\"\xc3\"}", f->err, sizeof f->err), HUB_ERR_INVALID);
    assert_int_equal(validate("{\"a\":[1,{\"b.c\":1}]}", f->err, sizeof f->err), HUB_ERR_INVALID);
    assert_non_null(strstr(f->err, "a[1].b.c: key contains '.'"));
    assert_int_equal(validate("{\"a\":[1,\"x\",null,{\"b\":[true]}]}", f->err, sizeof f->err),
                     HUB_OK);

    cJSON *inf = cJSON_CreateObject();
    cJSON_AddNumberToObject(inf, "x", INFINITY);
    assert_int_equal(hub_twin_validate_patch(inf, f->err, sizeof f->err), HUB_ERR_INVALID);
    cJSON_Delete(inf);
}

static void test_hub_twin_validate_patch_not_object_invalid(void **state) {
    struct fixture *f = *state;
    const char *bad[] = {"[]", "1", "\"s\"", "null", "true"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(validate(bad[i], f->err, sizeof f->err), HUB_ERR_INVALID);
        assert_int_equal(apply(f, 'd', bad[i], T1), HUB_ERR_INVALID);
    }
    assert_int_equal(hub_twin_validate_patch(NULL, NULL, 0), HUB_ERR_INVALID);
}

static void test_hub_twin_apply_patch_bad_arguments_invalid(void **state) {
    struct fixture *f = *state;
    cJSON *patch = cJSON_Parse("{\"a\":1}");
    assert_int_equal(hub_twin_apply_patch(&f->twin, 'x', patch, T1, NULL, 0), HUB_ERR_INVALID);
    assert_int_equal(hub_twin_apply_patch(&f->twin, 'd', patch, NULL, NULL, 0), HUB_ERR_INVALID);
    assert_int_equal(hub_twin_apply_patch(&f->twin, 'd', patch, "", NULL, 0), HUB_ERR_INVALID);
    assert_int_equal(hub_twin_apply_patch(NULL, 'd', patch, T1, NULL, 0), HUB_ERR_INVALID);
    assert_int_equal(hub_twin_apply_patch(&f->twin, 'd', NULL, T1, NULL, 0), HUB_ERR_INVALID);
    assert_int_equal(f->twin.version, 1);
    cJSON_Delete(patch);
}

// ---- notification, service view ----

static void test_hub_twin_desired_notification_carries_new_version(void **state) {
    struct fixture *f = *state;
    cJSON *patch = cJSON_Parse("{\"$version\":99,\"fan\":{\"speed\":3}}");
    assert_int_equal(hub_twin_apply_patch(&f->twin, 'd', patch, T1, NULL, 0), HUB_OK);
    assert_json(hub_twin_desired_notification(&f->twin, patch),
                "{\"fan\":{\"speed\":3},\"$version\":2}");
    cJSON_Delete(patch);
    assert_null(hub_twin_desired_notification(&f->twin, NULL));
}

static void test_hub_twin_service_view_shape(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'd', "{\"d\":1}", T1), HUB_OK);
    assert_int_equal(apply(f, 'r', "{\"r\":2}", T2), HUB_OK);
    cJSON *v = hub_twin_service_view(&f->twin, "dev1", NULL, true);
    assert_non_null(v);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "deviceId")->valuestring, "dev1");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "etag")->valuestring, "AAAAAAAAAAM=");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "status")->valuestring, "enabled");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "connectionState")->valuestring,
                        "Connected");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(v, "version")->valuedouble, 3);
    assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(v, "tags")));
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(v, "properties");
    const cJSON *desired = cJSON_GetObjectItemCaseSensitive(props, "desired");
    const cJSON *reported = cJSON_GetObjectItemCaseSensitive(props, "reported");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(desired, "d")->valuedouble, 1);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(desired, "$version")->valuedouble, 2);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(reported, "$version")->valuedouble, 2);
    assert_string_equal(
        meta_at(cJSON_GetObjectItemCaseSensitive(desired, "$metadata"), "d", NULL, "$lastUpdated"),
        T1);
    assert_string_equal(meta_at(cJSON_GetObjectItemCaseSensitive(reported, "$metadata"), NULL, NULL,
                                "$lastUpdated"),
                        T2);
    cJSON_Delete(v);
    v = hub_twin_service_view(&f->twin, "dev1", "disabled", false);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "status")->valuestring, "disabled");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "connectionState")->valuestring,
                        "Disconnected");
    cJSON_Delete(v);
    assert_null(hub_twin_service_view(&f->twin, NULL, NULL, false));
}

// ---- store form ----

static void test_hub_twin_to_json_from_json_round_trip(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply(f, 'd', "{\"a\":{\"b\":[1,2]},\"s\":\"x\"}", T1), HUB_OK);
    assert_int_equal(apply(f, 'r', "{\"temperature\":32.5}", T2), HUB_OK);
    cJSON_AddStringToObject(f->twin.tags, "site", "lab");
    char *text = hub_twin_to_json(&f->twin);
    assert_non_null(text);

    struct hub_twin back;
    memset(&back, 0xa5, sizeof back); /* need not be initialised */
    assert_int_equal(hub_twin_from_json(text, &back), HUB_OK);
    assert_int_equal(back.version, f->twin.version);
    assert_int_equal(back.desired_version, f->twin.desired_version);
    assert_int_equal(back.reported_version, f->twin.reported_version);
    assert_string_equal(back.etag, f->twin.etag);
    char *again = hub_twin_to_json(&back);
    assert_string_equal(text, again);
    cJSON *v1 = hub_twin_service_view(&f->twin, "d", NULL, false);
    cJSON *v2 = hub_twin_service_view(&back, "d", NULL, false);
    assert_true(cJSON_Compare(v1, v2, true));
    cJSON_Delete(v1);
    cJSON_Delete(v2);
    cJSON_free(text);
    cJSON_free(again);
    hub_twin_free(&back);
}

static void test_hub_twin_from_json_garbage_invalid_leaves_empty_twin(void **state) {
    (void)state;
    static const char *bad[] = {
        "",
        "not json",
        "[]",
        "{}",
        "{\"version\":1}",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1}",
        "{\"version\":0,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":1.5,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":\"1\",\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":1e300,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":[],"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{\"a.b\":1},\"desiredMetadata\":{},\"reportedMetadata\":{}}",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":\"x\"}",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{},"
        "\"reported\":{},\"desiredMetadata\":{},\"reportedMetadata\":{}} trailing",
        "{\"version\":1,\"desiredVersion\":1,\"reportedVersion\":1,\"tags\":{},\"desired\":{",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct hub_twin t;
        memset(&t, 0x5a, sizeof t);
        assert_int_equal(hub_twin_from_json(bad[i], &t), HUB_ERR_INVALID);
        assert_int_equal(t.version, 1);
        assert_true(cJSON_IsObject(t.desired));
        assert_null(t.desired->child);
        hub_twin_free(&t);
    }
    struct hub_twin t;
    assert_int_equal(hub_twin_from_json(NULL, &t), HUB_ERR_INVALID);
    hub_twin_free(&t);
    assert_int_equal(hub_twin_from_json("{}", NULL), HUB_ERR_INVALID);
}

static void test_hub_twin_from_json_valid_minimal_accepted(void **state) {
    (void)state;
    struct hub_twin t;
    assert_int_equal(hub_twin_from_json("{\"version\":5,\"desiredVersion\":3,\"reportedVersion\":2,"
                                        "\"tags\":{},\"desired\":{\"a\":1},\"reported\":{},"
                                        "\"desiredMetadata\":{},\"reportedMetadata\":{}}",
                                        &t),
                     HUB_OK);
    assert_int_equal(t.version, 5);
    assert_string_equal(t.etag, "AAAAAAAAAAU=");
    assert_json(hub_twin_device_view(&t),
                "{\"desired\":{\"a\":1,\"$version\":3},\"reported\":{\"$version\":2}}");
    hub_twin_free(&t);
    hub_twin_free(&t); /* freeing twice is harmless */
}

// ---- tags ----

static enum hub_result apply_tags(struct fixture *f, const char *text) {
    cJSON *patch = cJSON_Parse(text);
    assert_non_null(patch);
    enum hub_result r = hub_twin_apply_tags(&f->twin, patch, f->err, sizeof f->err);
    cJSON_Delete(patch);
    return r;
}

static void test_hub_twin_apply_tags_merges_and_bumps_twin_version_only(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply_tags(f, "{\"site\":{\"room\":\"a\",\"floor\":1}}"), HUB_OK);
    assert_int_equal(apply_tags(f, "{\"site\":{\"room\":null},\"owner\":\"x\"}"), HUB_OK);
    assert_section(f->twin.tags, "{\"site\":{\"floor\":1},\"owner\":\"x\"}");
    assert_int_equal(f->twin.version, 3);
    assert_int_equal(f->twin.desired_version, 1);
    assert_int_equal(f->twin.reported_version, 1);
    assert_string_equal(f->twin.etag, "AAAAAAAAAAM=");
}

static void test_hub_twin_apply_tags_refused_leaves_tags_unchanged(void **state) {
    struct fixture *f = *state;
    assert_int_equal(apply_tags(f, "{\"a\":1}"), HUB_OK);
    assert_int_equal(apply_tags(f, "{\"b.c\":1}"), HUB_ERR_INVALID);
    assert_non_null(strstr(f->err, "tags.b.c"));
    char *big = repeat('x', 3000);
    char text[10000];
    snprintf(text, sizeof text, "{\"p\":\"%s\",\"q\":\"%s\",\"r\":\"%s\"}", big, big, big);
    free(big);
    assert_int_equal(apply_tags(f, text), HUB_ERR_TOO_LARGE);
    assert_section(f->twin.tags, "{\"a\":1}");
    assert_int_equal(f->twin.version, 2);
}

#define FT(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        FT(test_hub_twin_apply_tags_merges_and_bumps_twin_version_only),
        FT(test_hub_twin_apply_tags_refused_leaves_tags_unchanged),
        FT(test_hub_twin_init_empty_versions_one),
        FT(test_hub_twin_device_view_reference_example_after_one_reported_patch),
        FT(test_hub_twin_apply_patch_versions_and_etag_bump),
        FT(test_hub_twin_apply_patch_null_deletes),
        FT(test_hub_twin_apply_patch_nested_merge),
        FT(test_hub_twin_apply_patch_object_over_scalar_drops_nulls),
        FT(test_hub_twin_apply_patch_metadata_at_changed_nodes),
        FT(test_hub_twin_validate_patch_depth_10_ok_11_refused),
        FT(test_hub_twin_apply_patch_section_limit_exact_ok_past_refused_unchanged),
        FT(test_hub_twin_validate_patch_key_rules),
        FT(test_hub_twin_validate_patch_key_length_1024_ok_1025_refused),
        FT(test_hub_twin_validate_patch_value_rules),
        FT(test_hub_twin_validate_patch_not_object_invalid),
        FT(test_hub_twin_apply_patch_bad_arguments_invalid),
        FT(test_hub_twin_desired_notification_carries_new_version),
        FT(test_hub_twin_service_view_shape),
        FT(test_hub_twin_to_json_from_json_round_trip),
        FT(test_hub_twin_from_json_garbage_invalid_leaves_empty_twin),
        FT(test_hub_twin_from_json_valid_minimal_accepted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
