# SPDX-License-Identifier: MIT
# The server-ca fault (the untrusted_ca scenario action): `spheresim hub fault server-ca
# untrusted` (POST /spheresim/faults/server-ca) restarts the broker presenting a certificate with
# the hub's names from a CA that devices do not trust. A connected device is dropped and every
# new TLS handshake fails verification against the hub CA, while the service API, which trusts
# both CAs, keeps working. `trusted` brings the hub's own certificate back; so does a new
# `hub start`. Bad requests are refused with the reason.
source "$(dirname "$0")/hub_lib.sh"

# verify_result CAFILE: OpenSSL's verification of the broker's chain against CAFILE, with the
# hub's host name, as "code (text)".
verify_result() {
    echo | openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$1" \
        -verify_hostname "$HUB_HOST" -servername "$HUB_HOST" 2>/dev/null |
        sed -n 's/^ *Verify return code: //p' | head -1
}

start_hub
cert=$(hub device add dev-s | json_field certificate)
http_port=$(hub status --json | json_field httpPort)
[ "$(verify_result "$HUB_CA")" = "0 (ok)" ] || fail "the hub's own chain: $(verify_result "$HUB_CA")"
out=$(script_x509 dev-s "$cert" pub devices/dev-s/messages/events/ before)
expect_lines "$out" "connack 0" "puback"

# A device connected when the certificate changes sees its connection drop.
log=$TEST_DIR/device.txt
script_x509_bg "$log" dev-s "$cert" sub '$iothub/twin/res/#' wait 30
device_pid=$BG_PID
wait_for "$log" '^suback'
pid_before=$(hub status --json | json_field pid)
hub fault server-ca untrusted || fail "hub fault server-ca untrusted failed"
check "$(hub status --json)" 'd["pid"] != '"$pid_before"' and d["port"] == '"$PORT" \
    "the broker was restarted on its port"
wait_for "$log" '^(lost|closed)$' 1 10
stop_bg "$device_pid"

# The handshake fails verification against the hub CA: the issuer is unknown to the device.
result=$(verify_result "$HUB_CA")
case "$result" in
20* | 21*) ;;
*) fail "an untrusted chain verified as: $result" ;;
esac
untrusted_ca="$STATE/pki/untrusted/ca.pem"
[ "$(verify_result "$untrusted_ca")" = "0 (ok)" ] ||
    fail "the untrusted certificate does not carry the hub's names: $(verify_result "$untrusted_ca")"
status=0
out=$(script_x509 dev-s "$cert" pub devices/dev-s/messages/events/ during 2>&1) || status=$?
echo "$out" | grep -q "^puback$" && fail "a device published through an untrusted chain: $out"
# The service API keeps working: it reaches the broker directly.
hub device list | grep '"dev-s"' >/dev/null || fail "the service API is down while the CA is untrusted"
[ "$(telemetry_count dev-s)" = 1 ] || fail "telemetry accepted through an untrusted chain"

# Refusals, over HTTP and on the command line.
post() {
    curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        -d "$1" "http://127.0.0.1:$http_port/spheresim/faults/server-ca"
}
[ "$(post '{}')" = 400 ] || fail "server-ca without ca was not refused with 400"
[ "$(post '{"ca":"evil"}')" = 400 ] || fail "server-ca with ca=evil was not refused with 400"
[ "$(post '{"ca":"trusted","deviceId":"dev-s"}')" = 400 ] || fail "a deviceId was not refused"
body=$(curl -s -X POST -H 'Content-Type: application/json' -d '{"ca":1}' \
    "http://127.0.0.1:$http_port/spheresim/faults/server-ca")
echo "$body" | grep -q 'ca must be one of' || fail "unclear refusal: $body"
status=0
err=$(hub fault server-ca maybe 2>&1) || status=$?
[ "$status" -eq 2 ] && echo "$err" | grep -q "expected untrusted or trusted" ||
    fail "hub fault server-ca maybe: exit $status: $err"

# Trusted again: devices verify and publish.
hub fault server-ca trusted || fail "hub fault server-ca trusted failed"
[ "$(verify_result "$HUB_CA")" = "0 (ok)" ] || fail "trusted again: $(verify_result "$HUB_CA")"
out=$(script_x509 dev-s "$cert" pub devices/dev-s/messages/events/ after)
expect_lines "$out" "connack 0" "puback"

# A new `hub start` always presents the hub's own certificate.
hub fault server-ca untrusted || fail "second hub fault server-ca untrusted failed"
hub stop >/dev/null
start_hub
[ "$(verify_result "$HUB_CA")" = "0 (ok)" ] || fail "after hub start: $(verify_result "$HUB_CA")"
hub stop >/dev/null
status=0
err=$(hub fault server-ca untrusted 2>&1) || status=$?
[ "$status" -eq 3 ] || fail "server-ca on a stopped hub exited $status: $err"
start_hub
finish
