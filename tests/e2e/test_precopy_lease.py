"""Overlapping runs share the ForkliftController's precopy interval through a lease (docs/run.md, "Precopy
interval"): annotations `mtvtest.io/precopy-holders` / `mtvtest.io/precopy-original`, every change a PUT with
the resourceVersion.

Against one fresh lab, one scenario per run (`-k sanity`); the order of events is forced by watching the
ForkliftController (no sleeps):
- two overlapping runs with the same interval both pass; the one finishing first leaves the interval to the
  other, the last one restores the original and removes the annotations;
- a run needing another interval while a run holds the lease: with a short provider_ready_timeout it fails
  (exit 3) naming the holder, and changes nothing; with the default one it waits until the holder leaves, then
  takes the lease and passes;
- a run SIGKILLed while another holds the lease, then `clean --ledger`: the lease stays with the other run;
- a run SIGKILLed alone, then `clean --session`: the original value comes back from the annotation.
"""
import json
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, FORKLIFT, E2ECase, Lab, Mtvtest, log  # noqa: E402

ONE = ("-k", "sanity")
FC_PATH = FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers"
FC = FC_PATH + "/forklift-controller"
HOLDERS = "mtvtest.io/precopy-holders"
ORIGINAL = "mtvtest.io/precopy-original"
# long enough that a second run can start, join and finish inside the first one's migration
SLOW = ("--set", "mins_before_cutover=0.4")


def holders(fc):
    text = ((fc.get("metadata") or {}).get("annotations") or {}).get(HOLDERS)
    return json.loads(text) if text else []


