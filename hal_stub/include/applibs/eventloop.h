// SPDX-License-Identifier: MIT
// applibs/eventloop.h for spheresim's Linux backend: the single-threaded event loop that
// Azure Sphere apps use to wait on file descriptors (timers, sockets, peripherals). An
// EventLoop belongs to one thread; callbacks run on the thread that calls EventLoop_Run.
// EventLoop_Stop is the only function that may be called from another thread.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque event loop object.
typedef struct EventLoop EventLoop;

/// Opaque handle for one callback registration; used later to modify or remove it.
typedef struct EventRegistration EventRegistration;

/// Creates an event loop. Returns NULL with errno set if resources are exhausted. Release it
/// with EventLoop_Close.
EventLoop *EventLoop_Create(void);

/// Closes the event loop and frees it together with any registrations still attached.
/// The pointer must not be used afterwards. NULL is ignored.
void EventLoop_Close(EventLoop *el);

/// Outcome of EventLoop_Run.
typedef int EventLoop_Run_Result;
enum {
    /// The run failed; errno says why.
    EventLoop_Run_Failed = -1,
    /// The run ended without dispatching any event.
    EventLoop_Run_FinishedEmpty = 0,
    /// The run ended after dispatching at least one event.
    EventLoop_Run_Finished = 1,
};

/// Dispatches ready events on the calling thread.
///   duration_in_milliseconds == 0: dispatch at most one event that is already ready, then
///       return without waiting; process_one_event is ignored.
///   duration_in_milliseconds > 0: run for that long, or until one event has been dispatched
///       if process_one_event is true, or until EventLoop_Stop.
///   duration_in_milliseconds < 0: run until EventLoop_Stop, or until one event has been
///       dispatched if process_one_event is true.
/// Returns EventLoop_Run_Finished or EventLoop_Run_FinishedEmpty; on failure
/// EventLoop_Run_Failed with errno set:
///   EFAULT  el is NULL.
///   EBUSY   called from inside one of this loop's callbacks (recursion is not supported).
///   EINTR   a signal handler interrupted the wait.
/// Other errno values are possible and not guaranteed to stay the same.
EventLoop_Run_Result EventLoop_Run(EventLoop *el, int duration_in_milliseconds,
                                   bool process_one_event);

/// Returns a descriptor that polls readable whenever the loop has work to dispatch, so the
/// loop can be nested inside another wait mechanism. On failure returns -1 with errno set:
///   EFAULT  el is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int EventLoop_GetWaitDescriptor(EventLoop *el);

/// Asks a running EventLoop_Run to return. From one of the loop's callbacks, the current run
/// dispatches nothing more and returns once the callback returns. From another thread, the
/// run returns shortly afterwards (a few more events may still be dispatched first).
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  el is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
int EventLoop_Stop(EventLoop *el);

/// Bitmask of I/O conditions a registration can watch for or be told about.
typedef uint32_t EventLoop_IoEvents;
enum {
    /// Watch nothing but errors.
    EventLoop_None = 0x00,
    /// The descriptor can be read.
    EventLoop_Input = 0x01,
    /// The descriptor can be written.
    EventLoop_Output = 0x04,
    /// An error or hang-up occurred. Always reported, whatever the registration asked for.
    EventLoop_Error = 0x08,
};

/// Callback run by EventLoop_Run when a registered descriptor becomes ready. events holds the
/// conditions that fired; context is the pointer given at registration.
typedef void EventLoopIoCallback(EventLoop *el, int fd, EventLoop_IoEvents events, void *context);

/// Starts watching fd for the conditions in eventBitmask and calls callback when they occur.
/// The descriptor must stay open while it is registered. A descriptor can be registered only
/// once per loop. Returns the registration, which lives until EventLoop_UnregisterIo or
/// EventLoop_Close; on failure returns NULL with errno set:
///   EFAULT  el or callback is NULL.
///   EINVAL  eventBitmask contains bits other than Input, Output and Error.
///   EBADF   fd is not an open descriptor.
///   EEXIST  fd is already registered with this loop.
/// Other errno values are possible and not guaranteed to stay the same.
EventRegistration *EventLoop_RegisterIo(EventLoop *el, int fd, EventLoop_IoEvents eventBitmask,
                                        EventLoopIoCallback *callback, void *context);

/// Replaces the set of conditions watched by a registration made on this loop.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  el or reg is NULL.
///   EINVAL  eventBitmask contains bits other than Input, Output and Error.
/// Other errno values are possible and not guaranteed to stay the same.
int EventLoop_ModifyIoEvents(EventLoop *el, EventRegistration *reg,
                             EventLoop_IoEvents eventBitmask);

/// Removes a registration made on this loop; reg is invalid afterwards and must not be
/// removed twice. A NULL reg does nothing and returns 0. May be called from a callback,
/// including for the registration whose callback is running.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  el is NULL while reg is not.
/// Other errno values are possible and not guaranteed to stay the same.
int EventLoop_UnregisterIo(EventLoop *el, EventRegistration *reg);

#ifdef __cplusplus
}
#endif
