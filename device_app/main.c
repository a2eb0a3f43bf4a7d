// SPDX-License-Identifier: MIT
// spheresim's reference app, written the way an Azure Sphere sample is written so that it runs
// unchanged on a real MT3620 board and in spheresim's simulated device. It shows how an app
// should talk to IoT Hub and survive what real deployments throw at it:
// - telemetry (LSM6DS3 temperature over I2C, potentiometer over the ADC) every
//   telemetryPeriodSeconds, which the device twin sets; button A toggles LED1 and sends an
//   event message; both go through a power-safe queue in mutable storage and leave it only
//   when IoT Hub acknowledges them;
// - the device twin: full GET on every connection, newer desired properties applied and
//   acknowledged, device state reported (cloud_services.c);
// - direct methods setLed, reboot, maintenance and getDiagnostics, and cloud-to-device
//   messages, which are logged and blink LED2 blue;
// - over-the-air updates: an update that becomes ready during a maintenance window is deferred
//   until the window ends; the update's state and outcome are reported in the twin
//   (software_update.c);
// - a connection that waits for the network, retries with backoff and reconnects after any
//   failure (cloud_connection.c), to the hub given by --Hostname or assigned by DPS for
//   --ScopeID;
// - LED2 green is lit while the network is ready; a boot counter and the reason the previous
//   run ended are kept in mutable storage; a watchdog restarts a hung app; SIGTERM ends the app
//   cleanly.
//
// Applibs libraries used: gpio, i2c, adc, log, eventloop, networking, storage, application,
// applications, powermanagement, sysevent, tlsutils (deviceauth). Plus libmosquitto (MQTT over TLS)
// and cJSON.

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

// applibs_versions.h must come before any applibs header.
#include "applibs_versions.h"

#include <applibs/applications.h>
#include <applibs/eventloop.h>
#include <applibs/log.h>
#include <applibs/networking.h>
#include <applibs/powermanagement.h>

#include "boot_counter.h"
#include "boot_reason.h"
#include "cloud_connection.h"
#include "cloud_services.h"
#include "eventloop_timer_utilities.h"
#include "exitcodes.h"
#include "options.h"
#include "sensors.h"
#include "software_update.h"
#include "telemetry.h"
#include "user_interface.h"
#include "watchdog.h"

static const char firmwareVersion[] = "1.1.0";
#define DEFAULT_TELEMETRY_PERIOD_SECONDS 10u
// Long enough for a slow name lookup (the one blocking call), short enough to matter.
#define WATCHDOG_TIMEOUT_SECONDS 60u
// The OS's 10 s warning after Final, its 2 s SIGTERM grace, and room to spare.
#define FINAL_UPDATE_WAIT_SECONDS 20

// Written by the SIGTERM handler and by failure callbacks; read by the main loop.
static volatile sig_atomic_t exitCode = ExitCode_Success;

static EventLoop *eventLoop = NULL;
static Options options;
static char lastBootReason[BOOT_REASON_DESCRIPTION_SIZE];
static struct timespec startTime;
static bool rebootRequested = false;

// Network readiness changes rarely and checking it is cheap, so once a second is plenty.
static const struct timespec networkStatusPeriod = {.tv_sec = 1, .tv_nsec = 0};
static const struct timespec memoryLogPeriod = {.tv_sec = 60, .tv_nsec = 0};
static EventLoopTimer *networkStatusTimer = NULL;
static EventLoopTimer *telemetryTimer = NULL;
static EventLoopTimer *rebootTimer = NULL;
static EventLoopTimer *memoryTimer = NULL;

static void TerminationHandler(int signalNumber);
static void ExitCodeCallbackHandler(ExitCode ec);
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

// ---- device to cloud ----

static void ButtonPressedHandler(void) {
    bool ledOn = !UserInterface_IsLedOn();
    UserInterface_SetLed(ledOn);
    char event[96];
    int length =
        snprintf(event, sizeof(event), "{\"event\":\"buttonPressed\",\"button\":\"A\",\"led1\":%s}",
                 ledOn ? "true" : "false");
    Telemetry_Enqueue(Telemetry_Kind_Event, event, (size_t)length);
}

