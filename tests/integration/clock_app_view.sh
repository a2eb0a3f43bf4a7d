# SPDX-License-Identifier: MIT
# The device clock as the app sees it: `ctl clock set`, `jump` and `rate` reach time(),
# gettimeofday(), clock_gettime(CLOCK_REALTIME[_COARSE]), timespec_get() and libcrypto's "now" in
# the app; a time sync (the link coming up) puts the clock back; libmosquitto's TLS handshake
# fails when the device's clock is past or before the server certificate's validity and passes
# again once the clock is synced. Bad `ctl clock` values are refused with the value named.
source "$(dirname "$0")/lib.sh"

SERVER_PID=""
stop_server_then_cleanup() {
    local status=$?
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    # cleanup reads the test's status from $?; `||` keeps set -e from ending the trap early.
    return_status() { return "$1"; }
    if [ $status -eq 0 ]; then
        cleanup
    else
        return_status $status || cleanup
    fi
}
trap stop_server_then_cleanup EXIT

# expect_usage_error WORDS... : `spheresim WORDS` exits 2 with stderr naming the bad value.
expect_usage_error() {
    local expected=$1
    shift
    local status=0
    "$SPHERESIM" "$@" 2>"$TEST_DIR/err" >/dev/null || status=$?
    [ $status -eq 2 ] || fail "spheresim $* exited $status, expected 2"
    grep -qF -- "$expected" "$TEST_DIR/err" || fail "spheresim $*: '$(cat "$TEST_DIR/err")' lacks '$expected'"
}

# Checked before any device is asked, so none needs to run.
expect_usage_error "'+2x' is not a duration" ctl --device-dir "$DEVICE_DIR" clock jump +2x
expect_usage_error "'36526d' is longer than 100 years" ctl --device-dir "$DEVICE_DIR" clock jump 36526d
expect_usage_error "'2030-02-30T00:00:00Z' is not a date and time" ctl --device-dir "$DEVICE_DIR" clock set 2030-02-30T00:00:00Z
expect_usage_error "'tomorrow' is not a UTC time" ctl --device-dir "$DEVICE_DIR" clock set tomorrow
expect_usage_error "'0' is outside 0.001 to 1000000" ctl --device-dir "$DEVICE_DIR" clock rate 0
expect_usage_error "'fast' is not a number" ctl --device-dir "$DEVICE_DIR" clock rate fast
expect_usage_error "expected status, jump DURATION, set TIME or rate N" ctl --device-dir "$DEVICE_DIR" clock rewind
expect_usage_error "--clock-rate 'fast'" run "$PROBE_APP" --clock-rate fast --device-dir "$DEVICE_DIR"

write_manifest() {
    local path=$1 args=$2
    cat >"$path" <<EOF
{"SchemaVersion": 1, "Name": "probe", "ComponentId": "56200606-01f4-4a70-9f9b-a5d4dd48d090",
 "EntryPoint": "/bin/app", "CmdArgs": $args,
 "Capabilities": {"AllowedConnections": ["127.0.0.1"]}, "ApplicationType": "Default"}
EOF
}

# wait_for_time CONDITION [SECONDS] [TOLERANCE]: waits for a "PROBE time" line logged after the
# last call to mark_log whose fields (libc, gtod, realtime, coarse, timespec, libcrypto, x509,
# mono) satisfy the Python CONDITION. Every view of the time in the line must agree with time()
# to TOLERANCE seconds (default 2; the app reads them one after another, which takes longer in
# device time the faster the clock runs); the coarse clock may lag by a tick more.
LOG_MARK=0
mark_log() {
    LOG_MARK=$(wc -l <"$DEVICE_LOG")
}
wait_for_time() {
    local condition=$1 seconds=${2:-10} tolerance=${3:-2} status=0
    for _ in $(seq $((seconds * 10))); do
        status=0
        tail -n +"$((LOG_MARK + 1))" "$DEVICE_LOG" | python3 -c "
import re, sys
for line in sys.stdin:
    m = re.search(r'PROBE time libc=(-?\d+) gtod=(-?\d+) realtime=(-?\d+) coarse=(-?\d+) '
                  r'timespec=(-?\d+) libcrypto=(-?\d+) x509-2029=(-?\d+) mono=(\d+)', line)
    if not m:
        continue
    libc, gtod, realtime, coarse, timespec, libcrypto, x509, mono = map(int, m.groups())
    agree = all(abs(view - libc) <= $tolerance for view in (gtod, realtime, timespec, libcrypto))
    agree = agree and abs(libc - coarse) <= $tolerance + 1
    agree = agree and x509 == (1 if libcrypto < 1861920000 else -1)
    if not agree:
        print('views of the time disagree: ' + line.strip(), file=sys.stderr)
        sys.exit(2)
    if $condition:
        sys.exit(0)
sys.exit(1)
" || status=$?
        [ $status -eq 0 ] && return 0
        [ $status -eq 2 ] && fail "the app's views of the time disagree"
        sleep 0.1
    done
    fail "no PROBE time line with $condition within ${seconds} s"
}

