"""e2e: the kube client (through tests/e2e/tool_kube) against the lab.

Starts its own lab (lab/mtvlab up --dir TMP), drives tool_kube from the build
directory ($MTV_BINARY_DIR/tests/tool_kube) and stops the lab by its own CLI
(which kills by pid). Covers create/get/patch/list/watch/delete of a
namespace, a secret and a Forklift Provider, waiting by watch, a watch that
survives the server cutting the stream, OAuth login and Status errors.
"""
import json
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest

SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("MTV_BINARY_DIR", os.path.join(SRC, "build"))
TOOL = os.path.join(BIN, "tests", "tool_kube")
MTVLAB = os.path.join(SRC, "lab", "mtvlab")


def read_until(proc, stream_name, needle, deadline_s):
    """Read lines of proc's stdout/stderr until one contains needle."""
    stream = getattr(proc, stream_name)
    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    seen = []
    end = time.monotonic() + deadline_s
    try:
        while time.monotonic() < end:
            if not sel.select(timeout=end - time.monotonic()):
                continue
            line = stream.readline()
            if not line:
                break
            seen.append(line)
            if needle in line:
                return seen
    finally:
        sel.close()
    raise AssertionError("%r not seen in %s: %r" % (needle, stream_name, seen))


class KubeClientE2E(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="mtv-kube-e2e-")
        cls.lab = os.path.join(cls.dir, "lab")
        subprocess.run([MTVLAB, "up", "--dir", cls.lab, "--minute", "1"],
                       check=True, stdout=subprocess.DEVNULL, timeout=120)
        cls.kubeconfig = os.path.join(cls.lab, "kubeconfig")

    @classmethod
    def tearDownClass(cls):
        subprocess.run([MTVLAB, "down", "--dir", cls.lab],
                       stdout=subprocess.DEVNULL, timeout=60)
        shutil.rmtree(cls.dir, ignore_errors=True)

    def tool(self, *args, check=True, stats=False):
        cmd = [TOOL, "--kubeconfig", self.kubeconfig]
        cmd += ["--stats"] if stats else []
        p = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           timeout=120)
        if check and p.returncode != 0:
            self.fail("tool_kube %s: exit %d: %s" % (args, p.returncode, p.stderr))
        return p

    def popen(self, *args):
        return subprocess.Popen([TOOL, "--kubeconfig", self.kubeconfig,
                                 "--verbose"] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    def lab_cli(self, *args):
        subprocess.run([MTVLAB] + list(args) + ["--dir", self.lab], check=True,
                       stdout=subprocess.DEVNULL, timeout=60)

    def new_namespace(self, name):
        out = self.tool("create", "Namespace", "-",
                        json.dumps({"metadata": {"name": name,
                                                 "labels": {"e2e": "kube"}}}))
        self.assertEqual(out.stdout.strip(), name)
        self.tool("wait", "Namespace", "-", name, "phase=Active", "30")

    def test_namespace_secret_provider_crud(self):
        ns = "kube-e2e-crud"
        self.new_namespace(ns)
        # a secret with generateName, read back, patched, listed by label
        name = self.tool("create", "Secret", ns, json.dumps({
            "metadata": {"generateName": "creds-", "labels": {"app": "e2e"}},
            "stringData": {"user": "u"}})).stdout.strip()
        self.assertTrue(name.startswith("creds-") and len(name) == 11, name)
        got = json.loads(self.tool("get", "Secret", ns, name).stdout)
        self.assertEqual(got["metadata"]["labels"]["app"], "e2e")
        rv = self.tool("patch", "Secret", ns, name,
                       '{"metadata":{"labels":{"patched":"yes"}}}').stdout.strip()
        self.assertNotEqual(rv, got["metadata"]["resourceVersion"])
        names = self.tool("list", "Secret", ns, "app=e2e,patched=yes").stdout.split()
        self.assertEqual(names, [name])
        # a Forklift Provider
        prov = {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                "metadata": {"name": "e2e-vsphere"},
                "spec": {"type": "vsphere", "url": "https://127.0.0.1:1/sdk",
                         "secret": {"name": name, "namespace": ns}}}
        self.assertEqual(self.tool("create", "Provider", ns,
                                   json.dumps(prov)).stdout.strip(), "e2e-vsphere")
        self.tool("wait", "Provider", ns, "e2e-vsphere", "exists", "30")
        self.tool("patch", "Provider", ns, "e2e-vsphere",
                  '{"metadata":{"annotations":{"e2e":"1"}}}')
        got = json.loads(self.tool("get", "Provider", ns, "e2e-vsphere").stdout)
        self.assertEqual(got["metadata"]["annotations"]["e2e"], "1")
        # Status errors reach the user: 409, 404, 422
        dup = self.tool("create", "Provider", ns, json.dumps(prov), check=False)
        self.assertEqual(dup.returncode, 1)
        self.assertIn("AlreadyExists", dup.stderr)
        self.tool("delete", "Provider", ns, "e2e-vsphere")
        self.tool("wait", "Provider", ns, "e2e-vsphere", "gone", "30")
        miss = self.tool("get", "Provider", ns, "e2e-vsphere", check=False)
        self.assertEqual(miss.returncode, 1)
        self.assertIn("HTTP 404 NotFound", miss.stderr)
        bad = dict(prov, spec={"type": "not-a-type"})
        inv = self.tool("create", "Provider", ns, json.dumps(bad), check=False)
        self.assertEqual(inv.returncode, 1)
        self.assertIn("HTTP 422 Invalid", inv.stderr)
        self.tool("delete", "Secret", ns, name)
        self.tool("delete", "Namespace", "-", ns)
        self.tool("wait", "Namespace", "-", ns, "gone", "30")

    def test_wait_gone_sees_the_deleted_event(self):
        ns = "kube-e2e-wait"
        self.new_namespace(ns)
        self.tool("create", "Secret", ns, json.dumps({
            "metadata": {"name": "held", "finalizers": ["e2e.mtvtest.io/hold"]}}))
        self.tool("delete", "Secret", ns, "held")
        waiter = self.popen("wait", "Secret", ns, "held", "gone", "30")
        try:
            # the object still exists (finalizer): the waiter starts watching
            read_until(waiter, "stderr", "watching from resourceVersion", 20)
            self.tool("patch", "Secret", ns, "held", '{"metadata":{"finalizers":null}}')
            self.assertEqual(waiter.wait(timeout=30), 0)
        finally:
            if waiter.poll() is None:
                waiter.kill()
                waiter.wait()
            waiter.stdout.close()
            waiter.stderr.close()
        self.tool("delete", "Namespace", "-", ns)

    def test_watch_survives_the_server_closing_the_stream(self):
        ns = "kube-e2e-watch"
        self.new_namespace(ns)
        self.lab_cli("fault", "watch-drop")
        watcher = self.popen("watch", "Secret", ns, "2", "60")
        try:
            self.tool("create", "Secret", ns, '{"metadata":{"name":"w1"}}')
            read_until(watcher, "stdout", "ADDED w1", 20)
            # the lab cuts the stream; the client resumes from the last RV
            read_until(watcher, "stderr", "stream ended, resuming", 20)
            self.tool("create", "Secret", ns, '{"metadata":{"name":"w2"}}')
            read_until(watcher, "stdout", "ADDED w2", 20)
            self.assertEqual(watcher.wait(timeout=30), 0)
        finally:
            self.lab_cli("fault", "clear")
            if watcher.poll() is None:
                watcher.kill()
                watcher.wait()
            watcher.stdout.close()
            watcher.stderr.close()
        self.tool("delete", "Namespace", "-", ns)

    def test_namespace_cycle_cost(self):
        p = self.tool("nscycle", "kube-e2e-cycle", "30", stats=True)
        stats = json.loads(p.stderr.strip().splitlines()[-1])
        # create, list (Active), delete, list (gone) -- at most a watch more
        # per wait; one TLS connection for everything
        self.assertLessEqual(stats["requests"], 6)
        self.assertEqual(stats["connects"], 1)
        self.assertEqual(stats["retries"], 0)
        print("\nnscycle cost: %s" % json.dumps(stats))

    def test_oauth_login_gives_a_working_token(self):
        import yaml
        with open(os.path.join(self.lab, "settings.yaml")) as f:
            s = yaml.safe_load(f)
        pwfile = os.path.join(self.dir, "pw")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(s["cluster_password"] + "\n")
        p = self.tool("--oauth", s["cluster_host"], s["cluster_username"], pwfile,
                      "get", "Namespace", "-", "default")
        self.assertEqual(json.loads(p.stdout)["metadata"]["name"], "default")
        self.assertNotIn(s["cluster_password"], p.stdout + p.stderr)
        with open(pwfile, "w") as f:
            f.write("wrong-password-for-test\n")
        bad = self.tool("--oauth", s["cluster_host"], s["cluster_username"], pwfile,
                        "get", "Namespace", "-", "default", check=False)
        self.assertEqual(bad.returncode, 3)
        self.assertIn("OAuth login", bad.stderr)
        self.assertIn("HTTP 401", bad.stderr)

    def test_port_forward_upgrade(self):
        ns = "kube-e2e-pf"
        self.new_namespace(ns)
        # a TCP service that greets first, like sshd; virt-api dials the
        # VMI's first interface IP (here loopback) on the requested port
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(1)
        port = ls.getsockname()[1]

        def greet():
            c, _ = ls.accept()
            with c:
                c.sendall(b"SSH-2.0-e2e-banner\r\n")
                c.recv(64)
        t = threading.Thread(target=greet, daemon=True)
        t.start()
        vmi = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachineInstance",
               "metadata": {"name": "vmi1"}, "spec": {"domain": {"devices": {}}},
               "status": {"phase": "Running",
                          "interfaces": [{"name": "default", "ipAddress": "127.0.0.1"}]}}
        self.tool("create", "VirtualMachineInstance", ns, json.dumps(vmi))
        try:
            out = self.tool("portforward", ns, "vmi1", str(port)).stdout.splitlines()
        finally:
            ls.close()
        # 101 with the RFC 6455 accept for the sample key, then the banner
        # as the payload of a binary frame
        self.assertEqual(out[0], "101 s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        self.assertEqual(out[1], "opcode=2 SSH-2.0-e2e-banner")
        miss = self.tool("portforward", ns, "nope", "22", check=False)
        self.assertEqual(miss.returncode, 1)
        self.assertIn('HTTP 404 NotFound: virtualmachineinstance.kubevirt.io "nope" not found',
                      miss.stderr)
        self.tool("delete", "Namespace", "-", ns)

    def test_transient_faults_are_retried(self):
        self.lab_cli("fault", "http-429")
        self.lab_cli("fault", "reset")
        try:
            for _ in range(3):
                p = self.tool("list", "Namespace", "-", stats=True)
                self.assertIn("default", p.stdout.split())
        finally:
            self.lab_cli("fault", "clear")


if __name__ == "__main__":
    unittest.main()
