// SPDX-License-Identifier: MIT
// The MT3620's ADC controller: 8 channels of 12-bit samples, each the input voltage as a fraction
// of the reference voltage (2.5 V unless the app sets another; the MT3620 ADC inputs go up to
// 2.5 V). Inputs are what the outside world applies to the pins, e.g. the sample hardware's
// potentiometer on channel 0; a voltage beyond the reference reads as the largest sample and one
// below 0 V as 0, as an ADC saturates. An app that opens the controller holds one end of a
// channel and polls samples through it.
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "board/noise.h"

#define SIM_ADC_CHANNELS 8
#define SIM_ADC_SAMPLE_BITS 12
#define SIM_ADC_DEFAULT_REFERENCE_V 2.5
// The highest reference voltage ADC_SetReferenceVoltage accepts.
#define SIM_ADC_MAX_REFERENCE_V 2.5

struct sim_adc {
    bool exists;
    char manifest_name[24];  // the Adc capability value, "ADC-CONTROLLER-0"
    int channel_fd;          // the OS end of the app's channel, -1 when not open
    double reference_v;
    double input_v[SIM_ADC_CHANNELS];
    struct sim_noise noise[SIM_ADC_CHANNELS];  // on each input, in volts
};

// Makes adc an existing controller called manifest_name in app manifests, all inputs at 0 V.
void sim_adc_init(struct sim_adc *adc, const char *manifest_name);

// Opens the controller for the app and returns the app's end of the channel in *out_app_fd.
// Returns 0 or an errno: ENODEV (no controller), EBUSY (already open), EMFILE/ENFILE. The caller
// checks the manifest first.
int sim_adc_open(struct sim_adc *adc, int *out_app_fd);

// Serves one request waiting on the channel. Returns false when the app has closed the channel
// (the controller is then released), true otherwise.
bool sim_adc_serve(struct sim_adc *adc);

// Applies volts to a channel's pin. Returns 0 or EINVAL (no such channel).
int sim_adc_set_input(struct sim_adc *adc, uint32_t channel, double volts);

// Sets the reference voltage (one for the whole controller). Returns 0 or EINVAL (no such
// channel, or not above 0 V and at most SIM_ADC_MAX_REFERENCE_V).
int sim_adc_set_reference(struct sim_adc *adc, uint32_t channel, double volts);

// Adds Gaussian noise of standard deviation sigma_v (0 for none) to a channel's input, drawn
// afresh for every sample the app polls, from a generator seeded with seed. Like the inputs, the
// noise belongs to the outside world and survives a reset. Returns 0 or EINVAL (no such channel,
// or sigma_v negative or not finite).
int sim_adc_set_noise(struct sim_adc *adc, uint32_t channel, double sigma_v, uint64_t seed);

// The sample a poll of channel would read without noise. Returns 0 or EINVAL (no such channel).
int sim_adc_sample(const struct sim_adc *adc, uint32_t channel, uint32_t *out_sample);

// Releases the app's channel: the app died or closed it.
void sim_adc_release(struct sim_adc *adc);

// A reset: channel released and the reference back to its default. Inputs belong to the outside
// world and stay.
void sim_adc_reset(struct sim_adc *adc);