clock_field() {
    ctl clock | python3 -c "import json,sys; c=json.load(sys.stdin); print($1)"
}

write_manifest "$TEST_DIR/time.json" '["--mode", "time"]'
start_device "$PROBE_APP" --manifest "$TEST_DIR/time.json"
host_before=$(date +%s)
wait_for_time "libc >= $host_before - 2"
[ "$(clock_field 'c["synced"], c["rate"], c["offset_ms"]')" = "True 1 0" ] ||
    fail "a device booted online is not synced at rate 1: $(ctl clock)"

# Set: 2030-01-01T00:00:00Z is 1893456000.
mark_log
ctl clock set 2030-01-01T00:00:00Z >/dev/null
wait_for_time "1893456000 <= libc < 1893456000 + 3600"
wait_for_log "os: clock set to 2030-01-01T00:00:00.000Z"

# Jump forwards: the app's clock moves with the device's.
mark_log
ctl clock jump +2h >/dev/null
wait_for_time "1893456000 + 7200 <= libc < 1893456000 + 2 * 7200"
wait_for_log "os: clock jumped \+2h"

# Rate: device time now runs 3600 times as fast as the host's monotonic clock, which the app's
# timers keep using. Two lines at least 1 s apart on that clock show it.
ctl clock rate 3600 >/dev/null
[ "$(clock_field 'c["rate"]')" = 3600 ] || fail "rate not set: $(ctl clock)"
mark_log
wait_for_time "libc >= 1893456000 + 3 * 7200" 20 600
tail -n +"$((LOG_MARK + 1))" "$DEVICE_LOG" | python3 -c "
import re, sys
lines = [tuple(map(int, m.groups())) for m in
         (re.search(r'PROBE time libc=(\d+) .* mono=(\d+)', l) for l in sys.stdin) if m]
first = lines[0]
later = [l for l in lines if l[1] - first[1] >= 1e9]
if not later:
    sys.exit('no two lines 1 s apart')
device, host = later[0][0] - first[0], (later[0][1] - first[1]) / 1e9
# At 3600x, allowing for the app being descheduled between its two clock readings.
if device < 1800 * host:
    sys.exit(f'device time advanced {device} s in {host:.2f} s of host time')
" || fail "device time in the app is not accelerated"
ctl clock rate 1 >/dev/null

# Time sync: the link coming up puts device time back to network time, for the app as well.
# Network time ran at 3600x too (the device's world is accelerated), so it is hours ahead now.
mark_log
ctl net down
ctl net up
wait_for_log "os: clock synced \(it was \+"
[ "$(clock_field 'c["offset_ms"], c["synced"]')" = "0 True" ] || fail "not synced: $(ctl clock)"
network=$(clock_field 'int(__import__("calendar").timegm(__import__("time").strptime(c["network_time"][:19], "%Y-%m-%dT%H:%M:%S")))')
wait_for_time "$network - 2 <= libc < $network + 3600"
[ "$(status_field 's["clock"]["rate"]')" = 1 ] || fail "ctl status has no clock"
stop_device

# libmosquitto's TLS handshake, verified by libcrypto with the device's clock, against a server
# whose certificate is valid from now for 2 days.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$TEST_DIR/server.key" -out "$TEST_DIR/server.pem" \
    2>/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
openssl s_server -accept "127.0.0.1:$port" -cert "$TEST_DIR/server.pem" -key "$TEST_DIR/server.key" \
    -quiet >"$TEST_DIR/server.log" 2>&1 </dev/null &
SERVER_PID=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
    sleep 0.05
done
write_manifest "$TEST_DIR/tls.json" \
    "[\"--mode\", \"tls\", \"--target\", \"127.0.0.1:$port\", \"--ca\", \"$TEST_DIR/server.pem\"]"
: >"$DEVICE_LOG"
# The probe links all of OpenSSL (device_app trims it to a TLS client), which takes its heap past
# the device's 256 KiB: the budget is not what this test is about.
start_device "$PROBE_APP" --manifest "$TEST_DIR/tls.json" --memory-budget off
wait_for_log "PROBE tls ok"

# Past notAfter: certificate has expired.
ctl clock jump +3d >/dev/null
wait_for_log "PROBE tls error"
mark_log
ok_before=$(grep -c "PROBE tls ok" "$DEVICE_LOG")
# A time sync brings it back.
ctl net down
ctl net up
wait_for_log "PROBE tls ok" 10 $((ok_before + 1))

# Before notBefore: certificate is not yet valid.
errors_before=$(grep -c "PROBE tls error" "$DEVICE_LOG")
ctl clock jump -1d >/dev/null
wait_for_log "PROBE tls error" 10 $((errors_before + 1))
stop_device
echo PASS
