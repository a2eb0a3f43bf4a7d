# SPDX-License-Identifier: MIT
# The lifecycle paths of a well-behaved app: a reboot (from ctl, or requested by the app through
# PowerManagement_ForceSystemReboot) sends SIGTERM and the app exits cleanly; a power cut kills
# it without SIGTERM; ForceSystemReboot without the PowerControls capability is EACCES.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_basic.json"
wait_for_log "PROBE mode graceful"
ctl reboot
wait_for_log "PROBE sigterm"
wait_for_log "os: app exited: code 0, stopped" 5
wait_for_log "PROBE mode graceful" 10 2
ctl power-off
wait_for_log "os: app exited: signal 9 \(SIGKILL\), power-cut" 5
[ "$(grep -c 'PROBE sigterm' "$DEVICE_LOG")" -eq 1 ] || fail "the app got SIGTERM on a power cut"
[ "$(status_field 's["app"]["state"]')" = powered-off ] || fail "device not off"
ctl power-on
wait_for_log "PROBE mode graceful" 10 3
stop_device

# The app asks for the reboot itself.
: >"$DEVICE_LOG"
start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_reboot.json"
wait_for_log "PROBE reboot-call 0 errno none"
wait_for_log "os: the app requested a reboot"
wait_for_log "PROBE sigterm"
wait_for_log "os: boot:" 10 2
stop_device || true

: >"$DEVICE_LOG"
start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_reboot_denied.json"
wait_for_log "PROBE reboot-call -1 errno EACCES"
wait_for_log "os: denied PowerManagement_ForceSystemReboot: the manifest does not grant PowerControls:ForceReboot \(EACCES\)"
stop_device

# The app powers the device down for up to 1 s: SIGTERM, off, then a cold boot.
: >"$DEVICE_LOG"
start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_powerdown.json"
wait_for_log "PROBE powerdown-call 0 errno none"
wait_for_log "PROBE sigterm"
wait_for_log "os: powered down; wakes in 1 s"
wait_for_log "os: power on" 5
wait_for_log "PROBE mode powerdown" 5 2
stop_device || true
echo PASS
