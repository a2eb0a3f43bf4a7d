# SPDX-License-Identifier: MIT
# An app that crashes is restarted, each exit is recorded with its signal, and a crash loop
# backs off.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_crash.json"
wait_for_log "os: app exited: signal 11 \(SIGSEGV\), crash" 15 3
wait_for_log "os: the app keeps exiting .* restart [0-9]+ in [0-9]+ ms" 15
[ "$(status_field 's["app"]["restarts"] >= 2')" = True ] || fail "restart count not counted"
[ "$(status_field 's["app"]["last_exit"]["signal"]')" = 11 ] || fail "last exit not SIGSEGV"
stop_device

records="$DEVICE_DIR/records/exits.jsonl"
crashes=$(grep -c '"reason":"crash"' "$records")
[ "$crashes" -ge 3 ] || fail "expected >= 3 crash records, got $crashes"
grep -q '"signal":11,"signal_name":"SEGV"' "$records" || fail "crash record lacks the signal: $(head -1 "$records")"
echo PASS
