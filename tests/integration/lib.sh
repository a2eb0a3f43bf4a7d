# SPDX-License-Identifier: MIT
# Shared helpers for the integration tests: each test gets its own SPHERESIM_HOME and device
# directory under a fresh temporary directory, starts real spheresim processes, and everything
# it started is stopped and removed on exit, pass or fail.
#
# Environment (set by CTest): SPHERESIM (the binary), SPHERESIM_BUILD_DIR, SPHERESIM_SOURCE_DIR.
set -euo pipefail

: "${SPHERESIM:?run through ctest (SPHERESIM is the spheresim binary)}"
: "${SPHERESIM_BUILD_DIR:?}"
: "${SPHERESIM_SOURCE_DIR:?}"

TEST_DIR=$(mktemp -d /tmp/spheresim-test.XXXXXX)
export SPHERESIM_HOME="$TEST_DIR/home"
DEVICE_DIR="$TEST_DIR/device"
DEVICE_LOG="$TEST_DIR/console.log"
DEVICE_PID=""
PROBE_APP="$SPHERESIM_BUILD_DIR/tests/apps/probe.app"
PROBE_MANIFESTS="$SPHERESIM_SOURCE_DIR/tests/apps/probe"
DEVICE_APP="$SPHERESIM_BUILD_DIR/device_app/device_app.app"

cleanup() {
    local status=$?
    if [ -n "$DEVICE_PID" ] && kill -0 "$DEVICE_PID" 2>/dev/null; then
        kill -KILL "$DEVICE_PID" 2>/dev/null || true
        wait "$DEVICE_PID" 2>/dev/null || true
    fi
    if [ $status -ne 0 ] && [ -f "$DEVICE_LOG" ]; then
        echo "--- device console ($DEVICE_LOG):" >&2
        tail -n 60 "$DEVICE_LOG" >&2
    fi
    rm -rf "$TEST_DIR"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# start_device ARGS... : runs `spheresim run ARGS --device-dir $DEVICE_DIR` in the background and
# waits until its control socket answers.
start_device() {
    "$SPHERESIM" run "$@" --device-dir "$DEVICE_DIR" >>"$DEVICE_LOG" 2>&1 &
    DEVICE_PID=$!
    for _ in $(seq 200); do
        if [ -S "$DEVICE_DIR/ctl.sock" ] && "$SPHERESIM" ctl --device-dir "$DEVICE_DIR" status >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$DEVICE_PID" 2>/dev/null || fail "spheresim run exited early"
        sleep 0.05
    done
    fail "device did not come up within 10 s"
}

# stop_device: SIGINT to spheresim (as Ctrl-C) and wait for it; returns its exit status.
stop_device() {
    kill -INT "$DEVICE_PID"
    local status=0
    wait "$DEVICE_PID" || status=$?
    DEVICE_PID=""
    return $status
}

ctl() {
    "$SPHERESIM" ctl --device-dir "$DEVICE_DIR" "$@"
}

# wait_for_log PATTERN [SECONDS] [COUNT]: waits until the console has COUNT lines matching the
# extended regex PATTERN.
wait_for_log() {
    local pattern=$1 seconds=${2:-10} count=${3:-1}
    local tries=$((seconds * 20))
    for _ in $(seq "$tries"); do
        if [ "$(grep -cE -- "$pattern" "$DEVICE_LOG" 2>/dev/null || true)" -ge "$count" ]; then
            return 0
        fi
        sleep 0.05
    done
    fail "no ${count}x '$pattern' in the device log within ${seconds} s"
}

# status_field PYTHON_EXPR: evaluates an expression over the status JSON bound to `s`.
status_field() {
    ctl status | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}

# wait_for_status PYTHON_EXPR EXPECTED [SECONDS]
wait_for_status() {
    local expr=$1 expected=$2 seconds=${3:-10}
    local value=""
    for _ in $(seq $((seconds * 10))); do
        value=$(status_field "$expr")
        [ "$value" = "$expected" ] && return 0
        sleep 0.1
    done
    fail "status $expr is '$value', expected '$expected' within ${seconds} s"
}
