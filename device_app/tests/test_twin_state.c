// SPDX-License-Identifier: MIT
// Unit tests for twin_state: desired-property version tracking through the reconnect flow
// (subscribe, GET, ignore stale notifications), validation of telemetryPeriodSeconds, the
// Plug and Play acknowledgement and the reported-properties patch, and hostile documents.

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <cmocka.h>

#include "twin_state.h"

static TwinState twin;

static TwinState_Result ApplyDocument(const char *json, TwinState_Changes *changes) {
    return TwinState_ApplyDocument(&twin, json, strlen(json), changes);
}

static TwinState_Result ApplyPatch(uint64_t version, const char *json, TwinState_Changes *changes) {
    return TwinState_ApplyDesiredPatch(&twin, version, json, strlen(json), changes);
}

// Builds the pending acknowledgement and returns its parsed "telemetryPeriodSeconds" object
// inside *outRoot (free with cJSON_Delete).
static const cJSON *BuildAck(cJSON **outRoot, uint32_t *outGeneration) {
    char buffer[512];
    size_t length = 0;
    assert_int_equal(
        TwinState_BuildReportedPatch(&twin, NULL, buffer, sizeof(buffer), &length, outGeneration),
        TwinState_Result_Ok);
    assert_int_equal(length, strlen(buffer));
    *outRoot = cJSON_Parse(buffer);
    assert_non_null(*outRoot);
    const cJSON *ack = cJSON_GetObjectItemCaseSensitive(*outRoot, "telemetryPeriodSeconds");
    assert_true(cJSON_IsObject(ack));
    return ack;
}

static double Number(const cJSON *object, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(object, name);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static int Setup(void **state) {
    TwinState_Init(&twin, 60);
    TwinState_OnConnected(&twin);
    return 0;
}

static void test_ApplyDocument_validPeriod_appliedAndAcknowledged200(void **state) {
    TwinState_Changes changes;
    assert_int_equal(ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":30,\"$version\":7},"
                                   "\"reported\":{\"$version\":3}}",
                                   &changes),
                     TwinState_Result_Ok);
    assert_true(changes.telemetryPeriodChanged);
    assert_int_equal(changes.telemetryPeriodSeconds, 30);
    assert_true(changes.acknowledgementPending);
    assert_int_equal(TwinState_GetPhase(&twin), TwinState_Phase_Synchronised);
    uint64_t version = 0;
    assert_true(TwinState_GetAppliedVersion(&twin, &version));
    assert_int_equal(version, 7);

    cJSON *root = NULL;
    uint32_t generation = 0;
    const cJSON *ack = BuildAck(&root, &generation);
    assert_true(Number(ack, "value") == 30);
    assert_true(Number(ack, "ac") == 200);
    assert_true(Number(ack, "av") == 7);
    assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ack, "ad")));
    cJSON_Delete(root);

    TwinState_ConfirmReported(&twin, generation);
    assert_false(TwinState_IsAcknowledgementPending(&twin));
}

static void test_ApplyDocument_sameValue_acknowledgedWithoutChange(void **state) {
    TwinState_Changes changes;
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":60,\"$version\":2}}", &changes),
        TwinState_Result_Ok);
    assert_false(changes.telemetryPeriodChanged);
    assert_true(changes.acknowledgementPending);
}

