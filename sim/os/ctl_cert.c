// SPDX-License-Identifier: MIT
// The `cert` control request; see ctl_cert.h. The OS's identity code does the work
// (sim_supervisor_rotate_cert); this file checks the request and reports the result.
#include "os/ctl_cert.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "os/identity.h"
#include "os/supervisor.h"

#define VALIDITY_ERROR                                                                           \
    "cert rotate: \"validity_ms\" must be a whole number of milliseconds from 60000 (1 min) to " \
    "31536000000 (365 d)"

const char *sim_ctl_cert_parse(const cJSON *request, struct sim_ctl_request *out) {
    const cJSON *action = cJSON_GetObjectItemCaseSensitive(request, "action");
    if (!cJSON_IsString(action) || strcmp(action->valuestring, "rotate") != 0) {
        return "cert: \"action\" must be rotate";
    }
    const cJSON *validity = cJSON_GetObjectItemCaseSensitive(request, "validity_ms");
    out->cert_validity_ms = 0;
    if (validity != NULL) {
        if (!cJSON_IsNumber(validity) || !isfinite(validity->valuedouble) ||
            validity->valuedouble != floor(validity->valuedouble) ||
            validity->valuedouble < (double)SIM_CTL_CERT_VALIDITY_MIN_MS ||
            validity->valuedouble > (double)SIM_CTL_CERT_VALIDITY_MAX_MS) {
            return VALIDITY_ERROR;
        }
        out->cert_validity_ms = (int64_t)validity->valuedouble;
    }
    return NULL;
}

static void add_time(cJSON *object, const char *name, time_t when) {
    char text[40];
    struct tm tm;
    if (gmtime_r(&when, &tm) != NULL && strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm)) {
        cJSON_AddStringToObject(object, name, text);
    } else {
        cJSON_AddNullToObject(object, name);
    }
}

const char *sim_ctl_cert_execute(struct sim_supervisor *s, const struct sim_ctl_request *request,
                                 cJSON *reply) {
    static char error[600];
    // Whole seconds: certificate times have no finer resolution.
    long validity_s = (long)(request->cert_validity_ms / 1000);
    if (sim_supervisor_rotate_cert(s, validity_s, error, sizeof(error)) != 0) {
        return error;
    }
    time_t not_before = 0;
    time_t not_after = 0;
    cJSON *cert = cJSON_AddObjectToObject(reply, "cert");
    if (sim_device_cert_read(s->device->cert_path, &not_before, &not_after, NULL, 0, NULL, 0) ==
        SIM_IDENTITY_OK) {
        add_time(cert, "not_before", not_before);
        add_time(cert, "not_after", not_after);
    }
    return NULL;
}
