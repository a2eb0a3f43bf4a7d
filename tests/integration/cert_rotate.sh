# SPDX-License-Identifier: MIT
# `spheresim ctl cert rotate`: the tenant CA issues the device a new certificate on demand, by
# default for the usual 24 h, or for --validity. One with a short validity is renewed by the OS
# before it expires (with a quarter of its validity left), as the daily one is with an hour left.
# Bad values are refused with the reason, and an offline device cannot be given a certificate.
source "$(dirname "$0")/lib.sh"

issued() {
    grep -c "os: device certificate issued" "$DEVICE_LOG" || true
}

# The certificate file's validity period in seconds (notAfter - notBefore).
cert_span() {
    local start end
    start=$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -startdate | cut -d= -f2)
    end=$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -enddate | cut -d= -f2)
    echo $(($(date -d "$end" +%s) - $(date -d "$start" +%s)))
}

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_deviceauth.json"
wait_for_log "os: device certificate issued \(valid 24 h\)"
wait_for_log "PROBE deviceauth ready 1"

# A rotation with the default validity: a new 24 h certificate, at once.
before=$(sha256sum <"$DEVICE_DIR/certs/device.pem")
reply=$(ctl cert rotate) || fail "cert rotate refused: $reply"
echo "$reply" | python3 -c '
import json, sys, datetime
c = json.load(sys.stdin)["cert"]
parse = lambda t: datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ")
assert parse(c["not_after"]) - parse(c["not_before"]) == datetime.timedelta(hours=24), c
' || fail "cert rotate reply: $reply"
[ "$(issued)" -eq 2 ] || fail "cert rotate did not issue a certificate"
[ "$(sha256sum <"$DEVICE_DIR/certs/device.pem")" != "$before" ] || fail "the file was not replaced"

# A short one: 2 minutes.
ctl cert rotate --validity 2m >/dev/null || fail "cert rotate --validity 2m refused"
wait_for_log "os: device certificate issued \(valid 2 min\)"
[ "$(cert_span)" -eq 120 ] || fail "a 2 min certificate spans $(cert_span) s"
[ "$(status_field 's["certificate_valid"]')" = True ] || fail "the new certificate is not valid"

# Refusals name what is wrong and change nothing.
count=$(issued)
for args in "--validity 30s" "--validity 366d" "--validity -5m" "--validity soon" "--valid 2m" \
    "renew"; do
    status=0
    # shellcheck disable=SC2086
    err=$(ctl cert rotate $args 2>&1) || status=$?
    [ "$status" -ne 0 ] || fail "cert rotate $args was accepted"
    echo "$err" | grep -qE "validity|expected rotate" || fail "cert rotate $args: unclear error: $err"
done
status=0
err=$(ctl cert 2>&1) || status=$?
[ "$status" -ne 0 ] && echo "$err" | grep -q "expected rotate" || fail "bare ctl cert: $err"
[ "$(issued)" -eq "$count" ] || fail "a refused request issued a certificate"

# Device time 20x: the 2 min certificate is renewed with 30 s left (after 90 s of device time,
# 4.5 s of real time), for the normal 24 h, before it expires.
ctl clock rate 20 >/dev/null
wait_for_log "os: device certificate issued \(valid 24 h\)" 30 3
[ "$(status_field 's["certificate_valid"]')" = True ] || fail "no valid certificate after renewal"
python3 - "$DEVICE_LOG" <<'PY' || fail "the short certificate was not renewed before it expired"
import datetime, re, sys
times = []
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    m = re.match(r"\[([0-9T:.-]+)Z\] os: device certificate issued \(valid (.*)\)", line)
    if m:
        times.append((datetime.datetime.fromisoformat(m.group(1)), m.group(2)))
short = [t for t, v in times if v == "2 min"][-1]
renewed = [t for t, v in times if t > short][0]
gap = (renewed - short).total_seconds()
assert 80 <= gap < 120, gap
PY
ctl clock rate 1 >/dev/null

# Offline, the tenant CA cannot be reached.
ctl net down
count=$(issued)
status=0
err=$(ctl cert rotate 2>&1) || status=$?
[ "$status" -ne 0 ] || fail "cert rotate offline was accepted"
echo "$err" | grep -q "offline" || fail "cert rotate offline: $err"
[ "$(issued)" -eq "$count" ] || fail "a certificate was issued offline"
stop_device || true
echo PASS
