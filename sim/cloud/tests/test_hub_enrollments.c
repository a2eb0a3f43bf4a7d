// SPDX-License-Identifier: MIT
// Unit tests for the DPS enrollment list and registration records in a temporary SQLite file:
// adding, reading, listing, enabling and removing individual enrollments and groups, duplicate
// and invalid ones, key generation and validation, the group key derivation against a vector
// computed outside this code, persistence across reopening, and sharing the file with hub_store.

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cloud/hub_enrollments.h"
#include "cloud/hub_store.h"

// Bytes 0x00..0x1f, and HMAC-SHA256 of "device-01" under them (Python's hmac module).
#define GROUP_KEY "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
#define DEVICE_01_KEY "YlH/UCsaA7mBBFGAlOysUKGTTAKpddEkTUFpC9ViNHA="

struct fixture {
    char dir[64];
    char path[PATH_MAX];
    struct hub_enrollments *e;
};

static int setup(void **state) {
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/spheresim-enroll-XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/hub.db", f->dir);
    char err[256];
    if (hub_enrollments_open(f->path, &f->e, err, sizeof err) != HUB_ENROLLMENT_OK) {
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state) {
    struct fixture *f = *state;
    hub_enrollments_close(f->e);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc;
}

static struct hub_enrollment make(enum hub_enrollment_kind kind, const char *id,
                                  enum hub_attestation attestation) {
    struct hub_enrollment e = {.kind = kind, .attestation = attestation, .enabled = true};
    snprintf(e.id, sizeof e.id, "%s", id);
    return e;
}

static void add_ok(struct hub_enrollments *e, enum hub_enrollment_kind kind, const char *id,
                   enum hub_attestation attestation) {
    struct hub_enrollment enrollment = make(kind, id, attestation);
    assert_int_equal(hub_enrollment_add(e, &enrollment), HUB_ENROLLMENT_OK);
}

static void test_enrollment_add_x509_then_get_returns_it(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment added = make(HUB_ENROLLMENT_INDIVIDUAL, "dev-1", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &added), HUB_ENROLLMENT_OK);
    assert_int_equal(strlen(added.created_time), 28);  // seven fractional digits and 'Z'
    assert_string_equal(added.created_time + 23, "0000Z");
    assert_true(added.etag[0] != '\0');

    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "dev-1", &got),
                     HUB_ENROLLMENT_OK);
    assert_string_equal(got.id, "dev-1");
    assert_int_equal(got.kind, HUB_ENROLLMENT_INDIVIDUAL);
    assert_int_equal(got.attestation, HUB_ATTESTATION_X509);
    assert_true(got.enabled);
    assert_string_equal(got.primary_key, "");
    assert_string_equal(got.created_time, added.created_time);
    assert_string_equal(got.etag, added.etag);
    // The same name is no group.
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_GROUP, "dev-1", &got),
                     HUB_ENROLLMENT_ERR_NOT_FOUND);
}

static void test_enrollment_add_symmetric_without_keys_generates_them(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment added =
        make(HUB_ENROLLMENT_INDIVIDUAL, "sym-1", HUB_ATTESTATION_SYMMETRIC_KEY);
    assert_int_equal(hub_enrollment_add(f->e, &added), HUB_ENROLLMENT_OK);
    assert_true(hub_enrollment_key_is_valid(added.primary_key));
    assert_true(hub_enrollment_key_is_valid(added.secondary_key));
    assert_string_not_equal(added.primary_key, added.secondary_key);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "sym-1", &got),
                     HUB_ENROLLMENT_OK);
    assert_string_equal(got.primary_key, added.primary_key);
    assert_string_equal(got.secondary_key, added.secondary_key);
}

static void test_enrollment_add_given_key_keeps_it(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment added = make(HUB_ENROLLMENT_GROUP, "grp", HUB_ATTESTATION_SYMMETRIC_KEY);
    snprintf(added.primary_key, sizeof added.primary_key, "%s", GROUP_KEY);
    assert_int_equal(hub_enrollment_add(f->e, &added), HUB_ENROLLMENT_OK);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_GROUP, "grp", &got),
                     HUB_ENROLLMENT_OK);
    assert_string_equal(got.primary_key, GROUP_KEY);
    assert_string_equal(got.secondary_key, "");
}