static void TelemetryTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_TelemetryTimer_Consume;
        return;
    }
    double celsius = 0;
    double volts = 0;
    bool haveTemperature = Sensors_ReadTemperature(&celsius);
    bool havePotentiometer = Sensors_ReadPotentiometer(&volts);
    if (!haveTemperature && !havePotentiometer) {
        return;
    }
    char reading[96];
    int length = snprintf(reading, sizeof(reading), "{");
    if (haveTemperature) {
        length += snprintf(reading + length, sizeof(reading) - (size_t)length,
                           "\"temperature\":%.2f", celsius);
    }
    if (havePotentiometer) {
        length += snprintf(reading + length, sizeof(reading) - (size_t)length,
                           "%s\"potentiometer\":%.3f", haveTemperature ? "," : "", volts);
    }
    length += snprintf(reading + length, sizeof(reading) - (size_t)length, "}");
    Telemetry_Enqueue(Telemetry_Kind_Reading, reading, (size_t)length);
}

// ---- cloud to device ----

static void TelemetryPeriodChangedHandler(uint32_t seconds) {
    const struct timespec period = {.tv_sec = (time_t)seconds, .tv_nsec = 0};
    if (SetEventLoopTimerPeriod(telemetryTimer, &period) != 0) {
        Log_Debug("ERROR: Could not change the telemetry period: %s (%d).\n", strerror(errno),
                  errno);
        exitCode = ExitCode_TelemetryTimer_SetPeriod;
    }
}

static void SetLedHandler(MethodHandlers_Led led, bool on) {
    if (led == MethodHandlers_Led_Led1) {
        UserInterface_SetLed(on);
    } else {
        UserInterface_SetStatusLed(on);
    }
}

static void RebootRequestedHandler(uint32_t delaySeconds) {
    // At least a second, so the method's reply leaves before the OS stops the app.
    const struct timespec delay = {.tv_sec = delaySeconds > 0 ? (time_t)delaySeconds : 1,
                                   .tv_nsec = 0};
    Log_Debug("INFO: rebooting in %u s, as requested.\n", (unsigned int)delay.tv_sec);
    if (SetEventLoopTimerOneShot(rebootTimer, &delay) != 0) {
        Log_Debug("ERROR: Could not arm the reboot timer: %s (%d).\n", strerror(errno), errno);
        exitCode = ExitCode_RebootTimer_Arm;
    }
}

static void RebootTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_RebootTimer_Consume;
        return;
    }
    BootReason_Record(BootReason_RebootRequested, 0);
    rebootRequested = true;
    // The OS answers with SIGTERM, possibly before this call returns.
    if (PowerManagement_ForceSystemReboot() != 0) {
        Log_Debug("ERROR: PowerManagement_ForceSystemReboot: %s (%d).\n", strerror(errno), errno);
        exitCode = ExitCode_Reboot_ForceSystemReboot;
    }
}

static void MaintenanceRequestedHandler(uint32_t seconds) {
    SoftwareUpdate_SetMaintenance(seconds);
}

static void UpdateStateChangedHandler(void) {
    CloudServices_ReportDeviceState();
}

static void CloudToDeviceHandler(void) {
    UserInterface_BlinkMessageLed();
}

static void FillDiagnosticsHandler(MethodHandlers_Diagnostics *diagnostics) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    diagnostics->uptimeSeconds = (uint64_t)(now.tv_sec - startTime.tv_sec);
    diagnostics->totalMemoryKB = (uint32_t)Applications_GetTotalMemoryUsageInKB();
    diagnostics->userMemoryKB = (uint32_t)Applications_GetUserModeMemoryUsageInKB();
    diagnostics->peakUserMemoryKB = (uint32_t)Applications_GetPeakUserModeMemoryUsageInKB();
}

// ---- connection events ----

static void CloudConnectedHandler(void) {
    CloudServices_OnConnected();
    Telemetry_OnConnected();
}

static void CloudDisconnectedHandler(void) {
    CloudServices_OnDisconnected();
    Telemetry_OnDisconnected();
}

// ---- housekeeping ----

// Unknown until the first check, so that the first state seen is always logged.
typedef enum { NetworkState_Unknown, NetworkState_NotReady, NetworkState_Ready } NetworkState;
static NetworkState networkState = NetworkState_Unknown;

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

