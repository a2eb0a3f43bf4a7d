// SPDX-License-Identifier: MIT
// Unit tests for update_deferral: the rest of a maintenance window in minutes (rounded up, zero,
// expiry, the one-day cap), when a Pending update is deferred and for how long, when a deferral
// may be resumed, and the pendingUpdate document in every phase.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "update_deferral.h"

#define MINUTE_MS 60000u
#define T0 1000000u

static UpdateDeferral state;

static int Setup(void **unused) {
    (void)unused;
    UpdateDeferral_Init(&state);
    return 0;
}

static void test_RemainingMinutes_noMaintenance_zero(void **unused) {
    (void)unused;
    assert_false(UpdateDeferral_IsInMaintenance(&state, T0));
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 0);
    assert_int_equal(UpdateDeferral_RemainingMs(&state, T0), 0);
    assert_int_equal(UpdateDeferral_RemainingMinutes(NULL, T0), 0);
}

static void test_RemainingMinutes_partialMinutes_roundedUp(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 570);
    assert_true(UpdateDeferral_IsInMaintenance(&state, T0));
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 10);
    // Exactly nine minutes left is nine; a millisecond more is ten.
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0 + 30000u), 9);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0 + 29999u), 10);
    // The last millisecond still counts as a whole minute.
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0 + 570000u - 1u), 1);
    UpdateDeferral_SetMaintenance(&state, T0, 1);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 1);
    UpdateDeferral_SetMaintenance(&state, T0, 60);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 1);
    UpdateDeferral_SetMaintenance(&state, T0, 61);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 2);
}

static void test_RemainingMinutes_windowExpired_zero(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 120);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0 + 120000u), 0);
    assert_false(UpdateDeferral_IsInMaintenance(&state, T0 + 120000u));
    assert_false(UpdateDeferral_IsInMaintenance(&state, T0 + 10u * MINUTE_MS));
}

static void test_SetMaintenance_zeroEndsWindow_noneLeft(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 3600);
    UpdateDeferral_SetMaintenance(&state, T0 + 1000u, 0);
    assert_false(UpdateDeferral_IsInMaintenance(&state, T0 + 1000u));
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0 + 1000u), 0);
}

static void test_SetMaintenance_overADay_cutToADay(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, UINT32_MAX);
    assert_int_equal(UpdateDeferral_RemainingMinutes(&state, T0), 1440);
    // A later call replaces the window, shorter or not.
    UpdateDeferral_SetMaintenance(&state, T0, 30);
    assert_int_equal(UpdateDeferral_RemainingMs(&state, T0), 30000u);
}

static void test_OnPending_noMaintenance_letsItGo(void **unused) {
    (void)unused;
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 10080, T0), 0);
    assert_int_equal(state.phase, UpdateDeferral_Phase_Pending);
    assert_false(UpdateDeferral_ShouldResume(&state, T0));
}

static void test_OnPending_inMaintenance_defersForTheRest(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 600);
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 10080, T0 + 90000u),
                     9);
    // The request is not cut here: the OS cuts it to its budget.
    UpdateDeferral_SetMaintenance(&state, T0, 86400);
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_Os, 5, T0), 1440);
    UpdateDeferral_OnDeferResult(&state, 1440, true, 0);
    assert_int_equal(state.deferredMinutes, 5);
    assert_int_equal(state.deferredUntilWallSeconds, 300);
}

static void test_OnPending_noBudgetLeft_letsItGo(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 600);
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 0, T0), 0);
}

static void test_OnPending_afterExpiry_letsItGo(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 60);
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 100, T0 + 60000u),
                     0);
}

static void test_ShouldResume_onlyAfterSuccessfulDeferAndWindowEnd(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 300);
    uint32_t minutes = UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 100, T0);
    assert_int_equal(minutes, 5);
    // A failed defer leaves nothing to resume, window or not.
    UpdateDeferral_OnDeferResult(&state, minutes, false, 0);
    assert_false(UpdateDeferral_ShouldResume(&state, T0 + 300000u));
    // A successful one: not while the window is open, yes once it has closed.
    UpdateDeferral_OnDeferResult(&state, minutes, true, 0);
    UpdateDeferral_OnDeferred(&state);
    assert_false(UpdateDeferral_ShouldResume(&state, T0 + 299999u));
    assert_true(UpdateDeferral_ShouldResume(&state, T0 + 300000u));
    // Or when it is ended early.
    UpdateDeferral_SetMaintenance(&state, T0 + 1000u, 0);
    assert_true(UpdateDeferral_ShouldResume(&state, T0 + 1000u));
    // Once only.
    UpdateDeferral_OnResumed(&state);
    assert_false(UpdateDeferral_ShouldResume(&state, T0 + 300000u));
}

static void test_ShouldResume_deferralRanOutOrFinal_false(void **unused) {
    (void)unused;
    UpdateDeferral_SetMaintenance(&state, T0, 300);
    UpdateDeferral_OnDeferResult(&state, UpdateDeferral_OnPending(&state, 1, 100, T0), true, 0);
    UpdateDeferral_OnDeferred(&state);
    // The deferral ended by itself: a new Pending, with nothing left to resume.
    assert_int_equal(UpdateDeferral_OnPending(&state, UpdateDeferral_Type_App, 95, T0 + 60000u), 4);
    assert_false(UpdateDeferral_ShouldResume(&state, T0 + 400000u));
    UpdateDeferral_OnDeferResult(&state, 4, true, 0);
    UpdateDeferral_OnFinal(&state, UpdateDeferral_Type_Unknown);
    assert_false(UpdateDeferral_ShouldResume(&state, T0 + 400000u));
    assert_int_equal(state.type, UpdateDeferral_Type_App);
}

