"""The Forklift controller simulation against a real lab (`mtvlab up --minute 1`): a hand-written
warm Plan against a CBT-enabled clone goes Ready -> Executing -> Succeeded with precopies spaced by the
interval, real snapshots on vcsim, the source shut down at cutover, and a KubeVirt VM matching the source;
CBT off gives VMMissingChangedBlockTracking; port-forward carries SSH; Provider TLS/credential checks."""
import datetime
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctrl_support as cs  # noqa: E402
from ctrl_support import FORKLIFT  # noqa: E402

MINUTE = 1.0  # one controller minute lasts 1 s
INTERVAL = 3  # controller_precopy_interval (minutes) used by the warm test


def conds(obj):
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ")


class WarmMigration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = cs.Lab(minute=MINUTE)
        cls.addClassCleanup(cls.lab.down)
        cls.ns = cs.unique("warm")
        cls.lab.namespace(cls.ns)
        cls.lab.source_provider(cls.ns)
        cls.provider = cls.lab.wait_provider(cls.ns, "vcenter")

    def test_01_provider_ready_with_real_conditions(self):
        c = conds(self.provider)
        for ctype, cat in (("ConnectionTestSucceeded", "Required"), ("InventoryCreated", "Required"),
                           ("Validated", "Advisory"), ("Ready", "Required")):
            self.assertIn(ctype, c)
            self.assertEqual(c[ctype]["category"], cat)
            self.assertEqual(c[ctype]["status"], "True")
            self.assertTrue(c[ctype]["lastTransitionTime"].endswith("Z"))
        self.assertRegex(self.provider["status"]["fingerprint"], r"^([0-9A-F]{2}:){19}[0-9A-F]{2}$")
        # the inventory lists the provider under its CR uid
        r = self.lab.inventory("/providers/vsphere")
        self.assertEqual(r.status, 200)
        ids = {p["name"]: p["id"] for p in r.json()}
        self.assertEqual(ids["vcenter"], self.provider["metadata"]["uid"])
        self.assertEqual(self.lab.inventory("/providers/vsphere").status, 200)
        self.assertEqual(self.lab.api.get("/").status in (200, 404), True)

    def test_02_inventory_requires_a_token(self):
        c = cs.Client(self.lab.api_url, self.lab.ca_file, "not-a-token")
        route = self.lab.get("/apis/route.openshift.io/v1/namespaces/openshift-mtv/routes/forklift-inventory")
        host = route["spec"]["host"]
        r = cs.Client("https://" + host, self.lab.ca_file, "not-a-token").get("/providers/vsphere")
        self.assertEqual(r.status, 401)
        _ = c

    def test_03_warm_migration_succeeds(self):
        lab, ns = self.lab, self.ns
        name = ns + "-rhel8"
        src = lab.clone("mtv-tests-rhel8", name, cbt=True)
        inv = lab.inventory_vm("vcenter", ns, name, guest=True)
        self.assertTrue(inv["changeTrackingEnabled"])
        self.assertEqual(inv["powerState"], "poweredOn")
        self.assertTrue(all(d["file"].startswith("[") and d["datastore"]["id"] for d in inv["disks"]))
        self.assertEqual(inv["snapshot"], {"kind": "", "id": ""})
        lab.maps(ns, inv)
        for m in ("storagemaps/smap", "networkmaps/nmap"):
            lab.wait("%s/namespaces/%s/%s" % (FORKLIFT, ns, m), lambda o: "Ready" in conds(o), 20, "map Ready")
        labels = {"mtv-comprehensive-test": ns, "static-label": "static-value"}
        affinity = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "comprehensive-test"}},
                                 "topologyKey": "kubernetes.io/hostname"}, "weight": 75}]}}
        lab.plan(ns, "warm-plan", [inv["id"]], preserveStaticIPs=True, targetLabels=labels, targetAffinity=affinity,
                 targetPowerState="on")
        plan = lab.wait_plan_cond(ns, "warm-plan", "Ready")
        self.assertEqual(conds(plan)["Ready"]["message"], "The migration plan is ready.")
        lab.set_interval(INTERVAL)  # 3 minutes = 3 s in this lab
        mig = lab.migrate(ns, "warm-plan", cutover_in=12)
        executing = lab.wait_plan_cond(ns, "warm-plan", "Executing")
        self.assertEqual(conds(executing)["Executing"]["category"], "Advisory")
        # a real precopy snapshot appears on the source VM in vcsim
        lab.wait_vm_prop(src, "snapshot", lambda v: v is not None and v.rootSnapshotList and
                         v.rootSnapshotList[0].name == "forklift-migration-precopy", timeout=20)
        plan = lab.wait_plan_done(ns, "warm-plan", timeout=90)
        c = conds(plan)
        self.assertIn("Succeeded", c, json.dumps(plan["status"], indent=1)[-3000:])
        self.assertNotIn("Executing", c)
        self.assertTrue(c["Succeeded"]["durable"])
        vm = plan["status"]["migration"]["vms"][0]
        self.assertEqual(vm["phase"], "Completed")
        self.assertEqual([p["name"] for p in vm["pipeline"]],
                         ["Initialize", "PreflightInspection", "DiskTransfer", "Cutover", "ImageConversion",
                          "VirtualMachineCreation", "WaitForFinalSnapshotConsolidation"])
        self.assertTrue(all(p["phase"] == "Completed" for p in vm["pipeline"]))
        warm = vm["warm"]
        self.assertGreaterEqual(warm["successes"], 2)
        pre = warm["precopies"]
        done = [p for p in pre if p.get("end")]
        self.assertEqual(len(done), warm["successes"])
        self.assertNotIn("end", pre[-1])  # the cutover snapshot never gets end/deltas
        for a, b in zip(done, done[1:]):
            gap = (t(b["start"]) - t(a["end"])).total_seconds()
            self.assertGreaterEqual(gap, INTERVAL * MINUTE - 1, "precopies %s / %s" % (a, b))
        for p in pre:
            self.assertRegex(p["snapshot"], r"^snapshot-\d+$")
            self.assertRegex(p["createTaskId"], r"^task-\d+$")
            self.assertRegex(p.get("removeTaskId", ""), r"^task-\d+$")
        self.assertTrue(all(d["disk"] == inv["disks"][i]["file"] for i, d in enumerate(done[0]["deltas"])))
        self.assertEqual(vm["restorePowerState"], "On")
        # Migration mirrors the plan
        m = lab.get("%s/namespaces/%s/migrations/%s" % (FORKLIFT, ns, mig["metadata"]["name"]))
        self.assertIn("Succeeded", conds(m))
        self.assertTrue(m["status"]["completed"])
        self.assertEqual(m["metadata"]["ownerReferences"][0]["kind"], "Plan")
        # vcsim: the source was shut down and has no snapshot left
        self.assertEqual(str(src.runtime.powerState), "poweredOff")
        self.assertIsNone(src.snapshot)
        # the KubeVirt VM matches the source
        kvm, vmi, pvcs = lab.migrated(ns, name)
        tpl = kvm["spec"]["template"]["spec"]
        hw = src.config.hardware
        self.assertEqual(tpl["domain"]["cpu"]["cores"], hw.numCoresPerSocket)
        self.assertEqual(tpl["domain"]["cpu"]["sockets"], hw.numCPU // hw.numCoresPerSocket)
        guest = tpl["domain"]["memory"]["guest"]
        mib = int(guest[:-2]) * (1024 if guest.endswith("Gi") else 1)
        self.assertEqual(mib, hw.memoryMB)
        macs = [d.macAddress for d in hw.device if hasattr(d, "macAddress") and d.macAddress]
        self.assertEqual([i["macAddress"] for i in tpl["domain"]["devices"]["interfaces"]], macs)
        ndisks = sum(1 for d in hw.device if d.__class__.__name__.endswith("VirtualDisk"))
        self.assertEqual(len(tpl["volumes"]), ndisks)
        self.assertEqual(len(pvcs), ndisks)
        self.assertTrue(all(p and p["spec"]["storageClassName"] == lab.storage_class() for p in pvcs))
        self.assertTrue(all(p["metadata"]["name"].startswith("warm-plan-%s-disk-%d-" % (name[:15], i))
                            for i, p in enumerate(pvcs)))
        u = src.config.uuid.replace("-", "")
        self.assertEqual(tpl["domain"]["firmware"]["serial"].lower(),
                         "vmware-%s-%s" % (" ".join(u[i:i + 2] for i in range(0, 16, 2)),
                                           " ".join(u[i:i + 2] for i in range(16, 32, 2))))
        self.assertEqual(kvm["spec"]["runStrategy"], "Always")
        for k, v in labels.items():
            self.assertEqual(kvm["spec"]["template"]["metadata"]["labels"][k], v)
        self.assertEqual(tpl["affinity"], affinity)
        self.assertEqual(kvm["metadata"]["labels"]["plan"], plan["metadata"]["uid"])
        # the VMI runs, with the guest agent and the MACs
        vmi = lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (ns, name),
                       lambda o: "AgentConnected" in conds(o), 20, "AgentConnected")
        self.assertEqual(vmi["status"]["phase"], "Running")
        self.assertEqual([i["mac"] for i in vmi["status"]["interfaces"]], macs)
        self.assertRegex(vmi["status"]["interfaces"][0]["ipAddress"], r"^127\.43\.")
        # the DataVolumes are gone, the PVCs belong to the VM
        self.assertEqual(lab.get("/apis/cdi.kubevirt.io/v1beta1/namespaces/%s/datavolumes" % ns)["items"], [])
        self.assertTrue(all(p["metadata"]["ownerReferences"][0]["kind"] == "VirtualMachine" for p in pvcs))
        type(self).migrated_name = name

    def test_04_portforward_carries_ssh(self):
        name = getattr(type(self), "migrated_name", None)
        self.assertIsNotNone(name, "needs test_03")
        lab = self.lab
        pf = cs.PortForward(lab, self.ns, name, 22)
        self.assertEqual(pf.status, 101)
        self.assertEqual(pf.headers.get("sec-websocket-protocol"), "plain.kubevirt.io")
        try:
            self.assertTrue(pf.ping_ev.wait(5), "no ping from the port-forward")
            self.assertEqual(pf.ping_payload, b"keep alive")
            rc, out, _ = cs.ssh_exec(pf.sock, lab.vs["guest_vm_linux_user"], lab.vs["guest_vm_linux_password"],
                                     "hostname")
            self.assertEqual(rc, 0)
            self.assertTrue(out.strip())
        finally:
            pf.close()
        pf = cs.PortForward(lab, self.ns, name, 22)
        try:
            rc, out, _ = cs.ssh_exec(pf.sock, lab.vs["guest_vm_linux_user"], lab.vs["guest_vm_linux_password"],
                                     "nmcli device show")
            self.assertEqual(rc, 0)
            self.assertIn("GENERAL.HWADDR:", out)
        finally:
            pf.close()
        # the guest side closes (sshd drops a client that sends garbage): plain EOF, no close frame
        pf = cs.PortForward(lab, self.ns, name, 22)
        try:
            banner = pf.sock.recv(64)
            self.assertTrue(banner.startswith(b"SSH-2.0-"), banner)
            pf.sock.sendall(b"this is not ssh\r\n" * 120)
            self.assertTrue(pf.done.wait(15), "the tunnel did not end")
            self.assertTrue(pf.eof)
            self.assertIsNone(pf.close_frame)
        finally:
            pf.close()
        # --ssh-direct: the VMI IP on guest_ssh_port
        vmi = lab.get("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (self.ns, name))
        ip = vmi["status"]["interfaces"][0]["ipAddress"]
        rc, out, _ = cs.ssh_exec((ip, lab.vs["guest_ssh_port"]), lab.vs["guest_vm_linux_user"],
                                 lab.vs["guest_vm_linux_password"], "echo test")
        self.assertEqual((rc, out), (0, "test\n"))
        refused = cs.PortForward(lab, self.ns, name, 2222)
        self.assertEqual(refused.status, 500)
        self.assertIn("connection refused", json.loads(refused.body)["message"])
        refused.close()
        missing = cs.PortForward(lab, self.ns, "no-such-vmi", 22)
        self.assertEqual(missing.status, 404)
        missing.close()

    def test_05_without_cbt_plan_is_blocked(self):
        lab, ns = self.lab, self.ns
        name = ns + "-nocbt"
        lab.clone("mtv-tests-rhel8", name, cbt=False)
        inv = lab.inventory_vm("vcenter", ns, name)
        self.assertFalse(inv["changeTrackingEnabled"])
        self.assertIn("vmware.changed_block_tracking.disabled", [c["id"] for c in inv["concerns"]])
        lab.plan(ns, "nocbt-plan", [inv["id"]], preserveStaticIPs=False)
        plan = lab.wait_plan_cond(ns, "nocbt-plan", "VMMissingChangedBlockTracking")
        c = conds(plan)["VMMissingChangedBlockTracking"]
        self.assertEqual(c["category"], "Critical")
        self.assertEqual(c["reason"], "MissingChangedBlockTracking")
        self.assertEqual(c["items"], [" id:%s name:'%s' " % (inv["id"], name)])
        self.assertNotIn("Ready", conds(plan))

    def test_06_provider_wrong_ca_and_password(self):
        lab, ns = self.lab, self.ns
        other_ca = lab.ca_pem.replace("MII", "MII", 1)
        # a CA that did not sign vcsim's certificate: a fresh self-signed one
        import subprocess
        import tempfile
        d = tempfile.mkdtemp()
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout",
                        d + "/k", "-out", d + "/c", "-subj", "/CN=other"], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        with open(d + "/c") as f:
            other_ca = f.read()
        lab.source_provider(ns, name="wrongca", cacert=other_ca)
        p = lab.wait_provider(ns, "wrongca", "ConnectionFailed")
        self.assertEqual(conds(p)["ConnectionTestFailed"]["category"], "Critical")
        lab.source_provider(ns, name="insecure", insecure=True, cacert=False)
        p = lab.wait_provider(ns, "insecure", "Ready")
        self.assertEqual(conds(p)["ConnectionInsecure"]["category"], "Warn")
        lab.source_provider(ns, name="badpw", password="not-the-password-123")
        p = lab.wait_provider(ns, "badpw", "ConnectionFailed")
        self.assertIn("ConnectionAuthFailed", conds(p))

    def test_07_remote_openshift_provider_needs_a_valid_token(self):
        lab, ns = self.lab, self.ns
        for name, token, phase in (("remote-ok", lab.token, "Ready"), ("remote-bad", "sha256~bogus-token", "ConnectionFailed")):
            lab.create("/api/v1/namespaces/%s/secrets" % ns, {"metadata": {"name": name},
                                                              "stringData": {"token": token, "insecureSkipVerify": "true"}})
            lab.create("%s/namespaces/%s/providers" % (FORKLIFT, ns), {
                "metadata": {"name": name}, "spec": {"type": "openshift", "url": lab.api_url,
                                                     "secret": {"name": name, "namespace": ns}, "settings": {}}})
            lab.wait_provider(ns, name, phase)
        host = lab.get("%s/namespaces/openshift-mtv/providers/host" % FORKLIFT)
        self.assertEqual(host["status"]["phase"], "Ready")

    def test_08_seeded_cluster(self):
        lab = self.lab
        fc = lab.get(FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers/forklift-controller")
        self.assertIn("Successful", conds(fc))
        self.assertIn("Running", conds(fc))
        pods = lab.get("/api/v1/namespaces/openshift-mtv/pods")["items"]
        self.assertTrue(any(p["metadata"]["name"].startswith("forklift-controller") for p in pods))
        self.assertTrue(all(p["status"]["phase"] == "Running" for p in pods if p["metadata"]["name"].startswith("forklift-")))
        csv = lab.get("/apis/operators.coreos.com/v1alpha1/namespaces/openshift-mtv/clusterserviceversions")["items"]
        self.assertTrue(csv[0]["metadata"]["name"].startswith("mtv-operator") and csv[0]["spec"]["version"])
        self.assertTrue(lab.get("/apis/operators.coreos.com/v1alpha1/namespaces/openshift-mtv/subscriptions/mtv-operator"))
        cv = lab.get("/apis/config.openshift.io/v1/clusterversions/version")
        self.assertRegex(cv["status"]["desired"]["version"], r"^4\.\d+")


if __name__ == "__main__":
    unittest.main()
