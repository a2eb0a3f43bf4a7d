# SPDX-License-Identifier: MIT
# `spheresim scenario` end to end with the probe app: a failing run exits 1, names the failed
# expectation with its device time and trace event, prints the replay command and writes JUnit
# and a JSON trace; the same seed makes the same random decisions (also through the replay
# command) and another seed different ones; a file error names file:line:column; an action
# this build cannot do is skipped (77); Ctrl-C stops everything, hub and devices included, and
# removes the state directory.
set -euo pipefail
: "${SPHERESIM:?run through ctest}"
: "${SPHERESIM_BUILD_DIR:?}"
: "${SPHERESIM_SOURCE_DIR:?}"

TEST_DIR=$(mktemp -d /tmp/spheresim-runner-test.XXXXXX)
export TMPDIR="$TEST_DIR"
RUNNER_PID=""
cleanup() {
    local status=$?
    set +e
    if [ -n "$RUNNER_PID" ] && kill -0 "$RUNNER_PID" 2>/dev/null; then
        kill -KILL "$RUNNER_PID"
    fi
    # Anything a failed test left behind under this directory.
    for conf in "$TEST_DIR"/spheresim-scn-*/hub/mosquitto.conf; do
        [ -f "$conf" ] && "$SPHERESIM" hub stop --state-dir "$(dirname "$conf")" >/dev/null 2>&1
    done
    rm -rf "$TEST_DIR"
    exit $status
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

PROBE="$SPHERESIM_BUILD_DIR/tests/apps/probe.app"
MANIFESTS="$SPHERESIM_SOURCE_DIR/tests/apps/probe"

# --check validates the whole suite without running it.
"$SPHERESIM" scenario --check "$SPHERESIM_SOURCE_DIR"/scenarios/[0-9]*.yaml >"$TEST_DIR/check.out" ||
    fail "--check refused a suite file: $(cat "$TEST_DIR/check.out")"

# A file error: file:line:column and exit 1.
printf 'name: bad\ndevices:\n  - id: d\n    app: x\nsteps:\n  - at: 1s\n    prss: A\n' >"$TEST_DIR/bad.yaml"
status=0
"$SPHERESIM" scenario "$TEST_DIR/bad.yaml" 2>"$TEST_DIR/bad.err" || status=$?
[ "$status" = 1 ] || fail "a bad file exits $status"
grep -q "bad.yaml:7:5: expected a step key .*got \"prss\" (did you mean press?)" "$TEST_DIR/bad.err" || fail "no location: $(cat "$TEST_DIR/bad.err")"

# A device whose manifest is not JSON: the run stops before it starts, naming the file.
printf '{"ComponentId": ' >"$TEST_DIR/broken_manifest.json"
cat >"$TEST_DIR/broken.yaml" <<EOF
name: broken-manifest
time_limit: 10s
devices:
  - id: p
    app: $PROBE
    manifest: $TEST_DIR/broken_manifest.json
expect:
  - name: anything
    eventually:
      log: {matches: "never"}
    within: 5s
EOF
status=0
"$SPHERESIM" scenario "$TEST_DIR/broken.yaml" >"$TEST_DIR/broken.out" 2>&1 || status=$?
[ "$status" != 0 ] || fail "a scenario with a broken manifest passed"
grep -F "the manifest $TEST_DIR/broken_manifest.json is not valid JSON" "$TEST_DIR/broken.out" >/dev/null ||
    fail "the broken manifest is not named: $(cat "$TEST_DIR/broken.out")"

# A failing run: the crash probe restarts, the expectation says it must not.
cat >"$TEST_DIR/crash.yaml" <<EOF
name: probe-must-not-restart
seed: 99
time_limit: 30s
devices:
  - id: p
    app: $PROBE
    manifest: $MANIFESTS/manifest_crash.json
expect:
  - name: never restarts
    always:
      restarts: {count: 0}
    to: 5s
  - eventually:
      log: {matches: "os: started app"}
    within: 10s
EOF
status=0
"$SPHERESIM" scenario "$TEST_DIR/crash.yaml" --junit "$TEST_DIR/crash.xml" \
    --trace "$TEST_DIR/crash.json" >"$TEST_DIR/crash.out" 2>&1 || status=$?
[ "$status" = 1 ] || fail "a failing scenario exits $status: $(cat "$TEST_DIR/crash.out")"
grep -q "^replay: .*scenario .*crash.yaml .*--seed 99$" "$TEST_DIR/crash.out" ||
    fail "no replay command: $(cat "$TEST_DIR/crash.out")"
grep -q '<failure type="expectation" message="expectation 1 &quot;never restarts&quot; (.*crash.yaml:9:5) always restarts: stopped holding: 1 restart(s), expected exactly 0 at device time [0-9.]* s (trace event [0-9]*)"' \
    "$TEST_DIR/crash.xml" || fail "JUnit failure: $(cat "$TEST_DIR/crash.xml")"
python3 - "$TEST_DIR/crash.json" <<'EOF' || fail "trace"
import json, sys
trace = json.load(open(sys.argv[1]))
assert trace["seed"] == "99", trace["seed"]
assert trace["result"]["status"] == "failed"
kinds = {e["type"] for e in trace["events"]}
for kind in ("boot", "log", "app-exit", "failure-report", "expectation", "failure"):
    assert kind in kinds, (kind, kinds)
failed = [e for e in trace["events"] if e["type"] == "expectation" and e["verdict"] == "failed"]
assert len(failed) == 1 and failed[0]["expectation"] == 1, failed
assert all(trace["events"][i]["i"] == i for i in range(len(trace["events"])))
EOF
ls "$TEST_DIR"/spheresim-scn-* >/dev/null 2>&1 && fail "the state directory was left behind"

# The seed decides: the same seed, directly or through the replay command, gives the same
# decisions; another seed other ones.
cat >"$TEST_DIR/dice.yaml" <<EOF
name: dice
time_limit: 30s
devices:
  - id: p
    app: $PROBE
steps:
  - at: 200ms
    twin_delay: {delay: 1s, probability: 0.5}
  - after: 10ms
    twin_delay: {delay: 1s, probability: 0.5}
  - after: 10ms
    twin_delay: {delay: 1s, probability: 0.5}
  - after: 10ms
    twin_delay: {delay: 1s, probability: 0.5}
  - after: 10ms
    sensor_noise: {sensor: temperature, sigma: 1}
EOF
decisions() {
    python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
print(" ".join(str(e.get("draw", e.get("seed"))) for e in t["events"] if e["type"] == "decision"))
' "$1"
}
"$SPHERESIM" scenario "$TEST_DIR/dice.yaml" --seed 5 --trace "$TEST_DIR/d1.json" >"$TEST_DIR/d1.out"
"$SPHERESIM" scenario "$TEST_DIR/dice.yaml" --seed 6 --trace "$TEST_DIR/d3.json" >/dev/null
first=$(decisions "$TEST_DIR/d1.json")
[ -n "$first" ] || fail "no decisions recorded"
other=$(decisions "$TEST_DIR/d3.json")
[ "$first" != "$other" ] || fail "seeds 5 and 6 made the same decisions: $first"
# A passing run does not print the replay command, so build it from the trace.
replay=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["replay"])' "$TEST_DIR/d1.json")
eval "$replay --trace $TEST_DIR/d2.json" >/dev/null
[ "$(decisions "$TEST_DIR/d2.json")" = "$first" ] || fail "the replay made other decisions"
# The device got the noise seed the trace records.
seed=$(python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))
print([e["seed"] for e in t["events"]
       if e["type"] == "decision" and e.get("what") == "sensor-noise-seed"][0])
