// SPDX-License-Identifier: MIT
// Counts how many times the reference app has started, in the app's mutable storage. The count
// survives app restarts, device reboots and app updates, which makes it a simple witness that
// storage really persists.
#pragma once

#include <stdint.h>

#include "exitcodes.h"

/// Reads the stored count (0 when nothing is stored yet), adds one, writes it back durably and
/// returns the new value in *outBootCount.
/// Returns ExitCode_Success, or ExitCode_BootCounter_Open when storage cannot be opened at all.
/// A failing read or write is logged and survived: the count is then not kept.
ExitCode BootCounter_Increment(uint32_t *outBootCount);
