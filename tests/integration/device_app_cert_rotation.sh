# SPDX-License-Identifier: MIT
# The OS renews the device certificate (valid 24 h, renewed with less than 1 h left); the app
# notices the new certificate before its next connection and authenticates with it. Device time
# runs 7200 times as fast, so a renewal comes about every 12 s.
source "$(dirname "$0")/device_app_lib.sh"

start_app --clock-rate 7200
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30
wait_for_log "os: device certificate issued" 10
issued=$(grep -c "os: device certificate issued" "$DEVICE_LOG")
wait_for_log "os: device certificate issued" 60 $((issued + 1))

# The open connection keeps the certificate it was made with; the next one uses the new one.
hub fault kick "$DEVICE_ID" >/dev/null
wait_for_log "app: INFO: cloud: the device certificate was renewed; using the new one" 30
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2
method getDiagnostics | python3 -c '
import json, sys
answer = json.load(sys.stdin)
assert answer["status"] == 200 and answer["payload"]["connection"]["connected"], answer
'
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
