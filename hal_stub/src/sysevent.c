// SPDX-License-Identifier: MIT
// applibs system events. Registering asks the OS for an event channel (it checks
// SystemEventNotifications and allows one registration per app); the channel is registered with
// the app's event loop, so callbacks run on the app's thread from EventLoop_Run, as on the device.
#include <applibs/sysevent.h>

#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bus_client.h"

struct SysEvent_Info {
    SysEvent_Events event;
    SysEvent_Info_UpdateData update;
};

struct registration {
    EventLoop *loop;
    EventRegistration *io;
    int fd;
    SysEvent_EventsCallback *callback;
    void *context;
};

static struct registration active = {.fd = -1};

static void on_event_channel(EventLoop *el, int fd, EventLoop_IoEvents events, void *context) {
    struct registration *reg = context;
    struct devbus_sysevent_msg msg;
    ssize_t n = recv(fd, &msg, sizeof(msg), MSG_DONTWAIT);
    if (n != (ssize_t)sizeof(msg)) {
        if (n == 0 || (events & EventLoop_Error) != 0) {
            // The OS closed the channel (it is going down); stop polling a dead descriptor.
            EventLoop_UnregisterIo(el, reg->io);
            reg->io = NULL;
        }
        return;
    }
    struct SysEvent_Info info = {
        .event = msg.event,
        .update = {.max_deferral_time_in_minutes = msg.max_deferral_minutes,
                   .update_type = (SysEvent_UpdateType)msg.update_type},
    };
    reg->callback((SysEvent_Events)msg.event, (SysEvent_Status)msg.status, &info, reg->context);
}

EventRegistration *SysEvent_RegisterForEventNotifications(EventLoop *el,
                                                          SysEvent_Events eventBitmask,
                                                          SysEvent_EventsCallback *callback,
                                                          void *context) {
    if (el == NULL || callback == NULL) {
        errno = EFAULT;
        return NULL;
    }
    if (eventBitmask == SysEvent_Events_None || (eventBitmask & ~SysEvent_Events_Mask) != 0) {
        errno = EINVAL;
        return NULL;
    }
    const int32_t args[4] = {(int32_t)eventBitmask, 0, 0, 0};
    struct devbus_msg reply;
    int fd = -1;
    if (halstub_bus_call(DEVBUS_OP_SYSEVENT_REGISTER, args, NULL, 0, &reply, &fd) < 0) {
        return NULL;
    }
    if (fd < 0) {
        errno = EIO;
        return NULL;
    }
    active = (struct registration){.loop = el, .fd = fd, .callback = callback, .context = context};
    active.io = EventLoop_RegisterIo(el, fd, EventLoop_Input, on_event_channel, &active);
    if (active.io == NULL) {
        int saved = errno;
        close(fd);
        active.fd = -1;
        (void)halstub_bus_call(DEVBUS_OP_SYSEVENT_UNREGISTER, NULL, NULL, 0, &reply, NULL);
        errno = saved;
        return NULL;
    }
    return active.io;
}

int SysEvent_UnregisterForEventNotifications(EventRegistration *reg) {
    if (reg == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (active.fd < 0 || reg != active.io) {
        errno = EINVAL;
        return -1;
    }
    EventLoop_UnregisterIo(active.loop, active.io);
    close(active.fd);
    active = (struct registration){.fd = -1};
    struct devbus_msg reply;
    return halstub_bus_call(DEVBUS_OP_SYSEVENT_UNREGISTER, NULL, NULL, 0, &reply, NULL) < 0 ? -1
                                                                                            : 0;
}

int SysEvent_Info_GetUpdateData(const SysEvent_Info *info, SysEvent_Info_UpdateData *update_info) {
    if (info == NULL || update_info == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (info->event != SysEvent_Events_UpdateReadyForInstall) {
        errno = EINVAL;
        return -1;
    }
    *update_info = info->update;
    return 0;
}

static int event_request(uint16_t op, SysEvent_Events event, uint32_t minutes) {
    const int32_t args[4] = {(int32_t)event, (int32_t)minutes, 0, 0};
    struct devbus_msg reply;
    return halstub_bus_call(op, args, NULL, 0, &reply, NULL) < 0 ? -1 : 0;
}

int SysEvent_DeferEvent(SysEvent_Events event, uint32_t requested_defer_time_in_minutes) {
    if (requested_defer_time_in_minutes > INT32_MAX) {
        requested_defer_time_in_minutes = INT32_MAX;
    }
    return event_request(DEVBUS_OP_SYSEVENT_DEFER, event, requested_defer_time_in_minutes);
}

int SysEvent_ResumeEvent(SysEvent_Events event) {
    return event_request(DEVBUS_OP_SYSEVENT_RESUME, event, 0);
}
