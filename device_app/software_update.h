// SPDX-License-Identifier: MIT
// The app's side of over-the-air updates, as Azure Sphere's deferred-update pattern has it: the
// app registers for the update system events, defers an update that becomes ready while a
// maintenance window is open, resumes it when the window ends, and on Final records what is
// about to happen and waits for the OS's SIGTERM. The decisions are update_deferral.c's and the
// stored outcome update_record.c's; this module calls applibs (sysevent, storage through
// update_record) and keeps the timer that ends the window.
//
// Needs the manifest capabilities SystemEventNotifications and SoftwareUpdateDeferral.
#pragma once

#include <stdint.h>

#include <applibs/eventloop.h>

#include "exitcodes.h"

/// Reads the stored update outcome and registers for UpdateStarted, UpdateReadyForInstall and
/// NoUpdateAvailable. stateChanged is called whenever pendingUpdate or lastUpdateResult
/// changes; failureCallback when the window's timer fails. firmwareVersion must outlive the
/// module. Returns ExitCode_Success or the ExitCode of the step that failed.
ExitCode SoftwareUpdate_Initialise(EventLoop *eventLoop, const char *firmwareVersion,
                                   void (*stateChanged)(void),
                                   ExitCode_CallbackType failureCallback);

void SoftwareUpdate_Cleanup(void);

/// Opens a maintenance window of seconds (at most a day) from now, replacing any open one; 0
/// closes it. A deferral in effect is resumed once no window is open.
void SoftwareUpdate_SetMaintenance(uint32_t seconds);

/// The pendingUpdate and lastUpdateResult reported properties, as JSON (valid until the next
/// call into this module).
const char *SoftwareUpdate_GetPendingUpdateJson(void);
const char *SoftwareUpdate_GetLastUpdateResultJson(void);
