// SPDX-License-Identifier: MIT
// Mutable-storage faults the OS asks hal_stub to apply (storage_fault.c).
#pragma once

// Remembers fd as the app's mutable-storage file, so the I/O calls hal_stub defines can fail it
// while the OS's fault page says so. Maps the fault page first if that has not happened yet.
void halstub_storage_fault_note(int fd);
