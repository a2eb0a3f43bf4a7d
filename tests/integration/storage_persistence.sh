# SPDX-License-Identifier: MIT
# Mutable storage survives an app restart, a reboot, a power cut and a restart of spheresim
# itself; RAM state does not.
source "$(dirname "$0")/lib.sh"

manifest="$PROBE_MANIFESTS/manifest_storage.json"
start_device "$PROBE_APP" --manifest "$manifest"
wait_for_log "PROBE counter 1"
ctl reboot
wait_for_log "PROBE counter 2"
ctl power-off
wait_for_status 's["power"]' off
wait_for_log "os: app exited: signal 9 \(SIGKILL\), power-cut"
ctl power-on
wait_for_log "PROBE counter 3"
stop_device

start_device "$PROBE_APP" --manifest "$manifest"
wait_for_log "PROBE counter 4"
stop_device
echo PASS
