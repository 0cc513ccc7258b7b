"""pyVmomi access to the lab's vcsim (Debian python3-pyvmomi 6.7.1): login with TLS settings, one
PropertyCollector read of the whole inventory, snapshots, power, sessions. Re-logs in when the session
was terminated (the vcenter-session-loss fault)."""
import hashlib
import logging
import socket
import ssl
import threading
import time
import urllib.parse

from pyVim.connect import SmartConnect, Disconnect  # noqa: F401
from pyVmomi import vim, vmodl

log = logging.getLogger("labsim.vsphere")


class ConnectError(Exception):
    """Login failed. kind: 'tls', 'auth', 'connect'."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


def ssl_context(ca_pem=None, insecure=False):
    if insecure:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_pem:
        ctx.load_verify_locations(cadata=ca_pem)
    else:
        ctx.load_default_certs()
    return ctx


def fingerprint(host, port):
    """SHA-1 of the server certificate, colon-separated upper-case hex (Provider status.fingerprint)."""
    ctx = ssl_context(insecure=True)
    with socket.create_connection((host, port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname=host) as t:
            der = t.getpeercert(binary_form=True)
    h = hashlib.sha1(der).hexdigest().upper()
    return ":".join(h[i:i + 2] for i in range(0, len(h), 2))


def split_url(url):
    u = urllib.parse.urlparse(url)
    if u.scheme not in ("https", "http") or not u.hostname:
        raise ValueError("malformed URL")
    return u.hostname, u.port or (443 if u.scheme == "https" else 80), u.path or "/sdk"


VM_PROPS = [
    "name", "parent", "config.uuid", "config.instanceUuid", "config.template", "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket", "config.hardware.memoryMB", "config.hardware.device",
    "config.extraConfig", "config.changeTrackingEnabled", "config.guestId", "config.guestFullName",
    "config.firmware", "runtime.powerState", "runtime.host", "runtime.connectionState", "snapshot",
    "guest.toolsStatus", "guest.toolsRunningStatus", "guest.net", "guest.ipStack", "guest.hostName",
    "guest.ipAddress", "guest.guestFullName", "guest.guestId", "datastore", "network",
]


class Client:
    """One vSphere session. Thread-safe: calls are serialized by a lock (pyVmomi stubs are not)."""

    def __init__(self, url, user, password, ca_pem=None, insecure=False, timeout=30):
        self.url, self.user, self.password = url, user, password
        self.ca_pem, self.insecure, self.timeout = ca_pem, insecure, timeout
        self.si = None
        self.lock = threading.RLock()

    # -- session --------------------------------------------------------------------------------------
    def connect(self):
        host, port, path = split_url(self.url)
        ctx = ssl_context(self.ca_pem, self.insecure)
        try:
            self.si = SmartConnect(host=host, port=port, path=path, user=self.user, pwd=self.password,
                                   sslContext=ctx, connectionPoolTimeout=self.timeout)
        except vim.fault.InvalidLogin as e:
            raise ConnectError("auth", "Login failed: %s" % (e.msg or "incorrect user name or password"))
        except ssl.SSLError as e:
            raise ConnectError("tls", "x509: certificate signed by unknown authority (%s)" % e)
        except (OSError, vmodl.MethodFault, Exception) as e:  # noqa: BLE001
            if isinstance(getattr(e, "reason", None), ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(e):
                raise ConnectError("tls", "x509: certificate signed by unknown authority")
            raise ConnectError("connect", "%s" % (getattr(e, "msg", None) or e))
        return self

    def session_key(self):
        with self.lock:
            try:
                s = self.si.content.sessionManager.currentSession
                return s.key if s else None
            except Exception:  # noqa: BLE001
                return None

    def close(self):
        with self.lock:
            if self.si is not None:
                try:
                    self.si.content.sessionManager.Logout()
                except Exception:  # noqa: BLE001
                    pass
                self.si = None

    def call(self, fn):
        """Run fn(si) under the lock; log in again once when the session was lost."""
        with self.lock:
            for attempt in (0, 1):
                if self.si is None:
                    self.connect()
                try:
                    return fn(self.si)
                except vim.fault.NotAuthenticated:
                    if attempt:
                        raise
                    log.info("vSphere session lost, logging in again")
                    self.si = None

    # -- inventory read --------------------------------------------------------------------------------
    def _collect(self, si, vimtype, props):
        content = si.content
        view = content.viewManager.CreateContainerView(content.rootFolder, [vimtype], True)
        try:
            tspec = vmodl.query.PropertyCollector.TraversalSpec(name="tv", path="view", skip=False,
                                                                type=vim.view.ContainerView)
            ospec = vmodl.query.PropertyCollector.ObjectSpec(obj=view, skip=True, selectSet=[tspec])
            pspec = vmodl.query.PropertyCollector.PropertySpec(type=vimtype, pathSet=props)
            fspec = vmodl.query.PropertyCollector.FilterSpec(objectSet=[ospec], propSet=[pspec])
            pc = content.propertyCollector
            out = []
            res = pc.RetrievePropertiesEx([fspec], vmodl.query.PropertyCollector.RetrieveOptions())
            while res:
                for oc in res.objects:
                    d = {"_ref": oc.obj, "_id": oc.obj._moId}
                    for p in oc.propSet or []:
                        d[p.name] = p.val
                    out.append(d)
                if not res.token:
                    break
                res = pc.ContinueRetrievePropertiesEx(res.token)
            return out
        finally:
            view.Destroy()

    def read_inventory(self):
        def fn(si):
            about = si.content.about
            return {
                "about": {"apiVersion": about.apiVersion, "fullName": about.fullName,
                          "instanceUuid": about.instanceUuid, "version": about.version},
                "vms": self._collect(si, vim.VirtualMachine, VM_PROPS),
                "networks": self._collect(si, vim.Network, ["name", "parent"]),
                "dvpgs": self._collect(si, vim.dvs.DistributedVirtualPortgroup, ["key", "config.distributedVirtualSwitch"]),
                "datastores": self._collect(si, vim.Datastore, ["name", "parent", "summary.capacity",
                                                                "summary.freeSpace", "summary.type"]),
                "hosts": self._collect(si, vim.HostSystem, ["name", "parent"]),
                "clusters": self._collect(si, vim.ComputeResource, ["name", "parent"]),
                "datacenters": self._collect(si, vim.Datacenter, ["name", "parent"]),
                "folders": self._collect(si, vim.Folder, ["name", "parent"]),
            }
        return self.call(fn)

    # -- objects ---------------------------------------------------------------------------------------
    def vm(self, si, moref):
        return vim.VirtualMachine(moref, si._stub)

    def power_state(self, moref):
        return self.call(lambda si: str(self.vm(si, moref).runtime.powerState))

    def wait_task(self, task_id, timeout=120):
        """Wait for a task by moref id; returns (state, result, error message)."""
        deadline = time.monotonic() + timeout
        while True:
            def fn(si):
                # read only the fields we need: vcsim puts a Snapshot in info.entity of RemoveSnapshot
                # tasks, which pyVmomi 6.7 refuses to deserialize
                t = vim.Task(task_id, si._stub)
                pc = si.content.propertyCollector
                ospec = vmodl.query.PropertyCollector.ObjectSpec(obj=t, skip=False)
                pspec = vmodl.query.PropertyCollector.PropertySpec(type=vim.Task,
                                                                   pathSet=["info.state", "info.result", "info.error"])
                fspec = vmodl.query.PropertyCollector.FilterSpec(objectSet=[ospec], propSet=[pspec])
                vals = {}
                for oc in pc.RetrieveContents([fspec]) or []:
                    for p in oc.propSet or []:
                        vals[p.name] = p.val
                err = vals.get("info.error")
                return str(vals.get("info.state")), vals.get("info.result"), (err.msg if err is not None else None)
            state, res, err = self.call(fn)
            if state in ("success", "error"):
                return state, res, err
            if time.monotonic() > deadline:
                return "timeout", None, "task %s did not finish" % task_id
            time.sleep(0.05)

    def create_snapshot(self, moref, name, description, memory=False, quiesce=True):
        return self.call(lambda si: self.vm(si, moref).CreateSnapshot_Task(name, description, memory, quiesce)._moId)

    def remove_snapshot(self, snap_moref, consolidate=True):
        return self.call(lambda si: vim.vm.Snapshot(snap_moref, si._stub).RemoveSnapshot_Task(False, consolidate)._moId)

    def snapshot_disks(self, snap_moref):
        """Disks of a snapshot: [(key, backing fileName)]."""
        def fn(si):
            s = vim.vm.Snapshot(snap_moref, si._stub)
            out = []
            for d in s.config.hardware.device:
                if isinstance(d, vim.vm.device.VirtualDisk):
                    out.append((d.key, getattr(d.backing, "fileName", "")))
            return out
        return self.call(fn)

    def snapshots(self, moref):
        def fn(si):
            snap = self.vm(si, moref).snapshot
            out = []

            def walk(lst):
                for s in lst or []:
                    out.append({"name": s.name, "id": s.snapshot._moId})
                    walk(s.childSnapshotList)
            if snap:
                walk(snap.rootSnapshotList)
            return out
        return self.call(fn)

    def shutdown_guest(self, moref):
        return self.call(lambda si: self.vm(si, moref).ShutdownGuest())

    def power_on(self, moref):
        return self.call(lambda si: self.vm(si, moref).PowerOnVM_Task()._moId)

    def power_off(self, moref):
        return self.call(lambda si: self.vm(si, moref).PowerOffVM_Task()._moId)

    def find_vm(self, name):
        def fn(si):
            content = si.content
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
            try:
                for v in view.view:
                    if v.name == name:
                        return v._moId
            finally:
                view.Destroy()
            return None
        return self.call(fn)

    def terminate_other_sessions(self):
        """SessionManager.TerminateSession on every session but ours; returns how many."""
        def fn(si):
            sm = si.content.sessionManager
            mine = sm.currentSession.key
            others = [s.key for s in (sm.sessionList or []) if s.key != mine]
            if others:
                sm.TerminateSession(others)
            return len(others)
        return self.call(fn)
