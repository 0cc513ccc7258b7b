"""The Forklift controller simulation of the lab. `start(ctx)` seeds the cluster, starts the inventory
service, the guest SSH endpoints and the controllers, and returns when they run."""
import logging
import threading
import time

from .. import defects as defects_mod
from .. import guests as guests_mod
from .. import inventory as inventory_mod
from .. import seed as seed_mod
from .. import vsphere
from .common import RES, WorkQueue, MTV_NS
from .copyoffload import CopyOffload
from .forkliftcontroller import ForkliftControllerCtrl
from .kubevirt import KubeVirtCtrl
from .maps import MapCtrl
from .migration import MigrationCtrl
from .plan import PlanCtrl
from .provider import ProviderCtrl

log = logging.getLogger("labsim.controllers")

SESSION_LOSS_EVERY = 3.0  # seconds between vcsim session terminations under the fault
SOURCE_GUEST_POLL = 1.0
READY_NAME = "forklift-controllers"

BY_RES = {RES["provider"]: "provider", RES["networkmap"]: "networkmap", RES["storagemap"]: "storagemap",
          RES["plan"]: "plan", RES["migration"]: "migration", RES["fc"]: "fc", RES["vm"]: "vm"}


class Manager:
    def __init__(self, ctx):
        self.ctx = ctx
        self.store = ctx.store
        self.pod_logs = {}
        self.stopped = threading.Event()
        self.ready_pending = False
        self.guests = None
        self.inv = inventory_mod.Inventory(ctx, lambda: self.store.list(RES["provider"]))
        self.inv.listeners.append(self._inventory_changed)
        self.fc = ForkliftControllerCtrl(self)
        self.providers = ProviderCtrl(self)
        self.netmaps = MapCtrl(self, "networkmap")
        self.stmaps = MapCtrl(self, "storagemap")
        self.plans = PlanCtrl(self)
        self.migrations = MigrationCtrl(self)
        self.kubevirt = KubeVirtCtrl(self)
        self.copyoffload = CopyOffload(self)
        self.handlers = {"provider": self.providers.reconcile, "networkmap": self.netmaps.reconcile,
                         "storagemap": self.stmaps.reconcile, "plan": self.plans.reconcile,
                         "migration": self.migrations.reconcile, "fc": self.fc.reconcile,
                         "vm": self.kubevirt.reconcile}
        self.queue = WorkQueue(self._handle, workers=3, name="reconcile")

    def defects(self):
        return defects_mod.active(self.ctx)

    def wake_executions(self):
        self.migrations.wake_all()

    def _handle(self, key):
        kind, ns, name = key
        self.handlers[kind](ns, name)

    def _all(self, kind):
        for o in self.store.list(RES[kind]):
            self.queue.add((kind, o["metadata"].get("namespace"), o["metadata"]["name"]))

    def _inventory_changed(self, uid):
        self._all("networkmap")
        self._all("storagemap")
        self._all("plan")

    def on_event(self, etype, res, obj):
        try:
            md = obj.get("metadata") or {}
            ns, name = md.get("namespace"), md.get("name")
            kind = BY_RES.get(res)
            if kind:
                self.queue.add((kind, ns, name))
            if res == RES["provider"]:
                if self.ready_pending and ns == MTV_NS and name == "host" and \
                        (obj.get("status") or {}).get("phase") == "Ready":
                    self.ready_pending = False
                    self.ctx.set_ready(READY_NAME)
                if etype == "DELETED":
                    self.inv.drop(md.get("uid", ""))
                self._all("networkmap")
                self._all("storagemap")
                self._all("plan")
            elif res == RES["secret"]:
                self._all("provider")
            elif res in (RES["networkmap"], RES["storagemap"]):
                self._all("plan")
            elif res in (RES["nad"], RES["sc"]):
                self._all("networkmap")
                self._all("storagemap")
            elif res == RES["migration"]:
                ref = (obj.get("spec") or {}).get("plan") or {}
                if ref.get("name"):
                    self.queue.add(("plan", ref.get("namespace") or ns, ref["name"]))
                if etype == "DELETED":
                    self.migrations.deleted(obj)
                self.migrations.wake_all()
            elif res == RES["fc"]:
                self._all("plan")
            elif res == RES["vm"] and etype in ("ADDED", "DELETED"):
                self._all("plan")
            elif res == RES["vmi"]:
                self.kubevirt.vmi_event(etype, obj)
            elif res == RES["pvc"] and etype == "DELETED":
                self.kubevirt.pvc_deleted(obj)
            elif res == RES["namespace"] and etype == "DELETED":
                pass
        except Exception:  # noqa: BLE001
            log.exception("event handling")

    # -- background loops ---------------------------------------------------------------------------------
    def _admin_client(self):
        vc = self.ctx.vcenter
        return vsphere.Client(vc["url"], vc["user"], vc["password"], ca_pem=vc.get("ca_pem"),
                              insecure=not vc.get("ca_pem"))

    def _source_guests_loop(self):
        """One SSH listener per powered-on source VM at each of its vcsim guest IPs; the
        vcenter-session-loss fault terminates other vcsim sessions every few seconds."""
        client = None
        last_kill = 0.0
        profiles = {}
        while not self.stopped.is_set():
            try:
                if client is None:
                    client = self._admin_client().connect()
                raw = client.read_inventory()
                model = inventory_mod.Model(raw, "lab")
                want = {}
                migrated_ips = set()
                for vm in model.vms:
                    if vm.get("powerState") != "poweredOn" or vm.get("toolsStatus") not in ("toolsOk", "toolsOld"):
                        continue
                    prof = guests_mod.source_profile(vm)
                    for g in vm.get("guestNetworks") or []:
                        ip = g.get("ip", "")
                        if ip.startswith("127.") and not ip.startswith("127.43."):
                            want[ip] = prof
                for ip, prof in want.items():
                    profiles[ip] = prof
                    self.guests.serve(ip, lambda ip=ip: profiles.get(ip) or {"nics": []})
                for ip in self.guests.ips():
                    if not ip.startswith("127.43.") and ip not in want:
                        self.guests.stop(ip)
                        profiles.pop(ip, None)
                try:
                    fault = self.ctx.state.fault_active("vcenter-session-loss")
                except Exception:  # noqa: BLE001
                    fault = False
                if fault and time.monotonic() - last_kill >= SESSION_LOSS_EVERY:
                    last_kill = time.monotonic()
                    n = client.terminate_other_sessions()
                    if n:
                        try:
                            self.ctx.state.fault_fired("vcenter-session-loss")
                        except Exception:  # noqa: BLE001
                            pass
                        log.info("vcenter-session-loss: terminated %d session(s)", n)
            except Exception as e:  # noqa: BLE001
                log.debug("source guest watcher: %s", e)
                client = None
            self.stopped.wait(SOURCE_GUEST_POLL)

    def stop(self):
        self.stopped.set()
        self.queue.stop()
        self.migrations.stop()
        self.inv.stop()
        if self.guests:
            self.guests.stop_all()


