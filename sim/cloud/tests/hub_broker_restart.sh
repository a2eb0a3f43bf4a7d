# SPDX-License-Identifier: MIT
# The broker-restart fault: `spheresim hub fault broker-restart` (POST
# /spheresim/faults/broker-restart on the HTTP service) stops the broker and starts it again on
# the same port. A connected device sees its connection drop and reconnects; the registry, twins,
# queued C2D and accepted telemetry survive, with SIGTERM (a clean stop) and with SIGKILL (a
# crash: the telemetry journal is replayed).
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert=$(hub device add dev-r | json_field certificate)
C2D='devices/dev-r/messages/devicebound/'
pid_before=$(hub status --json | json_field pid)
service_before=$(hub status --json | json_field servicePid)
http_port=$(hub status --json | json_field httpPort)

# State before the restart: a desired property, telemetry, a C2D message queued for later.
hub twin patch dev-r '{"mode":"eco"}' >/dev/null || fail "twin patch"
out=$(script_x509 dev-r "$cert" pub devices/dev-r/messages/events/ before)
expect_lines "$out" "connack 0" "puback"
hub c2d dev-r queued-1 >/dev/null || fail "c2d send"

# A device that stays connected through the restart and reconnects, as a device's retry loop
# does; it subscribes again (its clean session went with the broker) and then receives the queued
# message, reads its twin and sends telemetry.
log=$TEST_DIR/device.txt
script_x509_bg "$log" dev-r "$cert" sub '$iothub/twin/res/#' reconnect 30 \
    sub '$iothub/twin/res/#' sub "${C2D}#" pub '$iothub/twin/GET/?$rid=1' '' \
    expect '$iothub/twin/res/200/' 10 pub devices/dev-r/messages/events/ after wait 30
device_pid=$BG_PID
wait_for "$log" '^suback'

hub fault broker-restart || fail "hub fault broker-restart failed"
status=$(hub status --json) || fail "hub not running after the restart"
check "$status" 'd["port"] == '"$PORT" "the broker kept its port"
check "$status" 'd["pid"] != '"$pid_before" "the broker process was replaced"
check "$status" 'd["servicePid"] == '"$service_before"' and d["httpPort"] == '"$http_port" \
    "the service process stays"
process_alive "$pid_before" && fail "the old broker $pid_before still runs"

wait_for "$log" '^lost$' 1 10
wait_for "$log" '^reconnected 0$' 1 20
wait_for "$log" "^message ${C2D}[^ ]* queued-1$" 1 10
wait_for "$log" '^expect-ok' 1 10
twin=$(payload_of "$(cat "$log")" '$iothub/twin/res/200/')
check "$twin" 'd["desired"]["mode"] == "eco"' "twin after the restart"
wait_for "$log" '^puback$' 2 10
bodies=$(hub telemetry dev-r --json | python3 -c 'import json,sys; print(" ".join(m["body"] for m in json.load(sys.stdin)))')
[ "$bodies" = "before after" ] || fail "telemetry across the restart: $bodies"
stop_bg "$device_pid"
hub device list | grep '"dev-r"' >/dev/null || fail "the registry lost dev-r"
check "$(hub twin get dev-r)" 'd["properties"]["desired"]["mode"] == "eco"' "service twin view"

# A crash (SIGKILL): what the broker acknowledged and what was queued is still there.
out=$(script_x509 dev-r "$cert" pub devices/dev-r/messages/events/ before-crash)
expect_lines "$out" "connack 0" "puback"
hub c2d dev-r queued-2 >/dev/null || fail "c2d send before the crash"
pid_before=$(hub status --json | json_field pid)
hub fault broker-restart --kill || fail "hub fault broker-restart --kill failed"
check "$(hub status --json)" 'd["pid"] != '"$pid_before"' and d["port"] == '"$PORT" \
    "the killed broker was replaced on the same port"
out=$(script_x509 dev-r "$cert" sub "${C2D}#" wait 1.5)
echo "$out" | grep -q "^message ${C2D}[^ ]* queued-2$" || fail "queued C2D lost in the crash: $out"
[ "$(telemetry_count dev-r)" = 3 ] || fail "telemetry lost in the crash: $(hub telemetry dev-r)"

# Over HTTP, and its refusals; with the hub stopped the verb says it is not running.
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{"signal":"SIGHUP"}' "http://127.0.0.1:$http_port/spheresim/faults/broker-restart")
[ "$code" = 400 ] || fail "an unknown signal got $code, not 400"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -d '{}' "http://127.0.0.1:$http_port/spheresim/faults/broker-restart")
[ "$code" = 204 ] || fail "POST /spheresim/faults/broker-restart got $code, not 204"
check "$(hub twin get dev-r)" 'd["deviceId"] == "dev-r"' "the service answers right after a restart"
hub stop >/dev/null
status=0
err=$(hub fault broker-restart 2>&1) || status=$?
[ "$status" -eq 3 ] || fail "broker-restart on a stopped hub exited $status: $err"
echo "$err" | grep -q "is not running" || fail "broker-restart on a stopped hub: $err"
start_hub
finish
