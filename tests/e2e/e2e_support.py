"""Shared helpers of the end-to-end tests (tests/e2e/test_*.py): `mtvtest` against a real lab.

- `Lab`: `lab/mtvlab up --dir TMP --minute M` ... `down` (the lab's own CLI, killed by pid by the lab itself),
  defects, `dump`, the ForkliftController interval, the vSphere VMs of the lab's vcsim (pyVmomi), a watch on
  the Kubernetes API with a deadline (to signal mtvtest in the middle of a migration without sleeping).
- `Mtvtest`: one `build/mtvtest` invocation with the lab's files; returns a `Run` (exit code, stdout, stderr,
  `results.json`, the JUnit testcases, the ledger).
- `E2ECase`: assertions shared by the test classes (every step passed, nothing left behind, no secret in the
  output, the failed validators of one scenario).

Everything is started by the tests themselves and stopped in cleanup; processes are only ever signalled by pid.
Timeouts come from the lab's `settings.yaml` (short) plus the overrides in `FAST`.
"""
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
MTVLAB = REPO / "lab" / "mtvlab"
PY = "/usr/bin/python3"
BINARY_DIR = Path(os.environ.get("MTV_BINARY_DIR") or (REPO / "build"))
MTVTEST = Path(os.environ.get("MTVTEST") or (BINARY_DIR / "mtvtest"))
SESSION_LABEL = "mtvtest.io/session"
FORKLIFT = "/apis/forklift.konveyor.io/v1beta1"

# Seconds per controller minute. snapshots_interval is 1 (minute) in the lab's settings, so precopies come
# every MINUTE seconds; the cutover is absolute (mins_before_cutover real minutes).
MINUTE = float(os.environ.get("MTV_E2E_MINUTE", "0.2"))
# Overrides on top of the lab's settings.yaml that keep one scenario short.
FAST = ["--set", "mins_before_cutover=0.05"]

VALIDATORS = ("provider_ssl", "power_state", "cpu", "memory", "network", "storage", "pvc_names", "snapshots",
              "labels", "affinity", "serial", "guest_agent", "ssh", "static_ip", "disk_count")
STEPS = ("test_create_storagemap", "test_create_networkmap", "test_create_plan", "test_migrate_vms",
         "test_check_vms")
WARM_SCENARIOS = ("test_sanity_warm_mtv_migration", "test_mtv_migration_warm_2disks2nics", "test_warm_remote_ocp",
                  "test_warm_migration_comprehensive", "test_copyoffload_warm_migration")


def log(msg):
    sys.stderr.write("[e2e %s] %s\n" % (time.strftime("%H:%M:%S"), msg))
    sys.stderr.flush()


def vcsim_env():
    """The lab finds vcsim at build/lab/mtv-vcsim (or builds it there); use the test build dir's copy if any."""
    env = dict(os.environ)
    for cand in (BINARY_DIR / "lab" / "mtv-vcsim", REPO / "build" / "lab" / "mtv-vcsim"):
        if "MTV_VCSIM" not in env and cand.exists():
            env["MTV_VCSIM"] = str(cand)
    return env


