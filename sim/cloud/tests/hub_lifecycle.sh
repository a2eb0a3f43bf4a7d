# SPDX-License-Identifier: MIT
# `spheresim hub` end to end with the production plugin: status before start, start (PKI, config,
# loopback port, service token, the HTTP service process), start again, the device registry (add, duplicate, list, SAS tokens, remove), a
# device's telemetry through the real broker, stop, status after stop, and a restart that keeps
# the port, the registry and the telemetry.
source "$(dirname "$0")/hub_lib.sh"

# Before the first start: not running, exit status 3, and JSON that says so.
status=0
out=$(hub status --json) || status=$?
[ "$status" -eq 3 ] || fail "status before start exited $status, expected 3"
[ "$(echo "$out" | json_field running)" = "False" ] || fail "status before start: $out"

start_hub --san myhub.example.test
pid=$(hub status --json | json_field pid)
service_pid=$(hub status --json | json_field servicePid)
http_port=$(hub status --json | json_field httpPort)
case "$http_port" in '' | *[!0-9]*) fail "no httpPort in hub status: $(hub status --json)" ;; esac
[ "$(stat -c %a "$STATE/service.token")" = 600 ] || fail "service.token is not private"
grep -qxE '[0-9a-f]{64}' "$STATE/service.token" || fail "service.token is not 64 hex digits"
python3 - "$http_port" <<'PY' || fail "the HTTP service does not answer on $http_port"
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:%s/spheresim/health" % sys.argv[1], timeout=5) as r:
    sys.exit(0 if r.status == 200 else 1)
PY
for f in pki/ca.pem pki/ca.key pki/server.pem pki/server.key mosquitto.conf hub.db hub.json \
    broker.pid broker.log; do
    [ -f "$STATE/$f" ] || fail "missing $STATE/$f after start"
done
[ -f "$SPHERESIM_HOME/tenant/ca.pem" ] || fail "hub start did not create the tenant CA"
grep -qx "listener $PORT 127.0.0.1" "$STATE/mosquitto.conf" || fail "listener not on loopback"
grep -qx "max_qos 1" "$STATE/mosquitto.conf" || fail "max_qos 1 missing"
sans=$(openssl x509 -in "$STATE/pki/server.pem" -noout -ext subjectAltName)
for name in DNS:localhost "IP Address:127.0.0.1" "DNS:$HUB_HOST" \
    DNS:global.azure-devices-provisioning.net DNS:myhub.example.test; do
    echo "$sans" | grep -qF "$name" || fail "server certificate lacks $name: $sans"
done
openssl verify -CAfile "$HUB_CA" "$STATE/pki/server.pem" >/dev/null ||
    fail "server certificate does not verify against the hub CA"

# Starting again leaves the running broker alone.
out=$(hub start) || fail "second start failed"
echo "$out" | grep -q "already running" || fail "second start did not say already running: $out"
[ "$(hub status --json | json_field pid)" = "$pid" ] || fail "second start replaced the broker"
[ "$(hub status --json | json_field servicePid)" = "$service_pid" ] ||
    fail "second start replaced the service process"
# A service process that died comes back with the next start, on the same port.
kill "$service_pid"
for _ in $(seq 100); do
    process_alive "$service_pid" || break
    sleep 0.05
done
hub start >/dev/null || fail "start with the service process gone failed"
[ "$(hub status --json | json_field pid)" = "$pid" ] || fail "restarting the service replaced the broker"
new_service_pid=$(hub status --json | json_field servicePid)
[ "$new_service_pid" != "$service_pid" ] && [ "$new_service_pid" != None ] ||
    fail "the service process was not started again"
[ "$(hub status --json | json_field httpPort)" = "$http_port" ] || fail "the service changed port"
service_pid=$new_service_pid

