// SPDX-License-Identifier: MIT
// applibs/sysevent.h for spheresim's Linux backend: system event notifications (software
// updates) and the ability to defer or resume an update. Notifications are delivered through
// an EventLoop. Registering needs the SystemEventNotifications capability; deferring needs
// SoftwareUpdateDeferral.
#pragma once

#include <stdint.h>

#include <applibs/eventloop.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define HALSTUB_SYSEVENT_DEPRECATED_(msg) __attribute__((deprecated(msg)))
#else
#define HALSTUB_SYSEVENT_DEPRECATED_(msg)
#endif

/// System event kinds, as bit flags.
typedef uint32_t SysEvent_Events;
enum {
    /// No event.
    SysEvent_Events_None = 0x00,
    /// An OS or app update has been downloaded and is ready to install.
    SysEvent_Events_UpdateReadyForInstall = 0x01,
    /// Old name of SysEvent_Events_UpdateReadyForInstall; kept for source compatibility.
    SysEvent_Events_Update HALSTUB_SYSEVENT_DEPRECATED_(
        "use SysEvent_Events_UpdateReadyForInstall") = SysEvent_Events_UpdateReadyForInstall,
    /// An update download has begun; UpdateReadyForInstall follows once it is complete.
    SysEvent_Events_UpdateStarted = 0x02,
    /// An update check found nothing to install (sent instead of UpdateStarted).
    SysEvent_Events_NoUpdateAvailable = 0x04,
    /// Every valid event bit.
    SysEvent_Events_Mask = SysEvent_Events_UpdateStarted | SysEvent_Events_UpdateReadyForInstall |
                           SysEvent_Events_NoUpdateAvailable
};

/// Stage an event has reached.
typedef uint32_t SysEvent_Status;
enum {
    /// No status.
    SysEvent_Status_Invalid = 0,
    /// The event is coming and may still be deferred with SysEvent_DeferEvent.
    SysEvent_Status_Pending = 1,
    /// The event is coming and can no longer be deferred.
    SysEvent_Status_Final = 2,
    /// A pending event was deferred and will happen later.
    SysEvent_Status_Deferred = 3,
    /// Old name of SysEvent_Status_Deferred; kept for source compatibility.
    SysEvent_Status_Rejected HALSTUB_SYSEVENT_DEPRECATED_("use SysEvent_Status_Deferred") =
        SysEvent_Status_Deferred,
    /// The event has finished. For updates this is only sent for app updates, because an OS
    /// update ends with a reboot.
    SysEvent_Status_Complete = 4
};

/// What an update replaces.
typedef uint32_t SysEvent_UpdateType;
enum {
    /// No type.
    SysEvent_UpdateType_Invalid = 0,
    /// An app update: the updated app is restarted, the device is not rebooted.
    SysEvent_UpdateType_App = 1,
    /// An OS update: the device reboots.
    SysEvent_UpdateType_System = 2
};

/// Details of an UpdateReadyForInstall event, obtained with SysEvent_Info_GetUpdateData.
/// max_deferral_time_in_minutes is meaningful only while the status is Pending.
typedef struct SysEvent_Info_UpdateData {
    unsigned int max_deferral_time_in_minutes;
    SysEvent_UpdateType update_type;
} SysEvent_Info_UpdateData;

/// Opaque event details handed to a SysEvent_EventsCallback; valid only until it returns.
typedef struct SysEvent_Info SysEvent_Info;

/// Copies the update details out of info, which must be the pointer passed to the callback
/// that is currently running.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  info or update_info is NULL.
///   EINVAL  info does not belong to an UpdateReadyForInstall event.
/// Other errno values are possible and not guaranteed to stay the same.
int SysEvent_Info_GetUpdateData(const SysEvent_Info *info, SysEvent_Info_UpdateData *update_info);

/// Called once per status change of a registered event; event has exactly one bit set. info
/// may be passed to event-specific getters until the callback returns.
typedef void SysEvent_EventsCallback(SysEvent_Events event, SysEvent_Status state,
                                     const SysEvent_Info *info, void *context);

/// Subscribes to the events in eventBitmask; callback runs on el's thread. An app may hold only
/// one such registration at a time. Keep the result for
/// SysEvent_UnregisterForEventNotifications.
/// Returns the registration; on failure NULL with errno set:
///   EACCES  the manifest lacks SystemEventNotifications.
///   EFAULT  el or callback is NULL.
///   EINVAL  eventBitmask contains invalid events.
/// Other errno values are possible and not guaranteed to stay the same.
EventRegistration *SysEvent_RegisterForEventNotifications(EventLoop *el,
                                                          SysEvent_Events eventBitmask,
                                                          SysEvent_EventsCallback *callback,
                                                          void *context);

/// Ends a subscription made with SysEvent_RegisterForEventNotifications; each registration may
/// be ended once.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  reg is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int SysEvent_UnregisterForEventNotifications(EventRegistration *reg);

/// Postpones a Pending event (one event bit only) by the requested minutes, cut down to the
/// event's maximum. Fails if the event is not Pending. On success every registered app is sent
/// SysEvent_Status_Deferred. UpdateReadyForInstall needs SoftwareUpdateDeferral.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks the capability needed to defer this event.
/// Other errno values are possible and not guaranteed to stay the same.
int SysEvent_DeferEvent(SysEvent_Events event, uint32_t requested_defer_time_in_minutes);

/// Cancels an earlier successful SysEvent_DeferEvent for event (one event bit only), letting it
/// proceed now. Fails if the event was not deferred.
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest lacks the capability needed to resume this event.
/// Other errno values are possible and not guaranteed to stay the same.
int SysEvent_ResumeEvent(SysEvent_Events event);

#ifdef __cplusplus
}
#endif
