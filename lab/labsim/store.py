"""The lab's object store: a thread-safe in-memory Kubernetes object database.

Resources are named ``plural.group`` (``plans.forklift.konveyor.io``) or just ``plural`` for the core
group (``pods``).  Objects are plain JSON dicts; every public method returns deep copies.

Semantics follow the Kubernetes API conventions (see
``shared/reference/kube-kubevirt-notes.md`` §4): one global resourceVersion counter (a string of digits
on the objects), uid / creationTimestamp / generation, generateName with retries, Status errors as
``ApiError``, optimistic concurrency, merge / JSON / strategic-merge patch, the status subresource,
finalizers + deletionTimestamp, owner-reference garbage collection (Background / Foreground / Orphan),
namespace termination, a bounded event history for watches (410 Expired beyond it) and ordered
subscriber callbacks from one dispatcher thread.
"""

import base64
import collections
import json
import queue
import random
import re
import threading
import time
import uuid

__all__ = ["ApiError", "Kind", "Store", "parse_label_selector", "parse_field_selector",
           "merge_patch", "json_patch", "strategic_merge_patch", "now_rfc3339"]


def now_rfc3339(t=None):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() if t is None else t))


def _copy(obj):
    # JSON round trip is faster than deepcopy for plain JSON data and guarantees JSON-ness.
    return json.loads(json.dumps(obj))


class ApiError(Exception):
    """A Kubernetes Status error: ``ApiError(code, reason, message, details=None)``."""

    def __init__(self, code, reason, message, details=None, headers=None):
        super().__init__(message)
        self.code = int(code)
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = dict(headers or {})

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
              "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            st["details"] = self.details
        return st

    def __repr__(self):
        return "ApiError(%d, %r, %r)" % (self.code, self.reason, self.message)


class Kind:
    """What the store and the API server know about one resource type."""

    def __init__(self, res, kind, namespaced, group="", version="v1", status_subresource=False,
                 short_names=(), categories=(), builtin=None, singular=None, printer_columns=None,
                 schema=None, verbs=None, subresources=()):
        self.res = res
        self.plural = res.split(".", 1)[0]
        self.group = group if group else (res.split(".", 1)[1] if "." in res else "")
        self.version = version
        self.kind = kind
        self.namespaced = bool(namespaced)
        self.status_subresource = bool(status_subresource)
        self.short_names = list(short_names)
        self.categories = list(categories)
        # builtin: strategic merge patch accepted (compiled-in types of kubectl)
        self.builtin = (self.group in BUILTIN_GROUPS) if builtin is None else bool(builtin)
        self.singular = singular or kind.lower()
        self.printer_columns = printer_columns or []
        self.schema = schema  # openAPIV3Schema (dict) for custom resources, or None
        self.verbs = verbs or ["create", "delete", "deletecollection", "get", "list", "patch",
                               "update", "watch"]
        self.subresources = list(subresources)  # extra subresource names (beyond status)

    @property
    def api_version(self):
        return "%s/%s" % (self.group, self.version) if self.group else self.version

    @property
    def group_version(self):
        return self.api_version

    def qualified(self):
        """``plural.group`` as used in error messages (``configmaps`` for the core group)."""
        return "%s.%s" % (self.plural, self.group) if self.group else self.plural


BUILTIN_GROUPS = {"", "apps", "batch", "policy", "rbac.authorization.k8s.io", "storage.k8s.io",
                  "networking.k8s.io", "coordination.k8s.io", "events.k8s.io", "autoscaling",
                  "apiextensions.k8s.io", "admissionregistration.k8s.io", "scheduling.k8s.io",
                  "discovery.k8s.io", "node.k8s.io", "certificates.k8s.io"}


# --------------------------------------------------------------------------- selectors

_LBL_RE = re.compile(r"\s*([A-Za-z0-9_./-]+)\s*(!=|==|=|\s+in\s+|\s+notin\s+)?\s*", re.I)


def parse_label_selector(sel):
    """Parse a label selector string into a list of (key, op, values). Raises ApiError 400."""
    if sel is None:
        return []
    if isinstance(sel, dict):
        return [(k, "=", [str(v)]) for k, v in sel.items()]
    if isinstance(sel, list):
        return sel
    reqs = []
    s = sel.strip()
    i = 0
    while i < len(s):
        while i < len(s) and s[i] in " ,":
            i += 1
        if i >= len(s):
            break
        neg = False
        if s[i] == "!":
            neg = True
            i += 1
        m = re.match(r"\s*([A-Za-z0-9_./-]+)\s*", s[i:])
        if not m:
            raise ApiError(400, "BadRequest", "unable to parse requirement: invalid label selector %r" % sel)
        key = m.group(1)
        i += m.end()
        if neg:
            reqs.append((key, "!exists", []))
            continue
        rest = s[i:]
        m2 = re.match(r"(!=|==|=)\s*([A-Za-z0-9_.-]*)\s*", rest)
        if m2:
            op = "!=" if m2.group(1) == "!=" else "="
            reqs.append((key, op, [m2.group(2)]))
            i += m2.end()
            continue
        m3 = re.match(r"(in|notin)\s*\(([^)]*)\)\s*", rest, re.I)
        if m3:
            vals = [v.strip() for v in m3.group(2).split(",") if v.strip() != ""]
            reqs.append((key, m3.group(1).lower(), vals))
            i += m3.end()
            continue
        if rest == "" or rest.startswith(","):
            reqs.append((key, "exists", []))
            continue
        raise ApiError(400, "BadRequest", "unable to parse requirement: invalid label selector %r" % sel)
    return reqs


