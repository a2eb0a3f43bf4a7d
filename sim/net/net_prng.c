// SPDX-License-Identifier: MIT
// splitmix64 and the stream derivation; see net_prng.h.
#include "net/net_prng.h"

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull
#define FNV_OFFSET 0xCBF29CE484222325ull
#define FNV_PRIME 0x100000001B3ull

uint64_t sim_net_prng_mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void sim_net_prng_seed(struct sim_net_prng *prng, uint64_t seed) {
    prng->state = seed;
}

uint64_t sim_net_prng_next(struct sim_net_prng *prng) {
    prng->state += GOLDEN_GAMMA;
    return sim_net_prng_mix(prng->state);
}

uint64_t sim_net_prng_below(struct sim_net_prng *prng, uint64_t bound) {
    if (bound == 0) {
        return 0;
    }
    // Values below 2^64 mod bound would make the low residues more likely; draw again instead.
    // Fewer than half of all draws are rejected even in the worst case.
    uint64_t threshold = (0 - bound) % bound;
    for (;;) {
        uint64_t r = sim_net_prng_next(prng);
        if (r >= threshold) {
            return r % bound;
        }
    }
}

int sim_net_prng_chance(struct sim_net_prng *prng, uint32_t ppm) {
    return sim_net_prng_below(prng, 1000000) < ppm;
}

uint64_t sim_net_prng_hash(const char *text) {
    uint64_t h = FNV_OFFSET;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
        h = (h ^ *p) * FNV_PRIME;
    }
    return h;
}

uint64_t sim_net_prng_stream_seed(uint64_t seed, uint64_t endpoint_hash, uint64_t ordinal,
                                  unsigned direction) {
    // Each input goes through the mixer before the next is folded in, so neighbouring ordinals
    // or seeds give unrelated streams.
    uint64_t z = sim_net_prng_mix(seed + GOLDEN_GAMMA);
    z = sim_net_prng_mix(z ^ endpoint_hash);
    z = sim_net_prng_mix(z ^ (ordinal * GOLDEN_GAMMA));
    return sim_net_prng_mix(z ^ (direction + 1u));
}
