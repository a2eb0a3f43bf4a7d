# SPDX-License-Identifier: MIT
# An app that crashes is restarted, each exit is recorded with its signal, a crash loop backs
# off, and the failure report (`spheresim reports`) aggregates the crashes and the crash loop.
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

# The failure report: one AppCrash row counting every crash, one crash-loop row, in each format.
crash_count=$(grep -c '"signal":11' "$records")
"$SPHERESIM" reports --device-dir "$DEVICE_DIR" --json > "$TEST_DIR/report.json"
python3 - "$TEST_DIR/report.json" "$crash_count" "$(cat "$DEVICE_DIR/device_id")" <<'PY' || fail "report JSON wrong: $(cat "$TEST_DIR/report.json")"
import json, sys
rows = json.load(open(sys.argv[1]))
crashes = [r for r in rows if r["description"].startswith("AppCrash (")]
assert len(crashes) == 1, rows
c = crashes[0]
assert c["eventCount"] == int(sys.argv[2]), (c, sys.argv[2])
assert "signal_status=11;" in c["description"] and "exit_status=" in c["description"], c
assert c["eventType"] == "Unplanned" and c["eventClass"] == "Application", c
assert c["deviceId"] == sys.argv[3].strip(), c
assert c["startTime"] <= c["endTime"], c
loops = [r for r in rows if r["description"].startswith("AppCrashLoop (")]
assert len(loops) == 1 and loops[0]["eventCount"] == 1, rows
PY
"$SPHERESIM" reports --device-dir "$DEVICE_DIR" --csv | head -1 |
    grep -qx 'Device ID,Event Type,Event Class,Event Count,Description,Start Time,End Time' ||
    fail "CSV header wrong"
"$SPHERESIM" reports --device-dir "$DEVICE_DIR" | grep "Unplanned .*AppCrash (exit_status=" >/dev/null ||
    fail "table lacks the crash row"
if "$SPHERESIM" reports --device-dir "$TEST_DIR/no-such-device" 2> "$TEST_DIR/err"; then
    fail "reports on a missing device dir succeeded"
fi
grep -q "is not a device directory" "$TEST_DIR/err" || fail "unclear error: $(cat "$TEST_DIR/err")"
[ ! -e "$TEST_DIR/no-such-device" ] || fail "reports created a device directory"
echo PASS
