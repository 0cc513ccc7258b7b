"""Plan validation (conditions, Ready) and the archive behaviour. Execution lives in migration.py."""
import time

from . import gotmpl
from .common import (RES, Conditions, err_code, ref_str, is_dns1123_label, is_dns1123_subdomain, sanitize_name,
                     truthy, has_cond, b64e, secret_data)
from .maps import provider_pair

EXEC_TYPES = ("Executing", "Succeeded", "Failed", "Canceled", "ConversionResumable")
VDDK_JOB_SECONDS = 0.3
DEFAULT_PVC_TEMPLATE = "{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{.DiskIndex}}"


def is_warm(plan):
    spec = plan.get("spec") or {}
    return bool(spec.get("warm")) or spec.get("type") == "warm"


def target_name(vm_spec, inv_vm):
    if vm_spec.get("targetName"):
        return vm_spec["targetName"]
    name = inv_vm["name"]
    return name if is_dns1123_label(name) else sanitize_name(name)


def get_map(mgr, plan, which):
    ref = ((plan.get("spec") or {}).get("map") or {}).get(which) or {}
    if not ref.get("name"):
        return None, "NotSet"
    try:
        return mgr.store.get(RES["networkmap" if which == "network" else "storagemap"],
                             ref.get("namespace") or plan["metadata"]["namespace"], ref["name"]), None
    except Exception as e:  # noqa: BLE001
        if err_code(e) == 404:
            return None, "NotFound"
        raise


def offload_entries(smap):
    return [e for e in ((smap or {}).get("spec") or {}).get("map") or [] if e.get("offloadPlugin")]


