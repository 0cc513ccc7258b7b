"""ForkliftController: the operator's 'reconcile' of a spec change into the forklift-controller
Deployment env (PRECOPY_INTERVAL...), conditions Running -> Successful like ansible-operator."""
import time

from .. import seed
from .common import RES, MTV_NS, err_code

RECONCILE_SECONDS = 0.4


class ForkliftControllerCtrl:
    def __init__(self, mgr):
        self.mgr = mgr
        self.pending = {}  # name -> (generation, due monotonic)

    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            fc = st.get(RES["fc"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                self.pending.pop(name, None)
                return
            raise
        gen = fc["metadata"].get("generation", 1)
        status = fc.get("status") or {}
        if status.get("observedGeneration") == gen and name not in self.pending:
            return
        p = self.pending.get(name)
        if p is None or p[0] != gen:
            # start: Running/Running reconciliation, Successful goes away until done
            def start(o):
                o.setdefault("status", {})["conditions"] = seed.fc_conditions(False)
            st.mutate(RES["fc"], ns, name, start, subresource="status")
            self.pending[name] = (gen, time.monotonic() + RECONCILE_SECONDS)
            self.mgr.queue.add(("fc", ns, name), RECONCILE_SECONDS)
            return
        if time.monotonic() < p[1]:
            self.mgr.queue.add(("fc", ns, name), p[1] - time.monotonic())
            return
        spec = fc.get("spec") or {}
        if ns == MTV_NS:
            def upd(d):
                for c in d["spec"]["template"]["spec"]["containers"]:
                    if c.get("name") != "main":
                        continue
                    old = {e["name"]: e.get("value") for e in c.get("env") or []}
                    eff = dict(spec)
                    iv = spec.get("controller_precopy_interval")
                    # the operator template only renders numbers (a string is ignored)
                    if iv is None:
                        eff["controller_precopy_interval"] = 60
                    elif isinstance(iv, bool) or not isinstance(iv, int) or iv < 1:
                        eff["controller_precopy_interval"] = old.get("PRECOPY_INTERVAL", "60")
                    c["env"] = seed.controller_env(eff)
            st.mutate(RES["deployment"], MTV_NS, "forklift-controller", upd)

        def done(o):
            s = o.setdefault("status", {})
            s["conditions"] = seed.fc_conditions(True)
            s["observedGeneration"] = gen
        st.mutate(RES["fc"], ns, name, done, subresource="status")
        self.pending.pop(name, None)
        self.mgr.wake_executions()

    def precopy_interval(self):
        """Minutes, live from the Deployment env (what the controller process would read)."""
        try:
            d = self.mgr.store.get(RES["deployment"], MTV_NS, "forklift-controller")
            for c in d["spec"]["template"]["spec"]["containers"]:
                for e in c.get("env") or []:
                    if e.get("name") == "PRECOPY_INTERVAL":
                        v = int(str(e.get("value")).strip())
                        return max(1, v)
        except Exception:  # noqa: BLE001
            pass
        return 60

    def global_setting(self, key):
        try:
            fc = self.mgr.store.get(RES["fc"], MTV_NS, "forklift-controller")
            return (fc.get("spec") or {}).get(key)
        except Exception:  # noqa: BLE001
            return None
