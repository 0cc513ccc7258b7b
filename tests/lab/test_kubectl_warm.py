"""Issue 5's done-when: a warm migration driven only with kubectl (the machine's real kubectl 1.32,
fresh KUBECACHEDIR) completes in well under a minute against `mtvlab up --minute 1`. Only the source
VM is prepared outside kubectl (a CBT clone in vcsim, which kubectl cannot make); every MTV object is
applied from YAML, waited for with `kubectl wait`, and read back with `kubectl get`."""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctrl_support as cs  # noqa: E402

KUBECTL = "kubectl"


class KubectlWarmMigration(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.lab = cs.Lab(minute=1.0)
        cls.addClassCleanup(cls.lab.down)
        cls.cache = tempfile.mkdtemp(prefix="kubecache-")
        cls.env = dict(os.environ, KUBECONFIG=str(cls.lab.dir / "kubeconfig"), KUBECACHEDIR=cls.cache)

    def kubectl(self, *args, stdin=None, timeout=90):
        r = subprocess.run([KUBECTL, *args], input=stdin, env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout, text=True)
        self.assertEqual(r.returncode, 0, "kubectl %s failed:\n%s%s" % (" ".join(args), r.stdout, r.stderr))
        return r.stdout

    def apply(self, *docs):
        return self.kubectl("apply", "-f", "-", stdin=yaml.safe_dump_all(docs))

    def test_warm_migration_with_kubectl_only(self):
        lab, ns = self.lab, cs.unique("kctl")
        vs = lab.vs
        name = ns + "-rhel8"
        lab.clone("mtv-tests-rhel8", name, cbt=True)  # vSphere side: not kubectl's job
        self.kubectl("create", "namespace", ns)
        fl = "forklift.konveyor.io/v1beta1"
        self.apply(
            {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "vc", "namespace": ns},
             "stringData": {"user": vs["username"], "password": vs["password"], "url": vs["api_url"],
                            "insecureSkipVerify": "false", "cacert": vs["cacert"]}},
            {"apiVersion": fl, "kind": "Provider", "metadata": {"name": "vcenter", "namespace": ns},
             "spec": {"type": "vsphere", "url": vs["api_url"], "secret": {"name": "vc", "namespace": ns},
                      "settings": {"vddkInitImage": vs["vddk_init_image"]}}})
        self.kubectl("wait", "--for=condition=Ready", "provider/vcenter", "-n", ns, "--timeout=60s")
        inv = lab.inventory_vm("vcenter", ns, name, guest=True)  # the inventory has no kubectl verb
        sc = json.loads(self.kubectl("get", "storageclass", "-o", "json"))["items"][0]["metadata"]["name"]
        prov = {"source": {"name": "vcenter", "namespace": ns},
                "destination": {"name": "host", "namespace": "openshift-mtv"}}
        self.apply(
            {"apiVersion": fl, "kind": "StorageMap", "metadata": {"name": "smap", "namespace": ns},
             "spec": {"provider": prov, "map": [{"source": {"name": "LocalDS_0"},
                                                 "destination": {"storageClass": sc}}]}},
            {"apiVersion": fl, "kind": "NetworkMap", "metadata": {"name": "nmap", "namespace": ns},
             "spec": {"provider": prov, "map": [{"source": {"name": "VM Network"},
                                                 "destination": {"type": "pod"}}]}},
            {"apiVersion": fl, "kind": "Plan", "metadata": {"name": "plan", "namespace": ns},
             "spec": {"warm": True, "targetNamespace": ns, "provider": prov,
                      "map": {"network": {"name": "nmap", "namespace": ns},
                              "storage": {"name": "smap", "namespace": ns}},
                      "vms": [{"id": inv["id"], "name": name}]}})
        self.kubectl("wait", "--for=condition=Ready", "plan/plan", "-n", ns, "--timeout=60s")
        self.kubectl("patch", "forkliftcontroller/forklift-controller", "-n", "openshift-mtv", "--type", "merge",
                     "-p", '{"spec": {"controller_precopy_interval": 2}}')
        t0 = time.monotonic()
        cutover = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 8))
        self.apply({"apiVersion": fl, "kind": "Migration", "metadata": {"name": "plan-warm", "namespace": ns},
                    "spec": {"plan": {"name": "plan", "namespace": ns}, "cutover": cutover}})
        self.kubectl("wait", "--for=condition=Succeeded", "plan/plan", "-n", ns, "--timeout=60s", timeout=90)
        elapsed = time.monotonic() - t0
        self.assertLess(elapsed, 60, "the warm migration took %.1fs" % elapsed)
        plan = json.loads(self.kubectl("get", "plan/plan", "-n", ns, "-o", "json"))
        warm = plan["status"]["migration"]["vms"][0]["warm"]
        self.assertGreaterEqual(warm["successes"], 2, warm)
        vm = json.loads(self.kubectl("get", "virtualmachines.kubevirt.io", name, "-n", ns, "-o", "json"))
        macs = [i["macAddress"] for i in vm["spec"]["template"]["spec"]["domain"]["devices"]["interfaces"]]
        self.assertEqual([m.lower() for m in macs], [n["mac"].lower() for n in inv["nics"]])
        # tidy the namespace and restore the interval, with kubectl too
        self.kubectl("patch", "forkliftcontroller/forklift-controller", "-n", "openshift-mtv", "--type", "merge",
                     "-p", '{"spec": {"controller_precopy_interval": 60}}')
        self.kubectl("delete", "namespace", ns, "--wait=true", "--timeout=60s")


if __name__ == "__main__":
    unittest.main()
