# SPDX-License-Identifier: MIT
# Mutable storage is capped at the manifest's SizeKB (writes past it fail with EFBIG), and
# applications.h reports the app's real heap use.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_storage_fill.json"
kb=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Capabilities"]["MutableStorage"]["SizeKB"])' "$PROBE_MANIFESTS/manifest_storage_fill.json")
wait_for_log "PROBE storage-written $((kb * 1024)) errno EFBIG"
stop_device

: >"$DEVICE_LOG"
start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_memory.json"
wait_for_log "PROBE memory total"
line=$(grep -oE "PROBE memory total [0-9]+ user [0-9]+ peak [0-9]+" "$DEVICE_LOG")
read -r _ _ _ total _ user _ peak <<<"$line"
# The probe holds a 64 KiB buffer it has touched: user-mode use is at least that, peak >= user,
# total >= user, and nothing near the host process's megabytes of RSS.
[ "$user" -ge 64 ] && [ "$user" -lt 1024 ] || fail "user-mode KiB $user"
[ "$peak" -ge "$user" ] || fail "peak $peak < user $user"
[ "$total" -ge "$user" ] || fail "total $total < user $user"
stop_device
echo PASS
