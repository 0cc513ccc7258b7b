"""Shared helpers of the Forklift controller simulation: time, conditions, refs, the work queue."""
import base64
import copy
import datetime
import heapq
import itertools
import logging
import re
import threading
import time

FORKLIFT = "forklift.konveyor.io"
RES = {
    "provider": "providers.forklift.konveyor.io",
    "networkmap": "networkmaps.forklift.konveyor.io",
    "storagemap": "storagemaps.forklift.konveyor.io",
    "plan": "plans.forklift.konveyor.io",
    "migration": "migrations.forklift.konveyor.io",
    "hook": "hooks.forklift.konveyor.io",
    "fc": "forkliftcontrollers.forklift.konveyor.io",
    "vm": "virtualmachines.kubevirt.io",
    "vmi": "virtualmachineinstances.kubevirt.io",
    "dv": "datavolumes.cdi.kubevirt.io",
    "pvc": "persistentvolumeclaims",
    "pv": "persistentvolumes",
    "pod": "pods",
    "secret": "secrets",
    "configmap": "configmaps",
    "namespace": "namespaces",
    "nad": "network-attachment-definitions.k8s.cni.cncf.io",
    "sc": "storageclasses.storage.k8s.io",
    "deployment": "deployments.apps",
    "route": "routes.route.openshift.io",
    "service": "services",
    "subscription": "subscriptions.operators.coreos.com",
    "csv": "clusterserviceversions.operators.coreos.com",
    "clusterversion": "clusterversions.config.openshift.io",
}
MTV_NS = "openshift-mtv"

log = logging.getLogger("labsim.controllers")


def now():
    return datetime.datetime.now(datetime.timezone.utc)


def rfc3339(t=None):
    t = t or now()
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    if not s:
        return None
    try:
        s = s.strip()
        if s.endswith("Z"):
            s = s[:-1] + "+00:00"
        t = datetime.datetime.fromisoformat(s)
        if t.tzinfo is None:
            t = t.replace(tzinfo=datetime.timezone.utc)
        return t
    except ValueError:
        return None


def b64d(v):
    try:
        return base64.b64decode(v or "").decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 - malformed secret data reads as empty
        return ""


def b64e(s):
    return base64.b64encode(s.encode()).decode()


def secret_data(secret):
    """Decoded view of a Secret: data (base64) merged with stringData (kept by some fakes)."""
    out = {k: b64d(v) for k, v in (secret.get("data") or {}).items()}
    for k, v in (secret.get("stringData") or {}).items():
        out[k] = v
    return out


def err_code(e):
    return getattr(e, "code", None)


def truthy(v):
    if isinstance(v, bool):
        return v
    return str(v).strip().lower() in ("true", "yes", "1", "on")


def ref_str(ref):
    """Forklift's Ref.String(): ' id:<id> name:'<name>' '."""
    s = ""
    if ref.get("type"):
        s += "(%s)" % ref["type"]
    return "%s id:%s name:'%s' " % (s, ref.get("id", ""), ref.get("name", ""))


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_dns1123_label(s):
    return bool(s) and len(s) <= 63 and bool(DNS1123_LABEL.match(s))


def is_dns1123_subdomain(s):
    return bool(s) and len(s) <= 253 and bool(DNS1123_SUB.match(s))


def sanitize_name(name):
    """Forklift's target-name sanitizer (changeVmName)."""
    n = name.lower()
    for c in "_+* /\\":
        n = n.replace(c, "-")
    n = re.sub(r"[^a-z0-9.-]", "", n)
    n = n.strip("-.")
    return n[:63].rstrip("-.")


