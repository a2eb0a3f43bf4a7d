# SPDX-License-Identifier: MIT
# `spheresim run --once` returns the app's exit code (or 128+signal); a malformed manifest is
# refused like a failed sideload, naming the file and field; CLI misuse gets a one-line reason.
source "$(dirname "$0")/lib.sh"

status=0
"$SPHERESIM" run "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_exit.json" --once \
    --device-dir "$DEVICE_DIR" >>"$DEVICE_LOG" 2>&1 || status=$?
[ $status -eq 3 ] || fail "--once returned $status, expected the app's exit code 3"

status=0
"$SPHERESIM" run "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_crash.json" --once \
    --device-dir "$DEVICE_DIR" >>"$DEVICE_LOG" 2>&1 || status=$?
[ $status -eq 139 ] || fail "--once returned $status for SIGSEGV, expected 139"

bad="$TEST_DIR/app_manifest.json"
cat >"$bad" <<'JSON'
{"SchemaVersion": 1, "Name": "x", "ComponentId": "56200606-01f4-4a70-9f9b-a5d4dd48d090",
 "EntryPoint": "/bin/app", "ApplicationType": "Default", "Capabilities": {"Gpio": [8, "LED"]}}
JSON
status=0
err=$("$SPHERESIM" run "$PROBE_APP" --manifest "$bad" --once --device-dir "$DEVICE_DIR" 2>&1 >/dev/null) || status=$?
[ $status -eq 1 ] || fail "a malformed manifest gave status $status"
echo "$err" | grep -q "^spheresim: .*app_manifest.json: Capabilities.Gpio\[1\]" ||
    fail "error does not name the file and field: $err"
[ "$(echo "$err" | wc -l)" -eq 1 ] || fail "error is not one line: $err"

status=0
"$SPHERESIM" run --bogus 2>/dev/null || status=$?
[ $status -eq 2 ] || fail "unknown option gave $status, expected 2"
status=0
"$SPHERESIM" ctl --device-dir "$DEVICE_DIR" status 2>"$TEST_DIR/err" || status=$?
[ $status -eq 1 ] && grep -q "no device is running" "$TEST_DIR/err" || fail "ctl without a device: $status $(cat "$TEST_DIR/err")"
status=0
"$SPHERESIM" ctl --device-dir "$DEVICE_DIR" button C press 2>/dev/null || status=$?
[ $status -ne 0 ] || fail "ctl accepted button C"
"$SPHERESIM" --help | grep "usage: spheresim" >/dev/null || fail "--help"
"$SPHERESIM" run --help | grep -- "--once" >/dev/null || fail "run --help"
"$SPHERESIM" ctl --help | grep "power-off" >/dev/null || fail "ctl --help"

# Two OSes can't share a device directory.
start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_basic.json"
status=0
err=$("$SPHERESIM" run "$PROBE_APP" --device-dir "$DEVICE_DIR" 2>&1) || status=$?
[ $status -eq 1 ] && echo "$err" | grep -q "in use by another spheresim" || fail "second OS on one device dir: $status $err"
stop_device
echo PASS
