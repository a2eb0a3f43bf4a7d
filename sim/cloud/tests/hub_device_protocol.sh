# SPDX-License-Identifier: MIT
# The device side of the local hub against IoT Hub's rules, with a raw libmosquitto client over
# real TLS: telemetry with property bags, X.509 and SAS authentication, every refusal (CONNACK 5
# for bad credentials, a failed handshake for an untrusted certificate, a closed connection for
# another device's topics, '#', QoS 2, oversized and malformed messages), and proof from a
# privileged observer that nothing a device publishes is routed to other subscribers.
source "$(dirname "$0")/hub_lib.sh"

SPHERESIM_HUB_PLUGIN="$OBSERVER_PLUGIN" start_hub
cert_a=$(hub device add dev-a | json_field certificate)
cert_b=$(hub device add dev-b | json_field certificate)
hub device add dev-s --sas >/dev/null
hub device add dev-t --sas >/dev/null
token_s=$(hub device sas-token dev-s)
token_t=$(hub device sas-token dev-t)
# A certificate from the tenant CA for an id the registry does not hold.
cert_ghost=$TEST_DIR/ghost.pem
cp "$(hub device add ghost | json_field certificate)" "$cert_ghost"
hub device remove ghost >/dev/null

# The observer watches everything for the whole test.
OBSERVED=$TEST_DIR/observed.txt
"$PROBE" --port "$PORT" --cafile "$HUB_CA" --id spheresim-test-observer --username observer \
    --qos 1 subscribe '#' '$iothub/#' 'devices/+/messages/events/#' '$spheresim/consumed' \
    --listen 120 >"$OBSERVED" &
observer_pid=$!
for _ in $(seq 100); do
    [ "$(grep -c '^suback' "$OBSERVED" || true)" -eq 4 ] && break
    sleep 0.05
done
[ "$(grep -c '^suback 1' "$OBSERVED" || true)" -eq 4 ] || fail "observer not subscribed: $(cat "$OBSERVED")"

# X.509 telemetry with a property bag: system and application properties come out decoded and
# apart.
bag='%24.mid=msg-1&%24.ct=application%2Fjson&%24.ce=utf-8&room=kitchen%20east'
out=$(probe_x509 dev-a "$cert_a" publish "devices/dev-a/messages/events/$bag" \
    --message '{"temperature":21.5}')
expect_lines "$out" "connack 0" "puback"
hub telemetry dev-a --json | python3 -c '
import json, sys
m = json.load(sys.stdin)
assert len(m) == 1, m
m = m[0]
s, p = m["systemProperties"], m["properties"]
assert s["message-id"] == "msg-1", s
assert s["content-type"] == "application/json", s
assert s["content-encoding"] == "utf-8", s
assert s["iothub-connection-device-id"] == "dev-a", s
assert s["iothub-message-source"] == "Telemetry", s
assert p == {"room": "kitchen east"}, p
assert m["body"] == "{\"temperature\":21.5}" and m["bodyEncoding"] == "utf-8", m
assert m["enqueuedTime"].endswith("Z") and len(m["enqueuedTime"]) == 24, m
' || fail "telemetry of dev-a not stored as expected: $(hub telemetry dev-a --json)"

# SAS device on the same port.
out=$(probe_sas dev-s "$token_s" publish "devices/dev-s/messages/events/" --message hi)
expect_lines "$out" "connack 0" "puback"
[ "$(telemetry_count dev-s)" = 1 ] || fail "dev-s telemetry not stored"

# Refused at CONNECT with "not authorised" (5), as IoT Hub answers bad credentials.
refused() {
    local what=$1
    shift
    local out
    out=$("$@" connect)
    [ "$out" = "connack 5" ] || fail "$what: expected 'connack 5', got '$out'"
}
refused "certificate of dev-a as dev-b" \
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_a" --key "$cert_a" --id dev-b \
    --username "$(username dev-b)"
refused "username naming another device" \
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_a" --key "$cert_a" --id dev-a \
    --username "$(username dev-b)"
refused "unregistered device" probe_x509 ghost "$cert_ghost"
refused "X.509 device without a certificate" \
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --id dev-a --username "$(username dev-a)"
refused "no username" \
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_a" --key "$cert_a" --id dev-a
refused "expired SAS token" probe_sas dev-s "$(hub device sas-token dev-s --expiry-seconds -60)"
refused "another device's SAS token" probe_sas dev-t "$token_s"
refused "SAS device without a token" \
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --id dev-s --username "$(username dev-s)"
# Connection history in the store: connects, disconnects and refusals of registered devices.
events() {
    python3 - "$STATE/hub.db" "$1" "$2" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
print(db.execute("SELECT count(*) FROM connection_events WHERE device_id=? AND event=?",
                 (sys.argv[2], sys.argv[3])).fetchone()[0])
EOF
}
[ "$(events dev-a refused)" -ge 3 ] || fail "refused connections of dev-a not recorded"
[ "$(events dev-s connected)" -ge 1 ] || fail "dev-s connection not recorded"
[ "$(events dev-s disconnected)" -ge 1 ] || fail "dev-s disconnection not recorded"
[ "$(events ghost refused)" -eq 0 ] || fail "an unregistered id got a connection history"

# A certificate the tenant CA did not issue fails the TLS handshake: no CONNACK at all.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
    -subj /CN=dev-a -keyout "$TEST_DIR/self.pem" -out "$TEST_DIR/self.crt" 2>/dev/null
cat "$TEST_DIR/self.crt" >>"$TEST_DIR/self.pem"
out=$(probe_x509 dev-a "$TEST_DIR/self.pem" connect)
case "$out" in no-connack*) ;; *) fail "self-signed certificate: expected no CONNACK, got '$out'" ;; esac

