"""API faults (CONTRACTS.md §6) and authentication: each fault shows its effect and is counted in
faults_fired; admin endpoints and /readyz are never faulted; the OpenShift OAuth challenging-client
flow; 401 without a valid token."""

import base64
import http.client
import os
import ssl
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import LabTestCase, StreamCut  # noqa: E402

CMS = "/api/v1/namespaces/default/configmaps"
MAX_TRIES = 400  # at a 10 % rate, P(no fault in 400 requests) < 1e-18


class FaultsTest(LabTestCase):
    def fired(self):
        return self.lab.admin.get("/mtvlab/status").json()["faults_fired"]

    def set_fault(self, name, **params):
        body = {"name": name}
        body.update(params)
        r = self.lab.admin.post("/mtvlab/faults", body)
        self.assertEqual(r.status, 200, r)
        self.assertIn(name, r.json()["faults_active"])

    def clear(self):
        r = self.lab.admin.post("/mtvlab/faults", {"clear": True})
        self.assertEqual(r.json()["faults_active"], [])

    def test_unknown_fault_rejected(self):
        r = self.lab.admin.post("/mtvlab/faults", {"name": "no-such-fault"})
        self.assertEqual(r.status, 400)

    def test_http_500(self):
        before = self.fired().get("http-500", 0)
        self.set_fault("http-500")
        codes = []
        for _ in range(MAX_TRIES):
            r = self.c.get(CMS)
            codes.append(r.status)
            if r.status == 500:
                st = r.json()
                self.assertEqual((st["kind"], st["reason"]), ("Status", "InternalError"))
                break
        self.assertIn(500, codes)
        self.assertTrue(set(codes) <= {200, 500})
        # admin and /readyz are never faulted
        for _ in range(50):
            self.assertEqual(self.lab.admin.get("/mtvlab/status").status, 200)
            self.assertEqual(self.c.get("/readyz", token="").status, 200)
        self.clear()
        self.assertEqual(self.fired()["http-500"] - before, codes.count(500))
        self.assertTrue(all(self.c.get(CMS).status == 200 for _ in range(30)))

    def test_http_429_with_retry_after(self):
        self.set_fault("http-429")
        for _ in range(MAX_TRIES):
            r = self.c.get(CMS)
            if r.status == 429:
                break
        self.clear()
        self.assertEqual(r.status, 429)
        self.assertEqual(r.header("Retry-After"), "1")
        self.assertEqual(r.json()["reason"], "TooManyRequests")
        self.assertGreaterEqual(self.fired()["http-429"], 1)

    def test_reset_drops_connections(self):
        self.set_fault("reset")
        dropped = 0
        for _ in range(MAX_TRIES):
            try:
                r = self.c.get(CMS)
                self.assertEqual(r.status, 200)
            except (ConnectionError, http.client.HTTPException, ssl.SSLError, OSError):
                dropped += 1
                break
        self.clear()
        self.assertEqual(dropped, 1)
        self.assertGreaterEqual(self.fired()["reset"], 1)

    def test_slow_adds_latency_to_every_request(self):
        before = self.fired().get("slow", 0)
        self.set_fault("slow")
        for _ in range(3):
            self.assertEqual(self.c.get(CMS).status, 200)
        self.assertEqual(self.lab.admin.get("/mtvlab/status").status, 200)
        self.clear()
        self.assertEqual(self.fired()["slow"] - before, 3)

    def test_watch_drop_cuts_streams(self):
        self.set_fault("watch-drop")
        w = self.c.watch(CMS + "?watch=true&timeoutSeconds=60&allowWatchBookmarks=true", timeout=30)
        cut = False
        try:
            while True:
                if w.next() is None:
                    break
        except StreamCut:
            cut = True
        w.close()
        self.clear()
        self.assertTrue(cut, "the stream ended cleanly instead of being cut")
        self.assertGreaterEqual(self.fired()["watch-drop"], 1)
        # without the fault the stream ends cleanly at timeoutSeconds
        w = self.c.watch(CMS + "?watch=true&timeoutSeconds=1")
        while w.next() is not None:
            pass
        w.close()

    def oauth_login(self, user, password):
        c = self.c
        meta = c.get("/.well-known/oauth-authorization-server", token="").json()
        auth_path = urllib.parse.urlsplit(meta["authorization_endpoint"]).path
        token_path = urllib.parse.urlsplit(meta["token_endpoint"]).path
        basic = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        r = c.get(auth_path + "?client_id=openshift-challenging-client&response_type=code&state=USER"
                  "&code_challenge_method=S256", token="",
                  headers={"Authorization": "Basic " + basic, "X-CSRF-Token": "USER"})
        if r.status != 302:
            return r.status, None
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(r.header("Location")).query)["code"][0]
        r = c.request("POST", token_path, "grant_type=authorization_code&code=%s&client_id=openshift-challenging-client"
                      % code, token="", ctype="application/x-www-form-urlencoded",
                      headers={"Authorization": "Basic b3BlbnNoaWZ0LWNoYWxsZW5naW5nLWNsaWVudDo="})
        self.assertEqual(r.status, 200, r)
        return 200, r.json()["access_token"]

    def test_oauth_flow_and_401(self):
        creds = self.lab.creds
        status, _ = self.oauth_login(creds["cluster_user"], "wrong-password-123456")
        self.assertEqual(status, 401)
        status, tok = self.oauth_login(creds["cluster_user"], creds["cluster_password"])
        self.assertEqual(status, 200)
        self.assertEqual(self.c.get(CMS, token=tok).status, 200)
        r = self.c.get(CMS, token="not-a-token")
        self.assertEqual((r.status, r.json()["reason"]), (401, "Unauthorized"))
        self.assertEqual(self.c.get("/apis", token="").status, 401)
        self.assertEqual(self.c.get("/version", token="").status, 200)
        # the user's token is not an admin token
        self.assertEqual(self.c.get("/mtvlab/status").status, 401)

    def test_token_expiry(self):
        creds = self.lab.creds
        _, tok = self.oauth_login(creds["cluster_user"], creds["cluster_password"])
        self.assertEqual(self.c.get(CMS, token=tok).status, 200)
        before = self.fired().get("token-expiry", 0)
        self.set_fault("token-expiry", seconds=0)
        self.assertEqual(self.c.get(CMS, token=tok).status, 401)
        self.assertEqual(self.fired()["token-expiry"], before + 1)
        # OAuth keeps issuing tokens; the static kubeconfig token is not affected
        status, tok2 = self.oauth_login(creds["cluster_user"], creds["cluster_password"])
        self.assertEqual(status, 200)
        self.assertNotEqual(tok, tok2)
        self.assertEqual(self.c.get(CMS).status, 200)
        self.clear()
        self.assertEqual(self.c.get(CMS, token=tok).status, 200)


if __name__ == "__main__":
    unittest.main()
