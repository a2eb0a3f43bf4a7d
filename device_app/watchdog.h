// SPDX-License-Identifier: MIT
// The Azure Sphere watchdog pattern: a POSIX timer that raises SIGALRM, whose default action
// ends the process, re-armed by the main loop each time it handles an event. If the loop stops
// turning - a handler stuck in a blocking call or an endless loop - the timer expires, the app
// dies, and the OS restarts it.
#pragma once

#include "exitcodes.h"

/// Creates and arms the timer; the app dies if Watchdog_Kick is not called for
/// timeoutSeconds. Returns ExitCode_Success or the ExitCode of the step that failed.
ExitCode Watchdog_Start(unsigned int timeoutSeconds);

/// Pushes the expiry timeoutSeconds into the future. Cheap enough to call after every event.
void Watchdog_Kick(void);

/// Disarms and deletes the timer (for a clean exit).
void Watchdog_Stop(void);
