# SPDX-License-Identifier: MIT
# The hub-wide twin rate through `spheresim hub fault throttle` (the HTTP service API): it caps
# the hub as a whole, so while one device keeps the hub busy another device's single requests,
# well within any per-device allowance, get 429; a rate of 0 lifts it. Also the other `hub fault`
# verbs' plumbing: kick, and the usage errors.
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert_a=$(hub device add dev-a | json_field certificate)
cert_b=$(hub device add dev-b | json_field certificate)
TWIN_GET='$iothub/twin/GET/?$rid='

# The hub takes one twin request a second; dev-b's own rate is unlimited.
hub fault throttle --twin 1 || fail "hub fault throttle --twin 1"
hub fault throttle --device dev-b --twin 0 || fail "hub fault throttle --device dev-b"

# dev-a asks again and again (each request waits for its PUBACK), so every one-second window of
# the hub is used up by dev-a almost as soon as it opens.
busy=$TEST_DIR/busy.txt
script_x509_bg "$busy" dev-a "$cert_a" sub '$iothub/twin/res/#' pubn "${TWIN_GET}a" 1000000
busy_pid=$BG_PID
wait_for "$busy" '^message \$iothub/twin/res/429/' 3 10

# dev-b sends one request a second, never more than any per-device limit would allow; the hub's
# total is what refuses them. (One request lands in a fresh window only if it beats dev-a to it,
# so three are enough to see a 429.)
out=$(script_x509 dev-b "$cert_b" sub '$iothub/twin/res/#' \
    pub "${TWIN_GET}b1" '' expect '$iothub/twin/res/' 5 wait 1.1 \
    pub "${TWIN_GET}b2" '' expect '$iothub/twin/res/' 5 wait 1.1 \
    pub "${TWIN_GET}b3" '' expect '$iothub/twin/res/' 5)
[ "$(printf '%s\n' "$out" | grep -c '^expect-ok')" = 3 ] || fail "dev-b got no answers: $out"
printf '%s\n' "$out" | grep -q '^message \$iothub/twin/res/429/?\$rid=b' ||
    fail "no 429 for dev-b while the hub is past its rate: $out"
body=$(payload_of "$out" '$iothub/twin/res/429/')
check "$body" 'd["errorCode"] == 429001' "throttled answer body"

# Rate 0: unlimited again, for dev-b too while dev-a keeps going.
hub fault throttle --twin 0 || fail "hub fault throttle --twin 0"
out=$(script_x509 dev-b "$cert_b" sub '$iothub/twin/res/#' \
    pub "${TWIN_GET}c1" '' expect '$iothub/twin/res/' 5 pub "${TWIN_GET}c2" '' \
    expect '$iothub/twin/res/' 5)
[ "$(printf '%s\n' "$out" | grep -c '^message \$iothub/twin/res/200/')" = 2 ] ||
    fail "twin requests refused with no rate set: $out"
stop_bg "$busy_pid"

# kick through the CLI drops the device.
listener=$TEST_DIR/kicked.txt
script_x509_bg "$listener" dev-b "$cert_b" wait 20
listener_pid=$BG_PID
wait_for "$listener" '^connack 0'
hub fault kick dev-b || fail "hub fault kick"
wait_for "$listener" '^closed$' 1 5
stop_bg "$listener_pid"
hub fault twin delay --device dev-b --delay-ms 10 || fail "hub fault twin delay"
hub fault method normal || fail "hub fault method normal"

# Usage errors (exit 2) and the hub's refusals (exit 1), one line each.
for words in "throttle" "throttle --twin -1" "throttle --twin x" "kick" "twin sometimes" \
    "bogus" "broker-restart --device dev-b" "kick dev-b --kill"; do
    status=0
    # shellcheck disable=SC2086 # the words are meant to split
    err=$(hub fault $words 2>&1 >/dev/null) || status=$?
    case "$words" in
    "twin sometimes") want=1 ;;
    *) want=2 ;;
    esac
    [ "$status" -eq "$want" ] || fail "hub fault $words exited $status, expected $want: $err"
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "hub fault $words: not one line: $err"
done
status=0
hub fault kick ghost >/dev/null 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "kicking an unknown device exited $status"
finish
