"""Issue 6: with preserve_static_ips, the runner decides which source IPs are static from VMware Tools'
`origin` when it is known, otherwise by asking NetworkManager in the Linux guest over SSH. A lab started
with `--linux-ip-origin unknown` has Linux guests report no origin, as open-vm-tools does on a real
vCenter: the sanity scenario (RHEL 8, static IP, preserve_static_ips) must still find its static IP and
pass static_ip, and a lost static IP must still fail it."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_support import FAST, E2ECase, Lab, Mtvtest  # noqa: E402

SANITY = "test_sanity_warm_mtv_migration"
SHORT_WAITS = ["--set", "ssh_timeout=20", "--set", "static_ip_timeout=20"]


class IpOriginFromGuest(E2ECase):
    @classmethod
    def setUpClass(cls):
        cls.lab = Lab.start(up_args=("--linux-ip-origin", "unknown"))
        cls.addClassCleanup(cls.lab.down)

    def tearDown(self):
        self.lab.clear()

    def test_static_ip_found_through_the_guest(self):
        run = Mtvtest(self.lab, "origin-pass").run("-k", "sanity", *FAST, *SHORT_WAITS)
        self.assertExit(run, 0)
        self.assertIn("IP origin(s) from NetworkManager in the guest", run.err, run.describe())
        vals = run.validators(SANITY)
        self.assertEqual([s for s, _, _ in vals["static_ip"]], ["pass"], vals)
        self.assertNothingLeft(self.lab, run.session_id, run)

    def test_lost_static_ip_still_fails(self):
        self.lab.defect("static-ip-lost")
        run = Mtvtest(self.lab, "origin-lost").run("-k", "sanity", *FAST, *SHORT_WAITS)
        self.assertExit(run, 1)
        self.assertEqual(run.failed_validators(SANITY), {"static_ip"}, run.describe())
        self.assertNothingLeft(self.lab, run.session_id, run)


if __name__ == "__main__":
    unittest.main()
