# SPDX-License-Identifier: MIT
# An app that ignores SIGTERM is killed with SIGKILL 2 s after the OS asked it to stop.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_ignore_sigterm.json"
wait_for_log "PROBE ignoring-sigterm"
ctl reboot
wait_for_log "os: the app did not exit within 2000 ms of SIGTERM: sending SIGKILL" 10
wait_for_log "os: app exited: signal 9 \(SIGKILL\), killed-after-sigterm-timeout" 5
# After the reboot the app runs again.
wait_for_log "PROBE ignoring-sigterm" 10 2

# The SIGKILL came no earlier than the grace period after the reboot request (device stamps).
python3 - "$DEVICE_LOG" <<'PY'
import re, sys
from datetime import datetime
stamps = {}
for line in open(sys.argv[1]):
    m = re.match(r"\[(\S+)Z\] os: (reboot requested|the app did not exit)", line)
    if m and m.group(2) not in stamps:
        stamps[m.group(2)] = datetime.fromisoformat(m.group(1))
gap = (stamps["the app did not exit"] - stamps["reboot requested"]).total_seconds()
assert gap >= 1.95, f"SIGKILL after {gap} s, before the 2 s grace period"
print(f"grace period observed: {gap:.3f} s")
PY
stop_device || true
grep -q '"reason":"killed-after-sigterm-timeout","ran_ms":[0-9]*,"signal":9' "$DEVICE_DIR/records/exits.jsonl" ||
    fail "no SIGKILL exit record"
echo PASS