def label_match(labels, reqs):
    labels = labels or {}
    for key, op, vals in reqs:
        has = key in labels
        v = labels.get(key)
        if op == "=" and (not has or v != vals[0]):
            return False
        if op == "!=" and has and v == vals[0]:
            return False
        if op == "in" and (not has or v not in vals):
            return False
        if op == "notin" and has and v in vals:
            return False
        if op == "exists" and not has:
            return False
        if op == "!exists" and has:
            return False
    return True


def parse_field_selector(sel):
    if sel is None:
        return []
    if isinstance(sel, dict):
        return [(k, "=", str(v)) for k, v in sel.items()]
    if isinstance(sel, list):
        return sel
    reqs = []
    for part in sel.split(","):
        part = part.strip()
        if not part:
            continue
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(!=|==|=)\s*(.*)$", part)
        if not m:
            raise ApiError(400, "BadRequest", "invalid selector: '%s'; can't understand '%s'" % (sel, part))
        reqs.append((m.group(1), "!=" if m.group(2) == "!=" else "=", m.group(3)))
    return reqs


def _field_value(obj, path):
    cur = obj
    for p in path.split("."):
        if not isinstance(cur, dict):
            return ""
        cur = cur.get(p)
    if cur is None:
        return ""
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return str(cur)


def field_match(obj, reqs):
    for path, op, val in reqs:
        v = _field_value(obj, path)
        if op == "=" and v != val:
            return False
        if op == "!=" and v == val:
            return False
    return True


# --------------------------------------------------------------------------- patches

