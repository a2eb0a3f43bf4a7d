// SPDX-License-Identifier: MIT
// Glue between the update system events and update_deferral's decisions; see software_update.h.
// The maintenance window runs on CLOCK_MONOTONIC and an event-loop timer, the app's own time.
// Deferral minutes are the OS's time: on a device the two agree; in a simulation with an
// accelerated device clock a deferral may end before the window does, and the Pending that
// follows is simply deferred again for the rest of the window.

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <applibs/log.h>
#include <applibs/sysevent.h>

#include "eventloop_timer_utilities.h"
#include "software_update.h"
#include "update_deferral.h"
#include "update_record.h"

static UpdateDeferral deferral;
static const char *runningVersion = "";
static void (*onStateChanged)(void) = NULL;
static ExitCode_CallbackType onFailure = NULL;
static EventRegistration *registration = NULL;
static EventLoopTimer *maintenanceTimer = NULL;
static char pendingJson[UPDATE_DEFERRAL_PENDING_JSON_SIZE];
static char lastResultJson[UPDATE_RECORD_JSON_SIZE];

static uint64_t NowMs(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000u + (uint64_t)now.tv_nsec / 1000000u;
}

static int64_t WallNowSeconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (int64_t)now.tv_sec;
}

static void StateChanged(void) {
    if (onStateChanged != NULL) {
        onStateChanged();
    }
}

static void Defer(uint32_t minutes) {
    int result = SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, minutes);
    int error = errno;
    UpdateDeferral_OnDeferResult(&deferral, minutes, result == 0, WallNowSeconds());
    if (result == 0) {
        Log_Debug("INFO: update: maintenance in progress; deferring the update by %u min.\n",
                  (unsigned int)minutes);
    } else {
        Log_Debug("ERROR: update: SysEvent_DeferEvent: %s (%d); the update will go ahead.\n",
                  strerror(error), error);
    }
}

static void ResumeIfDue(void) {
    if (!UpdateDeferral_ShouldResume(&deferral, NowMs())) {
        return;
    }
    int result = SysEvent_ResumeEvent(SysEvent_Events_UpdateReadyForInstall);
    int error = errno;
    UpdateDeferral_OnResumed(&deferral);
    if (result == 0) {
        Log_Debug("INFO: update: maintenance is over; resuming the deferred update.\n");
    } else {
        // EINVAL: the deferral ended on its own meanwhile; the update goes ahead anyway.
        Log_Debug("INFO: update: SysEvent_ResumeEvent: %s (%d).\n", strerror(error), error);
    }
}

static UpdateDeferral_Type TypeOf(const SysEvent_Info *info) {
    SysEvent_Info_UpdateData data;
    memset(&data, 0, sizeof(data));
    if (SysEvent_Info_GetUpdateData(info, &data) != 0) {
        return UpdateDeferral_Type_Unknown;
    }
    return data.update_type == SysEvent_UpdateType_App      ? UpdateDeferral_Type_App
           : data.update_type == SysEvent_UpdateType_System ? UpdateDeferral_Type_Os
                                                            : UpdateDeferral_Type_Unknown;
}

static void HandleReadyForInstall(SysEvent_Status status, const SysEvent_Info *info) {
    SysEvent_Info_UpdateData data;
    memset(&data, 0, sizeof(data));
    switch (status) {
        case SysEvent_Status_Pending: {
            if (SysEvent_Info_GetUpdateData(info, &data) != 0) {
                Log_Debug("ERROR: update: SysEvent_Info_GetUpdateData: %s (%d).\n", strerror(errno),
                          errno);
            }
            UpdateDeferral_Type type = TypeOf(info);
            uint32_t minutes = UpdateDeferral_OnPending(
                &deferral, type, (uint32_t)data.max_deferral_time_in_minutes, NowMs());
            Log_Debug("INFO: update: %s update ready to install (%u min of deferral left).\n",
                      UpdateDeferral_TypeName(type),
                      (unsigned int)data.max_deferral_time_in_minutes);
            if (minutes > 0) {
                Defer(minutes);
            } else {
                Log_Debug("INFO: update: no maintenance in progress; letting it install.\n");
            }
            if (!deferral.deferInEffect) {
                // Left alone, a Pending update installs after its warning with no Final.
                UpdateRecord_NoteInstalling(type, runningVersion);
            }
            break;
        }
        case SysEvent_Status_Deferred:
            UpdateDeferral_OnDeferred(&deferral);
            Log_Debug("INFO: update: the update is deferred.\n");
            // The window may have closed between the defer and this notification.
            ResumeIfDue();
            break;
        case SysEvent_Status_Final: {
            UpdateDeferral_Type type = TypeOf(info);
            UpdateDeferral_OnFinal(&deferral, type);
            UpdateRecord_NoteInstalling(deferral.type, runningVersion);
            DisarmEventLoopTimer(maintenanceTimer);
            // As the platform's deferred-update pattern does: stop working now, close
            // everything while there is time, and let main wait for the OS's SIGTERM.
            Log_Debug(
                "INFO: update: Final: the %s update installs after the OS's warning; the app "
                "stops now.\n",
                UpdateDeferral_TypeName(deferral.type));
            if (onFailure != NULL) {
                onFailure(ExitCode_UpdateCallback_FinalUpdate);
            }
            break;
        }
        case SysEvent_Status_Complete:
            UpdateDeferral_OnComplete(&deferral);
            UpdateRecord_NoteComplete(runningVersion, WallNowSeconds());
            Log_Debug("INFO: update: Complete: version %s is installed and running.\n",
                      runningVersion);
            break;
        default:
            Log_Debug("INFO: update: ignored status %u of UpdateReadyForInstall.\n",
                      (unsigned int)status);
            return;
    }
}

