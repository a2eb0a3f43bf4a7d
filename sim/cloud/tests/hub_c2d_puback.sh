# SPDX-License-Identifier: MIT
# C2D completion on the device's PUBACK, with the production plugin and the broker's TLS shim: a
# device that gets a message and drops the connection before acknowledging it gets the message
# again on its next (clean) session; once it acknowledges, the message leaves the queue and never
# comes again.
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert=$(hub device add dev-k | json_field certificate)
C2D='devices/dev-k/messages/devicebound/'
RAW_DEVICE="$(dirname "$0")/hub_raw_device.py"
queued() {
    svc device-get '{"deviceId":"dev-k"}' |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["body"]["cloudToDeviceMessageCount"])'
}

hub c2d dev-k first --message-id m-first >/dev/null || fail "c2d send"
out=$(python3 "$RAW_DEVICE" "$PORT" "$HUB_CA" "$cert" dev-k "$HUB_HOST" 1 10) ||
    fail "the raw device failed: $out"
expect_lines "$out" "connack 0" "suback 1" "dropped"
printf '%s\n' "$out" | grep -q "^message ${C2D}%24.mid=m-first&[^ ]* first$" ||
    fail "the raw device did not get the message: $out"
# Not acknowledged: still queued. (The service answers after the broker handled the drop.)
[ "$(queued)" = 1 ] || fail "an unacknowledged C2D message left the queue"

# The next session gets it again, acknowledges it, and it is gone for good.
out=$(script_x509 dev-k "$cert" sub "${C2D}#" wait 1.5)
[ "$(printf '%s\n' "$out" | grep -c "^message ${C2D}%24.mid=m-first&[^ ]* first$")" = 1 ] ||
    fail "the unacknowledged message was not delivered again: $out"
for _ in $(seq 100); do
    [ "$(queued)" = 0 ] && break
    sleep 0.05
done
[ "$(queued)" = 0 ] || fail "an acknowledged C2D message stayed queued"
out=$(script_x509 dev-k "$cert" sub "${C2D}#" wait 1)
printf '%s\n' "$out" | grep -q '^message' && fail "an acknowledged message came again: $out"
grep -q "C2D message m-first completed" "$STATE/broker.log" ||
    fail "the broker log does not show the completion"
finish
