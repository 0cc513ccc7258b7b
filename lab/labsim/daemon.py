"""The lab daemon: starts vcsim, the API server, then the controllers; writes the lab's files; stops
everything on SIGTERM. ``Lab`` is also usable in-process by tests (``Lab(dir, vcsim=False).start()``)."""

import importlib
import json
import logging
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from . import kinds as _kinds
from .apiserver import ApiServer
from .auth import Tokens, random_secret
from .context import Context
from .state import State
from .store import Store
from .tls import CA

CRED_KEYS = ["vcenter_user", "vcenter_password", "guest_linux_user", "guest_linux_password",
             "guest_windows_user", "guest_windows_password", "cluster_user", "cluster_password",
             "token", "admin_token", "storage_user", "storage_password"]

READY_TIMEOUT = 240.0


def repo_root():
    return Path(__file__).resolve().parents[2]


def _write(path, text, mode=0o600):
    path = Path(path)
    tmp = path.with_name("." + path.name + ".tmp")
    fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(str(tmp), mode)
    os.replace(str(tmp), str(path))


def _die_with_parent():
    """A preexec_fn making the child get SIGTERM when the daemon dies (PR_SET_PDEATHSIG)."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None

    def fn():
        prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG
    return fn


def prepare_dir(dir):
    """Create DIR, the lab CA and random credentials (DIR/credentials.json, DIR/admin-token, 0600) when
    missing; returns the credentials dict."""
    d = Path(dir)
    d.mkdir(parents=True, exist_ok=True)
    os.chmod(str(d), 0o700)
    CA(d)
    cpath = d / "credentials.json"
    if cpath.exists():
        creds = json.loads(cpath.read_text())
    else:
        creds = {}
    changed = False
    users = {"vcenter_user": "mtv-", "guest_linux_user": "lin-", "guest_windows_user": "win-",
             "cluster_user": "kubeadmin-", "storage_user": "stor-"}
    for k in CRED_KEYS:
        if not creds.get(k):
            if k in users:
                creds[k] = users[k] + random_secret(16).lower()
            elif k in ("token", "admin_token"):
                creds[k] = "sha256~" + random_secret(43)
            else:
                creds[k] = random_secret(24)
            changed = True
    if changed:
        _write(cpath, json.dumps(creds, indent=1) + "\n")
    _write(d / "admin-token", creds["admin_token"] + "\n")
    return creds


class Lab:
    """One lab in DIR. ``start()`` returns when everything is ready; ``stop()`` stops it all."""

    def __init__(self, dir, minute=60.0, vcenter_latency_ms=0, vcsim=True, controllers=True, log=None,
                 port=0):
        self.dir = Path(dir).resolve()
        self.minute = float(minute)
        self.vcenter_latency_ms = int(vcenter_latency_ms or 0)
        self.use_vcsim = vcsim
        self.use_controllers = controllers
        self.log = log or logging.getLogger("mtvlab")
        self.port = port
        self.vcsim_proc = None
        self.api = None
        self.ctx = None
        self.store = None
        self.controllers = None
        self.stopped = threading.Event()

    # ------------------------------------------------------------------ start
    def start(self):
        creds = prepare_dir(self.dir)
        self.creds = creds
        ca = CA(self.dir)
        cert, key = ca.issue_cert(["127.0.0.1", "localhost"], name="api")
        self.state = State()
        self.tokens = Tokens(self.state)
        self.tokens.add(creds["token"], creds["cluster_user"], kind="static")
        self.tokens.add(creds["admin_token"], "mtvlab-admin", kind="admin")
        self.store = Store(log=self.log)
        crd_docs, crd_src = _kinds.register_all(self.store)
        self.log.info("CRDs from %s (%d kinds)", crd_src, len(crd_docs))
        self._seed_api(crd_docs)
        vcenter = {}
        if self.use_vcsim:
            vcenter = self._start_vcsim(ca, creds)
        self.ctx = Context(self.dir, self.store, self.state, self.tokens, ca,
                           {"guest_linux_user": creds["guest_linux_user"],
                            "guest_linux_password": creds["guest_linux_password"],
                            "guest_windows_user": creds["guest_windows_user"],
                            "guest_windows_password": creds["guest_windows_password"],
                            "cluster_user": creds["cluster_user"], "cluster_password": creds["cluster_password"],
                            "token": creds["token"], "storage_user": creds["storage_user"],
                            "storage_password": creds["storage_password"]},
                           minute=self.minute, log=self.log, vcenter=vcenter)
        self.api = ApiServer(self.store, self.tokens, self.state, ctx=self.ctx, certfile=cert, keyfile=key,
                             port=self.port, cluster_user=creds["cluster_user"],
                             cluster_password=creds["cluster_password"], log=logging.getLogger("mtvlab.api"))
        self.ctx.api_url = self.api.url
        self.api.admin_status = self._status_extra
        self.api.start()
        self.log.info("API server on %s", self.api.url)
        if self.use_controllers:
            try:
                self.controllers = importlib.import_module("labsim.controllers")
            except ModuleNotFoundError as e:
                if e.name not in ("labsim.controllers",):
                    raise
                self.log.warning("labsim.controllers not present: running the API only")
                self.controllers = None
            if self.controllers is not None and not hasattr(self.controllers, "start"):
                self.log.warning("labsim.controllers has no start(ctx): running the API only")
                self.controllers = None
            if self.controllers is not None:
                self.controllers.start(self.ctx)
        if not self.ctx.wait_ready(READY_TIMEOUT):
            raise RuntimeError("controllers not ready: %s" % ", ".join(self.ctx.pending_ready()))
        self.write_files()
        _write(self.dir / "ready", json.dumps({"api_url": self.api.url, "pid": os.getpid()}) + "\n", 0o644)
        self.log.info("lab ready")
        return self

    def _namespace_controllers(self, etype, res, obj):
        """What kube-controller-manager does for a new namespace: the ``default`` ServiceAccount and the
        ``kube-root-ca.crt`` ConfigMap (the lab CA)."""
        if res != "namespaces" or etype != "ADDED":
            return
        ns = obj["metadata"]["name"]
        # the ConfigMap first: whoever sees the ServiceAccount can rely on both
        for r, body in (("configmaps", {"metadata": {"name": "kube-root-ca.crt", "annotations": {
                            "kubernetes.io/description": "Contains a CA bundle that can be used to verify the "
                                                         "kube-apiserver when using internal endpoints such as the "
                                                         "internal service IP or kubernetes.default.svc."}},
                                        "data": {"ca.crt": self._ca_pem}}),
                        ("serviceaccounts", {"metadata": {"name": "default"}})):
            try:
                self.store.create(r, body, ns)
            except Exception:  # the namespace is already gone or terminating, or the object exists
                pass

    def _seed_api(self, crd_docs):
        """What a bare apiserver has: the system namespaces and the CRD objects."""
        self._ca_pem = (self.dir / "ca.crt").read_text()
        self.store.subscribe(self._namespace_controllers)
        for ns in ("default", "kube-system", "kube-public", "kube-node-lease"):
            self.store.create("namespaces", {"metadata": {"name": ns, "labels": {
                "kubernetes.io/metadata.name": ns}}})
        for name, crd in crd_docs.items():
            doc = json.loads(json.dumps(crd))
            doc["metadata"] = {"name": name}
            doc["status"] = {"acceptedNames": doc["spec"]["names"], "storedVersions": [
                v["name"] for v in doc["spec"]["versions"] if v.get("storage")],
                "conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted",
                                "message": "the initial names have been accepted"}]}
            self.store.create("customresourcedefinitions.apiextensions.k8s.io", doc)

    # ------------------------------------------------------------------ vcsim
    def _vcsim_binary(self):
        env = os.environ.get("MTV_VCSIM")
        if env:
            return env
        bindir = os.environ.get("MTV_BINARY_DIR")
        cands = []
        if bindir:
            cands.append(Path(bindir) / "lab" / "mtv-vcsim")
        cands.append(repo_root() / "build" / "lab" / "mtv-vcsim")
        cands.append(repo_root() / "lab" / "vcsim" / "bin" / "mtv-vcsim")
        for c in cands:
            if c.is_file() and os.access(str(c), os.X_OK):
                return str(c)
        build = repo_root() / "lab" / "vcsim" / "build.sh"
        if build.is_file():
            out = cands[0]
            self.log.info("building vcsim with %s into %s", build, out)
            out.parent.mkdir(parents=True, exist_ok=True)
            r = subprocess.run(["bash", str(build), str(out)], cwd=str(build.parent), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
            self.log.info("vcsim build (status %d): %s", r.returncode, r.stdout.decode(errors="replace")[-2000:])
            if out.is_file() and os.access(str(out), os.X_OK):
                return str(out)
        raise RuntimeError("vcsim binary not found (build lab/vcsim or set MTV_VCSIM)")

    def _start_vcsim(self, ca, creds):
        binary = self._vcsim_binary()
        cert, key = ca.issue_cert(["127.0.0.1", "localhost"], name="vcsim")
        credfile = self.dir / "vcsim-credentials"
        _write(credfile, "%s\n%s\n" % (creds["vcenter_user"], creds["vcenter_password"]))
        ready = self.dir / "vcsim.ready"
        if ready.exists():
            ready.unlink()
        args = [binary, "--listen", "127.0.0.1:0", "--tls-cert", cert, "--tls-key", key,
                "--credentials-file", str(credfile), "--ready-file", str(ready), "--guest-ip-prefix", "127.42"]
        if self.vcenter_latency_ms:
            args += ["--latency-ms", str(self.vcenter_latency_ms)]
        # `up --linux-ip-origin unknown`: Linux guests report no IP origin, as open-vm-tools does
        args += ["--linux-ip-origin", os.environ.get("MTVLAB_LINUX_IP_ORIGIN", "reported")]
        logf = open(str(self.dir / "vcsim.log"), "ab")
        self.vcsim_proc = subprocess.Popen(args, stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                           preexec_fn=_die_with_parent())
        logf.close()
        _write(self.dir / "vcsim.pid", "%d\n" % self.vcsim_proc.pid, 0o644)
        deadline = time.monotonic() + 120
        url = None
        while time.monotonic() < deadline:
            if ready.exists():
                for line in ready.read_text().splitlines():
                    line = line.strip()
                    if line.startswith("MTV_VCSIM_URL="):
                        line = line.split("=", 1)[1].strip()
                    if line.startswith("https://"):
                        url = line
                    elif line.startswith("https://"):  # mtv-vcsim writes just the URL (docs/lab-vcsim.md)
                        url = line.strip()
                if url:
                    break
            if self.vcsim_proc.poll() is not None:
                raise RuntimeError("vcsim exited with %s (see vcsim.log)" % self.vcsim_proc.returncode)
            time.sleep(0.05)
        if not url:
            raise RuntimeError("vcsim did not become ready")
        u = urllib.parse.urlsplit(url)
        self.log.info("vcsim on %s (pid %d)", url, self.vcsim_proc.pid)
        return {"url": url, "host": u.hostname, "port": u.port, "user": creds["vcenter_user"],
                "password": creds["vcenter_password"], "ca_pem": ca.ca_pem}

    # ------------------------------------------------------------------ files
    def write_files(self):
        d = self.dir
        c = self.creds
        ca_pem = (d / "ca.crt").read_text()
        import base64
        kubeconfig = {
            "apiVersion": "v1", "kind": "Config", "preferences": {},
            "clusters": [{"name": "mtvlab", "cluster": {
                "server": self.api.url,
                "certificate-authority-data": base64.b64encode(ca_pem.encode()).decode()}}],
            "users": [{"name": "mtvlab-user", "user": {"token": c["token"]}}],
            "contexts": [{"name": "mtvlab", "context": {"cluster": "mtvlab", "user": "mtvlab-user",
                                                        "namespace": "default"}}],
            "current-context": "mtvlab",
        }
        import yaml
        _write(d / "kubeconfig", yaml.safe_dump(kubeconfig, sort_keys=False))
        facts = self.ctx.facts
        vc = self.ctx.vcenter or {}
        vs = {
            "type": "vsphere", "version": "8.0.1", "fqdn": "127.0.0.1",
            "api_url": vc.get("url", "https://127.0.0.1:0/sdk"),
            "username": c["vcenter_user"], "password": c["vcenter_password"], "cacert": ca_pem,
            "guest_vm_linux_user": c["guest_linux_user"], "guest_vm_linux_password": c["guest_linux_password"],
            "guest_vm_win_user": c["guest_windows_user"], "guest_vm_win_password": c["guest_windows_password"],
            "guest_ssh_port": int(facts.get("guest_ssh_port", 22)),
            "vddk_init_image": facts.get("vddk_init_image", "quay.io/mtvlab/vddk:8.0.1"),
            "copyoffload": {
                "storage_vendor_product": "ontap", "datastore_id": "LocalDS_1",
                "secondary_datastore_id": "LocalDS_0", "non_xcopy_datastore_id": "LocalDS_0",
                "default_vm_name": "xcopy-template-test",
                "storage_hostname": facts.get("storage_hostname", "127.0.0.1"),
                "storage_username": c["storage_user"], "storage_password": c["storage_password"],
                "ontap_svm": facts.get("ontap_svm", "svm-mtvlab"), "esxi_clone_method": "vib",
            },
        }
        providers = {
            "vsphere-8.0.1": vs,
            "ovirt-4.4.9": {"type": "ovirt", "version": "4.4.9", "fqdn": "ovirt.mtvlab.invalid",
                            "api_url": "https://ovirt.mtvlab.invalid/ovirt-engine/api",
                            "username": "admin@internal", "password": random_secret(20)},
            "openstack-17.1": {"type": "openstack", "version": "17.1", "fqdn": "openstack.mtvlab.invalid",
                               "api_url": "https://openstack.mtvlab.invalid:5000/v3", "username": "admin",
                               "password": random_secret(20), "project_name": "admin",
                               "user_domain_name": "Default", "region_name": "regionOne",
                               "user_domain_id": "default", "project_domain_id": "default"},
            "openshift-4.18": {"type": "openshift", "version": "4.18"},
            "ova-1.0": {"type": "ova", "version": "1.0", "api_url": "nfs.mtvlab.invalid:/ova"},
        }
        _write(d / "providers.json", json.dumps(providers, indent=2) + "\n")
        settings = {
            "source_provider": "vsphere-8.0.1",
            "storage_class": facts.get("storage_class", "mtvlab-default"),
            "cluster_host": self.api.url,
            "cluster_username": c["cluster_user"],
            "cluster_password": c["cluster_password"],
            "remote_ocp_cluster": "127.0.0.1",
            "insecure_verify_skip": True,
            "snapshots_interval": 1,
            "mins_before_cutover": 0.25,
            "plan_wait_timeout": 600,
            "plan_ready_timeout": 120,
            "provider_ready_timeout": 120,
            "inventory_timeout": 120,
            "guest_agent_timeout": 120,
            "ssh_timeout": 120,
            "static_ip_timeout": 120,
            "teardown_timeout": 120,
        }
        _write(d / "settings.yaml", yaml.safe_dump(settings, sort_keys=False))
        env = "KUBECONFIG=%s\nPROVIDERS_JSON_PATH=%s\nMTVLAB_DIR=%s\n" % (d / "kubeconfig", d / "providers.json", d)
        _write(d / "env", env, 0o644)

    def _status_extra(self):
        out = {"pid": os.getpid(), "dir": str(self.dir), "api_port": self.api.port if self.api else None,
               "controllers": bool(self.controllers), "minute": self.minute}
        if self.ctx and self.ctx.vcenter:
            out["vcenter_url"] = self.ctx.vcenter.get("url")
            out["vcenter_port"] = self.ctx.vcenter.get("port")
        if self.vcsim_proc:
            out["vcsim_pid"] = self.vcsim_proc.pid
        if self.ctx:
            out["facts"] = {k: v for k, v in self.ctx.facts.items() if isinstance(v, (str, int, float, bool))}
        return out

    # ------------------------------------------------------------------ stop
    def stop(self):
        if self.stopped.is_set():
            return
        self.stopped.set()
        try:
            (self.dir / "ready").unlink()
        except OSError:
            pass
        if self.controllers is not None and hasattr(self.controllers, "stop"):
            try:
                self.controllers.stop(self.ctx)
            except Exception as e:
                self.log.exception("controllers.stop: %s", e)
        if self.api:
            self.api.stop()
        if self.vcsim_proc and self.vcsim_proc.poll() is None:
            self.vcsim_proc.terminate()
            try:
                self.vcsim_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.vcsim_proc.kill()
                self.vcsim_proc.wait(5)
        for f in ("vcsim.pid",):
            try:
                (self.dir / f).unlink()
            except OSError:
                pass
        if getattr(self, "store", None):
            self.store.close()
        self.log.info("lab stopped")


def main(dir, minute=60.0, vcenter_latency_ms=0, vcsim=True, controllers=True):
    """Entry point of ``mtvlab _daemon``: runs until SIGTERM/SIGINT."""
    d = Path(dir).resolve()
    d.mkdir(parents=True, exist_ok=True)
    logging.basicConfig(filename=str(d / "lab.log"), level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("mtvlab")
    stop = threading.Event()
    starting = [True]

    class Interrupted(BaseException):
        pass

    def on_signal(signum, frame):
        stop.set()
        if starting[0]:
            raise Interrupted()  # abort a start in progress (down during up)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    lab = Lab(d, minute=minute, vcenter_latency_ms=vcenter_latency_ms, vcsim=vcsim, controllers=controllers, log=log)
    try:
        lab.start()
        starting[0] = False
    except Interrupted:
        starting[0] = False
        log.info("stopped while starting")
        lab.stop()
        return 1
    except Exception as e:
        starting[0] = False
        log.exception("lab start failed: %s", e)
        lab.stop()
        return 1
    while not stop.wait(1.0):
        if lab.vcsim_proc is not None and lab.vcsim_proc.poll() is not None:
            log.error("vcsim exited unexpectedly (%s)", lab.vcsim_proc.returncode)
            break
    lab.stop()
    try:
        (d / "daemon.pid").unlink()
    except OSError:
        pass
    return 0
