// SPDX-License-Identifier: MIT
// Mutable-storage faults the OS asks hal_stub to apply (storage_fault.c).
#pragma once

#include <stdbool.h>
#include <stddef.h>

// Remembers fd as the app's mutable-storage file, so the I/O calls hal_stub defines can fail it
// while the OS's fault page says so. Maps the fault page first if that has not happened yet.
void halstub_storage_fault_note(int fd);

// True, with errno set (EIO), when a read or sync of fd must fail now.
bool halstub_storage_fault_fails_read(int fd);

// True, with errno set (ENOSPC or EIO), when writing length bytes to fd must fail now.
bool halstub_storage_fault_fails_write(int fd, size_t length);
