"""Helpers for the lab API tests: an in-process lab (API server only, no vcsim, no controllers), an
HTTPS client with the lab CA and tokens, a watch-stream reader, and kubectl with a fresh KUBECACHEDIR."""

import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "lab"
MTVLAB = LAB / "mtvlab"
sys.path.insert(0, str(LAB))

from labsim.daemon import Lab  # noqa: E402


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def header(self, name):
        return self.headers.get(name)

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class Client:
    def __init__(self, url, ca_file, token):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.ssl = ssl.create_default_context(cafile=str(ca_file))
        self.token = token

    def conn(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ssl, timeout=timeout)

    def request(self, method, path, body=None, headers=None, token=None, ctype=None, timeout=30):
        h = {"Accept": "application/json"}
        tok = self.token if token is None else token
        if tok:
            h["Authorization"] = "Bearer " + tok
        data = None
        if body is not None:
            data = body if isinstance(body, (bytes, str)) else json.dumps(body)
            h["Content-Type"] = ctype or "application/json"
        h.update(headers or {})
        c = self.conn(timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            return Response(r.status, {k: v for k, v in r.getheaders()}, r.read())
        finally:
            c.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body, **kw):
        return self.request("POST", path, body, **kw)

    def put(self, path, body, **kw):
        return self.request("PUT", path, body, **kw)

    def patch(self, path, body, ptype="merge", **kw):
        ct = {"merge": "application/merge-patch+json", "json": "application/json-patch+json",
              "strategic": "application/strategic-merge-patch+json"}[ptype]
        return self.request("PATCH", path, body, ctype=ct, **kw)

    def delete(self, path, body=None, **kw):
        return self.request("DELETE", path, body, **kw)

    def watch(self, path, timeout=30):
        """Open a watch; returns a WatchStream (read events with .next())."""
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        sock = self.ssl.wrap_socket(raw, server_hostname=self.host)
        req = ("GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\nAccept: application/json\r\n\r\n"
               % (path, self.host, self.port, self.token))
        sock.sendall(req.encode())
        return WatchStream(sock)


class StreamCut(ConnectionError):
    """The watch stream ended without the terminating chunk."""


class WatchStream:
    """A chunked watch response read from the raw TLS socket, so that a clean end (terminating chunk)
    and a cut stream can be told apart."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        head = self._until(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        self.data = b""
        self.ended = False
        if self.headers.get("transfer-encoding") != "chunked":
            n = int(self.headers.get("content-length", "0"))
            while len(self.buf) < n:
                self._fill()
            self.data = self.buf[:n]
            self.buf = b""
            self.ended = True

    def _fill(self):
        try:
            d = self.sock.recv(65536)
        except (ssl.SSLError, OSError) as e:
            raise StreamCut(str(e))
        if not d:
            raise StreamCut("EOF")
        self.buf += d

    def _until(self, sep):
        while sep not in self.buf:
            self._fill()
        i = self.buf.index(sep)
        out, self.buf = self.buf[:i], self.buf[i + len(sep):]
        return out

    def _chunk(self):
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            self._until(b"\r\n")
            self.ended = True
            return None
        while len(self.buf) < size + 2:
            self._fill()
        out, self.buf = self.buf[:size], self.buf[size + 2:]
        return out

    def next(self):
        """The next event dict, or None at the clean end of the stream; raises StreamCut when the
        stream is cut."""
        while b"\n" not in self.data:
            if self.ended:
                return None
            c = self._chunk()
            if c is None:
                return None
            self.data += c
        line, self.data = self.data.split(b"\n", 1)
        return json.loads(line)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class InProcessLab:
    """A lab API server in this process (daemon.Lab without vcsim and controllers)."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="mtvlab-test-")
        self.dir = Path(self.tmp) / "lab"
        self.lab = Lab(self.dir, vcsim=False, controllers=False).start()
        self.store = self.lab.store
        self.state = self.lab.state
        self.url = self.lab.api.url
        creds = json.loads((self.dir / "credentials.json").read_text())
        self.creds = creds
        self.client = Client(self.url, self.dir / "ca.crt", creds["token"])
        self.admin = Client(self.url, self.dir / "ca.crt", creds["admin_token"])
        self.kubecache = tempfile.mkdtemp(prefix="kubecache-", dir=self.tmp)

    def kubectl(self, *args, input=None, timeout=60, check=False):
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.dir / "kubeconfig")
        env["KUBECACHEDIR"] = self.kubecache
        env.pop("HTTPS_PROXY", None)
        env.pop("https_proxy", None)
        r = subprocess.run(["kubectl"] + list(args), input=input, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           env=env, timeout=timeout, text=True)
        if check and r.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
        return r

    def kubectl_popen(self, *args):
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.dir / "kubeconfig")
        env["KUBECACHEDIR"] = self.kubecache
        return subprocess.Popen(["kubectl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                                text=True)

    def stop(self):
        self.lab.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class LabTestCase(unittest.TestCase):
    """One in-process lab per test class."""

    @classmethod
    def setUpClass(cls):
        cls.lab = InProcessLab()
        cls.c = cls.lab.client

    @classmethod
    def tearDownClass(cls):
        cls.lab.stop()

    def setUp(self):
        self.lab.state.clear_faults()
        self.lab.state.clear_defects()

    def ensure_ns(self, name):
        r = self.c.post("/api/v1/namespaces", {"metadata": {"name": name}})
        self.assertIn(r.status, (201, 409), r)


FORKLIFT = "/apis/forklift.konveyor.io/v1beta1"
