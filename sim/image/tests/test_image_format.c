// SPDX-License-Identifier: MIT
// The package format's building blocks, without crypto: versions and their order, the path rules,
// escaping of hostile text, and the structure decoders at their edges.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "image/image_format.h"

static void test_version_parse_semver_core_accepted(void **state) {
    struct sim_image_version v;
    assert_true(sim_image_version_parse("0.0.0", &v));
    assert_true(sim_image_version_parse("1.22.333", &v));
    assert_int_equal(v.major, 1);
    assert_int_equal(v.minor, 22);
    assert_int_equal(v.patch, 333);
    assert_true(sim_image_version_parse("4294967295.0.1", &v));
    assert_int_equal(v.major, 4294967295u);
    char text[40];
    sim_image_version_format(&v, text, sizeof text);
    assert_string_equal(text, "4294967295.0.1");
}

static void test_version_parse_other_forms_refused(void **state) {
    static const char *const bad[] = {
        "",       "1",         "1.2",         "1.2.3.4", "01.2.3", "1.02.3", "-1.2.3",
        "+1.2.3", "1.2.3-rc1", "1.2.3+build", " 1.2.3",  "1.2.3 ", "1..3",   "4294967296.0.0",
        "a.b.c",  "1.2.x",
    };
    struct sim_image_version v = {7, 7, 7};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sim_image_version_parse(bad[i], &v)) {
            fail_msg("'%s' was accepted", bad[i]);
        }
    }
    assert_false(sim_image_version_parse(NULL, &v));
    assert_int_equal(v.major, 7);  // untouched on failure
}

static void test_version_compare_tuple_order(void **state) {
    const struct sim_image_version order[] = {
        {0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {0, 9, 9}, {1, 0, 0}, {1, 0, 10}, {1, 2, 0}, {10, 0, 0},
    };
    size_t n = sizeof order / sizeof order[0];
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < n; j++) {
            int want = i < j ? -1 : i > j ? 1 : 0;
            assert_int_equal(sim_image_version_compare(&order[i], &order[j]), want);
        }
    }
}

static void test_path_is_safe_rules(void **state) {
    static const char *const good[] = {"app_manifest.json", "bin/app",   "res/a-b_c+d@e=f,g~h.txt",
                                       ".hidden",           "a/..b/c..", "x"};
    static const char *const bad[] = {"",  "/abs", "../up", "a/../b", "a/./b", "a//b", "a/",
                                      ".", "..",   "a b",   "a\\b",   "a\tb",  "é",    "a*b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!sim_image_path_is_safe(good[i])) {
            fail_msg("'%s' refused", good[i]);
        }
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (sim_image_path_is_safe(bad[i])) {
            fail_msg("'%s' accepted", bad[i]);
        }
    }
    char longest[SIM_IMAGE_PATH_MAX + 2];
    memset(longest, 'a', sizeof longest);
    longest[SIM_IMAGE_PATH_MAX] = '\0';
    assert_true(sim_image_path_is_safe(longest));
    longest[SIM_IMAGE_PATH_MAX] = 'a';
    longest[SIM_IMAGE_PATH_MAX + 1] = '\0';
    assert_false(sim_image_path_is_safe(longest));
}

static void test_escape_control_bytes_hex(void **state) {
    char out[64];
    const char text[] = "a\nb\x1b[2J\\\xff";
    assert_string_equal(sim_image_escape(text, sizeof text, out, sizeof out),
                        "a\\x0ab\\x1b[2J\\x5c\\xff");
    // Truncates at whole escapes and always terminates.
    char small[6];
    assert_string_equal(sim_image_escape("ab\ncd", 5, small, sizeof small), "ab");
}

static void test_guid_is_valid_form(void **state) {
    assert_true(sim_image_guid_is_valid("4597fc46-10c5-43b8-89a2-b98a1f1db2b4"));
    assert_true(sim_image_guid_is_valid("4597FC46-10C5-43B8-89A2-B98A1F1DB2B4"));
    assert_false(sim_image_guid_is_valid("4597fc46-10c5-43b8-89a2-b98a1f1db2b"));
    assert_false(sim_image_guid_is_valid("4597fc46-10c5-43b8-89a2-b98a1f1db2b4a"));
    assert_false(sim_image_guid_is_valid("4597fc4610c5-43b8-89a2-b98a1f1db2b4-"));
    assert_false(sim_image_guid_is_valid("g597fc46-10c5-43b8-89a2-b98a1f1db2b4"));
    assert_false(sim_image_guid_is_valid(NULL));
}

static const struct sim_image_header valid_header = {
    .format_version = SIM_IMAGE_FORMAT_VERSION,
    .header_len = SIM_IMAGE_HEADER_LEN,
    .metadata_len = SIM_IMAGE_METADATA_LEN,
    .file_count = 2,
    .file_entry_len = SIM_IMAGE_FILE_ENTRY_LEN,
    .signature_len = SIM_IMAGE_SIG_BLOCK_LEN,
    .payload_len = 1000,
};

