# SPDX-License-Identifier: MIT
# Device twins, direct methods, throttling, faults and the service client's identity, against the
# production plugin: devices are hub_mqtt_script over real TLS, and the cloud side is the raw
# service protocol (hub_service_protocol.h) spoken by the same tool as a service client, so
# nothing here depends on the HTTP service.
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert_a=$(hub device add dev-a | json_field certificate)
cert_b=$(hub device add dev-b | json_field certificate)
TWIN_RES='$iothub/twin/res/'
GET='$iothub/twin/GET/?$rid='
PATCH='$iothub/twin/PATCH/properties/reported/?$rid='
DESIRED='$iothub/twin/PATCH/properties/desired/'

# ---- twin over MQTT ----

# A new twin: both sections empty at version 1, exactly as the real hub shows it.
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" pub "${GET}g1" '' expect "${TWIN_RES}200/?\$rid=g1" 5)
[ "$(payload_of "$out" "${TWIN_RES}200/?\$rid=g1")" = '{"desired":{"$version":1},"reported":{"$version":1}}' ] ||
    fail "initial twin GET: $out"

# Reported patches: 204 with the new version; null deletes.
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" \
    pub "${PATCH}p1" '{"temperature":21.5,"fw":{"version":"1.0","channel":"beta"}}' \
    expect "${TWIN_RES}204/?\$rid=p1&\$version=2" 5 \
    pub "${PATCH}p2" '{"fw":{"channel":null}}' expect "${TWIN_RES}204/?\$rid=p2&\$version=3" 5 \
    pub "${GET}g2" '' expect "${TWIN_RES}200/?\$rid=g2" 5)
echo "$out" | grep -q '^expect-timeout' && fail "reported patches: $out"
check "$(payload_of "$out" "${TWIN_RES}200/?\$rid=g2")" \
    'd == {"desired": {"$version": 1}, "reported": {"temperature": 21.5, "fw": {"version": "1.0"}, "$version": 3}}' \
    "twin after reported patches"

# Malformed JSON, a refused key and more than 32 KB: 400, and the twin is unchanged.
python3 -c 'import json; print(json.dumps({"big": "x" * 4000, **{"k%d" % i: "y" * 4000 for i in range(8)}}))' \
    >"$TEST_DIR/big.json"
[ "$(stat -c %s "$TEST_DIR/big.json")" -gt 32768 ] || fail "test patch is not over 32 KB"
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" \
    pub "${PATCH}bad1" '{"temperature":' expect "${TWIN_RES}400/?\$rid=bad1" 5 \
    pub "${PATCH}bad2" '{"a.b":1}' expect "${TWIN_RES}400/?\$rid=bad2" 5 \
    pubfile "${PATCH}bad3" "$TEST_DIR/big.json" expect "${TWIN_RES}400/?\$rid=bad3" 5 \
    pub "${GET}g3" '' expect "${TWIN_RES}200/?\$rid=g3" 5)
echo "$out" | grep -q '^expect-timeout' && fail "refused patches: $out"
check "$(payload_of "$out" "${TWIN_RES}200/?\$rid=g3")" 'd["reported"]["$version"] == 3' \
    "twin after refused patches"

# Without a subscription to $iothub/twin/res/# the request is still processed, but the answer
# goes nowhere.
out=$(script_x509 dev-a "$cert_a" pub "${PATCH}quiet" '{"quiet":true}' wait 1)
echo "$out" | grep -q '^message' && fail "answer reached a device that did not subscribe: $out"
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" pub "${GET}g4" '' expect "${TWIN_RES}200/?\$rid=g4" 5)
check "$(payload_of "$out" "${TWIN_RES}200/?\$rid=g4")" \
    'd["reported"]["quiet"] is True and d["reported"]["$version"] == 4' "unsubscribed patch"

# ---- twin from the service side ----

answer=$(svc twin-get '{"deviceId":"dev-a"}')
check "$answer" 'd["status"] == 200 and d["body"]["deviceId"] == "dev-a"' "twin-get"
check "$answer" 'd["body"]["properties"]["reported"]["$metadata"]["temperature"]["$lastUpdated"].endswith("Z")' \
    "twin-get metadata"