static void test_enrollment_add_bad_input_is_invalid(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment e = make(HUB_ENROLLMENT_INDIVIDUAL, "bad/id", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    e = make(HUB_ENROLLMENT_INDIVIDUAL, "", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    e = make(HUB_ENROLLMENT_INDIVIDUAL, "spheresim-service", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    e = make(HUB_ENROLLMENT_INDIVIDUAL, "x", HUB_ATTESTATION_X509);
    snprintf(e.primary_key, sizeof e.primary_key, "%s", GROUP_KEY);
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    e = make(HUB_ENROLLMENT_INDIVIDUAL, "x", HUB_ATTESTATION_SYMMETRIC_KEY);
    snprintf(e.primary_key, sizeof e.primary_key, "not base64!");
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    e = make(HUB_ENROLLMENT_INDIVIDUAL, "x", HUB_ATTESTATION_SYMMETRIC_KEY);
    snprintf(e.primary_key, sizeof e.primary_key, "AAECAw==");  // 4 bytes: too short
    assert_int_equal(hub_enrollment_add(f->e, &e), HUB_ENROLLMENT_ERR_INVALID);
    assert_true(strstr(hub_enrollments_error(f->e), "base64") != NULL);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "x", &got),
                     HUB_ENROLLMENT_ERR_NOT_FOUND);
}

static void test_enrollment_add_duplicate_is_exists_but_group_may_share_name(void **state) {
    struct fixture *f = *state;
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "dup", HUB_ATTESTATION_X509);
    struct hub_enrollment again =
        make(HUB_ENROLLMENT_INDIVIDUAL, "dup", HUB_ATTESTATION_SYMMETRIC_KEY);
    assert_int_equal(hub_enrollment_add(f->e, &again), HUB_ENROLLMENT_ERR_EXISTS);
    assert_true(strstr(hub_enrollments_error(f->e), "already exists") != NULL);
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "dup", HUB_ATTESTATION_X509);
    struct hub_enrollment group_again = make(HUB_ENROLLMENT_GROUP, "dup", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &group_again), HUB_ENROLLMENT_ERR_EXISTS);
}

static void test_enrollment_remove_then_get_is_not_found(void **state) {
    struct fixture *f = *state;
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "gone", HUB_ATTESTATION_X509);
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "gone", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_INDIVIDUAL, "gone"),
                     HUB_ENROLLMENT_OK);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "gone", &got),
                     HUB_ENROLLMENT_ERR_NOT_FOUND);
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_GROUP, "gone", &got),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_INDIVIDUAL, "gone"),
                     HUB_ENROLLMENT_ERR_NOT_FOUND);
    assert_true(strstr(hub_enrollments_error(f->e), "not found") != NULL);
}

static void test_enrollment_set_enabled_changes_status_and_etag(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment added = make(HUB_ENROLLMENT_INDIVIDUAL, "tog", HUB_ATTESTATION_X509);
    assert_int_equal(hub_enrollment_add(f->e, &added), HUB_ENROLLMENT_OK);
    assert_int_equal(hub_enrollment_set_enabled(f->e, HUB_ENROLLMENT_INDIVIDUAL, "tog", false),
                     HUB_ENROLLMENT_OK);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "tog", &got),
                     HUB_ENROLLMENT_OK);
    assert_false(got.enabled);
    assert_string_not_equal(got.etag, added.etag);
    assert_int_equal(hub_enrollment_set_enabled(f->e, HUB_ENROLLMENT_INDIVIDUAL, "tog", true),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "tog", &got),
                     HUB_ENROLLMENT_OK);
    assert_true(got.enabled);
    assert_int_equal(hub_enrollment_set_enabled(f->e, HUB_ENROLLMENT_GROUP, "tog", true),
                     HUB_ENROLLMENT_ERR_NOT_FOUND);
}

struct collected {
    char ids[8][HUB_MAX_ID + 3];
    size_t count;
};

