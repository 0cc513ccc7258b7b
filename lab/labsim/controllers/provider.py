"""Provider controller: vsphere (real login to vcsim with the Secret), openshift (host or URL+token)."""
import threading
import urllib.parse

from .. import vsphere
from .common import RES, Conditions, secret_data, err_code, truthy, log

SUPPORTED = ("openshift", "vsphere", "ovirt", "openstack", "ova", "ec2", "hyperv", "nutanix")


class ProviderCtrl:
    def __init__(self, mgr):
        self.mgr = mgr
        self.tested = {}  # uid -> (generation, secret rv, result dict)
        self.lock = threading.Lock()

    def _secret(self, p):
        ref = (p.get("spec") or {}).get("secret") or {}
        if not ref.get("name"):
            return None, "NotSet"
        try:
            return self.mgr.store.get(RES["secret"], ref.get("namespace") or p["metadata"]["namespace"],
                                      ref["name"]), None
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return None, "NotFound"
            raise

    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            p = st.get(RES["provider"], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return
            raise
        uid = p["metadata"]["uid"]
        if p["metadata"].get("deletionTimestamp"):
            self.mgr.inv.drop(uid)
            return
        spec = p.get("spec") or {}
        ptype = spec.get("type")
        conds = Conditions((p.get("status") or {}).get("conditions"))
        status = {"observedGeneration": p["metadata"].get("generation", 1)}
        phase = "Staging"
        if ptype not in SUPPORTED:
            conds.set("ProviderTypeNotSupported", "Critical", "The provider type is not supported.", reason="NotSupported")
            return self._write(p, conds, status, "ValidationFailed")
        url = spec.get("url") or ""
        host_provider = ptype == "openshift" and url == ""
        secret, serr = (None, None) if host_provider else self._secret(p)
        if not host_provider:
            if serr:
                conds.set("SecretNotValid", "Critical", "The `secret` is not valid.", reason=serr)
                return self._write(p, conds, status, "ValidationFailed")
            status["secretResourceVersion"] = secret["metadata"].get("resourceVersion", "")
        if ptype == "vsphere":
            if not url:
                conds.set("UrlNotValid", "Critical", "The `url` is not valid.", reason="NotSet")
                return self._write(p, conds, status, "ValidationFailed")
            try:
                vsphere.split_url(url)
            except ValueError:
                conds.set("UrlNotValid", "Critical", "The `url` is not valid.", reason="Malformed")
                return self._write(p, conds, status, "ValidationFailed")
            data = secret_data(secret)
            missing = [k for k in ("user", "password") if not data.get(k)]
            if missing:
                conds.set("SecretNotValid", "Critical", "The `secret` is not valid.", reason="DataErr", items=missing)
                return self._write(p, conds, status, "ValidationFailed")
            insecure = truthy(data.get("insecureSkipVerify", "false"))
            cacert = data.get("ca.crt") or data.get("cacert") or None
            key = (p["metadata"].get("generation"), status["secretResourceVersion"])
            with self.lock:
                prev = self.tested.get(uid)
            if prev is None or prev[0] != key:
                # test the connection (a real login) outside the reconcile worker
                self._write(p, conds, status, "Staging", keep_old=True)
                with self.lock:
                    self.tested[uid] = (key, None)
                threading.Thread(target=self._test_vsphere, args=(p, url, data, insecure, cacert, key),
                                 daemon=True, name="provider-test").start()
                return
            result = prev[1]
            if result is None:
                return  # test in progress
            if insecure:
                conds.set("ConnectionInsecure", "Warn", "TLS is susceptible to machine-in-the-middle attacks when "
                          "certificate verification is skipped.", reason="SkipTLSVerification")
            if not result["ok"]:
                if result["kind"] == "auth":
                    conds.set("ConnectionAuthFailed", "Critical", result["message"], reason="Tested")
                else:
                    conds.set("ConnectionTestFailed", "Critical", result["message"], reason="Tested")
                self.mgr.inv.drop(uid)
                return self._write(p, conds, status, "ConnectionFailed")
            status["fingerprint"] = result.get("fingerprint", "")
            conds.set("ConnectionTestSucceeded", "Required", "Connection test, succeeded.", reason="Tested")
            col = self.mgr.inv.ensure(uid, lambda: vsphere.Client(url, data["user"], data["password"],
                                                                   ca_pem=cacert, insecure=insecure), key=key)
            if col.loaded.is_set():
                conds.set("InventoryCreated", "Required", "The inventory has been loaded.", reason="Completed")
            else:
                conds.set("LoadInventory", "Advisory", "Loading the inventory.", reason="Started")
                self.mgr.queue.add(("provider", ns, name), 0.3)
            conds.set("Validated", "Advisory", "Validation has been completed.", reason="Completed")
            if conds.has("InventoryCreated"):
                conds.set("Ready", "Required", "The provider is ready.")
                phase = "Ready"
            return self._write(p, conds, status, phase)
        if ptype == "openshift":
            if not host_provider:
                data = secret_data(secret)
                token = data.get("token", "")
                ok_url = True
                try:
                    u = urllib.parse.urlparse(url)
                    ok_url = u.scheme == "https" and bool(u.hostname)
                except ValueError:
                    ok_url = False
                if not ok_url:
                    conds.set("UrlNotValid", "Critical", "The `url` is not valid.", reason="Malformed")
                    return self._write(p, conds, status, "ValidationFailed")
                if not token:
                    conds.set("SecretNotValid", "Critical", "The `secret` is not valid.", reason="DataErr",
                              items=["token"])
                    return self._write(p, conds, status, "ValidationFailed")
                if not self._token_ok(url, token):
                    conds.set("ConnectionTestFailed", "Critical", "Unauthorized", reason="Tested")
                    return self._write(p, conds, status, "ConnectionFailed")
            conds.set("ConnectionTestSucceeded", "Required", "Connection test, succeeded.", reason="Tested")
            conds.set("InventoryCreated", "Required", "The inventory has been loaded.", reason="Completed")
            conds.set("Validated", "Advisory", "Validation has been completed.", reason="Completed")
            conds.set("Ready", "Required", "The provider is ready.")
            return self._write(p, conds, status, "Ready")
        # other types: no simulated source of that kind in the lab
        conds.set("ConnectionTestFailed", "Critical", "No %s endpoint is reachable from the lab." % ptype,
                  reason="Tested")
        return self._write(p, conds, status, "ConnectionFailed")

    def _token_ok(self, url, token):
        api = urllib.parse.urlparse(self.mgr.ctx.api_url)
        u = urllib.parse.urlparse(url)
        if (u.hostname, u.port or 443) != (api.hostname, api.port or 443) and \
                not (u.hostname in ("localhost", "127.0.0.1") and (u.port or 443) == (api.port or 443)):
            return False
        try:
            return bool(self.mgr.ctx.tokens.valid(token))
        except Exception:  # noqa: BLE001
            return False

    def _test_vsphere(self, p, url, data, insecure, cacert, key):
        uid = p["metadata"]["uid"]
        res = {"ok": False, "kind": "connect", "message": ""}
        try:
            c = vsphere.Client(url, data["user"], data["password"], ca_pem=cacert, insecure=insecure, timeout=15)
            c.connect()
            host, port, _ = vsphere.split_url(url)
            try:
                res["fingerprint"] = vsphere.fingerprint(host, port)
            except OSError:
                res["fingerprint"] = ""
            c.close()
            res["ok"] = True
        except vsphere.ConnectError as e:
            res["kind"] = e.kind
            res["message"] = str(e)
        except Exception as e:  # noqa: BLE001
            res["message"] = str(e)
        log.info("provider %s/%s connection test: %s", p["metadata"]["namespace"], p["metadata"]["name"],
                 "ok" if res["ok"] else res["message"])
        with self.lock:
            cur = self.tested.get(uid)
            if cur is not None and cur[0] == key:
                self.tested[uid] = (key, res)
        self.mgr.queue.add(("provider", p["metadata"]["namespace"], p["metadata"]["name"]))

    def _write(self, p, conds, status, phase, keep_old=False):
        def fn(o):
            s = o.setdefault("status", {})
            s.update(status)
            s["phase"] = phase
            if not keep_old:
                s["conditions"] = conds.result(keep_durable=True)
                if "fingerprint" not in status:
                    s.pop("fingerprint", None)
        self.mgr.store.mutate(RES["provider"], p["metadata"]["namespace"], p["metadata"]["name"], fn,
                              subresource="status")