static void UpdateEventHandler(SysEvent_Events event, SysEvent_Status status,
                               const SysEvent_Info *info, void *context) {
    (void)context;
    switch (event) {
        case SysEvent_Events_UpdateStarted:
            Log_Debug("INFO: update: an update is downloading.\n");
            UpdateDeferral_OnUpdateStarted(&deferral);
            UpdateRecord_NoteCheck(UpdateRecord_Check_UpdateFound);
            break;
        case SysEvent_Events_NoUpdateAvailable:
            Log_Debug("INFO: update: the update check found nothing new.\n");
            UpdateDeferral_OnNoUpdateAvailable(&deferral);
            UpdateRecord_NoteCheck(UpdateRecord_Check_NoUpdateAvailable);
            break;
        case SysEvent_Events_UpdateReadyForInstall:
            HandleReadyForInstall(status, info);
            break;
        default:
            Log_Debug("INFO: update: ignored system event 0x%x.\n", (unsigned int)event);
            return;
    }
    StateChanged();
}

static void MaintenanceTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        if (onFailure != NULL) {
            onFailure(ExitCode_MaintenanceTimer_Consume);
        }
        return;
    }
    Log_Debug("INFO: maintenance: the window has ended.\n");
    UpdateDeferral_SetMaintenance(&deferral, NowMs(), 0);
    ResumeIfDue();
    StateChanged();
}

void SoftwareUpdate_SetMaintenance(uint32_t seconds) {
    uint64_t now = NowMs();
    UpdateDeferral_SetMaintenance(&deferral, now, seconds);
    if (UpdateDeferral_IsInMaintenance(&deferral, now)) {
        uint64_t remainingMs = UpdateDeferral_RemainingMs(&deferral, now);
        const struct timespec delay = {.tv_sec = (time_t)(remainingMs / 1000u),
                                       .tv_nsec = (long)(remainingMs % 1000u) * 1000000L};
        Log_Debug("INFO: maintenance: started for %u s; updates are deferred until it ends.\n",
                  (unsigned int)(remainingMs / 1000u));
        if (SetEventLoopTimerOneShot(maintenanceTimer, &delay) != 0) {
            Log_Debug("ERROR: maintenance: cannot arm the timer: %s (%d).\n", strerror(errno),
                      errno);
            if (onFailure != NULL) {
                onFailure(ExitCode_MaintenanceTimer_Arm);
            }
            return;
        }
        // An update already Pending (within its warning) is deferred at once.
        if (deferral.phase == UpdateDeferral_Phase_Pending && !deferral.deferInEffect &&
            deferral.maxDeferralMinutes > 0) {
            Defer(UpdateDeferral_RemainingMinutes(&deferral, now));
            StateChanged();
        }
    } else {
        DisarmEventLoopTimer(maintenanceTimer);
        Log_Debug("INFO: maintenance: ended on request.\n");
        ResumeIfDue();
        StateChanged();
    }
}

ExitCode SoftwareUpdate_Initialise(EventLoop *eventLoop, const char *firmwareVersion,
                                   void (*stateChanged)(void),
                                   ExitCode_CallbackType failureCallback) {
    UpdateDeferral_Init(&deferral);
    runningVersion = firmwareVersion;
    onStateChanged = stateChanged;
    onFailure = failureCallback;
    ExitCode result = UpdateRecord_Initialise(WallNowSeconds());
    if (result != ExitCode_Success) {
        return result;
    }
    maintenanceTimer = CreateEventLoopDisarmedTimer(eventLoop, MaintenanceTimerEventHandler);
    if (maintenanceTimer == NULL) {
        Log_Debug("ERROR: maintenance: cannot create the timer: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Init_MaintenanceTimer;
    }
    registration = SysEvent_RegisterForEventNotifications(eventLoop, SysEvent_Events_Mask,
                                                          UpdateEventHandler, NULL);
    if (registration == NULL) {
        Log_Debug("ERROR: update: cannot register for system events: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Init_RegisterSysEvent;
    }
    return ExitCode_Success;
}

void SoftwareUpdate_Cleanup(void) {
    if (registration != NULL) {
        SysEvent_UnregisterForEventNotifications(registration);
        registration = NULL;
    }
    DisposeEventLoopTimer(maintenanceTimer);
    maintenanceTimer = NULL;
}

const char *SoftwareUpdate_GetPendingUpdateJson(void) {
    UpdateDeferral_FormatPending(&deferral, pendingJson, sizeof(pendingJson));
    return pendingJson;
}

const char *SoftwareUpdate_GetLastUpdateResultJson(void) {
    UpdateRecord_FormatCurrent(lastResultJson, sizeof(lastResultJson));
    return lastResultJson;
}
