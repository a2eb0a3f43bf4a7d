// SPDX-License-Identifier: MIT
// The probe's network mode: name lookups and outbound connections as an app makes them, so
// tests can see what the simulated OS allows, maps and refuses.
#pragma once

#include <stddef.h>

#define PROBE_NET_MAX_TARGETS 8

// For each "HOST:PORT" target: getaddrinfo, then a non-blocking connect to the first address,
// then one line sent and its echo read back; then the same over a Unix-domain stream socket at
// unixPath (when not NULL). Logs one "PROBE resolve|connect|echo|unix ..." line per step.
void ProbeNet_Run(const char *const *targets, size_t count, const char *unixPath);

// The probe's errno names (main.c).
const char *ErrnoName(int err);
