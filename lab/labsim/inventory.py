"""The Forklift inventory service of the lab: per-Provider collectors that read vcsim live (one session
each, with the Provider's own credentials) and an HTTPS REST server with the real paths and JSON shapes
(forklift-inventory.md). Also the in-process model the Provider/Map/Plan controllers validate against."""
import hashlib
import http.server
import json
import logging
import re
import socketserver
import ssl
import threading
import time
import urllib.parse

from pyVmomi import vim

from . import vsphere

log = logging.getLogger("labsim.inventory")

LOAD_WAIT = 2.0  # seconds a request waits for a loading provider before answering 206

CBT_CONCERN = {"id": "vmware.changed_block_tracking.disabled",
               "label": "Changed Block Tracking (CBT) not enabled", "category": "Warning",
               "assessment": "For VM warm migration, Changed Block Tracking (CBT) must be enabled in VMware."}
SNAPSHOT_CONCERN = {"id": "vmware.snapshot.detected", "label": "VM snapshot detected", "category": "Information",
                    "assessment": "Online snapshots are not currently supported by OpenShift Virtualization."}

KIND_OF = {"VirtualMachine": "VM", "Folder": "Folder", "Datacenter": "Datacenter", "ClusterComputeResource": "Cluster",
           "ComputeResource": "Cluster", "HostSystem": "Host", "Network": "Network",
           "DistributedVirtualPortgroup": "Network", "Datastore": "Datastore"}


def moid(ref):
    return ref._moId if ref is not None else ""


def clean_id(moref, name):
    """vcsim 0.24 gives datastores morefs like '/tmp/govcsim-DC0-LocalDS_0-1@folder-5'; the inventory
    uses a URL-safe id instead (the datastore name)."""
    return moref if re.match(r"^[A-Za-z0-9_.-]+$", moref or "") else name


def bool_of(v):
    return str(v).strip().lower() in ("true", "1", "yes")


def pci_of(dev, i):
    slot = getattr(getattr(dev, "slotInfo", None), "pciSlotNumber", None)
    return "0000:%02x:00.0" % (0x0b + i) if slot is None else "0000:%02x:00.0" % (int(slot) % 256)


