// SPDX-License-Identifier: MIT
// SIGALRM keeps its default action (terminate): installing a handler would let a hung app
// survive its own watchdog. The timer is one-shot and every kick moves it forward, so it fires
// only after a whole timeout without a kick.

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <applibs/log.h>

#include "watchdog.h"

static timer_t watchdogTimer;
static bool watchdogCreated = false;
static struct itimerspec watchdogInterval;

ExitCode Watchdog_Start(unsigned int timeoutSeconds) {
    struct sigevent alarmEvent;
    memset(&alarmEvent, 0, sizeof(alarmEvent));
    alarmEvent.sigev_notify = SIGEV_SIGNAL;
    alarmEvent.sigev_signo = SIGALRM;
    alarmEvent.sigev_value.sival_ptr = &watchdogTimer;
    if (timer_create(CLOCK_MONOTONIC, &alarmEvent, &watchdogTimer) != 0) {
        Log_Debug("ERROR: watchdog: timer_create: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Watchdog_Create;
    }
    watchdogCreated = true;
    memset(&watchdogInterval, 0, sizeof(watchdogInterval));
    watchdogInterval.it_value.tv_sec = (time_t)timeoutSeconds;
    if (timer_settime(watchdogTimer, 0, &watchdogInterval, NULL) != 0) {
        Log_Debug("ERROR: watchdog: timer_settime: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Watchdog_Arm;
    }
    return ExitCode_Success;
}

void Watchdog_Kick(void) {
    if (watchdogCreated) {
        // A failure here leaves the previous expiry in place, which is the safe direction.
        (void)timer_settime(watchdogTimer, 0, &watchdogInterval, NULL);
    }
}

void Watchdog_Stop(void) {
    if (watchdogCreated) {
        timer_delete(watchdogTimer);
        watchdogCreated = false;
    }
}
