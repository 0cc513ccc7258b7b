"""KubeVirt port-forward served exactly as virt-api does (kube-kubevirt-notes.md §1): the guest port is
dialed first (500 when it refuses), then the WebSocket upgrade (101, `plain.kubevirt.io` echoed when
offered), raw bytes in binary frames (fragmented like gorilla with a 10240-byte write buffer), pings
`keep alive` every second, a 60 s read deadline pushed only by PONGs, EOF without a close frame when the
guest side closes, close 1000 echoed when the client closes. One thread per tunnel (no concurrent use of
the TLS socket)."""
import base64
import hashlib
import json
import logging
import os
import re
import select
import socket
import ssl
import struct
import time

log = logging.getLogger("labsim.portforward")

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
WRITE_BUFFER = 10240
PING_EVERY = 1.0
READ_DEADLINE = 60.0


def accept_key(key):
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def frame(opcode, payload, fin=True):
    b0 = (0x80 if fin else 0) | opcode
    n = len(payload)
    if n <= 125:
        head = struct.pack("!BB", b0, n)
    elif n < 65536:
        head = struct.pack("!BBH", b0, 126, n)
    else:
        head = struct.pack("!BBQ", b0, 127, n)
    return head + payload


def data_frames(chunk):
    """gorilla/websocket NextWriter + io.Copy with WriteBufferSize 10240."""
    n = len(chunk)
    if n < WRITE_BUFFER:
        return frame(0x2, chunk)
    if n < 2 * WRITE_BUFFER:
        return frame(0x2, chunk[:WRITE_BUFFER], fin=False) + frame(0x0, chunk[WRITE_BUFFER:])
    return frame(0x2, chunk, fin=False) + frame(0x0, b"")


def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


