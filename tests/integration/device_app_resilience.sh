# SPDX-License-Identifier: MIT
# device_app over a longer run with repeated connection drops: the hub kicks the device over
# and over while it sends telemetry every second. The app reconnects every time, nothing is
# lost, user-mode memory (applications.h, through getDiagnostics) does not grow from one
# reconnection to the next, and a throttled hub (429) gets the longer backoff.
source "$(dirname "$0")/device_app_lib.sh"

KICKS=${DEVICE_APP_KICKS:-8}

diagnostics() {
    method getDiagnostics | python3 -c "
import json, sys
p = json.load(sys.stdin)['payload']
print($1)"
}

start_app
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_telemetry 2 20
# One reconnection first, so every one-time allocation (TLS library tables) has happened.
hub fault kick "$DEVICE_ID" >/dev/null
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2
first=$(diagnostics 'p["memory"]["userKB"]')

for i in $(seq "$KICKS"); do
    hub fault kick "$DEVICE_ID" >/dev/null
    wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 $((i + 2))
    sleep 1
done
read -r user peak total connects <<<"$(diagnostics 'p["memory"]["userKB"], p["memory"]["peakUserKB"], p["memory"]["totalKB"], p["connection"]["connects"]')"
echo "memory after $connects connections: user $user KiB (first $first KiB), peak $peak KiB, total $total KiB"
[ "$connects" -ge $((KICKS + 2)) ] || fail "only $connects connections"
# Heap figures move by a few KiB with what is in flight; a leak per connection would add up.
[ "$user" -le $((first + 24)) ] || fail "user-mode memory grew from $first KiB to $user KiB"

# Twin requests past a throttle get 429, and the app waits at least the throttled floor.
# After a reconnection the app sends a GET and a report; each desired patch adds a report. Four
# requests within a moment always put two in the same one-second window.
hub fault throttle --device "$DEVICE_ID" --twin 1 >/dev/null
connected=$(grep -c "app: INFO: cloud: connected to" "$DEVICE_LOG")
hub fault kick "$DEVICE_ID" >/dev/null
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 $((connected + 1))
for period in 2 3 1; do
    hub twin patch "$DEVICE_ID" "{\"telemetryPeriodSeconds\":$period}" >/dev/null
done
wait_for_log "app: INFO: twin: (GET|reported-properties PATCH) answered 429; retrying in [0-9]+ ms" 30
python3 - "$DEVICE_LOG" <<'PY'
import re, sys
delays = [int(ms) for ms in re.findall(r"answered 429; retrying in (\d+) ms", open(sys.argv[1]).read())]
assert delays and all(ms >= 30000 for ms in delays), delays
print("429 backoff:", delays)
PY
hub fault throttle --device "$DEVICE_ID" --twin 0 >/dev/null

hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":3600}' >/dev/null
wait_for_log "app: INFO: twin: telemetry period is now 3600 s" 20
for _ in $(seq 80); do
    depth=$(diagnostics 'p["queueDepth"]')
    [ "$depth" = 0 ] && break
    sleep 0.25
done
[ "$depth" = 0 ] || fail "queue depth $depth"
read -r delivered duplicates <<<"$(check_delivery)" || fail "delivery check failed"
echo "delivered $delivered messages over $connects connections, $duplicates duplicate(s) dropped"
[ "$(status_field 's["app"]["restarts"]')" = 0 ] || fail "the app restarted"
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
