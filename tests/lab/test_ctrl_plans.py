"""Plan validation as in reality, copy-offload, a Windows guest, cancel and archive — against a real lab
(`mtvlab up --minute 1`)."""
import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctrl_support as cs  # noqa: E402
from ctrl_support import FORKLIFT  # noqa: E402

RHEL8 = "mtv-tests-rhel8"


def conds(obj):
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


class Plans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cs.Lab(minute=1.0)
        cls.addClassCleanup(lab.down)
        cls.ns = ns = cs.unique("plans")
        lab.namespace(ns)
        lab.source_provider(ns)
        lab.wait_provider(ns, "vcenter")
        lab.clone(RHEL8, ns + "-base", power_on=False)
        cls.base = lab.inventory_vm("vcenter", ns, ns + "-base")
        lab.maps(ns, cls.base)

    def plan_cond(self, name, ctype):
        return conds(self.lab.wait_plan_cond(self.ns, name, ctype))[ctype]

    def test_vm_not_found(self):
        self.lab.plan(self.ns, "notfound", ["vm-999999"])
        c = self.plan_cond("notfound", "VMNotFound")
        self.assertEqual((c["category"], c["message"]), ("Critical", "VM not found."))
        self.assertEqual(c["items"], [" id:vm-999999 name:'' "])

    def test_duplicate_vm_bad_template_bad_namespace(self):
        lab, ns = self.lab, self.ns
        lab.plan(ns, "dup", [self.base["id"], self.base["id"]])
        self.assertEqual(self.plan_cond("dup", "DuplicateVM")["category"], "Critical")
        lab.plan(ns, "badtmpl", [self.base["id"]], pvcNameTemplate="{{ .NoSuchField }}")
        self.assertEqual(self.plan_cond("badtmpl", "NotValid")["message"], "VM PVC name template is invalid.")
        lab.create("%s/namespaces/%s/plans" % (FORKLIFT, ns), {"metadata": {"name": "badns"}, "spec": {
            "warm": True, "targetNamespace": "Not_A_Namespace",
            "provider": {"source": {"name": "vcenter", "namespace": ns},
                         "destination": {"name": "host", "namespace": "openshift-mtv"}},
            "map": {"network": {"name": "nmap", "namespace": ns}, "storage": {"name": "smap", "namespace": ns}},
            "vms": [{"id": self.base["id"]}]}})
        self.assertEqual(self.plan_cond("badns", "NamespaceNotValid")["reason"], "NotValid")

    def test_vm_has_snapshots(self):
        lab, ns = self.lab, self.ns
        vm = lab.clone(RHEL8, ns + "-snap", power_on=False)
        lab.wait_task(vm.CreateSnapshot_Task("before", "user snapshot", False, False))
        inv = lab.inventory_vm("vcenter", ns, ns + "-snap")
        lab.plan(ns, "snap", [inv["id"]])
        c = self.plan_cond("snap", "VMHasSnapshots")
        self.assertEqual(c["category"], "Critical")
        self.assertIn("pre-existing snapshots", c["message"])

    def test_vm_already_exists(self):
        lab, ns = self.lab, self.ns
        lab.create("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines" % ns, {
            "metadata": {"name": self.base["name"]},
            "spec": {"runStrategy": "Halted", "template": {"spec": {"domain": {"devices": {}}}}}})
        lab.plan(ns, "exists", [self.base["id"]])
        c = self.plan_cond("exists", "VMAlreadyExists")
        self.assertEqual(c["category"], "Critical")
        self.assertEqual(c["items"], [" id:%s name:'%s' " % (self.base["id"], self.base["name"])])

    def test_vddk_image_unavailable(self):
        lab, ns = self.lab, self.ns
        lab.source_provider(ns, name="novddk", vddk=False)
        lab.wait_provider(ns, "novddk")
        lab.create("%s/namespaces/%s/plans" % (FORKLIFT, ns), {"metadata": {"name": "novddk"}, "spec": {
            "warm": True, "targetNamespace": ns,
            "provider": {"source": {"name": "novddk", "namespace": ns},
                         "destination": {"name": "host", "namespace": "openshift-mtv"}},
            "map": {"network": {"name": "nmap", "namespace": ns}, "storage": {"name": "smap", "namespace": ns}},
            "vms": [{"name": self.base["name"]}]}})
        c = self.plan_cond("novddk", "VDDKInitImageUnavailable")
        self.assertEqual(c["category"], "Critical")

    def test_unmapped_network_and_invalid_storage_class(self):
        lab, ns = self.lab, self.ns
        prov = {"source": {"name": "vcenter", "namespace": ns},
                "destination": {"name": "host", "namespace": "openshift-mtv"}}
        lab.create("%s/namespaces/%s/networkmaps" % (FORKLIFT, ns), {"metadata": {"name": "nmapx"}, "spec": {
            "provider": prov, "map": [{"source": {"name": "DC0_DVPG0"}, "destination": {"type": "pod"}}]}})
        lab.create("%s/namespaces/%s/storagemaps" % (FORKLIFT, ns), {"metadata": {"name": "smapx"}, "spec": {
            "provider": prov, "map": [{"source": {"name": "LocalDS_0"}, "destination": {"storageClass": "nope"}}]}})
        sm = lab.wait("%s/namespaces/%s/storagemaps/smapx" % (FORKLIFT, ns),
                      lambda o: "DestinationStorageNotValid" in conds(o), 20, "DestinationStorageNotValid")
        self.assertNotIn("Ready", conds(sm))
        lab.plan(ns, "unmapped", [self.base["id"]], maps="x")
        c = self.plan_cond("unmapped", "VMNetworksNotMapped")
        self.assertEqual(c["category"], "Critical")
        self.assertIn("StorageMapNotReady", conds(lab.get("%s/namespaces/%s/plans/unmapped" % (FORKLIFT, ns))))

    def test_inventory_paths(self):
        lab, ns = self.lab, self.ns
        uid = lab.provider_uid(ns, "vcenter")
        vm = lab.inventory("/providers/vsphere/%s/vms/%s" % (uid, self.base["id"])).json()
        for k in ("id", "name", "path", "revision", "selfLink", "uuid", "firmware", "powerState", "disks", "nics",
                  "networks", "concerns", "cpuCount", "coresPerSocket", "memoryMB", "guestId", "snapshot"):
            self.assertIn(k, vm)
        self.assertTrue(vm["selfLink"].startswith("providers/vsphere/%s/vms/" % uid))
        self.assertEqual(vm["disks"][0]["datastore"]["kind"], "Datastore")
        by_name = lab.inventory("/providers/vsphere/%s/vms?name=%s" % (uid, self.base["name"])).json()
        self.assertEqual([v["id"] for v in by_name], [self.base["id"]])
        nets = lab.inventory("/providers/vsphere/%s/networks" % uid).json()
        self.assertIn("VM Network", [n["name"] for n in nets])
        self.assertEqual(lab.inventory("/providers/vsphere/%s/vms/vm-0" % uid).status, 404)
        r = lab.inventory("/providers/vsphere/00000000-0000-0000-0000-000000000000/vms")
        self.assertEqual((r.status, r.headers.get("X-Reason")), (404, "ProviderNotFound"))
        self.assertEqual(lab.inventory("/providers/vsphere/%s/vms?detail=bogus" % uid).status, 400)
        host = lab.inventory("/providers").json()
        self.assertIn("openshift", host)
        self.assertRegex(vm["path"], r"^/[^/]+/vm/%s$" % self.base["name"])
        by_path = lab.inventory("/providers/vsphere/%s/vms?name=%s" % (uid, vm["path"].split("/", 2)[2])).json()
        self.assertEqual([v["id"] for v in by_path], [self.base["id"]])
        wl = lab.inventory("/providers/vsphere/%s/workloads/%s" % (uid, self.base["id"])).json()
        self.assertEqual(wl["host"]["id"], vm["host"])
        self.assertTrue(wl["host"]["cluster"]["datacenter"]["name"])
        self.assertTrue(lab.inventory("/providers/vsphere/%s/clusters" % uid).json())
        self.assertTrue(lab.inventory("/providers/vsphere/%s/datacenters" % uid).json())

    def test_copy_offload(self):
        lab, ns = self.lab, self.ns
        co = lab.vs["copyoffload"]
        name = ns + "-xcopy"
        lab.clone(co["default_vm_name"], name)
        lab.create("/api/v1/namespaces/%s/secrets" % ns, {"metadata": {"name": "storage"}, "stringData": {
            "STORAGE_HOSTNAME": co["storage_hostname"], "STORAGE_USERNAME": co["storage_username"],
            "STORAGE_PASSWORD": co["storage_password"], "ONTAP_SVM": co["ontap_svm"]}})
        data = {"user": lab.vs["username"], "password": lab.vs["password"], "url": lab.vs["api_url"],
                "insecureSkipVerify": "false", "cacert": lab.vs["cacert"]}
        lab.create("/api/v1/namespaces/%s/secrets" % ns, {"metadata": {"name": "xcopy-src"}, "stringData": data})
        lab.create("%s/namespaces/%s/providers" % (FORKLIFT, ns), {
            "metadata": {"name": "xcopy", "annotations": {"forklift.konveyor.io/empty-vddk-init-image": "yes"}},
            "spec": {"type": "vsphere", "url": lab.vs["api_url"], "secret": {"name": "xcopy-src", "namespace": ns},
                     "settings": {}}})
        lab.wait_provider(ns, "xcopy")
        inv = lab.inventory_vm("xcopy", ns, name, guest=True)
        prov = {"source": {"name": "xcopy", "namespace": ns},
                "destination": {"name": "host", "namespace": "openshift-mtv"}}
        lab.create("%s/namespaces/%s/storagemaps" % (FORKLIFT, ns), {"metadata": {"name": "smapxc"}, "spec": {
            "provider": prov, "map": [{"source": {"id": co["datastore_id"]},
                                       "destination": {"storageClass": lab.storage_class(),
                                                       "accessMode": "ReadWriteOnce", "volumeMode": "Block"},
                                       "offloadPlugin": {"vsphereXcopyConfig": {
                                           "secretRef": "storage", "storageVendorProduct": "ontap"}}}]}})
        lab.create("%s/namespaces/%s/networkmaps" % (FORKLIFT, ns), {"metadata": {"name": "nmapxc"}, "spec": {
            "provider": prov, "map": [{"source": {"name": "VM Network"}, "destination": {"type": "pod"}}]}})
        lab.wait("%s/namespaces/%s/storagemaps/smapxc" % (FORKLIFT, ns), lambda o: "Ready" in conds(o), 20, "Ready")
        lab.create("%s/namespaces/%s/plans" % (FORKLIFT, ns), {"metadata": {"name": "xcopy-warm"}, "spec": {
            "warm": True, "targetNamespace": ns, "provider": prov, "pvcNameTemplate": "pvc",
            "map": {"network": {"name": "nmapxc", "namespace": ns}, "storage": {"name": "smapxc", "namespace": ns}},
            "vms": [{"id": inv["id"]}]}})
        plan = lab.wait_plan_cond(ns, "xcopy-warm", "Ready")
        secrets = lab.get("/api/v1/namespaces/%s/secrets" % ns)["items"]
        self.assertTrue(any(s["metadata"]["name"].startswith("xcopy-warm-") for s in secrets))
        lab.migrate(ns, "xcopy-warm")
        plan = lab.wait_plan_done(ns, "xcopy-warm")
        self.assertIn("Succeeded", conds(plan))
        muid = plan["status"]["migration"]["history"][0]["migration"]["uid"]
        pods = lab.get("/api/v1/namespaces/%s/pods?labelSelector=migration%%3D%s" % (ns, muid))["items"]
        pops = [p for p in pods if p["metadata"]["name"].startswith("populate-")]
        self.assertTrue(pops)
        for p in pops:
            r = lab.api.get("/api/v1/namespaces/%s/pods/%s/log" % (ns, p["metadata"]["name"]))
            self.assertEqual(r.status, 200)
            self.assertTrue(r.body.decode().rstrip().endswith("xcopyUsed=1"))
        _, _, pvcs = lab.migrated(ns, name)
        self.assertTrue(all(p["metadata"]["name"].startswith("pvc-") for p in pvcs))
        self.assertEqual(pvcs[0]["spec"]["accessModes"], ["ReadWriteOnce"])

    def test_windows_guest(self):
        lab, ns = self.lab, self.ns
        name = ns + "-win"
        lab.clone("mtv-win2022-ip-3disks", name)
        inv = lab.inventory_vm("vcenter", ns, name, guest=True)
        static = [g for g in inv["guestNetworks"] if g["origin"] == "manual"]
        self.assertTrue(static)
        tmpl = '{{ .FileName | trimSuffix ".vmdk" | replace "_" "-" }}-{{.DiskIndex}}'
        lab.plan(ns, "win", [inv["id"]], preserveStaticIPs=True, targetPowerState="on", pvcNameTemplate=tmpl,
                 pvcNameTemplateUseGenerateName=True)
        lab.wait_plan_cond(ns, "win", "Ready")
        lab.migrate(ns, "win")
        plan = lab.wait_plan_done(ns, "win")
        self.assertIn("Succeeded", conds(plan), json.dumps(plan["status"])[-1500:])
        steps = [s["name"] for s in plan["status"]["migration"]["vms"][0]["pipeline"]]
        self.assertIn("WaitForGuestReboots", steps)
        vm, vmi, pvcs = lab.migrated(ns, name)
        self.assertEqual(len(pvcs), len(inv["disks"]))
        for i, (p, d) in enumerate(zip(pvcs, inv["disks"])):
            fname = d["file"].split("/")[-1][:-5].replace("_", "-")
            self.assertTrue(p["metadata"]["name"].startswith("%s-%d-" % (fname, i)), p["metadata"]["name"])
        lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (ns, name),
                 lambda o: "AgentConnected" in conds(o), 20, "AgentConnected")
        pf = cs.PortForward(lab, ns, name, 22)
        try:
            rc, out, _ = cs.ssh_exec(pf.sock, lab.vs["guest_vm_win_user"], lab.vs["guest_vm_win_password"],
                                     "ipconfig /all")
        finally:
            pf.close()
        self.assertEqual(rc, 0)
        self.assertIn("Windows IP Configuration", out)
        for g in static:
            self.assertIn("%s(Preferred)" % g["ip"], out)
            self.assertIn(g["mac"].upper().replace(":", "-"), out)
        pf = cs.PortForward(lab, ns, name, 22)
        try:
            with self.assertRaises(Exception):
                cs.ssh_exec(pf.sock, lab.vs["guest_vm_linux_user"], lab.vs["guest_vm_linux_password"], "hostname")
        finally:
            pf.close()

    def test_source_guest_ssh(self):
        lab, ns = self.lab, self.ns
        name = ns + "-src"
        lab.clone(RHEL8, name)
        inv = lab.inventory_vm("vcenter", ns, name, guest=True)
        ip = inv["guestNetworks"][0]["ip"]
        self.assertTrue(ip.startswith("127.42."))
        # the source guest's listener appears within the lab's 1 s guest poll: retry the connect briefly
        import time
        deadline = time.monotonic() + 10
        while True:
            try:
                rc, out, _ = cs.ssh_exec((ip, lab.vs["guest_ssh_port"]), lab.vs["guest_vm_linux_user"],
                                         lab.vs["guest_vm_linux_password"], "ls /cloud-init.finish")
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        self.assertEqual((rc, out.strip()), (0, "/cloud-init.finish"))

    def test_cutover_patched_later_and_power_off(self):
        lab, ns = self.lab, self.ns
        r = cs.run_migration(lab, ns, "later", RHEL8, (), cutover_in=3600, wait=False, targetPowerState="off")
        lab.wait("%s/namespaces/%s/plans/later" % (FORKLIFT, ns),
                 lambda o: any(v.get("phase") == "CopyingPaused"
                               for v in ((o.get("status") or {}).get("migration") or {}).get("vms") or []), 30,
                 "CopyingPaused")
        import time
        lab.patch("%s/namespaces/%s/migrations/later-mig" % (FORKLIFT, ns),
                  {"spec": {"cutover": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}})
        plan = lab.wait_plan_done(ns, "later")
        self.assertIn("Succeeded", conds(plan))
        vm, vmi, _ = lab.migrated(ns, r["name"])
        self.assertEqual(vm["spec"]["runStrategy"], "Halted")
        self.assertIsNone(vmi)
        self.assertEqual(plan["status"]["migration"]["vms"][0]["restorePowerState"], "On")

    def test_user_cancel_and_archive(self):
        lab, ns = self.lab, self.ns
        r = cs.run_migration(lab, ns, "cancelme", RHEL8, (), cutover_in=3600, wait=False)
        lab.wait("%s/namespaces/%s/plans/cancelme" % (FORKLIFT, ns),
                 lambda o: any(v.get("phase") == "CopyingPaused"
                               for v in ((o.get("status") or {}).get("migration") or {}).get("vms") or []), 30,
                 "CopyingPaused")
        lab.patch("%s/namespaces/%s/migrations/cancelme-mig" % (FORKLIFT, ns),
                  {"spec": {"cancel": [{"id": r["inv"]["id"]}]}})
        plan = lab.wait_plan_done(ns, "cancelme")
        self.assertIn("Canceled", conds(plan))
        vm = plan["status"]["migration"]["vms"][0]
        self.assertEqual(conds({"status": vm})["Canceled"]["reason"], "UserRequested")
        lab.wait("%s/namespaces/%s/migrations/cancelme-mig" % (FORKLIFT, ns),
                 lambda o: "Canceled" in conds(o), 20, "Canceled")
        self.assertEqual(str(r["src"].runtime.powerState), "poweredOn")
        self.assertIsNone(r["src"].snapshot)
        lab.patch("%s/namespaces/%s/plans/cancelme" % (FORKLIFT, ns), {"spec": {"archived": True}})
        c = self.plan_cond("cancelme", "Archived")
        self.assertEqual(c["reason"], "UserRequested")
        self.assertNotIn("Ready", conds(lab.get("%s/namespaces/%s/plans/cancelme" % (FORKLIFT, ns))))


if __name__ == "__main__":
    unittest.main()
