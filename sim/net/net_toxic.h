// SPDX-License-Identifier: MIT
// A toxic: one network fault the proxy applies to the bytes of a connection in one direction (or
// both), to each connection with a probability. This file is the toxic's data and its text form,
// the one spelling that the C API, `spheresim ctl` and scenario steps share:
//
//   latency 200ms jitter 50ms down
//   bandwidth 64kB/s up probability 0.5
//   reset after 2s          blackhole down          slow_close 3s
//   slicer size 8 variation 4 delay 1ms             limit_data 1000 down name cut_connack
//
// The kind comes first, then its parameters and the common options in any order: a direction
// (up = device to upstream, down = upstream to device, both; default both), "probability P"
// (default 1) and "name NAME" (default KIND_DIRECTION, e.g. latency_down). What each toxic does is
// described in docs/faults.md.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "net/net_result.h"

#define SIM_NET_TOXIC_NAME_MAX 31
#define SIM_NET_TOXIC_TEXT_MAX 512  // longest text form accepted, and enough for any formatted one

enum sim_net_toxic_kind {
    SIM_NET_TOXIC_NONE = 0,
    SIM_NET_TOXIC_LATENCY,     // latency_us, jitter_us
    SIM_NET_TOXIC_BANDWIDTH,   // rate (bytes per second)
    SIM_NET_TOXIC_RESET,       // after_us
    SIM_NET_TOXIC_BLACKHOLE,   // no parameters
    SIM_NET_TOXIC_SLOW_CLOSE,  // delay_us
    SIM_NET_TOXIC_SLICER,      // size, variation (bytes), delay_us
    SIM_NET_TOXIC_LIMIT_DATA,  // bytes
};

// Directions as bits, so a toxic can name both.
enum sim_net_direction {
    SIM_NET_UP = 1,    // from the device (the accepted side) to the upstream endpoint
    SIM_NET_DOWN = 2,  // from upstream to the device
    SIM_NET_BOTH = 3,
};

struct sim_net_toxic {
    char name[SIM_NET_TOXIC_NAME_MAX + 1];
    enum sim_net_toxic_kind kind;
    unsigned directions;       // SIM_NET_UP and/or SIM_NET_DOWN
    uint32_t probability_ppm;  // per connection and direction; 1 000 000 = always
    uint64_t latency_us;
    uint64_t jitter_us;  // the delay varies uniformly in [latency - jitter, latency + jitter]
    uint64_t rate;       // bandwidth, bytes per second
    uint64_t after_us;   // reset: time from the toxic meeting the connection to the reset
    uint64_t delay_us;   // slow_close: FIN delay; slicer: pause between slices
    uint64_t size;       // slicer: average slice, bytes
    uint64_t variation;  // slicer: slices vary uniformly by up to this many bytes either way
    uint64_t bytes;      // limit_data: bytes let through before the connection is closed
};

// The kind's name as the text form spells it ("latency", "slow_close", …); "none" otherwise.
const char *sim_net_toxic_kind_name(enum sim_net_toxic_kind kind);

// "up", "down" or "both"; "none" for 0.
const char *sim_net_direction_name(unsigned directions);

// True when name is 1 to SIM_NET_TOXIC_NAME_MAX characters of [A-Za-z0-9_.-].
int sim_net_name_valid(const char *name);

// Parses the text form (see the top of this file). Returns SIM_NET_PROXY_OK, or
// SIM_NET_PROXY_ERR_INVALID with a message in err that names the offending token and its position,
// e.g. "token 4 'jiter': unknown parameter for latency (expected jitter, up, down, both,
// probability or name)". out_toxic is written only on success.
enum sim_net_proxy_result sim_net_toxic_parse(const char *text, char *err, size_t err_size,
                                              struct sim_net_toxic *out_toxic);

// The same, from tokens already split (argv-style), e.g. a ctl request or a YAML sequence.
enum sim_net_proxy_result sim_net_toxic_parse_tokens(const char *const *tokens, size_t count,
                                                     char *err, size_t err_size,
                                                     struct sim_net_toxic *out_toxic);

// Checks a toxic built in C (range of every field, a valid name). Returns SIM_NET_PROXY_OK or
// SIM_NET_PROXY_ERR_INVALID with a message naming the field.
enum sim_net_proxy_result sim_net_toxic_validate(const struct sim_net_toxic *toxic, char *err,
                                                 size_t err_size);

// Writes the canonical text form, which parses back to an identical toxic (zero jitter and a
// zero reset delay are left out):
// "latency 200ms jitter 50ms down probability 100% name latency_down".
void sim_net_toxic_format(const struct sim_net_toxic *toxic, char *out, size_t out_size);
