# SPDX-License-Identifier: MIT
# Shared helpers for the local hub's integration tests: a private SPHERESIM_HOME and hub state
# directory under a fresh temporary directory, the hub started on a free loopback port by the
# real `spheresim hub start`, devices driven by hub_mqtt_probe (libmosquitto over real TLS), and
# everything stopped and removed on exit, pass or fail.
#
# Environment (set by CTest): SPHERESIM (the binary), SPHERESIM_BUILD_DIR, SPHERESIM_SOURCE_DIR.
set -euo pipefail

: "${SPHERESIM:?run through ctest (SPHERESIM is the spheresim binary)}"
: "${SPHERESIM_BUILD_DIR:?}"

TEST_DIR=$(mktemp -d /tmp/spheresim-hub-test.XXXXXX)
export SPHERESIM_HOME="$TEST_DIR/home"
STATE="$TEST_DIR/hub"
PROBE="$SPHERESIM_BUILD_DIR/sim/cloud/tests/hub_mqtt_probe"
OBSERVER_PLUGIN="$SPHERESIM_BUILD_DIR/sim/cloud/tests/libspheresim_hub_test_observer.so"
HUB_HOST="spheresim.azure-devices.net"
PORT=""
HUB_CA=""

cleanup() {
    local status=$?
    "$SPHERESIM" hub stop --state-dir "$STATE" >/dev/null 2>&1 || true
    # Belt and braces: never leave a broker behind, even if `hub stop` itself is what broke.
    if [ -f "$STATE/broker.pid" ]; then
        kill -KILL "$(cat "$STATE/broker.pid")" 2>/dev/null || true
    fi
    if [ $status -ne 0 ] && [ -f "$STATE/broker.log" ]; then
        echo "--- broker log ($STATE/broker.log):" >&2
        tail -n 60 "$STATE/broker.log" >&2
    fi
    rm -rf "$TEST_DIR"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

hub() {
    "$SPHERESIM" hub "$@" --state-dir "$STATE"
}

# process_alive PID: true for a live process; a zombie (the broker is reparented to whatever
# reaps orphans here, which may be slow or absent) counts as gone.
process_alive() {
    local state
    state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$state" ] && [ "$state" != "Z" ] && [ "$state" != "X" ]
}

# finish: stops the hub and fails if the broker (with the plugin under ASan/UBSan in a
# sanitizer build) reported a sanitizer error on its way out.
finish() {
    hub stop >/dev/null || fail "hub stop failed"
    if grep -qE "Sanitizer|runtime error:" "$STATE/broker.log"; then
        fail "the broker reported sanitizer errors: $(grep -E "Sanitizer|runtime error:" "$STATE/broker.log" | head -3)"
    fi
    echo "PASS"
}

# json_field FIELD: reads a JSON object on stdin and prints one field.
json_field() {
    python3 -c "import json,sys; print(json.load(sys.stdin)[sys.argv[1]])" "$1"
}

# start_hub [ARGS...]: starts the hub and sets PORT and HUB_CA from `hub status --json`.
start_hub() {
    hub start "$@" >/dev/null || fail "hub start failed"
    local status
    status=$(hub status --json) || fail "hub status after start says not running"
    PORT=$(echo "$status" | json_field port)
    HUB_CA=$(echo "$status" | json_field caCertificate)
    case "$PORT" in '' | *[!0-9]*) fail "no port in hub status: $status" ;; esac
}

username() {
    echo "$HUB_HOST/$1/?api-version=2021-04-12"
}

# probe_x509 DEVICE_ID CERT ACTION...: a device client presenting CERT (cert and key in one file).
probe_x509() {
    local id=$1 cert=$2
    shift 2
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --cert "$cert" --key "$cert" --id "$id" \
        --username "$(username "$id")" "$@"
}

# probe_sas DEVICE_ID TOKEN ACTION...
probe_sas() {
    local id=$1 token=$2
    shift 2
    "$PROBE" --port "$PORT" --cafile "$HUB_CA" --id "$id" --username "$(username "$id")" \
        --password "$token" "$@"
}

# expect_lines OUTPUT EXPECTED...: each EXPECTED line must appear in OUTPUT, in order.
expect_lines() {
    local output=$1
    shift
    local joined
    joined=$(printf '%s\n' "$@")
    python3 - "$output" "$joined" <<'EOF' || fail "expected lines [$(echo "$joined" | tr '\n' ';')] in output [$(echo "$output" | tr '\n' ';')]"
import sys
have = sys.argv[1].splitlines()
at = 0
for want in sys.argv[2].splitlines():
    while at < len(have) and have[at] != want:
        at += 1
    if at == len(have):
        sys.exit(1)
    at += 1
EOF
}

# telemetry_count DEVICE_ID
telemetry_count() {
    hub telemetry "$1" --json | python3 -c "import json,sys; print(len(json.load(sys.stdin)))"
}
