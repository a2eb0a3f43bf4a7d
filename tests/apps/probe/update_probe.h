// SPDX-License-Identifier: MIT
// The probe's update mode (--mode update): an app that registers for update events and logs
// every one, defers Pending updates as told, resumes when told, and on Final stops its work and
// waits for the SIGTERM that precedes the install, as the DeferredUpdate sample does.
#pragma once

#include <stdbool.h>

#include <applibs/eventloop.h>

typedef struct {
    unsigned int deferMinutes;  // --defer: minutes to ask for on each Pending
    int defers;                 // --defers: how many Pendings to defer (default 0)
    bool resume;                // --resume 1: resume as soon as a deferral is granted
    const char *label;          // --label: logged at start, to tell versions apart
} ProbeUpdateOptions;

// Logs the label and OS version, tries the calls that must fail with no update pending, then
// registers for all update events (a refusal is logged, not an error). Returns false only if a
// second registration was accepted, which the platform forbids.
bool ProbeUpdate_Start(EventLoop *eventLoop, const ProbeUpdateOptions *options);
void ProbeUpdate_Stop(void);
