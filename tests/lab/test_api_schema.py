"""CRD schemas: the built-in description matches the real CRDs (whenever they are present), and a lab
running from the built-in description prunes, defaults and validates the same way."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import FORKLIFT, InProcessLab  # noqa: E402

from labsim import crds_builtin, schema  # noqa: E402


class BuiltinMatchesRealTest(unittest.TestCase):
    def test_builtin_equals_real_without_descriptions(self):
        real = schema.load_real_crds()
        if not real:
            # the reference directory is part of this machine's setup; its absence is a setup error here
            self.fail("real CRDs not found (%s)" % schema.crd_dir())
        self.assertEqual(sorted(real), sorted(crds_builtin.CRDS))
        for name, crd in real.items():
            want = schema.strip_descriptions(crd)
            want["metadata"] = {"name": crd["metadata"]["name"]}
            self.assertEqual(json.dumps(want, sort_keys=True), json.dumps(crds_builtin.CRDS[name], sort_keys=True),
                             name)

    def test_real_crd_defines_the_precopy_default(self):
        fc = schema.load_real_crds()["forkliftcontrollers.forklift.konveyor.io"]
        prop = fc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"][
            "controller_precopy_interval"]
        self.assertEqual((prop["type"], prop["default"]), ("integer", 60))


class BuiltinModeTest(unittest.TestCase):
    """A lab whose CRD directory is absent serves the same behaviour from crds_builtin."""

    @classmethod
    def setUpClass(cls):
        cls.old = os.environ.get("MTVLAB_CRD_DIR")
        os.environ["MTVLAB_CRD_DIR"] = "/nonexistent/forklift-crds"
        cls.lab = InProcessLab()
        cls.c = cls.lab.client

    @classmethod
    def tearDownClass(cls):
        cls.lab.stop()
        if cls.old is None:
            os.environ.pop("MTVLAB_CRD_DIR", None)
        else:
            os.environ["MTVLAB_CRD_DIR"] = cls.old

    def test_source_is_builtin(self):
        self.assertEqual(schema.crds()[1], "builtin")
        want = crds_builtin.CRDS["plans.forklift.konveyor.io"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
        self.assertEqual(self.lab.store.kind("plans.forklift.konveyor.io").schema, want)

    def test_default_prune_and_validate(self):
        ns = "/api/v1/namespaces"
        self.assertEqual(self.c.post(ns, {"metadata": {"name": "openshift-mtv"}}).status, 201)
        fcs = FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers"
        r = self.c.post(fcs, {"metadata": {"name": "forklift-controller"}, "spec": {"extra": 1}})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["spec"]["controller_precopy_interval"], 60)
        self.assertNotIn("extra", r.json()["spec"])
        r = self.c.patch(fcs + "/forklift-controller", {"spec": {"controller_precopy_interval": "x"}})
        self.assertEqual(r.status, 422)
        r = self.c.patch(fcs + "/forklift-controller", {"spec": {"controller_precopy_interval": 0}})
        self.assertEqual(r.status, 422)
        self.assertIn("greater than or equal to 1", r.json()["message"])
        # Host has only a built-in description (the reference has no Host CRD)
        r = self.c.post(FORKLIFT + "/namespaces/openshift-mtv/hosts", {"metadata": {"name": "h"}, "spec": {}})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["details"]["causes"][0]["field"], "spec.provider")

    def test_kubectl_explain_uses_the_schema(self):
        r = self.lab.kubectl("explain", "forkliftcontroller.spec.controller_precopy_interval")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("integer", r.stdout)


if __name__ == "__main__":
    unittest.main()
