// SPDX-License-Identifier: MIT
// The stored record is {magic, state, type, previous version, version, reserved, installed-at,
// CRC-32} at STORAGE_LAYOUT_UPDATE_RECORD_OFFSET, native byte order (the file never leaves the
// device). A torn or foreign record fails the CRC and reads as "none": losing the result of an
// old update is harmless, reporting a wrong one is not.

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/log.h>
#include <applibs/storage.h>

#include "crc32.h"
#include "storage_layout.h"
#include "update_record.h"

// "UPD1": update record, layout 1.
#define UPDATE_RECORD_MAGIC 0x31445055u

typedef struct {
    uint32_t magic;
    uint32_t state;
    uint32_t type;
    char previousVersion[UPDATE_RECORD_VERSION_LENGTH + 1];
    char version[UPDATE_RECORD_VERSION_LENGTH + 1];
    uint32_t reserved;
    int64_t installedAtWallSeconds;
    uint32_t crc;
    uint32_t padding;
} StoredRecord;

_Static_assert(sizeof(StoredRecord) <= STORAGE_LAYOUT_UPDATE_RECORD_SIZE,
               "the update record outgrew its place in storage_layout.h");

static UpdateRecord_Data current;
static UpdateRecord_Check lastCheck = UpdateRecord_Check_Unknown;

static bool IsPlainVersion(const char *text) {
    if (text[0] == '\0') {
        return false;
    }
    for (const char *c = text; *c != '\0'; c++) {
        bool plain = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
                     (*c >= 'A' && *c <= 'Z') || *c == '.' || *c == '-' || *c == '+';
        if (!plain) {
            return false;
        }
    }
    return true;
}

// Appends ,"name":"value" (or {"name":"value" for the first member) at length; returns the new
// length, or -1 once anything did not fit.
static int AppendMember(char *buffer, size_t size, int length, const char *name,
                        const char *value) {
    if (length < 0 || (size_t)length >= size) {
        return -1;
    }
    int added = snprintf(buffer + length, size - (size_t)length, "%s\"%s\":\"%s\"",
                         length == 0 ? "{" : ",", name, value);
    return added < 0 ? -1 : length + added;
}

bool UpdateRecord_Format(const UpdateRecord_Data *data, UpdateRecord_Check check, char *buffer,
                         size_t size) {
    if (buffer != NULL && size > 0) {
        buffer[0] = '\0';
    }
    if (data == NULL || buffer == NULL || size == 0) {
        return false;
    }
    static const char *const results[] = {"none", "installing", "installed"};
    // A state out of range is as good as no record.
    UpdateRecord_State state = (unsigned int)data->state < sizeof(results) / sizeof(results[0])
                                   ? data->state
                                   : UpdateRecord_State_None;
    int length = AppendMember(buffer, size, 0, "result", results[state]);
    if (state != UpdateRecord_State_None) {
        length = AppendMember(buffer, size, length, "type", UpdateDeferral_TypeName(data->type));
    }
    // Both strings come from storage: bound them, and print only what needs no escaping.
    char version[UPDATE_RECORD_VERSION_LENGTH + 1];
    snprintf(version, sizeof(version), "%.*s", (int)UPDATE_RECORD_VERSION_LENGTH, data->version);
    if (state == UpdateRecord_State_Installed && IsPlainVersion(version)) {
        length = AppendMember(buffer, size, length, "version", version);
    }
    snprintf(version, sizeof(version), "%.*s", (int)UPDATE_RECORD_VERSION_LENGTH,
             data->previousVersion);
    if (state != UpdateRecord_State_None && IsPlainVersion(version)) {
        length = AppendMember(buffer, size, length, "previousVersion", version);
    }
    if (state == UpdateRecord_State_Installed) {
        char when[32] = "";
        time_t seconds = (time_t)data->installedAtWallSeconds;
        struct tm utc;
        if (gmtime_r(&seconds, &utc) != NULL &&
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &utc) > 0) {
            length = AppendMember(buffer, size, length, "installedAt", when);
        }
    }
    if (check == UpdateRecord_Check_NoUpdateAvailable) {
        length = AppendMember(buffer, size, length, "lastCheck", "noUpdateAvailable");
    } else if (check == UpdateRecord_Check_UpdateFound) {
        length = AppendMember(buffer, size, length, "lastCheck", "updateFound");
    }
    if (length >= 0 && (size_t)length + 1 < size) {
        buffer[length++] = '}';
        buffer[length] = '\0';
    } else {
        length = -1;
    }
    if (length < 0) {
        buffer[0] = '\0';
        return false;
    }
    return true;
}

