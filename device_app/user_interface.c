// SPDX-License-Identifier: MIT
// Button and LEDs of the reference app. The button is polled from a timer rather than watched
// as an fd: applibs GPIOs report no edges, so polling is how every Azure Sphere sample reads
// buttons.

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <applibs/eventloop.h>
#include <applibs/gpio.h>
#include <applibs/log.h>

// The sample appliance names map to MT3620 RDB pins through the hardware definition
// sample_appliance.json: SAMPLE_BUTTON_1 = button A (GPIO12), SAMPLE_LED = LED1 red (GPIO8),
// SAMPLE_RGBLED_GREEN = LED2 green (GPIO16), SAMPLE_RGBLED_BLUE = LED2 blue (GPIO17).
#include <hw/sample_appliance.h>

#include "eventloop_timer_utilities.h"
#include "exitcodes.h"
#include "user_interface.h"

// 10 ms is short enough that no human press is missed and long enough that contact bounce
// rarely shows up as two presses.
static const struct timespec buttonPollPeriod = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
// Long enough to see, short enough that a burst of messages still shows as separate blinks.
static const struct timespec blinkDuration = {.tv_sec = 0, .tv_nsec = 300 * 1000 * 1000};

static int buttonAGpioFd = -1;
static int ledGpioFd = -1;
static int statusLedGpioFd = -1;
static int messageLedGpioFd = -1;

static EventLoopTimer *buttonPollTimer = NULL;
static EventLoopTimer *blinkTimer = NULL;
// The buttons pull up: released reads high.
static GPIO_Value_Type buttonAState = GPIO_Value_High;

static bool ledOn = false;
static bool statusLedOn = false;
// The network state last shown; LED2 may differ from it after a setLed call, until it changes.
static int lastNetworkReady = -1;

static UserInterface_ButtonPressedCallbackType buttonPressedCallback = NULL;
static ExitCode_CallbackType failureCallback = NULL;

static void ButtonPollTimerEventHandler(EventLoopTimer *timer);
static void BlinkTimerEventHandler(EventLoopTimer *timer);
static int SetActiveLowLed(int gpioFd, bool on);
static void CloseFdAndPrintError(int fd, const char *fdName);

static void ButtonPollTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        failureCallback(ExitCode_ButtonTimer_Consume);
        return;
    }

    GPIO_Value_Type newState;
    if (GPIO_GetValue(buttonAGpioFd, &newState) != 0) {
        Log_Debug("ERROR: Could not read button A: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_ButtonTimer_GetValue);
        return;
    }

    // Only the press edge counts, so holding the button down acts once.
    if (newState != buttonAState) {
        buttonAState = newState;
        if (newState == GPIO_Value_Low && buttonPressedCallback != NULL) {
            buttonPressedCallback();
        }
    }
}

