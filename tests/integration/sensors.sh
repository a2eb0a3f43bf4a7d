# SPDX-License-Identifier: MIT
# The sample hardware's sensors through `spheresim ctl`: the probe reads the LSM6DS3's
# temperature over I2C and the potentiometer over the ADC every 200 ms and logs each change; the
# test sets the temperature and the potentiometer and drives the sensor's fault knobs.
source "$(dirname "$0")/lib.sh"

start_device "$PROBE_APP" --manifest "$PROBE_MANIFESTS/manifest_sensors.json"
wait_for_log "PROBE i2c-open ok errno none"
wait_for_log "PROBE who-am-i 0x69 errno none"
wait_for_log "PROBE adc-open ok errno none"
wait_for_log "PROBE adc-bits 12"
wait_for_log "PROBE temperature 25$"
wait_for_log "PROBE potentiometer 0$"

ctl sensor temperature 31.5 >/dev/null
wait_for_log "PROBE temperature 31.5$"
ctl adc 0 1.25 >/dev/null
wait_for_log "PROBE potentiometer (2047|2048|2049)$"
ctl potentiometer 2.5 >/dev/null
wait_for_log "PROBE potentiometer 4095$"
[ "$(status_field 's["sensors"]["potentiometer_v"]')" = "2.5" ] || fail "potentiometer not in status"

# A disconnected sensor does not acknowledge; once connected again it reads as before.
ctl sensor temperature --disconnect >/dev/null
wait_for_log "PROBE temperature-error errno ENXIO"
[ "$(status_field 's["sensors"]["faults"]["temperature_link"]')" = "disconnected" ] ||
    fail "link fault not in status"
ctl sensor temperature --connect 20 >/dev/null
wait_for_log "PROBE temperature 20$"

# A stuck sensor keeps its value whatever the temperature does, until it is freed.
ctl sensor temperature --stuck >/dev/null
ctl sensor temperature -5.25 >/dev/null
sleep 0.6
grep -q "PROBE temperature -5.25" "$DEVICE_LOG" && fail "a stuck sensor followed the temperature"
[ "$(status_field 's["sensors"]["temperature_reading_c"]')" = "20" ] || fail "stuck reading"
ctl sensor temperature --unstuck >/dev/null
wait_for_log "PROBE temperature -5.25$"

# Bad requests are refused without changing anything.
if ctl adc 9 1.0 2>/dev/null; then fail "channel 9 accepted"; fi
if ctl sensor temperature --noise -1 2>/dev/null; then fail "negative noise accepted"; fi

stop_device
python3 - "$DEVICE_DIR/records/privilege-report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
assert report["unused"] == [] and report["denied"] == [], report
PY
echo PASS