// The MT3620 gives a high-level app 256 KiB; the figures go to the log once a minute so a
// long run shows the trend, and getDiagnostics reports them on demand.
static void MemoryTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        exitCode = ExitCode_MemoryTimer_Consume;
        return;
    }
    Log_Debug("INFO: memory: total %zu KiB, user %zu KiB, peak user %zu KiB.\n",
              Applications_GetTotalMemoryUsageInKB(), Applications_GetUserModeMemoryUsageInKB(),
              Applications_GetPeakUserModeMemoryUsageInKB());
}

static ExitCode InitTimers(void) {
    networkStatusTimer = CreateEventLoopPeriodicTimer(eventLoop, NetworkStatusTimerEventHandler,
                                                      &networkStatusPeriod);
    if (networkStatusTimer == NULL) {
        return ExitCode_Init_NetworkStatusTimer;
    }
    const struct timespec telemetryPeriod = {
        .tv_sec = (time_t)CloudServices_GetTelemetryPeriodSeconds(), .tv_nsec = 0};
    telemetryTimer =
        CreateEventLoopPeriodicTimer(eventLoop, TelemetryTimerEventHandler, &telemetryPeriod);
    if (telemetryTimer == NULL) {
        return ExitCode_Init_TelemetryTimer;
    }
    rebootTimer = CreateEventLoopDisarmedTimer(eventLoop, RebootTimerEventHandler);
    if (rebootTimer == NULL) {
        return ExitCode_Init_RebootTimer;
    }
    memoryTimer =
        CreateEventLoopPeriodicTimer(eventLoop, MemoryTimerEventHandler, &memoryLogPeriod);
    if (memoryTimer == NULL) {
        return ExitCode_Init_MemoryTimer;
    }
    return ExitCode_Success;
}

