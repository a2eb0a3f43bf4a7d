# SPDX-License-Identifier: MIT
# device_app configured for a hub its manifest does not allow: the OS refuses the connection
# (AllowedConnections), the app logs why, backs off with growing delays and keeps running -
# no crash, no restart - and the denial shows in the least-privilege report.
source "$(dirname "$0")/device_app_lib.sh"

hub start >/dev/null
port=$(hub status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')
manifest="$TEST_DIR/app_manifest.json"
python3 - "$SPHERESIM_BUILD_DIR/device_app/device_app.app/app_manifest.json" "$manifest" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["CmdArgs"] = ["--Hostname", "other.azure-devices.net", "--RootCA", "certs/spheresim-hub-ca.pem"]
json.dump(m, open(sys.argv[2], "w"))
PY

# The name resolves (and would reach the hub), so only AllowedConnections stands in the way.
start_app --manifest "$manifest" --map-host "other.azure-devices.net:8883=127.0.0.1:$port"
wait_for_log "app: ERROR: cloud: cannot connect to other.azure-devices.net: .*Permission denied" 20
wait_for_log "app: INFO: cloud: connection attempt failed; retry 1 in [0-9]+ ms" 5
wait_for_log "app: INFO: cloud: connection attempt failed; retry 3 in [0-9]+ ms" 30

# Full jitter between 1 s and 2^n s: each delay within its window, the window doubling.
python3 - "$DEVICE_LOG" <<'PY'
import re, sys
delays = [(int(n), int(ms)) for n, ms in re.findall(r"retry (\d+) in (\d+) ms", open(sys.argv[1]).read())]
assert len(delays) >= 3, delays
for n, ms in delays:
    assert 1000 <= ms <= 1000 * 2 ** n, (n, ms)
print("backoff delays:", delays)
PY
[ "$(status_field 's["app"]["state"]')" = running ] || fail "the app is not running"
[ "$(status_field 's["app"]["restarts"]')" = 0 ] || fail "the app restarted"
method getDiagnostics >/dev/null 2>&1 && fail "the app answered a method without a connection"

stop_device
python3 - "$DEVICE_DIR/records/privilege-report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert any(d["capability"] == "AllowedConnections:other.azure-devices.net" for d in report["denied"]), report
PY
echo PASS
