# SPDX-License-Identifier: MIT
# device_app stays within the MT3620's memory budget for a high-level app (256 KiB of user-mode
# memory) through a working session: connect over TLS, telemetry every second, desired-property
# updates, direct methods, C2D messages, a kick by the hub and a broker crash, each followed by
# a fresh TLS handshake. The figures are the app's own, from getDiagnostics, which reads them
# through applications.h; the peak covers the whole run, start-up included.
#
# Under AddressSanitizer the figures come from the sanitizer's allocator (redzones, quarantine,
# its own bookkeeping), so they are not the app's footprint and the budget is not checked there;
# they are still printed.
source "$(dirname "$0")/device_app_lib.sh"

BUDGET_KIB=256

# memory_figures: "totalKB userKB peakUserKB" from getDiagnostics.
memory_figures() {
    method getDiagnostics | python3 -c '
import json, sys
reply = json.load(sys.stdin)
assert reply["status"] == 200, reply
m = reply["payload"]["memory"]
print(m["totalKB"], m["userKB"], m["peakUserKB"])
'
}

start_app
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_telemetry 3 20
read -r total user peak <<<"$(memory_figures)"
echo "after connecting: total ${total} KiB, user ${user} KiB, peak user ${peak} KiB"

# Twin updates, methods and C2D messages: each one a parse, a reply and a publish.
for i in 1 2 3; do
    hub twin patch "$DEVICE_ID" "{\"telemetryPeriodSeconds\":$((i % 2 + 1))}" >/dev/null
    method setLed "{\"led\":\"LED1\",\"on\":$([ $((i % 2)) = 1 ] && echo true || echo false)}" >/dev/null
    hub c2d "$DEVICE_ID" "memory test message $i" --message-id "mem-$i" >/dev/null
done
wait_for_log "app: INFO: C2D message mem-3 " 20

# Two reconnects, each with a new TLS handshake: the hub drops the connection, then the broker
# crashes and comes back.
hub fault kick "$DEVICE_ID" >/dev/null
wait_for_log "app: INFO: cloud: disconnected from spheresim.azure-devices.net" 20
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2
hub fault broker-restart --kill >/dev/null
wait_for_log "app: INFO: cloud: disconnected from spheresim.azure-devices.net" 20 2
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 3
before=$(telemetry_count)
wait_for_telemetry $((before + 3)) 30

read -r total user peak <<<"$(memory_figures)"
echo "after the run: total ${total} KiB, user ${user} KiB, peak user ${peak} KiB" \
    "(budget ${BUDGET_KIB} KiB)"
[ "$(status_field 's["app"]["restarts"]')" = 0 ] || fail "the app restarted"

if grep -q "^SPHERESIM_SANITIZE:BOOL=ON" "$SPHERESIM_BUILD_DIR/CMakeCache.txt" 2>/dev/null; then
    echo "SKIP budget check: under AddressSanitizer the figures are the sanitizer allocator's"
else
    [ "$peak" -lt "$BUDGET_KIB" ] ||
        fail "peak user-mode memory ${peak} KiB is not below the ${BUDGET_KIB} KiB budget"
    [ "$user" -le "$peak" ] || fail "user-mode memory ${user} KiB above the peak ${peak} KiB"
fi
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