static void test_ApplyPatch_outOfRangeOrWrongType_ack400ValueUnchanged(void **state) {
    assert_int_equal(ApplyDocument("{\"desired\":{\"$version\":1}}", NULL), TwinState_Result_Ok);
    assert_false(TwinState_IsAcknowledgementPending(&twin));
    const char *bad[] = {"0", "3601", "-5", "2.5", "\"30\"", "true", "[]", "{}", "1e400"};
    uint64_t version = 2;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++, version++) {
        char json[128];
        snprintf(json, sizeof(json), "{\"telemetryPeriodSeconds\":%s,\"$version\":%llu}", bad[i],
                 (unsigned long long)version);
        TwinState_Changes changes;
        assert_int_equal(ApplyPatch(version, json, &changes), TwinState_Result_Ok);
        assert_false(changes.telemetryPeriodChanged);
        assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 60);
        cJSON *root = NULL;
        uint32_t generation = 0;
        const cJSON *ack = BuildAck(&root, &generation);
        assert_true(Number(ack, "ac") == 400);
        assert_true(Number(ack, "value") == 60);
        assert_true(Number(ack, "av") == (double)version);
        const cJSON *description = cJSON_GetObjectItemCaseSensitive(ack, "ad");
        assert_non_null(strstr(description->valuestring, "1 to 3600"));
        cJSON_Delete(root);
    }
    // The bounds themselves are valid.
    assert_int_equal(ApplyPatch(100, "{\"telemetryPeriodSeconds\":1}", NULL), TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 1);
    assert_int_equal(ApplyPatch(101, "{\"telemetryPeriodSeconds\":3600}", NULL),
                     TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 3600);
}

static void test_ApplyPatch_notNewerVersion_staleIgnored(void **state) {
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":30,\"$version\":5}}", NULL),
        TwinState_Result_Ok);
    assert_int_equal(ApplyPatch(5, "{\"telemetryPeriodSeconds\":10}", NULL),
                     TwinState_Result_Stale);
    assert_int_equal(ApplyPatch(4, "{\"telemetryPeriodSeconds\":10}", NULL),
                     TwinState_Result_Stale);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 30);
    TwinState_Changes changes;
    assert_int_equal(ApplyPatch(6, "{\"telemetryPeriodSeconds\":10,\"$version\":6}", &changes),
                     TwinState_Result_Ok);
    assert_true(changes.telemetryPeriodChanged);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 10);
    // A replayed notification does not undo a newer one.
    assert_int_equal(ApplyPatch(6, "{\"telemetryPeriodSeconds\":10}", NULL),
                     TwinState_Result_Stale);
}

static void test_ApplyPatch_beforeDocument_deferredNotApplied(void **state) {
    assert_int_equal(ApplyPatch(9, "{\"telemetryPeriodSeconds\":10}", NULL),
                     TwinState_Result_Deferred);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 60);
    assert_false(TwinState_IsAcknowledgementPending(&twin));
    // The GET answer includes everything up to its version, the deferred patch among it.
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":10,\"$version\":9}}", NULL),
        TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 10);
}

static void test_ApplyDocument_olderThanDeferredPatch_outdatedAskAgain(void **state) {
    assert_int_equal(ApplyPatch(12, "{\"telemetryPeriodSeconds\":10}", NULL),
                     TwinState_Result_Deferred);
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":20,\"$version\":11}}", NULL),
        TwinState_Result_DocumentOutdated);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 60);
    assert_int_equal(TwinState_GetPhase(&twin), TwinState_Phase_AwaitingDocument);
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":10,\"$version\":12}}", NULL),
        TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 10);
}

static void test_OnConnected_twinRecreatedWithLowerVersion_documentReplaces(void **state) {
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":30,\"$version\":40}}", NULL),
        TwinState_Result_Ok);
    // Offline, the device was deleted and re-created: versions start again.
    TwinState_OnConnected(&twin);
    assert_int_equal(TwinState_GetPhase(&twin), TwinState_Phase_AwaitingDocument);
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":15,\"$version\":2}}", NULL),
        TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 15);
    assert_int_equal(ApplyPatch(3, "{\"telemetryPeriodSeconds\":16}", NULL), TwinState_Result_Ok);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 16);
}

static void test_ApplyDocument_olderWhileSynchronised_stale(void **state) {
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":30,\"$version\":8}}", NULL),
        TwinState_Result_Ok);
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":99,\"$version\":7}}", NULL),
        TwinState_Result_Stale);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 30);
}

static void test_ApplyPatch_nullOrAbsentProperty_noChangeNoAck(void **state) {
    assert_int_equal(ApplyDocument("{\"desired\":{\"$version\":1}}", NULL), TwinState_Result_Ok);
    TwinState_Changes changes;
    assert_int_equal(ApplyPatch(2, "{\"telemetryPeriodSeconds\":null}", &changes),
                     TwinState_Result_Ok);
    assert_false(changes.acknowledgementPending);
    assert_int_equal(ApplyPatch(3, "{\"other\":1}", &changes), TwinState_Result_Ok);
    assert_false(changes.acknowledgementPending);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 60);
}