' "$TEST_DIR/d1.json")
grep -q "temperature noise sigma 1 °C (seed $seed)" "$TEST_DIR/d1.json" ||
    fail "the device did not get the noise seed $seed"

# An action only some builds can do: memory_pressure needs hal_stub's allocator, which the
# sanitizer replaces. In an AddressSanitizer build it is skipped (exit 77) with its place in the
# file; in any other build it runs.
cat >"$TEST_DIR/skip.yaml" <<EOF
name: skip
devices:
  - id: p
    app: $PROBE
steps:
  - at: 1s
    memory_pressure: {limit: 128KiB, for: 1s}
  - until: {log: {matches: "memory pressure"}}
    within: 5s
EOF
status=0
"$SPHERESIM" scenario "$TEST_DIR/skip.yaml" >"$TEST_DIR/skip.out" || status=$?
# Not `ldd | grep -q`: grep -q stops reading at the first match, ldd may then die of SIGPIPE,
# and with pipefail the test would take an ASan build for another one.
if [[ "$(ldd "$SPHERESIM")" == *libasan* ]]; then
    [ "$status" = 77 ] || fail "unsupported action exits $status"
    grep -q "skip.yaml:7:5: memory_pressure is not supported in this build: this is an" \
        "$TEST_DIR/skip.out" || fail "skip reason: $(cat "$TEST_DIR/skip.out")"
else
    [ "$status" = 0 ] || fail "memory_pressure exits $status: $(cat "$TEST_DIR/skip.out")"
fi

# Ctrl-C: everything stops and the state directory goes.
cat >"$TEST_DIR/long.yaml" <<EOF
name: long
time_limit: 2m
devices:
  - id: p
    app: $PROBE
steps:
  - until: {log: {matches: "never printed"}}
    within: 100s
EOF
"$SPHERESIM" scenario "$TEST_DIR/long.yaml" >"$TEST_DIR/long.out" 2>&1 &
RUNNER_PID=$!
for _ in $(seq 200); do
    grep -q "booted" "$TEST_DIR/long.out" && break
    sleep 0.05
done
grep -q "booted" "$TEST_DIR/long.out" || fail "the device did not boot: $(cat "$TEST_DIR/long.out")"
state=$(grep -o "state in [^ ]*/d0" "$TEST_DIR/long.out" | sed 's/state in //; s,/d0$,,')
[ -d "$state" ] || fail "no state directory $state"
kill -INT "$RUNNER_PID"
status=0
wait "$RUNNER_PID" || status=$?
RUNNER_PID=""
[ "$status" = 130 ] || fail "Ctrl-C exits $status"
grep -q "interrupted: stopping everything" "$TEST_DIR/long.out" || fail "no interrupt message"
[ ! -e "$state" ] || fail "the state directory $state is still there"
if pgrep -f "$state" >/dev/null; then
    fail "processes still running: $(pgrep -af "$state")"
fi
echo PASS
