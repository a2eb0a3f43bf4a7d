// SPDX-License-Identifier: MIT
// Counts how many times the reference app has started, in the app's mutable storage. The count
// survives app restarts, device reboots and app updates, which makes it a simple witness that
// storage really persists.
#pragma once

#include <stdint.h>

#include "exitcodes.h"

/// Reads the stored count (0 when nothing is stored yet), adds one, writes it back durably and
/// returns the new value in *outBootCount.
/// Returns ExitCode_Success, or the ExitCode of the step that failed (errno is logged).
ExitCode BootCounter_Increment(uint32_t *outBootCount);
