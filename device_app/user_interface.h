// SPDX-License-Identifier: MIT
// The reference app's user interface on the sample appliance: button A (SAMPLE_BUTTON_1) as
// input, LED1 red (SAMPLE_LED) as the user-toggled light, and LED2 green (SAMPLE_RGBLED_GREEN)
// as the network status light. The RDB's LEDs are active-low; this module hides that.
#pragma once

#include <stdbool.h>

#include <applibs/eventloop.h>

#include "exitcodes.h"

/// Called from the event loop each time button A goes from released to pressed.
typedef void (*UserInterface_ButtonPressedCallbackType)(void);

/// Opens the button and both LEDs (LEDs start off) and starts polling the button. buttonPressed
/// runs on each press; failure is told about failures that happen later, inside the event loop.
/// Returns ExitCode_Success, or the ExitCode of the step that failed; call
/// UserInterface_Cleanup in either case.
ExitCode UserInterface_Initialise(EventLoop *eventLoop,
                                  UserInterface_ButtonPressedCallbackType buttonPressed,
                                  ExitCode_CallbackType failure);

/// Stops polling, switches the LEDs off and closes every GPIO that was opened. Safe to call
/// after a partial UserInterface_Initialise.
void UserInterface_Cleanup(void);

/// Switches SAMPLE_LED (LED1 red) on or off and logs the change.
void UserInterface_SetLed(bool on);

/// Returns whether SAMPLE_LED is currently lit.
bool UserInterface_IsLedOn(void);

/// Lights the status LED (LED2 green) while the network is ready, and logs the change.
void UserInterface_SetNetworkStatus(bool networkReady);
