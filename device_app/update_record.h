// SPDX-License-Identifier: MIT
// The outcome of the last software update, for the lastUpdateResult reported property. An app
// update ends this process (SIGTERM, install, start of the new version), so what the old
// version knew when the install was announced, and what the new one learnt from Complete, is kept
// in mutable storage (STORAGE_LAYOUT_UPDATE_RECORD_OFFSET) and survives restarts and updates.
// The outcome of the latest update check (NoUpdateAvailable or UpdateStarted) is kept in memory
// only: the next check repeats it.
//
// UpdateRecord_Format is pure; the other functions read or write the storage file.
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exitcodes.h"
#include "update_deferral.h"

/// A buffer of this size holds every lastUpdateResult document UpdateRecord_Format prints.
#define UPDATE_RECORD_JSON_SIZE 256u
/// Versions longer than this (excluding the NUL) are cut down to it in the record.
#define UPDATE_RECORD_VERSION_LENGTH 15u

typedef enum {
    /// No update has finished since the record began.
    UpdateRecord_State_None = 0,
    /// An update is about to be installed (Final, or a Pending left to go ahead).
    UpdateRecord_State_Installing = 1,
    /// An update was installed: Complete arrived (app), or the app started again after an OS
    /// update reached Final (an OS update ends in a reboot and sends no Complete).
    UpdateRecord_State_Installed = 2,
} UpdateRecord_State;

typedef enum {
    UpdateRecord_Check_Unknown,
    UpdateRecord_Check_NoUpdateAvailable,
    UpdateRecord_Check_UpdateFound,
} UpdateRecord_Check;

typedef struct {
    UpdateRecord_State state;
    UpdateDeferral_Type type;
    char previousVersion[UPDATE_RECORD_VERSION_LENGTH + 1];
    char version[UPDATE_RECORD_VERSION_LENGTH + 1];
    int64_t installedAtWallSeconds;
} UpdateRecord_Data;

/// Prints lastUpdateResult, for example {"result":"installed","type":"app","version":"1.1.0",
/// "previousVersion":"1.0.0","installedAt":"2026-01-01T00:00:00Z","lastCheck":
/// "noUpdateAvailable"}. result is none, installing or installed; lastCheck is left out while
/// unknown. Versions are printed only if they are plain (letters, digits, '.', '-', '+').
/// Returns false (and an empty string where possible) when an argument is NULL or the buffer
/// is too small.
bool UpdateRecord_Format(const UpdateRecord_Data *data, UpdateRecord_Check lastCheck, char *buffer,
                         size_t size);

/// Reads the record (a missing or damaged one reads as state None). An Installing record for an
/// OS update becomes Installed, stamped with wallNowSeconds, and is written back.
/// Returns ExitCode_Success, ExitCode_UpdateRecord_Open or ExitCode_UpdateRecord_Read.
ExitCode UpdateRecord_Initialise(int64_t wallNowSeconds);

/// An update of type is about to be installed over runningVersion: Final arrived, or a Pending
/// that the app did not defer (the OS installs it after its warning without a Final). Best
/// effort: a failed write is logged.
void UpdateRecord_NoteInstalling(UpdateDeferral_Type type, const char *runningVersion);

/// Complete arrived: runningVersion was installed (the previous version comes from the record
/// the old version wrote before the install, if there is one). Best effort: a failed write is
/// logged.
void UpdateRecord_NoteComplete(const char *runningVersion, int64_t wallNowSeconds);

void UpdateRecord_NoteCheck(UpdateRecord_Check check);

/// Prints the current record with UpdateRecord_Format.
bool UpdateRecord_FormatCurrent(char *buffer, size_t size);
