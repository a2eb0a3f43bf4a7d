# SPDX-License-Identifier: MIT
# TLS through the fault proxy: a mosquitto broker with a test CA listens on a free loopback port,
# net_proxy_tool forwards to it, and real TLS clients (openssl s_client, mosquitto_pub/sub) go
# through the proxy. Without toxics, and with latency, jitter and a slicer chopping the TLS
# records into a few bytes at a time, the handshake verifies and a 64 KiB message arrives
# byte-identical. A reset toxic makes the handshake fail, and removing it makes it work again.
# Everything started here is stopped on exit, pass or fail.
#
# Environment (set by CTest): NET_PROXY_TOOL.
set -euo pipefail

: "${NET_PROXY_TOOL:?run through ctest (NET_PROXY_TOOL is the proxy tool)}"

TEST_DIR=$(mktemp -d /tmp/spheresim-net-tls.XXXXXX)
BROKER_PID=""
PROXY_PID=""

cleanup() {
    local status=$?
    exec 3>&-
    for pid in "$PROXY_PID" "$BROKER_PID"; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        fi
    done
    if [ $status -ne 0 ]; then
        for log in broker.log proxy.err proxy.out; do
            if [ -f "$TEST_DIR/$log" ]; then
                echo "--- $log:" >&2
                tail -n 40 "$TEST_DIR/$log" >&2
            fi
        done
    fi
    rm -rf "$TEST_DIR"
}
trap cleanup EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cd "$TEST_DIR"

# --- A test CA and a server certificate for 127.0.0.1. ---
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=spheresim net test CA" -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

port_open() {
    python3 -c 'import socket,sys; s=socket.socket(); s.settimeout(1); sys.exit(s.connect_ex(("127.0.0.1",int(sys.argv[1]))))' "$1"
}

# --- The broker; a port taken between choosing and binding is retried. Run as root, mosquitto
# drops privileges to `user`: naming the invoking user keeps the key files readable. ---
for _ in 1 2 3; do
    BROKER_PORT=$(free_port)
    cat >mosquitto.conf <<EOF
listener $BROKER_PORT 127.0.0.1
cafile $TEST_DIR/ca.crt
certfile $TEST_DIR/server.crt
keyfile $TEST_DIR/server.key
allow_anonymous true
persistence false
log_dest stderr
user $(id -un)
EOF
    mosquitto -c mosquitto.conf >broker.log 2>&1 &
    BROKER_PID=$!
    for _ in $(seq 100); do
        if port_open "$BROKER_PORT"; then
            break 2
        fi
        kill -0 "$BROKER_PID" 2>/dev/null || break
        sleep 0.05
    done
    kill -KILL "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
    BROKER_PID=""
done
[ -n "$BROKER_PID" ] || fail "mosquitto did not start"

# --- The proxy, driven through a FIFO on its stdin. ---
mkfifo commands
"$NET_PROXY_TOOL" --upstream "$BROKER_PORT" --name hub --seed 42 <commands >proxy.out \
    2>proxy.err &
PROXY_PID=$!
exec 3>commands
PROXY_PORT=""
for _ in $(seq 100); do
    PROXY_PORT=$(sed -n 's/^listening \([0-9]*\)$/\1/p' proxy.out)
    [ -n "$PROXY_PORT" ] && break
    kill -0 "$PROXY_PID" 2>/dev/null || fail "net_proxy_tool exited early"
    sleep 0.05
done
[ -n "$PROXY_PORT" ] || fail "net_proxy_tool did not report its port"

replies=0
# command LINE: sends one command and waits for its "ok" or "error" line.
command() {
    echo "$1" >&3
    replies=$((replies + 1))
    for _ in $(seq 200); do
        if [ "$(grep -cE '^(ok|error: )' proxy.out)" -ge "$replies" ]; then
            if [ "$(grep -E '^(ok|error: )' proxy.out | sed -n "${replies}p")" != "ok" ]; then
                fail "proxy command '$1': $(grep -E '^error: ' proxy.out | tail -n 1)"
            fi
            return 0
        fi
        sleep 0.05
    done
    fail "no reply to proxy command '$1'"
}

handshake() {
    openssl s_client -connect "127.0.0.1:$PROXY_PORT" -CAfile ca.crt -verify_return_error \
        -verify_ip 127.0.0.1 -brief </dev/null >handshake.log 2>&1
}

# round_trip TOPIC: a retained 64 KiB message published and read back through the proxy.
round_trip() {
    local topic=$1
    head -c 49152 /dev/urandom | base64 -w 0 >"message.$topic"
    mosquitto_pub -h 127.0.0.1 -p "$PROXY_PORT" --cafile ca.crt -i "pub-$topic" -q 1 -r \
        -t "net/$topic" -f "message.$topic" || fail "mosquitto_pub through the proxy ($topic)"
    mosquitto_sub -h 127.0.0.1 -p "$PROXY_PORT" --cafile ca.crt -i "sub-$topic" -q 1 -C 1 \
        -W 30 -t "net/$topic" >"received.$topic" || fail "mosquitto_sub through the proxy ($topic)"
    # mosquitto_sub ends each message with a newline.
    cmp <(cat "message.$topic"; echo) "received.$topic" || fail "message on $topic changed on the way"
}

# 1. No toxics: the handshake verifies and the message is intact.
handshake || fail "TLS handshake through the proxy: $(cat handshake.log)"
grep -q "Verification: OK" handshake.log || fail "certificate not verified: $(cat handshake.log)"
round_trip plain

# 2. Latency with jitter both ways and a slicer cutting TLS records into 1-7 byte pieces.
command "toxic add all latency 5ms jitter 5ms"
command "toxic add hub slicer size 4 variation 3 delay 0us"
handshake || fail "TLS handshake through latency and slicer: $(cat handshake.log)"
round_trip sliced
grep -q " slice value=" proxy.err || fail "the slicer made no recorded decisions"
grep -q " jitter value=" proxy.err || fail "no jitter decisions recorded"
command "toxic clear all"
command "toxic clear hub"

# 3. A reset toxic breaks the handshake; removing it restores TLS.
command "toxic add hub reset down"
if handshake; then
    fail "TLS handshake succeeded through a reset toxic"
fi
command "toxic remove hub reset_down"
handshake || fail "TLS handshake after removing the reset: $(cat handshake.log)"

command "stats hub"
grep -qE '^hub: listen 127\.0\.0\.1:[0-9]+ upstream 127\.0\.0\.1:[0-9]+ open [0-9]+ total [1-9]' \
    proxy.out || fail "stats did not count the connections"

# Closing stdin ends the proxy cleanly; under ASan its leak check runs at that exit.
exec 3>&-
wait "$PROXY_PID" || fail "net_proxy_tool exited with $?"
PROXY_PID=""
if grep -qE "Sanitizer|runtime error:" proxy.err; then
    fail "proxy reported sanitizer errors: $(grep -E "Sanitizer|runtime error:" proxy.err | head -3)"
fi
echo "PASS"
