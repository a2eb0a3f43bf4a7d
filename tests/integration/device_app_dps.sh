# SPDX-License-Identifier: MIT
# device_app with --ScopeID: it provisions through the local DPS (an X.509 enrollment group of
# the tenant CA), polls until DPS assigns the hub, connects there and sends telemetry. Without
# an enrollment DPS refuses, and the app logs it and backs off.
source "$(dirname "$0")/device_app_lib.sh"

hub start >/dev/null
manifest="$TEST_DIR/app_manifest.json"
python3 - "$SPHERESIM_BUILD_DIR/device_app/device_app.app/app_manifest.json" "$manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["CmdArgs"] = ["--ScopeID", "0ne00AB12CD", "--RootCA", "certs/spheresim-hub-ca.pem"]
json.dump(m, open(sys.argv[2], "w"))
PY

# No enrollment yet: DPS turns the device away, and the app keeps trying.
start_app --manifest "$manifest"
wait_for_log "app: INFO: DPS: connecting to global.azure-devices-provisioning.net" 20
wait_for_log "app: ERROR: cloud: provisioning failed: " 20
wait_for_log "app: INFO: cloud: provisioning failed; retry 1 in [0-9]+ ms" 5

hub enrollment group add fleet --x509 >/dev/null
wait_for_log "app: INFO: cloud: DPS assigned hub spheresim.azure-devices.net" 60
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_telemetry 2 20
stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
echo PASS