# Registry: an X.509 device gets a tenant-CA certificate with CN = its id.
out=$(hub device add dev-1 --x509)
[ "$(echo "$out" | json_field authentication)" = "x509" ] || fail "device add: $out"
[ "$(echo "$out" | json_field port)" = "$PORT" ] || fail "device add printed the wrong port: $out"
[ "$(echo "$out" | json_field caCertificate)" = "$HUB_CA" ] || fail "device add CA: $out"
cert=$(echo "$out" | json_field certificate)
openssl x509 -in "$cert" -noout -subject | grep "CN = dev-1" >/dev/null || fail "certificate CN is not dev-1"
openssl verify -CAfile "$SPHERESIM_HOME/tenant/ca.pem" "$cert" >/dev/null ||
    fail "device certificate not issued by the tenant CA"

status=0
err=$(hub device add dev-1 2>&1 >/dev/null) || status=$?
[ "$status" -ne 0 ] || fail "duplicate device add succeeded"
echo "$err" | grep -q "dev-1" || fail "duplicate add error does not name the device: $err"
status=0
hub device add 'bad/id' >/dev/null 2>&1 || status=$?
[ "$status" -eq 2 ] || fail "invalid device id exited $status, expected 2"

out=$(hub device add dev-2 --sas)
[ -n "$(echo "$out" | json_field primaryKey)" ] || fail "SAS device without a key: $out"
token=$(hub device sas-token dev-2)
case "$token" in "SharedAccessSignature sr="*) ;; *) fail "not a SAS token: $token" ;; esac
if hub device sas-token dev-1 >/dev/null 2>&1; then
    fail "sas-token for an X.509 device succeeded"
fi
[ "$(hub device list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" = 2 ] ||
    fail "device list does not hold two devices"

# Both kinds of device through the production plugin, on the one TLS port.
out=$(probe_x509 dev-1 "$cert" publish "devices/dev-1/messages/events/" --message one)
expect_lines "$out" "connack 0" "puback"
out=$(probe_sas dev-2 "$token" publish "devices/dev-2/messages/events/" --message two)
expect_lines "$out" "connack 0" "puback"
[ "$(telemetry_count dev-1)" = 1 ] || fail "dev-1 telemetry not stored"
hub telemetry dev-1 | grep " one$" >/dev/null || fail "plain telemetry listing lacks the body"

# Stop: the broker is gone and status says so with exit 3; stopping again is harmless.
hub stop >/dev/null || fail "hub stop failed"
if process_alive "$pid"; then
    fail "broker $pid still running after stop"
fi
if process_alive "$service_pid"; then
    fail "service process $service_pid still running after stop"
fi
[ ! -e "$STATE/service.json" ] || fail "service.json left behind after stop"
status=0
hub status >/dev/null || status=$?
[ "$status" -eq 3 ] || fail "status after stop exited $status, expected 3"
hub stop >/dev/null || fail "second stop failed"

# Restart: same port, registry and telemetry survive.
old_port=$PORT
start_hub
[ "$PORT" = "$old_port" ] || fail "restart moved the hub from port $old_port to $PORT"
[ "$(hub status --json | json_field httpPort)" = "$http_port" ] ||
    fail "restart moved the service API from port $http_port"
[ "$(telemetry_count dev-1)" = 1 ] || fail "telemetry lost across restart"
out=$(probe_x509 dev-1 "$cert" connect)
expect_lines "$out" "connack 0"

# Removing a device refuses its next connection.
hub device remove dev-2 >/dev/null || fail "device remove failed"
if hub device remove dev-2 >/dev/null 2>&1; then
    fail "removing a removed device succeeded"
fi
out=$(probe_sas dev-2 "$token" connect)
expect_lines "$out" "connack 5"

# A port in use is refused with one line, and leaves no broker behind.
status=0
err=$("$SPHERESIM" hub start --port "$PORT" --state-dir "$TEST_DIR/other" 2>&1) || status=$?
[ "$status" -eq 1 ] || fail "start on a used port exited $status"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "error is not one line: $err"
echo "$err" | grep -q "in use" || fail "error does not say the port is in use: $err"
[ ! -f "$TEST_DIR/other/broker.pid" ] || fail "a failed start left a pid file"

# An explicit free port is used as given.
hub stop >/dev/null
free_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
start_hub --port "$free_port"
[ "$PORT" = "$free_port" ] || fail "--port $free_port ignored (got $PORT)"
finish
