"""kubectl 1.32 (the machine's dispatcher) drives the lab API: discovery, OpenAPI-backed validation,
create/apply/get/patch/wait/delete of Forklift objects, strict field validation and pruning."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import FORKLIFT, LabTestCase

NS = "openshift-mtv"

FC = """apiVersion: forklift.konveyor.io/v1beta1
kind: ForkliftController
metadata:
  name: forklift-controller
  namespace: openshift-mtv
spec:
  feature_ui_plugin: "true"
"""

PLAN = """apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata:
  name: %(name)s
  namespace: openshift-mtv
spec:
  warm: true
  %(extra)s
  provider:
    source: {name: src, namespace: openshift-mtv}
    destination: {name: host, namespace: openshift-mtv}
  map:
    network: {name: nm, namespace: openshift-mtv}
    storage: {name: sm, namespace: openshift-mtv}
  targetNamespace: default
  vms:
  - name: vm1
"""


def plan(name, extra=""):
    return PLAN % {"name": name, "extra": extra or "description: lab test"}


class KubectlTest(LabTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lab.kubectl("create", "namespace", NS, check=True)

    def test_version_reports_1_32(self):
        r = self.lab.kubectl("version", "-o", "json", check=True)
        v = json.loads(r.stdout)["serverVersion"]
        self.assertEqual((v["major"], v["minor"]), ("1", "32"))

    def test_api_resources_lists_every_kind(self):
        r = self.lab.kubectl("api-resources", "-o", "name", check=True)
        names = set(r.stdout.split())
        for n in ("plans.forklift.konveyor.io", "migrations.forklift.konveyor.io", "providers.forklift.konveyor.io",
                  "networkmaps.forklift.konveyor.io", "storagemaps.forklift.konveyor.io", "hooks.forklift.konveyor.io",
                  "hosts.forklift.konveyor.io", "forkliftcontrollers.forklift.konveyor.io",
                  "virtualmachines.kubevirt.io", "virtualmachineinstances.kubevirt.io", "datavolumes.cdi.kubevirt.io",
                  "routes.route.openshift.io", "network-attachment-definitions.k8s.cni.cncf.io",
                  "clusterversions.config.openshift.io", "subscriptions.operators.coreos.com",
                  "clusterserviceversions.operators.coreos.com", "deployments.apps", "storageclasses.storage.k8s.io",
                  "pods", "secrets", "configmaps", "persistentvolumeclaims", "persistentvolumes", "namespaces",
                  "serviceaccounts", "events", "services"):
            self.assertIn(n, names)

    def test_forkliftcontroller_default_and_type_validation(self):
        self.lab.kubectl("create", "-f", "-", input=FC, check=True)
        r = self.lab.kubectl("get", "forkliftcontroller", "forklift-controller", "-n", NS, "-o",
                             "jsonpath={.spec.controller_precopy_interval}", check=True)
        self.assertEqual(r.stdout, "60")
        r = self.lab.kubectl("patch", "forkliftcontroller", "forklift-controller", "-n", NS, "--type", "merge",
                             "-p", '{"spec":{"controller_precopy_interval":"5"}}')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("spec.controller_precopy_interval", r.stderr)
        self.assertIn("must be of type integer", r.stderr)
        r = self.lab.kubectl("patch", "forkliftcontroller", "forklift-controller", "-n", NS, "--type", "merge",
                             "-p", '{"spec":{"controller_precopy_interval":5}}', check=True)
        r = self.lab.kubectl("patch", "forkliftcontroller", "forklift-controller", "-n", NS, "--type", "json",
                             "-p", '[{"op":"replace","path":"/spec/controller_precopy_interval","value":7}]',
                             check=True)
        got = json.loads(self.lab.kubectl("get", "forkliftcontroller", "forklift-controller", "-n", NS, "-o", "json",
                                          check=True).stdout)
        self.assertEqual(got["spec"]["controller_precopy_interval"], 7)
        self.assertEqual(got["metadata"]["generation"], 3)
        # unset again → the CRD default comes back
        self.lab.kubectl("patch", "forkliftcontroller", "forklift-controller", "-n", NS, "--type", "merge",
                         "-p", '{"spec":{"controller_precopy_interval":null}}', check=True)
        r = self.lab.kubectl("get", "forkliftcontroller", "forklift-controller", "-n", NS, "-o",
                             "jsonpath={.spec.controller_precopy_interval}", check=True)
        self.assertEqual(r.stdout, "60")
        # a strategic merge patch on a custom resource is refused (415) like a real apiserver
        r = self.lab.kubectl("patch", "forkliftcontroller", "forklift-controller", "-n", NS,
                             "-p", '{"spec":{"controller_precopy_interval":9}}')
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("application/strategic-merge-patch+json is not supported", r.stderr)

    def test_apply_create_unchanged_configured_and_get_all_namespaces(self):
        r = self.lab.kubectl("apply", "-f", "-", input=plan("applied"), check=True)
        self.assertIn("plan.forklift.konveyor.io/applied created", r.stdout)
        r = self.lab.kubectl("apply", "-f", "-", input=plan("applied"), check=True)
        self.assertIn("unchanged", r.stdout)
        r = self.lab.kubectl("apply", "-f", "-", input=plan("applied", "description: changed"), check=True)
        self.assertIn("configured", r.stdout)
        got = self.c.get(FORKLIFT + "/namespaces/%s/plans/applied" % NS).json()
        self.assertEqual(got["spec"]["description"], "changed")
        self.assertEqual(got["metadata"]["generation"], 2)
        self.assertTrue(got["spec"]["preserveStaticIPs"])  # CRD default
        r = self.lab.kubectl("get", "plans", "-A", check=True)
        header = r.stdout.splitlines()[0].split()
        self.assertEqual(header[:2], ["NAMESPACE", "NAME"])
        self.assertIn("READY", header)
        self.assertTrue(any(l.split()[:2] == [NS, "applied"] for l in r.stdout.splitlines()[1:]), r.stdout)
        # a built-in applied twice goes through a strategic merge patch
        cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm1\n  namespace: %s\ndata:\n  a: '%s'\n"
        self.lab.kubectl("apply", "-f", "-", input=cm % (NS, "1"), check=True)
        r = self.lab.kubectl("apply", "-f", "-", input=cm % (NS, "2"), check=True)
        self.assertIn("configured", r.stdout)
        self.assertEqual(self.c.get("/api/v1/namespaces/%s/configmaps/cm1" % NS).json()["data"], {"a": "2"})

    def test_strict_field_validation_and_pruning(self):
        bad = plan("strict", "bogusField: 1")
        r = self.lab.kubectl("create", "-f", "-", input=bad)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn('unknown field "spec.bogusField"', r.stderr)
        self.assertEqual(self.c.get(FORKLIFT + "/namespaces/%s/plans/strict" % NS).status, 404)
        r = self.lab.kubectl("create", "--validate=false", "-f", "-", input=bad, check=True)
        got = self.c.get(FORKLIFT + "/namespaces/%s/plans/strict" % NS).json()
        self.assertNotIn("bogusField", got["spec"])
        self.assertTrue(got["spec"]["warm"])
        r = self.lab.kubectl("apply", "--validate=warn", "-f", "-", input=plan("warned", "bogusField: 1"), check=True)
        self.assertIn('unknown field "spec.bogusField"', r.stderr)

    def test_wait_for_condition_and_delete(self):
        self.lab.kubectl("create", "-f", "-", input=plan("waited"), check=True)
        self.lab.kubectl("patch", "plan", "waited", "-n", NS, "--type", "merge",
                         "-p", '{"metadata":{"finalizers":["forklift.konveyor.io/test"]}}', check=True)
        w = self.lab.kubectl_popen("wait", "plan/waited", "-n", NS, "--for=condition=Ready", "--timeout=60s")
        r = self.c.patch(FORKLIFT + "/namespaces/%s/plans/waited/status" % NS,
                         {"status": {"conditions": [{"type": "Ready", "status": "True", "category": "Required"}]}})
        self.assertEqual(r.status, 200, r)
        out, err = w.communicate(timeout=90)
        self.assertEqual(w.returncode, 0, err)
        self.assertIn("plan.forklift.konveyor.io/waited condition met", out)
        # delete waits for the finalizer; wait --for=delete returns once it is removed
        r = self.lab.kubectl("delete", "plan", "waited", "-n", NS, "--wait=false", check=True)
        got = self.c.get(FORKLIFT + "/namespaces/%s/plans/waited" % NS).json()
        self.assertIn("deletionTimestamp", got["metadata"])
        w = self.lab.kubectl_popen("wait", "plan/waited", "-n", NS, "--for=delete", "--timeout=60s")
        r = self.c.patch(FORKLIFT + "/namespaces/%s/plans/waited" % NS, {"metadata": {"finalizers": None}})
        self.assertEqual(r.status, 200, r)
        out, err = w.communicate(timeout=90)
        self.assertEqual(w.returncode, 0, err)
        self.assertEqual(self.c.get(FORKLIFT + "/namespaces/%s/plans/waited" % NS).status, 404)
        r = self.lab.kubectl("get", "plan", "waited", "-n", NS)
        self.assertIn('plans.forklift.konveyor.io "waited" not found', r.stderr)

    def test_generator_commands_and_table_output(self):
        self.lab.kubectl("create", "secret", "generic", "gen-secret", "-n", NS, "--from-literal=k=v", check=True)
        s = self.c.get("/api/v1/namespaces/%s/secrets/gen-secret" % NS).json()
        self.assertEqual(s["data"], {"k": "dg=="})
        self.assertEqual(s["type"], "Opaque")
        r = self.lab.kubectl("get", "ns", NS, check=True)
        self.assertIn("Active", r.stdout)


if __name__ == "__main__":
    unittest.main()
