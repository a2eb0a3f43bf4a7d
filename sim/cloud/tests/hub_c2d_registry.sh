# SPDX-License-Identifier: MIT
# Cloud-to-device messages, the device registry through the service protocol, telemetry reads and
# state that must survive a broker restart, against the production plugin with hub_mqtt_script
# as the devices and as a raw service client (no HTTP service involved).
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert_c=$(hub device add dev-c | json_field certificate)
cert_p=$(hub device add dev-p | json_field certificate)
C2D_C='devices/dev-c/messages/devicebound/'

# ---- C2D: queued while offline, delivered in order after connect + subscribe ----

answer=$(svc c2d-send '{"deviceId":"dev-c","body":"one","messageId":"m1","correlationId":"c1","properties":{"color":"red","note":"a b&c"}}')
check "$answer" 'd == {"status": 200, "body": {"messageId": "m1", "queued": 1}}' "first c2d-send"
answer=$(svc c2d-send '{"deviceId":"dev-c","body":"two","ack":"full","ttlSeconds":600}')
check "$answer" 'd["status"] == 200 and d["body"]["queued"] == 2 and len(d["body"]["messageId"]) == 36' \
    "second c2d-send (generated message id)"
check "$(svc c2d-send '{"deviceId":"nobody","body":"x"}')" 'd["status"] == 404' "c2d to an unknown device"
check "$(svc c2d-send '{"deviceId":"dev-c","body":"x","ttlSeconds":5}')" 'd["status"] == 400' \
    "ttl below 60 s"

# Connected with a clean session but not subscribed: nothing arrives, nothing is lost.
out=$(script_x509 dev-c "$cert_c" wait 1)
echo "$out" | grep -q '^message' && fail "C2D reached a device that did not subscribe: $out"
check "$(svc device-get '{"deviceId":"dev-c"}')" 'd["body"]["cloudToDeviceMessageCount"] == 2' \
    "queue untouched without a subscription"

out=$(script_x509 dev-c "$cert_c" sub "${C2D_C}#" wait 1.5)
messages=$(echo "$out" | grep '^message ')
[ "$(echo "$messages" | wc -l)" = 2 ] || fail "expected two C2D messages: $out"
first=$(echo "$messages" | sed -n 1p)
second=$(echo "$messages" | sed -n 2p)
for part in "message ${C2D_C}%24.mid=m1&%24.cid=c1&%24.to=%2Fdevices%2Fdev-c%2Fmessages%2Fdevicebound&%24.exp=" \
    "&iothub-ack=none&color=red&note=a%20b%26c one"; do
    case "$first" in *"$part"*) ;; *) fail "first C2D message lacks '$part': $first" ;; esac
done
case "$second" in *"iothub-ack=full"*" two") ;; *) fail "second C2D message: $second" ;; esac
check "$(svc device-get '{"deviceId":"dev-c"}')" 'd["body"]["cloudToDeviceMessageCount"] == 0' \
    "delivered messages leave the queue"
out=$(script_x509 dev-c "$cert_c" sub "${C2D_C}#" wait 1)
echo "$out" | grep -q '^message' && fail "a delivered C2D message came again: $out"

# A connected, subscribed device gets a message at once.
listener=$TEST_DIR/c2d-listener.txt
script_x509_bg "$listener" dev-c "$cert_c" sub "${C2D_C}#" wait 20
listener_pid=$BG_PID
wait_for "$listener" '^suback'
check "$(svc c2d-send '{"deviceId":"dev-c","body":"live"}')" 'd["body"]["queued"] == 0' "live c2d-send"
wait_for "$listener" "^message ${C2D_C}[^ ]* live$"
stop_bg "$listener_pid"

# A persistent session keeps its subscription: a message sent while the device is away arrives
# when it reconnects, without subscribing again.
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_p" --key "$cert_p" --id dev-p \
    --username "$(username dev-p)" --clean 0 sub 'devices/dev-p/messages/devicebound/#' wait 0.2)
expect_lines "$out" "connack 0" "suback 1"
check "$(svc c2d-send '{"deviceId":"dev-p","body":"kept"}')" 'd["body"]["queued"] == 1' \
    "c2d-send to a kept session"
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_p" --key "$cert_p" --id dev-p \
    --username "$(username dev-p)" --clean 0 wait 1.5)
