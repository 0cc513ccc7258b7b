"""Copy-offload (vSphere XCOPY volume populator) pieces the runner observes: the `<plan>-…` Secret after
the Plan, and `populate-…` pods labelled migration=<uid> whose log ends with xcopyUsed=1."""
import threading

from .common import RES, b64e, secret_data, rfc3339, log


class CopyOffload:
    def __init__(self, mgr):
        self.mgr = mgr
        self.lock = threading.Lock()

    def ensure_plan_secret(self, plan, src, smap):
        st = self.mgr.store
        ns = plan["metadata"]["namespace"]
        uid = plan["metadata"]["uid"]
        with self.lock:
            if st.list(RES["secret"], ns, label_selector="plan=%s,resource=offload" % uid):
                return
            data = {}
            for e in (smap.get("spec") or {}).get("map") or []:
                ref = ((e.get("offloadPlugin") or {}).get("vsphereXcopyConfig") or {}).get("secretRef")
                if ref:
                    try:
                        data.update(secret_data(st.get(RES["secret"], ns, ref)))
                    except Exception:  # noqa: BLE001
                        pass
            if src is not None:
                try:
                    sref = src["spec"]["secret"]
                    sd = secret_data(st.get(RES["secret"], sref.get("namespace") or ns, sref["name"]))
                    data.update({"GOVMOMI_HOSTNAME": src["spec"].get("url", ""), "GOVMOMI_USERNAME": sd.get("user", ""),
                                 "GOVMOMI_PASSWORD": sd.get("password", "")})
                except Exception:  # noqa: BLE001
                    pass
            st.create(RES["secret"], {"apiVersion": "v1", "kind": "Secret",
                                      "metadata": {"generateName": "%s-" % plan["metadata"]["name"], "namespace": ns,
                                                   "labels": {"plan": uid, "resource": "offload"},
                                                   "ownerReferences": [{"apiVersion": "forklift.konveyor.io/v1beta1",
                                                                        "kind": "Plan", "name": plan["metadata"]["name"],
                                                                        "uid": uid}]},
                                      "type": "Opaque", "data": {k: b64e(v) for k, v in data.items()}}, ns=ns)

    def populate_pods(self, run, tns):
        st = self.mgr.store
        for pvc_name in run.dvs:
            try:
                pvc = st.get(RES["pvc"], tns, pvc_name)
            except Exception:  # noqa: BLE001
                continue
            name = "populate-%s" % pvc["metadata"]["uid"]
            labels = {"migration": run.ex.mig_uid, "plan": run.ex.plan_uid, "vmID": run.inv["id"],
                      "app": "vsphere-xcopy-volume-populator"}
            try:
                st.create(RES["pod"], {"apiVersion": "v1", "kind": "Pod",
                                       "metadata": {"name": name, "namespace": tns, "labels": labels},
                                       "spec": {"restartPolicy": "Never", "containers": [{
                                           "name": "populate", "image": "registry.redhat.io/mtv/mtv-vsphere-xcopy-volume-populator-rhel9"}]}},
                          ns=tns)
            except Exception:  # noqa: BLE001
                log.debug("populate pod", exc_info=True)
                continue
            disk = pvc["metadata"].get("annotations", {}).get("forklift.konveyor.io/disk-source", "")
            self.mgr.pod_logs[(tns, name)] = (
                "I1125 %s populator started for %s\n"
                "I1125 %s xcopy: cloning %s using the storage array (ontap)\n"
                "I1125 %s copy progress 100%%\n"
                "I1125 %s finished populating, xcopyUsed=1\n" % (rfc3339(), pvc_name, rfc3339(), disk, rfc3339(),
                                                                 rfc3339()))
            st.mutate(RES["pod"], tns, name, lambda o: o.__setitem__("status", {
                "phase": "Succeeded", "startTime": rfc3339(),
                "containerStatuses": [{"name": "populate", "ready": False, "restartCount": 0,
                                       "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                                "finishedAt": rfc3339()}}}]}),
                subresource="status")