class Model:
    """A converted snapshot of vcsim in Forklift inventory shapes."""

    def __init__(self, raw, uid):
        self.uid = uid
        self.about = raw["about"]
        names = {}
        parents = {}
        kinds = {}
        for group in ("folders", "datacenters", "clusters", "hosts", "networks", "datastores", "vms"):
            for o in raw[group]:
                names[o["_id"]] = o.get("name", "")
                parents[o["_id"]] = o.get("parent")
                kinds[o["_id"]] = KIND_OF.get(type(o["_ref"]).__name__.split(".")[-1], "Folder")
        self.ds_id = {o["_id"]: clean_id(o["_id"], o.get("name")) for o in raw["datastores"]}
        dvpg_key = {o.get("key"): o["_id"] for o in raw["dvpgs"]}
        dvpg_ids = {o["_id"] for o in raw["dvpgs"]}

        def path(oid):
            parts = []
            cur = oid
            guard = 0
            while cur and guard < 50:
                guard += 1
                p = parents.get(cur)
                if cur not in names or (kinds.get(cur) == "Folder" and p is None):
                    break  # the root folder (not in the container views) is not part of the path
                parts.append(names.get(cur, cur))
                cur = moid(p) if p is not None else None
            return "/" + "/".join(reversed(parts))

        def base(o, kind_id=None):
            oid = kind_id or o["_id"]
            p = o.get("parent")
            return {"id": oid, "parent": {"kind": kinds.get(moid(p), "Folder"), "id": moid(p)} if p is not None else None,
                    "path": path(o["_id"]), "revision": 1, "name": o.get("name", ""),
                    "selfLink": "providers/vsphere/%s/%s/%s" % (uid, "%s", oid)}

        self.networks = []
        for o in raw["networks"]:
            n = base(o)
            n["selfLink"] = n["selfLink"] % "networks"
            variant = "DvPortGroup" if o["_id"] in dvpg_ids else "Standard"
            n.update({"variant": variant, "vlanId": "", "host": None})
            if variant == "DvPortGroup":
                key = next((d.get("key") for d in raw["dvpgs"] if d["_id"] == o["_id"]), "")
                n["key"] = key
            if n["name"].endswith("-DVUplinks") or "-DVUplinks-" in n["name"]:
                continue
            self.networks.append(n)
        self.datastores = []
        for o in raw["datastores"]:
            d = base(o, self.ds_id[o["_id"]])
            d["selfLink"] = d["selfLink"] % "datastores"
            d.update({"type": o.get("summary.type") or "VMFS", "capacity": o.get("summary.capacity") or 0,
                      "free": o.get("summary.freeSpace") or 0, "maintenance": "normal",
                      "backingDevicesNames": [], "storageIORMSupported": True, "iormEnabled": False,
                      "iormCongestionThreshold": 30, "iormCongestionThresholdMode": "automatic",
                      "iormPercentOfPeakThroughput": 90})
            self.datastores.append(d)
        self.hosts = []
        for o in raw["hosts"]:
            h = base(o)
            h["selfLink"] = h["selfLink"] % "hosts"
            h.update({"cluster": moid(o.get("parent")), "status": "green", "inMaintenance": False,
                      "managementServerIp": "127.0.0.1", "thumbprint": "", "timezone": "UTC",
                      "productName": "VMware ESXi", "productVersion": "8.0.1"})
            self.hosts.append(h)
        self.clusters, self.datacenters, self.folders = [], [], []
        for o in raw["clusters"]:
            c = base(o)
            c["selfLink"] = c["selfLink"] % "clusters"
            c.update({"folder": moid(o.get("parent")), "networks": [], "datastores": [],
                      "hosts": [{"kind": "Host", "id": h["id"]} for h in self.hosts if h["cluster"] == o["_id"]],
                      "dasEnabled": False, "dasVms": [], "drsEnabled": False, "drsBehavior": "", "drsVms": []})
            self.clusters.append(c)
        for o in raw["datacenters"]:
            d = base(o)
            d["selfLink"] = d["selfLink"] % "datacenters"
            d.update({"clusters": None, "networks": None, "datastores": None, "vms": None})
            self.datacenters.append(d)
        for o in raw["folders"]:
            if o.get("parent") is None:
                continue
            f = base(o)
            f["selfLink"] = f["selfLink"] % "folders"
            f.update({"folder": moid(o.get("parent")), "datacenter": "", "children": None})
            self.folders.append(f)
        self.vms = []
        self.raw_vms = {}
        for o in raw["vms"]:
            if o.get("config.template"):
                continue
            if not o.get("config.uuid") and not o.get("config.instanceUuid"):
                continue
            vm = self._vm(o, base, dvpg_key)
            self.vms.append(vm)
            self.raw_vms[vm["id"]] = o
        self.vm_by_id = {v["id"]: v for v in self.vms}

    def _vm(self, o, base, dvpg_key):
        vm = base(o)
        vm["selfLink"] = vm["selfLink"] % "vms"
        extra = {}
        for opt in o.get("config.extraConfig") or []:
            extra[opt.key.lower()] = str(opt.value)
        cbt = bool(o.get("config.changeTrackingEnabled")) or bool_of(extra.get("ctkenabled", "false"))
        devices = list(o.get("config.hardware.device") or [])
        by_key = {d.key: d for d in devices}

        def bus_of(ctrl):
            if isinstance(ctrl, vim.vm.device.VirtualSCSIController):
                return "scsi"
            if isinstance(ctrl, vim.vm.device.VirtualAHCIController) or "SATA" in type(ctrl).__name__:
                return "sata"
            if isinstance(ctrl, vim.vm.device.VirtualIDEController):
                return "ide"
            if "NVME" in type(ctrl).__name__.upper():
                return "nvme"
            return "scsi"

        disks = []
        nics = []
        devs = []
        for d in devices:
            if isinstance(d, vim.vm.device.VirtualDisk):
                b = d.backing
                ctrl = by_key.get(d.controllerKey)
                bus = bus_of(ctrl)
                busno = getattr(ctrl, "busNumber", 0) or 0
                dcbt = bool_of(extra.get("%s%d:%d.ctkenabled" % (bus, busno, d.unitNumber or 0), "false"))
                parent = getattr(b, "parent", None)
                disk = {"key": d.key, "unitNumber": d.unitNumber or 0, "controllerKey": d.controllerKey,
                        "file": getattr(b, "fileName", ""),
                        "datastore": {"kind": "Datastore", "id": self.ds_id.get(moid(getattr(b, "datastore", None)),
                                                                                 moid(getattr(b, "datastore", None)))},
                        "capacity": int(getattr(d, "capacityInBytes", 0) or (d.capacityInKB or 0) * 1024),
                        "shared": False, "rdm": False, "bus": bus, "mode": getattr(b, "diskMode", "persistent"),
                        "changeTrackingEnabled": dcbt,
                        "parent": getattr(parent, "fileName", "") if parent is not None else ""}
                if getattr(b, "uuid", None):
                    disk["serial"] = b.uuid
                disk["deviceName"] = d.deviceInfo.label if d.deviceInfo else ""
                disks.append(disk)
            elif isinstance(d, vim.vm.device.VirtualEthernetCard):
                b = d.backing
                net = ""
                if isinstance(b, vim.vm.device.VirtualEthernetCard.DistributedVirtualPortBackingInfo):
                    net = dvpg_key.get(b.port.portgroupKey, "")
                elif getattr(b, "network", None) is not None:
                    net = moid(b.network)
                conn = getattr(d, "connectable", None)
                nics.append({"network": {"kind": "Network", "id": net}, "mac": d.macAddress or "",
                             "order": len(nics), "deviceKey": d.key, "pciAddress": pci_of(d, len(nics)),
                             "startConnected": bool(conn.startConnected) if conn else True,
                             "_label": d.deviceInfo.label if d.deviceInfo else "Network adapter %d" % (len(nics) + 1)})
                devs.append({"kind": type(d).__name__.split(".")[-1], "key": d.key,
                             "pciSlotNumber": getattr(getattr(d, "slotInfo", None), "pciSlotNumber", 0) or 0})
        disks.sort(key=lambda x: ({"sata": 0, "ide": 1, "scsi": 2, "nvme": 3}.get(x["bus"], 2),
                                  x["controllerKey"], x["unitNumber"], x["key"]))
        guest_nets = []
        for i, gn in enumerate(o.get("guest.net") or []):
            ipc = getattr(gn, "ipConfig", None)
            for ip in (getattr(ipc, "ipAddress", None) or []):
                dhcp = getattr(getattr(getattr(ipc, "dhcp", None), "ipv4", None), "enable", None)
                guest_nets.append({"device": "ens%d" % (192 + 32 * i), "deviceConfigId": gn.deviceConfigId,
                                   "mac": gn.macAddress or "", "ip": ip.ipAddress, "origin": ip.origin or "",
                                   # lab-internal (not served): the guest's own DHCP setting, which says
                                   # static or not when the tools report no origin (open-vm-tools)
                                   "_static": ip.origin == "manual" or (not ip.origin and dhcp is False),
                                   "prefix": ip.prefixLength or 0,
                                   "dns": list(getattr(getattr(gn, "dnsConfig", None), "ipAddress", None) or []),
                                   "network": gn.network or ""})
        ip_stacks = []
        for st in o.get("guest.ipStack") or []:
            rc = getattr(st, "ipRouteConfig", None)
            dns = list(getattr(getattr(st, "dnsConfig", None), "ipAddress", None) or [])
            for r in (getattr(rc, "ipRoute", None) or []):
                gw = getattr(r, "gateway", None)
                if gw is not None and getattr(gw, "ipAddress", None):
                    ip_stacks.append({"device": str(gw.device or "0"), "gateway": gw.ipAddress, "network": r.network,
                                      "prefix": r.prefixLength, "dns": dns})
        snap = o.get("snapshot")
        cur = getattr(snap, "currentSnapshot", None) if snap is not None else None
        power = str(o.get("runtime.powerState") or "poweredOff")
        concerns = []
        if not cbt:
            concerns.append(dict(CBT_CONCERN))
        if cur is not None:
            concerns.append(dict(SNAPSHOT_CONCERN))
        guest_id = o.get("config.guestId") or o.get("guest.guestId") or ""
        vm.update({
            "revisionValidated": 1, "isTemplate": False, "powerState": power,
            "host": moid(o.get("runtime.host")),
            "networks": [{"kind": "Network", "id": n} for n in dict.fromkeys(x["network"]["id"] for x in nics) if n],
            "disks": disks, "concerns": concerns, "policyVersion": 5,
            "uuid": o.get("config.uuid") or "", "instanceUuid": o.get("config.instanceUuid") or "",
            "firmware": o.get("config.firmware") or "bios",
            "connectionState": str(o.get("runtime.connectionState") or "connected"),
            "snapshot": {"kind": "VirtualMachineSnapshot", "id": cur._moId} if cur is not None else {"kind": "", "id": ""},
            "changeTrackingEnabled": cbt, "consolidationNeeded": False, "cpuAffinity": [],
            "cpuHotAddEnabled": False, "cpuHotRemoveEnabled": False, "memoryHotAddEnabled": False,
            "faultToleranceEnabled": False,
            "cpuCount": o.get("config.hardware.numCPU") or 1,
            "coresPerSocket": o.get("config.hardware.numCoresPerSocket") or 1,
            "memoryMB": o.get("config.hardware.memoryMB") or 0,
            "guestName": o.get("config.guestFullName") or "",
            "guestNameFromVmwareTools": o.get("guest.guestFullName") or "",
            "hostName": o.get("guest.hostName") or "", "guestId": guest_id, "balloonedMemory": 0,
            "ipAddress": o.get("guest.ipAddress") or "",
            "storageUsed": sum(d["capacity"] for d in disks), "tpmEnabled": False, "numaNodeAffinity": None,
            "devices": devs,
            "nics": [{k: v for k, v in n.items() if not k.startswith("_")} for n in nics],
            "guestNetworks": guest_nets, "guestDisks": [], "guestIpStacks": ip_stacks,
            "secureBoot": False, "toolsStatus": str(o.get("guest.toolsStatus") or "toolsNotInstalled"),
            "toolsRunningStatus": str(o.get("guest.toolsRunningStatus") or "guestToolsNotRunning"),
            "toolsVersionStatus2": "guestToolsCurrent" if str(o.get("guest.toolsStatus")) == "toolsOk" else "guestToolsNotInstalled",
            "diskEnableUuid": bool_of(extra.get("disk.enableuuid", "false")), "nestedHVEnabled": False,
            "customDef": [], "customValues": [], "tags": [],
        })
        vm["_nic_labels"] = [n["_label"] for n in nics]
        return vm

    # resolution of Refs (id wins, then name; names may be paths)
    def _resolve(self, items, ref):
        if ref.get("id"):
            hits = [x for x in items if x["id"] == ref["id"]]
        elif ref.get("name"):
            n = ref["name"]
            if "/" in n:
                hits = [x for x in items if x["path"].endswith(n if n.startswith("/") else "/" + n)]
            else:
                hits = [x for x in items if x["name"] == n]
        else:
            return None, "NotSet"
        if not hits:
            return None, "NotFound"
        if len(hits) > 1:
            return None, "Ambiguous"
        return hits[0], None

    def find_vm(self, ref):
        return self._resolve(self.vms, ref)

    def find_network(self, ref):
        return self._resolve(self.networks, ref)

    def find_datastore(self, ref):
        return self._resolve(self.datastores, ref)


