"""Helpers for the controller tests (tests/lab/test_ctrl_*.py): a real lab started with `lab/mtvlab up`
(stopped with `down`), an API client, pyVmomi clones with CBT, the Forklift objects of a warm migration,
waits by watching the API (watch streams with deadlines), and a KubeVirt port-forward WebSocket client."""
import base64
import hashlib
import json
import os
import secrets
import select
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "lab"))
sys.path.insert(0, str(REPO / "lab"))

from lab_api_support import Client  # noqa: E402

MTVLAB = REPO / "lab" / "mtvlab"
BINARY_DIR = Path(os.environ.get("MTV_BINARY_DIR") or (REPO / "build"))
FORKLIFT = "/apis/forklift.konveyor.io/v1beta1"


def vim_safe(fn):
    """pyVmomi faults cannot carry a __traceback__, which crashes unittest's reporting: re-raise them as
    RuntimeError."""
    import functools

    @functools.wraps(fn)
    def wrapper(*a, **kw):
        try:
            return fn(*a, **kw)
        except vmodl.MethodFault as e:
            raise RuntimeError("vSphere fault in %s: %s %s" % (fn.__name__, type(e).__name__,
                                                                getattr(e, "msg", ""))) from None
    return wrapper


def vcsim_binary():
    if os.environ.get("MTV_VCSIM"):
        return os.environ["MTV_VCSIM"]
    out = BINARY_DIR / "lab" / "mtv-vcsim"
    subprocess.run([str(REPO / "lab" / "vcsim" / "build.sh"), str(out)], check=True,
                   stdout=subprocess.DEVNULL)
    return str(out)