def merge_patch(target, patch):
    """RFC 7386 JSON merge patch (returns a new value)."""
    if not isinstance(patch, dict):
        return _copy(patch)
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def _ptr_tokens(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, "Invalid", "json patch: invalid path %r" % path)
    return [t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/")]


def _ptr_parent(doc, tokens, path):
    cur = doc
    for t in tokens[:-1]:
        if isinstance(cur, dict):
            if t not in cur:
                raise ApiError(422, "Invalid", "jsonpatch: path %s: missing key %r" % (path, t))
            cur = cur[t]
        elif isinstance(cur, list):
            try:
                cur = cur[int(t)]
            except (ValueError, IndexError):
                raise ApiError(422, "Invalid", "jsonpatch: path %s: invalid index %r" % (path, t))
        else:
            raise ApiError(422, "Invalid", "jsonpatch: path %s does not exist" % path)
    return cur


def _ptr_get(doc, path):
    tokens = _ptr_tokens(path)
    if not tokens:
        return doc
    parent = _ptr_parent(doc, tokens, path)
    last = tokens[-1]
    try:
        if isinstance(parent, dict):
            return parent[last]
        if isinstance(parent, list):
            return parent[int(last)]
    except (KeyError, ValueError, IndexError):
        pass
    raise ApiError(422, "Invalid", "jsonpatch: path %s does not exist" % path)


def _ptr_add(doc, path, value):
    tokens = _ptr_tokens(path)
    if not tokens:
        return value
    parent = _ptr_parent(doc, tokens, path)
    last = tokens[-1]
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        else:
            try:
                idx = int(last)
            except ValueError:
                raise ApiError(422, "Invalid", "jsonpatch: invalid index in %s" % path)
            if idx < 0 or idx > len(parent):
                raise ApiError(422, "Invalid", "jsonpatch: index out of range in %s" % path)
            parent.insert(idx, value)
    else:
        raise ApiError(422, "Invalid", "jsonpatch: path %s does not exist" % path)
    return doc


def _ptr_remove(doc, path):
    tokens = _ptr_tokens(path)
    if not tokens:
        raise ApiError(422, "Invalid", "jsonpatch: cannot remove the whole document")
    parent = _ptr_parent(doc, tokens, path)
    last = tokens[-1]
    try:
        if isinstance(parent, dict):
            return parent.pop(last)
        if isinstance(parent, list):
            return parent.pop(int(last))
    except (KeyError, ValueError, IndexError):
        pass
    raise ApiError(422, "Invalid", "jsonpatch: unable to remove nonexistent key %s" % path)


def json_patch(doc, ops):
    """RFC 6902 JSON patch (returns a new value). Failures raise ApiError 422."""
    if not isinstance(ops, list):
        raise ApiError(400, "BadRequest", "json patch: the body must be a JSON array of operations")
    doc = _copy(doc)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise ApiError(400, "BadRequest", "json patch: invalid operation %r" % (op,))
        kind, path = op["op"], op["path"]
        if kind == "add":
            doc = _ptr_add(doc, path, _copy(op.get("value")))
        elif kind == "remove":
            _ptr_remove(doc, path)
        elif kind == "replace":
            _ptr_get(doc, path)
            tokens = _ptr_tokens(path)
            if not tokens:
                doc = _copy(op.get("value"))
            else:
                parent = _ptr_parent(doc, tokens, path)
                if isinstance(parent, dict):
                    parent[tokens[-1]] = _copy(op.get("value"))
                else:
                    parent[int(tokens[-1])] = _copy(op.get("value"))
        elif kind == "move":
            val = _ptr_remove(doc, op["from"])
            doc = _ptr_add(doc, path, val)
        elif kind == "copy":
            doc = _ptr_add(doc, path, _copy(_ptr_get(doc, op["from"])))
        elif kind == "test":
            if _ptr_get(doc, path) != op.get("value"):
                raise ApiError(422, "Invalid", "the server rejected our request due to an error in our "
                               "request: testing value %s failed" % path)
        else:
            raise ApiError(400, "BadRequest", "json patch: unknown operation %r" % kind)
    return doc


# merge keys of the built-in types kubectl sends strategic merge patches for
_SMP_KEYS = {"containers": "name", "initContainers": "name", "ephemeralContainers": "name",
             "volumes": "name", "env": "name", "ports": "containerPort", "volumeMounts": "mountPath",
             "volumeDevices": "devicePath", "imagePullSecrets": "name", "conditions": "type",
             "tolerations": "key", "hostAliases": "ip", "envFrom": None, "finalizers": None,
             "ownerReferences": "uid", "topologySpreadConstraints": "topologyKey",
             "subsets": None, "rules": None, "subjects": None, "args": None, "command": None}


def _smp_list_key(field, items):
    if field in _SMP_KEYS:
        return _SMP_KEYS[field]
    return None


def strategic_merge_patch(target, patch, field=None):
    """A faithful-enough strategic merge patch for built-in types (maps merge, keyed lists merge by
    their patchMergeKey, directives $patch / $retainKeys / $setElementOrder / $deleteFromPrimitiveList)."""
    if not isinstance(patch, dict):
        return _copy(patch)
    if patch.get("$patch") == "replace":
        p = dict(patch)
        p.pop("$patch")
        return _strip_directives(p)
    if patch.get("$patch") == "delete":
        return None
    if not isinstance(target, dict):
        target = {}
    out = dict(target)
    retain = patch.get("$retainKeys")
    orders = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            f = k.split("/", 1)[1]
            if isinstance(out.get(f), list):
                out[f] = [x for x in out[f] if x not in v]
            continue
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict):
            out[k] = strategic_merge_patch(out.get(k), v, k)
        elif isinstance(v, list):
            key = _smp_list_key(k, v)
            cur = out.get(k)
            if key and isinstance(cur, list) and all(isinstance(x, dict) for x in v):
                merged = [_copy(x) for x in cur]
                for item in v:
                    kv = item.get(key)
                    idx = next((i for i, x in enumerate(merged) if isinstance(x, dict) and x.get(key) == kv), None)
                    if item.get("$patch") == "delete":
                        if idx is not None:
                            merged.pop(idx)
                        continue
                    if idx is None:
                        merged.append(_strip_directives(item))
                    else:
                        merged[idx] = strategic_merge_patch(merged[idx], item, k)
                out[k] = merged
            else:
                out[k] = _strip_directives(v)
        else:
            out[k] = v
    for f, order in orders.items():
        key = _SMP_KEYS.get(f)
        cur = out.get(f)
        if not isinstance(cur, list):
            continue
        def pos(x):
            ident = x.get(key) if (key and isinstance(x, dict)) else x
            for i, o in enumerate(order):
                oi = o.get(key) if (key and isinstance(o, dict)) else o
                if oi == ident:
                    return i
            return len(order)
        out[f] = sorted(cur, key=pos)
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _strip_directives(v):
    if isinstance(v, dict):
        return {k: _strip_directives(x) for k, x in v.items() if not k.startswith("$")}
    if isinstance(v, list):
        return [_strip_directives(x) for x in v]
    return v


# --------------------------------------------------------------------------- names

_GEN_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def _generate_name(prefix, rnd=random):
    return prefix[:58] + "".join(rnd.choice(_GEN_ALPHABET) for _ in range(5))


# --------------------------------------------------------------------------- the store

