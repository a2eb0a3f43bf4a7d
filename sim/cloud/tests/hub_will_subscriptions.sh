# SPDX-License-Identifier: MIT
# Device sessions against IoT Hub's rules, through the real broker with the observer plugin:
# a Will on the device's telemetry topic is forwarded as telemetry marked iothub-MessageType=Will
# when the connection drops without DISCONNECT (also when a new connection replaces it) and is
# never routed to subscribers; a DISCONNECT sends no will; a CONNECT with a will on any other
# topic is refused, as IoT Hub does (mosquitto 2.0 shows a plugin no will at CONNECT: the TLS
# shim in the broker reads it from the CONNECT packet, see sim/cloud/README.md). Then the five
# subscriptions a device may hold: re-subscribing takes no
# new slot, and an unsubscribe is seen (C2D still flows through the filter that is left).
source "$(dirname "$0")/hub_lib.sh"

SPHERESIM_HUB_PLUGIN="$OBSERVER_PLUGIN" start_hub
cert=$(hub device add dev-w | json_field certificate)
EVENTS='devices/dev-w/messages/events/'

OBSERVED=$TEST_DIR/observed.txt
"$PROBE" --port "$PORT" --cafile "$HUB_CA" --id spheresim-test-observer --username observer \
    --qos 1 subscribe '#' 'devices/+/messages/events/#' --listen 60 >"$OBSERVED" &
observer_pid=$!
wait_for "$OBSERVED" '^suback' 2

# wait_telemetry DEVICE COUNT: until the hub holds COUNT messages of DEVICE (a dropped connection
# is noticed by the broker a moment after the client is gone).
wait_telemetry() {
    for _ in $(seq 100); do
        [ "$(telemetry_count "$1")" -ge "$2" ] && return 0
        sleep 0.05
    done
    fail "$1 has $(telemetry_count "$1") messages, expected $2: $(hub telemetry "$1" --json)"
}

# bodies DEVICE: "body:messageType" per stored message, one a line.
bodies() {
    hub telemetry "$1" --json | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    print("%s:%s" % (m["body"], m["properties"].get("iothub-MessageType", "-")))'
}

# ---- Will ----

out=$(script_x509 dev-w "$cert" --will-topic "${EVENTS}state=offline" --will-message bye \
    pub "$EVENTS" hello drop)
expect_lines "$out" "connack 0" "puback" "dropped"
wait_telemetry dev-w 2
expect_lines "$(bodies dev-w)" "hello:-" "bye:Will"
hub telemetry dev-w --json | python3 -c '
import json, sys
m = [x for x in json.load(sys.stdin) if x["body"] == "bye"][0]
assert m["properties"] == {"iothub-MessageType": "Will", "state": "offline"}, m
assert m["systemProperties"]["iothub-connection-device-id"] == "dev-w", m
' || fail "the forwarded will lacks its properties: $(hub telemetry dev-w --json)"

# A DISCONNECT means no will.
out=$(script_x509 dev-w "$cert" --will-topic "$EVENTS" --will-message unwanted pub "$EVENTS" two)
expect_lines "$out" "connack 0" "puback"
sleep 0.5
expect_lines "$(bodies dev-w)" "hello:-" "bye:Will" "two:-"
[ "$(telemetry_count dev-w)" = 3 ] || fail "a will was sent after DISCONNECT: $(bodies dev-w)"

# A new connection replaces one that had a will: the old connection's will goes out.
script_x509_bg "$TEST_DIR/old.txt" dev-w "$cert" --will-topic "$EVENTS" --will-message replaced \
    wait 20
old_pid=$BG_PID
wait_for "$TEST_DIR/old.txt" '^connack 0'
out=$(script_x509 dev-w "$cert" pub "$EVENTS" three)
expect_lines "$out" "connack 0" "puback"
wait_for "$TEST_DIR/old.txt" '^closed'
stop_bg "$old_pid"
wait_telemetry dev-w 5
expect_lines "$(bodies dev-w)" "two:-" "replaced:Will"

# A will anywhere else: IoT Hub refuses the CONNECT, with the reason in the connection history.
for topic in 'devices/dev-w/status' 'devices/dev-x/messages/events/' '$iothub/twin/GET/?$rid=1'; do
    out=$(script_x509 dev-w "$cert" --will-topic "$topic" --will-message stray drop)
    [ "$out" = "connack 5" ] || fail "a CONNECT with a will on $topic was not refused: $out"
done
answer=$(svc connection-state '{"deviceId":"dev-w"}')
check "$answer" '[e["event"] for e in d["body"]["events"][:3]] == ["refused"] * 3' \
    "refused CONNECTs in the history"
check "$answer" '"a will is allowed only on devices/dev-w/messages/events/, not devices/dev-w/status" in [e["detail"] for e in d["body"]["events"]]' \
    "the refusal names the will topic"
bodies dev-w | grep '^stray' >/dev/null && fail "a will on another topic was stored: $(bodies dev-w)"

# Nothing a device sent, wills included, reached the observer.
grep -q '^message' "$OBSERVED" && fail "device messages were routed to a subscriber: $(cat "$OBSERVED")"

# ---- Five subscriptions ----

C2D='devices/dev-w/messages/devicebound/#'
C2D_ANY='devices/+/messages/devicebound/#'
out=$(script_x509 dev-w "$cert" sub '$iothub/methods/POST/#' sub '$iothub/twin/res/#' \
    sub '$iothub/twin/PATCH/properties/desired/#' sub "$C2D" sub "$C2D_ANY" \
    sub '$iothub/twin/res/#' sub "$C2D" pub "$EVENTS" still-here)
expect_lines "$out" "connack 0" "suback 1" "suback 1" "suback 1" "suback 1" "suback 1" \
    "suback 1" "suback 1" "puback"
echo "$out" | grep -q '^closed' && fail "five subscriptions (and two repeats) closed the connection: $out"

# Unsubscribing one of the two C2D filters leaves the other delivering.
script_x509_bg "$TEST_DIR/c2d.txt" dev-w "$cert" sub "$C2D" sub "$C2D_ANY" unsub "$C2D_ANY" \
    expect 'devices/dev-w/messages/devicebound/' 10
c2d_pid=$BG_PID
wait_for "$TEST_DIR/c2d.txt" '^unsuback'
check "$(svc c2d-send '{"deviceId":"dev-w","body":"after-unsub"}')" 'd["status"] == 200' "c2d-send"
wait_for "$TEST_DIR/c2d.txt" '^message devices/dev-w/messages/devicebound/.* after-unsub$'
stop_bg "$c2d_pid"

stop_bg "$observer_pid"
finish
