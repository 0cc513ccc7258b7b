"""``mtvlab`` command line (CONTRACTS.md §6): up, down, status, defect, fault, requests, dump.

The CLI prints no credential: it talks to the daemon over the API port with DIR/admin-token."""

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from .state import DEFECTS, FAULTS

PROG = "mtvlab"
UP_TIMEOUT = 300.0


def _err(msg, code=1):
    print("%s: error: %s" % (PROG, msg), file=sys.stderr)
    return code


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child counts as gone
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().split(") ", 1)[1].startswith("Z"):
                return False
    except (OSError, IndexError):
        pass
    return True


def _read_pid(path):
    try:
        return int(Path(path).read_text().strip())
    except (OSError, ValueError):
        return None


def _running_pid(d):
    pid = _read_pid(d / "daemon.pid")
    if pid and _pid_alive(pid) and _is_our_daemon(pid, d):
        return pid
    return None


def _is_our_daemon(pid, d):
    try:
        cmd = Path("/proc/%d/cmdline" % pid).read_bytes().split(b"\0")
    except OSError:
        return False
    return b"_daemon" in cmd and str(d).encode() in cmd


def _tail(path, n=40):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(lines[-n:])


def _admin(d, method, path, body=None, timeout=30):
    ready = json.loads((d / "ready").read_text())
    token = (d / "admin-token").read_text().strip()
    ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
    req = urllib.request.Request(ready["api_url"] + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            return e.code, json.loads(e.read() or b"null")
        except ValueError:
            return e.code, None


def _need_running(d):
    if not _running_pid(d) or not (d / "ready").exists():
        raise SystemExit(_err("no lab runs in %s (start one with: mtvlab up --dir %s)" % (d, d)))


# ---------------------------------------------------------------------------- commands

def cmd_up(a, d):
    pid = _running_pid(d)
    if pid:
        return _err("a lab already runs in %s (pid %d); stop it first with: mtvlab down --dir %s" % (d, pid, d))
    for stale in ("ready", "daemon.pid"):
        try:
            (d / stale).unlink()
        except OSError:
            pass
    from .daemon import prepare_dir
    prepare_dir(d)
    os.environ["MTVLAB_LINUX_IP_ORIGIN"] = a.linux_ip_origin  # the daemon passes it on to vcsim
    args = [sys.executable, str(Path(__file__).resolve().parents[1] / "mtvlab"), "_daemon", "--dir", str(d),
            "--minute", str(a.minute), "--vcenter-latency-ms", str(a.vcenter_latency_ms)]
    if a.no_vcsim:
        args.append("--no-vcsim")
    if a.no_controllers:
        args.append("--no-controllers")
    log = open(str(d / "daemon.out"), "ab")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True, close_fds=True, cwd=str(d))
    log.close()
    (d / "daemon.pid").write_text("%d\n" % proc.pid)
    deadline = time.monotonic() + UP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = _tail(d / "lab.log") + "\n" + _tail(d / "daemon.out", 20)
            try:
                (d / "daemon.pid").unlink()
            except OSError:
                pass
            return _err("the lab daemon exited (status %s) before it was ready; log tail:\n%s"
                        % (proc.returncode, tail.strip()))
        if (d / "ready").exists():
            try:
                ready = json.loads((d / "ready").read_text())
                if _readyz(ready["api_url"], d):
                    print("mtvlab: lab ready in %s: API %s (source the env file: . %s)" % (d, ready["api_url"], d / "env"))
                    return 0
            except (ValueError, KeyError, OSError):
                pass
        time.sleep(0.1)
    _stop_pid(proc.pid, d)
    return _err("the lab did not become ready within %ds; log tail:\n%s" % (UP_TIMEOUT, _tail(d / "lab.log")))


def _readyz(url, d):
    ctx = ssl.create_default_context(cafile=str(d / "ca.crt"))
    try:
        with urllib.request.urlopen(url + "/readyz", context=ctx, timeout=5) as r:
            return r.status == 200
    except (urllib.error.URLError, OSError, ssl.SSLError):
        return False