class Conditions:
    """Builds a condition list the way Forklift's staging does: conditions not set again vanish, the
    lastTransitionTime of an unchanged condition is kept, durable ones survive."""

    def __init__(self, old):
        self.old = {c.get("type"): c for c in (old or [])}
        self.new = {}

    def set(self, ctype, category, message, reason=None, items=None, durable=False, status="True"):
        c = {"type": ctype, "status": status, "category": category, "message": message}
        if reason:
            c["reason"] = reason
        if items:
            c["items"] = list(items)
        if durable:
            c["durable"] = True
        prev = self.old.get(ctype)
        same = prev is not None and all(prev.get(k) == c.get(k) for k in
                                        ("status", "category", "message", "reason", "items", "durable"))
        c["lastTransitionTime"] = prev.get("lastTransitionTime") if same and prev.get("lastTransitionTime") else rfc3339()
        self.new[ctype] = c

    def has(self, ctype):
        return ctype in self.new

    def blockers(self):
        return [c for c in self.new.values() if c["category"] in ("Critical", "Error")]

    def result(self, keep_durable=True):
        out = dict(self.new)
        if keep_durable:
            for t, c in self.old.items():
                if t not in out and c.get("durable"):
                    out[t] = c
        return list(out.values())


def set_cond(conds, ctype, category, message, reason=None, durable=False, items=None):
    """Set or replace one condition in a list in place (execution-time conditions)."""
    for c in conds:
        if c.get("type") == ctype:
            if c.get("message") == message and c.get("category") == category and c.get("reason") == reason:
                return
            conds.remove(c)
            break
    c = {"type": ctype, "status": "True", "category": category, "message": message,
         "lastTransitionTime": rfc3339()}
    if reason:
        c["reason"] = reason
    if durable:
        c["durable"] = True
    if items:
        c["items"] = items
    conds.append(c)


def del_cond(conds, ctype):
    conds[:] = [c for c in conds if c.get("type") != ctype]


def has_cond(obj_or_conds, ctype):
    conds = obj_or_conds
    if isinstance(obj_or_conds, dict):
        conds = (obj_or_conds.get("status") or {}).get("conditions") or []
    return any(c.get("type") == ctype and c.get("status") == "True" for c in conds)


class WorkQueue:
    """Keyed reconcile queue with de-duplication and delayed re-queues, served by worker threads."""

    def __init__(self, handler, workers=2, name="ctrl"):
        self.handler = handler
        self.lock = threading.Condition()
        self.ready = []
        self.queued = set()
        self.active = set()
        self.dirty = set()
        self.delayed = []
        self.seq = itertools.count()
        self.stopped = False
        self.threads = [threading.Thread(target=self._run, name="%s-%d" % (name, i), daemon=True)
                        for i in range(workers)]
        for t in self.threads:
            t.start()

    def add(self, key, delay=0.0):
        with self.lock:
            if delay > 0:
                heapq.heappush(self.delayed, (time.monotonic() + delay, next(self.seq), key))
            elif key in self.active:
                self.dirty.add(key)
            elif key not in self.queued:
                self.queued.add(key)
                self.ready.append(key)
            self.lock.notify_all()

    def stop(self):
        with self.lock:
            self.stopped = True
            self.lock.notify_all()

    def _next(self):
        with self.lock:
            while not self.stopped:
                nowm = time.monotonic()
                while self.delayed and self.delayed[0][0] <= nowm:
                    _, _, key = heapq.heappop(self.delayed)
                    if key in self.active:
                        self.dirty.add(key)
                    elif key not in self.queued:
                        self.queued.add(key)
                        self.ready.append(key)
                for i, key in enumerate(self.ready):
                    if key not in self.active:
                        del self.ready[i]
                        self.queued.discard(key)
                        self.active.add(key)
                        return key
                timeout = None
                if self.delayed:
                    timeout = max(0.0, self.delayed[0][0] - nowm)
                self.lock.wait(timeout)
            return None

    def _run(self):
        while True:
            key = self._next()
            if key is None:
                return
            try:
                self.handler(key)
            except Exception:  # noqa: BLE001 - a reconcile error must not kill the worker
                log.exception("reconcile %s failed", key)
                self.add(key, 2.0)
            finally:
                with self.lock:
                    self.active.discard(key)
                    if key in self.dirty:
                        self.dirty.discard(key)
                        if key not in self.queued:
                            self.queued.add(key)
                            self.ready.append(key)
                    self.lock.notify_all()


def deep(o):
    return copy.deepcopy(o)