check "$answer" 'd["body"]["properties"]["desired"]["$metadata"]["$lastUpdated"].endswith("Z")' \
    "twin-get desired metadata"
check "$answer" '"tags" in d["body"] and d["body"]["connectionState"] == "Disconnected"' "twin-get shape"
check "$(svc twin-get '{"deviceId":"nobody"}')" 'd["status"] == 404' "twin-get of an unknown device"

# A desired patch reaches the connected, subscribed device with its version.
listener=$TEST_DIR/listener.txt
script_x509_bg "$listener" dev-a "$cert_a" sub "$DESIRED#" sub "$TWIN_RES#" wait 20
listener_pid=$BG_PID
wait_for "$listener" '^suback' 2
answer=$(svc twin-patch '{"deviceId":"dev-a","patch":{"tags":{"site":"lab"},"properties":{"desired":{"fan":"on"}}}}')
check "$answer" 'd["status"] == 200 and d["body"]["properties"]["desired"]["fan"] == "on"' "twin-patch"
check "$answer" 'd["body"]["properties"]["desired"]["$version"] == 2 and d["body"]["tags"] == {"site": "lab"}' \
    "twin-patch versions and tags"
check "$answer" 'd["body"]["connectionState"] == "Connected"' "twin-patch connection state"
wait_for "$listener" "^message \\\$iothub/twin/PATCH/properties/desired/\\?\\\$version=2 "
check "$(payload_of "$(cat "$listener")" "${DESIRED}?\$version=2")" 'd == {"fan": "on", "$version": 2}' \
    "desired notification"
stop_bg "$listener_pid"

# While the device is offline nothing is queued: it finds the change with a GET.
check "$(svc twin-patch '{"deviceId":"dev-a","patch":{"properties":{"desired":{"fan":"off"}}}}')" \
    'd["status"] == 200' "twin-patch while offline"
out=$(script_x509 dev-a "$cert_a" sub "$DESIRED#" sub "$TWIN_RES#" wait 1 \
    pub "${GET}g5" '' expect "${TWIN_RES}200/?\$rid=g5" 5)
echo "$out" | grep -q "^message \\\$iothub/twin/PATCH" && fail "a desired change was queued: $out"
check "$(payload_of "$out" "${TWIN_RES}200/?\$rid=g5")" \
    'd["desired"] == {"fan": "off", "$version": 3}' "desired after reconnect"
check "$(svc twin-patch '{"deviceId":"dev-a","patch":{"properties":{"desired":{"bad key":1}}}}')" \
    'd["status"] == 400' "twin-patch with a bad key"

# ---- direct methods ----

# The device answers: the caller gets the device's status and payload.
device_out=$TEST_DIR/method-device.txt
script_x509_bg "$device_out" dev-b "$cert_b" sub '$iothub/methods/POST/#' \
    answer 201 '{"rebooted":true}' 1 20
device_pid=$BG_PID
wait_for "$device_out" '^suback'
answer=$(svc method-invoke '{"deviceId":"dev-b","methodName":"reboot","payload":{"delay":2},"responseTimeoutInSeconds":10}' 15)
check "$answer" 'd == {"status": 200, "body": {"status": 201, "payload": {"rebooted": True}}}' \
    "method answered"
wait "$device_pid" || true
grep -q '^message \$iothub/methods/POST/reboot/?\$rid=[^ ]* {"delay":2}$' "$device_out" ||
    fail "method request as the device saw it: $(cat "$device_out")"