static int collect(const struct hub_enrollment *enrollment, void *ctx) {
    struct collected *c = ctx;
    if (c->count < 8) {
        snprintf(c->ids[c->count++], sizeof c->ids[0], "%c:%s",
                 enrollment->kind == HUB_ENROLLMENT_GROUP ? 'g' : 'i', enrollment->id);
    }
    return 0;
}

static int stop_after_one(const struct hub_enrollment *enrollment, void *ctx) {
    collect(enrollment, ctx);
    return 1;
}

static void test_enrollment_list_individuals_first_then_groups_by_id(void **state) {
    struct fixture *f = *state;
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "a-group", HUB_ATTESTATION_SYMMETRIC_KEY);
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "zed", HUB_ATTESTATION_X509);
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "b-group", HUB_ATTESTATION_X509);
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "abe", HUB_ATTESTATION_SYMMETRIC_KEY);
    struct collected c = {0};
    assert_int_equal(hub_enrollment_list(f->e, collect, &c), HUB_ENROLLMENT_OK);
    assert_int_equal(c.count, 4);
    assert_string_equal(c.ids[0], "i:abe");
    assert_string_equal(c.ids[1], "i:zed");
    assert_string_equal(c.ids[2], "g:a-group");
    assert_string_equal(c.ids[3], "g:b-group");

    struct collected groups = {0};
    assert_int_equal(hub_enrollment_list_groups(f->e, HUB_ATTESTATION_X509, collect, &groups),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(groups.count, 1);
    assert_string_equal(groups.ids[0], "g:b-group");

    struct collected one = {0};
    assert_int_equal(hub_enrollment_list(f->e, stop_after_one, &one), HUB_ENROLLMENT_OK);
    assert_int_equal(one.count, 1);
}

static void test_enrollments_reopen_keeps_everything(void **state) {
    struct fixture *f = *state;
    struct hub_enrollment added =
        make(HUB_ENROLLMENT_INDIVIDUAL, "kept", HUB_ATTESTATION_SYMMETRIC_KEY);
    assert_int_equal(hub_enrollment_add(f->e, &added), HUB_ENROLLMENT_OK);
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "kept-group", HUB_ATTESTATION_X509);
    hub_enrollments_close(f->e);
    f->e = NULL;

    char err[256];
    assert_int_equal(hub_enrollments_open(f->path, &f->e, err, sizeof err), HUB_ENROLLMENT_OK);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_INDIVIDUAL, "kept", &got),
                     HUB_ENROLLMENT_OK);
    assert_string_equal(got.primary_key, added.primary_key);
    assert_string_equal(got.etag, added.etag);
    assert_int_equal(hub_enrollment_get(f->e, HUB_ENROLLMENT_GROUP, "kept-group", &got),
                     HUB_ENROLLMENT_OK);
}

static void test_enrollments_share_the_file_with_hub_store(void **state) {
    struct fixture *f = *state;
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "shared", HUB_ATTESTATION_X509);
    // hub_store finds our tables already there and still creates and versions its own.
    struct hub_store *store = NULL;
    char err[256];
    assert_int_equal(hub_store_open(f->path, &store, err, sizeof err), HUB_STORE_OK);
    struct hub_device device = {.device_id = "shared", .auth = HUB_AUTH_X509, .enabled = true};
    assert_int_equal(hub_store_device_add(store, &device), HUB_STORE_OK);
    // And an enrollment handle opened after hub_store sees both.
    struct hub_enrollments *second = NULL;
    assert_int_equal(hub_enrollments_open(f->path, &second, err, sizeof err), HUB_ENROLLMENT_OK);
    struct hub_enrollment got;
    assert_int_equal(hub_enrollment_get(second, HUB_ENROLLMENT_INDIVIDUAL, "shared", &got),
                     HUB_ENROLLMENT_OK);
    hub_enrollments_close(second);
    hub_store_close(store);
    assert_int_equal(hub_store_open(f->path, &store, err, sizeof err), HUB_STORE_OK);
    assert_int_equal(hub_store_device_get(store, "shared", &device), HUB_STORE_OK);
    hub_store_close(store);
}

