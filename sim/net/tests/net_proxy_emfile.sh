# SPDX-License-Identifier: MIT
# The proxy out of file descriptors: net_proxy_tool runs with so few descriptors that it can hold
# one proxied connection and no more. A second client's connection waits in the listen queue;
# the proxy must rest rather than spin on the listener that keeps reporting it (its CPU time is
# counted over a second), and must take the connection once the first one closes.
#
# Environment (set by CTest): NET_PROXY_TOOL.
set -euo pipefail

: "${NET_PROXY_TOOL:?run through ctest (NET_PROXY_TOOL is the proxy tool)}"

exec python3 - "$NET_PROXY_TOOL" <<'PY'
import os, socket, subprocess, sys, threading, time

tool = sys.argv[1]
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(8)

def echo(conn):
    with conn:
        while True:
            data = conn.recv(4096)
            if not data:
                return
            conn.sendall(data)

def serve():
    while True:
        conn, _ = server.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()

threading.Thread(target=serve, daemon=True).start()

# Descriptors 0-2, the epoll set, its timer, the listener and a signalfd leave two for one
# connection (the accepted socket and the upstream socket) under a limit of 9.
proxy = subprocess.Popen(
    ["bash", "-c", 'ulimit -n 9 && exec "$0" --upstream "$1"', tool,
     str(server.getsockname()[1])],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
try:
    port = int(proxy.stdout.readline().split()[1])

    def round_trip(sock, payload):
        sock.sendall(payload)
        got = b""
        while len(got) < len(payload):
            chunk = sock.recv(4096)
            if not chunk:
                sys.exit("FAIL: connection closed during the echo")
            got += chunk
        if got != payload:
            sys.exit("FAIL: echo changed the bytes")

    first = socket.create_connection(("127.0.0.1", port), timeout=10)
    round_trip(first, b"first")
    second = socket.create_connection(("127.0.0.1", port), timeout=10)  # queued by the kernel
    second.sendall(b"second")

    def cpu_ticks():
        fields = open(f"/proc/{proxy.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    time.sleep(0.3)
    before = cpu_ticks()
    time.sleep(1.0)
    used = cpu_ticks() - before
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    print(f"proxy CPU while out of descriptors: {used} of {ticks_per_second} ticks in 1 s")
    if used > ticks_per_second // 10:
        sys.exit(f"FAIL: the proxy spun while out of descriptors ({used} ticks in 1 s)")

    first.close()
    got = b""
    while len(got) < 6:
        chunk = second.recv(4096)
        if not chunk:
            sys.exit("FAIL: the queued connection was closed instead of served")
        got += chunk
    if got != b"second":
        sys.exit("FAIL: the queued connection's echo changed")
    second.close()
finally:
    proxy.stdin.close()
    try:
        proxy.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proxy.kill()
        proxy.wait()
err = proxy.stderr.read().decode(errors="replace")
if "Sanitizer" in err or "runtime error:" in err:
    sys.exit("FAIL: sanitizer report from the proxy:\n" + err[-2000:])
print("PASS")
PY
