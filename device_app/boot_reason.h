// SPDX-License-Identifier: MIT
// Why the app's previous run ended, for the lastBootReason reported property. Azure Sphere
// gives apps no reset-reason API, so the app keeps its own record in mutable storage: at start
// it reads the record and overwrites it with "running"; on the way out it writes how it is
// ending. A start that finds "running" knows the previous run ended without a word: a crash,
// the watchdog, a SIGKILL or a power cut.
#pragma once

#include <stddef.h>

#include "exitcodes.h"

typedef enum {
    /// The app was asked to reboot the device (direct method reboot).
    BootReason_RebootRequested = 1,
    /// The OS stopped the app with SIGTERM (update, reboot, power-down, shutdown).
    BootReason_StoppedByOs = 2,
    /// The app exited on a failure; the exit code is recorded too.
    BootReason_Failure = 3,
} BootReason;

/// Buffer size that holds every description BootReason_Initialise writes.
#define BOOT_REASON_DESCRIPTION_SIZE 48

/// Describes how the previous run ended ("firstStart", "rebootRequested", "stoppedByOs",
/// "exitCode:N" or "unexpectedStop") into description, then records this run as running.
/// Returns ExitCode_Success, or ExitCode_BootReason_Open when storage cannot be opened at all;
/// a failing read or write is logged and survived (the description is then "unknown").
ExitCode BootReason_Initialise(char *description, size_t size);

/// Records how this run is ending. Best effort: a failure is logged, nothing more, since the
/// app is stopping anyway.
void BootReason_Record(BootReason reason, int exitCode);