class PrecopyLease(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start()
        cls.addClassCleanup(cls.lab.down)
        cls.original = cls.lab.fc_interval()

    def setUp(self):
        self.procs = []

    def tearDown(self):
        # a failed test must not leave a live lease behind for the next ones: kill what still runs (our own
        # children, by pid) and clean it from its ledger, which also leaves the lease
        for mt in self.procs:
            if mt.proc.poll() is None:
                mt.signal(signal.SIGKILL)
                mt.wait(30)
                if mt.ledger_path().exists():
                    Mtvtest(self.lab, mt.work.name + "-cleanup").clean("--ledger", str(mt.ledger_path()))

    def start(self, name, *extra):
        mt = Mtvtest(self.lab, name)
        mt.start("run", *ONE, *extra)
        self.procs.append(mt)
        return mt

    def wait_holders(self, n, what):
        """Watch the ForkliftController until its lease lists n holders; returns their entries."""
        fc = self.lab.watch_until(FC_PATH, lambda o: o["metadata"]["name"] == "forklift-controller"
                                  and len(holders(o)) == n, 60, what)
        return holders(fc)

    def assertUntouched(self, run=None):
        fc = self.lab.get(FC)
        ann = (fc.get("metadata") or {}).get("annotations") or {}
        self.assertEqual(self.lab.fc_interval(), self.original, "interval not restored\n" +
                         (run.describe() if run else ""))
        self.assertNotIn(HOLDERS, ann)
        self.assertNotIn(ORIGINAL, ann)

    def assertNothingOfSession(self, sid, run):
        """lab.leftovers also counts any vSphere VM created since `up`: the clones of a run still going on
        are not this session's; clone names start with the session id."""
        self.assertTrue(sid, "no session id\n" + run.describe())
        left = [x for x in self.lab.leftovers(sid) if not x.startswith("vsphere VM ") or sid in x]
        self.assertEqual(left, [], "the lab still holds objects of session %s\n%s" % (sid, run.describe()))

    def assertPassed(self, run):
        self.assertExit(run, 0)
        self.assertAllStepsPassed(run, "test_sanity_warm_mtv_migration")
        self.assertNothingOfSession(run.session_id, run)

    def test_1_same_interval_overlap_both_pass_last_restores(self):
        reqs0 = self.lab.requests()
        a = self.start("same-a", *SLOW)
        held = self.wait_holders(1, "run A to take the lease")
        sid_a = held[0]["session"]
        self.assertEqual(held[0]["minutes"], 1)
        self.assertEqual(self.lab.fc_interval(), 1)
        b = self.start("same-b", *FAST)
        run_b = b.wait(300)
        self.assertPassed(run_b)
        self.assertIn("precopy interval: lease joined (1 minute(s))", run_b.err)
        # the premise: A was still running when B left, so B must have left the interval to A
        self.assertIsNone(a.proc.poll(), "run A ended before run B (test premise)\n" + run_b.describe())
        fc = self.lab.get(FC)
        self.assertEqual(self.lab.fc_interval(), 1, "B restored the interval under A's migration")
        self.assertEqual([h["session"] for h in holders(fc)], [sid_a])
        self.assertEqual(json.loads(fc["metadata"]["annotations"][ORIGINAL]), self.original)
        run_a = a.wait(300)
        self.assertPassed(run_a)
        self.assertEqual(run_a.session_id, sid_a)
        self.assertIn("precopy interval: lease taken (1 minute(s))", run_a.err)
        self.assertUntouched(run_a)
        # one write to take or join and one to leave per run, all PUTs with the resourceVersion
        reqs = self.lab.requests()
        self.assertEqual(reqs.get("PUT forkliftcontrollers", 0) - reqs0.get("PUT forkliftcontrollers", 0), 4,
                         {k: v for k, v in reqs.items() if "forkliftcontrollers" in k})
        self.assertEqual(reqs.get("PATCH forkliftcontrollers", 0), reqs0.get("PATCH forkliftcontrollers", 0))

    def test_2_other_interval_fails_fast_or_waits(self):
        a = self.start("diff-a", *SLOW)
        sid_a = self.wait_holders(1, "run A to take the lease")[0]["session"]
        # short provider_ready_timeout: fails with exit 3 naming A, nothing changed, nothing created
        c = Mtvtest(self.lab, "diff-fast").run(*ONE, *FAST, "--set", "snapshots_interval=2",
                                                "--set", "provider_ready_timeout=2", timeout=120)
        self.assertExit(c, 3)
        self.assertIn("precopy interval is held with another interval by session %s (1 minute(s)" % sid_a, c.err)
        self.assertIn("this run needs 2 minute(s)", c.err)
        self.assertIsNone(a.proc.poll(), "run A ended too early (test premise)\n" + c.describe())
        self.assertEqual(self.lab.fc_interval(), 1)
        self.assertEqual([h["session"] for h in holders(self.lab.get(FC))], [sid_a])
        self.assertNothingOfSession(c.ledger_session_id(), c)
        # default provider_ready_timeout: B waits for A to leave, then takes the lease with 2 minutes
        b = self.start("diff-wait", *FAST, "--set", "snapshots_interval=2")
        run_a = a.wait(300)
        run_b = b.wait(300)
        self.assertPassed(run_a)
        self.assertPassed(run_b)
        self.assertIn("precopy interval: waiting up to", run_b.err)
        self.assertIn("session %s (1 minute(s)" % sid_a, run_b.err)
        self.assertIn("precopy interval: lease taken (2 minute(s))", run_b.err)
        self.assertIn("precopy interval 2 minute(s), applied", run_b.err)
        self.assertUntouched(run_b)

    def test_3_sigkill_then_clean_ledger_leaves_the_other_holder(self):
        a = self.start("kill-a", *SLOW)
        sid_a = self.wait_holders(1, "run A to take the lease")[0]["session"]
        k = self.start("kill-k", "--set", "mins_before_cutover=2")
        held = self.wait_holders(2, "run K to join the lease")
        sid_k = [h["session"] for h in held if h["session"] != sid_a][0]
        k.signal(signal.SIGKILL)
        run_k = k.wait(60)
        self.assertEqual(run_k.rc, -signal.SIGKILL)
        self.assertEqual(run_k.ledger_session_id(), sid_k)
        self.assertIsNone(a.proc.poll(), "run A ended too early (test premise)")
        cl = Mtvtest(self.lab, "kill-clean").clean("--ledger", str(run_k.ledger_file))
        self.assertExit(cl, 0)
        self.assertNothingOfSession(sid_k, cl)
        fc = self.lab.get(FC)
        self.assertEqual(self.lab.fc_interval(), 1, "clean restored the interval under A\n" + cl.describe())
        self.assertEqual([h["session"] for h in holders(fc)], [sid_a], cl.describe())
        run_a = a.wait(300)
        self.assertPassed(run_a)
        self.assertUntouched(run_a)

    def test_4_sigkill_alone_then_clean_session_restores_the_original(self):
        k = self.start("alone-k", "--set", "mins_before_cutover=2", "--set", "snapshots_interval=3")
        sid_k = self.wait_holders(1, "run K to take the lease")[0]["session"]
        k.signal(signal.SIGKILL)
        run_k = k.wait(60)
        self.assertEqual(run_k.rc, -signal.SIGKILL)
        self.assertEqual(self.lab.fc_interval(), 3)
        cl = Mtvtest(self.lab, "alone-clean").clean("--session", sid_k)
        self.assertExit(cl, 0)
        self.assertNothingOfSession(sid_k, cl)
        self.assertUntouched(cl)
        log("clean --session restored the interval to %s" % self.lab.fc_interval())


if __name__ == "__main__":
    unittest.main()
