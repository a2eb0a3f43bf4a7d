# SPDX-License-Identifier: MIT
# device_app's TLS client refuses servers it must not trust, whatever is done to keep its memory
# small (device_app/mqtt_tls.c): the local hub is reached, but with trust roots that do not
# include the hub's CA, or under a host name its certificate does not carry, the handshake fails
# and the app never reports a connection. A server offering only TLS 1.1 is refused as well.
source "$(dirname "$0")/device_app_lib.sh"

# manifest_with HOSTNAME ROOTCA: prints the path of a copy of the app's manifest with those
# command-line arguments, HOSTNAME allowed in AllowedConnections.
manifest_with() {
    local out="$TEST_DIR/manifest-$RANDOM.json"
    python3 - "$SPHERESIM_BUILD_DIR/device_app/device_app.app/app_manifest.json" "$out" "$1" "$2" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
m["CmdArgs"] = ["--Hostname", sys.argv[3], "--RootCA", sys.argv[4]]
if sys.argv[3] not in m["Capabilities"]["AllowedConnections"]:
    m["Capabilities"]["AllowedConnections"].append(sys.argv[3])
json.dump(m, open(sys.argv[2], "w"))
PY
    echo "$out"
}

# expect_refused PATTERN: the app failed to connect twice, logging PATTERN, and never connected.
expect_refused() {
    wait_for_log "app: INFO: cloud: connection attempt failed; retry 2 in [0-9]+ ms" 30
    grep -qE -- "$1" "$DEVICE_LOG" || fail "no '$1' in the device log"
    ! grep -q "app: INFO: cloud: connected to" "$DEVICE_LOG" || fail "the app connected"
    stop_device || true
    grep -m1 "app: ERROR" "$DEVICE_LOG" || true
    rm -rf "$DEVICE_DIR"
    : >"$DEVICE_LOG"
}

# legacy.azure-devices.net: a name the hub's certificate carries, for the TLS 1.1 server below.
hub start --san legacy.azure-devices.net >/dev/null
port=$(hub status --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["port"])')

# The public Azure roots the image package carries do not include the local hub's CA.
start_app --manifest "$(manifest_with spheresim.azure-devices.net certs/azure-iot-roots.pem)"
expect_refused "app: ERROR: cloud: (cannot connect to|connection to) spheresim.azure-devices.net.*TLS error"
echo "refused: a server whose CA is not trusted"

# A name the manifest allows and that reaches the hub, but that its certificate does not carry.
name=impostor.azure-devices.net
start_app --manifest "$(manifest_with $name certs/spheresim-hub-ca.pem)" \
    --map-host "$name:8883=127.0.0.1:$port"
expect_refused "app: ERROR: cloud: (cannot connect to|connection to) $name.*TLS error"
echo "refused: a certificate for another host name"

# The hub's own certificate, but served over TLS 1.1 only (allowed on the server side by
# security level 0; -www keeps it serving without a terminal). Were the handshake to succeed, the
# app would get an HTTP answer to its CONNECT instead of a TLS error.
SERVER_LOG="$TEST_DIR/s_server.log"
# Created here: the background job's own redirection may come after the first read below, and a
# sed on a missing file would end the script under set -e.
: >"$SERVER_LOG"
openssl s_server -accept 127.0.0.1:0 -www -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' \
    -cert "$HUB_STATE_DIR/pki/server.pem" -key "$HUB_STATE_DIR/pki/server.key" \
    </dev/null >"$SERVER_LOG" 2>&1 &
SERVER_PID=$!
# Stopped first, keeping the exit status for the usual cleanup.
trap 'rc=$?; kill "$SERVER_PID" 2>/dev/null || true; (exit $rc); device_app_cleanup' EXIT
old_port=""
for _ in $(seq 100); do
    old_port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$SERVER_LOG")
    [ -n "$old_port" ] && break
    sleep 0.05
done
[ -n "$old_port" ] || fail "openssl s_server did not start: $(cat "$SERVER_LOG")"
start_app --manifest "$(manifest_with legacy.azure-devices.net certs/spheresim-hub-ca.pem)" \
    --map-host "legacy.azure-devices.net:8883=127.0.0.1:$old_port"
expect_refused "app: ERROR: cloud: (cannot connect to|connection to) legacy.azure-devices.net.*TLS error"
echo "refused: a server that speaks TLS 1.1 at most"
echo PASS
