"""Each lab defect (CONTRACTS.md §6) shows its effect on the objects the migration produces, and only
that effect; plus the vcenter-session-loss fault. One lab (`mtvlab up --minute 1`), a few migrations that
each carry a group of defects that do not interfere."""
import base64
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctrl_support as cs  # noqa: E402
from ctrl_support import FORKLIFT  # noqa: E402

RHEL8 = "mtv-tests-rhel8"
TWO = "mtv-rhel8-warm-2disks2nics"
LABELS = {"mtv-comprehensive-test": "x", "static-label": "static-value"}
AFFINITY = {"podAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
    {"podAffinityTerm": {"labelSelector": {"matchLabels": {"app": "t"}}, "topologyKey": "kubernetes.io/hostname"},
     "weight": 75}]}}


def conds(obj):
    return {c["type"]: c for c in (obj.get("status") or {}).get("conditions") or []}


def tpl(r):
    return r["vm"]["spec"]["template"]["spec"]


def static_ips(inv):
    return [(g["mac"], g["ip"]) for g in inv["guestNetworks"] if g.get("origin") == "manual"]


class Defects(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = lab = cs.Lab(minute=1.0)
        cls.addClassCleanup(lab.down)
        cls.ns = ns = cs.unique("def")
        lab.namespace(ns)
        lab.source_provider(ns)
        lab.wait_provider(ns, "vcenter")
        probe = lab.clone(RHEL8, ns + "-probe", power_on=False)
        _ = probe
        lab.maps(ns, lab.inventory_vm("vcenter", ns, ns + "-probe"))
        probe2 = lab.clone(TWO, ns + "-probe2", power_on=False)
        _ = probe2
        lab.maps(ns, lab.inventory_vm("vcenter", ns, ns + "-probe2"), suffix="2")
        cls.r = {}
        # a clean baseline, then groups of defects that do not interfere with each other
        cls.r["clean"] = cs.run_migration(lab, ns, "clean", RHEL8, (), targetLabels=LABELS, targetAffinity=AFFINITY,
                                          targetPowerState="on", preserveStaticIPs=True)
        cls.r["g1"] = cs.run_migration(lab, ns, "g1", RHEL8, ("wrong-cpu", "wrong-memory", "wrong-serial", "drop-labels",
                                                              "drop-affinity", "wrong-storage-class", "no-guest-agent"),
                                       targetLabels=LABELS, targetAffinity=AFFINITY, targetPowerState="on")
        cls.r["g2"] = cs.run_migration(lab, ns, "g2", RHEL8, ("wrong-mac", "static-ip-lost"), preserveStaticIPs=True,
                                       targetPowerState="on")
        cls.r["g3"] = cs.run_migration(lab, ns, "g3", TWO, ("missing-disk", "wrong-pvc-name", "wrong-network"), maps="2",
                                       targetPowerState="on", pvcNameTemplate="{{.VmName}}-d{{.DiskIndex}}",
                                       pvcNameTemplateUseGenerateName=False)
        cls.r["g4"] = cs.run_migration(lab, ns, "g4", RHEL8, ("ssh-down", "insecure-mismatch"), targetPowerState="on")
        cls.r["g5"] = cs.run_migration(lab, ns, "g5", RHEL8, ("wrong-power-state",), targetPowerState="on")
        cls.r["fails"] = cs.run_migration(lab, ns, "fails", RHEL8, ("migration-fails",))
        cls.r["cancels"] = cs.run_migration(lab, ns, "cancels", RHEL8, ("migration-cancels",), cutover_in=600)

    def ssh(self, r, command, port=22):
        pf = cs.PortForward(self.lab, self.ns, r["name"], port)
        if pf.status != 101:
            pf.close()
            return pf.status, None
        try:
            return 101, cs.ssh_exec(pf.sock, self.lab.vs["guest_vm_linux_user"], self.lab.vs["guest_vm_linux_password"],
                                    command)
        finally:
            pf.close()

    # -- the baseline is right in every aspect the defects break ----------------------------------------
    def test_clean_baseline(self):
        r = self.r["clean"]
        self.assertIn("Succeeded", conds(r["plan"]))
        inv = r["inv"]
        t = tpl(r)
        self.assertEqual(t["domain"]["cpu"]["cores"], inv["coresPerSocket"])
        self.assertEqual(t["domain"]["memory"]["guest"],
                         "%dGi" % (inv["memoryMB"] // 1024) if inv["memoryMB"] % 1024 == 0 else "%dMi" % inv["memoryMB"])
        self.assertEqual([i["macAddress"] for i in t["domain"]["devices"]["interfaces"]], [n["mac"] for n in inv["nics"]])
        self.assertEqual(r["vm"]["spec"]["runStrategy"], "Always")
        self.assertTrue(all(p["spec"]["storageClassName"] == self.lab.storage_class() for p in r["pvcs"]))
        self.assertEqual(t["affinity"], AFFINITY)
        vmi = self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (self.ns, r["name"]),
                            lambda o: "AgentConnected" in conds(o), 20, "AgentConnected")
        self.assertTrue(vmi)
        code, (rc, out, _) = self.ssh(r, "nmcli device show")
        self.assertEqual((code, rc), (101, 0))
        for mac, ip in static_ips(inv):
            self.assertIn(mac.upper(), out)
            self.assertIn(ip + "/", out)
        secret = self.lab.get("/api/v1/namespaces/%s/secrets/vcenter-secret" % self.ns)
        _ = secret

    # -- group 1 --------------------------------------------------------------------------------------
    def test_wrong_cpu(self):
        r = self.r["g1"]
        self.assertNotEqual(tpl(r)["domain"]["cpu"]["cores"], r["inv"]["coresPerSocket"])
        self.assertEqual(tpl(r)["domain"]["cpu"]["sockets"], r["inv"]["cpuCount"] // r["inv"]["coresPerSocket"])

    def test_wrong_memory(self):
        r = self.r["g1"]
        self.assertNotEqual(tpl(r)["domain"]["memory"]["guest"], tpl(self.r["clean"])["domain"]["memory"]["guest"])

    def test_wrong_serial(self):
        r = self.r["g1"]
        u = r["inv"]["uuid"].replace("-", "")
        good = "VMware-%s-%s" % (" ".join(u[i:i + 2] for i in range(0, 16, 2)),
                                 " ".join(u[i:i + 2] for i in range(16, 32, 2)))
        self.assertNotEqual(tpl(r)["domain"]["firmware"]["serial"].lower(), good.lower())
        self.assertTrue(tpl(r)["domain"]["firmware"]["serial"])

    def test_drop_labels(self):
        labels = self.r["g1"]["vm"]["spec"]["template"]["metadata"]["labels"]
        self.assertNotIn("static-label", labels)
        self.assertEqual(self.r["clean"]["vm"]["spec"]["template"]["metadata"]["labels"]["static-label"],
                         "static-value")

    def test_drop_affinity(self):
        self.assertNotIn("affinity", tpl(self.r["g1"]))

    def test_wrong_storage_class(self):
        r = self.r["g1"]
        self.assertTrue(r["pvcs"])
        self.assertTrue(all(p["spec"]["storageClassName"] != self.lab.storage_class() for p in r["pvcs"]))
        self.assertEqual(len(r["pvcs"]), len(r["inv"]["disks"]))

    def test_no_guest_agent(self):
        r = self.r["g1"]
        vmi = self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (self.ns, r["name"]),
                            lambda o: (o.get("status") or {}).get("phase") == "Running", 20, "Running")
        self.assertNotIn("AgentConnected", conds(vmi))
        code, (rc, _, _) = self.ssh(r, "true")  # the guest itself is fine
        self.assertEqual((code, rc), (101, 0))

    # -- group 2 --------------------------------------------------------------------------------------
    def test_wrong_mac(self):
        r = self.r["g2"]
        src_macs = [n["mac"] for n in r["inv"]["nics"]]
        vm_macs = [i["macAddress"] for i in tpl(r)["domain"]["devices"]["interfaces"]]
        self.assertEqual(len(vm_macs), len(src_macs))
        self.assertTrue(all(a != b for a, b in zip(vm_macs, src_macs)))
        vmi = self.lab.get("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (self.ns, r["name"]))
        self.assertEqual([i["mac"] for i in vmi["status"]["interfaces"]], vm_macs)
        code, (rc, out, _) = self.ssh(r, "nmcli device show")  # ssh still works
        self.assertEqual((code, rc), (101, 0))
        self.assertIn(vm_macs[0].upper(), out)
        self.assertNotIn(src_macs[0].upper(), out)

    def test_static_ip_lost(self):
        r = self.r["g2"]
        ips = static_ips(r["inv"])
        self.assertTrue(ips, "the template has a static IP")
        code, (rc, out, _) = self.ssh(r, "nmcli device show")
        self.assertEqual((code, rc), (101, 0))
        for _, ip in ips:
            self.assertNotIn(ip + "/", out)

    # -- group 3 --------------------------------------------------------------------------------------
    def test_missing_disk(self):
        r = self.r["g3"]
        self.assertEqual(len(r["inv"]["disks"]), 2)
        self.assertEqual(len(tpl(r)["volumes"]), 1)
        self.assertEqual(len(r["pvcs"]), 1)

    def test_wrong_pvc_name(self):
        r = self.r["g3"]
        expected = "%s-d0" % r["name"]
        self.assertNotEqual(r["pvcs"][0]["metadata"]["name"], expected)
        self.assertFalse(r["pvcs"][0]["metadata"]["name"].startswith(expected))
        self.assertEqual(r["pvcs"][0]["spec"]["storageClassName"], self.lab.storage_class())

    def test_wrong_network(self):
        r = self.r["g3"]
        nets = tpl(r)["networks"]
        self.assertEqual(len(nets), 2)
        self.assertIn("multus", nets[0])  # the source's first network maps to pod
        self.assertIn("pod", nets[1])
        self.assertEqual([i["macAddress"] for i in tpl(r)["domain"]["devices"]["interfaces"]],
                         [n["mac"] for n in r["inv"]["nics"]])

    # -- group 4 --------------------------------------------------------------------------------------
    def test_ssh_down(self):
        r = self.r["g4"]
        self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances/%s" % (self.ns, r["name"]),
                      lambda o: "AgentConnected" in conds(o), 20, "AgentConnected")
        code, _ = self.ssh(r, "true")
        self.assertEqual(code, 500)

    def test_insecure_mismatch(self):
        s = self.lab.get("/api/v1/namespaces/%s/secrets/vcenter-secret" % self.ns)
        self.assertEqual(base64.b64decode(s["data"]["insecureSkipVerify"]).decode(), "true")  # created "false"

    # -- group 5 --------------------------------------------------------------------------------------
    def test_wrong_power_state(self):
        r = self.r["g5"]
        self.assertEqual(r["vm"]["spec"]["runStrategy"], "Halted")
        vm = self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/%s" % (self.ns, r["name"]),
                           lambda o: (o.get("status") or {}).get("printableStatus") == "Stopped", 20, "Stopped")
        self.assertNotIn("ready", vm["status"])
        # start (202) brings it up, stop (202) halts it again
        r1 = self.lab.api.put("/apis/subresources.kubevirt.io/v1/namespaces/%s/virtualmachines/%s/start"
                              % (self.ns, r["name"]), {})
        self.assertEqual(r1.status, 202)
        self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/%s" % (self.ns, r["name"]),
                      lambda o: (o.get("status") or {}).get("printableStatus") == "Running", 20, "Running")
        r2 = self.lab.api.put("/apis/subresources.kubevirt.io/v1/namespaces/%s/virtualmachines/%s/start"
                              % (self.ns, r["name"]), {})
        self.assertEqual(r2.status, 409)
        r3 = self.lab.api.put("/apis/subresources.kubevirt.io/v1/namespaces/%s/virtualmachines/%s/stop"
                              % (self.ns, r["name"]), {})
        self.assertEqual(r3.status, 202)
        self.lab.wait("/apis/kubevirt.io/v1/namespaces/%s/virtualmachines/%s" % (self.ns, r["name"]),
                      lambda o: (o.get("status") or {}).get("printableStatus") == "Stopped", 20, "Stopped")

    # -- execution defects ------------------------------------------------------------------------------
    def test_migration_fails(self):
        p = self.r["fails"]["plan"]
        self.assertIn("Failed", conds(p))
        vm = p["status"]["migration"]["vms"][0]
        self.assertTrue(vm["error"]["reasons"][0])
        self.assertIn("Failed", {c["type"] for c in vm["conditions"]})
        m = self.lab.get("%s/namespaces/%s/migrations/fails-mig" % (FORKLIFT, self.ns))
        self.assertIn("Failed", conds(m))
        self.assertIsNone(self.r["fails"]["vm"])  # deleteVmOnFailMigration
        self.assertIsNone(self.r["fails"]["src"].snapshot)

    def test_migration_cancels(self):
        p = self.r["cancels"]["plan"]
        self.assertIn("Canceled", conds(p))
        self.assertNotIn("Succeeded", conds(p))
        m = self.lab.get("%s/namespaces/%s/migrations/cancels-mig" % (FORKLIFT, self.ns))
        self.assertIn("Canceled", conds(m))
        self.assertTrue(m["spec"]["cancel"])
        self.assertEqual(str(self.r["cancels"]["src"].runtime.powerState), "poweredOn")
        self.assertIsNone(self.r["cancels"]["src"].snapshot)

    def test_plan_never_ready(self):
        lab, ns = self.lab, self.ns
        name = ns + "-nr"
        lab.clone(RHEL8, name, power_on=False)
        inv = lab.inventory_vm("vcenter", ns, name)
        cs.set_defects(lab, ["plan-never-ready"])
        try:
            lab.plan(ns, "never", [inv["id"]])
            p = lab.wait_plan_cond(ns, "never", "VMCriticalConcerns")
            self.assertEqual(conds(p)["VMCriticalConcerns"]["category"], "Critical")
            self.assertNotIn("Ready", conds(p))
        finally:
            cs.set_defects(lab, [])
        lab.wait_plan_cond(ns, "never", "Ready")  # cleared: the next validation makes it Ready

    def test_vcenter_session_loss_fault(self):
        """vcsim sessions are terminated every few seconds: the controllers log in again and the migration
        still succeeds (the test's own pyVmomi session is cut too, so it touches vSphere only before)."""
        lab, ns = self.lab, self.ns
        name = ns + "-sess"
        lab.clone(RHEL8, name)
        inv = lab.inventory_vm("vcenter", ns, name, guest=True)
        lab.plan(ns, "sess", [inv["id"]])
        lab.wait_plan_cond(ns, "sess", "Ready")
        r = lab.admin("POST", "/mtvlab/faults", {"name": "vcenter-session-loss"})
        self.assertEqual(r.status, 200, r)
        try:
            lab.migrate(ns, "sess", cutover_in=6)
            plan = lab.wait_plan_done(ns, "sess")
            self.assertIn("Succeeded", conds(plan), json.dumps(plan["status"])[-2000:])
            st = lab.status()
            self.assertGreater(st["faults_fired"].get("vcenter-session-loss", 0), 0)
        finally:
            lab.admin("POST", "/mtvlab/faults", {"clear": True})
            lab.si = None


if __name__ == "__main__":
    unittest.main()
