// SPDX-License-Identifier: MIT
// The `cert` control request, kept apart from the other requests in ctl_commands.c:
//   {"cmd":"cert","action":"rotate"}                         a new 24 h device certificate now
//   {"cmd":"cert","action":"rotate","validity_ms":120000}    one valid for that long instead
// It models the tenant CA rotating the device's certificate ahead of its daily renewal. The
// reply carries the new certificate's validity period (device clock, UTC).
#pragma once

#include <cjson/cJSON.h>

#include "os/ctl_commands.h"

// The bounds of validity_ms: those of the scenario step's `validity`, 1 min to 365 days.
#define SIM_CTL_CERT_VALIDITY_MIN_MS 60000LL
#define SIM_CTL_CERT_VALIDITY_MAX_MS (365LL * 86400 * 1000)

// Parses the cert fields of request into out (out->cmd already set). Returns NULL, or the
// one-line reason (static text).
const char *sim_ctl_cert_parse(const cJSON *request, struct sim_ctl_request *out);

// Carries out a parsed cert request and adds the certificate's validity to reply as "cert":
// {"not_before", "not_after"}. Returns NULL, or the reason no certificate was issued (a static
// buffer, overwritten by the next call).
const char *sim_ctl_cert_execute(struct sim_supervisor *supervisor,
                                 const struct sim_ctl_request *request, cJSON *reply);
