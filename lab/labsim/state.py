"""Defects and faults registry (CONTRACTS.md §6), shared by the API server, the controllers and the CLI."""

import threading

# defect -> validators it must make fail (CONTRACTS.md §6)
DEFECTS = {
    "wrong-cpu": ["cpu"],
    "wrong-memory": ["memory"],
    "wrong-network": ["network"],
    "wrong-mac": ["network", "static_ip"],
    "missing-disk": ["storage", "pvc_names"],
    "wrong-storage-class": ["storage"],
    "wrong-pvc-name": ["pvc_names"],
    "wrong-serial": ["serial"],
    "drop-labels": ["labels"],
    "drop-affinity": ["affinity"],
    "wrong-power-state": ["power_state"],
    "no-guest-agent": ["guest_agent"],
    "ssh-down": ["ssh", "static_ip"],
    "static-ip-lost": ["static_ip"],
    "insecure-mismatch": ["provider_ssl"],
    "migration-fails": [],
    "migration-cancels": [],
    "plan-never-ready": [],
}

FAULTS = ["http-500", "http-429", "reset", "slow", "watch-drop", "token-expiry", "vcenter-session-loss"]


class State:
    """Thread-safe defect/fault registry. ``fault_params`` holds optional tuning (e.g. a rate) set
    through the admin endpoint; the controllers only use the documented methods."""

    def __init__(self):
        self._lock = threading.Lock()
        self._defects = set()
        self._faults = {}          # name -> params dict
        self._fired = {}
        self._listeners = []

    # defects
    def defect_active(self, name):
        with self._lock:
            return name in self._defects

    def defects(self):
        with self._lock:
            return set(self._defects)

    def set_defect(self, name):
        if name not in DEFECTS:
            raise ValueError("unknown defect %r (known: %s)" % (name, ", ".join(sorted(DEFECTS))))
        with self._lock:
            self._defects.add(name)
        self._notify("defect", name)

    def clear_defects(self):
        with self._lock:
            self._defects.clear()
        self._notify("defect", None)

    # faults
    def fault_active(self, name):
        with self._lock:
            return name in self._faults

    def faults(self):
        with self._lock:
            return set(self._faults)

    def fault_params(self, name):
        with self._lock:
            return dict(self._faults.get(name) or {})

    def set_fault(self, name, **params):
        if name not in FAULTS:
            raise ValueError("unknown fault %r (known: %s)" % (name, ", ".join(FAULTS)))
        with self._lock:
            self._faults[name] = dict(params)
        self._notify("fault", name)

    def clear_faults(self):
        with self._lock:
            self._faults.clear()
        self._notify("fault", None)

    def fault_fired(self, name):
        with self._lock:
            self._fired[name] = self._fired.get(name, 0) + 1

    def fired(self):
        with self._lock:
            return dict(self._fired)

    def on_change(self, fn):
        """``fn(what, name)`` after a defect/fault is set (name) or cleared (None)."""
        with self._lock:
            self._listeners.append(fn)

    def _notify(self, what, name):
        with self._lock:
            ls = list(self._listeners)
        for fn in ls:
            try:
                fn(what, name)
            except Exception:
                pass

    def snapshot(self):
        with self._lock:
            return {"defects_active": sorted(self._defects), "faults_active": sorted(self._faults),
                    "faults_fired": dict(self._fired)}
