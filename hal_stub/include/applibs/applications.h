// SPDX-License-Identifier: MIT
// applibs/applications.h for spheresim's Linux backend: memory usage of the app, as the
// platform reports it. As in the Azure Sphere SDK the public functions are inline wrappers over
// one internal call (here halstub_applications_memory_kb, implemented in the library).
#pragma once

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The version of the OS the device runs, as text such as "1.0.0" (spheresim's simulated OS
/// releases use MAJOR.MINOR.PATCH); NUL-terminated.
typedef struct Applications_OsVersion {
    char version[16];
} Applications_OsVersion;

/// Internal: fills *outVersion; see Applications_GetOsVersion.
int halstub_applications_os_version(Applications_OsVersion *outVersion);

/// Internal: returns the memory figure selected by which (0 total, 1 user mode, 2 peak user
/// mode) in KiB, or 0 with errno set on failure. Apps call the Applications_* wrappers instead.
size_t halstub_applications_memory_kb(int which);

/// Returns the app's total memory use in KiB, user mode plus kernel allocations made for it.
/// On failure returns 0 with errno set:
///   EAGAIN  the figure is temporarily unavailable; try again later.
/// Other errno values are possible and not guaranteed to stay the same.
static inline size_t Applications_GetTotalMemoryUsageInKB(void) {
    return halstub_applications_memory_kb(0);
}

/// Returns the app's user-mode memory use in KiB, including its shared libraries' allocations.
/// On failure returns 0 with errno set:
///   EAGAIN  the figure is temporarily unavailable; try again later.
/// Other errno values are possible and not guaranteed to stay the same.
static inline size_t Applications_GetUserModeMemoryUsageInKB(void) {
    return halstub_applications_memory_kb(1);
}

/// Returns the highest user-mode memory use in KiB seen since the app started.
/// On failure returns 0 with errno set:
///   EAGAIN  the figure is temporarily unavailable; try again later.
/// Other errno values are possible and not guaranteed to stay the same.
static inline size_t Applications_GetPeakUserModeMemoryUsageInKB(void) {
    return halstub_applications_memory_kb(2);
}

/// Gets the version of the OS the device currently runs; an OS update changes it.
/// Returns 0 on success; -1 with errno set on failure:
///   EFAULT  outVersion is NULL.
/// Other errno values are possible and not guaranteed to stay the same.
static inline int Applications_GetOsVersion(Applications_OsVersion *outVersion) {
    return halstub_applications_os_version(outVersion);
}

#ifdef __cplusplus
}
#endif
