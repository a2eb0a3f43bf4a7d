// SPDX-License-Identifier: MIT
// The reference app's user interface on the sample appliance: button A (SAMPLE_BUTTON_1) as
// input, LED1 red (SAMPLE_LED) as the user-toggled light, LED2 green (SAMPLE_RGBLED_GREEN) as the
// network status light, and LED2 blue (SAMPLE_RGBLED_BLUE), which blinks when a cloud-to-device
// message arrives. The RDB's LEDs are active-low; this module hides that.
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

/// Lights the status LED (LED2 green) when the network becomes ready and darkens it when it stops
/// being ready; calls that repeat the last state change nothing, so a UserInterface_SetStatusLed
/// stays until the network state changes.
void UserInterface_SetNetworkStatus(bool networkReady);

/// Switches LED2 green on or off directly (the setLed direct method) and logs the change.
void UserInterface_SetStatusLed(bool on);

/// Lights LED2 blue for a moment.
void UserInterface_BlinkMessageLed(void);
