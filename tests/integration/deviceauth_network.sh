# SPDX-License-Identifier: MIT
# Device identity: a device that boots offline has no certificate and is not device-auth ready;
# once the network comes up the OS issues a certificate (CN = the 128-hex device id, valid 24 h,
# chained to the tenant CA) and Application_IsDeviceAuthReady turns true.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_deviceauth.json" --network-down
wait_for_log "PROBE deviceauth ready 0 path $DEVICE_DIR/certs/device.pem"
[ ! -e "$DEVICE_DIR/certs/device.pem" ] || fail "a certificate was issued while offline"
[ "$(status_field 's["network"]["ready"]')" = False ] || fail "network ready while down"

ctl net up
wait_for_log "os: device certificate issued \(valid 24 h\)"
wait_for_log "PROBE deviceauth ready 1 path $DEVICE_DIR/certs/device.pem"

device_id=$(cat "$DEVICE_DIR/device_id")
[[ "$device_id" =~ ^[0-9a-f]{128}$ ]] || fail "device id is not 128 hex digits: $device_id"
subject=$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -subject -nameopt multiline)
echo "$subject" | grep -q "commonName *= *$device_id" || fail "certificate CN is not the device id: $subject"
openssl verify -CAfile "$SPHERESIM_HOME/tenant/ca.pem" "$DEVICE_DIR/certs/device.pem" >/dev/null ||
    fail "certificate does not chain to the tenant CA"
start=$(date -d "$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -startdate | cut -d= -f2)" +%s)
end=$(date -d "$(openssl x509 -in "$DEVICE_DIR/certs/device.pem" -noout -enddate | cut -d= -f2)" +%s)
[ $((end - start)) -eq 86400 ] || fail "certificate validity is $((end - start)) s, not 24 h"

ctl net down
wait_for_log "PROBE deviceauth ready 0" 10 2
stop_device
echo PASS
