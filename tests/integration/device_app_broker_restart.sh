# SPDX-License-Identifier: MIT
# device_app survives its hub going away: the broker is killed (a crash) and restarted, then
# stopped for several seconds and started again. The app reconnects each time, and every
# telemetry message it produced - before, during and after the outages - reaches the hub: after
# dropping duplicates by $.mid, the sequence numbers run from 1 without a gap, in order.
source "$(dirname "$0")/device_app_lib.sh"

start_app
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_telemetry 3 20

# A crash: connections drop without a goodbye, unacknowledged messages must be sent again.
hub fault broker-restart --kill >/dev/null
wait_for_log "app: INFO: cloud: disconnected from spheresim.azure-devices.net" 20
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2

# An outage long enough for messages to pile up in the queue and for retries to fail.
before=$(telemetry_count)
hub stop >/dev/null
wait_for_log "app: INFO: cloud: disconnected from spheresim.azure-devices.net" 20 2
wait_for_log "app: ERROR: cloud: (cannot connect to|connection to) spheresim.azure-devices.net" 20
sleep 4
hub start >/dev/null
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 60 3
wait_for_telemetry $((before + 5)) 30

# Stop producing, let the queue drain, then check what the hub holds.
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":3600}' >/dev/null
wait_for_log "app: INFO: twin: telemetry period is now 3600 s" 20
for _ in $(seq 80); do
    depth=$(method getDiagnostics | python3 -c 'import json,sys; print(json.load(sys.stdin)["payload"]["queueDepth"])')
    [ "$depth" = 0 ] && break
    sleep 0.25
done
[ "$depth" = 0 ] || fail "queue depth $depth after reconnecting"
read -r delivered duplicates <<<"$(check_delivery)" || fail "delivery check failed"
echo "delivered $delivered messages, $duplicates duplicate(s) dropped"
[ "$delivered" -ge $((before + 5)) ] || fail "only $delivered messages"
# The app never restarted: it rode out the outages.
[ "$(status_field 's["app"]["restarts"]')" = 0 ] || fail "the app restarted"
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