def _stop_pid(pid, d, timeout=30.0):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # reap when it is our child (up's failure path)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        if not _pid_alive(pid):
            return True
        time.sleep(0.05)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return False


def cmd_down(a, d):
    pid = _running_pid(d)
    vpid = _read_pid(d / "vcsim.pid")
    if not pid:
        msg = "mtvlab: no lab runs in %s" % d
        if vpid and _pid_alive(vpid) and _is_vcsim(vpid):
            _stop_pid(vpid, d, 10)
            msg += " (stopped a leftover vcsim, pid %d)" % vpid
        for f in ("ready", "daemon.pid", "vcsim.pid"):
            try:
                (d / f).unlink()
            except OSError:
                pass
        print(msg)
        return 0
    ok = _stop_pid(pid, d)
    if vpid and _pid_alive(vpid) and _is_vcsim(vpid):
        _stop_pid(vpid, d, 10)
    for f in ("ready", "daemon.pid", "vcsim.pid"):
        try:
            (d / f).unlink()
        except OSError:
            pass
    print("mtvlab: lab in %s stopped%s" % (d, "" if ok else " (killed)"))
    return 0


def _is_vcsim(pid):
    try:
        return b"vcsim" in Path("/proc/%d/cmdline" % pid).read_bytes()
    except OSError:
        return False


def cmd_status(a, d):
    pid = _running_pid(d)
    if not pid or not (d / "ready").exists():
        if a.json:
            print(json.dumps({"running": False, "defects_active": [], "faults_active": [], "faults_fired": {}}))
        else:
            print("mtvlab: no lab runs in %s" % d)
        return 3
    code, st = _admin(d, "GET", "/mtvlab/status")
    if code != 200:
        return _err("status: HTTP %d" % code)
    st["running"] = True
    st["daemon_pid"] = pid
    if a.json:
        print(json.dumps(st, indent=1, sort_keys=True))
        return 0
    print("lab in %s: running (daemon pid %d)" % (d, pid))
    print("  API:      %s" % st.get("api_url"))
    if st.get("vcenter_url"):
        print("  vCenter:  %s (vcsim pid %s)" % (st["vcenter_url"], st.get("vcsim_pid")))
    else:
        print("  vCenter:  not running")
    print("  controllers: %s" % ("running" if st.get("controllers") else "absent"))
    facts = st.get("facts") or {}
    if facts.get("inventory_url"):
        print("  inventory: %s" % facts["inventory_url"])
    print("  defects:  %s" % (", ".join(st["defects_active"]) or "none"))
    print("  faults:   %s" % (", ".join(st["faults_active"]) or "none"))
    if st.get("faults_fired"):
        print("  fired:    %s" % ", ".join("%s=%d" % kv for kv in sorted(st["faults_fired"].items())))
    print("  files:    %s, %s, %s, %s" % (d / "kubeconfig", d / "providers.json", d / "settings.yaml", d / "env"))
    return 0


def cmd_defect(a, d):
    if a.name != "clear" and a.name not in DEFECTS:
        return _err("unknown defect %r; known defects: %s, or 'clear'" % (a.name, ", ".join(DEFECTS)), 2)
    _need_running(d)
    body = {"clear": True} if a.name == "clear" else {"name": a.name}
    code, st = _admin(d, "POST", "/mtvlab/defects", body)
    if code != 200:
        return _err("defect: %s" % ((st or {}).get("message") or code))
    print("mtvlab: active defects: %s" % (", ".join(st["defects_active"]) or "none"))
    return 0


def cmd_fault(a, d):
    if a.name != "clear" and a.name not in FAULTS:
        return _err("unknown fault %r; known faults: %s, or 'clear'" % (a.name, ", ".join(FAULTS)), 2)
    _need_running(d)
    body = {"clear": True} if a.name == "clear" else {"name": a.name}
    code, st = _admin(d, "POST", "/mtvlab/faults", body)
    if code != 200:
        return _err("fault: %s" % ((st or {}).get("message") or code))
    print("mtvlab: active faults: %s" % (", ".join(st["faults_active"]) or "none"))
    return 0


