"""The lab CA and server certificates, made with the openssl CLI."""

import os
import subprocess
import tempfile
import threading
from pathlib import Path


def _run(args):
    r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if r.returncode != 0:
        raise RuntimeError("openssl failed: %s" % r.stderr.decode(errors="replace")[-400:])


class CA:
    """A lab certificate authority in ``dir`` (``ca.crt``, ``ca.key`` 0600)."""

    def __init__(self, dir):
        self.dir = Path(dir)
        self.cert_path = self.dir / "ca.crt"
        self.key_path = self.dir / "ca.key"
        self._lock = threading.Lock()
        self._n = 0
        if not self.cert_path.exists() or not self.key_path.exists():
            self._make_ca()
        self.ca_pem = self.cert_path.read_text()

    def _make_ca(self):
        self.dir.mkdir(parents=True, exist_ok=True)
        old = os.umask(0o077)
        try:
            _run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "30",
                  "-subj", "/CN=mtvlab CA", "-keyout", str(self.key_path), "-out", str(self.cert_path),
                  "-addext", "basicConstraints=critical,CA:TRUE",
                  "-addext", "keyUsage=critical,keyCertSign,cRLSign"])
        finally:
            os.umask(old)
        os.chmod(self.key_path, 0o600)
        os.chmod(self.cert_path, 0o644)

    def issue_cert(self, hostnames, name=None):
        """A server certificate for ``hostnames`` (DNS names and IPs) → (cert_path, key_path)."""
        hostnames = list(hostnames) or ["localhost"]
        with self._lock:
            self._n += 1
            base = name or "server-%d" % self._n
        cert = self.dir / (base + ".crt")
        key = self.dir / (base + ".key")
        sans = []
        for h in hostnames:
            kind = "IP" if all(p.isdigit() for p in h.split(".")) and h.count(".") == 3 else "DNS"
            sans.append("%s:%s" % (kind, h))
        old = os.umask(0o077)
        try:
            with tempfile.TemporaryDirectory() as td:
                csr = os.path.join(td, "req.csr")
                ext = os.path.join(td, "ext.cnf")
                with open(ext, "w") as f:
                    f.write("subjectAltName=%s\nbasicConstraints=CA:FALSE\n"
                            "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" % ",".join(sans))
                _run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-sha256", "-subj",
                      "/CN=%s" % hostnames[0], "-keyout", str(key), "-out", csr])
                _run(["openssl", "x509", "-req", "-in", csr, "-CA", str(self.cert_path), "-CAkey",
                      str(self.key_path), "-CAcreateserial", "-CAserial", os.path.join(td, "ca.srl"),
                      "-days", "30", "-sha256", "-extfile", ext, "-out", str(cert)])
        finally:
            os.umask(old)
        os.chmod(key, 0o600)
        return str(cert), str(key)
