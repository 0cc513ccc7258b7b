"""Migration controller and the warm plan execution (the itinerary of forklift-warm-behaviour.md §3):
real snapshots on vcsim, DataVolumes/PVCs, ShutdownGuest at cutover, the KubeVirt VM."""
import hashlib
import threading
import time
import datetime

from . import gotmpl
from .. import defects as D
from .common import (RES, err_code, rfc3339, parse_time, now, set_cond, del_cond, has_cond, log, sanitize_name,
                     is_dns1123_label, secret_data, b64e, truthy)
from .plan import (is_warm, target_name, get_map, pvc_template_data, DEFAULT_PVC_TEMPLATE, offload_entries)

MB = 1024 * 1024
COPY_SECONDS = 0.4       # simulated duration of one precopy transfer
CONVERT_SECONDS = 0.4    # simulated virt-v2v conversion
INSPECT_SECONDS = 0.2    # preflight inspection


class Canceled(Exception):
    def __init__(self, reason="UserRequested"):
        super().__init__(reason)
        self.reason = reason


class VMFailed(Exception):
    def __init__(self, phase, reason):
        super().__init__(reason)
        self.phase, self.reason = phase, reason


class Stopped(Exception):
    pass


def quantity(nbytes):
    gi = 1024 ** 3
    if nbytes % gi == 0:
        return "%dGi" % (nbytes // gi)
    mi = 1024 ** 2
    return "%dMi" % ((nbytes + mi - 1) // mi)


def vmware_serial(uuid):
    h = uuid.replace("-", "").lower()
    if len(h) != 32:
        return uuid
    a = " ".join(h[i:i + 2] for i in range(0, 16, 2))
    b = " ".join(h[i:i + 2] for i in range(16, 32, 2))
    return "VMware-%s-%s" % (a, b)


def base_file(f):
    """'[ds] vm/vm-000001.vmdk' -> '[ds] vm/vm.vmdk'."""
    import re
    return re.sub(r"-\d{6}\.vmdk$", ".vmdk", f or "")


def change_id(disk, seq):
    h = hashlib.sha1(("%s/%s" % (disk.get("serial") or disk.get("key"), disk.get("file"))).encode()).hexdigest()
    a = " ".join(h[i:i + 2] for i in range(0, 16, 2))
    b = " ".join(h[i:i + 2] for i in range(16, 32, 2))
    return "52 %s-%s/%d" % (a[3:], b, seq)


class MigrationCtrl:
    def __init__(self, mgr):
        self.mgr = mgr
        self.execs = {}  # plan uid -> Execution
        self.lock = threading.Lock()

    def wake_all(self):
        with self.lock:
            ex = list(self.execs.values())
        for e in ex:
            e.wake()

    def deleted(self, mig):
        with self.lock:
            ex = [e for e in self.execs.values() if e.mig_uid == mig["metadata"]["uid"]]
        for e in ex:
            e.cancel_all("Deleted")

    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            mig = st.get(RES["migration"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return
            raise
        status = mig.get("status") or {}
        if status.get("completed"):
            return
        uid = mig["metadata"]["uid"]
        with self.lock:
            running = next((e for e in self.execs.values() if e.mig_uid == uid), None)
        if running is not None:
            running.wake()
            return
        if has_cond(status.get("conditions") or [], "Canceled"):
            return
        pref = (mig.get("spec") or {}).get("plan") or {}
        conds = list(status.get("conditions") or [])
        plan = None
        if not pref.get("name"):
            set_cond(conds, "PlanNotValid", "Critical", "The `plan` is not valid.", reason="NotSet")
        else:
            try:
                plan = st.get(RES["plan"], pref.get("namespace") or ns, pref["name"])
            except Exception as e:  # noqa: BLE001
                if err_code(e) != 404:
                    raise
                set_cond(conds, "PlanNotValid", "Critical", "The `plan` is not valid.", reason="NotFound")
        if plan is not None:
            del_cond(conds, "PlanNotValid")
            owners = mig["metadata"].get("ownerReferences") or []
            if not any(o.get("uid") == plan["metadata"]["uid"] for o in owners):
                def own(o):
                    o["metadata"].setdefault("ownerReferences", []).append({
                        "apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan",
                        "name": plan["metadata"]["name"], "uid": plan["metadata"]["uid"]})
                st.mutate(RES["migration"], ns, name, own)
            ready = has_cond(plan, "Ready")
            if ready:
                del_cond(conds, "PlanNotReady")
                set_cond(conds, "Ready", "Required", "The migration is ready.")
            else:
                del_cond(conds, "Ready")
                set_cond(conds, "PlanNotReady", "Critical", "The `plan` does not have Ready condition.",
                         reason="NotFound")
        gen = mig["metadata"].get("generation", 1)

        def fn(o):
            s = o.setdefault("status", {})
            s["conditions"] = conds
            s["observedGeneration"] = gen
        st.mutate(RES["migration"], ns, name, fn, subresource="status")
        if plan is None or not has_cond(plan, "Ready") or has_cond(plan, "Succeeded"):
            return
        history = ((plan.get("status") or {}).get("migration") or {}).get("history") or []
        if any((h.get("migration") or {}).get("uid") == uid for h in history):
            return
        with self.lock:
            if plan["metadata"]["uid"] in self.execs:
                return
            # oldest pending Migration first
            pend = []
            for m in st.list(RES["migration"], None):
                r = (m.get("spec") or {}).get("plan") or {}
                if r.get("name") == plan["metadata"]["name"] and \
                        (r.get("namespace") or m["metadata"]["namespace"]) == plan["metadata"]["namespace"] and \
                        not (m.get("status") or {}).get("completed") and \
                        not any((h.get("migration") or {}).get("uid") == m["metadata"]["uid"] for h in history) and \
                        not has_cond((m.get("status") or {}).get("conditions") or [], "Canceled"):
                    pend.append(m)
            pend.sort(key=lambda m: (m["metadata"].get("creationTimestamp", ""), m["metadata"]["name"]))
            if pend and pend[0]["metadata"]["uid"] != uid:
                self.mgr.queue.add(("migration", pend[0]["metadata"]["namespace"], pend[0]["metadata"]["name"]))
                return
            ex = Execution(self.mgr, plan, mig)
            self.execs[plan["metadata"]["uid"]] = ex
        ex.start()

    def finished(self, ex):
        with self.lock:
            if self.execs.get(ex.plan_uid) is ex:
                del self.execs[ex.plan_uid]
        self.mgr.queue.add(("plan", ex.plan_ns, ex.plan_name))

    def stop(self):
        with self.lock:
            ex = list(self.execs.values())
        for e in ex:
            e.stop()


class Execution:
    """One Migration of one Plan, run in threads (one per VM)."""

    def __init__(self, mgr, plan, mig):
        self.mgr = mgr
        self.st = mgr.store
        self.plan = plan
        self.mig = mig
        self.plan_ns, self.plan_name, self.plan_uid = (plan["metadata"]["namespace"], plan["metadata"]["name"],
                                                       plan["metadata"]["uid"])
        self.mig_ns, self.mig_name, self.mig_uid = (mig["metadata"]["namespace"], mig["metadata"]["name"],
                                                    mig["metadata"]["uid"])
        self.defects = set(mgr.defects())
        self.cv = threading.Condition()
        self.lock = threading.RLock()
        self.vms = []
        self.stopped = False
        self.deleted = False
        self.spec = plan.get("spec") or {}
        self.warm = is_warm(plan)

    # -- plumbing ---------------------------------------------------------------------------------------
    def start(self):
        threading.Thread(target=self._run, daemon=True, name="exec-%s" % self.plan_name).start()

    def wake(self):
        with self.cv:
            self.cv.notify_all()

    def stop(self):
        self.stopped = True
        self.wake()

    def cancel_all(self, reason):
        self.deleted = reason
        self.wake()

    def minute(self):
        return float(getattr(self.mgr.ctx, "minute", 60.0) or 60.0)

    def mig_spec(self):
        try:
            return self.st.get(RES["migration"], self.mig_ns, self.mig_name).get("spec") or {}
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                self.deleted = self.deleted or "Deleted"
                return {}
            raise

    def check(self, vm):
        if self.stopped:
            raise Stopped()
        if self.deleted:
            raise Canceled(self.deleted)
        for c in self.mig_spec().get("cancel") or []:
            if (c.get("id") and c["id"] == vm["id"]) or (c.get("name") and c["name"] == vm["name"]):
                raise Canceled("UserRequested")

    def pause(self, vm, seconds, until=None):
        """Wait `seconds` (or until the callable `until` says True), waking on store events; cancellable."""
        deadline = time.monotonic() + seconds
        while True:
            self.check(vm)
            if until is not None and until():
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            with self.cv:
                self.cv.wait(min(left, 1.0))

    def flush(self):
        import copy
        with self.lock:
            vms = copy.deepcopy(self.vms)

        def pfn(o):
            s = o.setdefault("status", {})
            m = s.setdefault("migration", {})
            m["vms"] = vms
        if self.st.mutate(RES["plan"], self.plan_ns, self.plan_name, pfn, subresource="status") is None:
            self.deleted = self.deleted or "Deleted"  # the Plan is gone: stop like a cancel

        def mfn(o):
            o.setdefault("status", {})["vms"] = vms
        self.st.mutate(RES["migration"], self.mig_ns, self.mig_name, mfn, subresource="status")

    # -- begin/end ----------------------------------------------------------------------------------------
    def _src_provider(self):
        ref = self.spec["provider"]["source"]
        return self.st.get(RES["provider"], ref.get("namespace") or self.plan_ns, ref["name"])

    def _begin(self):
        t = rfc3339()
        src = self._src_provider()
        dref = self.spec["provider"]["destination"]
        dst = self.st.get(RES["provider"], dref.get("namespace") or self.plan_ns, dref["name"])
        nmap, _ = get_map(self.mgr, self.plan, "network")
        smap, _ = get_map(self.mgr, self.plan, "storage")

        def sref(o):
            return {"namespace": o["metadata"]["namespace"], "name": o["metadata"]["name"],
                    "uid": o["metadata"]["uid"], "generation": o["metadata"].get("generation", 1)}
        snap = {"conditions": [{"type": "Executing", "status": "True", "category": "Advisory",
                                "message": "The plan is EXECUTING.", "durable": True, "lastTransitionTime": t}],
                "plan": sref(self.plan), "migration": sref(self.mig),
                "provider": {"source": sref(src), "destination": sref(dst)},
                "map": {"network": sref(nmap), "storage": sref(smap)}}
        self.nmap, self.smap, self.src = nmap, smap, src

        def pfn(o):
            s = o.setdefault("status", {})
            m = s.setdefault("migration", {})
            m["started"] = t
            m.pop("completed", None)
            m.setdefault("history", []).append(snap)
            conds = s.setdefault("conditions", [])
            for ct in ("Succeeded", "Failed", "Canceled"):
                del_cond(conds, ct)
            set_cond(conds, "Executing", "Advisory", "The plan is EXECUTING.", durable=True)
        self.st.mutate(RES["plan"], self.plan_ns, self.plan_name, pfn, subresource="status")

        def mfn(o):
            s = o.setdefault("status", {})
            s["started"] = t
            conds = s.setdefault("conditions", [])
            set_cond(conds, "Running", "Advisory", "The migration is RUNNING.")
        self.st.mutate(RES["migration"], self.mig_ns, self.mig_name, mfn, subresource="status")
        # target namespace
        tns = self.spec.get("targetNamespace")
        try:
            self.st.get(RES["namespace"], None, tns)
        except Exception as e:  # noqa: BLE001
            if err_code(e) != 404:
                raise
            try:
                self.st.create(RES["namespace"], {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": tns}})
            except Exception as e2:  # noqa: BLE001
                if err_code(e2) != 409:
                    raise

    def _finish(self):
        t = rfc3339()
        with self.lock:
            vms = list(self.vms)
        failed = any(has_cond(v.get("conditions") or [], "Failed") for v in vms)
        ok = any(has_cond(v.get("conditions") or [], "Succeeded") for v in vms)
        canceled = all(has_cond(v.get("conditions") or [], "Canceled") for v in vms) and vms
        if failed:
            kind, pmsg, mmsg = "Failed", "The plan execution has FAILED.", "The migration has FAILED."
        elif ok:
            kind, pmsg, mmsg = "Succeeded", "The plan execution has SUCCEEDED.", "The migration has SUCCEEDED."
        elif canceled:
            kind, pmsg, mmsg = "Canceled", "The plan execution has been CANCELED.", "The migration has been canceled."
        else:
            kind, pmsg, mmsg = "Canceled", "The plan execution has been CANCELED.", "The migration has been canceled."
        reason = None
        if kind == "Canceled":
            reason = self.deleted if isinstance(self.deleted, str) and self.deleted else "UserRequested"
        cond = {"type": kind, "status": "True", "category": "Advisory", "message": pmsg, "durable": True,
                "lastTransitionTime": t}
        if reason:
            cond["reason"] = reason

        def pfn(o):
            s = o.setdefault("status", {})
            m = s.setdefault("migration", {})
            m["completed"] = t
            if m.get("history"):
                m["history"][-1]["conditions"] = [dict(cond)]
            conds = s.setdefault("conditions", [])
            del_cond(conds, "Executing")
            for ct in ("Succeeded", "Failed", "Canceled"):
                del_cond(conds, ct)
            conds.append(dict(cond))
            if failed and any(v.get("disksCopied") for v in vms):
                set_cond(conds, "ConversionResumable", "Advisory",
                         "%d VM(s) have migrated disks available for conversion resume." %
                         sum(1 for v in vms if v.get("disksCopied") and has_cond(v.get("conditions") or [], "Failed")),
                         durable=True)
        self.st.mutate(RES["plan"], self.plan_ns, self.plan_name, pfn, subresource="status")

        def mfn(o):
            s = o.setdefault("status", {})
            conds = s.setdefault("conditions", [])
            del_cond(conds, "Running")
            c = dict(cond)
            c["message"] = mmsg
            conds.append(c)
            if kind != "Canceled":
                s["completed"] = t
        try:
            self.st.mutate(RES["migration"], self.mig_ns, self.mig_name, mfn, subresource="status")
        except Exception:  # noqa: BLE001 - the Migration may be gone (deleted = canceled)
            pass
        log.info("plan %s/%s: %s", self.plan_ns, self.plan_name, kind)

    def _run(self):
        try:
            self._begin()
            col = self.mgr.inv.get(self.src["metadata"]["uid"])
            if col is None or col.model is None:
                raise RuntimeError("the source provider's inventory is not loaded")
            model = col.model
            self.client = col.client
            self.collector = col
            runs = []
            for spec_vm in self.spec.get("vms") or []:
                inv_vm, _ = model.find_vm(spec_vm)
                if inv_vm is None:
                    continue
                run = VMRun(self, spec_vm, inv_vm, model)
                with self.lock:
                    self.vms.append(run.st)
                runs.append(run)
            self.flush()
            threads = [threading.Thread(target=r.run, daemon=True, name="vm-%s" % r.inv["id"]) for r in runs]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if not self.stopped:
                self.flush()
                self._finish()
        except Stopped:
            pass
        except Exception as e:  # noqa: BLE001 - fail the VMs rather than leave the plan Executing
            log.exception("execution of plan %s/%s crashed", self.plan_ns, self.plan_name)
            try:
                t = rfc3339()
                with self.lock:
                    if not self.vms:
                        for v in self.spec.get("vms") or []:
                            self.vms.append({"id": v.get("id", ""), "name": v.get("name", ""), "luks": {},
                                             "phase": "Completed", "started": t, "pipeline": []})
                    for v in self.vms:
                        if v.get("phase") != "Completed" or not v.get("conditions"):
                            v["phase"] = "Completed"
                            v["completed"] = t
                            v["error"] = {"phase": "Started", "reasons": [str(e) or type(e).__name__]}
                            set_cond(v.setdefault("conditions", []), "Failed", "Advisory",
                                     "The VM migration has FAILED.", durable=True)
                self.flush()
                self._finish()
            except Exception:  # noqa: BLE001
                log.exception("could not record the failure")
        finally:
            self.mgr.migrations.finished(self)


class VMRun:
    def __init__(self, ex, spec_vm, inv_vm, model):
        self.ex = ex
        self.mgr = ex.mgr
        self.spec_vm = spec_vm
        self.inv = inv_vm
        self.model = model
        self.moref = model.raw_vms[inv_vm["id"]]["_id"]
        self.defects = ex.defects
        self.tname = target_name(spec_vm, inv_vm)
        self.windows = "win" in (inv_vm.get("guestId") or "").lower()
        disks = list(inv_vm.get("disks") or [])
        if "missing-disk" in self.defects and disks:
            disks = disks[:-1]
        self.disks = disks
        self.dvs = []  # names, in disk order
        self.snap_seq = 0
        self.vm_labels = {"migration": ex.mig_uid, "plan": ex.plan_uid, "plan-name": ex.plan_name,
                          "plan-namespace": ex.plan_ns, "vmID": inv_vm["id"], "resource": "vm-config"}
        self.offload = bool(offload_entries(ex.smap))
        t = rfc3339()
        steps = [self._step("Initialize", "Initialize migration.", 1)]
        self.preflight = ex.spec.get("runPreflightInspection", True) and not ex.spec.get("skipGuestConversion") \
            and ex.warm
        if self.preflight:
            steps.append(self._step("PreflightInspection", "Inspect VM before migration.", 1))
        total = sum(max(1, d["capacity"] // MB) for d in disks)
        steps.append(self._step("DiskTransfer", "Transfer disks.", total, tasks=True))
        if ex.warm:
            cut = self._step("Cutover", "Finalize disk transfer.", total, tasks=True)
            cut.pop("phase", None)
            for tk in cut["tasks"]:
                tk.pop("phase", None)
            steps.append(cut)
        steps.append(self._step("ImageConversion", "Convert image to kubevirt.", 1))
        steps.append(self._step("VirtualMachineCreation", "Create VM.", 1))
        if self.windows and self._target_power() != "off":
            steps.append(self._step("WaitForGuestReboots", "Wait for guest reboots.", 1))
        steps.append(self._step("WaitForFinalSnapshotConsolidation",
                                "Waiting for final snapshot removal and consolidation", 1))
        self.st = {"id": inv_vm["id"], "name": inv_vm["name"], "luks": {}, "phase": "Started", "started": t,
                   "pipeline": steps, "warm": {"successes": 0, "failures": 0, "consecutiveFailures": 0,
                                               "precopies": []} if ex.warm else None}
        if self.st["warm"] is None:
            del self.st["warm"]
        for k in ("targetName", "targetPowerState", "hooks", "rootDisk", "instanceType"):
            if spec_vm.get(k):
                self.st[k] = spec_vm[k]
        if self.tname != inv_vm["name"]:
            self.st["newName"] = self.tname
        self.cur_step = None
        self.store = ex.st

    def _step(self, name, desc, total, tasks=False):
        s = {"name": name, "description": desc, "progress": {"completed": 0, "total": total}, "phase": "Pending"}
        if tasks:
            s["annotations"] = {"unit": "MB"}
            s["tasks"] = [{"name": base_file(d["file"]), "annotations": {"unit": "MB"},
                           "progress": {"completed": 0, "total": max(1, d["capacity"] // MB)}, "phase": "Pending"}
                          for d in self.disks]
        return s

    def step(self, name):
        return next((s for s in self.st["pipeline"] if s["name"] == name), None)

    def phase(self, phase, step=None, flush=True):
        self.ex.check(self.st)
        with self.ex.lock:
            self.st["phase"] = phase
            if step and step != self.cur_step:
                t = rfc3339()
                old = self.step(self.cur_step) if self.cur_step else None
                if old is not None:
                    old["phase"] = "Completed"
                    old["completed"] = t
                new = self.step(step)
                if new is not None:
                    if new.get("phase", "Pending") != "Completed" or step == "Initialize":
                        new["phase"] = "Running"
                        new["started"] = new.get("started") or t
                        new.pop("completed", None)
                self.cur_step = step
        if flush:
            self.ex.flush()

    def _target_power(self):
        return self.spec_vm.get("targetPowerState") or self.ex.spec.get("targetPowerState") or "auto"

    # -- vSphere helpers -------------------------------------------------------------------------------
    def wait_task(self, task_id, phase):
        def done():
            return False
        while True:
            self.ex.check(self.st)
            state, res, err = self.ex.client.wait_task(task_id, timeout=2)
            if state == "success":
                return res
            if state == "error":
                raise VMFailed(phase, "error cheking task status: %s" % err)

    def create_snapshot(self, final=False):
        with self.ex.lock:
            pre = {"start": rfc3339(), "snapshot": ""}
        task = self.ex.client.create_snapshot(self.moref, "forklift-migration-precopy",
                                              "Forklift Operator warm migration precopy", False, True)
        with self.ex.lock:
            pre["createTaskId"] = task
            self.st["warm"]["precopies"].append(pre)
        return pre, task

    def remove_last_snapshot(self):
        with self.ex.lock:
            pre = self.st["warm"]["precopies"][-1] if self.st.get("warm", {}).get("precopies") else None
        if not pre or not pre.get("snapshot"):
            return None
        task = self.ex.client.remove_snapshot(pre["snapshot"])
        with self.ex.lock:
            pre["removeTaskId"] = task
        return task

    def store_deltas(self, pre):
        self.snap_seq += 1
        deltas = []
        for d in self.disks:
            deltas.append({"disk": base_file(d["file"]), "deltaId": change_id(d, self.snap_seq * 3 + 1)})
        with self.ex.lock:
            pre["deltas"] = deltas

    # -- CDI ---------------------------------------------------------------------------------------------
    def pvc_names(self):
        spec = self.ex.spec
        tmpl = self.spec_vm.get("pvcNameTemplate") or spec.get("pvcNameTemplate") or \
            self.mgr.fc.global_setting("controller_pvc_name_template") or DEFAULT_PVC_TEMPLATE
        use_gen = spec.get("pvcNameTemplateUseGenerateName")
        use_gen = True if use_gen is None else bool(use_gen)
        out = []
        for i, d in enumerate(self.disks):
            fname = d["file"].split("]")[-1].strip().split("/")[-1]
            try:
                name = gotmpl.render(tmpl, pvc_template_data(self.ex.plan, self.spec_vm, self.inv, self.tname, i, d,
                                                             fname)).strip()
                if not is_dns1123_label(name.rstrip("-")):
                    raise gotmpl.TemplateError("bad name")
            except gotmpl.TemplateError:
                name, use_gen_i = "%s-%s-" % (self.ex.plan_name, self.inv["id"]), True
                out.append((name, use_gen_i))
                continue
            if "wrong-pvc-name" in self.defects:
                name = "x" + name
            out.append((name + "-" if use_gen else name.rstrip("-"), use_gen))
        return out

    def storage_for(self, disk):
        for e in ((self.ex.smap or {}).get("spec") or {}).get("map") or []:
            hit, _ = self.model.find_datastore(e.get("source") or {})
            if hit and hit["id"] == disk["datastore"]["id"]:
                return e.get("destination") or {}
        return {"storageClass": self.mgr.ctx.facts.get("storage_class", "")}

    def create_datavolumes(self, snapshot):
        tns = self.ex.spec["targetNamespace"]
        src = self.ex.src
        data = secret_data(self.st_get(RES["secret"], src["spec"]["secret"].get("namespace") or src["metadata"]["namespace"],
                                       src["spec"]["secret"]["name"]) or {})
        sec = self.store.create(RES["secret"], {
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"generateName": "%s-%s-" % (self.ex.plan_name, self.inv["id"]), "namespace": tns,
                         "labels": dict(self.vm_labels, isDV="true")},
            "type": "Opaque", "data": {"accessKeyId": b64e(data.get("user", "")),
                                       "secretKey": b64e(data.get("password", ""))}}, ns=tns)
        self.cdi_secret = sec["metadata"]["name"]
        cm = self.store.create(RES["configmap"], {
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"generateName": "%s-%s-" % (self.ex.plan_name, self.inv["id"]), "namespace": tns,
                         "labels": dict(self.vm_labels)}, "data": {}}, ns=tns)
        self.cdi_cm = cm["metadata"]["name"]
        image = ((src.get("spec") or {}).get("settings") or {}).get("vddkInitImage") or \
            self.mgr.fc.global_setting("vddk_image") or ""
        for i, (d, (pname, gen)) in enumerate(zip(self.disks, self.pvc_names())):
            dest = self.storage_for(d)
            sc = dest.get("storageClass") or self.mgr.ctx.facts.get("storage_class", "")
            if "wrong-storage-class" in self.defects:
                sc = "lab-wrong-storage-class"
            size = quantity(d["capacity"])
            ann = dict(self.vm_labels)
            ann.update({"cdi.kubevirt.io/storage.usePopulator": "false",
                        "cdi.kubevirt.io/storage.bind.immediate.requested": "true",
                        "cdi.kubevirt.io/storage.deleteAfterCompletion": "false",
                        "forklift.konveyor.io/disk-source": base_file(d["file"]),
                        "forklift.konveyor.io/disk-index": str(i)})
            labels = dict(self.vm_labels, vmUUID=self.inv.get("uuid", ""))
            md = {"namespace": tns, "labels": labels, "annotations": ann}
            md["generateName" if gen else "name"] = pname
            storage = {"resources": {"requests": {"storage": size}}, "storageClassName": sc}
            if dest.get("accessMode"):
                storage["accessModes"] = [dest["accessMode"]]
            if dest.get("volumeMode"):
                storage["volumeMode"] = dest["volumeMode"]
            dv = {"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume", "metadata": md,
                  "spec": {"source": {"vddk": {"backingFile": base_file(d["file"]), "uuid": self.inv.get("uuid", ""),
                                               "url": src["spec"].get("url", ""), "secretRef": self.cdi_secret,
                                               "thumbprint": (src.get("status") or {}).get("fingerprint", ""),
                                               "initImageURL": image}},
                           "storage": storage,
                           "checkpoints": [{"current": snapshot, "previous": ""}], "finalCheckpoint": False}}
            if self.offload:
                dv["metadata"]["annotations"]["cdi.kubevirt.io/storage.usePopulator"] = "true"
            dv = self.store.create(RES["dv"], dv, ns=tns)
            name = dv["metadata"]["name"]
            self._dv_status(name, "Pending", "N/A")
            pvc = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                   "metadata": {"name": name, "namespace": tns, "labels": dict(labels), "annotations": dict(ann),
                                "ownerReferences": [{"apiVersion": "cdi.kubevirt.io/v1beta1", "kind": "DataVolume",
                                                     "name": name, "uid": dv["metadata"]["uid"], "controller": True,
                                                     "blockOwnerDeletion": True}]},
                   "spec": {"accessModes": [dest.get("accessMode") or "ReadWriteOnce"],
                            "volumeMode": dest.get("volumeMode") or "Filesystem",
                            "resources": {"requests": {"storage": size}}, "storageClassName": sc}}
            pvc = self.store.create(RES["pvc"], pvc, ns=tns)
            pv_name = "pvc-%s" % pvc["metadata"]["uid"]
            try:
                self.store.create(RES["pv"], {"apiVersion": "v1", "kind": "PersistentVolume",
                                              "metadata": {"name": pv_name, "annotations": {
                                                  "pv.kubernetes.io/provisioned-by": "csi.lab.mtvtest.io"}},
                                              "spec": {"capacity": {"storage": size},
                                                       "accessModes": pvc["spec"]["accessModes"],
                                                       "persistentVolumeReclaimPolicy": "Delete",
                                                       "storageClassName": sc, "volumeMode": pvc["spec"]["volumeMode"],
                                                       "claimRef": {"kind": "PersistentVolumeClaim", "namespace": tns,
                                                                    "name": name, "uid": pvc["metadata"]["uid"]},
                                                       "csi": {"driver": "csi.lab.mtvtest.io", "volumeHandle": pv_name}}})
                self.mgr.store.mutate(RES["pv"], None, pv_name,
                                      lambda o: o.__setitem__("status", {"phase": "Bound"}), subresource="status")
            except Exception:  # noqa: BLE001
                log.debug("pv create failed", exc_info=True)

            def bind(o, pv_name=pv_name):
                o["spec"]["volumeName"] = pv_name
            self.store.mutate(RES["pvc"], tns, name, bind)
            self.store.mutate(RES["pvc"], tns, name, lambda o: o.__setitem__("status", {
                "phase": "Bound", "accessModes": pvc["spec"]["accessModes"], "capacity": {"storage": size}}),
                subresource="status")
            self.dvs.append(name)

    def st_get(self, res, ns, name):
        try:
            return self.store.get(res, ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return None
            raise

    def _dv_status(self, name, phase, progress):
        tns = self.ex.spec["targetNamespace"]

        def fn(o):
            s = o.setdefault("status", {})
            s["phase"] = phase
            s["progress"] = progress
            s["claimName"] = name
            s["conditions"] = [
                {"type": "Bound", "status": "True", "reason": "Bound", "message": "PVC %s Bound" % name,
                 "lastTransitionTime": rfc3339(), "lastHeartbeatTime": rfc3339()},
                {"type": "Ready", "status": "True" if phase in ("Succeeded", "Paused") else "False",
                 "reason": phase, "lastTransitionTime": rfc3339(), "lastHeartbeatTime": rfc3339()},
                {"type": "Running", "status": "True" if phase == "ImportInProgress" else "False",
                 "reason": "Pod is running" if phase == "ImportInProgress" else "", "lastTransitionTime": rfc3339(),
                 "lastHeartbeatTime": rfc3339()}]
        self.store.mutate(RES["dv"], tns, name, fn, subresource="status")

    def add_checkpoint(self, snapshot, previous, final=False):
        tns = self.ex.spec["targetNamespace"]
        for name in self.dvs:
            def fn(o):
                cps = o["spec"].setdefault("checkpoints", [])
                if not any(c.get("current") == snapshot for c in cps):
                    cps.append({"current": snapshot, "previous": previous})
                if final:
                    o["spec"]["finalCheckpoint"] = True
            self.store.mutate(RES["dv"], tns, name, fn)

    def copy(self, step_name, snapshot, final=False, first=False):
        """Simulate CDI transferring the checkpoint: DV ImportInProgress -> Paused (or Succeeded)."""
        tns = self.ex.spec["targetNamespace"]
        step = self.step(step_name)
        t = rfc3339()
        with self.ex.lock:
            for tk in step.get("tasks") or []:
                tk["phase"] = "Running"
                tk["reason"] = "Pod is running; "
                tk["started"] = t
                tk.pop("completed", None)
                tk["progress"]["completed"] = tk["progress"]["total"] // 2
            if not step.get("phase") or step["phase"] != "Running":
                step["phase"] = "Running"
                step.setdefault("started", t)
            step["progress"]["completed"] = sum(tk["progress"]["completed"] for tk in step.get("tasks") or [])
        for name in self.dvs:
            self._dv_status(name, "ImportInProgress", "50.00%")
        self.ex.flush()
        if self.offload and first:
            self.mgr.copyoffload.populate_pods(self, tns)
        if "migration-fails" in self.defects:
            self.ex.pause(self.st, COPY_SECONDS / 2)
            raise VMFailed(self.st["phase"], "Unable to process data: Unable to transfer source data to target file: "
                                             "VDDK: NBD_ERR_INSUFFICIENT_RESOURCES: Failed to open disk %s" %
                           (base_file(self.disks[0]["file"]) if self.disks else ""))
        self.ex.pause(self.st, COPY_SECONDS)
        t = rfc3339()
        for name in self.dvs:
            if final:
                self._dv_status(name, "Succeeded", "100.0%")
            else:
                self._dv_status(name, "Paused", "100.0%")

                def ann(o):
                    o["metadata"].setdefault("annotations", {})[
                        "cdi.kubevirt.io/storage.checkpoint.copied.%s" % snapshot] = snapshot
                self.store.mutate(RES["pvc"], tns, name, ann)
        with self.ex.lock:
            for tk in step.get("tasks") or []:
                tk["phase"] = "Completed"
                tk["reason"] = "Transfer completed."
                tk["completed"] = t
                tk["progress"]["completed"] = tk["progress"]["total"]
            step["progress"]["completed"] = step["progress"]["total"]

    # -- the itinerary ----------------------------------------------------------------------------------
    def cutover_due(self):
        spec = self.ex.mig_spec()
        cut = None
        for vc in spec.get("vmCutover") or []:
            if vc.get("id") == self.inv["id"]:
                cut = parse_time(vc.get("cutover"))
        if cut is None:
            cut = parse_time(spec.get("cutover"))
        return cut is not None and cut <= now()

    def run(self):
        try:
            self._itinerary()
            with self.ex.lock:
                self.st["phase"] = "Completed"
                self.st["completed"] = rfc3339()
                set_cond(self.st.setdefault("conditions", []), "Succeeded", "Advisory",
                         "The VM migration has SUCCEEDED.", durable=True)
            self.ex.flush()
        except Canceled as c:
            self._cleanup(canceled=True)
            with self.ex.lock:
                self.st["phase"] = "Completed"
                self.st["completed"] = rfc3339()
                set_cond(self.st.setdefault("conditions", []), "Canceled", "Advisory",
                         "The migration has been canceled.", reason=c.reason, durable=True)
            try:
                self.ex.flush()
            except Exception:  # noqa: BLE001
                pass
        except VMFailed as f:
            self._fail(f.phase, f.reason)
        except Stopped:
            return
        except Exception as e:  # noqa: BLE001
            log.exception("vm %s failed", self.inv["name"])
            self._fail(self.st.get("phase", ""), str(e))

    def _fail(self, phase, reason):
        with self.ex.lock:
            err = {"phase": phase, "reasons": [reason]}
            self.st["error"] = err
            step = self.step(self.cur_step) if self.cur_step else None
            if step is not None:
                step["error"] = err
                step["phase"] = "Completed"
                step["completed"] = rfc3339()
            self.st["phase"] = "Completed"
            self.st["completed"] = rfc3339()
            set_cond(self.st.setdefault("conditions", []), "Failed", "Advisory", "The VM migration has FAILED.",
                     durable=True)
        try:
            self._cleanup(canceled=False)
        except Exception:  # noqa: BLE001
            log.exception("cleanup after failure")
        self.ex.flush()

    def _cleanup(self, canceled):
        tns = self.ex.spec["targetNamespace"]
        try:
            t = self.remove_last_snapshot()
            if t:
                self.ex.client.wait_task(t, timeout=30)
        except Exception:  # noqa: BLE001
            log.debug("snapshot cleanup", exc_info=True)
        delete = canceled or self.spec_vm.get("deleteVmOnFailMigration",
                                              self.ex.spec.get("deleteVmOnFailMigration", True))
        if delete and not self.st.get("disksCopied"):
            for res in (RES["dv"], RES["pvc"]):
                for o in self.store.list(res, tns, label_selector="plan=%s,vmID=%s" % (self.ex.plan_uid, self.inv["id"])):
                    try:
                        self.store.delete(res, tns, o["metadata"]["name"])
                    except Exception:  # noqa: BLE001
                        pass
            for o in self.store.list(RES["vm"], tns, label_selector="plan=%s,vmID=%s" % (self.ex.plan_uid,
                                                                                          self.inv["id"])):
                try:
                    self.store.delete(RES["vm"], tns, o["metadata"]["name"])
                except Exception:  # noqa: BLE001
                    pass
        if canceled and self.st.get("restorePowerState") == "On":
            try:
                if self.ex.client.power_state(self.moref) != "poweredOn":
                    self.ex.client.power_on(self.moref)
            except Exception:  # noqa: BLE001
                log.debug("power on after cancel", exc_info=True)

    def _itinerary(self):
        ex = self.ex
        self.phase("Started", "Initialize")
        if not ex.warm:
            raise VMFailed("Started", "Only warm migrations are simulated by the lab.")
        if not self.inv.get("changeTrackingEnabled"):
            raise VMFailed("CreateDataVolumes", "Changed Block Tracking (CBT) is disabled for VM %s" % self.inv["id"])
        # initial snapshot
        self.phase("CreateInitialSnapshot", "Initialize")
        pre, task = self.create_snapshot()
        self.phase("WaitForInitialSnapshot", "Initialize")
        snap = self.wait_task(task, "WaitForInitialSnapshot")
        with ex.lock:
            pre["snapshot"] = snap._moId
        self.phase("StoreInitialSnapshotDeltas", "Initialize")
        self.store_deltas(pre)
        if self.preflight:
            self.phase("PreflightInspection", "PreflightInspection")
            ex.pause(self.st, INSPECT_SECONDS)
        self.phase("CreateDataVolumes", "DiskTransfer" if self.preflight else "Initialize")
        self.create_datavolumes(pre["snapshot"])
        first = True
        while True:
            self.phase("CopyDisks", "DiskTransfer")
            self.copy("DiskTransfer", pre["snapshot"], first=first)
            first = False
            interval = self.mgr.fc.precopy_interval()
            with ex.lock:
                pre["end"] = rfc3339()
                w = self.st["warm"]
                w["successes"] += 1
                nxt = now() + datetime.timedelta(seconds=interval * ex.minute())
                w["nextPrecopyAt"] = rfc3339(nxt)
            self.phase("CopyingPaused", "DiskTransfer")
            if "migration-cancels" in self.defects:
                self._self_cancel()

            def due():
                return self.cutover_due() or now() >= nxt
            while not due():
                left = (nxt - now()).total_seconds()
                ex.pause(self.st, max(0.05, min(left, 5.0)), until=due)
            if self.cutover_due():
                break
            self.phase("RemovePreviousSnapshot", "DiskTransfer")
            task = self.remove_last_snapshot()
            self.phase("WaitForPreviousSnapshotRemoval", "DiskTransfer")
            if task:
                self.wait_task(task, "WaitForPreviousSnapshotRemoval")
            prev = pre
            self.phase("CreateSnapshot", "DiskTransfer", flush=False)
            pre, task = self.create_snapshot()
            with ex.lock:
                n = len(self.st["warm"]["precopies"])
                step = self.step("DiskTransfer")
                for tk in step["tasks"]:
                    tk["annotations"]["Precopy"] = str(n)
                    tk["phase"] = "Pending"
                    tk.pop("completed", None)
                    tk["progress"]["completed"] = 0
                step.pop("completed", None)
            self.ex.flush()
            self.phase("WaitForSnapshot", "DiskTransfer")
            snap = self.wait_task(task, "WaitForSnapshot")
            with ex.lock:
                pre["snapshot"] = snap._moId
            self.phase("StoreSnapshotDeltas", "DiskTransfer")
            self.store_deltas(pre)
            self.phase("AddCheckpoint", "DiskTransfer")
            self.add_checkpoint(pre["snapshot"], (prev.get("deltas") or [{}])[0].get("deltaId", ""))
        # cutover
        self.phase("StorePowerState", "Cutover")
        try:
            ex.collector.refresh()
            m = ex.collector.model
            fresh = m.vm_by_id.get(self.inv["id"]) if m else None
            if fresh and fresh.get("guestNetworks"):
                self.inv = dict(self.inv, guestNetworks=fresh["guestNetworks"],
                                guestIpStacks=fresh.get("guestIpStacks") or [], hostName=fresh.get("hostName", ""))
        except Exception:  # noqa: BLE001
            pass
        ps = ex.client.power_state(self.moref)
        with ex.lock:
            self.st["restorePowerState"] = {"poweredOn": "On", "poweredOff": "Off"}.get(ps, "Unknown")
        self.phase("PowerOffSource", "Cutover")
        if ps != "poweredOff":
            try:
                ex.client.shutdown_guest(self.moref)
            except Exception as e:  # noqa: BLE001
                raise VMFailed("PowerOffSource", str(getattr(e, "msg", None) or e))
        self.phase("WaitForPowerOff", "Cutover")
        while ex.client.power_state(self.moref) != "poweredOff":
            ex.pause(self.st, 0.2)
        ex.collector.refresh()
        self.phase("RemovePenultimateSnapshot", "Cutover")
        task = self.remove_last_snapshot()
        self.phase("WaitForPenultimateSnapshotRemoval", "Cutover")
        if task:
            self.wait_task(task, "WaitForPenultimateSnapshotRemoval")
        prev = pre
        self.phase("CreateFinalSnapshot", "Cutover")
        pre, task = self.create_snapshot(final=True)
        self.phase("WaitForFinalSnapshot", "Cutover")
        snap = self.wait_task(task, "WaitForFinalSnapshot")
        with ex.lock:
            pre["snapshot"] = snap._moId
        self.phase("AddFinalCheckpoint", "Cutover")
        self.add_checkpoint(pre["snapshot"], (prev.get("deltas") or [{}])[0].get("deltaId", ""), final=True)
        self.phase("Finalize", "Cutover")
        self.copy("Cutover", pre["snapshot"], final=True)
        self.phase("RemoveFinalSnapshot", "Cutover")
        final_remove = self.remove_last_snapshot()
        with ex.lock:
            self.st["disksCopied"] = True
        self.phase("CreateGuestConversionPod", "ImageConversion")
        pod = self._conversion_pod()
        self.phase("ConvertGuest", "ImageConversion")
        ex.pause(self.st, CONVERT_SECONDS)
        self._pod_phase(pod, "Succeeded")
        with ex.lock:
            self.st["operatingSystem"] = self.inv.get("guestId") or "otherGuest"
            self.st["detectedBootDisk"] = 0
            self.st["firmware"] = self.inv.get("firmware", "bios")
            conv = self.step("ImageConversion")
            conv["progress"]["completed"] = 1
        self.phase("CreateVM", "VirtualMachineCreation")
        self._create_vm()
        if self.step("WaitForGuestReboots"):
            self.phase("WaitForGuestReboots", "WaitForGuestReboots")
            ex.pause(self.st, 0.2)
        self.phase("WaitForFinalSnapshotRemoval", "WaitForFinalSnapshotConsolidation")
        if final_remove:
            self.wait_task(final_remove, "WaitForFinalSnapshotRemoval")
        ex.collector.refresh()
        with ex.lock:
            last = self.step(self.cur_step)
            last["phase"] = "Completed"
            last["completed"] = rfc3339()
        if "insecure-mismatch" in self.defects:
            D.flip_insecure(self.mgr, ex.src)

    def _self_cancel(self):
        """migration-cancels defect: the Migration gets spec.cancel for every VM, as if a user asked."""
        ex = self.ex

        def fn(o):
            cancel = o["spec"].setdefault("cancel", [])
            for v in ex.spec.get("vms") or []:
                ref = {k: v[k] for k in ("id", "name") if v.get(k)}
                if ref not in cancel:
                    cancel.append(ref)
        self.store.mutate(RES["migration"], ex.mig_ns, ex.mig_name, fn)

    def _conversion_pod(self):
        tns = self.ex.spec["targetNamespace"]
        pod = self.store.create(RES["pod"], {
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"generateName": "%s-%s-" % (self.ex.plan_name, self.inv["id"]), "namespace": tns,
                         "labels": dict(self.vm_labels, **{"forklift.app": "virt-v2v"})},
            "spec": {"containers": [{"name": "virt-v2v", "image": "registry.redhat.io/mtv/mtv-virt-v2v-rhel9"}],
                     "restartPolicy": "Never",
                     "volumes": [{"name": "vol-%d" % i, "persistentVolumeClaim": {"claimName": n}}
                                 for i, n in enumerate(self.dvs)]}}, ns=tns)
        self._pod_phase(pod["metadata"]["name"], "Running")
        self.mgr.pod_logs[(tns, pod["metadata"]["name"])] = (
            "virt-v2v: Inspecting the source VM ...\nvirt-v2v: Converting %s to run on KVM\n"
            "virt-v2v: Finishing off\n" % (self.inv.get("guestName") or self.inv["name"]))
        return pod["metadata"]["name"]

    def _pod_phase(self, name, phase):
        tns = self.ex.spec["targetNamespace"]
        self.store.mutate(RES["pod"], tns, name, lambda o: o.__setitem__("status", {
            "phase": phase, "startTime": rfc3339(),
            "containerStatuses": [{"name": o["spec"]["containers"][0]["name"], "restartCount": 0,
                                   "ready": phase == "Running",
                                   "state": {"running": {"startedAt": rfc3339()}} if phase == "Running" else
                                   {"terminated": {"exitCode": 0, "reason": "Completed", "finishedAt": rfc3339()}}}]}),
            subresource="status")

    # -- the KubeVirt VM -------------------------------------------------------------------------------
    def _nic_plan(self):
        """[(inventory nic, destination dict)] for mapped, non-ignored NICs."""
        out = []
        entries = ((self.ex.nmap or {}).get("spec") or {}).get("map") or []
        for nic in self.inv.get("nics") or []:
            dest = None
            for e in entries:
                hit, _ = self.model.find_network(e.get("source") or {})
                if hit and hit["id"] == nic["network"]["id"]:
                    dest = e.get("destination") or {}
                    break
            if dest is None or dest.get("type") == "ignored":
                continue
            out.append((nic, dest))
        return out

    def _create_vm(self):
        ex = self.ex
        tns = ex.spec["targetNamespace"]
        inv = self.inv
        cpu = int(inv.get("cpuCount") or 1)
        cores = int(inv.get("coresPerSocket") or 1) or 1
        sockets = max(1, cpu // cores)
        if "wrong-cpu" in self.defects:
            cores += 1
        mem_mb = int(inv.get("memoryMB") or 0)
        if "wrong-memory" in self.defects:
            mem_mb += 512
        serial = vmware_serial(inv.get("uuid", "")) if D.cluster_minor_ge(self.mgr, 20) else inv.get("uuid", "")
        if "wrong-serial" in self.defects:
            serial = D.mangle_serial(serial)
        interfaces, networks, guest_nics = [], [], []
        for i, (nic, dest) in enumerate(self._nic_plan()):
            mac = nic["mac"]
            if "wrong-mac" in self.defects:
                mac = D.mangle_mac(mac)
            dtype = dest.get("type")
            if "wrong-network" in self.defects:
                dtype = "multus" if dtype == "pod" else "pod"
                dest = {"type": dtype, "namespace": "default", "name": "lab-wrong-network"}
            iface = {"name": "net-%d" % i, "macAddress": mac, "model": "virtio"}
            if dtype == "pod":
                iface["masquerade"] = {}
                networks.append({"name": "net-%d" % i, "pod": {}})
            else:
                iface["bridge"] = {}
                networks.append({"name": "net-%d" % i, "multus": {
                    "networkName": "%s/%s" % (dest.get("namespace") or tns, dest.get("name", ""))}})
            if not nic.get("startConnected", True):
                iface["state"] = "down"
            interfaces.append(iface)
            guest_nics.append({"mac": mac, "source_mac": nic["mac"], "pod": dtype == "pod", "index": i})
        disks, volumes = [], []
        for i, (d, pvc) in enumerate(zip(self.disks, self.dvs)):
            dd = {"name": "vol-%d" % i, "disk": {"bus": "virtio"}}
            ser = "".join(c for c in (d.get("serial") or "") if c.isalnum() or c == "-")[:20]
            if ser:
                dd["serial"] = ser
            if i == 0:
                dd["bootOrder"] = 1
            disks.append(dd)
            volumes.append({"name": "vol-%d" % i, "persistentVolumeClaim": {"claimName": pvc}})
        tpl_labels = dict(ex.spec.get("targetLabels") or {})
        if "drop-labels" in self.defects:
            tpl_labels = {}
        tpl_labels["app"] = self.tname
        power = self._target_power()
        if power == "on":
            run = "Always"
        elif power == "off":
            run = "Halted"
        else:
            run = "Always" if self.st.get("restorePowerState") == "On" else "Halted"
        if "wrong-power-state" in self.defects:
            run = "Halted" if run == "Always" else "Always"
        fw = {"serial": serial}
        if inv.get("firmware") == "efi":
            fw["bootloader"] = {"efi": {"secureBoot": bool(inv.get("secureBoot"))}}
        else:
            fw["bootloader"] = {"bios": {}}
        tspec = {"domain": {"cpu": {"sockets": sockets, "cores": cores, "threads": 1},
                            "memory": {"guest": quantity(mem_mb * MB)},
                            "resources": {"requests": {"memory": quantity(mem_mb * MB)}},
                            "firmware": fw, "machine": {"type": "q35"}, "features": {"acpi": {}},
                            "devices": {"disks": disks, "interfaces": interfaces,
                                        "inputs": [{"type": "tablet", "name": "tablet", "bus": "virtio"}],
                                        "tpm": {"enabled": False}},
                            "clock": {"timezone": "UTC", "timer": {}}},
                 "networks": networks, "volumes": volumes}
        if ex.spec.get("targetAffinity") and "drop-affinity" not in self.defects:
            tspec["affinity"] = ex.spec["targetAffinity"]
        if ex.spec.get("targetNodeSelector"):
            tspec["nodeSelector"] = ex.spec["targetNodeSelector"]
        labels = dict(self.vm_labels, guestConverted="true")
        ann = {}
        if self.tname != inv["name"]:
            ann = {"openshift.io/display-name": inv["name"], "original-ID": inv["id"]}
        vm = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
              "metadata": {"name": self.tname, "namespace": tns, "labels": labels, "annotations": ann,
                           "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"]},
              "spec": {"runStrategy": run,
                       "template": {"metadata": {"labels": tpl_labels, "annotations": {
                           "vm.kubevirt.io/flavor": "", "vm.kubevirt.io/os": "", "vm.kubevirt.io/workload": ""}},
                           "spec": tspec}}}
        self.mgr.kubevirt.register_guest(tns, self.tname, D.guest_profile(self, guest_nics))
        vm = self.store.create(RES["vm"], vm, ns=tns)
        for pvc in self.dvs:
            def own(o):
                o["metadata"]["ownerReferences"] = [{"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine",
                                                     "name": vm["metadata"]["name"], "uid": vm["metadata"]["uid"],
                                                     "controller": False, "blockOwnerDeletion": True}]
            self.store.mutate(RES["pvc"], tns, pvc, own)
        for pvc in self.dvs:
            try:
                self.store.delete(RES["dv"], tns, pvc)
            except Exception:  # noqa: BLE001
                pass
        for res, n in ((RES["secret"], getattr(self, "cdi_secret", None)), (RES["configmap"], getattr(self, "cdi_cm", None))):
            if n:
                try:
                    self.store.delete(res, tns, n)
                except Exception:  # noqa: BLE001
                    pass
        with self.ex.lock:
            self.step("VirtualMachineCreation")["progress"]["completed"] = 1
