# SPDX-License-Identifier: MIT
# Telemetry the broker acknowledged survives the broker being killed: a device publishes QoS 1
# messages and gets every PUBACK, the broker gets SIGKILL, `hub telemetry` still shows every
# message (the store plus the ingest journal), and after a restart the store holds each message
# exactly once, in order, and numbering carries on.
source "$(dirname "$0")/hub_lib.sh"

start_hub
cert=$(hub device add dev-k | json_field certificate)
EVENTS='devices/dev-k/messages/events/'
COUNT=400

pid=$(hub status --json | json_field pid)
# The kill follows the last PUBACK within a millisecond or so, while the latest messages are
# usually still only in the journal (batches go to SQLite every 50 ms).
out=$(script_x509 dev-k "$cert" pubn "$EVENTS" "$COUNT" drop)
kill -KILL "$pid"
expect_lines "$out" "connack 0" "pubacks $COUNT" "dropped"
for _ in $(seq 100); do
    process_alive "$pid" || break
    sleep 0.05
done
process_alive "$pid" && fail "broker $pid survived SIGKILL"
journaled=0
[ -s "$STATE/telemetry.journal" ] && journaled=1
echo "journal held records at the kill: $journaled"

# check_messages WHAT: every acknowledged message once, in publishing order.
check_messages() {
    hub telemetry dev-k --json | python3 -c '
import json, sys
count = int(sys.argv[1])
m = json.load(sys.stdin)
bodies = [x["body"] for x in m]
assert bodies == ["m%d" % i for i in range(1, count + 1)], bodies[:5] + ["..."] + bodies[-5:]
seq = [x["sequence"] for x in m]
assert seq == sorted(set(seq)), "sequences not unique and increasing"
' "$COUNT" || fail "$1: telemetry is not the $COUNT acknowledged messages"
}
check_messages "after SIGKILL, before restart"

hub stop >/dev/null 2>&1 || true
start_hub
check_messages "after restart"
if [ "$journaled" = 1 ]; then
    grep -q "ingest journal: [0-9]* message(s) recovered" "$STATE/broker.log" ||
        fail "the restarted broker did not report recovering the journal"
fi
[ ! -s "$STATE/telemetry.journal" ] || fail "the journal was not emptied after recovery"

# Numbering carries on after the recovered messages.
last=$(hub telemetry dev-k --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["sequence"])')
out=$(script_x509 dev-k "$cert" pub "$EVENTS" after)
expect_lines "$out" "connack 0" "puback"
next=$(hub telemetry dev-k --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[-1]["sequence"])')
[ "$next" -gt "$last" ] || fail "sequence $next after restart does not follow $last"
finish