# The device stays silent: 504 after responseTimeoutInSeconds.
script_x509_bg "$device_out" dev-b "$cert_b" sub '$iothub/methods/POST/#' wait 30
device_pid=$BG_PID
wait_for "$device_out" '^suback'
started=$(date +%s.%N)
answer=$(svc method-invoke '{"deviceId":"dev-b","methodName":"sleep","responseTimeoutInSeconds":5}' 15)
elapsed=$(python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$started" "$(date +%s.%N)")
check "$answer" 'd["status"] == 504' "silent device"
python3 -c "import sys; sys.exit(0 if 4.5 <= float(sys.argv[1]) <= 9 else 1)" "$elapsed" ||
    fail "504 after $elapsed s, expected about 5"
grep -q '^message \$iothub/methods/POST/sleep/?\$rid=[^ ]* null$' "$device_out" ||
    fail "a method without payload should reach the device as null: $(cat "$device_out")"

# A method fault drops the request: the device never sees it, the caller gets 504.
check "$(svc fault-method '{"deviceId":"dev-b","mode":"drop"}')" 'd["status"] == 204' "fault-method"
answer=$(svc method-invoke '{"deviceId":"dev-b","methodName":"dropped","responseTimeoutInSeconds":5}' 15)
check "$answer" 'd["status"] == 504' "dropped method"
grep -q 'methods/POST/dropped' "$device_out" && fail "a dropped method request reached the device"
check "$(svc fault-method '{"deviceId":"dev-b","mode":"normal"}')" 'd["status"] == 204' "fault-method off"
stop_bg "$device_pid"

# Offline device: 404 at once. Too big a payload: 413.
check "$(svc method-invoke '{"deviceId":"dev-b","methodName":"m"}')" 'd["status"] == 404' "offline device"
check "$(svc method-invoke '{"deviceId":"nobody","methodName":"m"}')" 'd["status"] == 404' "unknown device"
python3 -c 'import json; print(json.dumps({"deviceId": "dev-b", "methodName": "m", "payload": {"x": "y" * (129 * 1024)}}))' \
    >"$TEST_DIR/big-method.json"
check "$(svc method-invoke "@$TEST_DIR/big-method.json")" 'd["status"] == 413' "129 KB method payload"
check "$(svc method-invoke '{"deviceId":"dev-b","methodName":"m","responseTimeoutInSeconds":2}')" \
    'd["status"] == 400' "response timeout below 5 s"

# connectTimeoutInSeconds: the call waits for the device to come online.
svc method-invoke '{"deviceId":"dev-b","methodName":"late","connectTimeoutInSeconds":10,"responseTimeoutInSeconds":10}' 25 \
    >"$TEST_DIR/late-answer.txt" &
caller_pid=$!
sleep 1
script_x509 dev-b "$cert_b" sub '$iothub/methods/POST/#' answer 200 '"ok"' 1 15 >"$device_out"
wait "$caller_pid" || true
check "$(cat "$TEST_DIR/late-answer.txt")" 'd["body"] == {"status": 200, "payload": "ok"}' \
    "method waiting for its device"

# ---- throttling and twin faults ----

check "$(svc fault-throttle '{"deviceId":"dev-a","twinPerSecond":2}')" 'd["status"] == 204' "throttle"
steps=(sub "$TWIN_RES#")
for i in 1 2 3 4 5 6; do
    steps+=(pub "${GET}t$i" '')
done
out=$(script_x509 dev-a "$cert_a" "${steps[@]}" wait 1)
[ "$(echo "$out" | grep -c "^message \\\$iothub/twin/res/429/")" -ge 1 ] || fail "no 429 past the rate: $out"
[ "$(echo "$out" | grep -c "^message \\\$iothub/twin/res/200/")" -ge 1 ] || fail "no 200 within the rate: $out"
check "$(svc fault-throttle '{"deviceId":"dev-a","twinPerSecond":0}')" 'd["status"] == 204' "throttle off"

# Telemetry past ten times its rate closes the connection; below that it is taken.
check "$(svc fault-throttle '{"deviceId":"dev-b","telemetryPerSecond":1}')" 'd["status"] == 204' \
    "telemetry throttle"
steps=()
for i in $(seq 15); do
    steps+=(pub devices/dev-b/messages/events/ "m$i")
done
out=$(script_x509 dev-b "$cert_b" "${steps[@]}")
echo "$out" | grep -q '^closed$' || fail "telemetry at 15x its rate was not cut off: $out"
[ "$(echo "$out" | grep -c '^puback$')" -ge 2 ] || fail "telemetry within the rate was refused: $out"
check "$(svc fault-throttle '{"deviceId":"dev-b","telemetryPerSecond":0}')" 'd["status"] == 204' \
    "telemetry throttle off"

# Twin answers dropped, then delayed.
check "$(svc fault-twin '{"deviceId":"dev-a","mode":"drop"}')" 'd["status"] == 204' "fault-twin drop"
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" pub "${GET}d1" '' wait 1)
echo "$out" | grep -q '^message' && fail "a dropped twin answer arrived: $out"
check "$(svc fault-twin '{"mode":"delay","delayMs":1500}')" 'd["status"] == 204' "fault-twin delay"
check "$(svc fault-twin '{"deviceId":"dev-a","mode":"normal"}')" 'd["status"] == 204' "fault-twin device off"
out=$(script_x509 dev-a "$cert_a" sub "$TWIN_RES#" pub "${GET}d2" '' expect "${TWIN_RES}200/?\$rid=d2" 5)
took=$(echo "$out" | sed -n 's/^expect-ok //p')
python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) < 1.0 else 1)" "${took:-9}" ||
    fail "a device override of a hub-wide delay was not honoured: $out"
