# SPDX-License-Identifier: MIT
# What `spheresim hub` commands say when there is no hub to talk to: a state directory that holds
# no hub (a mistyped --state-dir) is an error naming it, and no command but `hub start` creates
# anything in it; after `hub stop` the service verbs say the hub is not running (exit 3) instead
# of trying the last start's port; with the broker up but the service process gone they say so.
source "$(dirname "$0")/hub_lib.sh"

# expect_refusal EXIT PATTERN CMD...: CMD exits EXIT with one stderr line matching PATTERN.
expect_refusal() {
    local want=$1 pattern=$2
    shift 2
    local status=0 err
    err=$("$@" 2>&1 >/dev/null) || status=$?
    [ "$status" -eq "$want" ] || fail "'$*' exited $status, expected $want: $err"
    [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "'$*' error is not one line: $err"
    printf '%s\n' "$err" | grep -qE "$pattern" || fail "'$*' error does not match '$pattern': $err"
}

# ---- a directory that holds no hub, missing or empty ----

missing="$TEST_DIR/no-such-hub"
empty="$TEST_DIR/empty-dir"
mkdir "$empty"
for dir in "$missing" "$empty"; do
    for words in "device list" "device add dev-x --x509" "device remove dev-x" \
        "device sas-token dev-x" "telemetry dev-x" "enrollment list" "enrollment add e1 --x509" \
        "dps key g1 dev-x" "stop"; do
        # shellcheck disable=SC2086 # the words are meant to split
        expect_refusal 1 "holds no hub" "$SPHERESIM" hub $words --state-dir "$dir"
    done
    for words in "twin get dev-x" "method dev-x ping" "c2d dev-x hello" "telemetry dev-x --follow"; do
        # shellcheck disable=SC2086
        expect_refusal 1 "holds no hub" "$SPHERESIM" hub $words --state-dir "$dir"
    done
done
[ ! -e "$missing" ] || fail "commands created $missing: $(find "$missing")"
[ -z "$(ls -A "$empty")" ] || fail "commands created files in $empty: $(ls -A "$empty")"
[ ! -e "$SPHERESIM_HOME/tenant" ] || fail "commands on no hub created the tenant CA"
# `hub status` describes it without creating anything either.
status=0
"$SPHERESIM" hub status --json --state-dir "$missing" >/dev/null || status=$?
[ "$status" -eq 3 ] || fail "status of no hub exited $status"
[ ! -e "$missing" ] || fail "hub status created $missing"

# ---- a hub that was started and stopped ----

start_hub
cert=$(hub device add dev-1 | json_field certificate)
out=$(hub twin get dev-1) || fail "twin get on the running hub failed"
check "$out" 'd["deviceId"] == "dev-1"' "twin get while running"
hub stop >/dev/null
for words in "twin get dev-1" "twin patch dev-1 {\"a\":1}" "method dev-1 ping" "c2d dev-1 hello" \
    "telemetry dev-1 --after 0"; do
    # shellcheck disable=SC2086
    expect_refusal 3 "the hub in .* is not running \(start it with 'spheresim hub start" \
        "$SPHERESIM" hub $words --state-dir "$STATE"
done
# The registry still works on a stopped hub: it is the same database.
hub device list | grep '"dev-1"' >/dev/null || fail "device list on a stopped hub"

# ---- the broker runs, the service process does not ----

start_hub
service_pid=$(hub status --json | json_field servicePid)
kill "$service_pid"
for _ in $(seq 100); do
    process_alive "$service_pid" || break
    sleep 0.05
done
expect_refusal 3 "runs, but its service API does not" hub twin get dev-1
hub start >/dev/null || fail "start with the service process gone"
out=$(hub twin get dev-1) || fail "twin get after the service came back"
check "$out" 'd["deviceId"] == "dev-1"' "twin get after the service came back"
finish