class Store:
    """Thread-safe object store. See the module doc and lab-interface.md."""

    def __init__(self, history_size=2000, log=None):
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._kinds = {}
        self._objs = {}          # res -> {(ns, name): obj}
        self._by_uid = {}        # uid -> (res, ns, name)
        self._rv = 0
        self._history = collections.deque()
        self._history_size = int(history_size)
        self._compacted = 0      # newest resourceVersion dropped from the history
        self._subs = []
        self._events = queue.Queue()
        self._gc = queue.Queue()
        self._rnd = random.SystemRandom()
        self._log = log
        self._closed = False
        self._defaulter = None
        self._dry = False
        self._gc_pending = 0
        self._gc_idle = threading.Condition(threading.Lock())
        self._dispatcher = threading.Thread(target=self._dispatch_loop, name="store-dispatch", daemon=True)
        self._dispatcher.start()
        self._gc_thread = threading.Thread(target=self._gc_loop, name="store-gc", daemon=True)
        self._gc_thread.start()

    # ------------------------------------------------------------------ kinds
    def register_kind(self, res, kind, namespaced, **kw):
        """Register a resource type (``res`` = ``plural.group`` or ``plural``). Keyword arguments are
        those of ``Kind``: group, version, status_subresource, short_names, categories, builtin,
        singular, printer_columns, schema, verbs, subresources. Re-registering replaces the entry."""
        k = res if isinstance(res, Kind) else Kind(res, kind, namespaced, **kw)
        with self._lock:
            self._kinds[k.res] = k
            self._objs.setdefault(k.res, {})
        return k

    class _DryRun:
        def __init__(self, store, on):
            self.store, self.on, self.prev = store, on, False

        def __enter__(self):
            self.prev = self.store._dry
            self.store._dry = self.prev or self.on

        def __exit__(self, *a):
            self.store._dry = self.prev

    def _dry_run(self, on):
        """Context manager (used under the lock): operations compute their result without storing."""
        return Store._DryRun(self, bool(on))

    def set_defaulter(self, fn):
        """``fn(kind, obj)`` applies schema defaults in place; called on every create and non-status
        update (like the apiserver defaulting custom resources)."""
        self._defaulter = fn

    def kind(self, res):
        """The ``Kind`` of ``res``; ApiError 404 when unknown."""
        k = self._kinds.get(res)
        if k is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return k

    def kinds(self):
        return list(self._kinds.values())

    def has_kind(self, res):
        return res in self._kinds

    def find_kind(self, group, plural):
        res = "%s.%s" % (plural, group) if group else plural
        return self._kinds.get(res)

    # ------------------------------------------------------------------ basics
    @property
    def resource_version(self):
        with self._lock:
            return str(self._rv)

    def _next_rv(self):
        self._rv += 1
        return str(self._rv)

    def _bucket(self, res):
        self.kind(res)
        return self._objs[res]

    def _key(self, k, ns, name):
        return ((ns or "") if k.namespaced else "", name)

    def _not_found(self, k, name):
        return ApiError(404, "NotFound", '%s "%s" not found' % (k.qualified(), name),
                        {"name": name, "group": k.group, "kind": k.plural})

    def _commit(self, etype, res, obj, prev=None):
        rv = int(obj["metadata"]["resourceVersion"])
        snap = _copy(obj)
        self._history.append((rv, etype, res, snap, prev))
        while len(self._history) > self._history_size:
            old = self._history.popleft()
            self._compacted = old[0]
        self._events.put((etype, res, snap))
        self._cond.notify_all()

    # ------------------------------------------------------------------ read
    def get(self, res, ns, name):
        with self._lock:
            k = self.kind(res)
            obj = self._objs[res].get(self._key(k, ns, name))
            if obj is None:
                raise self._not_found(k, name)
            return _copy(obj)

    def exists(self, res, ns, name):
        with self._lock:
            k = self.kind(res)
            return self._key(k, ns, name) in self._objs[res]

    def list(self, res, ns=None, label_selector=None, field_selector=None):
        return self.list_with_rv(res, ns, label_selector, field_selector)[0]

    def list_with_rv(self, res, ns=None, label_selector=None, field_selector=None):
        """(items, resourceVersion) of a consistent snapshot."""
        lreq = parse_label_selector(label_selector)
        freq = parse_field_selector(field_selector)
        with self._lock:
            k = self.kind(res)
            out = []
            for (ons, _), obj in sorted(self._objs[res].items()):
                if k.namespaced and ns and ons != ns:
                    continue
                if not label_match(obj["metadata"].get("labels"), lreq):
                    continue
                if freq and not field_match(obj, freq):
                    continue
                out.append(_copy(obj))
            return out, str(self._rv)

    def uid_exists(self, uid):
        with self._lock:
            return uid in self._by_uid

    def dump(self):
        """Every object: {res: [obj, ...]}."""
        with self._lock:
            return {res: [_copy(o) for _, o in sorted(b.items())] for res, b in self._objs.items() if b}

    # ------------------------------------------------------------------ create
    def create(self, res, obj, ns=None, admit=None, dry_run=False):
        """Create ``obj``; returns the stored object. ``admit(new, None)`` (optional) may modify or
        reject (raise ApiError) the object before it is stored. ``dry_run``: everything but storing."""
        with self._lock, self._dry_run(dry_run):
            k = self.kind(res)
            obj = _copy(obj)
            if not isinstance(obj, dict):
                raise ApiError(400, "BadRequest", "the body must be a JSON object")
            md = obj.setdefault("metadata", {})
            if not isinstance(md, dict):
                raise ApiError(400, "BadRequest", "metadata must be an object")
            obj["apiVersion"] = k.api_version
            obj["kind"] = k.kind
            if k.namespaced:
                bns = md.get("namespace")
                if ns and bns and bns != ns:
                    raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                                   "the namespace sent on the request")
                ns = ns or bns or "default"
                md["namespace"] = ns
                nsobj = self._objs.get("namespaces", {}).get(("", ns))
                if nsobj is None:
                    raise ApiError(404, "NotFound", 'namespaces "%s" not found' % ns,
                                   {"name": ns, "kind": "namespaces"})
                if nsobj["metadata"].get("deletionTimestamp"):
                    raise ApiError(403, "Forbidden", '%s "%s" is forbidden: unable to create new content in '
                                   'namespace %s because it is being terminated'
                                   % (k.qualified(), md.get("name") or md.get("generateName", ""), ns),
                                   {"name": md.get("name", ""), "group": k.group, "kind": k.plural,
                                    "causes": [{"reason": "NamespaceTerminating", "message":
                                                "namespace %s is being terminated" % ns,
                                                "field": "metadata.namespace"}]})
            else:
                md.pop("namespace", None)
                ns = ""
            for f in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation", "selfLink"):
                md.pop(f, None)
            if res == "namespaces":
                obj.setdefault("spec", {}).setdefault("finalizers", ["kubernetes"])
                obj["status"] = {"phase": "Active"}
            if not md.get("generateName"):
                md.pop("generateName", None)
            gen = md.get("generateName")
            name = md.get("name")
            if not name and not gen:
                raise ApiError(422, "Invalid", "%s \"\" is invalid: metadata.name: Required value: name or "
                               "generateName is required" % self._kind_q(k),
                               {"kind": k.kind, "group": k.group, "causes": [
                                   {"reason": "FieldValueRequired", "message":
                                    "Required value: name or generateName is required", "field": "metadata.name"}]})
            if admit is not None:
                obj = admit(obj, None) or obj
                md = obj["metadata"]
            if self._defaulter is not None:
                self._defaulter(k, obj)
            bucket = self._objs[res]
            attempts = 8 if (gen and not name) else 1
            for _ in range(attempts):
                if gen and not name:
                    md["name"] = _generate_name(gen, self._rnd)
                self._check_name(k, md["name"])
                if self._key(k, ns, md["name"]) not in bucket:
                    break
            else:
                pass
            key = self._key(k, ns, md["name"])
            if key in bucket:
                raise ApiError(409, "AlreadyExists", '%s "%s" already exists' % (k.qualified(), md["name"]),
                               {"name": md["name"], "group": k.group, "kind": k.plural})
            md["uid"] = str(uuid.uuid4())
            md["creationTimestamp"] = now_rfc3339()
            md["generation"] = 1
            if self._dry:
                return _copy(obj)
            md["resourceVersion"] = self._next_rv()
            bucket[key] = obj
            self._by_uid[md["uid"]] = (res, ns, md["name"])
            self._commit("ADDED", res, obj)
            return _copy(obj)

    def _kind_q(self, k):
        return "%s.%s" % (k.kind, k.group) if k.group else k.kind

    def _check_name(self, k, name):
        ok = _DNS_LABEL.match(name) if k.res == "namespaces" else _DNS_SUBDOMAIN.match(name)
        if not isinstance(name, str) or not ok or len(name) > (63 if k.res == "namespaces" else 253):
            msg = ("a lowercase RFC 1123 %s must consist of lower case alphanumeric characters, '-' or '.', "
                   "and must start and end with an alphanumeric character"
                   % ("label" if k.res == "namespaces" else "subdomain"))
            raise ApiError(422, "Invalid", '%s "%s" is invalid: metadata.name: Invalid value: "%s": %s'
                           % (self._kind_q(k), name, name, msg),
                           {"name": name, "kind": k.kind, "group": k.group, "causes": [
                               {"reason": "FieldValueInvalid", "message": "Invalid value: \"%s\": %s" % (name, msg),
                                "field": "metadata.name"}]})

    # ------------------------------------------------------------------ update
    def update(self, res, obj, subresource=None, admit=None, dry_run=False):
        """Replace an object (PUT semantics). Optimistic concurrency when ``metadata.resourceVersion``
        is set. ``subresource="status"`` applies only ``.status``; otherwise ``.status`` changes are
        ignored for kinds with a status subresource. ``admit(new, old)`` as for ``create``."""
        with self._lock, self._dry_run(dry_run):
            k = self.kind(res)
            md = (obj or {}).get("metadata") or {}
            return self._update_locked(k, md.get("namespace"), md.get("name"), _copy(obj), subresource, admit)

    def _update_locked(self, k, ns, name, obj, subresource, admit, check_rv=True):
        bucket = self._objs[k.res]
        if not name:
            raise ApiError(422, "Invalid", "metadata.name: Required value: name is required",
                           {"kind": k.kind, "group": k.group,
                            "causes": [{"reason": "FieldValueRequired", "message": "Required value",
                                        "field": "metadata.name"}]})
        key = self._key(k, ns, name)
        old = bucket.get(key)
        if old is None:
            raise self._not_found(k, name)
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the body must be a JSON object")
        md = obj.setdefault("metadata", {})
        if k.namespaced and md.get("namespace") and md["namespace"] != old["metadata"].get("namespace"):
            raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the "
                           "namespace sent on the request")
        if md.get("name") and md["name"] != name:
            raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)"
                           % (md["name"], name))
        rv = md.get("resourceVersion")
        if check_rv and rv not in (None, "") and str(rv) != old["metadata"]["resourceVersion"]:
            raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                           'modified; please apply your changes to the latest version and try again'
                           % (k.qualified(), name), {"name": name, "group": k.group, "kind": k.plural})
        if subresource == "status":
            new = _copy(old)
            if "status" in obj:
                new["status"] = obj["status"]
            else:
                new.pop("status", None)
            # labels/annotations may not change through /status either; keep old metadata
        else:
            new = obj
            new["apiVersion"] = k.api_version
            new["kind"] = k.kind
            if k.status_subresource or k.res == "namespaces":
                if "status" in old:
                    new["status"] = _copy(old["status"])
                else:
                    new.pop("status", None)
            nmd = new["metadata"]
            omd = old["metadata"]
            for f in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds",
                      "name", "generation"):
                if f in omd:
                    nmd[f] = omd[f]
                else:
                    nmd.pop(f, None)
            if k.namespaced:
                nmd["namespace"] = omd["namespace"]
            else:
                nmd.pop("namespace", None)
            nmd.pop("generateName", None) if "generateName" not in omd else nmd.__setitem__("generateName", omd["generateName"])
            if omd.get("deletionTimestamp"):
                # finalizers may only be removed once deletion started
                pass
            if admit is not None:
                new = admit(new, _copy(old)) or new
            if self._defaulter is not None:
                self._defaulter(k, new)
        new["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
        if self._same(new, old):
            return _copy(old)
        if subresource != "status" and self._spec_changed(new, old):
            new["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
        if self._dry:
            return _copy(new)
        new["metadata"]["resourceVersion"] = self._next_rv()
        bucket[key] = new
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            if k.res != "namespaces":
                self._remove_locked(k, key, new)
                return _copy(new)
            self._enqueue_gc(("namespace", name))
        self._commit("MODIFIED", k.res, new, old)
        return _copy(new)

    @staticmethod
    def _same(a, b):
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)

    @staticmethod
    def _spec_changed(new, old):
        a = {k: v for k, v in new.items() if k not in ("metadata", "status")}
        b = {k: v for k, v in old.items() if k not in ("metadata", "status")}
        return json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True)

    # ------------------------------------------------------------------ patch
    def patch(self, res, ns, name, patch, ptype="merge", subresource=None, admit=None, dry_run=False):
        """Patch an object. ``ptype``: ``merge`` (RFC 7386), ``json`` (RFC 6902), ``strategic``
        (built-in kinds only, else 415) or ``apply`` (server-side apply, approximated by a merge
        patch; creates the object when absent). ``patch`` is the decoded body (dict or list) or bytes."""
        if isinstance(patch, (bytes, str)):
            try:
                patch = json.loads(patch)
            except ValueError as e:
                raise ApiError(400, "BadRequest", "error decoding patch: %s" % e)
        with self._lock, self._dry_run(dry_run):
            k = self.kind(res)
            if ptype == "strategic" and not k.builtin:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, "
                               "application/apply-patch+yaml")
            old = self._objs[res].get(self._key(k, ns, name))
            if old is None:
                if ptype == "apply" and isinstance(patch, dict):
                    body = _copy(patch)
                    body.setdefault("metadata", {})["name"] = name
                    return self.create(res, body, ns, admit=admit)
                raise self._not_found(k, name)
            cur = _copy(old)
            if ptype in ("merge", "apply"):
                if not isinstance(patch, dict):
                    raise ApiError(400, "BadRequest", "merge patch: the body must be a JSON object")
                new = merge_patch(cur, patch)
            elif ptype == "json":
                new = json_patch(cur, patch)
            elif ptype == "strategic":
                if not isinstance(patch, dict):
                    raise ApiError(400, "BadRequest", "strategic merge patch: the body must be a JSON object")
                new = strategic_merge_patch(cur, patch)
            else:
                raise ApiError(415, "UnsupportedMediaType", "unsupported patch type %r" % ptype)
            if not isinstance(new, dict):
                raise ApiError(422, "Invalid", "the patch turned the object into a non-object")
            new.setdefault("metadata", {})
            prv = patch.get("metadata", {}).get("resourceVersion") if isinstance(patch, dict) else None
            new["metadata"]["resourceVersion"] = prv if prv else old["metadata"]["resourceVersion"]
            if ptype == "json":
                # a JSON patch may touch resourceVersion itself
                new["metadata"]["resourceVersion"] = new["metadata"].get("resourceVersion") or old["metadata"]["resourceVersion"]
            new["metadata"]["name"] = name
            if k.namespaced:
                new["metadata"]["namespace"] = old["metadata"]["namespace"]
            return self._update_locked(k, ns, name, new, subresource, admit)

    # ------------------------------------------------------------------ mutate
    def mutate(self, res, ns, name, fn, subresource=None):
        """Atomic read-modify-write: ``fn(obj)`` edits a copy in place (its return value is ignored
        unless it is a dict, which then replaces the object). Bumps resourceVersion (and generation on a
        spec change) only when something changed. Returns the new object, or None when it is gone."""
        with self._lock:
            k = self.kind(res)
            old = self._objs[res].get(self._key(k, ns, name))
            if old is None:
                return None
            cur = _copy(old)
            r = fn(cur)
            if isinstance(r, dict):
                cur = r
            cur.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
            return self._update_locked(k, ns, name, cur, subresource, None, check_rv=False)

    # ------------------------------------------------------------------ delete
    def delete(self, res, ns, name, propagation=None, preconditions=None, dry_run=False):
        """Delete an object; returns its final state (with deletionTimestamp while finalizers remain).
        ``propagation``: None/"Background" (dependents collected afterwards), "Foreground" (dependents
        first), "Orphan" (dependents keep living, ownerReferences removed)."""
        with self._lock:
            k = self.kind(res)
            key = self._key(k, ns, name)
            old = self._objs[res].get(key)
            if old is None:
                raise self._not_found(k, name)
            if preconditions:
                if preconditions.get("uid") and preconditions["uid"] != old["metadata"]["uid"]:
                    raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": Precondition failed: '
                                   'UID in precondition: %s, UID in object meta: %s'
                                   % (k.qualified(), name, preconditions["uid"], old["metadata"]["uid"]))
                prv = preconditions.get("resourceVersion")
                if prv and prv != old["metadata"]["resourceVersion"]:
                    raise ApiError(409, "Conflict", 'Operation cannot be fulfilled on %s "%s": the object has been '
                                   'modified; please apply your changes to the latest version and try again'
                                   % (k.qualified(), name))
            uid = old["metadata"]["uid"]
            if dry_run:
                out = _copy(old)
                if old["metadata"].get("finalizers") or res == "namespaces":
                    out["metadata"].setdefault("deletionTimestamp", now_rfc3339())
                return out
            if res == "namespaces":
                if old["metadata"].get("deletionTimestamp"):
                    return _copy(old)
                new = _copy(old)
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new.setdefault("status", {})["phase"] = "Terminating"
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._objs[res][key] = new
                self._commit("MODIFIED", res, new, old)
                self._enqueue_gc(("namespace", name))
                return _copy(new)
            if propagation == "Orphan":
                self._orphan_locked(uid)
            elif propagation == "Foreground":
                for dres, dns, dname in self._dependents_locked(uid):
                    try:
                        self.delete(dres, dns, dname, "Foreground")
                    except ApiError:
                        pass
            if old["metadata"].get("finalizers"):
                if old["metadata"].get("deletionTimestamp"):
                    return _copy(old)
                new = _copy(old)
                new["metadata"]["deletionTimestamp"] = now_rfc3339()
                new["metadata"]["deletionGracePeriodSeconds"] = 0
                new["metadata"]["resourceVersion"] = self._next_rv()
                self._objs[res][key] = new
                self._commit("MODIFIED", res, new, old)
                return _copy(new)
            final = _copy(old)
            final["metadata"]["resourceVersion"] = self._next_rv()
            self._remove_locked(k, key, final, bump=False)
            return _copy(final)

    def _remove_locked(self, k, key, final, bump=True):
        if bump:
            final["metadata"]["resourceVersion"] = self._next_rv()
        self._objs[k.res].pop(key, None)
        uid = final["metadata"].get("uid")
        self._by_uid.pop(uid, None)
        self._commit("DELETED", k.res, final)
        if uid:
            self._enqueue_gc(("owner", uid))
        if k.namespaced:
            self._enqueue_gc(("namespace", final["metadata"].get("namespace")))

    def _dependents_locked(self, uid):
        out = []
        for res, bucket in self._objs.items():
            for (ns, name), obj in bucket.items():
                for ref in obj["metadata"].get("ownerReferences") or []:
                    if ref.get("uid") == uid:
                        out.append((res, ns, name))
                        break
        return out

    def _orphan_locked(self, uid):
        for res, ns, name in self._dependents_locked(uid):
            k = self._kinds[res]
            obj = _copy(self._objs[res][(ns, name)])
            obj["metadata"]["ownerReferences"] = [r for r in obj["metadata"].get("ownerReferences", [])
                                                  if r.get("uid") != uid]
            if not obj["metadata"]["ownerReferences"]:
                del obj["metadata"]["ownerReferences"]
            self._update_locked(k, ns, name, obj, None, None, check_rv=False)

    # ------------------------------------------------------------------ garbage collection
    def _enqueue_gc(self, item):
        with self._gc_idle:
            self._gc_pending += 1
        self._gc.put(item)

    def wait_gc_idle(self, timeout=10.0):
        """Block until the garbage collector has nothing left to do (for tests)."""
        deadline = time.monotonic() + timeout
        with self._gc_idle:
            while self._gc_pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._gc_idle.wait(left)
        return True

    def _gc_loop(self):
        while True:
            item = self._gc.get()
            if item is None:
                return
            try:
                if item[0] == "owner":
                    self._gc_owner(item[1])
                elif item[0] == "namespace" and item[1]:
                    self._gc_namespace(item[1])
            except Exception as e:  # never let the collector die
                if self._log:
                    self._log.exception("store gc: %s", e)
            finally:
                with self._gc_idle:
                    self._gc_pending -= 1
                    self._gc_idle.notify_all()

    def _gc_owner(self, uid):
        with self._lock:
            for res, ns, name in self._dependents_locked(uid):
                obj = self._objs[res].get((ns, name))
                if obj is None:
                    continue
                alive = [r for r in obj["metadata"].get("ownerReferences") or []
                         if r.get("uid") != uid and r.get("uid") in self._by_uid]
                if alive:
                    continue
                try:
                    self.delete(res, ns, name, "Background")
                except ApiError:
                    pass

    def _gc_namespace(self, ns):
        with self._lock:
            nsobj = self._objs.get("namespaces", {}).get(("", ns))
            if nsobj is None or not nsobj["metadata"].get("deletionTimestamp"):
                return
            remaining = 0
            for res, bucket in list(self._objs.items()):
                k = self._kinds[res]
                if not k.namespaced:
                    continue
                for (ons, name), obj in list(bucket.items()):
                    if ons != ns:
                        continue
                    remaining += 1
                    if not obj["metadata"].get("deletionTimestamp"):
                        try:
                            self.delete(res, ns, name, "Background")
                        except ApiError:
                            pass
            still = sum(1 for res, b in self._objs.items() if self._kinds[res].namespaced
                        for (ons, _) in b if ons == ns)
            if still == 0 and not nsobj["metadata"].get("finalizers"):
                final = _copy(nsobj)
                final.setdefault("spec", {})["finalizers"] = []
                self._remove_locked(self._kinds["namespaces"], ("", ns), final)
            elif still and remaining:
                # contents with finalizers: the namespace stays Terminating; conditions like the real one
                def fn(o):
                    o.setdefault("status", {})["conditions"] = [
                        {"type": "NamespaceFinalizersRemaining", "status": "True", "reason": "SomeFinalizersRemain",
                         "message": "Some content in the namespace has finalizers remaining",
                         "lastTransitionTime": now_rfc3339()}]
                cur = self._objs["namespaces"][("", ns)]
                if not (cur.get("status") or {}).get("conditions"):
                    self.mutate("namespaces", "", ns, fn, subresource="status")

    # ------------------------------------------------------------------ events
    def subscribe(self, fn):
        """``fn(event_type, res, obj)`` is called for every committed change, in order, from one
        dispatcher thread (never under the store lock). Exceptions are logged and ignored."""
        with self._lock:
            self._subs.append(fn)

    def unsubscribe(self, fn):
        with self._lock:
            if fn in self._subs:
                self._subs.remove(fn)

    def _dispatch_loop(self):
        while True:
            ev = self._events.get()
            if ev is None:
                return
            with self._lock:
                subs = list(self._subs)
            for fn in subs:
                try:
                    fn(ev[0], ev[1], _copy(ev[2]))
                except Exception as e:
                    if self._log:
                        self._log.exception("store subscriber %r: %s", fn, e)

    def events_after(self, rv, res=None, timeout=0.0):
        """Events newer than ``rv`` (int or str) as a list of (rv, type, res, obj), waiting up to
        ``timeout`` seconds for at least one. ApiError 410 Expired when ``rv`` is older than the
        bounded history."""
        return [e[:4] for e in self.events_since(rv, res, timeout)[0]]

    def events_since(self, rv, res=None, timeout=0.0):
        """Like ``events_after`` but returns (events, head_rv) with events as (rv, type, res, obj, prev)
        (``prev``: the state before a MODIFIED, else None; do not modify it); head_rv is the newest
        resourceVersion the caller has now seen everything up to (for bookmarks)."""
        rv = int(rv)
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                if rv < self._compacted:
                    raise ApiError(410, "Expired", "too old resource version: %d (%d)" % (rv, self._compacted + 1))
                out = []
                for ev in reversed(self._history):
                    if ev[0] <= rv:
                        break
                    if res is None or ev[2] == res:
                        out.append(ev)
                head = max(rv, self._history[-1][0] if self._history else rv)
                if out:
                    out.reverse()
                    return [(e[0], e[1], e[2], _copy(e[3]), e[4]) for e in out], head
                rv = head  # only other resources changed; keep waiting from there
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return [], head
                self._cond.wait(left)

    def compacted_rv(self):
        with self._lock:
            return self._compacted

    def compact(self):
        """Forget the whole event history (tests use it to provoke 410 Expired)."""
        with self._lock:
            if self._history:
                self._compacted = self._history[-1][0]
            self._history.clear()

    def close(self):
        with self._lock:
            self._closed = True
            self._cond.notify_all()
        self._events.put(None)
        self._gc.put(None)

    # ------------------------------------------------------------------ continue tokens
    @staticmethod
    def encode_continue(rv, start):
        raw = json.dumps({"v": "meta.k8s.io/v1", "rv": int(rv), "start": start}, separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @staticmethod
    def decode_continue(tok):
        try:
            pad = "=" * (-len(tok) % 4)
            d = json.loads(base64.urlsafe_b64decode(tok + pad))
            return int(d["rv"]), str(d["start"])
        except Exception:
            raise ApiError(400, "BadRequest", "continue key is not valid: illegal base64 data")
