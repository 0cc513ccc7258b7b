"""A minimal in-memory stand-in of the lab store interface (lab-interface.md), used by the controller unit
tests and by `labsim.controllers` when run without the API server. Thread-safe, deep copies, events
dispatched in order from one thread."""
import copy
import datetime
import queue
import random
import string
import threading
import uuid


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details


def _merge(dst, patch):
    for k, v in patch.items():
        if v is None:
            dst.pop(k, None)
        elif isinstance(v, dict) and isinstance(dst.get(k), dict):
            _merge(dst[k], v)
        else:
            dst[k] = copy.deepcopy(v)


def _match_labels(obj, selector):
    if not selector:
        return True
    labels = obj.get("metadata", {}).get("labels") or {}
    for term in selector.split(","):
        term = term.strip()
        if not term:
            continue
        if "!=" in term:
            k, v = term.split("!=", 1)
            if labels.get(k.strip()) == v.strip():
                return False
        elif "=" in term:
            k, v = term.replace("==", "=").split("=", 1)
            if labels.get(k.strip()) != v.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


def _match_fields(obj, selector):
    if not selector:
        return True
    for term in selector.split(","):
        k, v = term.split("=", 1)
        cur = obj
        for p in k.strip().split("."):
            cur = cur.get(p) if isinstance(cur, dict) else None
        if str(cur) != v.strip():
            return False
    return True


class MemStore:
    CLUSTER_SCOPED = {"namespaces", "persistentvolumes", "storageclasses.storage.k8s.io",
                      "clusterversions.config.openshift.io"}

    def __init__(self):
        self.lock = threading.RLock()
        self.objs = {}  # (res, ns, name) -> obj
        self.rv = 1000
        self.subs = []
        self.events = queue.Queue()
        threading.Thread(target=self._dispatch, daemon=True, name="memstore-dispatch").start()

    def register_kind(self, res, kind, namespaced=True, **_):
        if not namespaced:
            self.CLUSTER_SCOPED.add(res)

    def subscribe(self, fn):
        self.subs.append(fn)

    def _dispatch(self):
        while True:
            ev = self.events.get()
            for fn in list(self.subs):
                try:
                    fn(*ev)
                except Exception:  # noqa: BLE001
                    import logging
                    logging.getLogger("memstore").exception("subscriber failed")

    def _emit(self, etype, res, obj):
        self.events.put((etype, res, copy.deepcopy(obj)))

    def _key(self, res, ns, name):
        return (res, None if res in self.CLUSTER_SCOPED else ns, name)

    def _bump(self, obj):
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)

    def get(self, res, ns, name):
        with self.lock:
            o = self.objs.get(self._key(res, ns, name))
            if o is None:
                raise ApiError(404, "NotFound", '%s "%s" not found' % (res, name))
            return copy.deepcopy(o)

    def list(self, res, ns=None, label_selector=None, field_selector=None):
        with self.lock:
            out = [copy.deepcopy(o) for (r, n, _), o in sorted(self.objs.items(), key=lambda kv: str(kv[0]))
                   if r == res and (ns is None or n == ns) and _match_labels(o, label_selector)
                   and _match_fields(o, field_selector)]
            return out

    def create(self, res, obj, ns=None):
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        if ns is not None and res not in self.CLUSTER_SCOPED:
            md["namespace"] = ns
        ns = md.get("namespace")
        with self.lock:
            if not md.get("name"):
                if not md.get("generateName"):
                    raise ApiError(422, "Invalid", "name or generateName is required")
                md["name"] = md["generateName"] + "".join(random.choice(string.ascii_lowercase + string.digits)
                                                          for _ in range(5))
            key = self._key(res, ns, md["name"])
            if key in self.objs:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (res, md["name"]))
            md["uid"] = str(uuid.uuid4())
            md["generation"] = 1
            md["creationTimestamp"] = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
            self._bump(obj)
            self.objs[key] = obj
            self._emit("ADDED", res, obj)
            return copy.deepcopy(obj)

    def _store(self, res, key, old, new, status_only):
        if new == old:
            return copy.deepcopy(old)
        if not status_only and {k: v for k, v in new.items() if k not in ("status", "metadata")} != \
                {k: v for k, v in old.items() if k not in ("status", "metadata")}:
            new["metadata"]["generation"] = old["metadata"].get("generation", 1) + 1
        self._bump(new)
        md = new["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers"):
            del self.objs[key]
            self._emit("DELETED", res, new)
        else:
            self.objs[key] = new
            self._emit("MODIFIED", res, new)
        return copy.deepcopy(new)

    def update(self, res, obj, subresource=None):
        md = obj["metadata"]
        with self.lock:
            key = self._key(res, md.get("namespace"), md["name"])
            old = self.objs.get(key)
            if old is None:
                raise ApiError(404, "NotFound", "not found")
            if md.get("resourceVersion") and md["resourceVersion"] != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict", "the object has been modified")
            new = copy.deepcopy(old)
            if subresource == "status":
                new["status"] = copy.deepcopy(obj.get("status"))
            else:
                st = new.get("status")
                new = copy.deepcopy(obj)
                if st is not None:
                    new["status"] = st
                for k in ("uid", "creationTimestamp", "generation", "deletionTimestamp"):
                    if k in old["metadata"]:
                        new["metadata"][k] = old["metadata"][k]
            return self._store(res, key, old, new, subresource == "status")

    def patch(self, res, ns, name, patch, ptype="merge", subresource=None):
        def fn(o):
            _merge(o, patch)
        r = self.mutate(res, ns, name, fn, subresource=subresource)
        if r is None:
            raise ApiError(404, "NotFound", '%s "%s" not found' % (res, name))
        return r

    def mutate(self, res, ns, name, fn, subresource=None):
        with self.lock:
            key = self._key(res, ns, name)
            old = self.objs.get(key)
            if old is None:
                return None
            new = copy.deepcopy(old)
            fn(new)
            return self._store(res, key, old, new, subresource == "status")

    def delete(self, res, ns, name, propagation=None):
        with self.lock:
            key = self._key(res, ns, name)
            old = self.objs.get(key)
            if old is None:
                raise ApiError(404, "NotFound", '%s "%s" not found' % (res, name))
            if old["metadata"].get("finalizers"):
                if not old["metadata"].get("deletionTimestamp"):
                    new = copy.deepcopy(old)
                    new["metadata"]["deletionTimestamp"] = datetime.datetime.now(
                        datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                    self._bump(new)
                    self.objs[key] = new
                    self._emit("MODIFIED", res, new)
                    return copy.deepcopy(new)
                return copy.deepcopy(old)
            del self.objs[key]
            self._bump(old)
            self._emit("DELETED", res, old)
            if res == "namespaces":
                for k in [k for k in self.objs if k[1] == name]:
                    o = self.objs.pop(k)
                    self._emit("DELETED", k[0], o)
            return copy.deepcopy(old)
