"""KubeVirt: VirtualMachine -> VirtualMachineInstance per runStrategy, VM status, start/stop (202),
port-forward to the migrated guest's SSH endpoint, PVC -> PV cleanup."""
import threading

from .. import portforward
from .common import RES, err_code, rfc3339, log

FINALIZER = "kubevirt.io/virtualMachineControllerFinalize"
STARTUP = 0.3      # VMI Scheduled -> Running
AGENT_DELAY = 0.3  # Running -> AgentConnected


def _status(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
            "reason": reason, "code": code}


class KubeVirtCtrl:
    def __init__(self, mgr):
        self.mgr = mgr
        self.profiles = {}  # (ns, name) -> guest profile of a migrated VM
        self.ips = {}       # VM uid -> 127.43.x.y
        self.next_ip = 1
        self.lock = threading.Lock()

    def register_guest(self, ns, name, profile):
        with self.lock:
            self.profiles[(ns, name)] = profile

    def _ip_for(self, uid):
        with self.lock:
            ip = self.ips.get(uid)
            if ip is None:
                n = self.next_ip
                self.next_ip += 1
                ip = "127.43.%d.%d" % (n // 250, 1 + n % 250)
                self.ips[uid] = ip
            return ip

    # -- reconcile -------------------------------------------------------------------------------------
    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            vm = st.get(RES["vm"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) != 404:
                raise
            self._remove_vmi(ns, name, self._get(RES["vmi"], ns, name))  # an orphan VMI goes too
            return
        uid = vm["metadata"]["uid"]
        vmi = self._get(RES["vmi"], ns, name)
        if vm["metadata"].get("deletionTimestamp"):
            if vmi is not None:
                self._remove_vmi(ns, name, vmi)
            for pvc in st.list(RES["pvc"], ns):
                if any(o.get("uid") == uid for o in pvc["metadata"].get("ownerReferences") or []):
                    try:
                        st.delete(RES["pvc"], ns, pvc["metadata"]["name"])
                    except Exception:  # noqa: BLE001
                        pass

            def fin(o):
                o["metadata"]["finalizers"] = [f for f in o["metadata"].get("finalizers") or [] if f != FINALIZER]
            st.mutate(RES["vm"], ns, name, fin)
            with self.lock:
                self.profiles.pop((ns, name), None)
            return
        rs = (vm.get("spec") or {}).get("runStrategy")
        if rs is None:
            rs = "Always" if (vm.get("spec") or {}).get("running") else "Halted"
        want = rs in ("Always", "RerunOnFailure", "Once")
        if rs == "Manual":
            want = vmi is not None
        if want and vmi is None:
            vmi = self._create_vmi(vm)
            self.mgr.queue.add(("vm", ns, name), STARTUP)
        elif not want and vmi is not None:
            self._remove_vmi(ns, name, vmi)
            vmi = None
        elif vmi is not None:
            self._advance_vmi(vm, vmi)
        self._vm_status(vm, rs)

    def _get(self, res, ns, name):
        try:
            return self.mgr.store.get(res, ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return None
            raise

    def _create_vmi(self, vm):
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        tpl = (vm.get("spec") or {}).get("template") or {}
        spec = dict(tpl.get("spec") or {})
        dom = dict(spec.get("domain") or {})
        fw = dict(dom.get("firmware") or {})
        import uuid as _uuid
        fw.setdefault("uuid", str(_uuid.uuid5(_uuid.UUID("6a1a24a1-4061-4607-8bf4-a3963d0c5895"), name)))
        dom["firmware"] = fw
        spec["domain"] = dom
        labels = dict((tpl.get("metadata") or {}).get("labels") or {})
        labels["kubevirt.io/nodeName"] = "lab-node-1"
        vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
               "metadata": {"name": name, "namespace": ns, "labels": labels,
                            "annotations": dict((tpl.get("metadata") or {}).get("annotations") or {}),
                            "finalizers": ["kubevirt.io/foregroundDeleteVirtualMachine"],
                            "ownerReferences": [{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
                                                 "name": name, "uid": vm["metadata"]["uid"], "controller": True,
                                                 "blockOwnerDeletion": True}]},
               "spec": spec,
               "status": {"phase": "Scheduling", "phaseTransitionTimestamps": [
                   {"phase": "Scheduling", "phaseTransitionTimestamp": rfc3339()}]}}
        try:
            vmi = self.mgr.store.create(RES["vmi"], vmi, ns=ns)
        except Exception as e:  # noqa: BLE001
            if err_code(e) != 409:
                raise
            return self._get(RES["vmi"], ns, name)

        def st(o):
            o["status"] = {"phase": "Scheduling", "phaseTransitionTimestamps": [
                {"phase": "Scheduling", "phaseTransitionTimestamp": rfc3339()}]}
        self.mgr.store.mutate(RES["vmi"], ns, name, st)
        return vmi

    def _advance_vmi(self, vm, vmi):
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        status = vmi.get("status") or {}
        prof = self.profiles.get((ns, name))
        ip = self._ip_for(vm["metadata"]["uid"])
        if status.get("phase") != "Running":
            ifaces = []
            for i, itf in enumerate(((vmi.get("spec") or {}).get("domain") or {}).get("devices", {}).get("interfaces") or []):
                if i == 0:
                    addr = ip
                else:
                    addr = prof["nics"][i]["addrs"][0][0] if prof and i < len(prof["nics"]) and prof["nics"][i]["addrs"] \
                        else "10.200.%d.%d" % (i, 10 + i)
                ifaces.append({"name": itf["name"], "mac": itf.get("macAddress", ""), "ipAddress": addr,
                               "ipAddresses": [addr], "interfaceName": "eth%d" % i, "infoSource": "domain, guest-agent",
                               "queueCount": 1, "linkState": "up", "podInterfaceName": "eth0" if i == 0 else "pod%d" % i})
            t = rfc3339()

            def run(o):
                s = o.setdefault("status", {})
                s["phase"] = "Running"
                s["nodeName"] = "lab-node-1"
                s["interfaces"] = ifaces
                s.setdefault("phaseTransitionTimestamps", []).append({"phase": "Running",
                                                                      "phaseTransitionTimestamp": t})
                s["conditions"] = [{"type": "Ready", "status": "True", "lastProbeTime": None,
                                    "lastTransitionTime": t},
                                   {"type": "LiveMigratable", "status": "False", "reason": "DisksNotLiveMigratable",
                                    "message": "cannot migrate VMI: PVC is not shared, live migration requires that "
                                               "all PVCs must be shared (using ReadWriteMany access mode)",
                                    "lastProbeTime": None, "lastTransitionTime": t}]
                s["qosClass"] = "Burstable"
                s["guestOSInfo"] = {}
                s["launcherContainerImageVersion"] = "registry.redhat.io/container-native-virtualization/virt-launcher-rhel9:v4.20.1"
            self.mgr.store.mutate(RES["vmi"], ns, name, run)
            if prof is not None and prof.get("ssh", True):
                gm = self.mgr.guests
                if gm is not None:
                    key = (ns, name)
                    gm.serve(ip, lambda key=key: self.profiles.get(key) or {"nics": []})
            if prof is not None and prof.get("agent", True):
                self.mgr.queue.add(("vm", ns, name), AGENT_DELAY)
            return
        if prof is not None and prof.get("agent", True) and not any(
                c.get("type") == "AgentConnected" for c in status.get("conditions") or []):
            t = rfc3339()

            def agent(o):
                s = o.setdefault("status", {})
                s.setdefault("conditions", []).append({"type": "AgentConnected", "status": "True",
                                                       "lastProbeTime": None, "lastTransitionTime": t})
                s["guestOSInfo"] = {"id": "windows" if prof.get("windows") else "rhel",
                                    "name": "Microsoft Windows Server 2022" if prof.get("windows") else
                                    "Red Hat Enterprise Linux",
                                    "prettyName": "Windows Server 2022 Standard" if prof.get("windows") else
                                    "Red Hat Enterprise Linux 8.10 (Ootpa)",
                                    "version": "2022" if prof.get("windows") else "8.10",
                                    "versionId": "2022" if prof.get("windows") else "8.10"}
            self.mgr.store.mutate(RES["vmi"], ns, name, agent)

    def _remove_vmi(self, ns, name, vmi):
        ip = None
        if vmi is not None:
            for o in vmi["metadata"].get("ownerReferences") or []:
                ip = self.ips.get(o.get("uid"))
        if ip and self.mgr.guests is not None:
            self.mgr.guests.stop(ip)
        if vmi is None:
            return
        try:
            self.mgr.store.mutate(RES["vmi"], ns, name, lambda o: o["metadata"].__setitem__("finalizers", []))
            self.mgr.store.delete(RES["vmi"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) != 404:
                raise

    def _vm_status(self, vm, rs):
        ns, name = vm["metadata"]["namespace"], vm["metadata"]["name"]
        vmi = self._get(RES["vmi"], ns, name)
        t = rfc3339()
        running = vmi is not None and (vmi.get("status") or {}).get("phase") == "Running"
        old = vm.get("status") or {}
        oldc = {c["type"]: c for c in old.get("conditions") or []}

        def cond(ctype, status, reason=None, message=None):
            c = {"type": ctype, "status": status, "lastProbeTime": None, "lastTransitionTime": t}
            if reason:
                c["reason"] = reason
            if message:
                c["message"] = message
            p = oldc.get(ctype)
            if p and p.get("status") == status and p.get("reason") == c.get("reason"):
                c["lastTransitionTime"] = p.get("lastTransitionTime")
            return c
        s = {"runStrategy": rs, "observedGeneration": vm["metadata"].get("generation", 1),
             "desiredGeneration": vm["metadata"].get("generation", 1),
             "volumeSnapshotStatuses": [{"name": v["name"], "enabled": False,
                                         "reason": "No VolumeSnapshotClass: Volume snapshots are not configured for "
                                                   "this StorageClass"}
                                        for v in ((vm.get("spec") or {}).get("template") or {}).get("spec", {}).get(
                                            "volumes") or []]}
        if vmi is None:
            s["printableStatus"] = "Stopped"
            s["conditions"] = [cond("Ready", "False", "VMINotExists", "VMI does not exist")]
        elif running:
            s["printableStatus"] = "Running"
            s["ready"] = True
            s["created"] = True
            conds = [cond("Ready", "True")]
            for c in (vmi.get("status") or {}).get("conditions") or []:
                if c["type"] != "Ready":
                    conds.append(cond(c["type"], c["status"], c.get("reason"), c.get("message")))
            s["conditions"] = conds
        else:
            s["printableStatus"] = "Starting"
            s["created"] = True
            s["conditions"] = [cond("Ready", "False", "GuestNotRunning", "Guest VM is not reported as running")]
        if {k: v for k, v in old.items()} == s:
            return

        def fn(o):
            o["status"] = s
        self.mgr.store.mutate(RES["vm"], ns, name, fn, subresource="status")

    def vmi_event(self, etype, obj):
        """VMI changed (e.g. deleted by the user or its namespace): re-evaluate its VM."""
        md = obj["metadata"]
        if etype != "DELETED" and md.get("deletionTimestamp") and md.get("finalizers"):
            ip = next((self.ips.get(o.get("uid")) for o in md.get("ownerReferences") or []), None)
            if ip and self.mgr.guests is not None:
                self.mgr.guests.stop(ip)
            self.mgr.store.mutate(RES["vmi"], md["namespace"], md["name"],
                                  lambda o: o["metadata"].__setitem__("finalizers", []))
        for o in obj["metadata"].get("ownerReferences") or []:
            if o.get("kind") == "VirtualMachine":
                self.mgr.queue.add(("vm", obj["metadata"]["namespace"], o["name"]))

    def pvc_deleted(self, pvc):
        vol = (pvc.get("spec") or {}).get("volumeName")
        if vol:
            try:
                self.mgr.store.delete(RES["pv"], None, vol)
            except Exception:  # noqa: BLE001
                pass

    # -- subresources ----------------------------------------------------------------------------------
    def start_handler(self, req):
        return self._lifecycle(req, "start")

    def stop_handler(self, req):
        return self._lifecycle(req, "stop")

    def _lifecycle(self, req, action):
        ns, name = req.namespace, req.name
        vm = self._get(RES["vm"], ns, name)
        if vm is None:
            return 404, _status(404, "NotFound", 'virtualmachine.kubevirt.io "%s" not found' % name), {}
        rs = (vm.get("spec") or {}).get("runStrategy") or "Halted"
        vmi = self._get(RES["vmi"], ns, name)
        active = vmi is not None and (vmi.get("status") or {}).get("phase") not in ("Succeeded", "Failed")

        def conflict(msg):
            return 409, _status(409, "Conflict", 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "%s": %s'
                                % (name, msg)), {}
        if action == "start":
            if active:
                return conflict("VM is already running")
            if rs in ("Always", "Once"):
                return conflict("%s does not support manual start requests" % rs)
            new = "Always" if rs == "Halted" else rs
            if rs == "Manual":
                self._create_vmi(vm)
        else:
            if rs in ("Halted", "Manual", "RerunOnFailure") and not active:
                return conflict("VM is not running")
            if rs == "Halted":
                return conflict("Halted only supports manual stop requests with a shorter graceperiod")
            new = "Halted" if rs in ("Always", "Once") else rs
            if rs == "Manual" and vmi is not None:
                self._remove_vmi(ns, name, vmi)

        def fn(o):
            o["spec"]["runStrategy"] = new
            o["spec"].pop("running", None)
        self.mgr.store.mutate(RES["vm"], ns, name, fn)
        self.mgr.queue.add(("vm", ns, name))
        return 202, b"", {}

    def portforward_handler(self, req, kind="virtualmachineinstances"):
        ns, name = req.namespace, req.name
        sock = getattr(req, "socket", None)
        singular = "virtualmachineinstance" if kind == "virtualmachineinstances" else "virtualmachine"
        port, _proto = portforward.requested_port(req)

        def fail(code, reason, msg):
            if sock is not None and getattr(req, "upgrade", True):
                portforward.write_status(sock, code, reason, msg)
                portforward._close(sock)
                return None
            return code, _status(code, reason, msg), {}
        if port is None:
            return fail(400, "BadRequest", "port must not be empty")
        if kind == "virtualmachines":
            vm = self._get(RES["vm"], ns, name)
            if vm is None:
                return fail(404, "NotFound", 'virtualmachine.kubevirt.io "%s" not found' % name)
            if not (vm.get("status") or {}).get("created"):
                return fail(409, "Conflict", 'Operation cannot be fulfilled on virtualmachine.kubevirt.io "%s": '
                                             'VMI is not started' % name)
        vmi = self._get(RES["vmi"], ns, name)
        if vmi is None:
            return fail(404, "NotFound", '%s.kubevirt.io "%s" not found' % (singular, name))
        ifaces = (vmi.get("status") or {}).get("interfaces") or []
        if not ifaces or not ifaces[0].get("ipAddress"):
            return fail(400, "BadRequest", "no network interfaces are present")
        ip = ifaces[0]["ipAddress"]
        gport = self.mgr.guests.port if self.mgr.guests is not None else port
        # the lab's guests listen on guest_ssh_port: the guest's port 22 is that port
        target = gport if port in (22, gport) else port
        if sock is None:
            return 400, _status(400, "BadRequest", "websocket upgrade required"), {}
        threading.Thread(target=portforward.serve, args=(req, ip, target), daemon=True,
                         name="portforward-%s" % name).start() if getattr(req, "threaded", False) else \
            portforward.serve(req, ip, target)
        return None

    def portforward_vm_handler(self, req):
        return self.portforward_handler(req, kind="virtualmachines")

    def pod_log_handler(self, req):
        text = self.mgr.pod_logs.get((req.namespace, req.name))
        if text is None:
            try:
                self.mgr.store.get(RES["pod"], req.namespace, req.name)
            except Exception as e:  # noqa: BLE001
                if err_code(e) == 404:
                    return 404, _status(404, "NotFound", 'pods "%s" not found' % req.name), {}
                raise
            text = ""
        q = getattr(req, "query", {}) or {}
        tail = q.get("tailLines")
        if isinstance(tail, list):
            tail = tail[-1]
        if tail:
            try:
                lines = text.splitlines(True)
                text = "".join(lines[-int(tail):])
            except ValueError:
                pass
        return 200, text, {"Content-Type": "text/plain"}