static struct hub_dps_registration make_registration(const char *id, enum hub_enrollment_kind kind,
                                                     const char *enrollment_id) {
    struct hub_dps_registration r = {.enrollment_kind = kind};
    snprintf(r.registration_id, sizeof r.registration_id, "%s", id);
    snprintf(r.enrollment_id, sizeof r.enrollment_id, "%s", enrollment_id);
    snprintf(r.device_id, sizeof r.device_id, "%s", id);
    snprintf(r.assigned_hub, sizeof r.assigned_hub, "spheresim.azure-devices.net");
    snprintf(r.substatus, sizeof r.substatus, "initialAssignment");
    hub_dps_format_time(1800000000123LL, r.created_time);
    hub_dps_format_time(1800000000456LL, r.updated_time);
    snprintf(r.etag, sizeof r.etag, "etag-1");
    return r;
}

static void test_registration_put_get_and_removed_with_individual_enrollment(void **state) {
    struct fixture *f = *state;
    add_ok(f->e, HUB_ENROLLMENT_INDIVIDUAL, "reg-a", HUB_ATTESTATION_X509);
    add_ok(f->e, HUB_ENROLLMENT_GROUP, "grp", HUB_ATTESTATION_X509);
    struct hub_dps_registration a = make_registration("reg-a", HUB_ENROLLMENT_INDIVIDUAL, "reg-a");
    struct hub_dps_registration b = make_registration("reg-b", HUB_ENROLLMENT_GROUP, "grp");
    assert_int_equal(hub_dps_registration_put(f->e, &a), HUB_ENROLLMENT_OK);
    assert_int_equal(hub_dps_registration_put(f->e, &b), HUB_ENROLLMENT_OK);
    struct hub_dps_registration got;
    assert_int_equal(hub_dps_registration_get(f->e, "reg-b", &got), HUB_ENROLLMENT_OK);
    assert_int_equal(got.enrollment_kind, HUB_ENROLLMENT_GROUP);
    assert_string_equal(got.enrollment_id, "grp");
    assert_string_equal(got.assigned_hub, "spheresim.azure-devices.net");
    assert_string_equal(got.created_time, "2027-01-15T08:00:00.1230000Z");

    snprintf(b.substatus, sizeof b.substatus, "reprovisionedToInitialAssignment");
    assert_int_equal(hub_dps_registration_put(f->e, &b), HUB_ENROLLMENT_OK);
    assert_int_equal(hub_dps_registration_get(f->e, "reg-b", &got), HUB_ENROLLMENT_OK);
    assert_string_equal(got.substatus, "reprovisionedToInitialAssignment");

    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_INDIVIDUAL, "reg-a"),
                     HUB_ENROLLMENT_OK);
    assert_int_equal(hub_dps_registration_get(f->e, "reg-a", &got), HUB_ENROLLMENT_ERR_NOT_FOUND);
    // A group's registrations stay: DPS keeps them until they are deleted one by one.
    assert_int_equal(hub_enrollment_remove(f->e, HUB_ENROLLMENT_GROUP, "grp"), HUB_ENROLLMENT_OK);
    assert_int_equal(hub_dps_registration_get(f->e, "reg-b", &got), HUB_ENROLLMENT_OK);
}

static void test_derive_device_key_matches_reference_vector(void **state) {
    (void)state;
    char key[HUB_ENROLLMENT_DERIVED_KEY_SIZE];
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, "device-01", key, sizeof key), 0);
    assert_string_equal(key, DEVICE_01_KEY);
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, "device-02", key, sizeof key), 0);
    assert_string_not_equal(key, DEVICE_01_KEY);
    assert_int_equal(hub_enrollment_derive_device_key("%%%", "device-01", key, sizeof key), -1);
    assert_string_equal(key, "");
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, "", key, sizeof key), -1);
    assert_int_equal(hub_enrollment_derive_device_key(GROUP_KEY, "device-01", key, 44), -1);
}

