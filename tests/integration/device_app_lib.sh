# SPDX-License-Identifier: MIT
# Helpers for the reference app's cloud tests: the app runs under `spheresim run --hub local`,
# which starts a local hub in this test's own SPHERESIM_HOME (left running by design); the
# hub is stopped on exit, pass or fail, before lib.sh removes the test directory.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

HUB_STATE_DIR="$SPHERESIM_HOME/hub"

device_app_cleanup() {
    local status=$?
    # Cleanup must run to the end whatever fails here (lib.sh turns on errexit).
    set +e
    if [ -n "$DEVICE_PID" ] && kill -0 "$DEVICE_PID" 2>/dev/null; then
        kill -KILL "$DEVICE_PID" 2>/dev/null || true
        wait "$DEVICE_PID" 2>/dev/null || true
    fi
    DEVICE_PID=""
    # Under the asan preset a sanitizer report from the app fails the test even if the OS
    # restarted the app and the test carried on.
    if [ -f "$DEVICE_LOG" ] && grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$DEVICE_LOG"; then
        echo "FAIL: sanitizer report in the device log:" >&2
        grep -E -A12 "AddressSanitizer|LeakSanitizer|runtime error:" "$DEVICE_LOG" | head -40 >&2
        [ $status -ne 0 ] || status=1
    fi
    if [ -d "$HUB_STATE_DIR" ]; then
        if [ $status -ne 0 ] && [ -f "$HUB_STATE_DIR/broker.log" ]; then
            echo "--- broker log:" >&2
            tail -n 30 "$HUB_STATE_DIR/broker.log" >&2
        fi
        "$SPHERESIM" hub stop --state-dir "$HUB_STATE_DIR" >/dev/null 2>&1 || true
    fi
    (exit $status)
    cleanup
    exit $status
}
trap device_app_cleanup EXIT

hub() {
    "$SPHERESIM" hub "$@" --state-dir "$HUB_STATE_DIR"
}

# start_app ARGS...: runs device_app under the local hub and waits until it is connected.
start_app() {
    start_device "$DEVICE_APP" --hub local --hub-state-dir "$HUB_STATE_DIR" "$@"
    DEVICE_ID=$(cat "$DEVICE_DIR/device_id")
}

# telemetry_json: every message the hub accepted from the device, as a JSON array.
telemetry_json() {
    hub telemetry "$DEVICE_ID" --json
}

# telemetry_count [FILTER]: how many messages the hub holds (optionally only those whose
# messageType property equals FILTER).
telemetry_count() {
    telemetry_json | python3 -c '
import json, sys
kind = sys.argv[1] if len(sys.argv) > 1 else ""
messages = json.load(sys.stdin)
print(sum(1 for m in messages if not kind or m["properties"].get("messageType") == kind))
' "$@"
}

# wait_for_telemetry COUNT [SECONDS] [FILTER]: waits until the hub holds COUNT messages.
wait_for_telemetry() {
    local count=$1 seconds=${2:-20} filter=${3:-}
    local have=0
    for _ in $(seq $((seconds * 4))); do
        have=$(telemetry_count $filter)
        [ "$have" -ge "$count" ] && return 0
        sleep 0.25
    done
    fail "the hub has $have message(s) of type '${filter:-any}', expected $count within ${seconds} s"
}

# method NAME [JSON]: invokes a direct method; prints {"status", "payload"}.
method() {
    hub method "$DEVICE_ID" "$@" --timeout 10
}

# reported_field PYTHON_EXPR: evaluates an expression over the twin's reported properties `r`.
reported_field() {
    hub twin get "$DEVICE_ID" | python3 -c "import json,sys; r=json.load(sys.stdin)['properties']['reported']; print($1)"
}

# wait_for_reported PYTHON_EXPR EXPECTED [SECONDS]
wait_for_reported() {
    local expr=$1 expected=$2 seconds=${3:-15}
    local value=""
    for _ in $(seq $((seconds * 4))); do
        value=$(reported_field "$expr" 2>/dev/null || true)
        [ "$value" = "$expected" ] && return 0
        sleep 0.25
    done
    fail "reported $expr is '$value', expected '$expected' within ${seconds} s"
}

# check_delivery: every telemetry message of the current queue epoch arrived, without gaps and
# in order of first arrival once duplicates (same $.mid) are dropped; prints the count.
check_delivery() {
    telemetry_json | python3 -c '
import json, sys
messages = json.load(sys.stdin)
seen, order, dupes = set(), [], 0
for m in messages:
    mid = m["systemProperties"].get("message-id", "")
    if mid in seen:
        dupes += 1
        continue
    seen.add(mid)
    order.append(mid)
epochs = {mid.split("-")[0] for mid in order}
assert len(epochs) == 1, "more than one queue epoch: %s" % sorted(epochs)
numbers = [int(mid.split("-")[1]) for mid in order]
assert numbers == sorted(numbers), "out of order after dedupe: %s" % numbers
expected = list(range(numbers[0], numbers[-1] + 1))
missing = sorted(set(expected) - set(numbers))
assert not missing, "missing sequence numbers: %s" % missing
assert numbers[0] == 1, "first message is %d, not 1" % numbers[0]
print(len(order), dupes)
'
}
