// SPDX-License-Identifier: MIT
// Timers for an applibs event loop. Azure Sphere apps have no timer API of their own: each
// sample carries a small helper that wraps a Linux timerfd and registers it with the EventLoop.
// This is our own implementation of that helper's interface, so code written against the
// samples compiles unchanged, with the SDK or with spheresim's hal_stub.
#pragma once

#include <time.h>

#include <applibs/eventloop.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Opaque timer bound to one event loop.
typedef struct EventLoopTimer EventLoopTimer;

/// Called from EventLoop_Run each time the timer expires. The handler must call
/// ConsumeEventLoopTimerEvent, otherwise the loop keeps reporting the same expiry.
typedef void (*EventLoopTimerHandler)(EventLoopTimer *timer);

/// Creates a timer that first fires after *period and then every *period.
/// Returns the timer; on failure NULL with errno set:
///   EFAULT  eventLoop, handler or period is NULL.
///   EINVAL  period is zero or not a valid timespec.
/// Other errno values come from timerfd_create, timerfd_settime or EventLoop_RegisterIo.
EventLoopTimer *CreateEventLoopPeriodicTimer(EventLoop *eventLoop, EventLoopTimerHandler handler,
                                             const struct timespec *period);

/// Creates a timer that does not fire until SetEventLoopTimerPeriod or SetEventLoopTimerOneShot
/// arms it.
/// Returns the timer; on failure NULL with errno set:
///   EFAULT  eventLoop or handler is NULL.
/// Other errno values come from timerfd_create or EventLoop_RegisterIo.
EventLoopTimer *CreateEventLoopDisarmedTimer(EventLoop *eventLoop, EventLoopTimerHandler handler);

/// Stops the timer, removes it from its event loop and frees it. NULL is ignored.
void DisposeEventLoopTimer(EventLoopTimer *timer);

/// Acknowledges an expiry; call it first in every timer handler.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  timer is NULL.
///   EAGAIN  the timer had not expired (for example it was re-armed before this call).
/// Other errno values come from read(2).
int ConsumeEventLoopTimerEvent(EventLoopTimer *timer);

/// Re-arms the timer to fire after *period and then every *period, replacing any earlier
/// setting.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  timer or period is NULL.
///   EINVAL  period is zero or not a valid timespec.
/// Other errno values come from timerfd_settime.
int SetEventLoopTimerPeriod(EventLoopTimer *timer, const struct timespec *period);

/// Re-arms the timer to fire once, after *delay, replacing any earlier setting. A zero delay
/// fires on the next pass of the event loop.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  timer or delay is NULL.
///   EINVAL  delay is not a valid timespec.
/// Other errno values come from timerfd_settime.
int SetEventLoopTimerOneShot(EventLoopTimer *timer, const struct timespec *delay);

/// Stops the timer without freeing it; it can be armed again later.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  timer is NULL.
/// Other errno values come from timerfd_settime.
int DisarmEventLoopTimer(EventLoopTimer *timer);

#ifdef __cplusplus
}
#endif
