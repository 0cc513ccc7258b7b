"""Watch: initial events, resume from a resourceVersion, selectors, bookmarks, timeoutSeconds, 410
Expired for a compacted resourceVersion (watch ERROR event and expired continue token)."""

import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lab_api_support import FORKLIFT, LabTestCase  # noqa: E402

NS = "watch"
CMS = "/api/v1/namespaces/%s/configmaps" % NS


class WatchTest(LabTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        assert cls.c.post("/api/v1/namespaces", {"metadata": {"name": NS}}).status == 201

    def test_resume_from_resource_version(self):
        a = self.c.post(CMS, {"metadata": {"name": "r-a", "labels": {"w": "resume"}}}).json()
        rv0 = a["metadata"]["resourceVersion"]
        self.c.post(CMS, {"metadata": {"name": "r-b", "labels": {"w": "resume"}}})
        self.c.patch(CMS + "/r-a", {"data": {"x": "1"}})
        self.c.post(CMS, {"metadata": {"name": "r-other"}})
        self.c.delete(CMS + "/r-b")
        w = self.c.watch(CMS + "?watch=true&labelSelector=w%3Dresume&resourceVersion=" + rv0 + "&timeoutSeconds=5")
        self.assertEqual(w.status, 200)
        got = []
        for _ in range(3):
            ev = w.next()
            got.append((ev["type"], ev["object"]["metadata"]["name"]))
            self.assertEqual(ev["object"]["kind"], "ConfigMap")
            self.assertEqual(ev["object"]["apiVersion"], "v1")
        w.close()
        self.assertEqual(got, [("ADDED", "r-b"), ("MODIFIED", "r-a"), ("DELETED", "r-b")])

    def test_rv_zero_sends_current_objects_then_live_changes(self):
        self.c.post(CMS, {"metadata": {"name": "z-a"}})
        w = self.c.watch(CMS + "?watch=1&fieldSelector=metadata.name%3Dz-a&resourceVersion=0&timeoutSeconds=10")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "z-a"))
        t = threading.Thread(target=lambda: self.c.patch(CMS + "/z-a", {"data": {"k": "v"}}))
        t.start()
        ev = w.next()
        t.join()
        self.assertEqual(ev["type"], "MODIFIED")
        self.assertEqual(ev["object"]["data"], {"k": "v"})
        w.close()

    def test_label_selector_transitions(self):
        rv = self.c.get(CMS).json()["metadata"]["resourceVersion"]
        self.c.post(CMS, {"metadata": {"name": "t-a", "labels": {"w": "no"}}})
        self.c.patch(CMS + "/t-a", {"metadata": {"labels": {"w": "yes"}}})
        self.c.patch(CMS + "/t-a", {"data": {"k": "v"}})
        self.c.patch(CMS + "/t-a", {"metadata": {"labels": {"w": "no"}}})
        self.c.patch(CMS + "/t-a", {"data": {"k": "w"}})
        w = self.c.watch(CMS + "?watch=true&labelSelector=w%3Dyes&resourceVersion=" + rv + "&timeoutSeconds=3")
        got = []
        while True:
            ev = w.next()
            if ev is None:
                break
            got.append(ev["type"])
        w.close()
        self.assertEqual(got, ["ADDED", "MODIFIED", "DELETED"])

    def test_bookmarks_and_clean_timeout(self):
        rv = self.c.get(CMS).json()["metadata"]["resourceVersion"]
        w = self.c.watch(FORKLIFT + "/namespaces/%s/plans?watch=true&allowWatchBookmarks=true&resourceVersion=%s"
                         "&timeoutSeconds=3" % (NS, rv))
        events = []
        while True:
            ev = w.next()
            if ev is None:
                break  # the server ended the chunked body cleanly at timeoutSeconds
            events.append(ev)
        w.close()
        self.assertTrue(events)
        self.assertTrue(all(e["type"] == "BOOKMARK" for e in events))
        b = events[-1]["object"]
        self.assertEqual((b["kind"], b["apiVersion"]), ("Plan", "forklift.konveyor.io/v1beta1"))
        self.assertGreaterEqual(int(b["metadata"]["resourceVersion"]), int(rv))

    def test_compacted_resource_version_gives_410(self):
        old = self.c.post(CMS, {"metadata": {"name": "gone-a"}}).json()["metadata"]["resourceVersion"]
        self.c.post(CMS, {"metadata": {"name": "gone-b"}})
        page = self.c.get(CMS + "?limit=1").json()
        cont = page["metadata"]["continue"]
        r = self.lab.admin.post("/mtvlab/compact", {})
        self.assertEqual(r.status, 200)
        self.c.post(CMS, {"metadata": {"name": "gone-c"}})
        w = self.c.watch(CMS + "?watch=true&resourceVersion=%s&timeoutSeconds=5" % old)
        self.assertEqual(w.status, 200)
        ev = w.next()
        self.assertEqual(ev["type"], "ERROR")
        self.assertEqual((ev["object"]["code"], ev["object"]["reason"]), (410, "Expired"))
        self.assertIn("too old resource version", ev["object"]["message"])
        self.assertIsNone(w.next())
        w.close()
        r = self.c.get(CMS + "?limit=1&continue=" + cont)
        self.assertEqual((r.status, r.json()["reason"]), (410, "Expired"))
        # a current resourceVersion still works after compaction
        rv = self.c.get(CMS).json()["metadata"]["resourceVersion"]
        w = self.c.watch(CMS + "?watch=true&resourceVersion=%s&timeoutSeconds=5" % rv)
        self.c.post(CMS, {"metadata": {"name": "gone-d"}})
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("ADDED", "gone-d"))
        w.close()

    def test_history_is_bounded(self):
        store = self.lab.store
        start = int(store.resource_version)
        for i in range(store._history_size + 5):
            store.mutate("namespaces", None, NS, lambda o, i=i: o["metadata"].setdefault("annotations", {})
                         .__setitem__("n", str(i)))
        self.assertGreater(store.compacted_rv(), start)
        w = self.c.watch(CMS + "?watch=true&resourceVersion=%d&timeoutSeconds=5" % start)
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))
        w.close()


if __name__ == "__main__":
    unittest.main()