def public(obj):
    """Drop the private keys (leading underscore) before serving."""
    if isinstance(obj, dict):
        return {k: public(v) for k, v in obj.items() if not k.startswith("_")}
    if isinstance(obj, list):
        return [public(v) for v in obj]
    return obj


class Collector:
    """Reads vcsim for one vsphere Provider every `interval` seconds with the Provider's credentials."""

    def __init__(self, uid, client, interval=1.0, on_change=None):
        self.uid, self.client, self.interval = uid, client, interval
        self.on_change = on_change
        self.model = None
        self.error = None
        self.loaded = threading.Event()
        self.stop_ev = threading.Event()
        self.digest = None
        self.revisions = {}
        self.wake = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="collector-%s" % uid[:8])
        self.thread.start()

    def refresh(self):
        """Ask for a read now (after the controller changed vcsim itself)."""
        self.wake.set()

    def _run(self):
        while not self.stop_ev.is_set():
            try:
                raw = self.client.read_inventory()
                m = Model(raw, self.uid)
                d = hashlib.sha1(json.dumps(public(m.vms), sort_keys=True, default=str).encode()).hexdigest()
                for v in m.vms:  # revisions that move when a VM changes
                    h = hashlib.sha1(json.dumps(public(v), sort_keys=True, default=str).encode()).hexdigest()
                    rev, old = self.revisions.get(v["id"], (0, None))
                    if old != h:
                        rev += 1
                    self.revisions[v["id"]] = (rev, h)
                    v["revision"] = v["revisionValidated"] = rev
                self.model = m
                self.error = None
                self.loaded.set()
                if d != self.digest:
                    self.digest = d
                    if self.on_change:
                        self.on_change(self.uid)
            except Exception as e:  # noqa: BLE001 - keep collecting; the Provider shows the error
                self.error = str(e)
                log.debug("collector %s: %s", self.uid, e)
            self.wake.wait(self.interval)
            self.wake.clear()
        self.client.close()

    def stop(self):
        self.stop_ev.set()
        self.wake.set()