static uint32_t RecordCrc(const StoredRecord *record) {
    return Crc32_Update(0, record, offsetof(StoredRecord, crc));
}

static void Save(void) {
    StoredRecord record;
    memset(&record, 0, sizeof(record));
    record.magic = UPDATE_RECORD_MAGIC;
    record.state = (uint32_t)current.state;
    record.type = (uint32_t)current.type;
    memcpy(record.previousVersion, current.previousVersion, sizeof(record.previousVersion));
    memcpy(record.version, current.version, sizeof(record.version));
    record.installedAtWallSeconds = current.installedAtWallSeconds;
    record.crc = RecordCrc(&record);

    int fd = Storage_OpenMutableFile();
    bool saved = fd != -1 &&
                 pwrite(fd, &record, sizeof(record), STORAGE_LAYOUT_UPDATE_RECORD_OFFSET) ==
                     (ssize_t)sizeof(record) &&
                 fsync(fd) == 0;
    if (!saved) {
        Log_Debug("ERROR: update: cannot store the update result: %s (%d).\n", strerror(errno),
                  errno);
    }
    if (fd != -1) {
        close(fd);
    }
}

static void CopyVersion(char *destination, const char *version) {
    snprintf(destination, UPDATE_RECORD_VERSION_LENGTH + 1, "%s", version != NULL ? version : "");
}

ExitCode UpdateRecord_Initialise(int64_t wallNowSeconds) {
    memset(&current, 0, sizeof(current));
    lastCheck = UpdateRecord_Check_Unknown;
    int fd = Storage_OpenMutableFile();
    if (fd == -1) {
        Log_Debug("ERROR: update: cannot open mutable storage: %s (%d).\n", strerror(errno), errno);
        return ExitCode_UpdateRecord_Open;
    }
    StoredRecord record;
    memset(&record, 0, sizeof(record));
    ssize_t bytesRead = pread(fd, &record, sizeof(record), STORAGE_LAYOUT_UPDATE_RECORD_OFFSET);
    close(fd);
    if (bytesRead < 0) {
        Log_Debug("ERROR: update: cannot read the update result: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_UpdateRecord_Read;
    }
    if (bytesRead == (ssize_t)sizeof(record) && record.magic == UPDATE_RECORD_MAGIC &&
        record.crc == RecordCrc(&record) && record.state <= UpdateRecord_State_Installed &&
        record.type <= UpdateDeferral_Type_Os) {
        current.state = (UpdateRecord_State)record.state;
        current.type = (UpdateDeferral_Type)record.type;
        memcpy(current.previousVersion, record.previousVersion, sizeof(current.previousVersion));
        current.previousVersion[UPDATE_RECORD_VERSION_LENGTH] = '\0';
        memcpy(current.version, record.version, sizeof(current.version));
        current.version[UPDATE_RECORD_VERSION_LENGTH] = '\0';
        current.installedAtWallSeconds = record.installedAtWallSeconds;
    }
    if (current.state == UpdateRecord_State_Installing && current.type == UpdateDeferral_Type_Os) {
        // An OS update reboots the device and sends no Complete: this start is its end.
        current.state = UpdateRecord_State_Installed;
        current.version[0] = '\0';
        current.installedAtWallSeconds = wallNowSeconds;
        Save();
    }
    return ExitCode_Success;
}

void UpdateRecord_NoteInstalling(UpdateDeferral_Type type, const char *runningVersion) {
    current.state = UpdateRecord_State_Installing;
    current.type = type;
    CopyVersion(current.previousVersion, runningVersion);
    current.version[0] = '\0';
    current.installedAtWallSeconds = 0;
    Save();
}

void UpdateRecord_NoteComplete(const char *runningVersion, int64_t wallNowSeconds) {
    if (current.state != UpdateRecord_State_Installing) {
        // The old version left no record (it was not this app, or storage failed).
        current.previousVersion[0] = '\0';
    }
    current.state = UpdateRecord_State_Installed;
    current.type = UpdateDeferral_Type_App;
    CopyVersion(current.version, runningVersion);
    current.installedAtWallSeconds = wallNowSeconds;
    Save();
}

void UpdateRecord_NoteCheck(UpdateRecord_Check check) {
    lastCheck = check;
}

bool UpdateRecord_FormatCurrent(char *buffer, size_t size) {
    return UpdateRecord_Format(&current, lastCheck, buffer, size);
}
