// SPDX-License-Identifier: MIT
// libFuzzer target for control requests, the JSON lines `spheresim ctl` (or anything else that
// can reach the device's control socket) sends. sim_ctl_parse checks a request in full before the
// supervisor acts on it, so it is fuzzed alone; acting needs a running device. Inputs are cut to
// the longest line the control socket accepts, and a parsed request must hold only values the
// executor can act on without further checks.
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "board/adc_model.h"
#include "os/app_stats.h"
#include "os/ctl_cert.h"
#include "os/ctl_commands.h"
#include "os/ctl_socket.h"
#include "os/fault_page.h"
#include "os/update_agent_crash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char line[SIM_CTL_MAX_LINE];
    size_t len = size < sizeof(line) - 1 ? size : sizeof(line) - 1;
    memcpy(line, data, len);
    line[len] = '\0';

    struct sim_ctl_request request;
    const char *error = NULL;
    int rc = sim_ctl_parse(line, &request, &error);
    if ((rc == 0) != (error == NULL)) {
        fprintf(stderr, "fuzz_ctl_request: result %d disagrees with error %s\n", rc,
                error != NULL ? error : "(none)");
        abort();
    }
    if (rc != 0) {
        return 0;
    }
    // Every command the parser knows; the last one is SIM_CTL_CERT.
    bool sane = request.cmd <= SIM_CTL_CERT;
    if (request.cmd == SIM_CTL_POWER_CUT) {
        sane = sane && request.power_cut_step >= -1 &&
               request.power_cut_step < (int)sim_update_crash_step_count;
    }
    if (request.cmd == SIM_CTL_CERT) {
        sane = sane && (request.cert_validity_ms == 0 ||
                        (request.cert_validity_ms >= SIM_CTL_CERT_VALIDITY_MIN_MS &&
                         request.cert_validity_ms <= SIM_CTL_CERT_VALIDITY_MAX_MS));
    }
    if (request.cmd == SIM_CTL_PROXY) {
        size_t length = strnlen(request.proxy_command, sizeof(request.proxy_command));
        sane = sane && length > 0 && length < sizeof(request.proxy_command);
    }
    if (request.cmd == SIM_CTL_BUTTON) {
        sane = sane && (request.button == 'A' || request.button == 'B') &&
               request.action <= SIM_CTL_CLICK;
    }
    if (request.cmd == SIM_CTL_SENSOR) {
        const struct sim_ctl_sensor_change *c = &request.sensor;
        sane = sane && isfinite(c->celsius) && c->stuck <= SIM_CTL_STUCK_OFF &&
               isfinite(c->noise.sigma) && c->noise.sigma >= 0 && c->wiring <= SIM_CTL_WIRING_HUNG;
    }
    if (request.cmd == SIM_CTL_ADC) {
        sane = sane && request.adc_channel < SIM_ADC_CHANNELS;
    }
    if (request.cmd == SIM_CTL_ADC || request.cmd == SIM_CTL_POTENTIOMETER) {
        const struct sim_ctl_noise *noise = &request.adc_noise;
        sane = sane && (request.set_volts || noise->set) && isfinite(request.volts) &&
               isfinite(noise->sigma) && noise->sigma >= 0;
    }
    if (request.cmd == SIM_CTL_MEMORY) {
        sane = sane && request.heap_limit_bytes <= SIM_HEAP_LIMIT_MAX &&
               sim_app_stats_budget_valid(request.memory_budget_bytes);
    }
    if (!sane) {
        fprintf(stderr, "fuzz_ctl_request: accepted an out-of-range request\n");
        abort();
    }
    return 0;
}
