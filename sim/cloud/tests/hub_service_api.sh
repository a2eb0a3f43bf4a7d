#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The hub's HTTP service API end to end, without the real plugin: `spheresim hub serve` talks TLS
# to a plain mosquitto (throwaway CA made here), where a fake plugin peer (mosquitto_sub and
# mosquitto_pub driven by a small Python script) answers $spheresim/service/req/# with canned
# replies and logs every request it got. The test then drives the REST API with curl and the
# service CLI verbs, restarts the broker under the service, and stops the service. Everything
# runs on free loopback ports in a private temporary directory, removed on exit, pass or fail
# (KEEP_TEST_DIR=1 keeps it for a look at the logs).
set -euo pipefail

: "${SPHERESIM:?run through ctest (SPHERESIM is the spheresim binary)}"

TEST_DIR=$(mktemp -d /tmp/spheresim-hubsvc.XXXXXX)
STATE="$TEST_DIR/state"
BROKER_PID=""
RESPONDER_PID=""
SERVE_PID=""
mkdir -p "$STATE"

stop_pid() {
    local pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    stop_pid "$SERVE_PID"
    stop_pid "$RESPONDER_PID"
    stop_pid "$BROKER_PID"
    if [ $status -ne 0 ]; then
        for log in serve.log responder.log mosquitto.log requests.log; do
            [ -f "$TEST_DIR/$log" ] || continue
            echo "--- $log:" >&2
            tail -n 40 "$TEST_DIR/$log" >&2
        done
    fi
    [ -n "${KEEP_TEST_DIR:-}" ] || rm -rf "$TEST_DIR"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- a throwaway PKI: CA, and a broker certificate for 127.0.0.1 / localhost ----
cd "$TEST_DIR"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
    -subj /CN=hubsvc-test-ca -keyout ca.key -out ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
    -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
    -extfile server.ext -out server.pem 2>/dev/null

# ---- the broker: TLS only, passwords for the service client and the fake plugin peer ----
SERVICE_TOKEN=$(openssl rand -hex 24)
RESPONDER_SECRET=$(openssl rand -hex 24)
# The CLI verbs work on a hub's state directory only, which `hub start` marks with its hub.db.
: >"$STATE/hub.db"
printf '%s\n' "$SERVICE_TOKEN" >"$STATE/service.token"
chmod 600 "$STATE/service.token"
: >passwd
mosquitto_passwd -b passwd spheresim-service "$SERVICE_TOKEN"
mosquitto_passwd -b passwd responder "$RESPONDER_SECRET"
MQTT_PORT=$(free_port)
cat >mosquitto.conf <<EOF
per_listener_settings false
allow_anonymous false
password_file $TEST_DIR/passwd
user $(id -un)
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
log_type subscribe
listener $MQTT_PORT 127.0.0.1
cafile $TEST_DIR/ca.pem
certfile $TEST_DIR/server.pem
keyfile $TEST_DIR/server.key
EOF

start_broker() {
    mosquitto -c "$TEST_DIR/mosquitto.conf" >>"$TEST_DIR/mosquitto.log" 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $MQTT_PORT), 0.2)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$BROKER_PID" 2>/dev/null || fail "mosquitto exited at start"
        sleep 0.1
    done
    fail "mosquitto did not listen within 10 s"
}

# ---- the fake plugin peer ----
cat >responder.py <<'PY'
import json, os, signal, subprocess, sys, threading, time

port, cafile, secret, log_path = sys.argv[1:5]
tls = ["-h", "127.0.0.1", "-p", port, "--cafile", cafile, "-u", "responder", "-P", secret]
devices = {}
telemetry = [{"sequence": n, "deviceId": "dev1", "body": "m%d" % n} for n in (1, 2, 3)]
stopping = False
child = None

def publish(rid, status, body=None):
    answer = {"status": status} if body is None else {"status": status, "body": body}
    subprocess.Popen(["mosquitto_pub", *tls, "-t", "$spheresim/service/res/" + rid,
                      "-m", json.dumps(answer)])