static ExitCode InitPeripheralsAndHandlers(void) {
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = TerminationHandler;
    sigaction(SIGTERM, &action, NULL);
    clock_gettime(CLOCK_MONOTONIC, &startTime);

    uint32_t bootCount = 0;
    ExitCode localExitCode = BootCounter_Increment(&bootCount);
    if (localExitCode != ExitCode_Success) {
        return localExitCode;
    }
    localExitCode = BootReason_Initialise(lastBootReason, sizeof(lastBootReason));
    if (localExitCode != ExitCode_Success) {
        return localExitCode;
    }
    Log_Debug("INFO: boot count %u, previous run: %s\n", (unsigned int)bootCount, lastBootReason);

    eventLoop = EventLoop_Create();
    if (eventLoop == NULL) {
        Log_Debug("ERROR: Could not create the event loop: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_EventLoop;
    }

    localExitCode =
        UserInterface_Initialise(eventLoop, ButtonPressedHandler, ExitCodeCallbackHandler);
    if (localExitCode == ExitCode_Success) {
        localExitCode = Sensors_Initialise();
    }
    if (localExitCode == ExitCode_Success) {
        localExitCode = Telemetry_Initialise(ExitCodeCallbackHandler);
    }
    if (localExitCode == ExitCode_Success) {
        static const CloudServices_Callbacks servicesCallbacks = {
            .telemetryPeriodChanged = TelemetryPeriodChangedHandler,
            .setLed = SetLedHandler,
            .rebootRequested = RebootRequestedHandler,
            .cloudToDeviceReceived = CloudToDeviceHandler,
            .fillDiagnostics = FillDiagnosticsHandler,
            .maintenanceRequested = MaintenanceRequestedHandler,
            .pendingUpdateJson = SoftwareUpdate_GetPendingUpdateJson,
            .lastUpdateResultJson = SoftwareUpdate_GetLastUpdateResultJson};
        const CloudServices_DeviceInfo info = {
            .firmwareVersion = firmwareVersion,
            .lastBootReason = lastBootReason,
            .defaultTelemetryPeriodSeconds = DEFAULT_TELEMETRY_PERIOD_SECONDS};
        localExitCode = CloudServices_Initialise(eventLoop, &info, &servicesCallbacks);
    }
    if (localExitCode == ExitCode_Success) {
        static const CloudConnection_Callbacks connectionCallbacks = {
            .connected = CloudConnectedHandler,
            .disconnected = CloudDisconnectedHandler,
            .messageReceived = CloudServices_OnMessage,
            .publishAcknowledged = Telemetry_OnPublishAcknowledged,
            .failed = ExitCodeCallbackHandler};
        localExitCode = CloudConnection_Initialise(eventLoop, &options, &connectionCallbacks);
    }
    if (localExitCode == ExitCode_Success) {
        localExitCode = SoftwareUpdate_Initialise(
            eventLoop, firmwareVersion, UpdateStateChangedHandler, ExitCodeCallbackHandler);
    }
    if (localExitCode == ExitCode_Success) {
        localExitCode = InitTimers();
        if (localExitCode != ExitCode_Success) {
            Log_Debug("ERROR: Could not create a timer: %s (%d).\n", strerror(errno), errno);
        }
    }
    if (localExitCode == ExitCode_Success) {
        localExitCode = Watchdog_Start(WATCHDOG_TIMEOUT_SECONDS);
    }
    if (localExitCode == ExitCode_Success) {
        // Show the network state from the start instead of a second later.
        CheckNetworkStatus();
    }
    return localExitCode;
}

static void ClosePeripheralsAndHandlers(void) {
    Watchdog_Stop();
    DisposeEventLoopTimer(memoryTimer);
    DisposeEventLoopTimer(rebootTimer);
    DisposeEventLoopTimer(telemetryTimer);
    DisposeEventLoopTimer(networkStatusTimer);
    memoryTimer = rebootTimer = telemetryTimer = networkStatusTimer = NULL;
    SoftwareUpdate_Cleanup();
    CloudConnection_Cleanup();
    CloudServices_Cleanup();
    Telemetry_Cleanup();
    Sensors_Cleanup();
    UserInterface_Cleanup();
    EventLoop_Close(eventLoop);
    eventLoop = NULL;
}

// After Final the OS sends SIGTERM once its warning is over. Exiting before it would only make
// the OS start the app again ahead of the install, so wait for it, as long as the warning and
// the OS's grace period could take.
static void WaitForTermination(void) {
    sigset_t terminate;
    sigemptyset(&terminate);
    sigaddset(&terminate, SIGTERM);
    // Blocked first, so a SIGTERM arriving now stays pending for sigtimedwait; one that came
    // before this already went to TerminationHandler.
    sigprocmask(SIG_BLOCK, &terminate, NULL);
    if (exitCode == ExitCode_TermHandler_SigTerm) {
        return;
    }
    Log_Debug("INFO: waiting for the OS to stop the app for the update.\n");
    const struct timespec timeout = {.tv_sec = FINAL_UPDATE_WAIT_SECONDS, .tv_nsec = 0};
    if (sigtimedwait(&terminate, NULL, &timeout) == -1) {
        Log_Debug("WARNING: no SIGTERM within %d s of Final: %s (%d).\n", FINAL_UPDATE_WAIT_SECONDS,
                  strerror(errno), errno);
    }
}

int main(int argc, char *argv[]) {
    Log_Debug("INFO: spheresim reference app %s starting.\n", firmwareVersion);

    char error[OPTIONS_ERROR_SIZE];
    if (!Options_Parse(argc, argv, &options, error, sizeof(error))) {
        Log_Debug("ERROR: %s.\n", error);
        return ExitCode_Init_Options;
    }
    exitCode = InitPeripheralsAndHandlers();

    // One event per iteration, so a failure or SIGTERM recorded by a handler ends the loop
    // before anything else runs; every turn of the loop also feeds the watchdog.
    while (exitCode == ExitCode_Success) {
        EventLoop_Run_Result result = EventLoop_Run(eventLoop, -1, true);
        // EINTR only means a signal arrived (SIGTERM is handled through exitCode).
        if (result == EventLoop_Run_Failed && errno != EINTR) {
            exitCode = ExitCode_Main_EventLoopFail;
        }
        Watchdog_Kick();
    }

    bool stoppedByOs =
        exitCode == ExitCode_TermHandler_SigTerm || exitCode == ExitCode_UpdateCallback_FinalUpdate;
    if (!rebootRequested) {
        BootReason_Record(stoppedByOs ? BootReason_StoppedByOs : BootReason_Failure, exitCode);
    }
    ClosePeripheralsAndHandlers();
    if (exitCode == ExitCode_UpdateCallback_FinalUpdate) {
        WaitForTermination();
    }
    Log_Debug("INFO: Application exiting (exit code %d).\n", (int)exitCode);
    return exitCode;
}
