"""API conventions over HTTP: metadata, generateName, Status errors, optimistic concurrency, patches,
the status subresource, selectors, paging, finalizers, owner references, namespace termination,
subresource hooks, TokenRequest, request counting."""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import FORKLIFT, LabTestCase  # noqa: E402

NS = "sem"
PLANS = FORKLIFT + "/namespaces/%s/plans" % NS
CMS = "/api/v1/namespaces/%s/configmaps" % NS
VMS = "/apis/kubevirt.io/v1/namespaces/%s/virtualmachines" % NS
VMIS = "/apis/kubevirt.io/v1/namespaces/%s/virtualmachineinstances" % NS


def plan_body(name=None, gen=None, **spec):
    md = {"name": name} if name else {"generateName": gen}
    s = {"provider": {"source": {"name": "a", "namespace": NS}, "destination": {"name": "b", "namespace": NS}},
         "map": {"network": {"name": "n", "namespace": NS}, "storage": {"name": "s", "namespace": NS}},
         "vms": [{"name": "vm1"}], "targetNamespace": NS}
    s.update(spec)
    return {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Plan", "metadata": md, "spec": s}


class FixedRandom:
    """Returns the characters of ``seq`` in order (to force generateName collisions)."""

    def __init__(self, seq):
        self.seq = list(seq)

    def choice(self, alphabet):
        return self.seq.pop(0)


class SemanticsTest(LabTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        r = cls.c.post("/api/v1/namespaces", {"metadata": {"name": NS}})
        assert r.status == 201, r

    def test_create_sets_metadata_and_rv_is_global(self):
        a = self.c.post(CMS, {"metadata": {"name": "meta-a"}, "data": {"x": "1"}})
        b = self.c.post(CMS, {"metadata": {"name": "meta-b"}})
        self.assertEqual(a.status, 201)
        ma, mb = a.json()["metadata"], b.json()["metadata"]
        self.assertEqual(len(ma["uid"]), 36)
        self.assertRegex(ma["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(ma["namespace"], NS)
        self.assertGreater(int(mb["resourceVersion"]), int(ma["resourceVersion"]))
        lst = self.c.get(CMS).json()
        self.assertEqual(lst["kind"], "ConfigMapList")
        self.assertGreaterEqual(int(lst["metadata"]["resourceVersion"]), int(mb["resourceVersion"]))
        r = self.c.post(CMS, {"metadata": {"name": "meta-a"}})
        self.assertEqual(r.status, 409)
        st = r.json()
        self.assertEqual((st["kind"], st["reason"], st["details"]["kind"]), ("Status", "AlreadyExists", "configmaps"))
        self.assertEqual(st["message"], 'configmaps "meta-a" already exists')
        r = self.c.get(CMS + "/nope")
        self.assertEqual((r.status, r.json()["reason"], r.json()["message"]), (404, "NotFound", 'configmaps "nope" not found'))
        r = self.c.post("/api/v1/namespaces/absent/configmaps", {"metadata": {"name": "x"}})
        self.assertEqual((r.status, r.json()["message"]), (404, 'namespaces "absent" not found'))
        r = self.c.post(CMS, {"metadata": {"name": "x", "namespace": "other"}})
        self.assertEqual(r.status, 400)
        r = self.c.post(CMS, {"metadata": {"name": "Bad_Name"}})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["details"]["causes"][0]["field"], "metadata.name")

    def test_generate_name_and_collision_retry(self):
        r = self.c.post(PLANS, plan_body(gen="gen-"))
        self.assertEqual(r.status, 201, r)
        name = r.json()["metadata"]["name"]
        self.assertRegex(name, r"^gen-[bcdfghjklmnpqrstvwxz2456789]{5}$")
        # the next two attempts collide with the existing name, then a fresh suffix is used
        suffix = name[len("gen-"):]
        self.lab.store._rnd = FixedRandom(suffix + suffix + "bbbbb")
        r = self.c.post(PLANS, plan_body(gen="gen-"))
        self.assertEqual((r.status, r.json()["metadata"]["name"]), (201, "gen-bbbbb"))
        self.lab.store._rnd = FixedRandom(suffix * 8)
        r = self.c.post(PLANS, plan_body(gen="gen-"))
        self.assertEqual((r.status, r.json()["reason"]), (409, "AlreadyExists"))
        import random
        self.lab.store._rnd = random.SystemRandom()

    def test_generation_status_subresource_and_conflict(self):
        p = self.c.post(PLANS, plan_body("gen1", warm=True, status={"phase": "x"})).json()
        self.assertEqual(p["metadata"]["generation"], 1)
        self.assertNotIn("status", p)  # status is dropped on create for kinds with a status subresource
        r = self.c.patch(PLANS + "/gen1", {"status": {"conditions": [{"type": "Ready", "status": "True"}]}})
        self.assertNotIn("status", r.json())  # ignored on the main resource
        r = self.c.patch(PLANS + "/gen1/status", {"spec": {"warm": False},
                                                  "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
        got = r.json()
        self.assertEqual(got["status"]["conditions"][0]["type"], "Ready")
        self.assertTrue(got["spec"]["warm"])  # spec ignored on /status
        self.assertEqual(got["metadata"]["generation"], 1)
        r = self.c.patch(PLANS + "/gen1", {"spec": {"warm": False}})
        self.assertEqual(r.json()["metadata"]["generation"], 2)
        stale = dict(got)
        stale["spec"] = dict(got["spec"], description="stale")
        r = self.c.put(PLANS + "/gen1", stale)
        self.assertEqual((r.status, r.json()["reason"]), (409, "Conflict"))
        self.assertIn("the object has been modified", r.json()["message"])
        cur = self.c.get(PLANS + "/gen1").json()
        cur["spec"]["description"] = "fresh"
        r = self.c.put(PLANS + "/gen1", cur)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["metadata"]["generation"], 3)
        # a merge patch carrying a stale resourceVersion conflicts too
        r = self.c.patch(PLANS + "/gen1", {"metadata": {"resourceVersion": got["metadata"]["resourceVersion"]},
                                           "spec": {"description": "x"}})
        self.assertEqual(r.status, 409)
        # no-op update does not bump the resourceVersion
        rv = self.c.get(PLANS + "/gen1").json()["metadata"]["resourceVersion"]
        r = self.c.patch(PLANS + "/gen1", {"spec": {"description": "fresh"}})
        self.assertEqual(r.json()["metadata"]["resourceVersion"], rv)

    def test_validation_422_names_fields(self):
        body = plan_body("invalid", warm="yes")
        del body["spec"]["provider"]
        r = self.c.post(PLANS, body)
        self.assertEqual(r.status, 422, r)
        st = r.json()
        self.assertEqual((st["reason"], st["details"]["kind"]), ("Invalid", "Plan"))
        fields = {c["field"]: c["reason"] for c in st["details"]["causes"]}
        self.assertEqual(fields.get("spec.warm"), "FieldValueInvalid")
        self.assertEqual(fields.get("spec.provider"), "FieldValueRequired")
        self.assertTrue(st["message"].startswith('Plan.forklift.konveyor.io "invalid" is invalid: ['))
        r = self.c.post(FORKLIFT + "/namespaces/%s/forkliftcontrollers" % NS,
                        {"metadata": {"name": "fc"}, "spec": {"controller_precopy_interval": "10"}})
        self.assertEqual(r.status, 422)
        self.assertEqual(r.json()["details"]["causes"][0]["field"], "spec.controller_precopy_interval")
        r = self.c.post(FORKLIFT + "/namespaces/%s/forkliftcontrollers?fieldValidation=Strict" % NS,
                        {"metadata": {"name": "fc"}, "spec": {"nope": 1}})
        self.assertEqual(r.status, 400)
        self.assertIn('unknown field "spec.nope"', r.json()["message"])
        r = self.c.post(FORKLIFT + "/namespaces/%s/forkliftcontrollers?fieldValidation=Warn" % NS,
                        {"metadata": {"name": "fcw"}, "spec": {"nope": 1}})
        self.assertEqual(r.status, 201)
        self.assertIn('unknown field \\"spec.nope\\"', r.header("Warning"))
        self.assertEqual(r.json()["spec"].get("controller_precopy_interval"), 60)
        r = self.c.post(FORKLIFT + "/namespaces/%s/forkliftcontrollers?fieldValidation=Ignore" % NS,
                        {"metadata": {"name": "fci"}, "spec": {"nope": 1}})
        self.assertEqual(r.status, 201)
        self.assertIsNone(r.header("Warning"))
        self.assertNotIn("nope", r.json()["spec"])

    def test_patch_types(self):
        self.c.post(CMS, {"metadata": {"name": "pt", "labels": {"a": "1"}}, "data": {"k": "v", "d": "x"}})
        r = self.c.patch(CMS + "/pt", {"data": {"d": None, "n": "1"}})
        self.assertEqual(r.json()["data"], {"k": "v", "n": "1"})
        r = self.c.patch(CMS + "/pt", [{"op": "add", "path": "/data/j", "value": "2"},
                                       {"op": "remove", "path": "/data/k"}], "json")
        self.assertEqual(r.json()["data"], {"n": "1", "j": "2"})
        r = self.c.patch(CMS + "/pt", [{"op": "test", "path": "/data/j", "value": "nope"}], "json")
        self.assertEqual(r.status, 422)
        r = self.c.patch(CMS + "/pt", {"metadata": {"labels": {"b": "2"}}}, "strategic")
        self.assertEqual(r.json()["metadata"]["labels"], {"a": "1", "b": "2"})
        r = self.c.request("PATCH", CMS + "/pt", {"data": {}}, ctype="application/x-whatever")
        self.assertEqual(r.status, 415)
        r = self.c.patch(PLANS + "/none", {"spec": {}}, "strategic")
        self.assertEqual((r.status, r.json()["reason"]), (415, "UnsupportedMediaType"))
        # strategic merge by key on a built-in list
        dep = {"metadata": {"name": "d1"}, "spec": {"template": {"spec": {"containers": [
            {"name": "main", "image": "a", "env": [{"name": "PRECOPY_INTERVAL", "value": "60"}]},
            {"name": "side", "image": "b"}]}}}}
        self.assertEqual(self.c.post("/apis/apps/v1/namespaces/%s/deployments" % NS, dep).status, 201)
        r = self.c.patch("/apis/apps/v1/namespaces/%s/deployments/d1" % NS, {"spec": {"template": {"spec": {
            "containers": [{"name": "main", "env": [{"name": "PRECOPY_INTERVAL", "value": "5"}]}]}}}}, "strategic")
        cs = r.json()["spec"]["template"]["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["main", "side"])
        self.assertEqual(cs[0]["image"], "a")
        self.assertEqual(cs[0]["env"], [{"name": "PRECOPY_INTERVAL", "value": "5"}])

    def test_selectors_and_paging(self):
        for i, (app, tier) in enumerate([("web", "fe"), ("web", "be"), ("db", "be"), ("cache", None)]):
            labels = {"app": app}
            if tier:
                labels["tier"] = tier
            self.c.post(CMS, {"metadata": {"name": "sel-%d" % i, "labels": labels}})

        def names(q):
            r = self.c.get(CMS + "?" + q)
            self.assertEqual(r.status, 200, r)
            return sorted(o["metadata"]["name"] for o in r.json()["items"] if o["metadata"]["name"].startswith("sel-"))
        self.assertEqual(names("labelSelector=app%3Dweb"), ["sel-0", "sel-1"])
        self.assertEqual(names("labelSelector=app%21%3Dweb,app"), ["sel-2", "sel-3"])
        self.assertEqual(names("labelSelector=app+in+(db,cache)"), ["sel-2", "sel-3"])
        self.assertEqual(names("labelSelector=app,app+notin+(web)"), ["sel-2", "sel-3"])
        self.assertEqual(names("labelSelector=tier"), ["sel-0", "sel-1", "sel-2"])
        self.assertEqual(names("labelSelector=app,%21tier"), ["sel-3"])
        self.assertEqual(names("fieldSelector=metadata.name%3Dsel-1"), ["sel-1"])
        self.assertEqual(names("fieldSelector=metadata.namespace%3D" + NS + ",metadata.name%21%3Dsel-1&labelSelector=app%3Dweb"),
                         ["sel-0"])
        self.assertEqual(self.c.get(CMS + "?labelSelector=a+in+b").status, 400)
        # paging
        seen = []
        cont = ""
        pages = 0
        while True:
            r = self.c.get(CMS + "?labelSelector=app&limit=3" + ("&continue=" + cont if cont else "")).json()
            seen += [o["metadata"]["name"] for o in r["items"]]
            pages += 1
            cont = r["metadata"].get("continue")
            if not cont:
                break
        self.assertEqual(sorted(seen), ["sel-0", "sel-1", "sel-2", "sel-3"])
        self.assertEqual(pages, 2)
        # cluster-wide list and list across namespaces
        r = self.c.get(FORKLIFT + "/plans").json()
        self.assertEqual(r["kind"], "PlanList")

    def test_finalizers_and_owner_references(self):
        vm = self.c.post(VMS, {"metadata": {"name": "vm1", "finalizers": ["kubevirt.io/virtualMachineControllerFinalize"]},
                               "spec": {"runStrategy": "Always"}}).json()
        ref = {"apiVersion": "kubevirt.io/v1", "kind": "VirtualMachine", "name": "vm1", "uid": vm["metadata"]["uid"],
               "controller": True}
        vmi = self.c.post(VMIS, {"metadata": {"name": "vm1", "ownerReferences": [ref]}, "spec": {},
                                 "status": {"phase": "Running"}}).json()
        self.assertEqual(vmi["status"]["phase"], "Running")  # no status subresource on VMIs
        r = self.c.delete(VMS + "/vm1", {"propagationPolicy": "Background"})
        self.assertEqual(r.status, 200)
        self.assertIn("deletionTimestamp", r.json()["metadata"])
        self.assertEqual(self.c.get(VMS + "/vm1").status, 200)
        r = self.c.patch(VMS + "/vm1", [{"op": "remove", "path": "/metadata/finalizers"}], "json")
        self.assertEqual(r.status, 200)
        self.assertEqual(self.c.get(VMS + "/vm1").status, 404)
        self.assertTrue(self.lab.store.wait_gc_idle(10))
        self.assertEqual(self.c.get(VMIS + "/vm1").status, 404)  # garbage-collected dependent
        # Orphan keeps the dependent
        vm = self.c.post(VMS, {"metadata": {"name": "vm2"}, "spec": {}}).json()
        ref["uid"], ref["name"] = vm["metadata"]["uid"], "vm2"
        self.c.post(VMIS, {"metadata": {"name": "vm2", "ownerReferences": [ref]}, "spec": {}})
        self.assertEqual(self.c.delete(VMS + "/vm2?propagationPolicy=Orphan").status, 200)
        self.assertTrue(self.lab.store.wait_gc_idle(10))
        left = self.c.get(VMIS + "/vm2").json()
        self.assertNotIn("ownerReferences", left["metadata"])

    def test_namespace_termination(self):
        self.assertEqual(self.c.post("/api/v1/namespaces", {"metadata": {"name": "term"}}).status, 201)
        self.c.post("/api/v1/namespaces/term/configmaps", {"metadata": {"name": "plain"}})
        self.c.post("/api/v1/namespaces/term/configmaps", {"metadata": {"name": "held", "finalizers": ["lab/x"]}})
        r = self.c.delete("/api/v1/namespaces/term")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.json()["status"]["phase"], "Terminating")
        self.assertTrue(self.lab.store.wait_gc_idle(10))
        ns = self.c.get("/api/v1/namespaces/term").json()
        self.assertEqual(ns["status"]["phase"], "Terminating")
        self.assertEqual(self.c.get("/api/v1/namespaces/term/configmaps/plain").status, 404)
        held = self.c.get("/api/v1/namespaces/term/configmaps/held").json()
        self.assertIn("deletionTimestamp", held["metadata"])
        r = self.c.post("/api/v1/namespaces/term/configmaps", {"metadata": {"name": "late"}})
        self.assertEqual((r.status, r.json()["reason"]), (403, "Forbidden"))
        self.c.patch("/api/v1/namespaces/term/configmaps/held", {"metadata": {"finalizers": None}})
        self.assertTrue(self.lab.store.wait_gc_idle(10))
        self.assertEqual(self.c.get("/api/v1/namespaces/term").status, 404)

    def test_subresource_hooks_token_request_and_counting(self):
        calls = []

        def start(req):
            calls.append((req.method, req.namespace, req.name, req.resource, req.subresource, req.json()))
            return 202, b"", {}

        def log(req):
            return 200, b"line1\nxcopyUsed=1\n", {}
        self.lab.lab.ctx.register_subresource("virtualmachines.kubevirt.io", "start", start)
        self.lab.lab.ctx.register_subresource("pods", "log", log)
        self.c.post(VMS, {"metadata": {"name": "hooked"}, "spec": {"runStrategy": "Halted"}})
        self.c.post("/api/v1/namespaces/%s/pods" % NS, {"metadata": {"name": "pod1"}, "spec": {"containers": []}})
        self.lab.admin.request("DELETE", "/mtvlab/requests")
        r = self.c.put("/apis/subresources.kubevirt.io/v1/namespaces/%s/virtualmachines/hooked/start" % NS, {})
        self.assertEqual(r.status, 202)
        self.assertEqual(calls[0][:5], ("PUT", NS, "hooked", "virtualmachines.subresources.kubevirt.io", "start"))
        r = self.c.get("/api/v1/namespaces/%s/pods/pod1/log" % NS)
        self.assertEqual((r.status, r.body), (200, b"line1\nxcopyUsed=1\n"))
        self.assertEqual(self.c.get("/api/v1/namespaces/%s/pods/nope/log" % NS).status, 404)
        self.c.post("/api/v1/namespaces/%s/serviceaccounts" % NS, {"metadata": {"name": "sa1"}})
        r = self.c.post("/api/v1/namespaces/%s/serviceaccounts/sa1/token" % NS, {"spec": {"expirationSeconds": 600}})
        self.assertEqual(r.status, 201)
        tok = r.json()["status"]["token"]
        self.assertEqual(self.c.get("/api/v1/namespaces/%s/configmaps" % NS, token=tok).status, 200)
        self.assertTrue(self.lab.lab.ctx.tokens.valid(tok))
        self.c.get(PLANS)
        self.c.get(PLANS + "/gen1")
        counts = self.lab.admin.get("/mtvlab/requests").json()
        self.assertEqual(counts.get("PUT virtualmachines/start"), 1)
        self.assertEqual(counts.get("GET pods/log"), 2)
        self.assertEqual(counts.get("POST serviceaccounts/token"), 1)
        self.assertEqual(counts.get("LIST plans"), 1)
        self.assertEqual(counts.get("GET plans"), 1)
        self.assertEqual(counts.get("LIST configmaps"), 1)

    def test_new_namespace_gets_default_service_account_and_root_ca(self):
        self.assertEqual(self.c.post("/api/v1/namespaces", {"metadata": {"name": "fresh"}}).status, 201)
        w = self.c.watch("/api/v1/namespaces/fresh/serviceaccounts?watch=1&resourceVersion=0&timeoutSeconds=30")
        ev = w.next()
        w.close()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "default"))
        r = self.c.post("/api/v1/namespaces/fresh/serviceaccounts/default/token", {"spec": {}})
        self.assertEqual(r.status, 201)
        cm = self.c.get("/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt").json()
        self.assertIn("BEGIN CERTIFICATE", cm["data"]["ca.crt"])

    def test_dry_run_changes_nothing(self):
        rv = self.lab.store.resource_version
        r = self.c.post(CMS + "?dryRun=All", {"metadata": {"name": "dry"}, "data": {"a": "1"}})
        self.assertEqual(r.status, 201)
        self.assertEqual(self.c.get(CMS + "/dry").status, 404)
        self.c.post(CMS, {"metadata": {"name": "dry"}, "data": {"a": "1"}})
        rv = self.lab.store.resource_version
        r = self.c.patch(CMS + "/dry?dryRun=All", {"data": {"a": "2"}})
        self.assertEqual(r.json()["data"], {"a": "2"})
        self.assertEqual(self.c.delete(CMS + "/dry?dryRun=All").status, 200)
        self.assertEqual(self.c.get(CMS + "/dry").json()["data"], {"a": "1"})
        self.assertEqual(self.lab.store.resource_version, rv)

    def test_discovery_legacy_and_aggregated(self):
        r = self.c.get("/apis")
        self.assertEqual(r.header("Content-Type"), "application/json")
        groups = {g["name"]: g for g in r.json()["groups"]}
        self.assertEqual(groups["forklift.konveyor.io"]["preferredVersion"]["version"], "v1beta1")
        self.assertIn("subresources.kubevirt.io", groups)
        rl = self.c.get("/apis/forklift.konveyor.io/v1beta1").json()
        plans = [x for x in rl["resources"] if x["name"] in ("plans", "plans/status")]
        self.assertEqual(len(plans), 2)
        core = self.c.get("/api/v1").json()
        self.assertIn("serviceaccounts/token", [x["name"] for x in core["resources"]])
        acc = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
               "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
        r = self.c.get("/apis", headers={"Accept": acc})
        self.assertEqual(r.header("Content-Type"), "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList")
        items = {i["metadata"]["name"]: i for i in r.json()["items"]}
        res = {x["resource"]: x for x in items["kubevirt.io"]["versions"][0]["resources"]}
        self.assertEqual(res["virtualmachines"]["shortNames"], ["vm", "vms"])
        self.assertEqual(res["virtualmachines"]["subresources"][0]["subresource"], "status")
        self.assertNotIn("subresources", res["virtualmachineinstances"])
        r = self.c.get("/api", headers={"Accept": acc})
        self.assertEqual(r.json()["items"][0]["metadata"]["name"], "")
        idx = self.c.get("/openapi/v3").json()["paths"]
        doc = self.c.get(idx["apis/forklift.konveyor.io/v1beta1"]["serverRelativeURL"]).json()
        op = doc["paths"]["/apis/forklift.konveyor.io/v1beta1/namespaces/{namespace}/plans/{name}"]["patch"]
        self.assertEqual(op["x-kubernetes-group-version-kind"]["kind"], "Plan")
        self.assertIn("fieldValidation", [p["name"] for p in op["parameters"]])
        self.assertNotIn("application/strategic-merge-patch+json", op["requestBody"]["content"])

    def test_upgrade_hands_the_socket_over(self):
        import base64
        import socket
        seen = []

        def portforward(req):
            seen.append((req.upgrade, req.name, req.subresource, req.subpath, req.initial))
            sock = req.socket
            sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
            data = sock.recv(100)
            sock.sendall(b"echo:" + data)
            sock.close()
        self.lab.lab.ctx.register_subresource("virtualmachineinstances.subresources.kubevirt.io", "portforward",
                                              portforward)
        path = "/apis/subresources.kubevirt.io/v1/namespaces/%s/virtualmachineinstances/vmi1/portforward/22/tcp" % NS
        for auth in ("Authorization: Bearer %s\r\n" % self.c.token,
                     "Sec-WebSocket-Protocol: base64url.bearer.authorization.k8s.io.%s, plain.kubevirt.io\r\n"
                     % base64.urlsafe_b64encode(self.c.token.encode()).decode().rstrip("=")):
            raw = socket.create_connection((self.c.host, self.c.port), timeout=10)
            sock = self.c.ssl.wrap_socket(raw, server_hostname=self.c.host)
            sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
                          % (path, auth)).encode())
            buf = b""
            while b"\r\n\r\n" not in buf:
                buf += sock.recv(4096)
            head, rest = buf.split(b"\r\n\r\n", 1)
            self.assertTrue(head.startswith(b"HTTP/1.1 101 "), head)
            sock.sendall(b"ping")
            while not rest.endswith(b"ping"):
                d = sock.recv(100)
                if not d:
                    break
                rest += d
            self.assertEqual(rest, b"echo:ping")
            sock.close()
        self.assertEqual(seen[0], (True, "vmi1", "portforward", ["22", "tcp"], b""))
        self.assertEqual(len(seen), 2)
        # without any token: 401 before the handler runs
        raw = socket.create_connection((self.c.host, self.c.port), timeout=10)
        sock = self.c.ssl.wrap_socket(raw, server_hostname=self.c.host)
        sock.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n" % path).encode())
        self.assertTrue(sock.recv(100).startswith(b"HTTP/1.1 401"))
        sock.close()
        self.assertEqual(len(seen), 2)


if __name__ == "__main__":
    unittest.main()