def write_status(sock, code, reason, message):
    body = json.dumps(status_body(code, reason, message)).encode()
    text = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 500: "Internal Server Error"}.get(code, "Error")
    sock.sendall(("HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                  "Connection: close\r\n\r\n" % (code, text, len(body))).encode() + body)


def _header(headers, name):
    if headers is None:
        return None
    try:
        v = headers.get(name)
        if v is None:
            v = headers.get(name.lower())
        return v
    except AttributeError:
        for k, v in headers:
            if k.lower() == name.lower():
                return v
    return None


class Parser:
    """Incremental parser of client frames."""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while True:
            b = self.buf
            if len(b) < 2:
                break
            fin, op = b[0] & 0x80, b[0] & 0x0F
            masked, n = b[1] & 0x80, b[1] & 0x7F
            i = 2
            if n == 126:
                if len(b) < 4:
                    break
                n = struct.unpack("!H", b[2:4])[0]
                i = 4
            elif n == 127:
                if len(b) < 10:
                    break
                n = struct.unpack("!Q", b[2:10])[0]
                i = 10
            if masked:
                if len(b) < i + 4:
                    break
                key = b[i:i + 4]
                i += 4
            if len(b) < i + n:
                break
            payload = b[i:i + n]
            if masked:
                payload = bytes(c ^ key[j % 4] for j, c in enumerate(payload))
            self.buf = b[i + n:]
            out.append((bool(fin), op, bool(masked), payload))
        return out


def serve(req, dial_ip, port):
    """Take over req.socket: dial dial_ip:port first, then upgrade and relay."""
    sock = req.socket
    try:
        guest = socket.create_connection((dial_ip, port), timeout=3)
    except OSError as e:
        msg = "dialing VM: dial tcp %s:%d: connect: %s" % (dial_ip, port,
                                                           "connection refused" if isinstance(e, ConnectionRefusedError)
                                                           else (e.strerror or str(e)))
        write_status(sock, 500, "InternalError", msg)
        _close(sock)
        return
    key = _header(req.headers, "Sec-WebSocket-Key")
    if not key or (_header(req.headers, "Upgrade") or "").lower() != "websocket":
        guest.close()
        write_status(sock, 400, "BadRequest", "websocket: the client is not using the websocket protocol: "
                                              "'upgrade' token not found in 'Connection' header")
        _close(sock)
        return
    protos = [p.strip() for p in (_header(req.headers, "Sec-WebSocket-Protocol") or "").split(",") if p.strip()]
    resp = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: %s\r\n" % accept_key(key.strip()))
    if "plain.kubevirt.io" in protos:
        resp += "Sec-WebSocket-Protocol: plain.kubevirt.io\r\n"
    sock.sendall((resp + "\r\n").encode())
    _relay(sock, guest, getattr(req, "initial", b"") or b"")


def _recv_tls(sock):
    data = b""
    try:
        data = sock.recv(65536)
    except ssl.SSLWantReadError:
        return None
    except (OSError, ValueError):
        return b""
    if not data:
        return b""
    pending = getattr(sock, "pending", None)
    while pending and sock.pending():
        more = sock.recv(sock.pending())
        if not more:
            break
        data += more
    return data


def _relay(ws, guest, initial):
    parser = Parser()
    deadline = time.monotonic() + READ_DEADLINE
    next_ping = time.monotonic() + PING_EVERY
    guest.setblocking(True)
    try:
        frames = parser.feed(initial) if initial else []
        while True:
            for fin, op, masked, payload in frames:
                if not masked:
                    ws.sendall(frame(0x8, struct.pack("!H", 1002) + b"bad MASK"))
                    return
                if op in (0x2, 0x0):
                    if payload:
                        guest.sendall(payload)
                elif op == 0x9:
                    ws.sendall(frame(0xA, payload))
                elif op == 0xA:
                    deadline = time.monotonic() + READ_DEADLINE
                elif op == 0x8:
                    code = payload[:2] if len(payload) >= 2 else struct.pack("!H", 1000)
                    try:
                        ws.sendall(frame(0x8, code))
                    except OSError:
                        pass
                    return
                # text frames (0x1) are dropped, as virt-api does
            frames = []
            nowm = time.monotonic()
            if nowm >= deadline:
                return
            if nowm >= next_ping:
                ws.sendall(frame(0x9, b"keep alive"))
                next_ping = nowm + PING_EVERY
            pend = getattr(ws, "pending", None)
            if pend and ws.pending():
                r = [ws]
            else:
                r, _, _ = select.select([ws, guest], [], [], max(0.0, min(next_ping, deadline) - time.monotonic()))
            if guest in r:
                try:
                    chunk = guest.recv(32768)
                except OSError:
                    chunk = b""
                if not chunk:
                    return  # guest closed: EOF without a close frame
                ws.sendall(data_frames(chunk))
            if ws in r:
                data = _recv_tls(ws)
                if data is None:
                    continue
                if data == b"":
                    return
                frames = parser.feed(data)
    except OSError:
        return
    finally:
        try:
            guest.close()
        except OSError:
            pass
        _close(ws)


def _close(sock):
    try:
        if isinstance(sock, ssl.SSLSocket):
            try:
                sock.unwrap()
            except (OSError, ValueError, ssl.SSLError):
                pass
        sock.close()
    except OSError:
        pass


PORT_RE = re.compile(r"portforward/(\d+)(?:/(tcp|udp))?")


def requested_port(req):
    for attr in ("subpath", "rest", "extra", "path", "raw_path", "url"):
        v = getattr(req, attr, None)
        if not v:
            continue
        if isinstance(v, (list, tuple)):
            v = "/".join(str(x) for x in v)
        v = str(v)
        m = PORT_RE.search(v)
        if m:
            return int(m.group(1)), (m.group(2) or "tcp")
        m = re.match(r"^/?(\d+)(?:/(tcp|udp))?/?$", v)
        if m:
            return int(m.group(1)), (m.group(2) or "tcp")
    return None, "tcp"
