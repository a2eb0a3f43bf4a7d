# SPDX-License-Identifier: MIT
# device_app under spheresim, without a hub: pressing button A through `spheresim ctl` toggles
# LED1, and the status LED follows the network.
source "$(dirname "$0")/lib.sh"

start_device "$DEVICE_APP"
wait_for_log "app: INFO: boot count 1"
wait_for_status 's["leds"]["LED1_RED"]' off
wait_for_status 's["network"]["ready"]' True

# Hold the button until the app has seen it: the app polls, and on a loaded machine a short
# click can fall between two polls (as a too-quick press can on the board).
ctl button A press
wait_for_status 's["leds"]["LED1_RED"]' on
wait_for_log "app: INFO: LED1 on"
ctl button A release
wait_for_status 's["buttons"]["BUTTON_A"]' released
sleep 0.5  # let the app's poll see the button up, so the next press is a new edge
ctl button A press
wait_for_status 's["leds"]["LED1_RED"]' off
ctl button A release

# The app opened its GPIOs through the OS: they show as open, LED1 as an output.
[ "$(status_field '[g for g in s["gpio"] if g["id"] == 8][0]["direction"]')" = output ] ||
    fail "GPIO 8 is not an output"
[ "$(status_field '[g for g in s["gpio"] if g["id"] == 12][0]["open"]')" = True ] ||
    fail "button A's GPIO 12 is not open"

ctl net down
wait_for_log "app: INFO: network not ready"
ctl net up
wait_for_log "app: INFO: network ready" 10 2

stop_device
# Without a hub (and --hub local) the app cannot reach its hosts, and nothing asks it to
# reboot; everything else in the manifest must have been used.
python3 - "$DEVICE_DIR/records/privilege-report.json" <<'PY' || fail "device_app's manifest declares something it does not use: $(cat "$DEVICE_DIR/records/privilege-report.json")"
import json, sys
report = json.load(open(sys.argv[1]))
assert set(report["unused"]) <= {"AllowedConnections:spheresim.azure-devices.net",
                                 "AllowedConnections:global.azure-devices-provisioning.net",
                                 "PowerControls:ForceReboot",
                                 # used only for an update during maintenance
                                 "SoftwareUpdateDeferral"}, report
PY
echo PASS
