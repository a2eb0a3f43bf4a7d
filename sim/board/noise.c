// SPDX-License-Identifier: MIT
// Seeded Gaussian measurement noise; see noise.h.
#include "board/noise.h"

#include <math.h>

void sim_noise_set(struct sim_noise *noise, double sigma, uint64_t seed) {
    noise->sigma = sigma > 0 ? sigma : 0;
    noise->state = seed;
}

// splitmix64: small, fast, and the same sequence on every platform for a given seed.
static uint64_t next_random(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A standard normal deviate by the Box-Muller transform.
static double next_gaussian(uint64_t *state) {
    // 53 random bits give a uniform in (0, 1]; log(0) is never taken.
    double u1 = ((next_random(state) >> 11) + 1.0) / 9007199254740992.0;
    double u2 = (next_random(state) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double sim_noise_next(struct sim_noise *noise) {
    return noise->sigma > 0 ? noise->sigma * next_gaussian(&noise->state) : 0;
}