class Lab:
    """A lab of its own in a temp dir. `Lab.start()` in setUpClass, `lab.down` registered as class cleanup."""

    def __init__(self, minute=MINUTE, up_args=()):
        self.tmp = Path(tempfile.mkdtemp(prefix="mtv-e2e-"))
        self.dir = self.tmp / "lab"
        self.env = vcsim_env()
        self.minute = minute
        self.up_args = tuple(up_args)
        self.started = False

    @classmethod
    def start(cls, minute=MINUTE, up_args=()):
        lab = cls(minute, up_args)
        try:
            lab.up()
        except BaseException:
            lab.started = True  # `down` is idempotent: stop whatever a failed `up` left, remove the temp dir
            lab.down()
            raise
        return lab

    def mtvlab(self, *args, check=True, timeout=120):
        r = subprocess.run([PY, str(MTVLAB), *args, "--dir", str(self.dir)], env=self.env, cwd=str(REPO),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError("mtvlab %s failed (exit %d): %s %s" % (" ".join(args), r.returncode,
                                                                       r.stdout.decode(errors="replace")[-2000:],
                                                                       r.stderr.decode(errors="replace")[-2000:]))
        return r

    def up(self):
        t0 = time.monotonic()
        self.mtvlab("up", "--minute", str(self.minute), *self.up_args, timeout=300)
        self.started = True
        log("lab up in %.1fs at %s" % (time.monotonic() - t0, self.dir))
        self.kubeconfig = self.dir / "kubeconfig"
        self.providers_file = self.dir / "providers.json"
        self.settings_file = self.dir / "settings.yaml"
        kc = yaml.safe_load(self.kubeconfig.read_text())
        self.api_url = kc["clusters"][0]["cluster"]["server"]
        self.token = kc["users"][0]["user"]["token"]
        self.ca_file = self.dir / "ca.crt"
        self.providers = json.loads(self.providers_file.read_text())
        self.settings = yaml.safe_load(self.settings_file.read_text())
        self.vsphere_key = next(k for k, v in self.providers.items() if v.get("type") == "vsphere")
        self.vs = self.providers[self.vsphere_key]
        self.baseline_vms = self.vm_names()
        self.fc_interval_initial = self.fc_interval()

    def down(self):
        if self.started:
            self.mtvlab("down", check=False, timeout=180)
            self.started = False
        shutil.rmtree(self.tmp, ignore_errors=True)

    # -- lab controls ---------------------------------------------------------------------------------
    def defect(self, name):
        self.mtvlab("defect", name)

    def clear(self):
        self.mtvlab("defect", "clear")
        self.mtvlab("fault", "clear")

    def status(self):
        return json.loads(self.mtvlab("status", "--json").stdout)

    def requests(self):
        return json.loads(self.mtvlab("requests", "--json").stdout)

    def dump(self):
        return json.loads(self.mtvlab("dump").stdout)

    def provider_key(self, ptype):
        return next(k for k, v in self.providers.items() if v.get("type") == ptype)

    def secrets(self):
        """Every credential of the lab (≥ 16 characters each): none may appear in mtvtest's output."""
        out = set()
        creds = json.loads((self.dir / "credentials.json").read_text())
        for k, v in creds.items():
            if isinstance(v, str) and ("password" in k or "token" in k):
                out.add(v)
        for entry in self.providers.values():
            def walk(o):
                if isinstance(o, dict):
                    for k, v in o.items():
                        if isinstance(v, str) and ("password" in k or "token" in k or "secret" in k):
                            out.add(v)
                        else:
                            walk(v)
                elif isinstance(o, list):
                    for v in o:
                        walk(v)
            walk(entry)
        out.add(self.token)
        return {s for s in out if len(s) >= 8}

    # -- cluster ---------------------------------------------------------------------------------------
    def _conn(self, timeout=30):
        u = urllib.parse.urlparse(self.api_url)
        ctx = ssl.create_default_context(cafile=str(self.ca_file))
        return http.client.HTTPSConnection(u.hostname, u.port, context=ctx, timeout=timeout)

    def get(self, path):
        c = self._conn()
        try:
            c.request("GET", path, headers={"Authorization": "Bearer " + self.token, "Accept": "application/json"})
            r = c.getresponse()
            body = r.read()
            if r.status == 404:
                return None
            if r.status != 200:
                raise AssertionError("GET %s: %d %s" % (path, r.status, body[:500]))
            return json.loads(body)
        finally:
            c.close()

    def watch_until(self, collection, pred, timeout, what):
        """Watch a collection (list, then watch from its resourceVersion) until pred(obj) holds for an object
        (returns it). Re-watches on a clean end of the stream; AssertionError at the deadline."""
        deadline = time.monotonic() + timeout
        lst = self.get(collection)
        for o in lst.get("items") or []:
            if pred(o):
                return o
        rv = lst["metadata"].get("resourceVersion", "")
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))
            c = self._conn(timeout=left + 5)
            try:
                q = "watch=1&allowWatchBookmarks=true&timeoutSeconds=%d&resourceVersion=%s" % (max(1, int(left)), rv)
                c.request("GET", collection + ("&" if "?" in collection else "?") + q,
                          headers={"Authorization": "Bearer " + self.token, "Accept": "application/json"})
                r = c.getresponse()
                if r.status != 200:
                    raise AssertionError("watch %s: %d %s" % (collection, r.status, r.read()[:300]))
                while True:
                    line = r.readline()
                    if not line:
                        break
                    if not line.strip():
                        continue
                    ev = json.loads(line)
                    obj = ev.get("object") or {}
                    if ev.get("type") == "ERROR":
                        lst = self.get(collection)  # 410: relist
                        for o in lst.get("items") or []:
                            if pred(o):
                                return o
                        rv = lst["metadata"].get("resourceVersion", "")
                        break
                    rv = (obj.get("metadata") or {}).get("resourceVersion", rv)
                    if ev.get("type") in ("ADDED", "MODIFIED") and pred(obj):
                        return obj
            except (OSError, http.client.HTTPException):
                pass
            finally:
                c.close()

    def fc_interval(self):
        fc = self.get(FORKLIFT + "/namespaces/openshift-mtv/forkliftcontrollers/forklift-controller")
        return (fc.get("spec") or {}).get("controller_precopy_interval")

    # -- vSphere ---------------------------------------------------------------------------------------
    def vm_names(self):
        """Names of every VM in the lab's vcsim (pyVmomi, one short session)."""
        from pyVim.connect import Disconnect, SmartConnect
        from pyVmomi import vim
        u = urllib.parse.urlparse(self.vs["api_url"])
        ctx = ssl.create_default_context(cadata=self.vs["cacert"])
        si = SmartConnect(host=u.hostname, port=u.port, user=self.vs["username"], pwd=self.vs["password"],
                          sslContext=ctx)
        try:
            view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [vim.VirtualMachine], True)
            try:
                return sorted(v.name for v in view.view)
            finally:
                view.Destroy()
        finally:
            Disconnect(si)

    # -- leftovers -------------------------------------------------------------------------------------
    def leftovers(self, session_id):
        """Everything in the lab that belongs to the session: objects labelled with it or whose name (or
        namespace) contains it, and vSphere VMs that were not there at `up` or carry it in their name."""
        assert session_id, "no session id"
        left = []
        for res, objs in self.dump().items():
            if not isinstance(objs, list):
                continue
            for o in objs:
                md = o.get("metadata") or {}
                labels = md.get("labels") or {}
                if (labels.get(SESSION_LABEL) == session_id or session_id in (md.get("name") or "")
                        or session_id in (md.get("namespace") or "")):
                    left.append("%s %s/%s" % (res, md.get("namespace") or "", md.get("name")))
        for n in self.vm_names():
            if session_id in n or n not in self.baseline_vms:
                left.append("vsphere VM %s" % n)
        return left