static void test_decode_header_round_trip_ok(void **state) {
    uint8_t buf[SIM_IMAGE_HEADER_LEN];
    struct sim_image_header h;
    uint64_t signed_len = 0;
    char err[256];
    sim_image_encode_header(&valid_header, buf);
    assert_memory_equal(buf, SIM_IMAGE_MAGIC, SIM_IMAGE_MAGIC_LEN);
    assert_int_equal(sim_image_decode_header(buf, sizeof buf, &h, err, sizeof err), SIM_IMAGE_OK);
    assert_int_equal(h.payload_len, 1000);
    assert_true(sim_image_signed_len(&h, &signed_len));
    assert_int_equal(signed_len, 128 + 128 + 2 * 192 + 1000);
}

static void test_decode_header_short_prefix_truncated(void **state) {
    uint8_t buf[SIM_IMAGE_HEADER_LEN];
    struct sim_image_header h;
    char err[256];
    sim_image_encode_header(&valid_header, buf);
    for (size_t len = 0; len < sizeof buf; len++) {
        assert_int_equal(sim_image_decode_header(buf, len, &h, err, sizeof err),
                         SIM_IMAGE_ERR_TRUNCATED);
    }
    // A short input that is not a package's start is not "truncated".
    assert_int_equal(sim_image_decode_header((const uint8_t *)"SPX", 3, &h, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_decode_metadata_hostile_fields_bad_format(void **state) {
    struct sim_image_metadata m = {
        .component_id = "4597fc46-10c5-43b8-89a2-b98a1f1db2b4",
        .name = "app",
        .type = SIM_IMAGE_TYPE_APP,
    };
    uint8_t buf[SIM_IMAGE_METADATA_LEN];
    struct sim_image_metadata out;
    char err[512];
    sim_image_encode_metadata(&m, buf);
    assert_int_equal(sim_image_decode_metadata(buf, sizeof buf, &out, err, sizeof err),
                     SIM_IMAGE_OK);
    const size_t cases[][2] = {
        {0, 'x'},    // component id not a GUID
        {38, 'x'},   // padding after the GUID
        {40, 0},     // empty name
        {41, '\n'},  // control byte in name
        {50, 'x'},   // byte after the name's terminator
        {72, 3},     // type
        {100, 1},    // reserved
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t bad[SIM_IMAGE_METADATA_LEN];
        memcpy(bad, buf, sizeof bad);
        bad[cases[i][0]] = (uint8_t)cases[i][1];
        if (sim_image_decode_metadata(bad, sizeof bad, &out, err, sizeof err) !=
            SIM_IMAGE_ERR_BAD_FORMAT) {
            fail_msg("metadata byte %zu accepted", cases[i][0]);
        }
        assert_null(strchr(err, '\n'));
    }
    // A name filling all 32 bytes has no terminator.
    memset(buf + 40, 'n', 32);
    assert_int_equal(sim_image_decode_metadata(buf, sizeof buf, &out, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_check_file_table_overlaps_bad_format(void **state) {
    struct sim_image_file files[2] = {
        {.path = "app_manifest.json", .mode = S_IFREG | 0644, .offset = 0, .length = 10},
        {.path = "bin/app", .mode = S_IFREG | 0755, .offset = 5, .length = 10},
    };
    char err[512];
    assert_int_equal(sim_image_check_file_table(files, 2, SIM_IMAGE_TYPE_APP, 15, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_FORMAT);
    files[1].offset = 10;
    assert_int_equal(sim_image_check_file_table(files, 2, SIM_IMAGE_TYPE_APP, 20, err, sizeof err),
                     SIM_IMAGE_OK);
    // Lengths past the payload, or that leave payload bytes uncovered.
    files[1].length = UINT64_MAX;
    assert_int_equal(sim_image_check_file_table(files, 2, SIM_IMAGE_TYPE_APP, 20, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_FORMAT);
    files[1].length = 5;
    assert_int_equal(sim_image_check_file_table(files, 2, SIM_IMAGE_TYPE_APP, 20, err, sizeof err),
                     SIM_IMAGE_ERR_BAD_FORMAT);
}

static void test_result_names_distinct(void **state) {
    for (int a = SIM_IMAGE_OK; a <= SIM_IMAGE_ERR_CRYPTO; a++) {
        const char *name = sim_image_result_name((enum sim_image_result)a);
        assert_string_not_equal(name, "unknown");
        for (int b = a + 1; b <= SIM_IMAGE_ERR_CRYPTO; b++) {
            assert_string_not_equal(name, sim_image_result_name((enum sim_image_result)b));
        }
    }
    assert_string_equal(sim_image_result_name((enum sim_image_result)99), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_parse_semver_core_accepted),
        cmocka_unit_test(test_version_parse_other_forms_refused),
        cmocka_unit_test(test_version_compare_tuple_order),
        cmocka_unit_test(test_path_is_safe_rules),
        cmocka_unit_test(test_escape_control_bytes_hex),
        cmocka_unit_test(test_guid_is_valid_form),
        cmocka_unit_test(test_decode_header_round_trip_ok),
        cmocka_unit_test(test_decode_header_short_prefix_truncated),
        cmocka_unit_test(test_decode_metadata_hostile_fields_bad_format),
        cmocka_unit_test(test_check_file_table_overlaps_bad_format),
        cmocka_unit_test(test_result_names_distinct),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
