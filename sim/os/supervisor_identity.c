// SPDX-License-Identifier: MIT
// The device certificate's upkeep, part of the OS's main loop (supervisor.c): issued at boot,
// renewed before it ends, rotated on request, and only while the device is online with its time
// synced, as the tenant CA needs; see supervisor_identity.h.
#include "os/supervisor_identity.h"

#include <stdio.h>
#include <string.h>

#include "os/identity.h"

#define IDENTITY_CHECK_PERIOD_MS 60000
// A certificate is renewed when it has less than this long left, as DAA renews daily; one
// issued for less than four hours (a rotation with a short validity) is renewed once a quarter
// of its validity is left, so that it is replaced before it expires rather than at once.
#define CERT_RENEW_MARGIN_S 3600
#define CERT_RENEW_FRACTION 4
#define CERT_VALIDITY_S 86400

// How long before its end a certificate is renewed. The validity the OS issued it with is the
// measure; for a certificate found on disk (issued before this run) its notBefore..notAfter span
// stands in, which backdating only makes longer.
static int64_t renew_margin_s(const struct sim_device *d, time_t not_before, time_t not_after) {
    int64_t validity_s = d->cert_validity_s > 0 ? d->cert_validity_s : not_after - not_before;
    int64_t margin_s = validity_s / CERT_RENEW_FRACTION;
    return margin_s < CERT_RENEW_MARGIN_S ? margin_s : CERT_RENEW_MARGIN_S;
}

// Schedules the next identity check: at the next device time at which the certificate changes
// state by itself (it becomes valid, is due for renewal, or expires), so that accelerated time
// renews on time, and every 60 s of real time in any case, to notice a replaced file.
static void schedule_identity_check(struct sim_supervisor *s, bool have, time_t not_before,
                                    time_t not_after, int64_t now_ms) {
    const struct sim_clock *clock = &s->device->clock;
    int64_t now_s = now_ms / 1000;
    int64_t next_s = 0;
    int64_t margin_s = renew_margin_s(s->device, not_before, not_after);
    if (have && now_s < not_before) {
        next_s = not_before;
    } else if (have && now_s < not_after - margin_s) {
        next_s = not_after - margin_s;
    } else if (have && now_s < not_after) {
        next_s = not_after;
    }
    s->identity_check_device_ms =
        next_s != 0 ? sim_clock_device_ms(clock) + next_s * 1000 - now_ms : 0;
    s->identity_check_deadline_ms = sim_clock_monotonic_ms() + IDENTITY_CHECK_PERIOD_MS;
}

// Issues the device a certificate valid for validity_s from now (device clock), replacing the
// file the app reads atomically, and logs it. Returns 0, or -1 with the reason in err.
static int issue_certificate(struct sim_supervisor *s, long validity_s, int64_t now_s, char *err,
                             size_t err_size) {
    struct sim_device *d = s->device;
    // Accelerated device time runs ahead of the host's clock, by which the local hub checks
    // certificates: notBefore goes back by the lead so that the hub accepts it too.
    // Rounded up, so that notBefore is never after the host's now.
    int64_t lead_s = (sim_clock_lead_ms(&d->clock) + 999) / 1000;
    long backdate = (long)(lead_s < now_s ? lead_s : now_s);
    if (sim_device_cert_issue_backdated(d->tenant_dir, d->device_id, (time_t)now_s, validity_s,
                                        backdate, d->cert_path, err, err_size) != SIM_IDENTITY_OK) {
        return -1;
    }
    d->cert_validity_s = validity_s;
    // In the largest unit that divides it: "24 h", "2 min", "90 s".
    static const struct {
        long seconds;
        const char *unit;
    } units[] = {{3600, "h"}, {60, "min"}, {1, "s"}};
    size_t u = 0;
    while (validity_s % units[u].seconds != 0) {
        u++;
    }
    sim_device_log_os(&s->device->log, "device certificate issued (valid %ld %s)",
                      validity_s / units[u].seconds, units[u].unit);
    return 0;
}

void sim_supervisor_ensure_identity(struct sim_supervisor *s) {
    struct sim_device *d = s->device;
    int64_t now_ms = sim_clock_now_ms(&d->clock);
    int64_t now_s = now_ms / 1000;
    time_t not_before = 0;
    time_t not_after = 0;
    char cn[SIM_DEVICE_ID_LEN + 1];
    char err[512];
    bool have = sim_device_cert_read(d->cert_path, &not_before, &not_after, cn, sizeof(cn), err,
                                     sizeof(err)) == SIM_IDENTITY_OK &&
                strcmp(cn, d->device_id) == 0;
    bool valid = have && not_before <= now_s && now_s < not_after;
    // The device gets a fresh certificate from the cloud only while it is online.
    // Attestation needs a clock the cloud agrees with, so an unsynced device waits for time sync.
    if ((!valid || not_after - now_s <= renew_margin_s(d, not_before, not_after)) &&
        d->network.link_up && d->network.time_synced) {
        if (issue_certificate(s, CERT_VALIDITY_S, now_s, err, sizeof(err)) == 0) {
            have = valid = true;
            (void)sim_device_cert_read(d->cert_path, &not_before, &not_after, NULL, 0, NULL, 0);
        } else {
            sim_device_log_os(&s->device->log, "device certificate not issued: %s", err);
        }
    }
    d->cert_ready = valid;
    schedule_identity_check(s, have, not_before, not_after, now_ms);
}

int sim_supervisor_rotate_cert(struct sim_supervisor *s, long validity_s, char *err,
                               size_t err_size) {
    struct sim_device *d = s->device;
    if (validity_s <= 0) {
        validity_s = CERT_VALIDITY_S;
    }
    if (s->state == SIM_APP_POWERED_OFF) {
        snprintf(err, err_size, "cert rotate: the device is off");
        return -1;
    }
    // As for a renewal: the tenant CA issues only to a device that is online with its time synced.
    if (!d->network.link_up || !d->network.time_synced) {
        snprintf(err, err_size, "cert rotate: the device is %s, so it cannot reach the tenant CA",
                 !d->network.link_up ? "offline" : "not time-synced");
        return -1;
    }
    char reason[512];
    int64_t now_ms = sim_clock_now_ms(&d->clock);
    if (issue_certificate(s, validity_s, now_ms / 1000, reason, sizeof(reason)) != 0) {
        snprintf(err, err_size, "cert rotate: %s", reason);
        sim_device_log_os(&s->device->log, "device certificate not issued: %s", reason);
        return -1;
    }
    // Reschedules the renewal for the new certificate's end.
    sim_supervisor_ensure_identity(s);
    return 0;
}
