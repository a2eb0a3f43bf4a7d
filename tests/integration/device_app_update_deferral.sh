# SPDX-License-Identifier: MIT
# The reference app and over-the-air updates, with real processes: the local hub, the update
# service, device_app packed and signed as new versions. Device time runs at 6x with a check
# every 30 s of device time (5 s real), so a 10 min deferral would last 100 s: only a resume
# ends it within the test.
#   A. maintenance window open: the app defers v2 for the rest of the window (10 min, rounded
#      up), reports pendingUpdate "deferred"; `maintenance 0` ends the window, the app resumes,
#      Final, SIGTERM, install; v2 reports lastUpdateResult "installed" with the version it
#      replaced, kept in mutable storage across the restart;
#   B. no window: v3 installs at once, without a deferral.
source "$(dirname "$0")/device_app_lib.sh"

UPDATE_STATE="$SPHERESIM_HOME/update"
deferral_cleanup() {
    local status=$?
    set +e
    "$SPHERESIM" deploy --stop --state-dir "$UPDATE_STATE" >/dev/null 2>&1 || true
    if grep -q "Sanitizer" "$UPDATE_STATE/service.log" 2>/dev/null; then
        echo "FAIL: the update service reported a sanitizer error" >&2
        status=1
    fi
    (exit $status)
    device_app_cleanup
}
trap deferral_cleanup EXIT

# package VERSION: device_app as a signed image package of that version (the same binary).
package() {
    local dir="$TEST_DIR/app-$1"
    cp -rL "$DEVICE_APP" "$dir"
    "$SPHERESIM" image pack "$dir" -o "$TEST_DIR/app-$1.imagepackage" --version "$1" --sign \
        >/dev/null || fail "image pack $1"
    echo "$TEST_DIR/app-$1.imagepackage"
}

# call_maintenance JSON: invokes maintenance; prints "<status> <payload as compact JSON>".
call_maintenance() {
    method maintenance "$1" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["status"], json.dumps(d["payload"], separators=(",", ":")))'
}

count() {
    grep -cE -- "$1" "$DEVICE_LOG" || true
}

# pending NAME: a member of the reported pendingUpdate (empty when absent).
pending() {
    reported_field "r.get('pendingUpdate', {}).get('$1', '')"
}

V2=$(package 2.0.0)
V3=$(package 3.0.0)
"$SPHERESIM" deploy --start --state-dir "$UPDATE_STATE" >/dev/null 2>&1 || fail "deploy --start"

start_app --clock-rate 6 --update-check-period 30s
# The check after boot finds nothing: the app says so in the twin.
wait_for_reported "r.get('lastUpdateResult', {}).get('lastCheck')" "noUpdateAvailable" 20
wait_for_reported "r['pendingUpdate']['status']" "none"
[ "$(reported_field "r['lastUpdateResult']['result']")" = "none" ] || fail "a result before any update"

# --- A: deferred during maintenance, resumed when it ends ---
reply=$(call_maintenance '{"durationSeconds": -5}')
[ "$reply" = '400 {"error":"'"'"'durationSeconds'"'"' must be an integer from 0 to 86400","field":"durationSeconds"}' ] ||
    fail "maintenance with -5: $reply"
reply=$(call_maintenance '{"durationSeconds": 570}')
[ "$reply" = '200 {"maintenanceSeconds":570}' ] || fail "maintenance 570: $reply"

"$SPHERESIM" deploy "$V2" --device "$DEVICE_ID" --state-dir "$UPDATE_STATE" >/dev/null 2>&1 ||
    fail "deploy v2"
wait_for_log "the app deferred the update: 10 min requested" 30
grep -q "app: INFO: update: maintenance in progress; deferring the update by 10 min" \
    "$DEVICE_LOG" || fail "the app did not log its deferral"
wait_for_reported "r['pendingUpdate']['status']" "deferred"
[ "$(pending type)" = "app" ] || fail "pendingUpdate.type is '$(pending type)'"
[ "$(pending deferredMinutes)" = "10" ] || fail "deferredMinutes is '$(pending deferredMinutes)'"
[ "$(pending maxDeferralMinutes)" -ge 10000 ] || fail "maxDeferralMinutes '$(pending maxDeferralMinutes)'"
[ "$(status_field "s['update']['app_version']")" = "0.0.0" ] || fail "v2 installed while deferred"

