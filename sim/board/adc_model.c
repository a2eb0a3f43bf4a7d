// SPDX-License-Identifier: MIT
// The ADC controller model; see adc_model.h.
#include "board/adc_model.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "board/channel.h"
#include "devbus.h"

#define MAX_SAMPLE ((1u << SIM_ADC_SAMPLE_BITS) - 1u)

void sim_adc_init(struct sim_adc *adc, const char *manifest_name) {
    memset(adc, 0, sizeof(*adc));
    adc->exists = true;
    adc->channel_fd = -1;
    snprintf(adc->manifest_name, sizeof(adc->manifest_name), "%s", manifest_name);
    sim_adc_reset(adc);
}

int sim_adc_open(struct sim_adc *adc, int *out_app_fd) {
    *out_app_fd = -1;
    if (!adc->exists) {
        return ENODEV;
    }
    if (adc->channel_fd >= 0 && sim_channel_peer_closed(adc->channel_fd)) {
        // Closed by the app an instant ago; the hang-up is not served yet but the controller is
        // free.
        sim_adc_release(adc);
    }
    if (adc->channel_fd >= 0) {
        return EBUSY;
    }
    return sim_channel_create(&adc->channel_fd, out_app_fd);
}

int sim_adc_set_input(struct sim_adc *adc, uint32_t channel, double volts) {
    if (channel >= SIM_ADC_CHANNELS) {
        return EINVAL;
    }
    adc->input_v[channel] = volts;
    return 0;
}

int sim_adc_set_reference(struct sim_adc *adc, uint32_t channel, double volts) {
    // Written so that NaN fails the range check too.
    if (channel >= SIM_ADC_CHANNELS || !(volts > 0 && volts <= SIM_ADC_MAX_REFERENCE_V)) {
        return EINVAL;
    }
    adc->reference_v = volts;
    return 0;
}

int sim_adc_set_noise(struct sim_adc *adc, uint32_t channel, double sigma_v, uint64_t seed) {
    if (channel >= SIM_ADC_CHANNELS || !isfinite(sigma_v) || sigma_v < 0) {
        return EINVAL;
    }
    sim_noise_set(&adc->noise[channel], sigma_v, seed);
    return 0;
}

static uint32_t sample_of(const struct sim_adc *adc, double volts) {
    double code = round(volts / adc->reference_v * MAX_SAMPLE);
    if (!(code > 0)) {  // also catches NaN
        return 0;
    }
    return code >= MAX_SAMPLE ? MAX_SAMPLE : (uint32_t)code;
}

int sim_adc_sample(const struct sim_adc *adc, uint32_t channel, uint32_t *out_sample) {
    if (channel >= SIM_ADC_CHANNELS) {
        return EINVAL;
    }
    *out_sample = sample_of(adc, adc->input_v[channel]);
    return 0;
}

// What the app's poll reads: the input with this sample's noise.
static int poll_sample(struct sim_adc *adc, uint32_t channel, uint32_t *out_sample) {
    if (channel >= SIM_ADC_CHANNELS) {
        return EINVAL;
    }
    double volts = adc->input_v[channel] + sim_noise_next(&adc->noise[channel]);
    *out_sample = sample_of(adc, volts);
    return 0;
}

static void decide(struct sim_adc *adc, struct devbus_adc_msg *msg) {
    int err = EINVAL;
    switch (msg->op) {
        case DEVBUS_ADC_GET_BIT_COUNT:
            err = msg->channel < SIM_ADC_CHANNELS ? 0 : EINVAL;
            msg->value = SIM_ADC_SAMPLE_BITS;
            break;
        case DEVBUS_ADC_SET_REFERENCE:
            err = sim_adc_set_reference(adc, msg->channel, msg->volts);
            break;
        case DEVBUS_ADC_POLL:
            err = poll_sample(adc, msg->channel, &msg->value);
            break;
        default:
            break;
    }
    msg->err = (int16_t)err;
}

bool sim_adc_serve(struct sim_adc *adc) {
    if (adc->channel_fd < 0) {
        return false;
    }
    struct devbus_adc_msg msg;
    ssize_t n = sim_channel_receive(adc->channel_fd, &msg, sizeof(msg));
    if (n < 0) {
        sim_adc_release(adc);
        return false;
    }
    if (n == 0) {
        return true;
    }
    if (n != (ssize_t)sizeof(msg)) {
        msg = (struct devbus_adc_msg){.op = msg.op, .err = EINVAL};
    } else {
        decide(adc, &msg);
    }
    if (sim_channel_reply(adc->channel_fd, &msg, sizeof(msg)) != 0) {
        sim_adc_release(adc);
        return false;
    }
    return true;
}

void sim_adc_release(struct sim_adc *adc) {
    sim_channel_close(&adc->channel_fd);
}

void sim_adc_reset(struct sim_adc *adc) {
    sim_adc_release(adc);
    adc->reference_v = SIM_ADC_DEFAULT_REFERENCE_V;
}