def cmd_requests(a, d):
    _need_running(d)
    code, counts = _admin(d, "GET", "/mtvlab/requests")
    if code != 200:
        return _err("requests: HTTP %d" % code)
    if a.json:
        print(json.dumps(counts, indent=1, sort_keys=True))
    else:
        for k, v in sorted(counts.items()):
            print("%6d  %s" % (v, k))
    return 0


def cmd_dump(a, d):
    _need_running(d)
    code, dump = _admin(d, "GET", "/mtvlab/dump", timeout=60)
    if code != 200:
        return _err("dump: HTTP %d" % code)
    for res, items in dump.items():
        if res == "secrets":
            for o in items:
                for f in ("data", "stringData"):
                    if isinstance(o.get(f), dict):
                        o[f] = {k: "<redacted>" for k in o[f]}
    print(json.dumps(dump, indent=1, sort_keys=True))
    return 0


def cmd_daemon(a, d):
    from .daemon import main
    (d / "daemon.pid").write_text("%d\n" % os.getpid())
    return main(d, minute=a.minute, vcenter_latency_ms=a.vcenter_latency_ms, vcsim=not a.no_vcsim,
                controllers=not a.no_controllers)


def build_parser():
    p = argparse.ArgumentParser(prog=PROG, description="the local simulated MTV lab")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--dir", default="./.mtvlab", help="lab directory (default ./.mtvlab)")
    sub = p.add_subparsers(dest="cmd", metavar="COMMAND")
    sub.required = True

    def lab_opts(sp):
        sp.add_argument("--minute", type=float, default=60.0, metavar="SECONDS",
                        help="length of a controller minute in seconds (default 60)")
        sp.add_argument("--vcenter-latency-ms", type=int, default=0, metavar="N",
                        help="added latency of every vCenter call")
        sp.add_argument("--linux-ip-origin", choices=("reported", "unknown"), default="reported",
                        help="unknown: Linux guests report no IP origin (as open-vm-tools does), so a runner "
                             "must ask the guest which IPs are static")
        sp.add_argument("--no-vcsim", action="store_true", help=argparse.SUPPRESS)
        sp.add_argument("--no-controllers", action="store_true", help=argparse.SUPPRESS)

    up = sub.add_parser("up", parents=[common], help="start the lab in the background")
    lab_opts(up)
    up.set_defaults(fn=cmd_up)
    sub.add_parser("down", parents=[common], help="stop the lab").set_defaults(fn=cmd_down)
    st = sub.add_parser("status", parents=[common], help="what runs")
    st.add_argument("--json", action="store_true")
    st.set_defaults(fn=cmd_status)
    de = sub.add_parser("defect", parents=[common], help="activate a defect, or 'clear'")
    de.add_argument("name", metavar="NAME|clear")
    de.set_defaults(fn=cmd_defect)
    fa = sub.add_parser("fault", parents=[common], help="activate a fault, or 'clear'")
    fa.add_argument("name", metavar="NAME|clear")
    fa.set_defaults(fn=cmd_fault)
    rq = sub.add_parser("requests", parents=[common], help="API request counts")
    rq.add_argument("--json", action="store_true")
    rq.set_defaults(fn=cmd_requests)
    sub.add_parser("dump", parents=[common], help="every object as JSON").set_defaults(fn=cmd_dump)
    dm = sub.add_parser("_daemon", parents=[common])
    lab_opts(dm)
    dm.set_defaults(fn=cmd_daemon)
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    d = Path(a.dir).resolve()
    if a.cmd not in ("up", "_daemon") and not d.is_dir():
        if a.cmd == "down":
            print("mtvlab: no lab runs in %s" % d)
            return 0
        if a.cmd == "status":
            return cmd_status(a, d)
        return _err("no lab directory %s" % d)
    if a.cmd == "up":
        d.mkdir(parents=True, exist_ok=True)
    try:
        return a.fn(a, d)
    except KeyboardInterrupt:
        return 130