echo "$out" | grep -q '^message devices/dev-p/messages/devicebound/[^ ]* kept$' ||
    fail "a kept session did not get its message on reconnect: $out"
# A clean session then forgets the subscription.
out=$(script_x509 dev-p "$cert_p" wait 0.2)
check "$(svc c2d-send '{"deviceId":"dev-p","body":"later"}')" 'd["body"]["queued"] == 1' \
    "c2d-send after a clean session"

# At most 50 queued per device.
for i in $(seq 50); do
    answer=$(svc c2d-send "{\"deviceId\":\"dev-c\",\"body\":\"q$i\"}")
    [ "$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = 200 ] ||
        fail "c2d-send $i of 50: $answer"
done
answer=$(svc c2d-send '{"deviceId":"dev-c","body":"q51"}')
check "$answer" 'd["status"] == 429 and "queue" in d["body"]["message"]' "51st message"
out=$(script_x509 dev-c "$cert_c" sub "${C2D_C}#" wait 2)
[ "$(echo "$out" | grep -c '^message ')" = 50 ] || fail "expected 50 C2D messages: $(echo "$out" | grep -c '^message ')"
# Not `| head -1` under pipefail: head exits after one line, and the grep still writing into the
# pipe dies of SIGPIPE, failing the pipeline (and the test) whatever the order was.
messages=$(printf '%s\n' "$out" | grep '^message ')
first=$(printf '%s\n' "$messages" | sed -n 1p)
last=$(printf '%s\n' "$messages" | sed -n '$p')
case "$first" in *' q1') ;; *) fail "queue not delivered oldest first: $(printf '%s\n' "$messages" | sed -n 1,3p | tr "\n" ";")" ;; esac
case "$last" in *' q50') ;; *) fail "queue not delivered in order: last was $last" ;; esac

# ---- the registry through the service protocol ----

answer=$(svc device-add '{"deviceId":"dev-s","authentication":"sas"}')
check "$answer" 'd["status"] == 200 and d["body"]["authentication"]["type"] == "sas"' "device-add sas"
check "$answer" 'len(d["body"]["authentication"]["symmetricKey"]["primaryKey"]) == 44' "generated key"
check "$answer" 'd["body"]["status"] == "enabled" and d["body"]["connectionState"] == "Disconnected"' \
    "device record"
check "$answer" 'len(d["body"]["generationId"]) == 36 and d["body"]["etag"] != ""' "identity fields"
check "$(svc device-add '{"deviceId":"dev-s","authentication":"sas"}')" 'd["status"] == 409' \
    "device-add twice"
check "$(svc device-add '{"deviceId":"spheresim-service-x","authentication":"x509"}')" \
    'd["status"] == 400' "device-add with a reserved id"
answer=$(svc device-add '{"deviceId":"dev-x","authentication":"x509"}')
check "$answer" 'd["body"]["authentication"]["type"] == "certificateAuthority"' "x509 device type"
check "$answer" 'd["body"]["authentication"]["symmetricKey"]["primaryKey"] is None' "x509 has no keys"
check "$(svc device-list '{}')" \
    'sorted(x["deviceId"] for x in d["body"]) == ["dev-c", "dev-p", "dev-s", "dev-x"]' "device-list"

# The SAS device connects with a token for its key; disabling it drops its connection and keeps
# it out; enabling lets it back.
token_s=$(hub device sas-token dev-s)
probe_sas_bg() {
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --id dev-s --username "$(username dev-s)" \
        --password "$token_s" "$@" >"$listener" &
    BG_PID=$!
}
probe_sas_bg pub devices/dev-s/messages/events/ '{"n":1}' wait 20
listener_pid=$BG_PID
wait_for "$listener" '^puback'
check "$(svc connection-state '{"deviceId":"dev-s"}')" 'd["body"]["connected"] is True' "sas device online"
answer=$(svc device-update '{"deviceId":"dev-s","status":"disabled"}')
check "$answer" 'd["status"] == 200 and d["body"]["status"] == "disabled"' "device-update disabled"
check "$answer" 'd["body"]["statusUpdatedTime"] != "0001-01-01T00:00:00Z"' "status time"
wait_for "$listener" '^closed$' 1 5
stop_bg "$listener_pid"
out=$(probe_sas dev-s "$token_s" connect)
[ "$out" = "connack 5" ] || fail "a disabled device connected: $out"
check "$(svc device-update '{"deviceId":"dev-s","status":"enabled"}')" 'd["body"]["status"] == "enabled"' \
    "device-update enabled"