def answer(op, rid, request):
    dev = request.get("deviceId")
    if op == "twin-get":
        if dev == "ghost":
            return publish(rid, 404, {"message": "device ghost is not registered"})
        if dev == "garbled":
            return subprocess.Popen(["mosquitto_pub", *tls, "-t", "$spheresim/service/res/" + rid,
                                     "-m", "not json"])
        return publish(rid, 200, {"deviceId": dev, "etag": "AAAA", "version": 3,
                                  "properties": {"desired": {"$version": 2},
                                                 "reported": {"$version": 1}}})
    if op == "twin-patch":
        desired = dict(request["patch"].get("properties", {}).get("desired", {}))
        desired["$version"] = 3
        return publish(rid, 200, {"deviceId": dev, "properties": {"desired": desired}})
    if op == "method-invoke":
        name = request["methodName"]
        if dev == "offline":
            return publish(rid, 404, {"message": "device offline is not connected"})
        if name == "slow":
            return publish(rid, 504, {"message": "device dev1 did not answer within 5 s"})
        if name == "never":  # a device that never answers, for the shutdown check
            return None
        if name == "fail":
            return publish(rid, 200, {"status": 500, "payload": {"error": "boom"}})
        reply = {"status": 200, "payload": {"method": name, "echo": request.get("payload")}}
        if name == "sleepy":  # answered late, after other requests: rids keep them apart
            return threading.Timer(1.5, publish, (rid, 200, reply)).start()
        return publish(rid, 200, reply)
    if op == "c2d-send":
        return publish(rid, 200, {"messageId": request.get("messageId", "gen-1"), "queued": 1})
    if op == "device-add":
        if dev in devices:
            return publish(rid, 409, {"message": "device %s already exists" % dev})
        devices[dev] = {"deviceId": dev, "status": "enabled",
                        "authentication": {"type": request["authentication"]},
                        "connectionState": "Disconnected"}
        return publish(rid, 200, devices[dev])
    if op in ("device-get", "device-update", "device-remove"):
        if dev not in devices:
            return publish(rid, 404, {"message": "device %s is not registered" % dev})
        if op == "device-remove":
            del devices[dev]
            return publish(rid, 204)
        if "status" in request:
            devices[dev]["status"] = request["status"]
        return publish(rid, 200, devices[dev])
    if op == "device-list":
        return publish(rid, 200, list(devices.values()))
    if op == "telemetry-read":
        after = request.get("after", 0)
        page = [m for m in telemetry if m["sequence"] > after][: request.get("limit", 100)]
        return publish(rid, 200, {"messages": page, "next": page[-1]["sequence"] if page else after})
    if op == "connection-state":
        return publish(rid, 200, {"connected": False, "since": "2024-01-01T00:00:00Z", "events": []})
    if op.startswith("fault-"):
        return publish(rid, 204)
    publish(rid, 400, {"message": "unknown op " + op})

def stop(*_):
    global stopping
    stopping = True
    if child is not None:
        child.terminate()

signal.signal(signal.SIGTERM, stop)
with open(log_path, "a", buffering=1) as log:
    while not stopping:
        # Restarted whenever it ends, so the peer survives the broker restart in the test.
        child = subprocess.Popen(["mosquitto_sub", *tls, "-i", "fake-plugin", "-v",
                                  "-t", "$spheresim/service/req/#"],
                                 stdout=subprocess.PIPE, text=True)
        for line in child.stdout:
            topic, _, payload = line.rstrip("\n").partition(" ")
            _, _, rest = topic.partition("$spheresim/service/req/")
            op, _, rid = rest.partition("/")
            log.write("%s %s\n" % (op, payload))
            answer(op, rid, json.loads(payload))
        child.wait()
        time.sleep(0.2)
PY

# wait_for_subscription N: until the fake plugin has subscribed N times (once per broker run),
# so no request is published before anyone listens.
wait_for_subscription() {
    for _ in $(seq 100); do
        if [ "$(grep -c 'fake-plugin [0-9] \$spheresim/service/req/#' "$TEST_DIR/mosquitto.log")" -ge "$1" ]; then
            return 0
        fi
        sleep 0.1
    done
    fail "the fake plugin did not subscribe within 10 s"
}

start_responder() {
    python3 "$TEST_DIR/responder.py" "$MQTT_PORT" "$TEST_DIR/ca.pem" "$RESPONDER_SECRET" \
        "$TEST_DIR/requests.log" >>"$TEST_DIR/responder.log" 2>&1 &
    RESPONDER_PID=$!
}

start_broker
start_responder
wait_for_subscription 1