class PlanCtrl:
    def __init__(self, mgr):
        self.mgr = mgr
        self.vddk_jobs = {}  # (provider uid, image) -> when its validation job started

    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            plan = st.get(RES["plan"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return
            raise
        spec = plan.get("spec") or {}
        status = plan.get("status") or {}
        old = status.get("conditions") or []
        archived = truthy(spec.get("archived", False))
        if has_cond(old, "Succeeded") and not archived and has_cond(old, "Ready"):
            self._kick_migrations(plan)
            return  # a finished plan is not reconciled again
        conds = Conditions([c for c in old if c.get("type") not in EXEC_TYPES])
        executing = has_cond(old, "Executing")
        src, dst = provider_pair(self.mgr, plan, conds)
        model = None
        if src is not None:
            if src["spec"].get("type") == "vsphere":
                col = self.mgr.inv.get(src["metadata"]["uid"])
                model = col.model if col and col.loaded.is_set() else None
        nmap, nerr = get_map(self.mgr, plan, "network")
        smap, serr = get_map(self.mgr, plan, "storage")
        if nerr:
            conds.set("NetworkMapRefNotValid", "Critical", "Map.Network is not valid.", reason=nerr)
        elif not has_cond(nmap, "Ready"):
            conds.set("NetworkMapNotReady", "Critical", "Map.Network does not have Ready condition.")
        if serr:
            conds.set("StorageRefNotValid", "Critical", "Map.Storage is not valid.", reason=serr)
        elif not has_cond(smap, "Ready"):
            conds.set("StorageMapNotReady", "Critical", "Map.Storage does not have Ready condition.")
        tns = spec.get("targetNamespace") or ""
        if not tns:
            conds.set("NamespaceNotValid", "Critical", "Target namespace is not valid.", reason="NotSet")
        elif not is_dns1123_subdomain(tns):
            conds.set("NamespaceNotValid", "Critical", "Target namespace is not valid.", reason="NotValid")
        warm = is_warm(plan)
        if warm and src is not None and src["spec"].get("type") == "vsphere":
            image = ((src.get("spec") or {}).get("settings") or {}).get("vddkInitImage") or \
                self.mgr.fc.global_setting("vddk_image")
            smap_entries = ((smap or {}).get("spec") or {}).get("map") or []
            all_offload = bool(smap_entries) and len(offload_entries(smap)) == len(smap_entries)
            if not image and not all_offload:
                conds.set("VDDKInitImageUnavailable", "Critical", "VDDK image is required for warm migration. Set it "
                          "on the source provider or configure a global VDDK image.", reason="NotSet")
            elif image and not all_offload:
                # the VDDK validation job: ValidatingVDDK (a ReQ condition) holds Ready back while it runs
                key = (src["metadata"]["uid"], image)
                started = self.vddk_jobs.setdefault(key, time.monotonic())
                left = started + VDDK_JOB_SECONDS - time.monotonic()
                if left > 0:
                    conds.set("ValidatingVDDK", "Advisory", "Validating VDDK init image", reason="Started")
                    self.mgr.queue.add(("plan", ns, name), left)
        if src is not None and src["spec"].get("type") in ("openstack",) and warm:
            conds.set("WarmMigrationNotReady", "Critical", "Warm migration is not supported by the source provider.",
                      reason="NotSupported")
        if nmap and spec.get("preserveStaticIPs", True) and any(
                (e.get("destination") or {}).get("type") == "pod" for e in (nmap.get("spec") or {}).get("map") or []):
            conds.set("NetMapPreservingIPsOnPodNetwork", "Warn", "Your migration plan preserves the static IPs of VMs "
                      "and uses Pod Networking target network mapping. This combination isn't supported, because VM "
                      "IPs aren't preserved in Pod Networking migrations.")
        if not executing and model is not None:
            self._validate_vms(plan, model, nmap, smap, conds, warm, tns)
        elif executing:
            for c in old:  # VM validation is skipped while executing: keep what we had
                if c.get("type") not in EXEC_TYPES and not conds.has(c["type"]) and c.get("category") in ("Warn",):
                    pass
        if "plan-never-ready" in self.mgr.defects():
            items = []
            for v in spec.get("vms") or []:
                hit = model.find_vm(v)[0] if model is not None else None
                items.append(ref_str({"id": hit["id"], "name": hit["name"]} if hit else v))
            conds.set("VMCriticalConcerns", "Critical", "Critical concerns were detected on some VM.",
                      reason="NotValid", items=items or None)
        if archived:
            conds.set("Archived", "Advisory", "The migration plan has been archived.", reason="UserRequested")
        elif not conds.blockers() and not conds.has("ValidatingVDDK") and (model is not None or src is None or src["spec"].get("type") != "vsphere") \
                and src is not None and dst is not None:
            conds.set("Ready", "Required", "The migration plan is ready.")
        new_conds = conds.result(keep_durable=False)

        def fn(o):
            s = o.setdefault("status", {})
            cur = s.get("conditions") or []
            s["conditions"] = new_conds + [c for c in cur if c.get("type") in EXEC_TYPES]
            s["observedGeneration"] = o["metadata"].get("generation", 1)
            s.setdefault("migration", {})
        st.mutate(RES["plan"], ns, name, fn, subresource="status")
        if archived:
            self._archive_cleanup(plan)
        if smap is not None and offload_entries(smap):
            self.mgr.copyoffload.ensure_plan_secret(plan, src, smap)
        if not conds.blockers() and not archived:
            self._kick_migrations(plan)

    def _kick_migrations(self, plan):
        ns = plan["metadata"]["namespace"]
        for m in self.mgr.store.list(RES["migration"], None):
            ref = (m.get("spec") or {}).get("plan") or {}
            if ref.get("name") == plan["metadata"]["name"] and (ref.get("namespace") or m["metadata"]["namespace"]) == ns:
                self.mgr.queue.add(("migration", m["metadata"]["namespace"], m["metadata"]["name"]))

    def _archive_cleanup(self, plan):
        tns = (plan.get("spec") or {}).get("targetNamespace")
        if not tns:
            return
        for pod in self.mgr.store.list(RES["pod"], tns, label_selector="plan=%s" % plan["metadata"]["uid"]):
            try:
                self.mgr.store.delete(RES["pod"], tns, pod["metadata"]["name"])
            except Exception:  # noqa: BLE001
                pass

    def _validate_vms(self, plan, model, nmap, smap, conds, warm, tns):
        spec = plan.get("spec") or {}
        vms = spec.get("vms") or []
        missing_ref, not_found, dup, cbt, snaps, tools, netunmapped, dsunmapped, exists, badname, tmplbad = \
            [], [], [], [], [], [], [], [], [], [], []
        seen = {}
        net_ids = {r.get("id") for r in ((nmap or {}).get("status") or {}).get("references") or []}
        ds_ids = {r.get("id") for r in ((smap or {}).get("status") or {}).get("references") or []}
        names = {}
        for vm in vms:
            if not vm.get("id") and not vm.get("name"):
                missing_ref.append(ref_str(vm))
                continue
            hit, why = model.find_vm(vm)
            if hit is None:
                (dup if why == "Ambiguous" else not_found).append(ref_str(vm))
                continue
            r = ref_str({"id": hit["id"], "name": hit["name"]})
            if hit["id"] in seen:
                dup.append(r)
                continue
            seen[hit["id"]] = True
            if warm and not hit.get("changeTrackingEnabled"):
                cbt.append(r)
            if warm and (hit.get("snapshot") or {}).get("id"):
                snaps.append(r)
            if hit.get("powerState") == "poweredOn" and (hit.get("toolsStatus") not in ("toolsOk", "toolsOld") or
                                                         hit.get("toolsRunningStatus") != "guestToolsRunning"):
                tools.append(r)
            if nmap is not None and any(n["id"] not in net_ids for n in hit.get("networks") or []):
                netunmapped.append(r)
            if smap is not None and any(d["datastore"]["id"] not in ds_ids for d in hit.get("disks") or []):
                dsunmapped.append(r)
            tname = target_name(vm, hit)
            if vm.get("targetName") and not is_dns1123_subdomain(vm["targetName"]):
                tmplbad.append(r)
            if not vm.get("targetName") and not is_dns1123_label(hit["name"]):
                badname.append(r)
            if tname in names:
                dup.append(r)
            names[tname] = True
            if tns:
                try:
                    existing = self.mgr.store.get(RES["vm"], tns, tname)
                    if (existing["metadata"].get("labels") or {}).get("plan") != plan["metadata"]["uid"]:
                        exists.append(r)
                except Exception as e:  # noqa: BLE001
                    if err_code(e) != 404:
                        raise
            tmpl = vm.get("pvcNameTemplate") or spec.get("pvcNameTemplate")
            if tmpl:
                try:
                    for i, d in enumerate(hit.get("disks") or []):
                        fname = d["file"].split("]")[-1].strip().split("/")[-1]
                        out = gotmpl.render(tmpl, pvc_template_data(plan, vm, hit, tname, i, d, fname)).strip()
                        if not is_dns1123_label(out.rstrip("-")):
                            raise gotmpl.TemplateError("invalid name %r" % out)
                except gotmpl.TemplateError:
                    tmplbad.append(r)
        if missing_ref:
            conds.set("VMRefNotValid", "Critical", "VM reference is not valid.", reason="NotSet", items=missing_ref)
        if not_found:
            conds.set("VMNotFound", "Critical", "VM not found.", reason="NotFound", items=not_found)
        if dup:
            conds.set("DuplicateVM", "Critical", "Duplicate (source) VM.", reason="NotUnique", items=dup)
        if cbt:
            conds.set("VMMissingChangedBlockTracking", "Critical", "Changed Block Tracking (CBT) has not been enabled "
                      "on some VM. This feature is a prerequisite for VM warm migration.",
                      reason="MissingChangedBlockTracking", items=cbt)
        if snaps:
            conds.set("VMHasSnapshots", "Critical", "VM has pre-existing snapshots which are incompatible with warm "
                      "migration", reason="NotValid", items=snaps)
        if tools:
            conds.set("GuestToolsIssue", "Critical", "VMware Tools issues detected on some VM. Make sure VMware Tools "
                      "is installed and running.", reason="NotValid", items=tools)
        if netunmapped:
            conds.set("VMNetworksNotMapped", "Critical", "VM has unmapped networks.", reason="NotValid",
                      items=netunmapped)
        if dsunmapped:
            conds.set("VMStorageNotMapped", "Critical", "VM has unmapped storage.", reason="NotValid",
                      items=dsunmapped)
        if exists:
            conds.set("VMAlreadyExists", "Critical", "Target VM already exists.", reason="NotUnique", items=exists)
        if tmplbad:
            conds.set("NotValid", "Critical", "VM PVC name template is invalid.", reason="NotValid", items=tmplbad)
        if badname:
            conds.set("TargetNameNotValid", "Warn", "Target VM name does not comply with DNS1123 RFC, will be "
                      "automatically changed.", reason="NotValid", items=badname)


def pvc_template_data(plan, vm_spec, inv_vm, tname, index, disk, fname):
    root = vm_spec.get("rootDisk") or ""
    root_idx = 0
    if root.startswith("/dev/sd") and len(root) == 8:
        root_idx = ord(root[-1]) - ord("a")
    return {"VmName": inv_vm["name"], "TargetVmName": tname, "PlanName": plan["metadata"]["name"],
            "DiskIndex": index, "VmId": inv_vm["id"], "RootDiskIndex": root_idx, "Shared": bool(disk.get("shared")),
            "FileName": fname, "WinDriveLetter": disk.get("winDriveLetter", "")}


def ensure_secret_copy(store, ns, generate, labels, data):
    store.create(RES["secret"], {"apiVersion": "v1", "kind": "Secret",
                                 "metadata": {"generateName": generate, "namespace": ns, "labels": labels},
                                 "type": "Opaque", "data": {k: b64e(v) for k, v in data.items()}}, ns=ns)


__all__ = ["PlanCtrl", "is_warm", "target_name", "get_map", "pvc_template_data", "DEFAULT_PVC_TEMPLATE",
           "offload_entries", "EXEC_TYPES", "secret_data", "ensure_secret_copy"]
