// SPDX-License-Identifier: MIT
// An in-process simulated OS for unit tests of the applibs-over-bus path: a thread serves the
// device bus and every peripheral channel (GPIO, I2C, ADC) with the real bus server and board,
// while the test calls the real hal_stub functions as the app would. The bus fd is published in
// SPHERESIM_BUS_FD before the first applibs call, as the real OS does before exec.
#pragma once

#include "os/device.h"

// Builds a device from a manifest text and a fresh state directory, and starts serving.
// Aborts the test on any set-up failure. Only one harness per test process.
struct sim_device *os_harness_start(const char *manifest_json);

// Stops the serving thread and removes the state directory.
void os_harness_stop(void);

// Replaces the manifest the OS enforces, as installing the app again with another manifest
// would; open channels stay open. Aborts the test if the manifest is refused.
void os_harness_set_manifest(const char *manifest_json);

// Held around a test's own changes to the device (a button press, a sensor value, a fault) so
// they never interleave with a request the serving thread is deciding.
void os_harness_lock(void);
void os_harness_unlock(void);

// Shares the started device's fault page as the app spawn does (its descriptor in
// SPHERESIM_FAULT_FD) so that this process's hal_stub applies the faults. Returns 0, or -1 if it
// cannot be made.
int os_harness_share_fault_page(void);
