# SPDX-License-Identifier: MIT
# Helpers for the over-the-air update tests, on top of lib.sh: the update service in the test's
# own SPHERESIM_HOME (stopped on exit, pass or fail), probe app versions as image packages, and
# reading the device's update state.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

UPDATE_STATE="$SPHERESIM_HOME/update"
PROBE_COMPONENT="56200606-01f4-4a70-9f9b-a5d4dd48d090"

update_cleanup() {
    local status=$?
    set +e
    "$SPHERESIM" deploy --stop --state-dir "$UPDATE_STATE" >/dev/null 2>&1 || true
    # The service runs in the background: its sanitizer reports (ASan builds) are only in its log.
    if grep -q "Sanitizer" "$UPDATE_STATE/service.log" 2>/dev/null; then
        echo "FAIL: the update service reported a sanitizer error:" >&2
        tail -n 40 "$UPDATE_STATE/service.log" >&2
        status=1
    fi
    (exit $status)
    cleanup
    exit $status
}
trap update_cleanup EXIT

# write_manifest FILE CMDARGS_JSON [CAPABILITIES_JSON [COMPONENT]]: a probe manifest.
write_manifest() {
    local file=$1 args=$2
    local caps=${3:-'{"SystemEventNotifications": true, "SoftwareUpdateDeferral": true, "MutableStorage": {"SizeKB": 8}}'}
    local component=${4:-$PROBE_COMPONENT}
    cat >"$file" <<EOF
{
  "SchemaVersion": 1,
  "Name": "spheresim_probe",
  "ComponentId": "$component",
  "EntryPoint": "/bin/app",
  "CmdArgs": $args,
  "Capabilities": $caps,
  "ApplicationType": "Default",
  "MallocVersion": 2
}
EOF
}

# make_app DIR CMDARGS_JSON [CAPABILITIES_JSON [COMPONENT]]: an unpacked probe app in
# $TEST_DIR/DIR with that manifest (files copied, not linked, so that it packs).
make_app() {
    local dir="$TEST_DIR/$1"
    rm -rf "$dir"
    mkdir -p "$dir/bin"
    cp -L "$PROBE_APP/bin/app" "$dir/bin/app"
    write_manifest "$dir/app_manifest.json" "$2" "${3:-}" "${4:-}"
}

# pack DIR VERSION OUT [extra pack options]: a package signed with the tenant key.
pack() {
    local dir=$1 version=$2 out=$3
    shift 3
    "$SPHERESIM" image pack "$TEST_DIR/$dir" -o "$out" --version "$version" "$@" >/dev/null ||
        fail "image pack $dir $version"
}

device_id() {
    cat "$DEVICE_DIR/device_id"
}

# deploy_to_device PACKAGE [deploy options]: deploys to this test's device; prints the reply.
deploy_to_device() {
    local package=$1
    shift
    "$SPHERESIM" deploy "$package" --device "$(device_id)" "$@"
}

# update_field KEY: a field of `ctl status`'s "update" object.
update_field() {
    status_field "s['update']['$1']"
}

# log_device_ms PATTERN [N]: the device time (ms since the epoch) of the Nth (default 1st) log
# line matching the extended regex PATTERN.
log_device_ms() {
    local line
    line=$(grep -E -- "$1" "$DEVICE_LOG" | sed -n "${2:-1}p")
    [ -n "$line" ] || fail "no log line matches '$1'"
    python3 - "$line" <<'EOF'
import datetime, sys
stamp = sys.argv[1][1:sys.argv[1].index("]")]
t = datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
print(int(t.timestamp() * 1000))
EOF
}

# expect_order PATTERN...: each pattern has a log line after the previous pattern's line.
expect_order() {
    local previous=0 line
    for pattern in "$@"; do
        line=$(tail -n "+$((previous + 1))" "$DEVICE_LOG" | grep -nE -- "$pattern" | head -n 1 |
            cut -d: -f1)
        [ -n "$line" ] || fail "no log line matches '$pattern' after line $previous"
        previous=$((previous + line))
    done
}
