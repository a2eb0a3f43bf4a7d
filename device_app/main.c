// SPDX-License-Identifier: MIT
// spheresim's reference app, written the way an Azure Sphere sample is written so that it runs
// unchanged on a real MT3620 board and in spheresim's simulated device. It exercises the basics
// every device app relies on:
// - button A (SAMPLE_BUTTON_1) toggles LED1 red (SAMPLE_LED);
// - LED2 green (SAMPLE_RGBLED_GREEN) is lit while the network is ready;
// - a boot counter in mutable storage counts how often the app has started;
// - SIGTERM ends the app cleanly, as the OS expects before updates, reboots and power-down.
//
// Applibs libraries used: gpio, log, eventloop, networking, storage.

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

// applibs_versions.h must come before any applibs header.
#include "applibs_versions.h"

#include <applibs/eventloop.h>
#include <applibs/log.h>
#include <applibs/networking.h>

#include "boot_counter.h"
#include "eventloop_timer_utilities.h"
#include "exitcodes.h"
#include "user_interface.h"

// Written by the SIGTERM handler and by failure callbacks; read by the main loop.
static volatile sig_atomic_t exitCode = ExitCode_Success;

static EventLoop *eventLoop = NULL;

// Network readiness changes rarely and checking it is cheap, so once a second is plenty.
static const struct timespec networkStatusPeriod = {.tv_sec = 1, .tv_nsec = 0};
static EventLoopTimer *networkStatusTimer = NULL;

// Unknown until the first check, so that the first state seen is always logged.
typedef enum { NetworkState_Unknown, NetworkState_NotReady, NetworkState_Ready } NetworkState;
static NetworkState networkState = NetworkState_Unknown;

static void TerminationHandler(int signalNumber);
static void ExitCodeCallbackHandler(ExitCode ec);
static void ButtonPressedHandler(void);
static void CheckNetworkStatus(void);
static void NetworkStatusTimerEventHandler(EventLoopTimer *timer);
static ExitCode InitPeripheralsAndHandlers(void);
static void ClosePeripheralsAndHandlers(void);

static void TerminationHandler(int signalNumber) {
    (void)signalNumber;
    // Only async-signal-safe work here: Log_Debug is not, so the main loop does the talking.
    exitCode = ExitCode_TermHandler_SigTerm;
}

static void ExitCodeCallbackHandler(ExitCode ec) {
    exitCode = ec;
}

static void ButtonPressedHandler(void) {
    UserInterface_SetLed(!UserInterface_IsLedOn());
}

static void CheckNetworkStatus(void) {
    bool isReady = false;
    if (Networking_IsNetworkingReady(&isReady) != 0) {
        // Not fatal: the answer is only shown on an LED, and the next check may succeed.
        Log_Debug("ERROR: Networking_IsNetworkingReady: %s (%d).\n", strerror(errno), errno);
        isReady = false;
    }

    NetworkState newState = isReady ? NetworkState_Ready : NetworkState_NotReady;
    if (newState != networkState) {
        networkState = newState;
        Log_Debug("INFO: network %s\n", isReady ? "ready" : "not ready");
    }
    UserInterface_SetNetworkStatus(isReady);
}

static void NetworkStatusTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_NetworkStatusTimer_Consume;
        return;
    }
    CheckNetworkStatus();
}

static ExitCode InitPeripheralsAndHandlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = TerminationHandler;
    sigaction(SIGTERM, &action, NULL);

    uint32_t bootCount = 0;
    ExitCode localExitCode = BootCounter_Increment(&bootCount);
    if (localExitCode != ExitCode_Success) {
        return localExitCode;
    }
    Log_Debug("INFO: boot count %u\n", (unsigned int)bootCount);

    eventLoop = EventLoop_Create();
    if (eventLoop == NULL) {
        Log_Debug("ERROR: Could not create the event loop: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_EventLoop;
    }

    localExitCode =
        UserInterface_Initialise(eventLoop, ButtonPressedHandler, ExitCodeCallbackHandler);
    if (localExitCode != ExitCode_Success) {
        return localExitCode;
    }

    networkStatusTimer = CreateEventLoopPeriodicTimer(eventLoop, NetworkStatusTimerEventHandler,
                                                      &networkStatusPeriod);
    if (networkStatusTimer == NULL) {
        Log_Debug("ERROR: Could not create the network status timer: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Init_NetworkStatusTimer;
    }

    // Show the network state from the start instead of a second later.
    CheckNetworkStatus();

    return ExitCode_Success;
}

static void ClosePeripheralsAndHandlers(void) {
    DisposeEventLoopTimer(networkStatusTimer);
    networkStatusTimer = NULL;
    UserInterface_Cleanup();
    EventLoop_Close(eventLoop);
    eventLoop = NULL;
}

int main(int argc, char *argv[]) {
    (void)argc;
    (void)argv;
    Log_Debug("INFO: spheresim reference app starting.\n");

    exitCode = InitPeripheralsAndHandlers();

    // One event per iteration, so a failure or SIGTERM recorded by a handler ends the loop
    // before anything else runs.
    while (exitCode == ExitCode_Success) {
        EventLoop_Run_Result result = EventLoop_Run(eventLoop, -1, true);
        // EINTR only means a signal arrived (SIGTERM is handled through exitCode).
        if (result == EventLoop_Run_Failed && errno != EINTR) {
            exitCode = ExitCode_Main_EventLoopFail;
        }
    }

    ClosePeripheralsAndHandlers();
    Log_Debug("INFO: Application exiting (exit code %d).\n", (int)exitCode);
    return exitCode;
}