# hub.json as `hub start` leaves it: serve takes the MQTT port and the CA from it.
printf '{"port": %d, "caCertificate": "%s"}\n' "$MQTT_PORT" "$TEST_DIR/ca.pem" >"$STATE/hub.json"

# ---- the service ----
"$SPHERESIM" hub serve --help | grep "usage: spheresim hub serve" >/dev/null || fail "hub serve --help"
"$SPHERESIM" hub serve --state-dir "$STATE" --http-port 0 >>"$TEST_DIR/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 100); do
    [ -f "$STATE/service.json" ] && break
    kill -0 "$SERVE_PID" 2>/dev/null || fail "hub serve exited at start"
    sleep 0.1
done
[ -f "$STATE/service.json" ] || fail "no service.json within 10 s"
HTTP_PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["httpPort"])' "$STATE/service.json")
[ "$(cat "$STATE/service.pid")" = "$SERVE_PID" ] || fail "service.pid does not hold the service's pid"
BASE="http://127.0.0.1:$HTTP_PORT"

# http METHOD PATH [BODY] [extra curl args...]: prints the body, then the status on its own line.
http() {
    local method=$1 path=$2 body=${3:-}
    shift $(($# < 3 ? $# : 3))
    if [ -n "$body" ]; then
        # An early 413 closes the connection while curl still sends: keep the status anyway.
        curl -sS --noproxy '*' -X "$method" -H 'Content-Type: application/json' \
            --data-binary "$body" -w '\n%{http_code}\n' "$@" "$BASE$path" 2>/dev/null || true
    else
        curl -sS --noproxy '*' -X "$method" -w '\n%{http_code}\n' "$@" "$BASE$path" || true
    fi
}

# expect STATUS PYTHON_CHECK METHOD PATH [BODY]: the reply has STATUS and the body, bound to `b`
# (parsed JSON, or None when empty), passes the check.
expect() {
    local want=$1 check=$2
    shift 2
    local out status body
    out=$(http "$@")
    status=$(printf '%s\n' "$out" | tail -n 1)
    body=$(printf '%s\n' "$out" | sed '$d')
    [ "$status" = "$want" ] || fail "$* -> HTTP $status, expected $want: $body"
    printf '%s' "$body" | python3 -c "
import json, sys
text = sys.stdin.read()
b = json.loads(text) if text.strip() else None
assert $check, text
" || fail "$* -> body check failed: $check"
}

expect 200 'b == {"ok": True}' GET /spheresim/health

# The service connects in the background; wait until a call goes through the fake plugin.
for _ in $(seq 100); do
    [ "$(http GET /twins/probe | tail -n 1)" = 200 ] && break
    sleep 0.1
done
expect 200 'b["deviceId"] == "dev1" and b["properties"]["desired"]["$version"] == 2' \
    GET '/twins/dev1?api-version=2021-04-12'
grep -q '^twin-get {"deviceId":"dev1"}$' requests.log || fail "twin-get request not as expected"

# ---- refusals: answered by the service itself ----
expect 404 '"ErrorCode:" in b["Message"] and "no such resource" in b["ExceptionMessage"]' GET /nope
expect 405 '"GET, PATCH" in b["ExceptionMessage"]' DELETE /twins/dev1
http DELETE /twins/dev1 "" -D headers.txt >/dev/null
grep -qi '^Allow: GET, PATCH' headers.txt || fail "405 without an Allow header"
expect 400 '"not valid JSON" in b["ExceptionMessage"]' PATCH /twins/dev1 '{"properties":'
expect 400 '"deviceId" in b["ExceptionMessage"]' GET '/twins/bad%20id'
expect 400 '"responseTimeoutInSeconds" in b["ExceptionMessage"]' POST /twins/dev1/methods \
    '{"methodName":"m","responseTimeoutInSeconds":301}'
expect 400 '"limit" in b["ExceptionMessage"]' GET '/spheresim/telemetry?limit=0'
head -c 300000 /dev/zero | tr '\0' ' ' >big.json
expect 413 '"larger than" in b["ExceptionMessage"]' PATCH /twins/dev1 @big.json
python3 -c 'import json; print(json.dumps({"methodName": "m", "payload": "x" * 140000}))' >bigpayload.json
expect 413 '"payload" in b["ExceptionMessage"]' POST /twins/dev1/methods @bigpayload.json
expect 503 '"unreadable" in b["ExceptionMessage"]' GET /twins/garbled

# ---- IoT Hub REST shapes through the fake plugin ----
expect 404 '"DeviceNotFound" in b["Message"] and "ghost" in b["ExceptionMessage"]' GET /twins/ghost
expect 200 'b["properties"]["desired"]["led"] is True' PATCH /twins/dev1 \
    '{"properties":{"desired":{"led":true}}}'
expect 200 'b == {"status": 200, "payload": {"method": "blink", "echo": {"n": 3}}}' \
    POST /twins/dev1/methods '{"methodName":"blink","payload":{"n":3}}'
expect 404 '"DeviceNotOnline" in b["Message"]' POST /twins/offline/methods '{"methodName":"m"}'
expect 504 '"GatewayTimeout" in b["Message"]' POST /twins/dev1/methods '{"methodName":"slow"}'
expect 200 'b["deviceId"] == "d2" and b["authentication"]["type"] == "sas"' PUT /devices/d2 \
    '{"deviceId":"d2","authentication":{"type":"sas"}}'
expect 409 '"DeviceAlreadyExists" in b["Message"]' PUT /devices/d2 '{"deviceId":"d2"}'
expect 200 'b["status"] == "disabled"' PUT /devices/d2 '{"deviceId":"d2","status":"disabled"}'
expect 200 'b["authentication"]["type"] == "x509" and b["status"] == "disabled"' PUT /devices/d3 \
    '{"authentication":{"type":"certificateAuthority"},"status":"disabled"}'
expect 200 '[d["deviceId"] for d in b] == ["d2", "d3"]' GET /devices
expect 200 'b["deviceId"] == "d3"' GET /devices/d3
expect 204 'b is None' DELETE /devices/d3
expect 404 'True' GET /devices/d3
expect 200 'b["queued"] == 1' POST /spheresim/devices/dev1/messages '{"body":"hello"}'
expect 200 '[m["sequence"] for m in b["messages"]] == [3] and b["next"] == 3' \
    GET '/spheresim/telemetry?deviceId=dev1&after=2'
expect 200 'b["connected"] is False' GET /spheresim/devices/dev1/connection
expect 204 'b is None' POST /spheresim/faults/kick '{"deviceId":"dev1"}'
expect 204 'b is None' POST /spheresim/faults/twin '{"mode":"delay","delayMs":100}'

# Concurrent calls, one answered late: each caller gets its own answer.
http POST /twins/dev1/methods '{"methodName":"sleepy","payload":1}' >sleepy.out &
SLEEPY=$!
CALLERS=()
for i in $(seq 10); do
    http GET "/twins/c$i" >"c$i.out" &
    CALLERS+=($!)
done
wait "${CALLERS[@]}" "$SLEEPY"
for i in $(seq 10); do
    grep -q "\"deviceId\":\"c$i\"" "c$i.out" || fail "concurrent twin get c$i: $(cat "c$i.out")"
done
grep -q '"method":"sleepy"' sleepy.out || fail "late method answer lost: $(cat sleepy.out)"

# ---- the CLI verbs over the same API ----
hub() {
    "$SPHERESIM" hub "$@" --state-dir "$STATE"
}
hub twin --help | grep "twin patch ID JSON" >/dev/null || fail "hub twin --help"
hub twin get dev1 | python3 -c 'import json,sys; assert json.load(sys.stdin)["deviceId"] == "dev1"'
hub twin patch dev1 '{"fan":2}' |
    python3 -c 'import json,sys; assert json.load(sys.stdin)["properties"]["desired"]["fan"] == 2'
grep -q '^twin-patch {"deviceId":"dev1","patch":{"properties":{"desired":{"fan":2}}}}$' requests.log ||
    fail "a bare desired object was not sent as properties.desired"
hub twin patch dev1 '{"tags":{"room":"lab"}}' >/dev/null
grep -q '"patch":{"tags":{"room":"lab"}}' requests.log || fail "a full patch was rewrapped"
hub method dev1 blink '{"n":1}' --timeout 10 |
    python3 -c 'import json,sys; b = json.load(sys.stdin); assert b["status"] == 200 and b["payload"]["echo"] == {"n": 1}'
grep -q '"methodName":"blink","payload":{"n":1},"responseTimeoutInSeconds":10' requests.log ||
    fail "--timeout not sent"
hub method dev1 fail | python3 -c 'import json,sys; assert json.load(sys.stdin)["status"] == 500' ||
    fail "a device's error status should print and exit 0"
if hub method offline m 2>err.txt; then fail "method on an offline device exited 0"; fi
grep -q '^spheresim: hub method: .*(HTTP 404)$' err.txt || fail "404 reason: $(cat err.txt)"
if hub method dev1 slow 2>err.txt; then fail "method timeout exited 0"; fi
grep -q '(HTTP 504)' err.txt || fail "504 reason: $(cat err.txt)"
if hub method dev1 m '{bad' 2>/dev/null; then fail "bad payload JSON accepted"; fi
hub c2d dev1 "hi there" --property color=red --property n=1 --ttl 120 --message-id m-7 >c2d.out
grep -q '"messageId":\s*"m-7"' c2d.out || fail "c2d reply: $(cat c2d.out)"
grep -q '^c2d-send {"deviceId":"dev1","body":"hi there","properties":{"color":"red","n":"1"},"messageId":"m-7","ttlSeconds":120}$' requests.log ||
    fail "c2d request not as expected: $(grep c2d-send requests.log | tail -n 1)"
if hub c2d dev1 x --property novalue 2>/dev/null; then fail "--property without = accepted"; fi
hub telemetry dev1 --after 1 |
    python3 -c 'import json,sys; b = json.load(sys.stdin); assert [m["sequence"] for m in b["messages"]] == [2, 3]'
# Run directly, not through the hub function, so SIGINT reaches spheresim and not a subshell.
"$SPHERESIM" hub telemetry dev1 --follow --state-dir "$STATE" >follow.out 2>follow.err &
FOLLOW=$!
sleep 1
kill -INT "$FOLLOW"
wait "$FOLLOW" || fail "telemetry --follow did not exit 0 on SIGINT: $(cat follow.err)"
[ "$(wc -l <follow.out)" = 3 ] || fail "--follow printed $(wc -l <follow.out) lines, expected 3"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' follow.out ||
    fail "--follow lines are not JSON"
if "$SPHERESIM" hub twin get dev1 --state-dir "$TEST_DIR/nothing" 2>err.txt; then
    fail "twin get without a running hub exited 0"
fi
grep -q '^spheresim: hub twin get: .*holds no hub' err.txt || fail "no-hub reason: $(cat err.txt)"

# ---- the broker restarts under the service: health stays up, calls fail fast, then recover ----
stop_pid "$BROKER_PID"
expect 200 'b == {"ok": True}' GET /spheresim/health
expect 503 '"ServiceUnavailable" in b["Message"]' GET /twins/dev1
start_broker
wait_for_subscription 2
recovered=""
for _ in $(seq 150); do
    if [ "$(http GET /twins/dev1 | tail -n 1)" = 200 ]; then
        recovered=yes
        break
    fi
    sleep 0.1
done
[ -n "$recovered" ] || fail "the service did not recover after the broker restart"
kill -0 "$SERVE_PID" || fail "the broker restart killed the service"

# ---- a second service for the same state is refused; SIGTERM stops the first cleanly ----
if "$SPHERESIM" hub serve --state-dir "$STATE" --http-port 0 2>err.txt; then
    fail "a second service started"
fi
grep -q "already runs" err.txt || fail "second service reason: $(cat err.txt)"
# A method call still waiting for its device must not hold up the shutdown.
http POST /twins/dev1/methods '{"methodName":"never","responseTimeoutInSeconds":300}' >never.out &
NEVER=$!
for _ in $(seq 50); do
    grep -q '"methodName":"never"' requests.log && break
    sleep 0.1
done
kill -TERM "$SERVE_PID"
for _ in $(seq 30); do
    kill -0 "$SERVE_PID" 2>/dev/null || break
    sleep 0.1
done
kill -0 "$SERVE_PID" 2>/dev/null && fail "hub serve did not stop within 3 s of SIGTERM"
wait "$SERVE_PID" || fail "hub serve did not exit 0 on SIGTERM"
SERVE_PID=""
wait "$NEVER" || true
[ ! -e "$STATE/service.json" ] && [ ! -e "$STATE/service.pid" ] || fail "service files left behind"
echo PASS
