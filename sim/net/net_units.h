// SPDX-License-Identifier: MIT
// Numbers with units as the fault proxy's text form writes them: durations ("200ms", "1.5s"),
// byte counts ("100", "4KiB") and rates ("64kB/s", "1Mbit/s"), plus probabilities ("0.25",
// "25%"). Shared by the toxic parser, ctl and scenario steps so every place spells them alike.
//
// The input is treated as hostile: a bounded number of digits, overflow checked before it can
// happen, and a value that is not a whole number of the base unit (microseconds, bytes, bytes per
// second, parts per million) is refused rather than rounded.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/net_result.h"

#define SIM_NET_MAX_DURATION_US (86400ull * 1000000ull)  // one day
#define SIM_NET_MAX_BYTES (1ull << 40)                   // 1 TiB
#define SIM_NET_MAX_RATE (1ull << 40)                    // 1 TiB/s
#define SIM_NET_PPM 1000000u

// A duration with a unit (us, ms, s or min); decimals allowed ("1.5s") if the result is a whole
// number of microseconds. Returns SIM_NET_PROXY_OK, or SIM_NET_PROXY_ERR_INVALID with a reason in
// err.
enum sim_net_proxy_result sim_net_parse_duration(const char *text, char *err, size_t err_size,
                                                 uint64_t *out_us);

// A byte count, bare or with B, kB, KiB, MB or MiB. Same errors as sim_net_parse_duration.
enum sim_net_proxy_result sim_net_parse_bytes(const char *text, char *err, size_t err_size,
                                              uint64_t *out_bytes);

// A rate with B/s, kB/s, KiB/s, MB/s, MiB/s, bit/s, kbit/s or Mbit/s; at least 1 byte/s.
enum sim_net_proxy_result sim_net_parse_rate(const char *text, char *err, size_t err_size,
                                             uint64_t *out_bytes_per_s);

// A probability as a fraction in [0, 1] ("0.25", "1") or a percentage ("25%", "12.5%"), to at
// most a millionth. Result in parts per million.
enum sim_net_proxy_result sim_net_parse_probability(const char *text, char *err, size_t err_size,
                                                    uint32_t *out_ppm);

// The inverse forms, each with the largest unit that states the value exactly ("1500us", "2s",
// "4096B", "8000B/s", "25%"). Output is always terminated and cut to out_size.
void sim_net_format_duration(uint64_t us, char *out, size_t out_size);
void sim_net_format_bytes(uint64_t bytes, char *out, size_t out_size);
void sim_net_format_rate(uint64_t bytes_per_s, char *out, size_t out_size);
void sim_net_format_probability(uint32_t ppm, char *out, size_t out_size);