class Inventory:
    """Owns the collectors and serves them over HTTPS."""

    def __init__(self, ctx, store_get_providers):
        self.ctx = ctx
        self.collectors = {}
        self.lock = threading.Lock()
        self.providers = store_get_providers  # () -> list of Provider CRs
        self.listeners = []
        self.server = None
        self.port = None

    # -- collectors ----------------------------------------------------------------------------------------
    def ensure(self, uid, client_factory, key=None):
        """The collector of a provider; a new one (new session) when `key` (the provider's generation and
        Secret version) changed since it was made."""
        old = None
        with self.lock:
            c = self.collectors.get(uid)
            if c is not None and key is not None and getattr(c, "key", key) != key:
                old, c = c, None
            if c is None:
                c = Collector(uid, client_factory(), interval=1.0, on_change=self._changed)
                c.key = key
                self.collectors[uid] = c
        if old is not None:
            old.stop()
        return c

    def drop(self, uid):
        with self.lock:
            c = self.collectors.pop(uid, None)
        if c:
            c.stop()

    def get(self, uid):
        with self.lock:
            return self.collectors.get(uid)

    def refresh_all(self):
        with self.lock:
            cs = list(self.collectors.values())
        for c in cs:
            c.refresh()

    def _changed(self, uid):
        for fn in list(self.listeners):
            try:
                fn(uid)
            except Exception:  # noqa: BLE001
                log.exception("inventory listener")

    def stop(self):
        with self.lock:
            cs = list(self.collectors.values())
            self.collectors.clear()
        for c in cs:
            c.stop()
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    # -- HTTPS ------------------------------------------------------------------------------------------------
    def serve(self, host="127.0.0.1", port=0):
        inv = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt, *args):
                log.debug("inventory: " + fmt, *args)

            def do_GET(self):  # noqa: N802
                try:
                    code, body, headers = inv.handle(self.path, self.headers.get("Authorization", ""))
                except Exception as e:  # noqa: BLE001
                    log.exception("inventory request")
                    code, body, headers = 500, {"error": str(e)}, {}
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True
            allow_reuse_address = True

        srv = Server((host, port), Handler)
        cert, key = self.ctx.ca.issue_cert(["127.0.0.1", "localhost", "forklift-inventory-openshift-mtv.apps.lab"])
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(cert, key)
        srv.socket = sctx.wrap_socket(srv.socket, server_side=True)
        self.server = srv
        self.port = srv.server_address[1]
        threading.Thread(target=srv.serve_forever, daemon=True, name="inventory-https").start()
        return self.port

    def _authorized(self, auth):
        if not auth.lower().startswith("bearer "):
            return False
        tok = auth[7:].strip()
        try:
            return bool(self.ctx.tokens.valid(tok))
        except Exception:  # noqa: BLE001
            return False

    def handle(self, raw_path, auth):
        if not self._authorized(auth):
            return 401, {"error": "Unauthorized"}, {}
        u = urllib.parse.urlparse(raw_path)
        q = {k: v[-1] for k, v in urllib.parse.parse_qs(u.query).items()}
        parts = [urllib.parse.unquote(p) for p in u.path.strip("/").split("/") if p]
        if "detail" in q and q["detail"] != "all" and not q["detail"].isdigit():
            return 400, {"error": "detail not valid"}, {}
        if not parts or parts[0] != "providers":
            return 404, {}, {}
        provs = self.providers()
        if len(parts) == 1:
            out = {}
            for p in provs:
                out.setdefault(p["spec"].get("type", ""), []).append(self._provider_json(p, q))
            return 200, out, {}
        ptype = parts[1]
        typed = [p for p in provs if p["spec"].get("type") == ptype]
        if len(parts) == 2:
            if q.get("namespace"):
                typed = [p for p in typed if p["metadata"].get("namespace") == q["namespace"]]
            return 200, [self._provider_json(p, q) for p in typed], {}
        uid = parts[2]
        prov = next((p for p in typed if p["metadata"]["uid"] == uid), None)
        if prov is None:
            return 404, {}, {"X-Reason": "ProviderNotFound"}
        if len(parts) == 3:
            return 200, self._provider_json(prov, q, detail=True), {}
        if ptype == "openshift":
            return self._openshift(prov, parts[3:], q)
        if ptype != "vsphere":
            return 404, {}, {}
        c = self.get(uid)
        if c is None or not c.loaded.wait(LOAD_WAIT):
            return 206, [], {}
        m = c.model
        kind = parts[3]
        one = parts[4] if len(parts) > 4 else None
        coll = {"vms": m.vms, "workloads": m.vms, "networks": m.networks, "datastores": m.datastores,
                "hosts": m.hosts, "clusters": m.clusters, "datacenters": m.datacenters,
                "folders": m.folders}.get(kind)
        if coll is None:
            if kind == "tree":
                return 200, {"kind": "", "object": None, "children": []}, {}
            return 404, {}, {}
        if one is not None:
            hit = next((x for x in coll if x["id"] == one), None)
            if hit is None:
                return 404, {}, {}
            out = public(hit)
            if kind == "workloads":
                host = dict(public(next((h for h in m.hosts if h["id"] == hit.get("host")), {"id": hit.get("host")})))
                cl = next((c for c in m.clusters if c["id"] == host.get("cluster")), None)
                if cl is not None:
                    cl = dict(public(cl))
                    cl["datacenter"] = public(m.datacenters[0]) if m.datacenters else None
                host["cluster"] = cl
                out["host"] = host
            if kind in ("networks", "datastores") and q.get("detail") == "0":
                out = {k: out[k] for k in ("id", "parent", "path", "revision", "name", "selfLink")}
            return 200, out, {}
        items = coll
        if q.get("name"):
            n = q["name"]
            if "/" in n:
                items = [x for x in items if x["path"].endswith(n if n.startswith("/") else "/" + n)]
            else:
                items = [x for x in items if x["name"] == n]
        detail = q.get("detail")
        if kind in ("networks", "datastores", "hosts", "clusters", "datacenters", "folders") and \
                (detail is None or detail == "0"):
            items = [{k: x[k] for k in ("id", "parent", "path", "revision", "name", "selfLink")} for x in items]
        off = int(q.get("offset", "0") or 0)
        lim = int(q.get("limit", "0") or 0)
        items = items[off:off + lim] if lim else items[off:]
        return 200, public(items), {}

    def _provider_json(self, p, q, detail=False):
        md = p["metadata"]
        out = {"uid": md["uid"], "version": md.get("resourceVersion", ""), "namespace": md.get("namespace", ""),
               "name": md["name"], "selfLink": "providers/%s/%s" % (p["spec"].get("type"), md["uid"]),
               "id": md["uid"], "type": p["spec"].get("type"), "object": p}
        if p["spec"].get("type") == "vsphere":
            c = self.get(md["uid"])
            m = c.model if c else None
            if m:
                out.update({"apiVersion": m.about.get("apiVersion", ""), "product": "VMware vCenter Server",
                            "instanceUuid": m.about.get("instanceUuid", ""), "datacenterCount": 1,
                            "clusterCount": 1, "hostCount": len(m.hosts), "vmCount": len(m.vms),
                            "networkCount": len(m.networks), "datastoreCount": len(m.datastores)})
        return out

    def _openshift(self, prov, parts, q):
        from .controllers.common import RES
        st = self.ctx.store
        kind = parts[0]
        if kind == "vms":
            vms = st.list(RES["vm"], q.get("namespace") or None)
            if q.get("name"):
                vms = [v for v in vms if v["metadata"]["name"] == q["name"]]
            return 200, [{"uid": v["metadata"]["uid"], "name": v["metadata"]["name"],
                          "namespace": v["metadata"]["namespace"], "id": v["metadata"]["uid"], "object": v}
                         for v in vms], {}
        if kind == "namespaces":
            return 200, [{"uid": n["metadata"]["uid"], "name": n["metadata"]["name"], "id": n["metadata"]["uid"],
                          "object": n} for n in st.list(RES["namespace"])], {}
        if kind == "storageclasses":
            return 200, [{"uid": n["metadata"]["uid"], "name": n["metadata"]["name"], "id": n["metadata"]["uid"],
                          "object": n} for n in st.list(RES["sc"])], {}
        if kind == "networkattachmentdefinitions":
            return 200, [{"uid": n["metadata"]["uid"], "name": n["metadata"]["name"],
                          "namespace": n["metadata"]["namespace"], "id": n["metadata"]["uid"], "object": n}
                         for n in st.list(RES["nad"])], {}
        return 200, [], {}
