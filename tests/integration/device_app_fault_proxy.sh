# SPDX-License-Identifier: MIT
# The OS runs the app's TCP connections through the fault proxy: the hub connection appears as
# an endpoint named after what the app asked for, toxics set with `ctl proxy` act on it, `ctl net
# down` resets it (the app notices at once) while `ctl net down --stall` freezes it, and the
# proxy's own `network` command is refused so the link and the proxy never disagree.
source "$(dirname "$0")/device_app_lib.sh"

start_app --net-seed 42
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
grep -q "net: the app's TCP connections run through the fault proxy (seed 42)" "$DEVICE_LOG" ||
    fail "the OS did not say it proxies with seed 42"
grep -qE "tcp connect to spheresim.azure-devices.net:8883 -> 127.0.0.1:[0-9]+ via the fault proxy" \
    "$DEVICE_LOG" || fail "the hub connection did not go through the proxy"

stats=$(ctl proxy stats)
echo "$stats"
echo "$stats" | grep -qE "^spheresim.azure-devices.net:8883: listen 127.0.0.1:[0-9]+ .* open 1 total 1 " ||
    fail "ctl proxy stats does not show one open connection to the hub"

# A latency toxic on the way to the device: a method still answers, and the decision is logged.
ctl proxy toxic add all latency 300ms down name slow >/dev/null
ctl proxy toxic list | grep "latency 300ms down probability 100% name slow" >/dev/null ||
    fail "the toxic is not listed"
wait_for_log "net: proxy: .*toxic=slow apply" 5
start=$(date +%s%N)
method getDiagnostics | grep '"status":[[:space:]]*200' >/dev/null || fail "getDiagnostics failed under latency"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
echo "getDiagnostics under 300 ms of latency took ${elapsed_ms} ms"
[ "$elapsed_ms" -ge 300 ] || fail "the answer came back in ${elapsed_ms} ms, faster than the latency"
ctl proxy toxic remove all slow >/dev/null

# Bad proxy commands name the problem; the proxy's network switch belongs to the link.
out=$(ctl proxy toxic add all latency 200ms jiter 5ms 2>&1) && fail "a misspelt toxic was accepted"
echo "$out" | grep -q "jiter" || fail "the error does not name the bad token: $out"
out=$(ctl proxy network down 2>&1) && fail "ctl proxy network down was accepted"
echo "$out" | grep -q "ctl net down" || fail "the refusal does not point to ctl net: $out"

# Link down (reset): the open connection is reset and the app sees it straight away.
ctl net down
wait_for_log "net: proxy: .*network-reset" 5
wait_for_log "app: INFO: cloud: disconnected from spheresim.azure-devices.net" 5
ctl net up
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 30 2

# Link down with --stall: the connection stays open (nothing moves) and resumes afterwards.
ctl net down --stall
sleep 1
ctl proxy stats | grep -E "^spheresim.azure-devices.net:8883: .* open 1 " >/dev/null ||
    fail "the stalled connection was closed"
ctl net up
method getDiagnostics | grep '"status":[[:space:]]*200' >/dev/null || fail "no answer after the stall"
[ "$(grep -c "app: INFO: cloud: connected to spheresim.azure-devices.net" "$DEVICE_LOG")" = 2 ] ||
    fail "the app reconnected after a stall it should have ridden out"
stop_device
echo PASS
