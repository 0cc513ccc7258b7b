"""Diagnostics on failure (src/lib/flow/collect.c): a failed scenario leaves <report>/diagnostics/<scenario>/ with
its Forklift objects, the migrated VMs, logs and a summary.txt naming the failed step and the VM's error, without
any lab credential; a passing scenario leaves nothing. One lab, one scenario (`-k sanity`) per run.

- migration-fails: test_migrate_vms fails (VM error NBD_ERR_INSUFFICIENT_RESOURCES)
- wrong-cpu: test_check_vms fails on the cpu validator (the migrated VM exists: VirtualMachine saved)
- no defect: the scenario passes, no diagnostics folder
"""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, SESSION_LABEL, E2ECase, Lab, Mtvtest, log  # noqa: E402

SANITY = "test_sanity_warm_mtv_migration"
ONE = ("-k", "sanity")
OBJECTS = ("plan.json", "migration.json", "storagemap.json", "networkmap.json", "provider-source.json",
           "provider-destination.json", "secrets.txt", "source-vms.json", "events-target.json", "events-mtv.json",
           "pvcs.json", "datavolumes.json", "summary.txt")


class DiagnosticsOnFailure(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start()
        cls.addClassCleanup(cls.lab.down)

    def setUp(self):
        self.lab.clear()

    def tearDown(self):
        self.lab.clear()
        sids = set()
        for objs in self.lab.dump().values():
            for o in objs if isinstance(objs, list) else []:
                sid = ((o.get("metadata") or {}).get("labels") or {}).get(SESSION_LABEL)
                if sid:
                    sids.add(sid)
        for sid in sids:
            log("tearDown: sweeping leftovers of session %s" % sid)
            Mtvtest(self.lab, "sweep-" + sid).clean("--session", sid)

    def diagnostics(self, run):
        d = run.report_dir / "diagnostics" / SANITY
        self.assertTrue(d.is_dir(), "no %s\n%s" % (d, run.describe()))
        files = {str(p.relative_to(d)) for p in d.rglob("*") if p.is_file()}
        self.assertFalse([f for f in files if ".tmp-" in f], "temporary files left: %s" % files)
        return d, files

    def assertNoCredential(self, d):
        secrets = self.lab.secrets()
        self.assertTrue(secrets, "the lab has no credential to look for")
        for p in d.rglob("*"):
            if p.is_file():
                text = p.read_text(errors="replace")
                for s in secrets:
                    self.assertNotIn(s, text, "a lab credential appears in %s" % p)

    def assertReportPoints(self, run, d):
        sc = run.scenario(SANITY)
        self.assertEqual(os.path.realpath(sc.get("diagnostics") or ""), os.path.realpath(str(d)),
                         "results.json diagnostics of %s" % SANITY)
        html = run.report_dir / "report.html"
        if html.exists():
            self.assertIn("diagnostics/" + SANITY, html.read_text(errors="replace"))

    def test_migration_fails(self):
        self.lab.defect("migration-fails")
        run = Mtvtest(self.lab, "migration-fails").run(*ONE, *FAST)
        self.assertExit(run, 1)
        self.assertEqual(run.step(SANITY, "test_migrate_vms")["status"], "failed", run.describe())
        d, files = self.diagnostics(run)
        for f in OBJECTS:
            self.assertIn(f, files, "diagnostics files: %s" % sorted(files))
        self.assertTrue(any(f.startswith("logs/forklift-controller-") and f.endswith(".main.log") for f in files),
                        "no forklift-controller log: %s" % sorted(files))
        summary = (d / "summary.txt").read_text()
        self.assertIn("failed step: test_migrate_vms (failed)", summary)
        self.assertIn("NBD_ERR_INSUFFICIENT_RESOURCES", summary)
        self.assertRegex(summary, r"plan: \S+, state Failed")
        plan = json.loads((d / "plan.json").read_text())
        self.assertEqual(plan["kind"], "Plan")
        self.assertEqual(plan["metadata"]["labels"][SESSION_LABEL], run.session_id)
        src = json.loads((d / "provider-source.json").read_text())
        self.assertEqual(src["spec"]["type"], "vsphere")
        secrets_txt = (d / "secrets.txt").read_text()
        self.assertIn(src["spec"]["secret"]["name"], secrets_txt)
        vms = json.loads((d / "source-vms.json").read_text())
        self.assertEqual(len(vms), 1, vms)
        rec = vms[0]
        self.assertIsNotNone(rec["before"])
        self.assertIsNotNone(rec["after"])
        self.assertNoCredential(d)
        self.assertNoSecret(run, self.lab)
        self.assertReportPoints(run, d)
        self.assertNothingLeft(self.lab, run.session_id, run)
        log("migration-fails diagnostics: %s\n%s" % (sorted(files), summary))

    def test_wrong_cpu(self):
        self.lab.defect("wrong-cpu")
        run = Mtvtest(self.lab, "wrong-cpu").run(*ONE, *FAST)
        self.assertExit(run, 1)
        self.assertEqual(run.step(SANITY, "test_check_vms")["status"], "failed", run.describe())
        d, files = self.diagnostics(run)
        self.assertIn("virtualmachines.json", files, sorted(files))
        vm = json.loads((d / "virtualmachines.json").read_text())
        self.assertEqual(len(vm), 1)
        self.assertEqual(vm[0]["kind"], "VirtualMachine")
        self.assertIn("pods.json", files, sorted(files))
        self.assertTrue(any(f.startswith("logs/") and "virt-v2v" in f for f in files), sorted(files))
        summary = (d / "summary.txt").read_text()
        self.assertIn("failed step: test_check_vms (failed)", summary)
        self.assertIn("cpu", summary)
        self.assertRegex(summary, r"plan: \S+, state Succeeded")
        self.assertNoCredential(d)
        self.assertReportPoints(run, d)
        self.assertNothingLeft(self.lab, run.session_id, run)

    def test_passing_scenario_writes_nothing(self):
        run = Mtvtest(self.lab, "passing").run(*ONE, *FAST)
        self.assertExit(run, 0)
        self.assertAllStepsPassed(run, SANITY)
        self.assertFalse((run.report_dir / "diagnostics").exists(), run.describe())
        self.assertFalse((run.report_dir.parent / "mtvtest-diagnostics").exists())
        self.assertNotIn("diagnostics", run.scenario(SANITY))


if __name__ == "__main__":
    unittest.main()
