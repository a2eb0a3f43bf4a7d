# SPDX-License-Identifier: MIT
# A device that never acknowledges: a hand-written MQTT 3.1.1 client over TLS for the hub's
# tests, which connects with a client certificate, subscribes to its C2D topic, prints each C2D
# message it gets ("message TOPIC PAYLOAD") and then drops the connection without the PUBACK, as a
# device losing its network between receiving a message and acknowledging it would. libmosquitto
# always acknowledges, so it cannot play this part.
#
# usage: hub_raw_device.py PORT CA_FILE CERT_FILE DEVICE_ID HUB_HOST COUNT SECONDS
import socket
import ssl
import struct
import sys


def string(data):
    return struct.pack("!H", len(data)) + data


def packet(header, body):
    length = len(body)
    encoded = b""
    while True:
        byte = length % 128
        length //= 128
        encoded += bytes([byte | (0x80 if length else 0)])
        if not length:
            return bytes([header]) + encoded + body


def read_exact(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("connection closed")
        data += chunk
    return data


def read_packet(sock):
    header = read_exact(sock, 1)[0]
    length, multiplier = 0, 1
    for _ in range(4):
        byte = read_exact(sock, 1)[0]
        length += (byte & 0x7F) * multiplier
        multiplier *= 128
        if not byte & 0x80:
            break
    return header, read_exact(sock, length)


def main():
    port, ca, cert, device, host, count, seconds = sys.argv[1:8]
    context = ssl.create_default_context(cafile=ca)
    context.load_cert_chain(cert, cert)
    raw = socket.create_connection(("127.0.0.1", int(port)), timeout=float(seconds))
    sock = context.wrap_socket(raw, server_hostname="localhost")
    user = f"{host}/{device}/?api-version=2021-04-12".encode()
    # CONNECT: protocol level 4, flags username + clean session, keep-alive 60 s.
    sock.sendall(packet(0x10, string(b"MQTT") + bytes([4, 0x82, 0, 60]) + string(device.encode())
                        + string(user)))
    header, body = read_packet(sock)
    print(f"connack {body[1]}", flush=True)
    if body[1] != 0:
        return
    topic = f"devices/{device}/messages/devicebound/#".encode()
    sock.sendall(packet(0x82, struct.pack("!H", 1) + string(topic) + bytes([1])))
    header, body = read_packet(sock)
    print(f"suback {body[2]}", flush=True)
    for _ in range(int(count)):
        header, body = read_packet(sock)
        if header >> 4 != 3:
            continue
        topic_len = struct.unpack("!H", body[:2])[0]
        name = body[2:2 + topic_len].decode()
        start = 2 + topic_len + (2 if (header >> 1) & 3 else 0)
        print(f"message {name} {body[start:].decode()}", flush=True)
    print("dropped", flush=True)  # closing the socket: no PUBACK, no DISCONNECT


if __name__ == "__main__":
    main()
