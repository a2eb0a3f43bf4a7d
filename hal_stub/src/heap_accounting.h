// SPDX-License-Identifier: MIT
// The app's heap use, as applications.h reports it: bytes currently allocated and the peak.
#pragma once

#include <stddef.h>

// Bytes of heap the app holds now, and the most it has held since it started.
size_t halstub_heap_in_use_bytes(void);
size_t halstub_heap_peak_bytes(void);

// Shows the OS the figures now (the app stats page). Every allocation does so already, except
// under AddressSanitizer, whose allocator hal_stub does not see: there the event loop calls this
// on each turn, so the OS's figures are samples and the peak a lower bound.
void halstub_heap_publish(void);
