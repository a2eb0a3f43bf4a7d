# SPDX-License-Identifier: MIT
# `spheresim run --hub local` end to end: run starts the local hub (which keeps running), registers
# the device as an X.509 device, maps the hub's name to its port, and puts the hub's CA into the
# device's view of the package. A libmosquitto client in the app then resolves the hub by name,
# verifies the hub's TLS certificate through the map, authenticates with the device certificate
# and gets a PUBACK for telemetry that the hub stores. A name that the certificate does not cover
# fails TLS verification, and a hub missing from AllowedConnections is denied.
source "$(dirname "$0")/lib.sh"

HUB_STATE="$TEST_DIR/hub"
stop_hub() {
    "$SPHERESIM" hub stop --state-dir "$HUB_STATE" >/dev/null 2>&1 || true
    for pid_file in "$HUB_STATE/service.pid" "$HUB_STATE/broker.pid"; do
        if [ -f "$pid_file" ]; then
            kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
        fi
    done
}
trap 'status=$?; set +e; stop_hub; (exit $status); cleanup' EXIT

hub() {
    "$SPHERESIM" hub "$@" --state-dir "$HUB_STATE"
}

# start_hub_device ARGS...: like start_device, with time for run to start the hub first.
start_hub_device() {
    # The probe's MQTT session links all of OpenSSL (device_app trims it to a TLS client), which
    # takes its heap past the device's 256 KiB: the budget is not what this test is about.
    "$SPHERESIM" run "$@" --device-dir "$DEVICE_DIR" --hub local --hub-state-dir "$HUB_STATE" \
        --memory-budget off >>"$DEVICE_LOG" 2>&1 &
    DEVICE_PID=$!
    for _ in $(seq 600); do
        if [ -S "$DEVICE_DIR/ctl.sock" ] && ctl status >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$DEVICE_PID" 2>/dev/null || fail "spheresim run exited early"
        sleep 0.05
    done
    fail "device did not come up within 30 s"
}

# write_manifest FILE TARGET ALLOWED...: a probe manifest for the mqtt mode.
write_manifest() {
    local file=$1 target=$2
    shift 2
    local allowed
    allowed=$(printf '"%s",' "$@")
    cat >"$file" <<EOF
{
  "SchemaVersion": 1, "Name": "probe", "ComponentId": "56200606-01f4-4a70-9f9b-a5d4dd48d090",
  "EntryPoint": "/bin/app", "ApplicationType": "Default",
  "CmdArgs": ["--mode", "mqtt", "--target", "$target", "--ca", "certs/spheresim-hub-ca.pem"],
  "Capabilities": {"AllowedConnections": [${allowed%,}],
                   "DeviceAuthentication": "00000000-0000-0000-0000-000000000000"}
}
EOF
}

expect() {
    grep -qF -- "$1" "$DEVICE_LOG" || fail "no '$1' in the device log"
}

# 1. The hub is not running: run starts it, registers the device, and the app gets through.
write_manifest "$TEST_DIR/good.json" "spheresim.azure-devices.net:8883" "spheresim.azure-devices.net"
start_hub_device "$PROBE_APP" --manifest "$TEST_DIR/good.json"
wait_for_log "PROBE mqtt-done" 30
expect "os: hub: started the local hub spheresim.azure-devices.net"
expect "os: hub: registered device"
expect "PROBE mqtt-connack 0"
expect "PROBE mqtt-puback ok"
stop_device

device_id=$(cat "$DEVICE_DIR/device_id")
hub status >/dev/null || fail "the hub run started is not running after the device stopped"
status_json=$(hub status --json)
HUB_PORT=$(echo "$status_json" | python3 -c "import json,sys; print(json.load(sys.stdin)['port'])")
HUB_CA=$(echo "$status_json" | python3 -c "import json,sys; print(json.load(sys.stdin)['caCertificate'])")
expect "os: net: tcp connect to spheresim.azure-devices.net:8883 -> 127.0.0.1:$HUB_PORT"
hub device list | python3 -c "
import json, sys
devices = {d['deviceId']: d for d in json.load(sys.stdin)}
assert devices['$device_id']['authentication'] == 'x509', devices
" || fail "the device is not registered as an X.509 device"
hub telemetry "$device_id" | grep -F '{"probe":1}' >/dev/null || fail "the hub did not store the telemetry"
cmp -s "$DEVICE_DIR/image/certs/spheresim-hub-ca.pem" "$HUB_CA" ||
    fail "the package view does not hold the hub's CA"
[ ! -e "$PROBE_APP/certs/spheresim-hub-ca.pem" ] || fail "run wrote into the shared package"

# 2. The hub runs: run uses it, registering again is a no-op. A name mapped to the hub but not
# in its certificate fails TLS verification even though the connection itself is allowed.
write_manifest "$TEST_DIR/wrong_name.json" "other.example.test:8883" "other.example.test"
start_hub_device "$PROBE_APP" --manifest "$TEST_DIR/wrong_name.json" \
    --map-host "other.example.test=127.0.0.1:$HUB_PORT"
wait_for_log "PROBE mqtt-done" 30 2
expect "os: hub: using the local hub spheresim.azure-devices.net on 127.0.0.1:$HUB_PORT"
[ "$(grep -cF "os: hub: registered device" "$DEVICE_LOG")" -eq 1 ] || fail "the device was registered twice"
expect "os: net: tcp connect to other.example.test:8883 -> 127.0.0.1:$HUB_PORT"
expect "PROBE mqtt-connect error A TLS error"
[ "$(grep -cF "PROBE mqtt-connack 0" "$DEVICE_LOG")" -eq 1 ] || fail "a client that should fail TLS connected"
stop_device

# 3. The hub is not in AllowedConnections: the connection is denied and reported.
write_manifest "$TEST_DIR/not_allowed.json" "spheresim.azure-devices.net:8883" "elsewhere.example.test"
start_hub_device "$PROBE_APP" --manifest "$TEST_DIR/not_allowed.json"
wait_for_log "PROBE mqtt-done" 30 3
expect "os: denied tcp connect to spheresim.azure-devices.net:8883"
stop_device
grep -qF '"AllowedConnections:spheresim.azure-devices.net"' "$DEVICE_DIR/records/privilege-report.json" ||
    fail "the denial is not in the privilege report: $(cat "$DEVICE_DIR/records/privilege-report.json")"

hub stop >/dev/null || fail "hub stop failed"
echo PASS
