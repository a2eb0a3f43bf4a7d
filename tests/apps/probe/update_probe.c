// SPDX-License-Identifier: MIT
// The probe's update mode; see update_probe.h. Every line it logs starts "PROBE " so tests can
// grep the device log.
#include "update_probe.h"

#include <errno.h>
#include <stddef.h>

#include <applibs/applications.h>
#include <applibs/log.h>
#include <applibs/sysevent.h>

// main.c's errno names, so both files log errno the same way.
const char *ErrnoName(int err);

static ProbeUpdateOptions options;
static EventRegistration *registration = NULL;
static int defersLeft = 0;

static const char *EventName(SysEvent_Events event) {
    switch (event) {
        case SysEvent_Events_UpdateReadyForInstall:
            return "UpdateReadyForInstall";
        case SysEvent_Events_UpdateStarted:
            return "UpdateStarted";
        case SysEvent_Events_NoUpdateAvailable:
            return "NoUpdateAvailable";
        default:
            return "Unknown";
    }
}

static const char *StatusName(SysEvent_Status status) {
    switch (status) {
        case SysEvent_Status_Pending:
            return "Pending";
        case SysEvent_Status_Final:
            return "Final";
        case SysEvent_Status_Deferred:
            return "Deferred";
        case SysEvent_Status_Complete:
            return "Complete";
        default:
            return "Invalid";
    }
}

static void OnUpdateEvent(SysEvent_Events event, SysEvent_Status status, const SysEvent_Info *info,
                          void *context) {
    (void)context;
    SysEvent_Info_UpdateData data = {0};
    int dataResult = SysEvent_Info_GetUpdateData(info, &data);
    if (dataResult == 0) {
        Log_Debug("PROBE sysevent %s %s max %u type %s\n", EventName(event), StatusName(status),
                  data.max_deferral_time_in_minutes,
                  data.update_type == SysEvent_UpdateType_System ? "System" : "App");
    } else {
        Log_Debug("PROBE sysevent %s %s\n", EventName(event), StatusName(status));
    }
    if (event != SysEvent_Events_UpdateReadyForInstall) {
        return;
    }
    if (status == SysEvent_Status_Pending && defersLeft > 0) {
        defersLeft--;
        int result =
            SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, options.deferMinutes);
        Log_Debug("PROBE defer %u result %d errno %s\n", options.deferMinutes, result,
                  ErrnoName(result == -1 ? errno : 0));
    } else if (status == SysEvent_Status_Deferred && options.resume) {
        int result = SysEvent_ResumeEvent(SysEvent_Events_UpdateReadyForInstall);
        Log_Debug("PROBE resume result %d errno %s\n", result, ErrnoName(result == -1 ? errno : 0));
    } else if (status == SysEvent_Status_Final) {
        // As the DeferredUpdate sample: stop the work, then let the OS's SIGTERM end the app.
        Log_Debug("PROBE final waiting-for-sigterm\n");
    }
}

bool ProbeUpdate_Start(EventLoop *eventLoop, const ProbeUpdateOptions *requested) {
    options = *requested;
    defersLeft = options.defers;
    if (options.label != NULL) {
        Log_Debug("PROBE label %s\n", options.label);
    }
    Applications_OsVersion version;
    int result = Applications_GetOsVersion(&version);
    Log_Debug("PROBE os-version %s errno %s\n", result == 0 ? version.version : "-",
              ErrnoName(result == -1 ? errno : 0));
    result = Applications_GetOsVersion(NULL);
    Log_Debug("PROBE os-version-null %d errno %s\n", result, ErrnoName(result == -1 ? errno : 0));

    // Nothing is pending yet: both must fail (EINVAL, or EACCES without SoftwareUpdateDeferral).
    result = SysEvent_DeferEvent(SysEvent_Events_UpdateReadyForInstall, 1);
    Log_Debug("PROBE defer-idle %d errno %s\n", result, ErrnoName(result == -1 ? errno : 0));
    result = SysEvent_ResumeEvent(SysEvent_Events_UpdateReadyForInstall);
    Log_Debug("PROBE resume-idle %d errno %s\n", result, ErrnoName(result == -1 ? errno : 0));

    registration = SysEvent_RegisterForEventNotifications(eventLoop, SysEvent_Events_Mask,
                                                          OnUpdateEvent, NULL);
    Log_Debug("PROBE sysevent-register %s errno %s\n", registration != NULL ? "ok" : "-1",
              ErrnoName(registration == NULL ? errno : 0));
    if (registration == NULL) {
        return true;  // the refusal is what a manifest without the capability must get
    }
    EventRegistration *second = SysEvent_RegisterForEventNotifications(
        eventLoop, SysEvent_Events_UpdateReadyForInstall, OnUpdateEvent, NULL);
    Log_Debug("PROBE sysevent-register-again %s errno %s\n", second != NULL ? "ok" : "-1",
              ErrnoName(second == NULL ? errno : 0));
    return second == NULL;
}

void ProbeUpdate_Stop(void) {
    if (registration != NULL) {
        SysEvent_UnregisterForEventNotifications(registration);
        registration = NULL;
    }
}