class Lab:
    """`lab/mtvlab up --dir TMP --minute M` ... `down`."""

    def __init__(self, minute=0.05):
        self.tmp = tempfile.mkdtemp(prefix="mtvlab-ctrl-")
        self.dir = Path(self.tmp) / "lab"
        env = dict(os.environ, MTV_VCSIM=vcsim_binary())
        self.env = env
        r = subprocess.run(["/usr/bin/python3", str(MTVLAB), "up", "--dir", str(self.dir), "--minute", str(minute)],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=180)
        if r.returncode != 0:
            raise RuntimeError("mtvlab up failed: %s" % r.stdout.decode(errors="replace")[-3000:])
        kc = json.loads(json.dumps(__import__("yaml").safe_load((self.dir / "kubeconfig").read_text())))
        self.api_url = kc["clusters"][0]["cluster"]["server"]
        self.token = kc["users"][0]["user"]["token"]
        self.ca_file = self.dir / "ca.crt"
        self.ca_pem = self.ca_file.read_text()
        self.api = Client(self.api_url, self.ca_file, self.token)
        self.providers = json.loads((self.dir / "providers.json").read_text())
        self.vs = self.providers["vsphere-8.0.1"]
        self.si = None

    def down(self):
        if self.si is not None:
            try:
                Disconnect(self.si)
            except Exception:  # noqa: BLE001
                pass
        r = subprocess.run(["/usr/bin/python3", str(MTVLAB), "down", "--dir", str(self.dir)], env=self.env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        if r.returncode == 0:
            import shutil
            shutil.rmtree(self.tmp, ignore_errors=True)

    def admin(self, method, path, body=None):
        tok = (self.dir / "admin-token").read_text().strip()
        return self.api.request(method, path, body, token=tok)

    def defect(self, name):
        r = subprocess.run(["/usr/bin/python3", str(MTVLAB), "defect", name, "--dir", str(self.dir)], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(r.stdout.decode())

    def fault(self, name):
        r = subprocess.run(["/usr/bin/python3", str(MTVLAB), "fault", name, "--dir", str(self.dir)], env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if r.returncode != 0:
            raise RuntimeError(r.stdout.decode())

    def status(self):
        r = subprocess.run(["/usr/bin/python3", str(MTVLAB), "status", "--json", "--dir", str(self.dir)],
                           env=self.env, stdout=subprocess.PIPE, timeout=30)
        return json.loads(r.stdout)

    # -- API -------------------------------------------------------------------------------------------
    def get(self, path):
        r = self.api.get(path)
        if r.status == 404:
            return None
        assert r.status == 200, r
        return r.json()

    def create(self, path, obj):
        r = self.api.post(path, obj)
        assert r.status == 201, r
        return r.json()

    def patch(self, path, body):
        r = self.api.patch(path, body)
        assert r.status == 200, r
        return r.json()

    def wait(self, path, pred, timeout=60.0, what="condition"):
        """Watch one object (list+watch on metadata.name) until pred(obj) is true; returns obj."""
        base, name = path.rsplit("/", 1)
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            r = self.api.get("%s?fieldSelector=metadata.name%%3D%s" % (base, name))
            assert r.status == 200, r
            lst = r.json()
            for o in lst.get("items") or []:
                last = o
                if pred(o):
                    return o
            rv = lst["metadata"]["resourceVersion"]
            left = max(1, int(deadline - time.monotonic()))
            c = self.api.conn(timeout=left + 5)
            try:
                c.request("GET", "%s?watch=1&fieldSelector=metadata.name%%3D%s&resourceVersion=%s&timeoutSeconds=%d"
                          % (base, name, rv, min(left, 30)),
                          headers={"Authorization": "Bearer " + self.token})
                resp = c.getresponse()
                while time.monotonic() < deadline:
                    line = resp.readline()
                    if not line:
                        break
                    ev = json.loads(line)
                    if ev.get("type") in ("ADDED", "MODIFIED"):
                        last = ev["object"]
                        if pred(last):
                            return last
            except (OSError, ValueError):
                pass
            finally:
                c.close()
        raise AssertionError("timed out waiting for %s on %s; last: %s" % (what, path,
                                                                          json.dumps(last, indent=1)[-4000:]))

    # -- vSphere -----------------------------------------------------------------------------------------
    @vim_safe
    def vsphere(self):
        if self.si is None:
            u = urllib.parse.urlparse(self.vs["api_url"])
            ctx = ssl.create_default_context(cadata=self.vs["cacert"])
            self.si = SmartConnect(host=u.hostname, port=u.port, user=self.vs["username"], pwd=self.vs["password"],
                                   sslContext=ctx)
        return self.si

    @vim_safe
    def find_vm(self, name):
        si = self.vsphere()
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
        try:
            for v in view.view:
                if v.name == name:
                    return v
        finally:
            view.Destroy()
        return None

    @vim_safe
    def wait_task(self, task, timeout=60):
        si = self.vsphere()
        pc = si.content.propertyCollector
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=task)],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.Task, pathSet=["info.state", "info.error"])])
        flt = pc.CreateFilter(spec, True)
        try:
            version = ""
            deadline = time.monotonic() + timeout
            state, err = None, None
            while time.monotonic() < deadline:
                res = pc.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
                if res is None:
                    continue
                version = res.version
                for fs in res.filterSet:
                    for oc in fs.objectSet:
                        for ch in oc.changeSet:
                            if ch.name == "info.state":
                                state = str(ch.val)
                            elif ch.name == "info.error" and ch.val is not None:
                                err = ch.val.msg
                if state in ("success", "error"):
                    break
            if state != "success":
                raise AssertionError("task %s: %s %s" % (task, state, err))
        finally:
            flt.Destroy()

    @vim_safe
    def wait_vm_prop(self, vm, prop, pred, timeout=30):
        si = self.vsphere()
        pc = si.content.propertyCollector
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=vm)],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(type=vim.VirtualMachine, pathSet=[prop])])
        flt = pc.CreateFilter(spec, True)
        try:
            version = ""
            deadline = time.monotonic() + timeout
            val = None
            while time.monotonic() < deadline:
                res = pc.WaitForUpdatesEx(version, vmodl.query.PropertyCollector.WaitOptions(maxWaitSeconds=5))
                if res is None:
                    continue
                version = res.version
                for fs in res.filterSet:
                    for oc in fs.objectSet:
                        for ch in oc.changeSet:
                            val = ch.val
                if pred(val):
                    return val
            raise AssertionError("%s of %s: last %r" % (prop, vm.name, val))
        finally:
            flt.Destroy()

    @vim_safe
    def clone(self, template, name, cbt=True, power_on=True):
        """CloneVM_Task with the CBT extraConfig keys in the clone spec (as the runner does), then power on
        and wait for VMware Tools guest info."""
        src = self.find_vm(template)
        assert src is not None, template
        extra = []
        if cbt:
            extra.append(vim.option.OptionValue(key="ctkEnabled", value="true"))
            ctrls = {d.key: d for d in src.config.hardware.device}
            for d in src.config.hardware.device:
                if isinstance(d, vim.vm.device.VirtualDisk):
                    c = ctrls.get(d.controllerKey)
                    if isinstance(c, vim.vm.device.VirtualSCSIController):
                        extra.append(vim.option.OptionValue(key="scsi%d:%d.ctkEnabled" % (c.busNumber, d.unitNumber),
                                                            value="true"))
        spec = vim.vm.CloneSpec(location=vim.vm.RelocateSpec(datastore=src.datastore[0], pool=self._pool()),
                                powerOn=False, template=False, config=vim.vm.ConfigSpec(extraConfig=extra))
        self.wait_task(src.CloneVM_Task(folder=src.parent, name=name, spec=spec))
        vm = self.find_vm(name)
        if power_on:
            self.wait_task(vm.PowerOnVM_Task())
            self.wait_vm_prop(vm, "guest.net", lambda v: bool(v) and any(n.ipAddress for n in v))
        return vm

    def _pool(self):
        si = self.vsphere()
        view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.ComputeResource], True)
        try:
            return view.view[0].resourcePool
        finally:
            view.Destroy()

    # -- Forklift objects ------------------------------------------------------------------------------
    def inventory(self, path):
        route = self.get(FORKLIFT.replace("forklift.konveyor.io/v1beta1", "route.openshift.io/v1") +
                         "/namespaces/openshift-mtv/routes/forklift-inventory")
        host = route["spec"]["host"]
        h, p = host.rsplit(":", 1)
        c = Client("https://%s:%s" % (h, p), self.ca_file, self.token)
        return c.get(path)

    def namespace(self, name):
        self.create("/api/v1/namespaces", {"metadata": {"name": name}})

    def source_provider(self, ns, name="vcenter", insecure=False, cacert=True, password=None, vddk=True):
        data = {"user": self.vs["username"], "password": password or self.vs["password"],
                "url": self.vs["api_url"], "insecureSkipVerify": "true" if insecure else "false"}
        if cacert:
            data["cacert"] = cacert if isinstance(cacert, str) else self.vs["cacert"]
        self.create("/api/v1/namespaces/%s/secrets" % ns, {"metadata": {"name": name + "-secret"},
                                                          "stringData": data, "type": "Opaque"})
        spec = {"type": "vsphere", "url": self.vs["api_url"], "secret": {"name": name + "-secret", "namespace": ns},
                "settings": {"vddkInitImage": self.vs["vddk_init_image"]} if vddk else {}}
        return self.create("%s/namespaces/%s/providers" % (FORKLIFT, ns), {"metadata": {"name": name}, "spec": spec})

    def wait_provider(self, ns, name, phase="Ready", timeout=30):
        return self.wait("%s/namespaces/%s/providers/%s" % (FORKLIFT, ns, name),
                         lambda o: (o.get("status") or {}).get("phase") == phase, timeout, "phase " + phase)

    def maps(self, ns, vm_inv, provider="vcenter", dest=("openshift-mtv", "host"), suffix=""):
        prov = {"source": {"name": provider, "namespace": ns}, "destination": {"name": dest[1], "namespace": dest[0]}}
        dss = {d["id"]: d["name"] for d in self.inventory_json(provider, ns, "datastores")}
        nets = {n["id"]: n["name"] for n in self.inventory_json(provider, ns, "networks")}
        smap = [{"source": {"name": dss[d["datastore"]["id"]]}, "destination": {"storageClass": self.storage_class()}}
                for d in vm_inv["disks"]]
        nmap = []
        for i, n in enumerate(vm_inv["networks"]):
            if i == 0:
                nmap.append({"source": {"name": nets[n["id"]]}, "destination": {"type": "pod"}})
            else:
                nad = "nad%s-%d" % (suffix, i)
                self.create("/apis/k8s.cni.cncf.io/v1/namespaces/%s/network-attachment-definitions" % ns,
                            {"metadata": {"name": nad}, "spec": {"config": json.dumps(
                                {"cniVersion": "0.3.1", "type": "bridge", "bridge": nad})}})
                nmap.append({"source": {"name": nets[n["id"]]},
                             "destination": {"type": "multus", "name": nad, "namespace": ns}})
        self.create("%s/namespaces/%s/storagemaps" % (FORKLIFT, ns),
                    {"metadata": {"name": "smap" + suffix}, "spec": {"provider": prov, "map": smap}})
        self.create("%s/namespaces/%s/networkmaps" % (FORKLIFT, ns),
                    {"metadata": {"name": "nmap" + suffix}, "spec": {"provider": prov, "map": nmap}})

    def storage_class(self):
        for sc in self.get("/apis/storage.k8s.io/v1/storageclasses")["items"]:
            if (sc["metadata"].get("annotations") or {}).get("storageclass.kubernetes.io/is-default-class") == "true":
                return sc["metadata"]["name"]
        raise AssertionError("no default storage class")

    def provider_uid(self, ns, name):
        return self.get("%s/namespaces/%s/providers/%s" % (FORKLIFT, ns, name))["metadata"]["uid"]

    def inventory_json(self, provider, ns, what):
        r = self.inventory("/providers/vsphere/%s/%s" % (self.provider_uid(ns, provider), what))
        assert r.status == 200, r
        return r.json()

    def inventory_vm(self, provider, ns, name, timeout=30, guest=False):
        """The VM as the inventory shows it; with guest=True, once VMware Tools' guest info is in it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for v in self.inventory_json(provider, ns, "vms"):
                if v["name"] == name and (not guest or (v["guestNetworks"] and v["toolsStatus"] == "toolsOk")):
                    return v
            time.sleep(0.5)  # the inventory refreshes from vcsim every second: poll it like the runner does
        raise AssertionError("%s not in the inventory" % name)

    def plan(self, ns, name, vm_ids, maps="", **extra):
        spec = {"warm": True, "targetNamespace": ns,
                "provider": {"source": {"name": "vcenter", "namespace": ns},
                             "destination": {"name": "host", "namespace": "openshift-mtv"}},
                "map": {"network": {"name": "nmap" + maps, "namespace": ns},
                        "storage": {"name": "smap" + maps, "namespace": ns}},
                "vms": [{"id": i} for i in vm_ids]}
        spec.update(extra)
        return self.create("%s/namespaces/%s/plans" % (FORKLIFT, ns), {"metadata": {"name": name}, "spec": spec})

    def wait_plan_cond(self, ns, name, ctype, timeout=30):
        return self.wait("%s/namespaces/%s/plans/%s" % (FORKLIFT, ns, name),
                         lambda o: any(c["type"] == ctype and c["status"] == "True"
                                       for c in (o.get("status") or {}).get("conditions") or []), timeout, ctype)

    def migrate(self, ns, plan, cutover_in=0.0):
        cut = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + cutover_in))
        return self.create("%s/namespaces/%s/migrations" % (FORKLIFT, ns),
                           {"metadata": {"name": plan + "-mig"},
                            "spec": {"plan": {"name": plan, "namespace": ns}, "cutover": cut}})

    def wait_plan_done(self, ns, name, timeout=90):
        return self.wait("%s/namespaces/%s/plans/%s" % (FORKLIFT, ns, name),
                         lambda o: any(c["type"] in ("Succeeded", "Failed", "Canceled") and c["status"] == "True"
                                       for c in (o.get("status") or {}).get("conditions") or []), timeout, "completion")

    def set_interval(self, minutes):
        self.patch(FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers/forklift-controller",
                   {"spec": {"controller_precopy_interval": minutes}})

        def env_ok(d):
            for c in d["spec"]["template"]["spec"]["containers"]:
                for e in c.get("env") or []:
                    if e["name"] == "PRECOPY_INTERVAL":
                        return e["value"] == str(minutes)
            return False
        self.wait("/apis/apps/v1/namespaces/openshift-mtv/deployments/forklift-controller", env_ok, 20, "env")
        self.wait(FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers/forklift-controller",
                  lambda o: any(c["type"] == "Successful" and c["status"] == "True"
                                for c in (o.get("status") or {}).get("conditions") or []), 20, "Successful")

    def migrated(self, lab_ns, vm_name):
        vm = self.get("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/%s" % (lab_ns, vm_name))
        vmi = self.get("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (lab_ns, vm_name))
        pvcs = [self.get("/api/v1/namespaces/%s/persistentvolumeclaims/%s" % (lab_ns, v["persistentVolumeClaim"]["claimName"]))
                for v in (vm or {}).get("spec", {}).get("template", {}).get("spec", {}).get("volumes", [])]
        return vm, vmi, pvcs


# -- KubeVirt port-forward client (WebSocket over TLS), exposing a socket for paramiko -------------------

class PortForward:
    """Opens .../virtualmachineinstances/NAME/portforward/PORT/tcp and relays it to one end of a
    socketpair; `sock` is the other end (give it to paramiko). Answers pings with masked pongs."""

    def __init__(self, lab, ns, name, port=22, kind="virtualmachineinstances"):
        u = urllib.parse.urlparse(lab.api_url)
        ctx = ssl.create_default_context(cafile=str(lab.ca_file))
        raw = socket.create_connection((u.hostname, u.port), timeout=10)
        self.tls = ctx.wrap_socket(raw, server_hostname=u.hostname)
        key = base64.b64encode(os.urandom(16)).decode()
        path = "/apis/subresources.kubevirt.io/v1/namespaces/%s/%s/%s/portforward/%d/tcp" % (ns, kind, name, port)
        self.tls.sendall(("GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: plain.kubevirt.io\r\nAuthorization: Bearer %s\r\n\r\n"
                          % (path, u.hostname, u.port, key, lab.token)).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = self.tls.recv(4096)
            if not chunk:
                break
            buf += chunk
        head, _, rest = buf.partition(b"\r\n\r\n")
        lines = head.decode(errors="replace").split("\r\n")
        self.status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
        self.headers = {l.split(":", 1)[0].strip().lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        self.body = rest
        self.pings = 0
        self.ping_ev = threading.Event()
        self.eof = False
        self.close_frame = None
        self.done = threading.Event()
        if self.status != 101:
            return
        expect = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode())
                                  .digest()).decode()
        assert self.headers.get("sec-websocket-accept") == expect
        self.sock, self.mine = socket.socketpair()
        self.buf = rest
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._pump, daemon=True).start()

    def _send(self, op, payload):
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([0x80 | op])
        if n <= 125:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        with self.lock:
            self.tls.sendall(head + mask + data)

    def _frames(self):
        out = []
        while len(self.buf) >= 2:
            b0, b1 = self.buf[0], self.buf[1]
            n, i = b1 & 0x7F, 2
            if n == 126:
                if len(self.buf) < 4:
                    break
                n, i = struct.unpack("!H", self.buf[2:4])[0], 4
            elif n == 127:
                if len(self.buf) < 10:
                    break
                n, i = struct.unpack("!Q", self.buf[2:10])[0], 10
            if len(self.buf) < i + n:
                break
            out.append((b0 & 0x0F, self.buf[i:i + n]))
            self.buf = self.buf[i + n:]
        return out

    def _pump(self):
        self.tls.setblocking(True)
        try:
            while not self.closed:
                r, _, _ = select.select([self.tls, self.mine], [], [], 5)
                if self.tls in r or self.tls.pending():
                    data = self.tls.recv(65536)
                    if not data:
                        self.eof = True  # the server closed without a close frame
                        break
                    self.buf += data
                    for op, payload in self._frames():
                        if op in (0x2, 0x0):
                            self.mine.sendall(payload)
                        elif op == 0x9:
                            self.pings += 1
                            self.ping_payload = payload
                            self._send(0xA, payload)
                            self.ping_ev.set()
                        elif op == 0x8:
                            self.close_frame = payload
                            return
                if self.mine in r:
                    data = self.mine.recv(32768)
                    if not data:
                        self._send(0x8, struct.pack("!H", 1000))
                        return
                    self._send(0x2, data)
        except OSError:
            pass
        finally:
            self.closed = True
            self.done.set()
            try:
                self.mine.close()
            except OSError:
                pass

    def close(self):
        self.closed = True
        try:
            self.tls.close()
        except OSError:
            pass
        if hasattr(self, "sock"):
            try:
                self.sock.close()
            except OSError:
                pass


def ssh_exec(sock_or_addr, user, password, command, timeout=15):
    import paramiko
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    kw = dict(username=user, password=password, timeout=timeout, banner_timeout=timeout, auth_timeout=timeout,
              allow_agent=False, look_for_keys=False)
    if isinstance(sock_or_addr, tuple):
        client.connect(sock_or_addr[0], port=sock_or_addr[1], **kw)
    else:
        client.connect("vm", port=22, sock=sock_or_addr, **kw)
    try:
        _, out, err = client.exec_command(command, timeout=timeout)
        rc = out.channel.recv_exit_status()
        return rc, out.read().decode(), err.read().decode()
    finally:
        client.close()


def unique(prefix):
    return "%s-%s" % (prefix, secrets.token_hex(2))


def set_defects(lab, names):
    """Clear the defects, then activate `names` (admin endpoint, as `mtvlab defect` does)."""
    r = lab.admin("POST", "/mtvlab/defects", {"clear": True})
    assert r.status == 200, r
    for n in names:
        r = lab.admin("POST", "/mtvlab/defects", {"name": n})
        assert r.status == 200, r


def run_migration(lab, ns, plan_name, template, defects=(), maps="", cutover_in=0.0, wait=True, **plan_extra):
    """Clone `template` with CBT, power it on, migrate it warm with `defects` active; returns a dict with
    the plan, the source inventory record, the clone name and the migrated VM/VMI/PVCs."""
    name = "%s-%s" % (ns, plan_name)
    src = lab.clone(template, name, cbt=True)
    inv = lab.inventory_vm("vcenter", ns, name, guest=True)
    set_defects(lab, defects)
    try:
        lab.plan(ns, plan_name, [inv["id"]], maps=maps, **plan_extra)
        if "plan-never-ready" in defects:
            return {"name": name, "inv": inv, "src": src}
        lab.wait_plan_cond(ns, plan_name, "Ready")
        lab.migrate(ns, plan_name, cutover_in=cutover_in)
        lab.wait_plan_cond(ns, plan_name, "Executing")
    finally:
        set_defects(lab, [])
    out = {"name": name, "inv": inv, "src": src}
    if wait:
        out["plan"] = lab.wait_plan_done(ns, plan_name)
        out["vm"], out["vmi"], out["pvcs"] = lab.migrated(ns, name)
    return out
