// SPDX-License-Identifier: MIT
// The fault proxy's pseudo-random numbers. Every random choice the proxy makes (whether a toxic
// applies to a connection, a jitter, a slice size) comes from here, so one 64-bit seed replays a
// run: the same seed and the same sequence of events give the same decisions.
//
// The generator is splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
// generators", 2014): the state advances by a fixed odd constant (the golden ratio in 64 bits) and
// each output is that state passed through a 64-bit finaliser. It has a 2^64 period, is the same
// on every platform, and the finaliser doubles as a mixer for deriving independent streams.
//
// Each connection direction gets its own streams, derived from the seed, the endpoint's name, the
// connection's ordinal on that endpoint and the direction. A decision on one connection therefore
// does not depend on how much traffic another connection happened to carry.
#pragma once

#include <stdint.h>

struct sim_net_prng {
    uint64_t state;
};

// Starts a stream at seed; any value, 0 included, is a good seed.
void sim_net_prng_seed(struct sim_net_prng *prng, uint64_t seed);

// The next 64 random bits.
uint64_t sim_net_prng_next(struct sim_net_prng *prng);

// A uniform integer in [0, bound), without modulo bias; 0 when bound is 0.
uint64_t sim_net_prng_below(struct sim_net_prng *prng, uint64_t bound);

// True with probability ppm / 1 000 000: 0 never, 1 000 000 (or more) always. Draws exactly one
// number either way, so the stream stays aligned whatever the probability.
int sim_net_prng_chance(struct sim_net_prng *prng, uint32_t ppm);

// The splitmix64 finaliser on its own: a bijective mix of 64 bits.
uint64_t sim_net_prng_mix(uint64_t value);

// The 64-bit FNV-1a hash of a string (stable across runs and platforms; "" hashes to the offset
// basis). Used to fold names into stream seeds.
uint64_t sim_net_prng_hash(const char *text);

// The seed of one connection direction's stream: a mix of the proxy's seed, the endpoint's name
// hash, the connection's ordinal on that endpoint (1, 2, …) and the direction (0 up, 1 down).
uint64_t sim_net_prng_stream_seed(uint64_t seed, uint64_t endpoint_hash, uint64_t ordinal,
                                  unsigned direction);