out=$(script_x509 dev-b "$cert_b" sub "$TWIN_RES#" pub "${GET}d3" '' expect "${TWIN_RES}200/?\$rid=d3" 5)
took=$(echo "$out" | sed -n 's/^expect-ok //p')
python3 -c "import sys; sys.exit(0 if 1.3 <= float(sys.argv[1]) <= 4 else 1)" "${took:-0}" ||
    fail "delayed twin answer came after ${took:-never} s, expected about 1.5: $out"
check "$(svc fault-twin '{"mode":"normal"}')" 'd["status"] == 204' "fault-twin off"

# ---- kick and connection state ----

script_x509_bg "$listener" dev-a "$cert_a" sub "$TWIN_RES#" wait 20
listener_pid=$BG_PID
wait_for "$listener" '^suback'
check "$(svc connection-state '{"deviceId":"dev-a"}')" 'd["body"]["connected"] is True' "connected"
check "$(svc fault-kick '{"deviceId":"dev-a"}')" 'd["status"] == 204' "fault-kick"
wait_for "$listener" '^closed$' 1 5
wait "$listener_pid" 2>/dev/null || true
state=$(svc connection-state '{"deviceId":"dev-a"}')
check "$state" 'd["status"] == 200 and d["body"]["connected"] is False' "connection state after kick"
check "$state" 'd["body"]["events"][0]["event"] == "disconnected" and d["body"]["since"].endswith("Z")' \
    "connection events"

# ---- the service client's identity ----

# A wrong token, a wrong username and a device certificate cannot make a service client.
out=$(service_client --password "$(printf '0%.0s' $(seq 64))" wait 0)
[ "$out" = "connack 5" ] || fail "wrong service token: $out"
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --id spheresim-service-x --username dev-a \
    --password "$(cat "$STATE/service.token")" wait 0)
[ "$out" = "connack 5" ] || fail "service token with another username: $out"
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_a" --key "$cert_a" \
    --id spheresim-service --username "$(username spheresim-service)" wait 0)
[ "$out" = "connack 5" ] || fail "device certificate as the service client: $out"
status=0
hub device add spheresim-service >/dev/null 2>&1 || status=$?
[ "$status" -ne 0 ] || fail "a device was registered under the service client's id"
# A device cannot reach the service topics; the service client cannot use device topics.
out=$(script_x509 dev-a "$cert_a" pub '$spheresim/service/req/twin-get/x' '{"deviceId":"dev-a"}')
expect_lines "$out" "connack 0" "closed"
out=$(script_x509 dev-a "$cert_a" sub '$spheresim/service/res/#')
expect_lines "$out" "connack 0" "closed"
out=$(service_client pub devices/dev-a/messages/events/ '{}')
expect_lines "$out" "connack 0" "closed"
out=$(service_client sub '#')
expect_lines "$out" "connack 0" "closed"
check "$(svc no-such-op '{}')" 'd["status"] == 400' "unknown operation"
check "$(svc twin-get 'not json')" 'd["status"] == 400' "request that is not JSON"

finish
