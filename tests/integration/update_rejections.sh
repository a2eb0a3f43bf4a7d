# SPDX-License-Identifier: MIT
# Packages a device must refuse, each deployed in turn after a good update (2.0.0) installed:
# a tampered payload, a tampered manifest, a missing signature, a wrong signing key, a package
# for another component (an OS release carrying the app's component id), a truncated file and a
# downgrade. Each is downloaded, refused with a failure report naming the reason, never
# installed and never downloaded again; the app keeps running 2.0.0 from slot b.
source "$(dirname "$0")/update_lib.sh"

write_manifest "$TEST_DIR/v1.json" '["--mode", "update", "--label", "v1"]'
make_app v2 '["--mode", "update", "--label", "v2"]'
pack v2 2.0.0 "$TEST_DIR/v2.imagepackage" --sign
make_app v3 '["--mode", "update", "--label", "v3"]'
pack v3 3.0.0 "$TEST_DIR/v3.imagepackage" --sign

# flip PACKAGE OUT WHERE: OUT is PACKAGE with one bit changed in the manifest's bytes ("manifest",
# the first file of the payload) or in the last payload byte ("payload", inside bin/app).
flip() {
    python3 - "$1" "$2" "$3" <<'EOF'
import struct, sys
data = bytearray(open(sys.argv[1], "rb").read())
files = struct.unpack_from("<I", data, 20)[0]
payload_len = struct.unpack_from("<Q", data, 32)[0]
start = 256 + 192 * files
at = start + 10 if sys.argv[3] == "manifest" else start + payload_len - 1
data[at] ^= 0x01
open(sys.argv[2], "wb").write(data)
EOF
}

flip "$TEST_DIR/v3.imagepackage" "$TEST_DIR/tampered-payload.imagepackage" payload
flip "$TEST_DIR/v3.imagepackage" "$TEST_DIR/tampered-manifest.imagepackage" manifest
pack v3 3.0.0 "$TEST_DIR/unsigned.imagepackage"
"$SPHERESIM" image keygen --tenant-dir "$TEST_DIR/other-tenant" >/dev/null || fail "keygen"
pack v3 3.0.0 "$TEST_DIR/wrong-key.imagepackage" --key "$TEST_DIR/other-tenant/image-signing.key"
mkdir -p "$TEST_DIR/os"
echo "not the OS" >"$TEST_DIR/os/release.txt"
pack os 9.0.0 "$TEST_DIR/wrong-component.imagepackage" --type os --component-id "$PROBE_COMPONENT" --sign
size=$(stat -c %s "$TEST_DIR/v3.imagepackage")
head -c $((size - 40)) "$TEST_DIR/v3.imagepackage" >"$TEST_DIR/truncated.imagepackage"
pack v3 1.5.0 "$TEST_DIR/downgrade.imagepackage" --sign

"$SPHERESIM" deploy --start >/dev/null 2>&1 || fail "deploy --start"
start_device "$PROBE_APP" --manifest "$TEST_DIR/v1.json" --clock-rate 10 \
    --update-check-period 10s
wait_for_log "PROBE sysevent NoUpdateAvailable" 20
deploy_to_device "$TEST_DIR/v2.imagepackage" >/dev/null || fail "deploy v2"
wait_for_log "PROBE label v2" 30

n=0
for case in tampered-payload:tampered-payload tampered-manifest:tampered-metadata \
    unsigned:missing-signature wrong-key:wrong-key wrong-component:wrong-component \
    truncated:truncated downgrade:downgrade; do
    file=${case%%:*}
    reason=${case#*:}
    n=$((n + 1))
    warning=$(deploy_to_device "$TEST_DIR/$file.imagepackage" 2>&1 >/dev/null) ||
        fail "$file: deploy failed: $warning"
    case $reason in
        tampered-payload | tampered-metadata | wrong-key | wrong-component | downgrade) ;;
        *) echo "$warning" | grep -q "warning: devices will refuse this package: $reason" ||
            fail "$file: deploy gave no warning about $reason: $warning" ;;
    esac
    wait_for_log "update: deployment [0-9]+ rejected: $reason: " 30
done
# Refused packages are not fetched again: the device tells the service what it refuses.
last=$(grep -n "rejected: downgrade" "$DEVICE_LOG" | cut -d: -f1)
for _ in $(seq 200); do
    [ "$(tail -n "+$last" "$DEVICE_LOG" | grep -c "update: no update available")" -ge 2 ] && break
    sleep 0.1
done
[ "$(grep -c ": downloading" "$DEVICE_LOG")" -eq $((n + 1)) ] || fail "a refused package was fetched again"

# Nothing was installed: 2.0.0 runs from slot b, started once, and no download is left over.
[ "$(update_field app_version)" = "2.0.0" ] || fail "the app is no longer 2.0.0"
[ "$(update_field os_version)" = "1.0.0" ] || fail "the OS changed"
[ "$(grep -c "PROBE label v2" "$DEVICE_LOG")" -eq 1 ] || fail "v2 was restarted"
[ "$(grep -c "installed in slot" "$DEVICE_LOG")" -eq 1 ] || fail "a refused package was installed"
ls "$DEVICE_DIR/update" | grep download >/dev/null && fail "a download was left behind"
report=$("$SPHERESIM" reports --device-dir "$DEVICE_DIR" --csv)
for reason in tampered-payload tampered-metadata missing-signature wrong-key truncated downgrade; do
    echo "$report" | grep -q "Unplanned,Application,1,AppUpdateRejected (reason=$reason; component_id=$PROBE_COMPONENT; version=" ||
        fail "no AppUpdateRejected for $reason in the report: $report"
done
echo "$report" | grep -q "Unplanned,OS,1,OsUpdateRejected (reason=wrong-component; version=9.0.0)" ||
    fail "no OsUpdateRejected for wrong-component in the report: $report"
stop_device || fail "spheresim did not stop cleanly"
echo "PASS"