static void test_ApplyDocument_hostile_malformedAndUnchanged(void **state) {
    char *huge = malloc(TWIN_STATE_MAX_DOCUMENT_LENGTH + 64);
    assert_non_null(huge);
    int n = snprintf(huge, 64, "{\"desired\":{\"$version\":1,\"pad\":\"");
    memset(huge + n, 'x', TWIN_STATE_MAX_DOCUMENT_LENGTH);
    memcpy(huge + n + TWIN_STATE_MAX_DOCUMENT_LENGTH, "\"}}", 4);

    char deep[256];
    memset(deep, '[', sizeof(deep) - 1);
    deep[sizeof(deep) - 1] = '\0';

    const char *documents[] = {
        "",
        "not json",
        "[]",
        "{\"desired\":{}}",
        "{\"desired\":{\"$version\":\"7\"}}",
        "{\"desired\":{\"$version\":-1}}",
        "{\"desired\":{\"$version\":1.5}}",
        "{\"desired\":{\"$version\":1e300}}",
        "{\"desired\":[1]}",
        "{\"reported\":{\"$version\":1}}",
        "{\"desired\":{\"$version\":1}} trailing",
        "{\"desired\":{\"$version\":1}",
        deep,
        huge,
    };
    for (size_t i = 0; i < sizeof(documents) / sizeof(documents[0]); i++) {
        assert_int_equal(ApplyDocument(documents[i], NULL), TwinState_Result_Malformed);
        assert_int_equal(TwinState_GetPhase(&twin), TwinState_Phase_AwaitingDocument);
    }
    // An embedded NUL must not let a prefix pass as the whole document.
    static const char withNul[] = "{\"desired\":{\"$version\":1}}\0garbage";
    assert_int_equal(TwinState_ApplyDocument(&twin, withNul, sizeof(withNul) - 1, NULL),
                     TwinState_Result_Malformed);
    free(huge);

    assert_int_equal(ApplyDocument("{\"desired\":{\"$version\":1}}", NULL), TwinState_Result_Ok);
    assert_int_equal(ApplyPatch(2, "{\"telemetryPeriodSeconds\":", NULL),
                     TwinState_Result_Malformed);
    assert_int_equal(ApplyPatch(3, "7", NULL), TwinState_Result_Malformed);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 60);
    // A malformed patch does not use up its version.
    assert_int_equal(ApplyPatch(2, "{\"telemetryPeriodSeconds\":5}", NULL), TwinState_Result_Ok);
}

static void test_BuildReportedPatch_deviceReport_allReportedProperties(void **state) {
    TwinState_DeviceReport report = {.firmwareVersion = "1.2.3",
                                     .serialNumber = "SIM-\"0001\"",
                                     .lastBootReason = "power cut",
                                     .queueDepth = 17,
                                     .droppedMessages = 4294967296ull};
    char buffer[512];
    size_t length = 0;
    uint32_t generation = 0;
    assert_int_equal(
        TwinState_BuildReportedPatch(&twin, &report, buffer, sizeof(buffer), &length, &generation),
        TwinState_Result_Ok);
    cJSON *root = cJSON_Parse(buffer);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "firmwareVersion")->valuestring,
                        "1.2.3");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "serialNumber")->valuestring,
                        "SIM-\"0001\"");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(root, "lastBootReason")->valuestring,
                        "power cut");
    assert_true(Number(root, "queueDepth") == 17);
    assert_true(Number(root, "droppedMessages") == 4294967296.0);
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "telemetryPeriodSeconds"));
    // Update properties are left out unless given.
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "pendingUpdate"));
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "lastUpdateResult"));
    cJSON_Delete(root);

    // Given, they are reported as the JSON values they are.
    report.pendingUpdateJson = "{\"status\":\"deferred\",\"deferredMinutes\":10}";
    report.lastUpdateResultJson = "";
    assert_int_equal(
        TwinState_BuildReportedPatch(&twin, &report, buffer, sizeof(buffer), &length, &generation),
        TwinState_Result_Ok);
    root = cJSON_Parse(buffer);
    assert_non_null(root);
    const cJSON *pending = cJSON_GetObjectItemCaseSensitive(root, "pendingUpdate");
    assert_true(cJSON_IsObject(pending));
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(pending, "status")->valuestring,
                        "deferred");
    assert_null(cJSON_GetObjectItemCaseSensitive(root, "lastUpdateResult"));
    cJSON_Delete(root);
    report.pendingUpdateJson = NULL;

    assert_int_equal(TwinState_BuildReportedPatch(&twin, &report, buffer, 20, &length, &generation),
                     TwinState_Result_BufferTooSmall);
    assert_string_equal(buffer, "");
    assert_int_equal(
        TwinState_BuildReportedPatch(&twin, NULL, buffer, sizeof(buffer), &length, &generation),
        TwinState_Result_NothingToReport);
}

