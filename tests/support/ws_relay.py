#!/usr/bin/python3
"""A WebSocket -> TCP relay that frames like KubeVirt's port-forward.

It plays virt-api's streamer (kube-kubevirt-notes.md section 1): an HTTP/1.1
Upgrade on /apis/subresources.kubevirt.io/v1/namespaces/NS/
virtualmachineinstances/NAME/portforward/PORT[/tcp] (subprotocol
plain.kubevirt.io echoed), the TCP connection to the target made *before*
the 101 (refused -> HTTP 500 with a Status body), raw bytes in binary
frames, writes of 10240 bytes or more fragmented like gorilla does, a ping
"keep alive" every --ping-interval seconds, the connection dropped when no
pong came for --pong-deadline seconds, masked client frames required
(close 1002 otherwise), text frames dropped, and a guest EOF ending the
tunnel without a close frame. Prints "PORT <n>" once listening.
"""
import argparse
import base64
import hashlib
import json
import re
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PATH = re.compile(r"^/apis/subresources\.kubevirt\.io/v1/namespaces/[^/]+/"
                  r"virtualmachineinstances/[^/]+/portforward/(\d+)(/tcp)?$")


def frame(op, payload, fin=True):
    b0 = (0x80 if fin else 0) | op
    n = len(payload)
    if n <= 125:
        head = bytes([b0, n])
    elif n <= 0xFFFF:
        head = bytes([b0, 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, 127]) + struct.pack(">Q", n)
    return head + payload


class Tunnel:
    def __init__(self, client, guest, args):
        self.c = client
        self.g = guest
        self.args = args
        self.lock = threading.Lock()
        self.last_pong = time.monotonic()
        self.closed = threading.Event()

    def send(self, data):
        with self.lock:
            self.c.sendall(data)

    def shut(self):
        if not self.closed.is_set():
            self.closed.set()
            for s in (self.c, self.g):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def guest_to_client(self):
        try:
            while True:
                data = self.g.recv(32768)
                if not data:
                    break
                n = len(data)
                if n >= 20480:
                    self.send(frame(2, data, fin=False) + frame(0, b""))
                elif n > 10240:
                    self.send(frame(2, data[:10240], fin=False) +
                              frame(0, data[10240:]))
                else:
                    self.send(frame(2, data))
        except OSError:
            pass
        self.shut()  # EOF without a close frame, as virt-api does

    def pinger(self):
        while not self.closed.wait(self.args.ping_interval):
            if time.monotonic() - self.last_pong > self.args.pong_deadline:
                print("no pong for %.1f s: dropping" % self.args.pong_deadline,
                      file=sys.stderr)
                self.shut()
                return
            try:
                self.send(frame(9, b"keep alive"))
            except OSError:
                return

    def recv_exact(self, n, buf):
        while len(buf) < n:
            chunk = self.c.recv(65536)
            if not chunk:
                raise EOFError
            buf += chunk
        return buf[:n], buf[n:]

    def client_to_guest(self, rest):
        buf = rest
        try:
            while True:
                head, buf = self.recv_exact(2, buf)
                op = head[0] & 0x0F
                masked = head[1] & 0x80
                n = head[1] & 0x7F
                if n == 126:
                    ext, buf = self.recv_exact(2, buf)
                    n = struct.unpack(">H", ext)[0]
                elif n == 127:
                    ext, buf = self.recv_exact(8, buf)
                    n = struct.unpack(">Q", ext)[0]
                if not masked:
                    self.send(frame(8, struct.pack(">H", 1002) + b"bad MASK"))
                    break
                key, buf = self.recv_exact(4, buf)
                data, buf = self.recv_exact(n, buf)
                data = bytes(b ^ key[i % 4] for i, b in enumerate(data))
                if op in (0, 2):
                    self.g.sendall(data)
                elif op == 9:
                    self.send(frame(0xA, data))
                elif op == 0xA:
                    self.last_pong = time.monotonic()
                elif op == 8:
                    self.send(frame(8, struct.pack(">H", 1000)))
                    break
                # op 1 (text): dropped, never forwarded
        except (EOFError, OSError):
            pass
        self.shut()


def status(code, message):
    body = json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure",
                       "message": message, "code": code}).encode()
    return (b"HTTP/1.1 %d Error\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (code, len(body))) + body


def handle(client, args):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = client.recv(4096)
        if not chunk:
            client.close()
            return
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    m = PATH.match(path)
    if method != "GET" or not m:
        client.sendall(status(404, "the server could not find the requested resource"))
        client.close()
        return
    if hdrs.get("upgrade", "").lower() != "websocket" or "sec-websocket-key" not in hdrs:
        client.sendall(status(400, "not a websocket upgrade"))
        client.close()
        return
    try:
        guest = socket.create_connection(("127.0.0.1", args.target_port), timeout=5)
        guest.settimeout(None)
    except OSError as e:
        client.sendall(status(500, "dialing VM: dial tcp 127.0.0.1:%d: %s" %
                              (args.target_port, e)))
        client.close()
        return
    accept = base64.b64encode(hashlib.sha1(hdrs["sec-websocket-key"].encode() + GUID).digest())
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n")
    if "plain.kubevirt.io" in hdrs.get("sec-websocket-protocol", ""):
        resp += b"Sec-WebSocket-Protocol: plain.kubevirt.io\r\n"
    client.sendall(resp + b"\r\n")
    t = Tunnel(client, guest, args)
    threading.Thread(target=t.guest_to_client, daemon=True).start()
    threading.Thread(target=t.pinger, daemon=True).start()
    t.client_to_guest(rest)
    t.closed.wait()
    client.close()
    guest.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--target-port", type=int, required=True)
    ap.add_argument("--ping-interval", type=float, default=1.0)
    ap.add_argument("--pong-deadline", type=float, default=60.0)
    args = ap.parse_args()
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", 0))
    ls.listen(16)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=handle, args=(c, args), daemon=True).start()


if __name__ == "__main__":
    main()
