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
    ExitCode_BootCounter_Read = 15,
    ExitCode_BootCounter_Write = 16,
    ExitCode_BootCounter_Sync = 17,
} ExitCode;

/// Lets a module report a failure to main, which owns the process exit code. Must only be
/// called from the event loop thread, never from a signal handler.
typedef void (*ExitCode_CallbackType)(ExitCode exitCode);
