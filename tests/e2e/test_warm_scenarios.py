"""Issue 6 (and the last test of issue 7): the five warm scenarios pass against a fresh lab.

One run of `mtvtest run --marker warm` with the lab's files (the remote scenario against the lab's remote
settings); afterwards nothing of the session is left (cluster objects, vSphere clones), the
ForkliftController's interval has its old value, no credential is printed; the comprehensive scenario
reports every validator that applies to it as passed (not skipped)."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, STEPS, VALIDATORS, WARM_SCENARIOS, E2ECase, Lab, Mtvtest  # noqa: E402

COPYOFFLOAD_STEPS = ("test_create_storagemap", "test_create_networkmap", "test_create_plan", "test_migrate_vms",
                     "test_check_xcopy_used", "test_check_vms")
# Validators that cannot apply to the comprehensive scenario: fresh clones have no snapshots (§3.9) and the
# disk count check is copy-offload only (§3.18). Every other one must pass.
NOT_APPLICABLE_COMPREHENSIVE = {"snapshots", "disk_count"}


class FiveWarmScenarios(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start()
        cls.addClassCleanup(cls.lab.down)
        cls.fc_before = cls.lab.fc_interval()
        cls.mt = Mtvtest(cls.lab, "warm")
        cls.run_ = cls.mt.run("--marker", "warm", *FAST, timeout=900)

    def test_exit_0(self):
        self.assertExit(self.run_, 0)
        self.assertEqual(self.run_.results.get("exit_code"), 0)

    def test_every_step_passed(self):
        names = [s["name"] for s in self.run_.results["scenarios"]]
        self.assertEqual(sorted(names), sorted(WARM_SCENARIOS), self.run_.describe())
        for sc in WARM_SCENARIOS:
            with self.subTest(scenario=sc):
                self.assertAllStepsPassed(self.run_, sc,
                                          COPYOFFLOAD_STEPS if sc == "test_copyoffload_warm_migration" else STEPS)

    def test_junit_suites_and_properties(self):
        self.assertEqual(len(self.run_.suites), len(WARM_SCENARIOS), self.run_.suites)
        for suite in self.run_.suites:
            with self.subTest(suite=suite["name"]):
                props = suite["properties"]
                self.assertEqual(props.get("session_id"), self.run_.session_id)
                self.assertEqual(props.get("source_provider"), self.lab.vsphere_key)
                self.assertEqual(props.get("storage_class"), self.lab.settings["storage_class"])

    def test_nothing_left_behind(self):
        self.assertNothingLeft(self.lab, self.run_.session_id, self.run_)

    def test_forklift_controller_restored(self):
        self.assertFcRestored(self.lab, self.fc_before, self.run_)

    def test_ledger_all_gone_and_remote_provider_used(self):
        led = json.loads(self.run_.ledger_file.read_text())
        sid = self.run_.session_id
        self.assertEqual(led["session_id"], sid)
        self.assertEqual([o for o in led["objects"] if o.get("state") != "gone"], [], "ledger entries not gone")
        # the remote scenario ran against the lab's remote settings: its own destination Provider (URL + token)
        remote = [o for o in led["objects"] if o.get("scenario") == "test_warm_remote_ocp" and o["kind"] == "Provider"]
        self.assertEqual([o["name"] for o in remote], ["%s-destination-ocp-provider" % sid], led["objects"])
        clones = {o.get("scenario") for o in led["objects"] if o["kind"] == "vsphere.VirtualMachine"}
        self.assertEqual(clones, set(WARM_SCENARIOS), "one clone per scenario")

    def test_one_patch_and_one_restore_of_the_forklift_controller(self):
        # the precopy lease (docs/run.md): taking it and leaving it are one PUT each (with the
        # resourceVersion) when the run is alone; no PATCH of the controller any more
        reqs = self.lab.requests()
        fc = {k: v for k, v in reqs.items() if "forkliftcontrollers" in k}
        self.assertEqual(reqs.get("PUT forkliftcontrollers"), 2, "one take and one leave per run: %s" % fc)
        self.assertEqual(reqs.get("PATCH forkliftcontrollers", 0), 0, fc)

    def test_no_credential_in_output(self):
        self.assertNoSecret(self.run_, self.lab)

    def test_comprehensive_validators_all_pass(self):
        v = self.run_.validators("test_warm_migration_comprehensive")
        self.assertTrue(v, "no validator results\n" + self.run_.describe())
        unknown = set(v) - set(VALIDATORS)
        self.assertEqual(unknown, set(), "non-canonical validator names")
        for name in VALIDATORS:
            if name in NOT_APPLICABLE_COMPREHENSIVE:
                continue
            with self.subTest(validator=name):
                self.assertIn(name, v, "validator %s did not report\n%s" % (name, self.run_.describe()))
                self.assertEqual({s for s, _, _ in v[name]}, {"pass"}, "%s: %s" % (name, v[name]))

    def test_precopies_and_cutover_recorded(self):
        for sc in ("test_sanity_warm_mtv_migration", "test_warm_migration_comprehensive"):
            with self.subTest(scenario=sc):
                vms = self.run_.scenario(sc).get("vms") or []
                self.assertTrue(vms, "no VM record for %s" % sc)
                for vm in vms:
                    self.assertGreaterEqual(len(vm.get("precopies") or []), 1, vm)
                    self.assertTrue(vm.get("cutover"), vm)


if __name__ == "__main__":
    unittest.main()
