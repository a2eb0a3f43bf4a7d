# SPDX-License-Identifier: MIT
# The whole over-the-air update flow with real processes: an app update deployed through the
# update service reaches the device at its periodic check and goes UpdateStarted, Pending (with
# the 168 h budget and update_type App), the 10 s warning, SIGTERM, install into slot b, restart,
# Complete; mutable storage survives. Then an OS release: update_type System, a reboot, and
# Applications_GetOsVersion reports the new version. Results and failure-report events reach the
# service, and `reports --device ID --state-dir D` reads them from there. A restart of spheresim
# with the same app keeps the updated one.
source "$(dirname "$0")/update_lib.sh"

write_manifest "$TEST_DIR/v1.json" '["--mode", "update", "--label", "v1"]'
make_app v2 '["--mode", "update", "--label", "v2"]'
pack v2 2.0.0 "$TEST_DIR/v2.imagepackage" --sign
mkdir -p "$TEST_DIR/os"
echo "spheresim OS 2.0.0" >"$TEST_DIR/os/release.txt"
pack os 2.0.0 "$TEST_DIR/os.imagepackage" --type os --sign

"$SPHERESIM" deploy --start >/dev/null 2>&1 || fail "deploy --start"
# 10x device time: the 10 s warnings take 1 s; a check every 30 s of device time is every 3 s.
start_device "$PROBE_APP" --manifest "$TEST_DIR/v1.json" --clock-rate 10 \
    --update-check-period 30s
wait_for_log "PROBE sysevent NoUpdateAvailable Final" 20
for line in "PROBE label v1" "PROBE os-version 1.0.0 errno none" \
    "PROBE os-version-null -1 errno EFAULT" "PROBE defer-idle -1 errno EINVAL" \
    "PROBE resume-idle -1 errno EINVAL" "PROBE sysevent-register ok" \
    "PROBE sysevent-register-again -1 errno EBUSY" "PROBE counter 1$"; do
    grep -qE -- "$line" "$DEVICE_LOG" || fail "missing '$line'"
done
[ "$(update_field app_version)" = "0.0.0" ] || fail "the factory app is not 0.0.0"

# --- an app update ---
deploy_to_device "$TEST_DIR/v2.imagepackage" >/dev/null || fail "deploy v2"
wait_for_log "PROBE label v2" 30
wait_for_log "PROBE sysevent UpdateReadyForInstall Complete" 20
wait_for_log "PROBE counter 2$" 10
expect_order "PROBE sysevent UpdateStarted Pending" \
    "PROBE sysevent UpdateReadyForInstall Pending max 10080 type App" \
    "update: installing: stopping the app" "PROBE sigterm" \
    "update: app 2.0.0 installed in slot b \(was 0.0.0 in slot a\)" "PROBE label v2" \
    "PROBE sysevent UpdateReadyForInstall Complete"
# The warning is 10 s of device time (the verification is logged just before Pending is sent).
ready=$(log_device_ms "update: deployment [0-9]+: app 2.0.0 verified; ready to install")
stopping=$(log_device_ms "update: installing: stopping the app")
[ $((stopping - ready)) -ge 10000 ] ||
    fail "the install began $((stopping - ready)) ms of device time after Pending, not 10 s"
[ "$(update_field app_version)" = "2.0.0" ] || fail "status does not show app 2.0.0"
[ "$(update_field app_slot)" = "b" ] || fail "status does not show slot b"
"$SPHERESIM" reports --device-dir "$DEVICE_DIR" --csv |
    grep -q "Planned,Application,1,AppUpdate (component_id=$PROBE_COMPONENT; version=2.0.0; previous_version=0.0.0)" ||
    fail "no AppUpdate in the failure report"

# The result reaches the service at the check after the restart.
result=""
for _ in $(seq 100); do
    result=$("$SPHERESIM" deploy --list --json 2>/dev/null | python3 -c "
import json, sys
devices = json.load(sys.stdin)['devices']
print(devices[0]['last_result']['state'] if devices and 'last_result' in devices[0] else '')")
    [ "$result" = "installed" ] && break
    sleep 0.1
done
[ "$result" = "installed" ] || fail "the service has no 'installed' result (got '$result')"

# --- an OS update ---
deploy_to_device "$TEST_DIR/os.imagepackage" >/dev/null || fail "deploy the OS"
wait_for_log "PROBE os-version 2.0.0 errno none" 30
expect_order "PROBE sysevent UpdateReadyForInstall Pending max 1440 type System" \
    "update: OS 2.0.0 installed in slot a \(was 1.0.0\): rebooting" "boot: device" \
    "PROBE os-version 2.0.0"
[ "$(update_field os_version)" = "2.0.0" ] || fail "status does not show OS 2.0.0"
# An OS update ends with a reboot, not with Complete.
[ "$(grep -c "PROBE sysevent UpdateReadyForInstall Complete" "$DEVICE_LOG")" -eq 1 ] || fail "Complete after an OS update"

# --- the failure report through the service API ---
report=""
for _ in $(seq 100); do
    report=$("$SPHERESIM" reports --device "$(device_id)" --state-dir "$UPDATE_STATE" --csv 2>&1 || true)
    echo "$report" | grep -q "OsUpdate (version=2.0.0; previous_version=1.0.0)" && break
    sleep 0.1
done
echo "$report" | grep -q "Planned,OS,1,OsUpdate (version=2.0.0; previous_version=1.0.0)" ||
    fail "the service's report has no OsUpdate: $report"
echo "$report" | grep -q "AppUpdate (component_id=$PROBE_COMPONENT; version=2.0.0" ||
    fail "the service's report has no AppUpdate: $report"

# --- spheresim restarted with the same app keeps the update ---
stop_device || fail "spheresim did not stop cleanly"
start_device "$PROBE_APP" --manifest "$TEST_DIR/v1.json" --clock-rate 10 \
    --update-check-period 30s
wait_for_log "running the installed app 'spheresim_probe' 2.0.0 \(slot b, update\); OS 2.0.0" 10
wait_for_log "PROBE label v2" 10 2
wait_for_log "PROBE counter 3$" 10
stop_device || fail "spheresim did not stop cleanly"
echo "PASS"