static void test_ConfirmReported_olderGeneration_newerAckStaysPending(void **state) {
    assert_int_equal(
        ApplyDocument("{\"desired\":{\"telemetryPeriodSeconds\":30,\"$version\":1}}", NULL),
        TwinState_Result_Ok);
    cJSON *root = NULL;
    uint32_t first = 0;
    BuildAck(&root, &first);
    cJSON_Delete(root);
    // A new desired value arrives while the first acknowledgement is in flight.
    assert_int_equal(ApplyPatch(2, "{\"telemetryPeriodSeconds\":31}", NULL), TwinState_Result_Ok);
    TwinState_ConfirmReported(&twin, first);
    assert_true(TwinState_IsAcknowledgementPending(&twin));
    uint32_t second = 0;
    const cJSON *ack = BuildAck(&root, &second);
    assert_true(Number(ack, "av") == 2);
    cJSON_Delete(root);
    TwinState_ConfirmReported(&twin, second);
    assert_false(TwinState_IsAcknowledgementPending(&twin));
}

static void test_Init_outOfRangeDefault_clamped(void **state) {
    TwinState_Init(&twin, 0);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 1);
    TwinState_Init(&twin, 100000);
    assert_int_equal(TwinState_GetTelemetryPeriodSeconds(&twin), 3600);
    assert_int_equal(TwinState_ApplyDocument(NULL, "{}", 2, NULL),
                     TwinState_Result_InvalidArgument);
    uint64_t version;
    assert_false(TwinState_GetAppliedVersion(&twin, &version));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ApplyDocument_validPeriod_appliedAndAcknowledged200, Setup),
        cmocka_unit_test_setup(test_ApplyDocument_sameValue_acknowledgedWithoutChange, Setup),
        cmocka_unit_test_setup(test_ApplyPatch_outOfRangeOrWrongType_ack400ValueUnchanged, Setup),
        cmocka_unit_test_setup(test_ApplyPatch_notNewerVersion_staleIgnored, Setup),
        cmocka_unit_test_setup(test_ApplyPatch_beforeDocument_deferredNotApplied, Setup),
        cmocka_unit_test_setup(test_ApplyDocument_olderThanDeferredPatch_outdatedAskAgain, Setup),
        cmocka_unit_test_setup(test_OnConnected_twinRecreatedWithLowerVersion_documentReplaces,
                               Setup),
        cmocka_unit_test_setup(test_ApplyDocument_olderWhileSynchronised_stale, Setup),
        cmocka_unit_test_setup(test_ApplyPatch_nullOrAbsentProperty_noChangeNoAck, Setup),
        cmocka_unit_test_setup(test_ApplyDocument_hostile_malformedAndUnchanged, Setup),
        cmocka_unit_test_setup(test_BuildReportedPatch_deviceReport_allReportedProperties, Setup),
        cmocka_unit_test_setup(test_ConfirmReported_olderGeneration_newerAckStaysPending, Setup),
        cmocka_unit_test_setup(test_Init_outOfRangeDefault_clamped, Setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