# Another device's topics, '#', DPS topics on a hub connection, QoS 2, oversized and malformed
# messages: the hub closes the connection and stores nothing.
closed() {
    local what=$1
    shift
    local out
    out=$("$@")
    expect_lines "$out" "connack 0" "closed"
    # "sent" is only the client's own record of a QoS 0 publish; the broker never acknowledges it.
    if echo "$out" | grep -qE '^(puback|suback [01])$'; then
        fail "$what: acknowledged before closing: $out"
    fi
}
closed "publish to dev-b's telemetry" probe_x509 dev-a "$cert_a" publish devices/dev-b/messages/events/
closed "QoS 0 publish to dev-b's telemetry" \
    probe_x509 dev-a "$cert_a" --qos 0 publish devices/dev-b/messages/events/
[ "$(telemetry_count dev-b)" = 0 ] || fail "telemetry published to dev-b's topic was stored"
closed "subscribe #" probe_x509 dev-a "$cert_a" subscribe '#'
closed "subscribe to dev-a's telemetry as dev-b" \
    probe_x509 dev-b "$cert_b" subscribe 'devices/dev-a/messages/events/#'
closed "subscribe to dev-b's C2D as dev-a" \
    probe_x509 dev-a "$cert_a" subscribe 'devices/dev-b/messages/devicebound/#'
closed "DPS responses on a hub connection" probe_x509 dev-a "$cert_a" subscribe '$dps/registrations/res/#'
closed "unknown topic" probe_x509 dev-a "$cert_a" publish 'devices/dev-a/messages/events'
closed "QoS 2 publish" probe_x509 dev-a "$cert_a" --qos 2 publish devices/dev-a/messages/events/
closed "257 KB message" probe_x509 dev-a "$cert_a" publish devices/dev-a/messages/events/ \
    --size $((256 * 1024 + 1))
closed "malformed property bag" probe_x509 dev-a "$cert_a" publish 'devices/dev-a/messages/events/a=%zz'
[ "$(telemetry_count dev-a)" = 1 ] || fail "a refused message of dev-a was stored"

# Exactly 256 KB is accepted.
out=$(probe_x509 dev-a "$cert_a" publish devices/dev-a/messages/events/ --size $((256 * 1024)))
expect_lines "$out" "connack 0" "puback"

# The device's own filters are granted, QoS 2 downgraded to 1 as IoT Hub does.
out=$(probe_x509 dev-a "$cert_a" --qos 2 subscribe 'devices/dev-a/messages/devicebound/#')
expect_lines "$out" "connack 0" "suback 1"
out=$(probe_x509 dev-a "$cert_a" subscribe '$iothub/twin/res/#' '$iothub/methods/POST/#' \
    '$iothub/twin/PATCH/properties/desired/#')
expect_lines "$out" "connack 0" "suback 1" "suback 1" "suback 1"

# RETAIN is forwarded as the mqtt-retain property, and nothing is retained by the broker.
out=$(probe_x509 dev-a "$cert_a" --retain publish devices/dev-a/messages/events/ --message kept)
expect_lines "$out" "connack 0" "puback"
hub telemetry dev-a --json | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin) if x["body"] == "kept"]
assert len(m) == 1 and m[0]["properties"].get("mqtt-retain") == "true", m
' || fail "retained telemetry lacks mqtt-retain"
late=$("$PROBE" --port "$PORT" --cafile "$HUB_CA" --id spheresim-test-observer-late \
    --username observer subscribe 'devices/+/messages/events/#' --listen 1)
if echo "$late" | grep -q '^message'; then
    fail "the broker kept a retained device message: $late"
fi

# A twin request is consumed by the hub, not routed (its answer goes only to the device, and
# this one did not subscribe for answers).
out=$(probe_x509 dev-a "$cert_a" publish '$iothub/twin/GET/?$rid=1' --message '')
expect_lines "$out" "connack 0" "puback"

# A second connection of a device drops the first.
first=$TEST_DIR/first.txt
probe_x509 dev-a "$cert_a" subscribe 'devices/dev-a/messages/devicebound/#' --listen 10 >"$first" &
first_pid=$!
for _ in $(seq 100); do
    grep -q '^suback' "$first" && break
    sleep 0.05
done
out=$(probe_x509 dev-a "$cert_a" connect)
expect_lines "$out" "connack 0"
wait "$first_pid"
expect_lines "$(cat "$first")" "connack 0" "suback 1" "closed"

# MQTT 5: what the hub took is acknowledged with a success reason (0, or 16: no matching
# subscribers), never 135 (not authorised), and it is stored.
out=$(script_x509 dev-a "$cert_a" --protocol 5 pub devices/dev-a/messages/events/ v5-body \
    pub '$iothub/twin/GET/?$rid=v5' '')
expect_lines "$out" "connack 0"
reasons=$(printf '%s\n' "$out" | sed -n 's/^puback reason //p')
[ "$(printf '%s\n' "$reasons" | grep -cE '^(0|16)$')" = 2 ] ||
    fail "MQTT 5 PUBACKs for accepted messages: $out"
hub telemetry dev-a | grep " v5-body$" >/dev/null || fail "MQTT 5 telemetry not stored"

# Nothing any device sent reached the observer.
kill -0 "$observer_pid" 2>/dev/null || fail "the observer's connection ended early: $(cat "$OBSERVED")"
kill "$observer_pid" 2>/dev/null || true
wait "$observer_pid" 2>/dev/null || true
if grep -q '^message' "$OBSERVED"; then
    fail "device messages were routed to a subscriber: $(grep '^message' "$OBSERVED" | head -5)"
fi
finish