out=$(probe_sas dev-s "$token_s" connect)
[ "$out" = "connack 0" ] || fail "an enabled device was refused: $out"

# Telemetry read from a cursor.
answer=$(svc telemetry-read '{"deviceId":"dev-s"}')
check "$answer" 'd["status"] == 200 and len(d["body"]["messages"]) == 1' "telemetry-read"
check "$answer" 'd["body"]["messages"][0]["body"] == "{\"n\":1}" and d["body"]["next"] == d["body"]["messages"][0]["sequence"]' \
    "telemetry message and cursor"
next=$(echo "$answer" | python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["next"])')
check "$(svc telemetry-read "{\"deviceId\":\"dev-s\",\"after\":$next}")" \
    'd["body"]["messages"] == [] and d["body"]["next"] == '"$next" "telemetry-read past the end"

# Removing a connected device drops it; its twin and queue go with it.
probe_sas_bg wait 20
listener_pid=$BG_PID
wait_for "$listener" '^connack 0'
check "$(svc c2d-send '{"deviceId":"dev-s","body":"orphan"}')" 'd["status"] == 200' "c2d before removal"
check "$(svc device-remove '{"deviceId":"dev-s"}')" 'd == {"status": 204}' "device-remove"
wait_for "$listener" '^closed$' 1 5
stop_bg "$listener_pid"
check "$(svc device-get '{"deviceId":"dev-s"}')" 'd["status"] == 404' "device-get after removal"
check "$(svc device-remove '{"deviceId":"dev-s"}')" 'd["status"] == 404' "device-remove twice"

# The CLI edits the database directly; the hub still drops a device the CLI removed.
hub device add dev-r >/dev/null
cert_r=$STATE/devices/dev-r.pem
script_x509_bg "$listener" dev-r "$cert_r" wait 20
listener_pid=$BG_PID
wait_for "$listener" '^connack 0'
hub device remove dev-r >/dev/null
wait_for "$listener" '^closed$' 1 5
stop_bg "$listener_pid"

# ---- state across a broker restart ----

check "$(svc twin-patch '{"deviceId":"dev-p","patch":{"tags":{"room":"7"},"properties":{"desired":{"mode":"eco"}}}}')" \
    'd["status"] == 200' "twin-patch before restart"
out=$(script_x509 dev-p "$cert_p" sub '$iothub/twin/res/#' \
    pub '$iothub/twin/PATCH/properties/reported/?$rid=r1' '{"battery":88}' \
    expect '$iothub/twin/res/204/' 5)
expect_lines "$out" "connack 0" "suback 1"
check "$(svc c2d-send '{"deviceId":"dev-p","body":"after-restart","messageId":"persist-1"}')" \
    'd["body"]["queued"] == 2' "c2d-send before restart"
hub stop >/dev/null
start_hub
answer=$(svc twin-get '{"deviceId":"dev-p"}')
check "$answer" 'd["body"]["tags"] == {"room": "7"} and d["body"]["properties"]["desired"]["mode"] == "eco"' \
    "twin desired and tags after restart"
check "$answer" 'd["body"]["properties"]["reported"]["battery"] == 88 and d["body"]["properties"]["reported"]["$version"] == 2' \
    "twin reported after restart"
out=$(script_x509 dev-p "$cert_p" sub 'devices/dev-p/messages/devicebound/#' wait 1.5)
echo "$out" | grep -q '^message devices/dev-p/messages/devicebound/%24.mid=persist-1&[^ ]* after-restart$' ||
    fail "queued C2D message lost in the restart: $out"

# ---- expiry (last: it moves the hub's clock forward) ----

check "$(svc c2d-send '{"deviceId":"dev-c","body":"stale","ttlSeconds":60}')" 'd["status"] == 200' \
    "c2d-send with a 60 s TTL"
check "$(svc fault-clock '{"advanceSeconds":61}')" 'd["status"] == 200' "fault-clock"
out=$(script_x509 dev-c "$cert_c" sub "${C2D_C}#" wait 1)
echo "$out" | grep -q '^message' && fail "an expired C2D message was delivered: $out"
check "$(svc device-get '{"deviceId":"dev-c"}')" \
    'd["body"]["cloudToDeviceMessageCount"] == 0 and d["body"]["cloudToDeviceExpiredCount"] == 1' \
    "expired message counted"

finish
