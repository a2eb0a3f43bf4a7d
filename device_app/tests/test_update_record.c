// SPDX-License-Identifier: MIT
// Unit tests for update_record: the lastUpdateResult document, and the record kept in mutable
// storage across a restart (a temporary file stands in for the storage file): installing, then
// Complete in the next run, an OS update finished by the reboot, and damaged or foreign bytes
// read as no record without touching the telemetry queue's region.

#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>

#include "storage_layout.h"
#include "update_record.h"

static char storagePath[64];

int Log_Debug(const char *fmt, ...) {
    (void)fmt;
    return 0;
}

int Storage_OpenMutableFile(void) {
    return open(storagePath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

static int Setup(void **unused) {
    (void)unused;
    snprintf(storagePath, sizeof(storagePath), "/tmp/test_update_record.XXXXXX");
    int fd = mkstemp(storagePath);
    assert_true(fd >= 0);
    close(fd);
    return 0;
}

static int Teardown(void **unused) {
    (void)unused;
    unlink(storagePath);
    return 0;
}

static cJSON *Current(void) {
    static char buffer[UPDATE_RECORD_JSON_SIZE];
    assert_true(UpdateRecord_FormatCurrent(buffer, sizeof(buffer)));
    cJSON *root = cJSON_Parse(buffer);
    if (!cJSON_IsObject(root)) {
        fail_msg("not a JSON object: '%s'", buffer);
    }
    return root;
}

static const char *String(const cJSON *root, const char *name) {
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(root, name);
    return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void test_Initialise_emptyStorage_resultNone(void **unused) {
    (void)unused;
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    cJSON *root = Current();
    assert_string_equal(String(root, "result"), "none");
    assert_null(String(root, "lastCheck"));
    assert_int_equal(cJSON_GetArraySize(root), 1);
    cJSON_Delete(root);
    UpdateRecord_NoteCheck(UpdateRecord_Check_NoUpdateAvailable);
    root = Current();
    assert_string_equal(String(root, "lastCheck"), "noUpdateAvailable");
    cJSON_Delete(root);
}

static void test_NoteInstallingThenComplete_survivesRestart(void **unused) {
    (void)unused;
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    UpdateRecord_NoteInstalling(UpdateDeferral_Type_App, "1.1.0");
    cJSON *root = Current();
    assert_string_equal(String(root, "result"), "installing");
    assert_string_equal(String(root, "previousVersion"), "1.1.0");
    cJSON_Delete(root);

    // The next version starts: the record is still there, and Complete finishes it.
    assert_int_equal(UpdateRecord_Initialise(1767225600), ExitCode_Success);
    root = Current();
    assert_string_equal(String(root, "result"), "installing");
    cJSON_Delete(root);
    UpdateRecord_NoteComplete("1.2.0", 1767225600);
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    root = Current();
    assert_string_equal(String(root, "result"), "installed");
    assert_string_equal(String(root, "type"), "app");
    assert_string_equal(String(root, "version"), "1.2.0");
    assert_string_equal(String(root, "previousVersion"), "1.1.0");
    assert_string_equal(String(root, "installedAt"), "2026-01-01T00:00:00Z");
    cJSON_Delete(root);

    // Complete without a record from the old version: no previous version to claim.
    UpdateRecord_NoteComplete("1.3.0", 1767225660);
    root = Current();
    assert_null(String(root, "previousVersion"));
    assert_string_equal(String(root, "version"), "1.3.0");
    cJSON_Delete(root);
}

static void test_Initialise_osUpdateInstalling_becomesInstalled(void **unused) {
    (void)unused;
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    UpdateRecord_NoteInstalling(UpdateDeferral_Type_Os, "1.1.0");
    assert_int_equal(UpdateRecord_Initialise(1767225600), ExitCode_Success);
    cJSON *root = Current();
    assert_string_equal(String(root, "result"), "installed");
    assert_string_equal(String(root, "type"), "os");
    assert_null(String(root, "version"));
    assert_string_equal(String(root, "installedAt"), "2026-01-01T00:00:00Z");
    cJSON_Delete(root);
}

static void test_Initialise_damagedRecord_noneAndQueueUntouched(void **unused) {
    (void)unused;
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    UpdateRecord_NoteInstalling(UpdateDeferral_Type_App, "1.1.0");
    int fd = open(storagePath, O_RDWR);
    assert_true(fd >= 0);
    // Whatever the record writes stays inside its region, clear of the queue.
    off_t end = lseek(fd, 0, SEEK_END);
    assert_true(end <=
                (off_t)(STORAGE_LAYOUT_UPDATE_RECORD_OFFSET + STORAGE_LAYOUT_UPDATE_RECORD_SIZE));
    assert_true(STORAGE_LAYOUT_UPDATE_RECORD_OFFSET + STORAGE_LAYOUT_UPDATE_RECORD_SIZE <=
                STORAGE_LAYOUT_QUEUE_OFFSET);
    // One flipped byte (a torn write) makes the record read as none.
    unsigned char byte = 0;
    assert_int_equal(pread(fd, &byte, 1, STORAGE_LAYOUT_UPDATE_RECORD_OFFSET + 20), 1);
    byte ^= 0x40;
    assert_int_equal(pwrite(fd, &byte, 1, STORAGE_LAYOUT_UPDATE_RECORD_OFFSET + 20), 1);
    close(fd);
    assert_int_equal(UpdateRecord_Initialise(0), ExitCode_Success);
    cJSON *root = Current();
    assert_string_equal(String(root, "result"), "none");
    cJSON_Delete(root);
}

static void test_Format_hostileVersionsAndStates_validJson(void **unused) {
    (void)unused;
    UpdateRecord_Data data;
    memset(&data, 0, sizeof(data));
    data.state = UpdateRecord_State_Installed;
    data.type = UpdateDeferral_Type_App;
    memset(data.version, '"', sizeof(data.version));  // no NUL at all
    snprintf(data.previousVersion, sizeof(data.previousVersion), "1.0\\\n");
    char buffer[UPDATE_RECORD_JSON_SIZE];
    assert_true(UpdateRecord_Format(&data, UpdateRecord_Check_UpdateFound, buffer, sizeof(buffer)));
    cJSON *root = cJSON_Parse(buffer);
    assert_true(cJSON_IsObject(root));
    assert_null(String(root, "version"));
    assert_null(String(root, "previousVersion"));
    assert_string_equal(String(root, "lastCheck"), "updateFound");
    cJSON_Delete(root);

    data.state = (UpdateRecord_State)77;
    assert_true(UpdateRecord_Format(&data, UpdateRecord_Check_Unknown, buffer, sizeof(buffer)));
    assert_string_equal(buffer, "{\"result\":\"none\"}");

    char small[10] = "xxxxxxxxx";
    assert_false(UpdateRecord_Format(&data, UpdateRecord_Check_Unknown, small, sizeof(small)));
    assert_string_equal(small, "");
    assert_false(UpdateRecord_Format(NULL, UpdateRecord_Check_Unknown, buffer, sizeof(buffer)));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_Initialise_emptyStorage_resultNone, Setup, Teardown),
        cmocka_unit_test_setup_teardown(test_NoteInstallingThenComplete_survivesRestart, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Initialise_osUpdateInstalling_becomesInstalled, Setup,
                                        Teardown),
        cmocka_unit_test_setup_teardown(test_Initialise_damagedRecord_noneAndQueueUntouched, Setup,
                                        Teardown),
        cmocka_unit_test(test_Format_hostileVersionsAndStates_validJson),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
