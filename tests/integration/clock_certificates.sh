# SPDX-License-Identifier: MIT
# The device clock and the device certificate. A device that boots offline has an unsynced clock
# that starts from the OS image's build time (2026-01-01T00:00:00Z) until the link comes up. The
# OS issues and renews the 24 h certificate by device time: a jump past expiry with the network
# down leaves it expired until the network returns (and the time sync puts the clock back); a
# jump with the network up renews it at once, valid from the jumped-to time; a jump back before
# notBefore makes it not yet valid. Accelerated, it is renewed every 23 h of device time and
# stays acceptable by the host's clock (notBefore is backdated by the acceleration's lead).
source "$(dirname "$0")/lib.sh"

clock_field() {
    ctl clock | python3 -c "import json,sys; c=json.load(sys.stdin); print($1)"
}

cert_start() {
    date -d "$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -startdate | cut -d= -f2)" +%s
}

issued() {
    grep -c "os: device certificate issued" "$DEVICE_LOG" || true
}

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_deviceauth.json" --network-down
wait_for_log "os: boot: device .*, network down"
grep -qE '^\[2026-01-01T00:00:0.\.[0-9]{3}Z\] os: boot' "$DEVICE_LOG" ||
    fail "an offline boot does not start the clock from 2026-01-01T00:00:00Z"
[ "$(clock_field 'c["synced"]')" = False ] || fail "synced without a network: $(ctl clock)"
[ "$(clock_field 'c["device_time"][:10]')" = 2026-01-01 ] || fail "unsynced clock: $(ctl clock)"
wait_for_log "PROBE deviceauth ready 0"

host_before=$(date +%s)
ctl net up
wait_for_log "os: clock synced \(it was -"
wait_for_log "PROBE deviceauth ready 1"
[ "$(clock_field 'c["synced"], c["offset_ms"]')" = "True 0" ] || fail "not synced: $(ctl clock)"
[ "$(cert_start)" -ge $((host_before - 2)) ] || fail "certificate issued before the sync"
[ "$(issued)" -eq 1 ] || fail "expected one certificate"

# Offline, a jump past the 24 h validity: expired, and nothing can renew it.
ctl net down
ctl clock jump +25h >/dev/null
wait_for_status 's["certificate_valid"]' False
[ "$(issued)" -eq 1 ] || fail "a certificate was issued offline"
# The network returns: time sync puts the clock back, and the same certificate is valid again.
ctl net up
wait_for_log "os: clock synced \(it was \+1d1h"
wait_for_status 's["certificate_valid"]' True
[ "$(issued)" -eq 1 ] || fail "a valid certificate was renewed"

# Online, the same jump: the OS renews at once, by device time.
ctl clock jump +25h >/dev/null
wait_for_log "os: device certificate issued" 10 2
wait_for_status 's["certificate_valid"]' True
[ "$(cert_start)" -ge $((host_before + 25 * 3600 - 2)) ] ||
    fail "the renewed certificate does not start at device time"

# Offline, back before that certificate's notBefore: not yet valid.
ctl net down
ctl clock jump -2d >/dev/null
wait_for_status 's["certificate_valid"]' False
ctl net up
wait_for_log "os: device certificate issued" 10 3
wait_for_status 's["certificate_valid"]' True

# Accelerated: 23 h of device time (up to the renewal margin) pass in about 8 s. The OS renews
# at the device time the margin begins, not at its next real-time check (60 s of real time would
# be a week of device time), so the renewal comes before the old certificate expires.
old_end=$(date -d "$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -enddate | cut -d= -f2)" +%s)
ctl clock rate 10000 >/dev/null
wait_for_log "os: device certificate issued" 60 4
renewed_at=$(grep "os: device certificate issued" "$DEVICE_LOG" | tail -n 1 | cut -c2-20)
[ "$(date -u -d "$renewed_at" +%s)" -lt "$old_end" ] ||
    fail "renewed at device time $renewed_at, after the old certificate expired"
[ "$(clock_field 'c["lead_ms"] > 3600000')" = True ] || fail "no lead: $(ctl clock)"
# Backdated by the lead, the certificate is valid by the host's clock as well, as the hub checks.
openssl verify -CAfile "$SPHERESIM_HOME/tenant/ca.pem" "$DEVICE_DIR/certs/device.pem" >/dev/null ||
    fail "the certificate issued under acceleration is not valid by the host's clock"
ctl clock rate 1 >/dev/null

# The tenant CA is backdated a year, so a device clock set before it was made still verifies.
ca_start=$(date -d "$(openssl x509 -in "$SPHERESIM_HOME/tenant/ca.pem" -noout -startdate | cut -d= -f2)" +%s)
[ "$ca_start" -le $((host_before - 364 * 86400)) ] || fail "the tenant CA is not backdated"
stop_device
echo PASS