def _register(ctx, resource, sub, handler):
    reg = getattr(ctx, "register_subresource", None)
    if reg is None:
        return
    try:
        reg(resource, sub, handler)
    except Exception as e:  # noqa: BLE001
        log.debug("register_subresource %s/%s: %s", resource, sub, e)


def start(ctx):
    """Seed the cluster and start every controller; returns the Manager (its .stop() ends everything)."""
    mgr = Manager(ctx)
    # the lab is ready once the host Provider is Ready (the controllers run): see Manager.on_event
    if getattr(ctx, "register_ready", None) is not None:
        ctx.register_ready(READY_NAME)
        mgr.ready_pending = True
    mgr.guests = guests_mod.GuestManager(ctx)
    port = mgr.inv.serve()
    ctx.facts["inventory_port"] = port
    seed_mod.seed(ctx, port)
    ctx.store.subscribe(mgr.on_event)
    on_change = getattr(getattr(ctx, "state", None), "on_change", None)
    if on_change is not None:
        # a defect set or cleared re-validates the Plans (plan-never-ready)
        on_change(lambda what, name: mgr._all("plan") if what == "defect" or what == "defects" else None)
    kv = mgr.kubevirt
    for res in ("virtualmachines.subresources.kubevirt.io", "virtualmachines.kubevirt.io"):
        _register(ctx, res, "start", kv.start_handler)
        _register(ctx, res, "stop", kv.stop_handler)
        _register(ctx, res, "portforward", kv.portforward_vm_handler)
    for res in ("virtualmachineinstances.subresources.kubevirt.io", "virtualmachineinstances.kubevirt.io"):
        _register(ctx, res, "portforward", kv.portforward_handler)
    _register(ctx, "pods", "log", kv.pod_log_handler)
    # reconcile what exists (seeded objects, a restarted daemon)
    for kind in ("fc", "provider", "networkmap", "storagemap", "plan", "migration", "vm"):
        mgr._all(kind)
    threading.Thread(target=mgr._source_guests_loop, daemon=True, name="source-guests").start()
    if mgr.ready_pending:  # the host Provider may have become Ready before we subscribed
        try:
            if (ctx.store.get(RES["provider"], MTV_NS, "host").get("status") or {}).get("phase") == "Ready":
                mgr.ready_pending = False
                ctx.set_ready(READY_NAME)
        except Exception:  # noqa: BLE001
            pass
    ctx.controllers = mgr
    return mgr


def stop(ctx):
    mgr = getattr(ctx, "controllers", None)
    if mgr is not None:
        mgr.stop()