class Run:
    def __init__(self, args, rc, out, err, elapsed, report_dir, junit_file, ledger_file):
        self.args, self.rc, self.out, self.err, self.elapsed = args, rc, out, err, elapsed
        self.report_dir, self.junit_file, self.ledger_file = report_dir, junit_file, ledger_file
        self.results = None
        rj = report_dir / "results.json" if report_dir else None
        if rj and rj.exists():
            self.results = json.loads(rj.read_text())
        self.cases = []
        self.suites = []
        if junit_file and junit_file.exists():
            root = ET.parse(str(junit_file)).getroot()
            for ts in root.iter("testsuite"):
                props = {p.get("name"): p.get("value") for p in ts.iter("property")}
                self.suites.append({"name": ts.get("name"), "properties": props})
            for tc in root.iter("testcase"):
                status, msg = "passed", ""
                for tag in ("failure", "error", "skipped"):
                    el = tc.find(tag)
                    if el is not None:
                        status = "failed" if tag in ("failure", "error") else "skipped"
                        msg = (el.get("message") or "") + "\n" + (el.text or "")
                        break
                self.cases.append({"classname": tc.get("classname"), "name": tc.get("name"), "status": status,
                                   "message": msg})

    def describe(self):
        return "mtvtest %s\nexit %s after %.1fs\n--- stdout (tail)\n%s\n--- stderr (tail)\n%s" % (
            " ".join(self.args), self.rc, self.elapsed, self.out[-4000:], self.err[-6000:])

    @property
    def session_id(self):
        if self.results and self.results.get("session_id"):
            return self.results["session_id"]
        return self.ledger_session_id()

    def ledger_session_id(self):
        if self.ledger_file and self.ledger_file.exists():
            return json.loads(self.ledger_file.read_text()).get("session_id")
        return None

    def scenario(self, name):
        assert self.results is not None, "no results.json\n" + self.describe()
        for s in self.results["scenarios"]:
            if s["name"] == name:
                return s
        raise AssertionError("scenario %s not in results.json (%s)\n%s" % (
            name, [s["name"] for s in self.results["scenarios"]], self.describe()))

    def step(self, scenario, step):
        for st in self.scenario(scenario)["steps"]:
            if st["name"] == step:
                return st
        raise AssertionError("step %s of %s not in results.json\n%s" % (step, scenario, self.describe()))

    def validators(self, scenario):
        """{validator name: [status per VM]} over every VM record of the scenario."""
        out = {}
        for vm in self.scenario(scenario).get("vms") or []:
            for v in vm.get("validators") or []:
                out.setdefault(v["name"], []).append((v["status"], v.get("message", ""), vm.get("name")))
        return out

    def failed_validators(self, scenario):
        return {n for n, lst in self.validators(scenario).items() if any(s == "fail" for s, _, _ in lst)}


