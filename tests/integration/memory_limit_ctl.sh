# SPDX-License-Identifier: MIT
# `spheresim ctl memory limit SIZE|off` end to end: the CLI turns SIZE into bytes (and refuses a
# bad one with the value quoted), the OS logs the fault and reports it in `status`, and `off`
# lifts it. In an AddressSanitizer build the OS refuses the limit with the reason instead.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP"

memory_limit() {
    ctl status | python3 -c 'import json,sys; print(json.load(sys.stdin)["faults"]["memory_limit_bytes"])'
}

for bad in 12x 0 2048MiB; do
    status=0
    out=$(ctl memory limit "$bad" 2>&1) || status=$?
    [ "$status" -eq 2 ] || fail "ctl memory limit $bad: exit $status, expected 2"
    grep -q "ctl memory limit: '$bad'" <<<"$out" || fail "ctl memory limit $bad: '$out'"
done
status=0
out=$(ctl memory 2>&1) || status=$?
[ "$status" -eq 2 ] && grep -q "expected limit SIZE" <<<"$out" || fail "ctl memory: '$out'"

status=0
out=$(ctl memory limit 64KiB 2>&1) || status=$?
if grep -q "AddressSanitizer" <<<"$out"; then
    [ "$status" -eq 1 ] || fail "refused limit: exit $status, expected 1"
    [ "$(memory_limit)" = "None" ] || fail "a refused limit shows in status"
    ctl memory off >/dev/null || fail "ctl memory off refused"
    stop_device
    echo "PASS (AddressSanitizer build: the limit is refused: $out)"
    exit 0
fi
[ "$status" -eq 0 ] || fail "ctl memory limit 64KiB: exit $status: $out"
[ "$(memory_limit)" = "65536" ] || fail "status shows memory_limit_bytes $(memory_limit), expected 65536"
wait_for_log "os: fault: memory pressure: the app's allocations fail past 65536 bytes \(ENOMEM\)"
ctl memory off >/dev/null || fail "ctl memory off refused"
[ "$(memory_limit)" = "None" ] || fail "status shows memory_limit_bytes $(memory_limit) after off"
wait_for_log "os: fault: memory pressure over \(no heap limit\)"
stop_device
echo PASS