reply=$(call_maintenance '{"durationSeconds": 0}')
[ "$reply" = '200 {"maintenanceSeconds":0}' ] || fail "maintenance 0: $reply"
wait_for_log "app: INFO: update: maintenance is over; resuming the deferred update" 10
wait_for_log "app 2.0.0 installed in slot b" 30
wait_for_status "s['update']['app_version']" "2.0.0" 30
# The new version learns from Complete and from what the old one stored at Final.
wait_for_reported "r['lastUpdateResult']['result']" "installed" 30
[ "$(reported_field "r['lastUpdateResult']['previousVersion']")" = "1.1.0" ] ||
    fail "previousVersion: $(reported_field "r['lastUpdateResult']")"
[ "$(reported_field "r['lastUpdateResult']['type']")" = "app" ] || fail "type of the result"
wait_for_reported "r['pendingUpdate']['status']" "none"
[ "$(count "the app deferred the update")" -eq 1 ] || fail "A: more than one deferral"
# After Final the app stops by itself and then waits for the OS's SIGTERM, as the deferred-update
# pattern does; it must not sit out its whole wait.
[ "$(count "no SIGTERM within")" -eq 0 ] || fail "A: the app never got SIGTERM after Final"
# The order the OS and the app saw it in.
python3 - "$DEVICE_LOG" <<'PY' || fail "A: the update happened out of order"
import re, sys
log = open(sys.argv[1]).read().splitlines()
steps = ["app: INFO: update: app update ready to install", "deferring the update by 10 min",
         "app: INFO: update: the update is deferred", "resuming the deferred update",
         "app: INFO: update: Final: the app update installs", "waiting for the OS to stop the app for the update",
         "app: INFO: Application exiting (exit code 60)",
         "app 2.0.0 installed in slot b", "app: INFO: update: Complete"]
at = 0
for step in steps:
    found = next((i for i in range(at, len(log)) if step in log[i]), None)
    assert found is not None, "missing after line %d: %s" % (at, step)
    at = found + 1
PY
# The run that deferred used every capability the manifest grants (the report is the v1 run's:
# written when it stopped for the install).
python3 - "$DEVICE_DIR/records/privilege-report.json" <<'PY' || fail "unused capabilities: $(cat "$DEVICE_DIR/records/privilege-report.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert set(report["unused"]) <= {"PowerControls:ForceReboot",
                                 "AllowedConnections:global.azure-devices-provisioning.net"}, report
assert report["denied"] == [], report
PY

# --- B: no maintenance: v3 goes ahead without a deferral ---
installed_at=$(reported_field "r['lastUpdateResult']['installedAt']")
"$SPHERESIM" deploy "$V3" --device "$DEVICE_ID" --state-dir "$UPDATE_STATE" >/dev/null 2>&1 ||
    fail "deploy v3"
wait_for_log "app: INFO: update: no maintenance in progress; letting it install" 30
wait_for_status "s['update']['app_version']" "3.0.0" 30
wait_for_log "app: INFO: update: Complete" 30 2
[ "$(count "the app deferred the update")" -eq 1 ] || fail "B: v3 was deferred"
for _ in $(seq 60); do
    now=$(reported_field "r['lastUpdateResult'].get('installedAt', '')" 2>/dev/null || true)
    [ -n "$now" ] && [ "$now" != "$installed_at" ] && break
    sleep 0.25
done
[ "$now" != "$installed_at" ] || fail "B: lastUpdateResult still describes v2"
# No Final this time (nothing was deferred): the old version stored its record at Pending.
[ "$(reported_field "r['lastUpdateResult'].get('previousVersion')")" = "1.1.0" ] ||
    fail "B: previousVersion: $(reported_field "r['lastUpdateResult']")"

stop_device || fail "spheresim did not stop cleanly"
echo PASS
