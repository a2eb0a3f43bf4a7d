# SPDX-License-Identifier: MIT
# A GPIO missing from the manifest gives EACCES; the OS log names the missing capability and the
# least-privilege report lists the denial.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_gpio8.json"
wait_for_log "PROBE gpio-open -1 errno EACCES"
wait_for_log "os: denied GPIO_OpenAsOutput: the manifest does not grant Gpio:9 \(EACCES\)"
stop_device
report="$DEVICE_DIR/records/privilege-report.json"
python3 - "$report" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert {"capability": "Gpio:9", "attempts": 1} in report["denied"], report
assert "Gpio:8" in report["unused"], report
PY
grep -q 'least-privilege report: .*"denied":\[{"capability":"Gpio:9"' "$DEVICE_LOG" || fail "report not printed"
echo PASS
