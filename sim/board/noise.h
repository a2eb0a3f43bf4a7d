// SPDX-License-Identifier: MIT
// Measurement noise for the board's sensors: Gaussian, of a given standard deviation, from a
// seeded generator, so that one seed gives the same readings on every run and platform.
#pragma once

#include <stdint.h>

struct sim_noise {
    double sigma;    // standard deviation, in the quantity's unit; 0 for none
    uint64_t state;  // the generator's state
};

// Sets the standard deviation (anything not above 0 turns the noise off) and restarts the
// generator from seed.
void sim_noise_set(struct sim_noise *noise, double sigma, uint64_t seed);

// The next deviate to add to a reading: 0 while the noise is off (the generator then stays
// where it is).
double sim_noise_next(struct sim_noise *noise);
