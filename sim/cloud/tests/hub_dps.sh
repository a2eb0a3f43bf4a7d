#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The local Device Provisioning Service end to end, on the hub's own TLS port: an individual X.509
# enrollment and a symmetric-key enrollment group each register (202 with an operation id, a 202
# poll, then 200 "assigned" to this hub), after which the device is in the registry and connects
# to the hub; and the refusals: another id scope, no enrollment, a disabled enrollment (result
# "disabled"), a DPS client publishing to hub topics (closed).
# shellcheck source=hub_lib.sh
source "$(dirname "$0")/hub_lib.sh"

SCOPE="0ne00AB12CD"  # HUB_DPS_DEFAULT_ID_SCOPE
# shellcheck disable=SC2016 # literal MQTT topics
RES='$dps/registrations/res/'
# shellcheck disable=SC2016
REGISTER='$dps/registrations/PUT/iotdps-register/?$rid=1'

dps_username() {
    echo "$1/registrations/$2/api-version=2019-03-31"
}

# dps_x509 REGID CERT STEP...: a registration client presenting CERT under the default id scope.
dps_x509() {
    local id=$1 cert=$2
    shift 2
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert" --key "$cert" --id "$id" \
        --username "$(dps_username "$SCOPE" "$id")" "$@"
}

# dps_sas REGID TOKEN STEP...
dps_sas() {
    local id=$1 token=$2
    shift 2
    "$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --id "$id" \
        --username "$(dps_username "$SCOPE" "$id")" --password "$token" "$@"
}

# The response is sent before the PUBACK, so steps wait rather than `expect` (which only sees
# messages that arrive after it starts).
register_steps() {
    STEPS=(sub "$RES#" pub "$REGISTER" "{\"registrationId\":\"$1\"}" wait 1)
}
poll_steps() {
    local topic="\$dps/registrations/GET/iotdps-get-operationstatus/?\$rid=2&operationId=$1"
    STEPS=(sub "$RES#" pub "$topic" "{}" wait 1 pub "$topic" "{}" wait 1)
}

# body_of OUTPUT STATUS: the payload of the first response with that status.
body_of() {
    payload_of "$1" "${RES}$2/"
}

# provision KIND REGID CRED: register and poll to the end; prints the final (200) body.
provision() {
    local kind=$1 id=$2 cred=$3 out op poll
    register_steps "$id"
    out=$("dps_$kind" "$id" "$cred" "${STEPS[@]}")
    expect_lines "$out" "connack 0" "suback 1"
    local accepted
    accepted=$(body_of "$out" 202)
    [ -n "$accepted" ] || fail "$id: no 202 to the register request: $out"
    printf '%s\n' "$out" | grep -q "^message ${RES}202/?\$rid=1&retry-after=[0-9]" ||
        fail "$id: 202 without rid and retry-after: $out"
    check "$accepted" 'd["status"] == "assigning" and len(d["operationId"]) > 0' "$id register"
    op=$(echo "$accepted" | json_field operationId)
    poll_steps "$op"
    poll=$("dps_$kind" "$id" "$cred" "${STEPS[@]}")
    body_of "$poll" 202 | grep '"assigning"' >/dev/null || fail "$id: first poll not 202 assigning: $poll"
    body_of "$poll" 200
}

# shellcheck disable=SC2119 # the default hub
start_hub

# ---- (a) individual X.509 enrollment ----
# A certificate from the tenant CA for an id the registry does not hold (yet): issued by `device
# add`, then the device removed, so only DPS can put it back.
cert_x=$TEST_DIR/dps-x.pem
cp "$(hub device add dps-x509 | json_field certificate)" "$cert_x"
hub device remove dps-x509 >/dev/null
hub enrollment add dps-x509 --x509 >/dev/null || fail "enrollment add --x509"

result=$(provision x509 dps-x509 "$cert_x")
check "$result" 'd["status"] == "assigned"' "X.509 result"
check "$result" "d['registrationState']['assignedHub'] == '$HUB_HOST'" "X.509 assignedHub"
check "$result" 'd["registrationState"]["deviceId"] == "dps-x509"' "X.509 deviceId"
check "$result" 'd["registrationState"]["substatus"] == "initialAssignment"' "X.509 substatus"
hub device list | grep '"dps-x509"' >/dev/null || fail "assigned X.509 device not in the registry"

out=$(script_x509 dps-x509 "$cert_x" pub devices/dps-x509/messages/events/ x509-hello)
expect_lines "$out" "connack 0" "puback"
[ "$(telemetry_count dps-x509)" = 1 ] || fail "telemetry of the provisioned X.509 device not stored"

# ---- (b) symmetric-key enrollment group ----
hub enrollment group add dps-group --symmetric-key >/dev/null || fail "enrollment group add"
key=$(hub dps key dps-group dps-sym | json_field primaryKey)
token=$(hub dps sas-token dps-sym --key "$key" | json_field sasToken)
result=$(provision sas dps-sym "$token")
check "$result" 'd["status"] == "assigned"' "symmetric-key result"
check "$result" "d['registrationState']['assignedHub'] == '$HUB_HOST'" "symmetric-key assignedHub"
check "$result" 'd["registrationState"]["deviceId"] == "dps-sym"' "symmetric-key deviceId"

hub_token=$(hub device sas-token dps-sym) || fail "no hub SAS token for the provisioned device"
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --id dps-sym --username "$(username dps-sym)" \
    --password "$hub_token" pub devices/dps-sym/messages/events/ sas-hello)
expect_lines "$out" "connack 0" "puback"
[ "$(telemetry_count dps-sym)" = 1 ] || fail "telemetry of the provisioned SAS device not stored"

# ---- (c) refusals ----
# Another id scope: refused at CONNECT (5: not authorised).
out=$("$SCRIPT" --port "$PORT" --cafile "$HUB_CA" --cert "$cert_x" --key "$cert_x" --id dps-x509 \
    --username "$(dps_username 0ne99999999 dps-x509)" sub "$RES#")
expect_lines "$out" "connack 5"

# No enrollment covers the registration id.
cp "$(hub device add dps-none | json_field certificate)" "$TEST_DIR/dps-none.pem"
hub device remove dps-none >/dev/null
out=$(dps_x509 dps-none "$TEST_DIR/dps-none.pem" sub "$RES#")
expect_lines "$out" "connack 5"

# A disabled enrollment authenticates, and the registration result says "disabled".
cp "$(hub device add dps-off | json_field certificate)" "$TEST_DIR/dps-off.pem"
hub device remove dps-off >/dev/null
hub enrollment add dps-off --x509 --disabled >/dev/null || fail "enrollment add --disabled"
result=$(provision x509 dps-off "$TEST_DIR/dps-off.pem")
check "$result" 'd["status"] == "disabled"' "disabled enrollment result"
if hub device list | grep '"dps-off"' >/dev/null; then
    fail "a disabled enrollment's device was put in the registry"
fi

# A DPS client may use its own topics only: hub telemetry closes the connection.
out=$(dps_x509 dps-x509 "$cert_x" pub devices/dps-x509/messages/events/ sneaky)
expect_lines "$out" "connack 0" "closed"
out=$(dps_x509 dps-x509 "$cert_x" sub 'devices/dps-x509/messages/devicebound/#')
expect_lines "$out" "connack 0" "closed"
[ "$(telemetry_count dps-x509)" = 1 ] || fail "a DPS client's telemetry was stored"

finish
