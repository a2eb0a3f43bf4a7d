# SPDX-License-Identifier: MIT
# Rollback: a new app version that crashes 3 times within the trial window of its first start is
# rolled back to the previous slot; the failure report and the device log say why; mutable
# storage carries on; the version is not taken again although it stays deployed; the service
# learns the result and serves the uploaded report. A good version after it installs, and
# surviving its trial window commits it.
source "$(dirname "$0")/update_lib.sh"

write_manifest "$TEST_DIR/v1.json" '["--mode", "update", "--label", "v1"]'
make_app v2 '["--mode", "crash"]'
pack v2 2.0.0 "$TEST_DIR/v2.imagepackage" --sign
make_app v3 '["--mode", "update", "--label", "v3"]'
pack v3 3.0.0 "$TEST_DIR/v3.imagepackage" --sign

"$SPHERESIM" deploy --start >/dev/null 2>&1 || fail "deploy --start"
start_device "$PROBE_APP" --manifest "$TEST_DIR/v1.json" --clock-rate 10 \
    --update-check-period 30s --rollback-exits 3 --rollback-window 8s
wait_for_log "PROBE sysevent NoUpdateAvailable" 20
wait_for_log "PROBE counter 1$" 5

deploy_to_device "$TEST_DIR/v2.imagepackage" >/dev/null || fail "deploy v2"
wait_for_log "app 2.0.0 exited 3 times within 8000 ms of its first start: rolled back to 0.0.0 in slot a; 2.0.0 will not be installed again" 40
wait_for_log "PROBE label v1" 10 2
wait_for_log "PROBE counter 2$" 10
[ "$(grep -c "PROBE raising SIGSEGV" "$DEVICE_LOG")" -eq 3 ] || fail "v2 did not crash exactly 3 times"
[ "$(update_field app_version)" = "0.0.0" ] || fail "status does not show the factory app"
[ "$(update_field app_slot)" = "a" ] || fail "status does not show slot a"
[ "$(update_field blocked_versions)" = "1" ] || fail "v2 is not blocked"
report=$("$SPHERESIM" reports --device-dir "$DEVICE_DIR" --csv)
echo "$report" | grep -q "Unplanned,Application,1,AppRollback (component_id=$PROBE_COMPONENT; from_version=2.0.0; to_version=0.0.0; exits=3)" ||
    fail "no AppRollback in the failure report: $report"
echo "$report" | grep -q "Unplanned,Application,3,AppCrash (exit_status=11; signal_status=11" ||
    fail "the crashes are not in the failure report: $report"

# Still deployed, but the device tells the service it refuses 2.0.0: not offered, not downloaded.
rolled_back=$(grep -n "rolled back to 0.0.0" "$DEVICE_LOG" | head -n 1 | cut -d: -f1)
for _ in $(seq 200); do
    [ "$(tail -n "+$rolled_back" "$DEVICE_LOG" | grep -c "update: no update available")" -ge 2 ] && break
    sleep 0.1
done
[ "$(tail -n "+$rolled_back" "$DEVICE_LOG" | grep -c "update: no update available")" -ge 2 ] ||
    fail "no two checks without an update after the rollback"
[ "$(grep -c "app update to 2.0.0 .*downloading" "$DEVICE_LOG")" -eq 1 ] || fail "v2 downloaded again"

# The service has the result and the uploaded report.
result=""
for _ in $(seq 100); do
    result=$("$SPHERESIM" deploy --list --json 2>/dev/null | python3 -c "
import json, sys
d = json.load(sys.stdin)['devices']
print(d[0]['last_result']['state'] if d and 'last_result' in d[0] else '')")
    [ "$result" = "rolled-back" ] && break
    sleep 0.1
done
[ "$result" = "rolled-back" ] || fail "the service has no rolled-back result (got '$result')"
"$SPHERESIM" reports --device "$(device_id)" --state-dir "$UPDATE_STATE" --json |
    python3 -c "
import json, sys
rows = json.load(sys.stdin)
assert any(r['description'].startswith('AppRollback (') and r['eventType'] == 'Unplanned' for r in rows), rows
" || fail "the service's report has no AppRollback"

# A good version installs and, surviving its window, is committed.
deploy_to_device "$TEST_DIR/v3.imagepackage" >/dev/null || fail "deploy v3"
wait_for_log "PROBE label v3" 30
wait_for_log "PROBE counter 3$" 10
wait_for_log "the new app ran 8000 ms without failing 3 times: committed" 20
[ "$(update_field trial)" = "False" ] || fail "v3 is still on trial"
stop_device || fail "spheresim did not stop cleanly"
echo "PASS"
