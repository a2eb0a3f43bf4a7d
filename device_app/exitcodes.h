// SPDX-License-Identifier: MIT
// Exit codes of the reference app. The OS records the exit code of every app that stops and
// reports it in failure reports, so each place that can end the app has its own value: a code
// seen in a report points at exactly one line. Values must stay within 1..255 (0 = success) and
// must never be renumbered, or old reports stop matching the code.
#pragma once

typedef enum ExitCode {
    ExitCode_Success = 0,

    ExitCode_TermHandler_SigTerm = 1,

    ExitCode_Main_EventLoopFail = 2,

    ExitCode_Init_EventLoop = 3,
    ExitCode_Init_OpenButton = 4,
    ExitCode_Init_OpenLed = 5,
    ExitCode_Init_OpenStatusLed = 6,
    ExitCode_Init_ButtonPollTimer = 7,
    ExitCode_Init_NetworkStatusTimer = 8,

    ExitCode_ButtonTimer_Consume = 9,
    ExitCode_ButtonTimer_GetValue = 10,

    ExitCode_SetLed_SetValue = 11,
    ExitCode_SetStatusLed_SetValue = 12,

    ExitCode_NetworkStatusTimer_Consume = 13,

    ExitCode_BootCounter_Open = 14,
    // 15-17, 31, 41 and 42 were storage failures at start; the app now survives those, so they
    // are no longer used (and never reused).
    ExitCode_BootCounter_Read = 15,
    ExitCode_BootCounter_Write = 16,
    ExitCode_BootCounter_Sync = 17,

    ExitCode_Init_Options = 18,
    ExitCode_Init_OpenMessageLed = 19,
    ExitCode_Init_BlinkTimer = 20,
    ExitCode_BlinkTimer_Consume = 21,
    ExitCode_BlinkTimer_Arm = 22,
    ExitCode_SetMessageLed_SetValue = 23,

    ExitCode_Cloud_MosquittoInit = 24,
    ExitCode_Cloud_RootCaPath = 25,
    ExitCode_Cloud_MqttClient = 26,
    ExitCode_Cloud_DpsClient = 27,
    ExitCode_Cloud_RetryTimer = 28,
    ExitCode_CloudServices_Timers = 29,

    ExitCode_Telemetry_OpenStorage = 30,
    ExitCode_Telemetry_OpenQueue = 31,
    ExitCode_Telemetry_QueuePeek = 32,
    ExitCode_Telemetry_QueuePush = 33,
    ExitCode_Telemetry_QueueAck = 34,

    ExitCode_Sensors_OpenI2c = 35,
    ExitCode_Sensors_ConfigureI2c = 36,
    ExitCode_Sensors_OpenAdc = 37,
    ExitCode_Sensors_AdcBits = 38,
    ExitCode_Sensors_AdcReference = 39,

    ExitCode_BootReason_Open = 40,
    ExitCode_BootReason_Read = 41,
    ExitCode_BootReason_Write = 42,

    ExitCode_Watchdog_Create = 43,
    ExitCode_Watchdog_Arm = 44,

    ExitCode_Init_TelemetryTimer = 45,
    ExitCode_TelemetryTimer_Consume = 46,
    ExitCode_TelemetryTimer_SetPeriod = 47,
    ExitCode_Init_RebootTimer = 48,
    ExitCode_RebootTimer_Consume = 49,
    ExitCode_RebootTimer_Arm = 50,
    ExitCode_Reboot_ForceSystemReboot = 51,
    ExitCode_Init_MemoryTimer = 52,
    ExitCode_MemoryTimer_Consume = 53,

    ExitCode_UpdateRecord_Open = 54,
    ExitCode_UpdateRecord_Read = 55,
    ExitCode_Init_RegisterSysEvent = 56,
    ExitCode_Init_MaintenanceTimer = 57,
    ExitCode_MaintenanceTimer_Consume = 58,
    ExitCode_MaintenanceTimer_Arm = 59,

    // Not a failure: the app stops itself on an update's Final notification (see main).
    ExitCode_UpdateCallback_FinalUpdate = 60,

    ExitCode_Cloud_TlsLibraryBroken = 61,
} ExitCode;

/// Lets a module report a failure to main, which owns the process exit code. Must only be
/// called from the event loop thread, never from a signal handler.
typedef void (*ExitCode_CallbackType)(ExitCode exitCode);