static void BlinkTimerEventHandler(EventLoopTimer *timer) {
    if (ConsumeEventLoopTimerEvent(timer) != 0) {
        failureCallback(ExitCode_BlinkTimer_Consume);
        return;
    }
    if (GPIO_SetValue(messageLedGpioFd, GPIO_Value_High) != 0) {
        Log_Debug("ERROR: Could not set SAMPLE_RGBLED_BLUE: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_SetMessageLed_SetValue);
    }
}

static int SetActiveLowLed(int gpioFd, bool on) {
    return GPIO_SetValue(gpioFd, on ? GPIO_Value_Low : GPIO_Value_High);
}

ExitCode UserInterface_Initialise(EventLoop *eventLoop,
                                  UserInterface_ButtonPressedCallbackType buttonPressed,
                                  ExitCode_CallbackType failure) {
    buttonPressedCallback = buttonPressed;
    failureCallback = failure;

    buttonAGpioFd = GPIO_OpenAsInput(SAMPLE_BUTTON_1);
    if (buttonAGpioFd == -1) {
        Log_Debug("ERROR: Could not open SAMPLE_BUTTON_1: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_OpenButton;
    }

    // Outputs start high, which is off on the active-low RDB LEDs.
    ledGpioFd = GPIO_OpenAsOutput(SAMPLE_LED, GPIO_OutputMode_PushPull, GPIO_Value_High);
    if (ledGpioFd == -1) {
        Log_Debug("ERROR: Could not open SAMPLE_LED: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_OpenLed;
    }
    ledOn = false;

    statusLedGpioFd =
        GPIO_OpenAsOutput(SAMPLE_RGBLED_GREEN, GPIO_OutputMode_PushPull, GPIO_Value_High);
    if (statusLedGpioFd == -1) {
        Log_Debug("ERROR: Could not open SAMPLE_RGBLED_GREEN: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_OpenStatusLed;
    }
    statusLedOn = false;
    lastNetworkReady = -1;

    messageLedGpioFd =
        GPIO_OpenAsOutput(SAMPLE_RGBLED_BLUE, GPIO_OutputMode_PushPull, GPIO_Value_High);
    if (messageLedGpioFd == -1) {
        Log_Debug("ERROR: Could not open SAMPLE_RGBLED_BLUE: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_OpenMessageLed;
    }

    blinkTimer = CreateEventLoopDisarmedTimer(eventLoop, BlinkTimerEventHandler);
    if (blinkTimer == NULL) {
        Log_Debug("ERROR: Could not create the blink timer: %s (%d).\n", strerror(errno), errno);
        return ExitCode_Init_BlinkTimer;
    }

    buttonPollTimer =
        CreateEventLoopPeriodicTimer(eventLoop, ButtonPollTimerEventHandler, &buttonPollPeriod);
    if (buttonPollTimer == NULL) {
        Log_Debug("ERROR: Could not create the button poll timer: %s (%d).\n", strerror(errno),
                  errno);
        return ExitCode_Init_ButtonPollTimer;
    }

    return ExitCode_Success;
}

static void CloseFdAndPrintError(int fd, const char *fdName) {
    if (fd >= 0 && close(fd) != 0) {
        Log_Debug("ERROR: Could not close fd %s: %s (%d).\n", fdName, strerror(errno), errno);
    }
}

void UserInterface_Cleanup(void) {
    DisposeEventLoopTimer(buttonPollTimer);
    buttonPollTimer = NULL;
    DisposeEventLoopTimer(blinkTimer);
    blinkTimer = NULL;

    // The OS does not reset peripherals when an app stops, so leave the LEDs dark rather than
    // frozen in whatever state the app last showed.
    if (ledGpioFd >= 0) {
        SetActiveLowLed(ledGpioFd, false);
    }
    if (statusLedGpioFd >= 0) {
        SetActiveLowLed(statusLedGpioFd, false);
    }
    if (messageLedGpioFd >= 0) {
        SetActiveLowLed(messageLedGpioFd, false);
    }

    CloseFdAndPrintError(messageLedGpioFd, "MessageLed");
    CloseFdAndPrintError(statusLedGpioFd, "StatusLed");
    CloseFdAndPrintError(ledGpioFd, "Led");
    CloseFdAndPrintError(buttonAGpioFd, "ButtonA");
    messageLedGpioFd = -1;
    statusLedGpioFd = -1;
    ledGpioFd = -1;
    buttonAGpioFd = -1;
}

void UserInterface_SetLed(bool on) {
    if (on == ledOn) {
        return;
    }
    if (SetActiveLowLed(ledGpioFd, on) != 0) {
        Log_Debug("ERROR: Could not set SAMPLE_LED: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_SetLed_SetValue);
        return;
    }
    ledOn = on;
    Log_Debug("INFO: LED1 %s\n", on ? "on" : "off");
}

bool UserInterface_IsLedOn(void) {
    return ledOn;
}

void UserInterface_SetStatusLed(bool on) {
    if (on == statusLedOn) {
        return;
    }
    if (SetActiveLowLed(statusLedGpioFd, on) != 0) {
        Log_Debug("ERROR: Could not set SAMPLE_RGBLED_GREEN: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_SetStatusLed_SetValue);
        return;
    }
    statusLedOn = on;
    Log_Debug("INFO: LED2 %s\n", on ? "on" : "off");
}

void UserInterface_SetNetworkStatus(bool networkReady) {
    // Only a change of network state moves the LED, so a setLed on LED2 lasts until then.
    if ((int)networkReady == lastNetworkReady) {
        return;
    }
    lastNetworkReady = networkReady;
    UserInterface_SetStatusLed(networkReady);
}

void UserInterface_BlinkMessageLed(void) {
    if (SetActiveLowLed(messageLedGpioFd, true) != 0) {
        Log_Debug("ERROR: Could not set SAMPLE_RGBLED_BLUE: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_SetMessageLed_SetValue);
        return;
    }
    if (SetEventLoopTimerOneShot(blinkTimer, &blinkDuration) != 0) {
        Log_Debug("ERROR: Could not arm the blink timer: %s (%d).\n", strerror(errno), errno);
        failureCallback(ExitCode_BlinkTimer_Arm);
    }
}
