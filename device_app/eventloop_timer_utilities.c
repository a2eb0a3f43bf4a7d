// SPDX-License-Identifier: MIT
// EventLoopTimer on top of a Linux timerfd registered with an applibs EventLoop. Only applibs
// and POSIX calls are used, so the same file builds with the Azure Sphere SDK and with
// spheresim's hal_stub.

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <sys/timerfd.h>

#include <applibs/eventloop.h>

#include "eventloop_timer_utilities.h"

struct EventLoopTimer {
    EventLoop *eventLoop;
    EventLoopTimerHandler handler;
    int fd;
    EventRegistration *registration;
};

static bool IsValidTimespec(const struct timespec *ts) {
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

static bool IsZeroTimespec(const struct timespec *ts) {
    return ts->tv_sec == 0 && ts->tv_nsec == 0;
}

static int ArmTimer(EventLoopTimer *timer, const struct timespec *firstExpiry,
                    const struct timespec *interval) {
    const struct itimerspec setting = {.it_value = *firstExpiry, .it_interval = *interval};
    return timerfd_settime(timer->fd, 0, &setting, NULL);
}

static void TimerFdReadyCallback(EventLoop *eventLoop, int fd, EventLoop_IoEvents events,
                                 void *context) {
    (void)eventLoop;
    (void)fd;
    (void)events;
    EventLoopTimer *timer = context;
    timer->handler(timer);
}

EventLoopTimer *CreateEventLoopDisarmedTimer(EventLoop *eventLoop, EventLoopTimerHandler handler) {
    if (eventLoop == NULL || handler == NULL) {
        errno = EFAULT;
        return NULL;
    }

    int savedErrno;
    EventLoopTimer *timer = malloc(sizeof(*timer));
    if (timer == NULL) {
        return NULL;
    }
    timer->eventLoop = eventLoop;
    timer->handler = handler;
    timer->registration = NULL;

    // Non-blocking, so that consuming an expiry which a re-arm has already cleared reports
    // EAGAIN instead of stalling the whole event loop.
    timer->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (timer->fd == -1) {
        goto fail;
    }

    timer->registration =
        EventLoop_RegisterIo(eventLoop, timer->fd, EventLoop_Input, TimerFdReadyCallback, timer);
    if (timer->registration == NULL) {
        goto fail;
    }
    return timer;

fail:
    // Cleanup must not hide the errno of the call that failed.
    savedErrno = errno;
    if (timer->fd != -1) {
        close(timer->fd);
    }
    free(timer);
    errno = savedErrno;
    return NULL;
}

EventLoopTimer *CreateEventLoopPeriodicTimer(EventLoop *eventLoop, EventLoopTimerHandler handler,
                                             const struct timespec *period) {
    if (period == NULL) {
        errno = EFAULT;
        return NULL;
    }
    if (!IsValidTimespec(period) || IsZeroTimespec(period)) {
        errno = EINVAL;
        return NULL;
    }

    EventLoopTimer *timer = CreateEventLoopDisarmedTimer(eventLoop, handler);
    if (timer == NULL) {
        return NULL;
    }
    if (SetEventLoopTimerPeriod(timer, period) == -1) {
        int savedErrno = errno;
        DisposeEventLoopTimer(timer);
        errno = savedErrno;
        return NULL;
    }
    return timer;
}

void DisposeEventLoopTimer(EventLoopTimer *timer) {
    if (timer == NULL) {
        return;
    }
    // Unregister before closing: the loop must never watch a descriptor number that may be
    // reused by the next open.
    EventLoop_UnregisterIo(timer->eventLoop, timer->registration);
    close(timer->fd);
    free(timer);
}

int ConsumeEventLoopTimerEvent(EventLoopTimer *timer) {
    if (timer == NULL) {
        errno = EFAULT;
        return -1;
    }
    uint64_t expirations;
    ssize_t n = read(timer->fd, &expirations, sizeof(expirations));
    if (n == -1) {
        return -1;
    }
    if (n != (ssize_t)sizeof(expirations)) {
        errno = EIO;
        return -1;
    }
    return 0;
}

int SetEventLoopTimerPeriod(EventLoopTimer *timer, const struct timespec *period) {
    if (timer == NULL || period == NULL) {
        errno = EFAULT;
        return -1;
    }
    // timerfd treats a zero first expiry as "disarm", which would silently stop a periodic
    // timer; refuse it instead.
    if (!IsValidTimespec(period) || IsZeroTimespec(period)) {
        errno = EINVAL;
        return -1;
    }
    return ArmTimer(timer, period, period);
}

int SetEventLoopTimerOneShot(EventLoopTimer *timer, const struct timespec *delay) {
    if (timer == NULL || delay == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (!IsValidTimespec(delay)) {
        errno = EINVAL;
        return -1;
    }
    // A zero it_value would disarm the timerfd; callers asking for "no delay" mean "as soon as
    // possible", so use the smallest delay that still arms it.
    static const struct timespec soonest = {.tv_sec = 0, .tv_nsec = 1};
    static const struct timespec noRepeat = {.tv_sec = 0, .tv_nsec = 0};
    return ArmTimer(timer, IsZeroTimespec(delay) ? &soonest : delay, &noRepeat);
}

int DisarmEventLoopTimer(EventLoopTimer *timer) {
    if (timer == NULL) {
        errno = EFAULT;
        return -1;
    }
    static const struct timespec zero = {.tv_sec = 0, .tv_nsec = 0};
    return ArmTimer(timer, &zero, &zero);
}