class Mtvtest:
    """Runs build/mtvtest with the lab's files in a work dir of its own."""

    def __init__(self, lab, name):
        self.lab = lab
        self.work = lab.tmp / name
        self.work.mkdir(parents=True, exist_ok=True)

    def args(self, *extra, config=None, providers=None, kubeconfig=None, report=True, junit=True, ledger=None):
        a = ["--config", str(REPO / "config" / "warm.yaml"),
             "--config", str(config or self.lab.settings_file),
             "--providers", str(providers or self.lab.providers_file),
             "--kubeconfig", str(kubeconfig or self.lab.kubeconfig)]
        if junit:
            a += ["--junit-xml", str(self.work / "junit.xml")]
        if report:
            a += ["--report", str(self.work / "report")]
        if ledger:
            a += ["--ledger", str(ledger)]
        return a + list(extra)

    def _env(self):
        env = dict(os.environ)
        for k in ("KUBECONFIG", "PROVIDERS_JSON_PATH", "MTVTEST_CONFIG", "KUBERNETES_SERVICE_HOST"):
            env.pop(k, None)
        return env

    def start(self, command, *extra, **kw):
        """Starts mtvtest COMMAND (a Popen of our own); finish it with `wait`."""
        args = [command] + self.args(*extra, **kw)
        self._args = args
        self._t0 = time.monotonic()
        self._out = open(self.work / "stdout.txt", "wb")
        self._err = open(self.work / "stderr.txt", "wb")
        log("start: mtvtest %s" % " ".join(args))
        self.proc = subprocess.Popen([str(MTVTEST)] + args, cwd=str(self.work), env=self._env(),
                                     stdout=self._out, stderr=self._err)
        return self.proc

    def wait(self, timeout=600):
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # our own child, by pid
            self.proc.wait()
            rc = "timeout(%ss)" % timeout
        self._out.close()
        self._err.close()
        run = Run(self._args, rc, (self.work / "stdout.txt").read_text(errors="replace"),
                  (self.work / "stderr.txt").read_text(errors="replace"), time.monotonic() - self._t0,
                  self.work / "report", self.work / "junit.xml", self.ledger_path())
        log("exit %s after %.1fs (%s)" % (rc, run.elapsed, self.work.name))
        return run

    def ledger_path(self):
        for a, b in zip(self._args, self._args[1:]):
            if a == "--ledger":
                return Path(b)
        return self.work / "report" / "ledger.json"

    def run(self, *extra, timeout=600, **kw):
        self.start("run", *extra, **kw)
        return self.wait(timeout)

    def clean(self, *extra, timeout=600):
        """mtvtest clean with the lab's files (no report/junit options: clean has none)."""
        self.start("clean", *extra, report=False, junit=False)
        return self.wait(timeout)

    def signal(self, sig):
        os.kill(self.proc.pid, sig)  # our own child, by pid


class E2ECase(unittest.TestCase):
    maxDiff = None

    def assertExit(self, run, code):
        self.assertEqual(run.rc, code, "unexpected exit code\n" + run.describe())

    def assertNoSecret(self, run, lab):
        texts = {"stdout": run.out, "stderr": run.err}
        for p in (run.report_dir / "results.json", run.junit_file, run.ledger_file):
            if p and p.exists():
                texts[str(p.name)] = p.read_text(errors="replace")
        for name, text in texts.items():
            for s in lab.secrets():
                self.assertNotIn(s, text, "a lab credential appears in %s" % name)

    def assertAllStepsPassed(self, run, scenario, steps=STEPS):
        sc = run.scenario(scenario)
        self.assertEqual(sc["status"], "passed", "%s: %s\n%s" % (scenario, sc.get("reason"), run.describe()))
        got = {st["name"]: st["status"] for st in sc["steps"]}
        self.assertEqual(got, {s: "passed" for s in steps}, "%s steps\n%s" % (scenario, run.describe()))
        cases = [c for c in run.cases if c["classname"] == scenario]
        self.assertEqual(sorted(c["name"].split("[")[0] for c in cases), sorted(steps),
                         "JUnit testcases of %s" % scenario)
        bad = [c for c in cases if c["status"] != "passed"]
        self.assertEqual(bad, [], "JUnit: %s\n%s" % (scenario, run.describe()))

    def assertNothingLeft(self, lab, session_id, run=None):
        self.assertTrue(session_id, "no session id (results.json/ledger)\n" + (run.describe() if run else ""))
        left = lab.leftovers(session_id)
        self.assertEqual(left, [], "the lab still holds objects of session %s\n%s" % (
            session_id, run.describe() if run else ""))

    def assertFcRestored(self, lab, before, run=None):
        self.assertEqual(lab.fc_interval(), before,
                         "ForkliftController controller_precopy_interval not restored\n" +
                         (run.describe() if run else ""))
