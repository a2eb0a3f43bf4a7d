# SPDX-License-Identifier: MIT
# Power loss at every step of an update.
#
# 1. The OS's own steps: for every crash point `spheresim deploy --crash-points` lists (download,
#    verify, install, switch, commit, rollback), a fresh device runs with
#    SPHERESIM_UPDATE_CRASH_AT set to it and loses power there (spheresim _exits; the app dies
#    with it). Booted again normally, the device must start a valid app at once, and then end up
#    where the update leads: 2.0.0 installed, or for the rollback steps the factory app back with
#    the crashing version refused.
# 2. The app's steps: `ctl power-off` (the app is killed without SIGTERM) while the update is
#    Pending, while it is deferred, and while the new app is on trial; after `ctl power-on` the
#    device boots a valid app and the update completes.
source "$(dirname "$0")/update_lib.sh"

# Apps without SystemEventNotifications: nothing to warn, so installs go ahead at once.
NO_EVENTS='{"MutableStorage": {"SizeKB": 8}}'
write_manifest "$TEST_DIR/v1.json" '["--mode", "update", "--label", "v1"]' "$NO_EVENTS"
make_app v2 '["--mode", "update", "--label", "v2"]' "$NO_EVENTS"
pack v2 2.0.0 "$TEST_DIR/v2.imagepackage" --sign
make_app crash '["--mode", "crash"]' "$NO_EVENTS"
pack crash 2.0.0 "$TEST_DIR/crash.imagepackage" --sign

GOOD_ID=$(python3 -c "import secrets; print(secrets.token_hex(64))")
CRASH_ID=$(python3 -c "import secrets; print(secrets.token_hex(64))")
"$SPHERESIM" deploy "$TEST_DIR/v2.imagepackage" --device "$GOOD_ID" >/dev/null 2>&1 ||
    fail "deploy v2"
"$SPHERESIM" deploy "$TEST_DIR/crash.imagepackage" --device "$CRASH_ID" >/dev/null 2>&1 ||
    fail "deploy the crashing version"

RUN_OPTIONS=(--manifest "$TEST_DIR/v1.json" --rollback-exits 2 --rollback-window 2s)

mapfile -t steps < <("$SPHERESIM" deploy --crash-points)
[ "${#steps[@]}" -ge 15 ] || fail "only ${#steps[@]} crash points"
for step in "${steps[@]}"; do
    DEVICE_DIR="$TEST_DIR/device-$step"
    DEVICE_LOG="$TEST_DIR/console-$step.log"
    mkdir -p "$DEVICE_DIR"
    case $step in
        rollback-*) echo "$CRASH_ID" >"$DEVICE_DIR/device_id" ;;
        *) echo "$GOOD_ID" >"$DEVICE_DIR/device_id" ;;
    esac
    status=0
    SPHERESIM_UPDATE_CRASH_AT=$step timeout 60 "$SPHERESIM" run "$PROBE_APP" "${RUN_OPTIONS[@]}" \
        --device-dir "$DEVICE_DIR" >>"$DEVICE_LOG" 2>&1 || status=$?
    [ "$status" -eq 86 ] || fail "$step: spheresim ended with $status, not at the crash point"
    grep -q "crash point $step: power lost" "$DEVICE_LOG" || fail "$step: no crash point"
    lines=$(wc -l <"$DEVICE_LOG")

    start_device "$PROBE_APP" "${RUN_OPTIONS[@]}"
    # The first app to start after the power loss is a whole, valid app.
    wait_for_log "PROBE label v[12]|PROBE mode crash" 10 1
    tail -n "+$lines" "$DEVICE_LOG" | grep "cannot start the app" >/dev/null && fail "$step: no valid app"
    case $step in
        rollback-*)
            wait_for_log "rolled back to 0.0.0|running the installed app 'spheresim_probe' 0.0.0" 20
            wait_for_log "update: no update available" 20 1
            [ "$(update_field app_version)" = "0.0.0" ] || fail "$step: not back on the factory app"
            ;;
        *)
            wait_for_log "PROBE label v2" 20
            [ "$(update_field app_version)" = "2.0.0" ] || fail "$step: 2.0.0 is not installed"
            ;;
    esac
    stop_device || fail "spheresim did not stop cleanly"
done

# --- ctl power-off while the update is Pending, deferred, and on trial ---
DEVICE_DIR="$TEST_DIR/device-power"
DEVICE_LOG="$TEST_DIR/console-power.log"
mkdir -p "$DEVICE_DIR"
echo "$GOOD_ID" >"$DEVICE_DIR/device_id"
write_manifest "$TEST_DIR/defer.json" '["--mode", "update", "--label", "v1", "--defer", "1", "--defers", "1"]'
# At 10x, Pending's warning lasts 1 s and a 1 min deferral 6 s of real time.
start_device "$PROBE_APP" --manifest "$TEST_DIR/defer.json" --clock-rate 10
wait_for_log "PROBE sysevent UpdateReadyForInstall Deferred" 30
ctl power-off >/dev/null
wait_for_log "os: powered off" 10
ctl power-on >/dev/null
# The app deferred once per start: after the boot it defers again, then v2 is Pending.
wait_for_log "PROBE sysevent UpdateReadyForInstall Deferred" 30 2
wait_for_log "PROBE sysevent UpdateReadyForInstall Pending" 30 3
ctl power-off >/dev/null
wait_for_log "os: powered off" 10 2
expect_order "PROBE sysevent UpdateReadyForInstall Deferred" "os: power cut" \
    "PROBE sysevent UpdateReadyForInstall Pending" "PROBE sysevent UpdateReadyForInstall Pending" \
    "os: power cut"
grep -q "update: installing" "$DEVICE_LOG" && fail "the install began before the power cuts"
ctl power-on >/dev/null
wait_for_log "PROBE label v2" 60
[ "$(update_field trial)" = "True" ] || fail "v2 is not on trial"
ctl power-off >/dev/null
wait_for_log "os: powered off" 10 3
ctl power-on >/dev/null
wait_for_log "PROBE label v2" 20 2
[ "$(update_field app_version)" = "2.0.0" ] || fail "2.0.0 did not survive a power cut on trial"
[ "$(update_field app_slot)" = "b" ] || fail "not on slot b after the power cut"
stop_device || fail "spheresim did not stop cleanly"
echo "PASS"
