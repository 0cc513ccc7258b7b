#!/usr/bin/python3
"""A tiny HTTPS server for the http client unit tests.

Usage: https_server.py CERT KEY CA. Binds 127.0.0.1:0, prints the port on
stdout, serves until killed. One handler per connection, so the body's
"conn" tells which TCP connection served a request (keep-alive proof).
"""
import http.server
import itertools
import json
import ssl
import sys
import time

COUNTER = itertools.count(1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.conn_id = next(COUNTER)

    def log_message(self, *args):
        pass

    def reply(self, status, obj, extra=()):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/hello":
            self.reply(200, {"conn": self.conn_id, "path": self.path})
        elif self.path == "/slow":
            time.sleep(3)
            self.reply(200, {"slow": True})
        elif self.path == "/whoami":
            cert = self.connection.getpeercert() or {}
            cn = ""
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            self.reply(200, {"cn": cn})
        elif self.path.startswith("/status/"):
            code = int(self.path.rsplit("/", 1)[1])
            self.reply(code, {"kind": "Status", "code": code,
                              "message": "status %d as asked" % code})
        elif self.path == "/setcookie":
            self.reply(200, {}, [("Set-Cookie",
                                  "vmware_soap_session=c00k1e-value; Path=/; HttpOnly")])
        elif self.path == "/cookie":
            self.reply(200, {"cookie": self.headers.get("Cookie")})
        elif self.path == "/upgrade":
            self.upgrade()
        elif self.path == "/upgrade-refused-close":
            # like virt-api behind the apiserver: the answer, then the close
            # notify, in quick succession
            body = b'{"kind": "Status", "code": 404, "message": "gone away"}'
            self.wfile.write(b"HTTP/1.1 404 Not Found\r\nContent-Type: "
                             b"application/json\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n" % len(body) + body)
            self.wfile.flush()
            self.connection.unwrap().close()
            self.close_connection = True
        else:
            self.reply(404, {"kind": "Status", "message": "no such path"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        data = self.rfile.read(n)
        self.reply(200, {"len": len(data), "expect": self.headers.get("Expect"),
                         "ctype": self.headers.get("Content-Type"),
                         "conn": self.conn_id})

    def upgrade(self):
        if self.headers.get("Upgrade", "").lower() != "websocket":
            self.reply(400, {"kind": "Status", "message": "not an upgrade"})
            return
        proto = self.headers.get("Sec-WebSocket-Protocol", "")
        head = ("HTTP/1.1 101 Switching Protocols\r\n"
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Protocol: %s\r\n\r\n" % proto).encode()
        # the first stream bytes travel in the same write as the head
        self.wfile.write(head + b"EARLY")
        self.wfile.flush()
        while True:
            data = self.connection.recv(4096)
            if not data:
                break
            self.connection.sendall(data.upper())
        self.close_connection = True


def main():
    cert, key, ca = sys.argv[1:4]
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ctx.load_verify_locations(ca)
    ctx.verify_mode = ssl.CERT_OPTIONAL
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
