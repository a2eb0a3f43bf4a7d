// SPDX-License-Identifier: MIT
// The probe's clock modes: what the app and the libraries inside it (libcrypto, libmosquitto)
// take the time to be, so tests can see the device clock's skew, jumps and rate reach them.
#pragma once

#include <stdbool.h>

#include <applibs/eventloop.h>

// Every 250 ms logs one line
//   PROBE time libc=S gtod=S realtime=S coarse=S timespec=S libcrypto=S x509-2029=C mono=NS
// with the Unix seconds time(), gettimeofday(), clock_gettime(CLOCK_REALTIME and _COARSE),
// timespec_get() and libcrypto's "now" give, C = X509_cmp_time(2029-01-01, now) (-1: 2029 has
// passed), and the host's CLOCK_MONOTONIC in ns. Returns false (logged) if it cannot start.
bool ClockProbe_StartTime(EventLoop *loop);

// Every 300 ms makes a TLS connection with libmosquitto to target ("HOST:PORT"), verifying the
// server against caFile, and logs "PROBE tls ok" or "PROBE tls error <reason>". Returns false
// (logged) if it cannot start.
bool ClockProbe_StartTls(EventLoop *loop, const char *target, const char *caFile);

void ClockProbe_Stop(void);
