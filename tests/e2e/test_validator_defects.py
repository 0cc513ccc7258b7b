"""Issue 7: every validator can fail. One test per validator defect of CONTRACTS.md §6, against one lab
(the defect is cleared before each test; defects are read when a Plan execution begins): the run exits 1,
only test_check_vms fails (its JUnit failure names every failed validator), the set of failed validators in
results.json equals the table's set, and teardown still leaves nothing behind.

The scenario per defect is the one that exercises the validator: comprehensive has labels, affinity, a PVC
name template and static IPs (Windows); sanity has static IPs (Linux); 2disks2nics has two NICs."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, STEPS, E2ECase, Lab, Mtvtest  # noqa: E402

SCENARIO = {
    "sanity": "test_sanity_warm_mtv_migration",
    "2disks2nics": "test_mtv_migration_warm_2disks2nics",
    "comprehensive": "test_warm_migration_comprehensive",
}

# defect -> (keyword selecting the scenario, the validators that must fail) — CONTRACTS.md §6
DEFECTS = {
    "wrong-cpu": ("sanity", {"cpu"}),
    "wrong-memory": ("sanity", {"memory"}),
    "wrong-network": ("2disks2nics", {"network"}),
    "wrong-mac": ("sanity", {"network", "static_ip"}),
    "missing-disk": ("comprehensive", {"storage", "pvc_names"}),
    "wrong-storage-class": ("sanity", {"storage"}),
    "wrong-pvc-name": ("comprehensive", {"pvc_names"}),
    "wrong-serial": ("sanity", {"serial"}),
    "drop-labels": ("comprehensive", {"labels"}),
    "drop-affinity": ("comprehensive", {"affinity"}),
    "wrong-power-state": ("sanity", {"power_state"}),
    "no-guest-agent": ("sanity", {"guest_agent"}),
    "ssh-down": ("sanity", {"ssh", "static_ip"}),
    "static-ip-lost": ("sanity", {"static_ip"}),
    "insecure-mismatch": ("sanity", {"provider_ssl"}),
}

# validators that wait for something that a defect makes never happen: keep those waits short
SHORT_WAITS = ["--set", "guest_agent_timeout=15", "--set", "ssh_timeout=15", "--set", "static_ip_timeout=15"]


class ValidatorDefects(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start()
        cls.addClassCleanup(cls.lab.down)

    def setUp(self):
        self.lab.clear()
        self.fc_before = self.lab.fc_interval()

    def tearDown(self):
        self.lab.clear()

    def check_defect(self, defect):
        keyword, expected = DEFECTS[defect]
        scenario = SCENARIO[keyword]
        self.lab.defect(defect)
        self.assertEqual(self.lab.status()["defects_active"], [defect])
        run = Mtvtest(self.lab, defect).run("-k", keyword, *FAST, *SHORT_WAITS)
        self.assertExit(run, 1)
        self.assertEqual([s["name"] for s in run.results["scenarios"]], [scenario], run.describe())
        # only test_check_vms fails
        steps = {st["name"]: st["status"] for st in run.scenario(scenario)["steps"]}
        want = {s: "passed" for s in STEPS}
        want["test_check_vms"] = "failed"
        self.assertEqual(steps, want, run.describe())
        failed_cases = [c for c in run.cases if c["status"] != "passed"]
        self.assertEqual([c["name"].split("[")[0] for c in failed_cases], ["test_check_vms"], run.cases)
        # exactly the table's validators failed, and the JUnit failure names each
        self.assertEqual(run.failed_validators(scenario), expected,
                         "validators: %s\n%s" % (run.validators(scenario), run.describe()))
        for v in expected:
            self.assertRegex(failed_cases[0]["message"], r"\b%s\b" % v)
        if defect == "wrong-power-state":
            # the checks that need a running guest are skipped, saying why
            vals = run.validators(scenario)
            for name in ("ssh", "static_ip"):
                self.assertIn(name, vals)
                for status, msg, _ in vals[name]:
                    self.assertEqual(status, "skip", vals[name])
                    self.assertTrue(msg.strip(), "skip without a reason: %s" % name)
        # teardown still leaves nothing behind
        self.assertNothingLeft(self.lab, run.session_id, run)
        self.assertFcRestored(self.lab, self.fc_before, run)
        self.assertNoSecret(run, self.lab)


def _make(defect):
    def test(self):
        self.check_defect(defect)
    test.__doc__ = "defect %s -> failing %s" % (defect, sorted(DEFECTS[defect][1]))
    return test


for _d in DEFECTS:
    setattr(ValidatorDefects, "test_" + _d.replace("-", "_"), _make(_d))


if __name__ == "__main__":
    unittest.main()