static void test_OnNoUpdateAvailable_forgetsTheUpdate(void **unused) {
    (void)unused;
    UpdateDeferral_OnUpdateStarted(&state);
    assert_int_equal(state.phase, UpdateDeferral_Phase_Downloading);
    UpdateDeferral_OnDeferResult(&state, UpdateDeferral_OnPending(&state, 2, 10, T0), true, 0);
    UpdateDeferral_OnNoUpdateAvailable(&state);
    assert_int_equal(state.phase, UpdateDeferral_Phase_None);
    assert_false(UpdateDeferral_ShouldResume(&state, T0));
    UpdateDeferral_OnComplete(&state);
    assert_int_equal(state.phase, UpdateDeferral_Phase_None);
}

// Prints the pendingUpdate document and parses it; fails unless it is a JSON object.
static cJSON *Pending(void) {
    char buffer[UPDATE_DEFERRAL_PENDING_JSON_SIZE];
    assert_true(UpdateDeferral_FormatPending(&state, buffer, sizeof(buffer)));
    cJSON *root = cJSON_Parse(buffer);
    if (!cJSON_IsObject(root)) {
        fail_msg("not a JSON object: '%s'", buffer);
    }
    return root;
}

static const char *String(const cJSON *root, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static void test_FormatPending_everyPhase_validJson(void **unused) {
    (void)unused;
    cJSON *root = Pending();
    assert_string_equal(String(root, "status"), "none");
    assert_int_equal(cJSON_GetArraySize(root), 1);
    cJSON_Delete(root);

    UpdateDeferral_OnUpdateStarted(&state);
    root = Pending();
    assert_string_equal(String(root, "status"), "downloading");
    cJSON_Delete(root);

    UpdateDeferral_SetMaintenance(&state, T0, 600);
    uint32_t minutes = UpdateDeferral_OnPending(&state, UpdateDeferral_Type_Os, 1440, T0);
    root = Pending();
    assert_string_equal(String(root, "status"), "pending");
    assert_string_equal(String(root, "type"), "os");
    assert_int_equal(cJSON_GetObjectItem(root, "maxDeferralMinutes")->valueint, 1440);
    cJSON_Delete(root);

    UpdateDeferral_OnDeferResult(&state, minutes, true, 1767225600);  // 2026-01-01T00:00:00Z
    UpdateDeferral_OnDeferred(&state);
    root = Pending();
    assert_string_equal(String(root, "status"), "deferred");
    assert_int_equal(cJSON_GetObjectItem(root, "deferredMinutes")->valueint, 10);
    assert_string_equal(String(root, "deferredUntil"), "2026-01-01T00:10:00Z");
    cJSON_Delete(root);

    UpdateDeferral_OnFinal(&state, UpdateDeferral_Type_Os);
    root = Pending();
    assert_string_equal(String(root, "status"), "final");
    assert_string_equal(String(root, "type"), "os");
    cJSON_Delete(root);
}

static void test_FormatPending_smallBufferOrNull_falseAndEmpty(void **unused) {
    (void)unused;
    char buffer[8] = "xxxxxxx";
    assert_false(UpdateDeferral_FormatPending(&state, buffer, sizeof(buffer)));
    assert_string_equal(buffer, "");
    assert_false(UpdateDeferral_FormatPending(NULL, buffer, sizeof(buffer)));
    assert_false(UpdateDeferral_FormatPending(&state, NULL, 10));
    assert_string_equal(UpdateDeferral_TypeName((UpdateDeferral_Type)99), "unknown");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_RemainingMinutes_noMaintenance_zero, Setup),
        cmocka_unit_test_setup(test_RemainingMinutes_partialMinutes_roundedUp, Setup),
        cmocka_unit_test_setup(test_RemainingMinutes_windowExpired_zero, Setup),
        cmocka_unit_test_setup(test_SetMaintenance_zeroEndsWindow_noneLeft, Setup),
        cmocka_unit_test_setup(test_SetMaintenance_overADay_cutToADay, Setup),
        cmocka_unit_test_setup(test_OnPending_noMaintenance_letsItGo, Setup),
        cmocka_unit_test_setup(test_OnPending_inMaintenance_defersForTheRest, Setup),
        cmocka_unit_test_setup(test_OnPending_noBudgetLeft_letsItGo, Setup),
        cmocka_unit_test_setup(test_OnPending_afterExpiry_letsItGo, Setup),
        cmocka_unit_test_setup(test_ShouldResume_onlyAfterSuccessfulDeferAndWindowEnd, Setup),
        cmocka_unit_test_setup(test_ShouldResume_deferralRanOutOrFinal_false, Setup),
        cmocka_unit_test_setup(test_OnNoUpdateAvailable_forgetsTheUpdate, Setup),
        cmocka_unit_test_setup(test_FormatPending_everyPhase_validJson, Setup),
        cmocka_unit_test_setup(test_FormatPending_smallBufferOrNull_falseAndEmpty, Setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
