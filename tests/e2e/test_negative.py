"""Issue 6, negative paths against one lab (defects cleared between tests): exit code and the message shown,
and teardown leaving nothing behind every time. One scenario (`-k sanity`) per run keeps them short.

- plan-never-ready: test_create_plan fails printing the blocking condition (exit 1)
- migration-fails: test_migrate_vms fails with the VM's error, later steps skipped (exit 1)
- migration-cancels: test_migrate_vms fails as Canceled, not as a timeout (exit 1)
- plan_wait_timeout exceeded (exit 1)
- wrong vCenter password (exit 3), bad cluster token without OAuth settings (exit 3)
- SIGINT in the middle of a migration: exit 130, teardown ran, nothing left
- SIGKILL in the middle of a migration, then `mtvtest clean --ledger F` / `mtvtest clean --session ID`
"""
import json
import os
import re
import signal
import sys
import unittest

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, FORKLIFT, SESSION_LABEL, E2ECase, Lab, Mtvtest, log  # noqa: E402

SANITY = "test_sanity_warm_mtv_migration"
ONE = ("-k", "sanity")
LATER = ("test_check_vms",)


def conds(o):
    return {c.get("type"): c for c in (o.get("status") or {}).get("conditions") or []}


class NegativePaths(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start()
        cls.addClassCleanup(cls.lab.down)

    def setUp(self):
        self.lab.clear()
        self.fc_before = self.lab.fc_interval()

    def tearDown(self):
        self.lab.clear()
        # a failed test must not make the next ones fail: sweep whatever a session left (by its label)
        sids = set()
        for objs in self.lab.dump().values():
            for o in objs if isinstance(objs, list) else []:
                sid = ((o.get("metadata") or {}).get("labels") or {}).get(SESSION_LABEL)
                if sid:
                    sids.add(sid)
        for sid in sids:
            log("tearDown: sweeping leftovers of session %s" % sid)
            Mtvtest(self.lab, "sweep-" + sid).clean("--session", sid)

    def assertStepFailed(self, run, step, pattern):
        st = run.step(SANITY, step)
        self.assertEqual(st["status"], "failed", "%s\n%s" % (st, run.describe()))
        self.assertRegex(st.get("message") or "", pattern, run.describe())
        junit = [c for c in run.cases if c["classname"] == SANITY and c["name"].startswith(step + "[")]
        self.assertEqual(len(junit), 1, run.cases)
        self.assertEqual(junit[0]["status"], "failed")
        self.assertRegex(junit[0]["message"], pattern)
        return st

    def assertLaterSkipped(self, run, after):
        names = [s["name"] for s in run.scenario(SANITY)["steps"]]
        for st in run.scenario(SANITY)["steps"][names.index(after) + 1:]:
            self.assertEqual(st["status"], "skipped", st)
            self.assertIn("previous step failed (%s)" % after, st.get("message") or "", st)

    def assertClean(self, run, sid=None):
        self.assertNothingLeft(self.lab, sid or run.session_id, run)
        self.assertFcRestored(self.lab, self.fc_before, run)
        self.assertNoSecret(run, self.lab)

    def wait_migration_running(self, timeout=180):
        """Watch Migrations until one of an mtvtest session is Running (the Plan is executing)."""
        def pred(o):
            lab = ((o.get("metadata") or {}).get("labels") or {}).get(SESSION_LABEL)
            c = conds(o).get("Running")
            return bool(lab) and c is not None and c.get("status") == "True"
        m = self.lab.watch_until(FORKLIFT + "/migrations", pred, timeout, "a Running Migration")
        return m["metadata"]["labels"][SESSION_LABEL]

    # -- defects -------------------------------------------------------------------------------------
    def test_plan_never_ready(self):
        self.lab.defect("plan-never-ready")
        mt = Mtvtest(self.lab, "plan-never-ready")
        run = mt.run(*ONE, *FAST, "--set", "plan_ready_timeout=5")
        self.assertExit(run, 1)
        self.assertStepFailed(run, "test_create_plan", r"VMCriticalConcerns")
        shown = run.err + run.out
        self.assertIn("VMCriticalConcerns", shown)
        self.assertIn("Critical concerns were detected on some VM.", shown)
        self.assertLaterSkipped(run, "test_create_plan")
        self.assertClean(run)

    def test_migration_fails(self):
        self.lab.defect("migration-fails")
        run = Mtvtest(self.lab, "migration-fails").run(*ONE, *FAST)
        self.assertExit(run, 1)
        self.assertStepFailed(run, "test_migrate_vms", r"NBD_ERR_INSUFFICIENT_RESOURCES")
        self.assertIn("NBD_ERR_INSUFFICIENT_RESOURCES", run.err + run.out)
        self.assertLaterSkipped(run, "test_migrate_vms")
        self.assertClean(run)

    def test_migration_cancels(self):
        self.lab.defect("migration-cancels")
        run = Mtvtest(self.lab, "migration-cancels").run(*ONE, *FAST)
        self.assertExit(run, 1)
        st = self.assertStepFailed(run, "test_migrate_vms", r"Cancel")
        self.assertNotRegex(st["message"], r"(?i)time(d)?[ -]?out", "a cancel reported as a timeout")
        self.assertLaterSkipped(run, "test_migrate_vms")
        self.assertClean(run)

    def test_plan_wait_timeout(self):
        # the cutover is 2 minutes away: a 5 s plan_wait_timeout ends the wait first
        run = Mtvtest(self.lab, "plan-wait-timeout").run(*ONE, "--set", "mins_before_cutover=2",
                                                         "--set", "plan_wait_timeout=5")
        self.assertExit(run, 1)
        self.assertStepFailed(run, "test_migrate_vms", r"(?i)(time(d)?[ -]?out|plan_wait_timeout)")
        self.assertLaterSkipped(run, "test_migrate_vms")
        self.assertClean(run)

    # -- authentication -----------------------------------------------------------------------------
    def test_wrong_vcenter_password(self):
        mt = Mtvtest(self.lab, "wrong-vcenter-password")
        prov = json.loads(self.lab.providers_file.read_text())
        wrong = "Wr0ng-" + prov[self.lab.vsphere_key]["password"][::-1]
        prov[self.lab.vsphere_key]["password"] = wrong
        pf = mt.work / "providers.json"
        pf.write_text(json.dumps(prov))
        os.chmod(pf, 0o600)
        run = mt.run(*ONE, *FAST, providers=pf)
        self.assertExit(run, 3)
        self.assertRegex(run.err, r"(?i)(login|password|credential|authenticat|unauthori[sz]ed)")
        self.assertRegex(run.err, r"(?i)(vcenter|vsphere|127\.0\.0\.1:%d)" % self.lab.status()["vcenter_port"])
        self.assertNotIn(wrong, run.out + run.err)
        self.assertNoSecret(run, self.lab)
        self.assertEqual(self.lab.leftovers(run.session_id) if run.session_id else self.labelled(), [],
                         run.describe())
        self.assertFcRestored(self.lab, self.fc_before, run)

    def test_bad_cluster_token(self):
        mt = Mtvtest(self.lab, "bad-token")
        kc = yaml.safe_load(self.lab.kubeconfig.read_text())
        bad = "sha256~" + "x" * 43
        kc["users"][0]["user"]["token"] = bad
        kf = mt.work / "kubeconfig"
        kf.write_text(yaml.safe_dump(kc))
        os.chmod(kf, 0o600)
        settings = {k: v for k, v in self.lab.settings.items() if not k.startswith("cluster_")}
        sf = mt.work / "settings.yaml"
        sf.write_text(yaml.safe_dump(settings))
        run = mt.run(*ONE, *FAST, config=sf, kubeconfig=kf)
        self.assertExit(run, 3)
        self.assertRegex(run.err, r"(?i)(unauthori[sz]ed|401|authenticat|token)")
        self.assertNotIn(bad, run.out + run.err)
        self.assertNoSecret(run, self.lab)
        self.assertEqual(self.labelled(), [], "objects created with a rejected token?")

    def labelled(self):
        """Every object of the lab that carries the session label (any session)."""
        out = []
        for res, objs in self.lab.dump().items():
            for o in objs if isinstance(objs, list) else []:
                md = o.get("metadata") or {}
                if SESSION_LABEL in (md.get("labels") or {}):
                    out.append("%s %s/%s" % (res, md.get("namespace") or "", md.get("name")))
        vms = [n for n in self.lab.vm_names() if n not in self.lab.baseline_vms]
        return out + ["vsphere VM " + n for n in vms]

    # -- signals ------------------------------------------------------------------------------------
    def test_sigint_mid_migration(self):
        mt = Mtvtest(self.lab, "sigint")
        mt.start("run", *ONE, "--set", "mins_before_cutover=2")
        try:
            sid = self.wait_migration_running()
        except AssertionError:
            mt.signal(signal.SIGKILL)
            raise AssertionError(mt.wait(30).describe())
        mt.signal(signal.SIGINT)
        run = mt.wait(300)
        self.assertExit(run, 130)
        self.assertEqual(run.session_id, sid)
        self.assertClean(run, sid)

    def _killed_mid_migration(self, name):
        mt = Mtvtest(self.lab, name)
        mt.start("run", *ONE, "--set", "mins_before_cutover=2")
        try:
            sid = self.wait_migration_running()
        except AssertionError:
            mt.signal(signal.SIGKILL)
            raise AssertionError(mt.wait(30).describe())
        mt.signal(signal.SIGKILL)
        run = mt.wait(60)
        self.assertEqual(run.rc, -signal.SIGKILL)
        self.assertEqual(run.ledger_session_id(), sid, "the ledger names the session")
        self.assertNotEqual(self.lab.leftovers(sid), [], "a killed run left nothing? (test premise)")
        return mt, run, sid

    def test_sigkill_then_clean_ledger(self):
        mt, run, sid = self._killed_mid_migration("sigkill-ledger")
        # a new run refuses to replace a ledger that still lists objects (docs/ledger.md), creating nothing
        again = Mtvtest(self.lab, "ledger-in-use").run(*ONE, *FAST, ledger=run.ledger_file)
        self.assertExit(again, 2)
        self.assertIn("mtvtest clean --ledger", again.err)
        self.assertEqual(json.loads(run.ledger_file.read_text())["session_id"], sid, "the ledger was replaced")
        cl = Mtvtest(self.lab, "clean-ledger").clean("--ledger", str(run.ledger_file))
        self.assertNothingLeft(self.lab, sid, cl)
        self.assertExit(cl, 0)
        self.assertFcRestored(self.lab, self.fc_before, cl)
        self.assertNoSecret(cl, self.lab)
        led = json.loads(run.ledger_file.read_text())
        self.assertEqual([o["name"] for o in led["objects"] if o.get("state") != "gone"], [],
                         "clean marks every entry gone")

    def test_sigkill_then_clean_session(self):
        mt, run, sid = self._killed_mid_migration("sigkill-session")
        self.assertTrue(re.match(r"^[a-z0-9-]+$", sid), sid)
        cl = Mtvtest(self.lab, "clean-session").clean("--session", sid)
        self.assertNothingLeft(self.lab, sid, cl)
        self.assertExit(cl, 0)
        self.assertNoSecret(cl, self.lab)


if __name__ == "__main__":
    unittest.main()
