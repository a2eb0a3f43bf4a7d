// SPDX-License-Identifier: MIT
// applibs/powermanagement.h for spheresim's Linux backend: forced reboot, forced power-down and
// the system power profile. Each needs an entry in the manifest's PowerControls capability. As
// in the Azure Sphere SDK the public functions are static inline; here they wrap halstub_power_*
// calls implemented in the library.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// System-wide power profile; HighPerformance is the default after boot and is not kept across
/// reboots.
typedef uint32_t PowerManagement_System_PowerProfile;
enum {
    /// Favour saving energy over speed.
    PowerManagement_PowerSaver = 0,
    /// Save energy where that does not noticeably delay work.
    PowerManagement_Balanced = 1,
    /// Favour speed over saving energy.
    PowerManagement_HighPerformance = 2
};

/// Internal back ends of the wrappers below; apps call the PowerManagement_* functions.
int halstub_power_force_system_reboot(void);
int halstub_power_force_system_power_down(unsigned int maximum_residency_in_seconds);
int halstub_power_set_system_power_profile(PowerManagement_System_PowerProfile profile);

/// Starts a reboot of the whole device and returns without waiting for it. Every app, this one
/// included, then gets SIGTERM, possibly before this call has returned.
/// Returns 0 if the reboot was started; -1 with errno set on failure:
///   EACCES  the manifest's PowerControls does not include ForceReboot.
/// Other errno values are possible and not guaranteed to stay the same.
static inline int PowerManagement_ForceSystemReboot(void) {
    return halstub_power_force_system_reboot();
}

/// Starts powering the device down, for at most maximum_residency_in_seconds, and returns
/// without waiting. The device may wake earlier (wake-up pin, system needs); waking is a cold
/// boot. Every app gets SIGTERM, possibly before this call has returned.
/// Returns 0 if power-down was started; -1 with errno set on failure:
///   EACCES  the manifest's PowerControls does not include ForcePowerDown.
///   EINVAL  maximum_residency_in_seconds is not acceptable.
/// Other errno values are possible and not guaranteed to stay the same.
static inline int PowerManagement_ForceSystemPowerDown(unsigned int maximum_residency_in_seconds) {
    return halstub_power_force_system_power_down(maximum_residency_in_seconds);
}

/// Switches the system-wide power profile (CPU frequency/voltage policy).
/// Returns 0 on success; -1 with errno set on failure:
///   EACCES  the manifest's PowerControls does not include SetPowerProfile.
///   EINVAL  desired_profile is not a PowerManagement_System_PowerProfile value.
/// Other errno values are possible and not guaranteed to stay the same.
static inline int PowerManagement_SetSystemPowerProfile(
    PowerManagement_System_PowerProfile desired_profile) {
    return halstub_power_set_system_power_profile(desired_profile);
}

#ifdef __cplusplus
}
#endif