static void test_key_is_valid_checks_base64_and_length(void **state) {
    (void)state;
    assert_true(hub_enrollment_key_is_valid(GROUP_KEY));
    assert_false(hub_enrollment_key_is_valid(NULL));
    assert_false(hub_enrollment_key_is_valid(""));
    assert_false(hub_enrollment_key_is_valid("AAECAw=="));  // 4 bytes
    assert_false(hub_enrollment_key_is_valid("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"));
    assert_false(hub_enrollment_key_is_valid("AAECAwQFBgcICQoLDA0ODxAREhMU FRYXGBkaGxwdHh8="));
}

static void test_format_time_has_seven_fractional_digits(void **state) {
    (void)state;
    char text[HUB_DPS_TIME_SIZE];
    hub_dps_format_time(1800000000123LL, text);
    assert_string_equal(text, "2027-01-15T08:00:00.1230000Z");
    hub_dps_format_time(0, text);
    assert_string_equal(text, "1970-01-01T00:00:00.0000000Z");
}

static void test_enrollment_to_json_has_dps_shape(void **state) {
    (void)state;
    struct hub_enrollment e = make(HUB_ENROLLMENT_GROUP, "grp", HUB_ATTESTATION_SYMMETRIC_KEY);
    snprintf(e.primary_key, sizeof e.primary_key, "%s", GROUP_KEY);
    e.enabled = false;
    cJSON *json = hub_enrollment_to_json(&e);
    assert_non_null(json);
    assert_string_equal(cJSON_GetObjectItem(json, "enrollmentGroupId")->valuestring, "grp");
    cJSON *attestation = cJSON_GetObjectItem(json, "attestation");
    assert_string_equal(cJSON_GetObjectItem(attestation, "type")->valuestring, "symmetricKey");
    cJSON *keys = cJSON_GetObjectItem(attestation, "symmetricKey");
    assert_string_equal(cJSON_GetObjectItem(keys, "primaryKey")->valuestring, GROUP_KEY);
    assert_string_equal(cJSON_GetObjectItem(json, "provisioningStatus")->valuestring, "disabled");
    assert_non_null(cJSON_GetObjectItem(json, "etag"));
    cJSON_Delete(json);

    e = make(HUB_ENROLLMENT_INDIVIDUAL, "dev", HUB_ATTESTATION_X509);
    json = hub_enrollment_to_json(&e);
    assert_string_equal(cJSON_GetObjectItem(json, "registrationId")->valuestring, "dev");
    attestation = cJSON_GetObjectItem(json, "attestation");
    assert_string_equal(cJSON_GetObjectItem(attestation, "type")->valuestring, "x509");
    assert_null(cJSON_GetObjectItem(attestation, "symmetricKey"));
    cJSON_Delete(json);
}

static void test_open_unwritable_path_reports_error(void **state) {
    (void)state;
    struct hub_enrollments *e = (struct hub_enrollments *)1;
    char err[256] = "";
    assert_int_equal(hub_enrollments_open("/nonexistent-dir/hub.db", &e, err, sizeof err),
                     HUB_ENROLLMENT_ERR_IO);
    assert_null(e);
    assert_true(strstr(err, "/nonexistent-dir/hub.db") != NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_enrollment_add_x509_then_get_returns_it),
        T(test_enrollment_add_symmetric_without_keys_generates_them),
        T(test_enrollment_add_given_key_keeps_it),
        T(test_enrollment_add_bad_input_is_invalid),
        T(test_enrollment_add_duplicate_is_exists_but_group_may_share_name),
        T(test_enrollment_remove_then_get_is_not_found),
        T(test_enrollment_set_enabled_changes_status_and_etag),
        T(test_enrollment_list_individuals_first_then_groups_by_id),
        T(test_enrollments_reopen_keeps_everything),
        T(test_enrollments_share_the_file_with_hub_store),
        T(test_registration_put_get_and_removed_with_individual_enrollment),
#undef T
        cmocka_unit_test(test_derive_device_key_matches_reference_vector),
        cmocka_unit_test(test_key_is_valid_checks_base64_and_length),
        cmocka_unit_test(test_format_time_has_seven_fractional_digits),
        cmocka_unit_test(test_enrollment_to_json_has_dps_shape),
        cmocka_unit_test(test_open_unwritable_path_reports_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
