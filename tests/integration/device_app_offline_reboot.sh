# SPDX-License-Identifier: MIT
# Telemetry produced offline survives reboots: with the network down the device reboots, the
# app queues readings in mutable storage, the device reboots again (still offline), and once
# the network is back every queued message reaches the hub, once each and in order.
source "$(dirname "$0")/device_app_lib.sh"

start_app
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_telemetry 2 20
online=$(telemetry_count)

ctl net down >/dev/null
# The open connection is not cut by `net down`; a reboot ends it, and the app comes back to a
# device without network.
ctl reboot >/dev/null
wait_for_log "app: INFO: boot count 2" 20
wait_for_log "app: INFO: cloud: waiting for the network" 10
# Offline, the period is the app's default (10 s) until it reads the twin again.
sleep 12
ctl reboot >/dev/null
wait_for_log "app: INFO: boot count 3" 20
wait_for_log "app: INFO: telemetry queue recovered: [1-9][0-9]* message\(s\) waiting" 10
sleep 12
[ "$(telemetry_count)" -le $((online + 2)) ] || fail "messages reached the hub while offline"

ctl net up >/dev/null
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2
wait_for_log "app: INFO: telemetry: sending [0-9]+ queued message\(s\)" 10
queued=$(grep -oE "telemetry: sending [0-9]+" "$DEVICE_LOG" | tail -1 | grep -oE "[0-9]+$")
[ "$queued" -ge 2 ] || fail "only $queued message(s) were queued over two offline boots"
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":3600}' >/dev/null
wait_for_log "app: INFO: twin: telemetry period is now 3600 s" 20
for _ in $(seq 80); do
    depth=$(method getDiagnostics | python3 -c 'import json,sys; print(json.load(sys.stdin)["payload"]["queueDepth"])')
    [ "$depth" = 0 ] && break
    sleep 0.25
done
[ "$depth" = 0 ] || fail "queue depth $depth after reconnecting"
read -r delivered duplicates <<<"$(check_delivery)" || fail "delivery check failed"
echo "delivered $delivered messages ($queued queued offline), $duplicates duplicate(s) dropped"
[ "$delivered" -ge $((online + queued)) ] || fail "only $delivered messages delivered"
wait_for_reported 'r["lastBootReason"]' stoppedByOs
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
