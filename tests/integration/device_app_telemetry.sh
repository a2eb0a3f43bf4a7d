# SPDX-License-Identifier: MIT
# device_app against the local hub: telemetry carries the sensor readings and IoT Hub's system
# properties ($.ct, $.ce, a unique $.mid, a creation time), a button press becomes an event
# message, and memory figures are reported through getDiagnostics.
source "$(dirname "$0")/device_app_lib.sh"

start_app
wait_for_log "app: INFO: cloud: connected to spheresim.azure-devices.net" 20
wait_for_log "app: INFO: twin: reporting" 10

ctl sensor temperature 31.5 >/dev/null
ctl potentiometer 1.25 >/dev/null
hub twin patch "$DEVICE_ID" '{"telemetryPeriodSeconds":1}' >/dev/null
wait_for_log "app: INFO: twin: telemetry period is now 1 s" 10
wait_for_telemetry 3 20 telemetry

ctl button A press >/dev/null
wait_for_log "app: INFO: LED1 on"
ctl button A release >/dev/null
wait_for_telemetry 1 10 event

telemetry_json | python3 -c '
import json, re, sys
messages = json.load(sys.stdin)
mids = [m["systemProperties"]["message-id"] for m in messages]
assert len(mids) == len(set(mids)), "duplicate message ids: %s" % mids
readings = [m for m in messages if m["properties"].get("messageType") == "telemetry"]
events = [m for m in messages if m["properties"].get("messageType") == "event"]
for m in messages:
    p = m["systemProperties"]
    assert p["content-type"] == "application/json", p
    assert p["content-encoding"] == "utf-8", p
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9]+", p["message-id"]), p
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", p["iothub-creation-time-utc"]), p
    assert p["iothub-creation-time-utc"] <= p["iothub-enqueuedtime"], p
    json.loads(m["body"])
last = json.loads(readings[-1]["body"])
assert last["temperature"] == 31.5, last
assert abs(last["potentiometer"] - 1.25) < 0.01, last
event = json.loads(events[0]["body"])
assert event == {"event": "buttonPressed", "button": "A", "led1": True}, event
print("telemetry ok:", len(readings), "readings,", len(events), "event(s)")
'

# Memory figures come from applications.h; they are read, not judged, here (the long-run
# check is device_app_resilience.sh).
method getDiagnostics | python3 -c '
import json, sys
answer = json.load(sys.stdin)
assert answer["status"] == 200, answer
p = answer["payload"]
assert p["memory"]["userKB"] > 0 and p["memory"]["peakUserKB"] >= p["memory"]["userKB"], p
assert p["connection"]["connected"] is True and p["connection"]["connects"] >= 1, p
assert p["connection"]["messagesAcknowledged"] >= 4, p
print("memory: user %d KiB, peak %d KiB, total %d KiB" % (p["memory"]["userKB"], p["memory"]["peakUserKB"], p["memory"]["totalKB"]))
'

stop_device
grep -q "app: INFO: Application exiting (exit code 1)" "$DEVICE_LOG" || fail "the app did not end cleanly on SIGTERM"
python3 - "$DEVICE_DIR/records/privilege-report.json" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
# ForceReboot is used only by the reboot method, the DPS host only with --ScopeID, and
# SoftwareUpdateDeferral only when an update arrives during maintenance.
allowed_unused = {"PowerControls:ForceReboot", "AllowedConnections:global.azure-devices-provisioning.net",
                  "SoftwareUpdateDeferral"}
assert set(report["unused"]) <= allowed_unused and report["denied"] == [], report
PY
echo PASS
