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
    for pid_file in "$STATE/service.pid" "$STATE/broker.pid"; do
        if [ -f "$pid_file" ]; then
            kill -KILL "$(cat "$pid_file")" 2>/dev/null || true
        fi
    done
    if [ $status -ne 0 ] && [ -f "$STATE/broker.log" ]; then
        echo "--- broker log ($STATE/broker.log):" >&2
        tail -n 60 "$STATE/broker.log" >&2
    fi
    if [ $status -ne 0 ] && [ -f "$STATE/service.log" ]; then
        echo "--- service log ($STATE/service.log):" >&2
        tail -n 20 "$STATE/service.log" >&2
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
# sanitizer build) or the service process reported a sanitizer error on its way out.
finish() {
    hub stop >/dev/null || fail "hub stop failed"
    local log
    for log in "$STATE/broker.log" "$STATE/service.log"; do
        if [ -f "$log" ] && grep -qE "Sanitizer|runtime error:" "$log"; then
            fail "$log reports sanitizer errors: $(grep -E "Sanitizer|runtime error:" "$log" | head -3)"
        fi
    done
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

# ---- the scripted client (hub_mqtt_script): devices and the raw service client ----

SCRIPT="$SPHERESIM_BUILD_DIR/sim/cloud/tests/hub_mqtt_script"

# script_x509 DEVICE_ID CERT STEP...: a device running steps on one connection.
script_x509() {
    local id=$1 cert=$2
    shift 2
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert" --key "$cert" --id "$id" \
        --username "$(username "$id")" "$@"
}

# script_x509_bg FILE DEVICE_ID CERT STEP...: the same in the background, output to FILE; BG_PID
# is the client process itself (not a subshell), so killing it ends the connection.
script_x509_bg() {
    local file=$1 id=$2 cert=$3
    shift 3
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert" --key "$cert" --id "$id" \
        --username "$(username "$id")" "$@" >"$file" &
    BG_PID=$!
}

# stop_bg PID: ends a background client and reaps it.
stop_bg() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# service_client [--id ID] [--password P] STEP...: the raw service client, with the hub's token
# unless told otherwise. Its own id (spheresim-service-...) keeps it from taking over the HTTP
# service's connection.
service_client() {
    local id="spheresim-service-t$BASHPID$RANDOM" password
    password=$(cat "$STATE/service.token")
    while [ $# -gt 0 ]; do
        case "$1" in
        --id) id=$2; shift 2 ;;
        --password) password=$2; shift 2 ;;
        *) break ;;
        esac
    done
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --id "$id" --username spheresim-service \
        --password "$password" "$@"
}

# svc OP JSON|@FILE [SECONDS]: one service protocol request; prints the answer's JSON
# {"status","body"} (nothing when none came).
svc() {
    local op=$1 body=$2 seconds=${3:-10}
    local rid="r$BASHPID-$RANDOM"
    local step=pub payload=$body
    if [ "${body:0:1}" = "@" ]; then
        step=pubfile
        payload=${body:1}
    fi
    service_client sub '$spheresim/service/res/#' \
        "$step" "\$spheresim/service/req/$op/$rid" "$payload" \
        expect "\$spheresim/service/res/$rid" "$seconds" |
        sed -n "s|^message \\\$spheresim/service/res/$rid ||p"
}

# check JSON PYTHON_EXPR WHAT: fails unless the expression is true with d = the parsed JSON.
check() {
    python3 -c 'import json, sys; d = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$1" "$2" 2>/dev/null || fail "$3: ($2) is false for: ${1:0:600}"
}

# wait_for FILE PATTERN [COUNT [SECONDS]]: until FILE has COUNT lines matching PATTERN (grep -E).
wait_for() {
    local file=$1 pattern=$2 count=${3:-1} seconds=${4:-10}
    local tries=$((seconds * 20))
    for _ in $(seq "$tries"); do
        [ "$(grep -cE "$pattern" "$file" 2>/dev/null || true)" -ge "$count" ] && return 0
        sleep 0.05
    done
    fail "no $count line(s) matching '$pattern' in $file within $seconds s: $(tr '\n' ';' <"$file" | head -c 600)"
}

# payload_of OUTPUT TOPIC_PREFIX: the payload of the first message whose topic starts with it.
payload_of() {
    printf '%s\n' "$1" | python3 -c '
import sys
prefix = sys.argv[1]
for line in sys.stdin:
    if line.startswith("message " + prefix):
        print(line.rstrip("\n").split(" ", 2)[2] if line.count(" ") >= 2 else "")
        break
' "$2"
}
