"""lab/mtvlab: up (with vcsim and the controllers), files, status, defect, fault, requests, dump, down;
no credential in any output; down leaves no process and no port; a dying daemon makes up fail."""

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import MTVLAB  # noqa: E402


def port_open(port):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return not Path("/proc/%d/stat" % pid).read_text().split(") ", 1)[1].startswith("Z")
    except OSError:
        return False


class CliTest(unittest.TestCase):
    outputs = []

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mtvlab-cli-")
        cls.dir = Path(cls.tmp) / "lab"
        cls.kubecache = tempfile.mkdtemp(prefix="kubecache-", dir=cls.tmp)
        r = cls.run_cli("up", "--minute", "1")
        if r.returncode != 0:
            raise AssertionError("mtvlab up failed: %s %s" % (r.stdout, r.stderr))
        cls.creds = json.loads((cls.dir / "credentials.json").read_text())

    @classmethod
    def tearDownClass(cls):
        cls.run_cli("down")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def run_cli(cls, *args, env=None, dir=None):
        e = dict(os.environ)
        e.update(env or {})
        r = subprocess.run([str(MTVLAB)] + list(args) + ["--dir", str(dir or cls.dir)], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300, env=e)
        cls.outputs.append(r.stdout + r.stderr)
        return r

    def kubectl(self, *args):
        env = dict(os.environ, KUBECONFIG=str(self.dir / "kubeconfig"), KUBECACHEDIR=self.kubecache)
        r = subprocess.run(["kubectl"] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           env=env, timeout=60)
        self.outputs.append(r.stdout + r.stderr)
        return r

    def status(self):
        r = self.run_cli("status", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def test_1_files(self):
        d = self.dir
        for name in ("kubeconfig", "providers.json", "settings.yaml", "env", "ca.crt", "lab.log", "admin-token"):
            self.assertTrue((d / name).is_file(), name)
        for name in ("ca.key", "credentials.json", "admin-token", "kubeconfig", "providers.json", "settings.yaml"):
            self.assertEqual(stat.S_IMODE((d / name).stat().st_mode), 0o600, name)
        for k, v in self.creds.items():
            self.assertGreaterEqual(len(v), 16, k)
        prov = json.loads((d / "providers.json").read_text())
        first_key = next(iter(prov))
        first = prov[first_key]
        self.assertEqual(first["type"], "vsphere")
        for f in ("version", "fqdn", "api_url", "username", "password", "cacert", "guest_vm_linux_user",
                  "guest_vm_linux_password", "guest_vm_win_user", "guest_vm_win_password", "guest_ssh_port",
                  "copyoffload"):
            self.assertIn(f, first)
        self.assertEqual(first["copyoffload"]["storage_vendor_product"], "ontap")
        self.assertEqual(first["copyoffload"]["datastore_id"], "LocalDS_1")
        self.assertEqual({p["type"] for p in prov.values()}, {"vsphere", "ovirt", "openstack", "openshift", "ova"})
        st = self.status()
        self.assertEqual(first["api_url"], st["vcenter_url"])
        self.assertTrue(port_open(st["vcenter_port"]))
        import yaml
        settings = yaml.safe_load((d / "settings.yaml").read_text())
        self.assertEqual(settings["source_provider"], first_key)
        self.assertEqual(settings["cluster_host"], st["api_url"])
        self.assertIn(settings["remote_ocp_cluster"], settings["cluster_host"])
        env = (d / "env").read_text()
        self.assertIn("KUBECONFIG=%s" % (d / "kubeconfig"), env)
        self.assertIn("PROVIDERS_JSON_PATH=%s" % (d / "providers.json"), env)
        sc = self.kubectl("get", "storageclass", settings["storage_class"], "-o", "name")
        self.assertEqual(sc.returncode, 0, sc.stderr)

    def test_2_kubectl_and_requests(self):
        r = self.kubectl("get", "plans", "-A")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.kubectl("get", "forkliftcontroller", "-n", "openshift-mtv", "-o", "name")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cli("requests", "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        counts = json.loads(r.stdout)
        self.assertGreaterEqual(counts.get("LIST plans", 0), 1)
        self.assertGreaterEqual(counts.get("LIST forkliftcontrollers", 0), 1)
        r = self.run_cli("requests")
        self.assertIn("LIST plans", r.stdout)

    def test_3_defects_and_faults(self):
        r = self.run_cli("defect", "no-such-defect")
        self.assertEqual(r.returncode, 2)
        self.assertIn("wrong-cpu", r.stderr)  # lists the known ones
        self.assertEqual(self.run_cli("defect", "wrong-cpu").returncode, 0)
        self.assertEqual(self.run_cli("defect", "drop-labels").returncode, 0)
        self.assertEqual(sorted(self.status()["defects_active"]), ["drop-labels", "wrong-cpu"])
        self.assertEqual(self.run_cli("defect", "clear").returncode, 0)
        self.assertEqual(self.status()["defects_active"], [])
        self.assertEqual(self.run_cli("fault", "bogus").returncode, 2)
        self.assertEqual(self.run_cli("fault", "slow").returncode, 0)
        r = self.kubectl("get", "ns", "default", "-o", "name")
        self.assertEqual(r.returncode, 0, r.stderr)
        st = self.status()
        self.assertEqual(st["faults_active"], ["slow"])
        self.assertGreaterEqual(st["faults_fired"].get("slow", 0), 1)
        self.assertEqual(self.run_cli("fault", "clear").returncode, 0)
        self.assertEqual(self.status()["faults_active"], [])
        r = self.run_cli("status")
        self.assertIn("running", r.stdout)

    def test_4_dump(self):
        r = self.run_cli("dump")
        self.assertEqual(r.returncode, 0, r.stderr)
        d = json.loads(r.stdout)
        self.assertIn("default", [o["metadata"]["name"] for o in d["namespaces"]])
        for s in d.get("secrets", []):
            for v in (s.get("data") or {}).values():
                self.assertEqual(v, "<redacted>")

    def test_5_up_refuses_a_second_lab(self):
        r = self.run_cli("up")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("already runs", r.stderr)
        self.assertTrue(self.status()["running"])

    def test_6_no_credential_in_any_output(self):
        text = "\n".join(self.outputs)
        self.assertTrue(text)
        for k, v in self.creds.items():
            self.assertNotIn(v, text, k)
        log = (self.dir / "lab.log").read_text()
        for k, v in self.creds.items():
            self.assertNotIn(v, log, k)

    def test_7_down_leaves_nothing(self):
        st = self.status()
        pids = [st["daemon_pid"], st["vcsim_pid"]]
        ports = [st["api_port"], st["vcenter_port"]]
        r = self.run_cli("down")
        self.assertEqual(r.returncode, 0, r.stderr)
        for pid in pids:
            self.assertFalse(pid_alive(pid), pid)
        for port in ports:
            self.assertFalse(port_open(port), port)
        r = self.run_cli("status", "--json")
        self.assertEqual(r.returncode, 3)
        self.assertFalse(json.loads(r.stdout)["running"])
        self.assertEqual(self.run_cli("down").returncode, 0)  # idempotent


class CliFailureTest(unittest.TestCase):
    def test_up_fails_with_the_log_tail_when_the_daemon_dies(self):
        tmp = tempfile.mkdtemp(prefix="mtvlab-cli-fail-")
        try:
            d = Path(tmp) / "lab"
            env = dict(os.environ, MTV_VCSIM="/bin/false")
            r = subprocess.run([str(MTVLAB), "up", "--dir", str(d)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, timeout=120, env=env)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("exited", r.stderr)
            self.assertIn("vcsim", r.stderr)  # the log tail names the cause
            self.assertFalse((d / "daemon.pid").exists())
            r = subprocess.run([str(MTVLAB), "status", "--dir", str(d)], stdout=subprocess.PIPE, text=True)
            self.assertEqual(r.returncode, 3)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_down_while_up_is_starting(self):
        tmp = tempfile.mkdtemp(prefix="mtvlab-cli-abort-")
        try:
            d = Path(tmp) / "lab"
            fake = Path(tmp) / "never-ready-vcsim"
            fake.write_text("#!/bin/sh\nexec sleep 600\n")
            fake.chmod(0o755)
            env = dict(os.environ, MTV_VCSIM=str(fake))
            up = subprocess.Popen([str(MTVLAB), "up", "--dir", str(d)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
            # the daemon writes vcsim.pid right after starting it, then waits for its ready file
            deadline = time.monotonic() + 60
            while not (d / "vcsim.pid").exists() and up.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertTrue((d / "vcsim.pid").exists())
            vpid = int((d / "vcsim.pid").read_text())
            dpid = int((d / "daemon.pid").read_text())
            r = subprocess.run([str(MTVLAB), "down", "--dir", str(d)], stdout=subprocess.PIPE, text=True, timeout=60)
            self.assertEqual(r.returncode, 0)
            out, err = up.communicate(timeout=60)
            self.assertNotEqual(up.returncode, 0)
            self.assertFalse(pid_alive(dpid))
            self.assertFalse(pid_alive(vpid))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
