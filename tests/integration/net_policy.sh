# SPDX-License-Identifier: MIT
# The device's network policy with a real app: names resolve only through the device's host map
# (never real DNS), a connection reaches its mapped loopback endpoint only when the manifest's
# AllowedConnections lists the name (exactly, by "*." wildcard, or as an IP address), a denied
# attempt fails with EACCES and shows in the least-privilege report, `ctl net down` makes lookups
# fail with EAI_AGAIN and connects with ENETUNREACH, and Unix-domain sockets work throughout.
source "$(dirname "$0")/lib.sh"

ECHO_PID=""
trap 'status=$?; set +e; [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null; (exit $status); cleanup' EXIT

# A line echo server on a free 127.0.0.1 port and on a Unix socket.
cat >"$TEST_DIR/echo.py" <<'EOF'
import socket, sys, threading
def serve(server):
    while True:
        conn, _ = server.accept()
        def handle(c=conn):
            with c:
                data = b""
                while not data.endswith(b"\n"):
                    chunk = c.recv(100)
                    if not chunk:
                        return
                    data += chunk
                c.sendall(b"echo " + data)
        threading.Thread(target=handle, daemon=True).start()
tcp = socket.socket()
tcp.bind(("127.0.0.1", 0))
tcp.listen(16)
unix = socket.socket(socket.AF_UNIX)
unix.bind(sys.argv[1])
unix.listen(4)
for server in (tcp, unix):
    threading.Thread(target=serve, args=(server,), daemon=True).start()
print(tcp.getsockname()[1], flush=True)
threading.Event().wait()
EOF
python3 "$TEST_DIR/echo.py" "$TEST_DIR/echo.sock" >"$TEST_DIR/echo.port" &
ECHO_PID=$!
for _ in $(seq 100); do [ -s "$TEST_DIR/echo.port" ] && break; sleep 0.05; done
PORT=$(cat "$TEST_DIR/echo.port")
case "$PORT" in '' | *[!0-9]*) fail "the echo server did not start" ;; esac

cat >"$TEST_DIR/manifest.json" <<EOF
{
  "SchemaVersion": 1, "Name": "probe", "ComponentId": "56200606-01f4-4a70-9f9b-a5d4dd48d090",
  "EntryPoint": "/bin/app", "ApplicationType": "Default",
  "CmdArgs": ["--mode", "connect",
              "--target", "allowed.example.test:80", "--target", "denied.example.test:80",
              "--target", "A.Wild.Example.Test:443", "--target", "nowhere.example.test:80",
              "--target", "127.0.0.1:$PORT", "--target", "allowed.example.test:81",
              "--unix", "$TEST_DIR/echo.sock"],
  "Capabilities": {"AllowedConnections": ["allowed.example.test", "*.wild.example.test",
                                          "127.0.0.1"]}
}
EOF

start_device "$PROBE_APP" --manifest "$TEST_DIR/manifest.json" \
    --map-host "allowed.example.test:80=127.0.0.1:$PORT" \
    --map-host "denied.example.test=127.0.0.1:$PORT" \
    --map-host "a.wild.example.test=127.0.0.1:$PORT"
wait_for_log "PROBE net-done"

expect() {
    grep -qF -- "$1" "$DEVICE_LOG" || fail "no '$1' in the device log"
}
expect_count() {
    local count
    count=$(grep -cF -- "$1" "$DEVICE_LOG" || true)
    [ "$count" -eq "$2" ] || fail "'$1' appears $count times, expected $2"
}

expect "PROBE resolve allowed.example.test ok 127.77.0.1"
expect "PROBE connect allowed.example.test:80 ok"
expect "PROBE echo allowed.example.test:80 echo probe"
expect "os: net: tcp connect to allowed.example.test:80 -> 127.0.0.1:$PORT"
expect "PROBE resolve denied.example.test ok 127.77.0.2"
expect "PROBE connect denied.example.test:80 errno EACCES"
expect "os: denied tcp connect to denied.example.test:80: the manifest's AllowedConnections does not list it (EACCES)"
expect "PROBE connect A.Wild.Example.Test:443 ok"
expect "PROBE echo A.Wild.Example.Test:443 echo probe"
expect "PROBE resolve nowhere.example.test error EAI_NONAME"
expect "PROBE connect 127.0.0.1:$PORT ok"
expect "PROBE connect allowed.example.test:81 errno ECONNREFUSED"
expect "PROBE unix $TEST_DIR/echo.sock ok"
expect "PROBE echo unix echo probe"

# No network: lookups fail as DNS would, connects as with no route; Unix sockets still work.
ctl net down >/dev/null
ctl reboot >/dev/null
wait_for_log "PROBE net-done" 10 2
expect "PROBE resolve allowed.example.test error EAI_AGAIN"
expect "os: net: lookup of allowed.example.test failed: network down (EAI_AGAIN)"
expect "PROBE connect 127.0.0.1:$PORT errno ENETUNREACH"
expect_count "PROBE echo unix echo probe" 2

# Back up: the same run succeeds again.
ctl net up >/dev/null
ctl reboot >/dev/null
wait_for_log "PROBE net-done" 10 3
expect_count "PROBE echo allowed.example.test:80 echo probe" 2
stop_device

python3 - "$DEVICE_DIR/records/privilege-report.json" <<'EOF' || fail "privilege report: $(cat "$DEVICE_DIR/records/privilege-report.json")"
import json, sys
report = json.load(open(sys.argv[1]))
denied = {d["capability"]: d["attempts"] for d in report["denied"]}
assert denied == {"AllowedConnections:denied.example.test": 1}, denied
assert not any(c.startswith("AllowedConnections") for c in report["unused"]), report["unused"]
assert not any(c.startswith("AllowedConnections") for c in report["not_tracked"]), report
EOF
echo PASS
