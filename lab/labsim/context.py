"""The context object handed to the controllers (``labsim.controllers.start(ctx)``); see
notes/lab-interface.md. Built by ``daemon.Lab``; tests may build one with ``Context.for_tests``."""

import logging
import os
import threading
from pathlib import Path


class Context:
    def __init__(self, dir, store, state, tokens, ca, credentials, minute=60.0, log=None,
                 vcenter=None, api_url=None):
        self.dir = Path(dir)
        self.store = store
        self.state = state
        self.tokens = tokens
        self.ca = ca
        self.credentials = credentials
        self.minute = float(minute)
        self.log = log or logging.getLogger("mtvlab")
        self.vcenter = vcenter or {}
        self.api_url = api_url
        self.facts = {}
        self._subresources = {}
        self._ready = {}
        self._ready_cond = threading.Condition()

    # subresources -------------------------------------------------------
    def register_subresource(self, resource, sub, handler):
        """``handler(req)`` for ``<resource>/<sub>`` requests, e.g. ("virtualmachines.kubevirt.io",
        "start") or ("pods", "log"). ``resource`` is matched as ``plural.group`` of the URL; for the
        KubeVirt subresource API (``subresources.kubevirt.io``) both ``virtualmachines.subresources.kubevirt.io``
        and ``virtualmachines.kubevirt.io`` are looked up. Returns (status, body, headers), or takes the
        connection over when ``req.upgrade`` is true."""
        self._subresources[(resource, sub)] = handler

    def subresource_handler(self, resource, sub):
        return self._subresources.get((resource, sub))

    # readiness ----------------------------------------------------------
    def register_ready(self, name):
        with self._ready_cond:
            self._ready.setdefault(name, False)

    def set_ready(self, name):
        with self._ready_cond:
            self._ready[name] = True
            self._ready_cond.notify_all()

    def all_ready(self):
        with self._ready_cond:
            return all(self._ready.values())

    def wait_ready(self, timeout):
        with self._ready_cond:
            return self._ready_cond.wait_for(lambda: all(self._ready.values()), timeout)

    def pending_ready(self):
        with self._ready_cond:
            return sorted(n for n, v in self._ready.items() if not v)

    # files --------------------------------------------------------------
    def write_file(self, name, text, mode=0o600):
        """Write ``DIR/name`` atomically with ``mode``; returns the path."""
        path = self.dir / name
        tmp = path.with_name("." + path.name + ".tmp")
        fd = os.open(str(tmp), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(str(tmp), mode)
        os.replace(str(tmp), str(path))
        return path
