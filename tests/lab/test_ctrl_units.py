"""In-process tests of controller pieces that need no lab: the Go template subset, the guests' command
answers (formats the runner parses), the port-forward framing, and the inventory's 206/404/401 answers."""
import ipaddress
import os
import re
import sys
import threading
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "lab"))

from labsim import guests, inventory, portforward  # noqa: E402
from labsim.controllers import gotmpl  # noqa: E402

PROFILE = {"hostname": "rhel8.lab", "windows": False, "migrated": True, "nics": [
    {"mac": "00:50:56:8a:12:34", "addrs": [("127.42.1.1", 24)], "gateway": "127.42.1.254", "dns": ["127.42.1.254"],
     "dhcp": False},
    {"mac": "00:50:56:8a:56:78", "addrs": [("10.200.1.11", 24)], "gateway": "10.200.1.1", "dns": ["10.0.0.2"],
     "dhcp": True}]}


class Templates(unittest.TestCase):
    def test_forklift_default_and_comprehensive(self):
        self.assertEqual(gotmpl.render("{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{.DiskIndex}}",
                                       {"PlanName": "auto-ab12-source-plan", "TargetVmName": "mtv-tests-rhel8-x",
                                        "DiskIndex": 1}), "auto-ab12-sourc-mtv-tests-rhel8-disk-1")
        self.assertEqual(gotmpl.render('{{ .FileName | trimSuffix ".vmdk" | replace "_" "-" }}-{{.DiskIndex}}',
                                       {"FileName": "mtv_win_2.vmdk", "DiskIndex": 2}), "mtv-win-2-2")
        self.assertEqual(gotmpl.render("{{- printf \"%s-%d\" .VmName .DiskIndex | upper -}}",
                                       {"VmName": "a", "DiskIndex": 3}), "A-3")
        self.assertEqual(gotmpl.render("{{ if eq .DiskIndex 0 }}root{{ else }}d{{ add1 .DiskIndex }}{{ end }}",
                                       {"DiskIndex": 0}), "root")

    def test_errors(self):
        for bad in ("{{ .Nope }}", "{{ nosuchfunc .VmName }}", "{{ if .VmName }}x", "{{ trunc }}"):
            with self.assertRaises(gotmpl.TemplateError, msg=bad):
                gotmpl.render(bad, {"VmName": "v"})


class GuestAnswers(unittest.TestCase):
    def test_nmcli_blocks(self):
        out = guests.nmcli(PROFILE)
        blocks = out.strip().split("\n\n")
        self.assertEqual(len(blocks), 3)  # two NICs and lo
        first = dict(re.match(r"^(\S+):\s+(.*)$", line).groups() for line in blocks[0].splitlines())
        self.assertEqual(first["GENERAL.HWADDR"], "00:50:56:8A:12:34")
        self.assertEqual(first["GENERAL.STATE"], "100 (connected)")
        self.assertEqual(first["IP4.ADDRESS[1]"], "127.42.1.1/24")
        self.assertEqual(first["IP4.GATEWAY"], "127.42.1.254")
        for line in blocks[0].splitlines():
            self.assertEqual(line.index(line.split(":", 1)[1].strip()), 40)  # values start at column 40
        self.assertIn("GENERAL.DEVICE:                         lo", blocks[2])

    def test_ipconfig_layout(self):
        p = dict(PROFILE, windows=True, migrated=False)
        out = guests.ipconfig(p)
        self.assertIn("\r\n", out)
        lines = out.split("\r\n")
        self.assertIn("Ethernet adapter Ethernet0:", lines)
        fields = [l for l in lines if l.startswith("   ") and " : " in l]
        self.assertTrue(all(l.index(" : ") == 36 for l in fields), fields)
        self.assertIn("   Physical Address. . . . . . . . . : 00-50-56-8A-12-34", lines)
        self.assertIn("   IPv4 Address. . . . . . . . . . . : 127.42.1.1(Preferred)", lines)
        self.assertIn("   Subnet Mask . . . . . . . . . . . : %s" % ipaddress.IPv4Network("0.0.0.0/24").netmask, lines)
        self.assertIn("   Default Gateway . . . . . . . . . : 127.42.1.254", lines)

    def test_commands(self):
        self.assertEqual(guests.run_command(PROFILE, "true"), ("", "", 0))
        self.assertEqual(guests.run_command(PROFILE, "echo test"), ("test\n", "", 0))
        self.assertEqual(guests.run_command(PROFILE, "hostname"), ("rhel8.lab\n", "", 0))
        self.assertEqual(guests.run_command(PROFILE, "ls /cloud-init.finish")[2], 0)
        self.assertEqual(guests.run_command(PROFILE, "rm -rf /")[2], 127)
        win = dict(PROFILE, windows=True)
        self.assertNotEqual(guests.run_command(win, "nmcli device show")[2], 0)
        self.assertEqual(guests.run_command(win, "ipconfig /all")[2], 0)


class Framing(unittest.TestCase):
    def test_accept_key_rfc_vector(self):
        self.assertEqual(portforward.accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")

    def test_gorilla_fragmentation(self):
        small = portforward.data_frames(b"x" * 100)
        self.assertEqual(small[:2], b"\x82\x64")
        mid = portforward.data_frames(b"x" * 15000)
        self.assertEqual(mid[0], 0x02)  # FIN=0, binary
        self.assertEqual(mid[4 + 10240], 0x80)  # FIN=1, continuation
        big = portforward.data_frames(b"x" * 30000)
        self.assertEqual((big[0], big[-2], big[-1]), (0x02, 0x80, 0x00))  # then an empty final continuation

    def test_parser_unmasks(self):
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(b"hello"))
        frames = portforward.Parser().feed(b"\x82\x85" + key + payload)
        self.assertEqual(frames, [(True, 2, True, b"hello")])

    def test_requested_port(self):
        class R:
            subpath = ["22", "tcp"]
        self.assertEqual(portforward.requested_port(R()), (22, "tcp"))


class InventoryAnswers(unittest.TestCase):
    def setUp(self):
        class Tokens:
            def valid(self, t):
                return t == "good"

        class Ctx:
            tokens = Tokens()
        prov = {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                "metadata": {"name": "vc", "namespace": "ns", "uid": "u-1", "resourceVersion": "1"},
                "spec": {"type": "vsphere", "url": "https://x/sdk"}}
        self.inv = inventory.Inventory(Ctx(), lambda: [prov])

        class Loading:
            loaded = threading.Event()
            model = None
        self.inv.collectors["u-1"] = Loading()
        self.old = inventory.LOAD_WAIT
        inventory.LOAD_WAIT = 0.05

    def tearDown(self):
        inventory.LOAD_WAIT = self.old

    def test_answers(self):
        self.assertEqual(self.inv.handle("/providers/vsphere", "Bearer bad")[0], 401)
        code, body, _ = self.inv.handle("/providers/vsphere", "Bearer good")
        self.assertEqual((code, body[0]["id"], body[0]["uid"], body[0]["name"]), (200, "u-1", "u-1", "vc"))
        self.assertEqual(self.inv.handle("/providers/vsphere/u-1/vms", "Bearer good")[0], 206)
        code, _, headers = self.inv.handle("/providers/vsphere/nope/vms", "Bearer good")
        self.assertEqual((code, headers.get("X-Reason")), (404, "ProviderNotFound"))
        self.assertEqual(self.inv.handle("/providers/vsphere/u-1/vms?detail=x", "Bearer good")[0], 400)


if __name__ == "__main__":
    unittest.main()
