"""The lab's Kubernetes API server: threaded HTTPS (HTTP/1.1 keep-alive), bearer-token auth, the
OpenShift OAuth endpoints, discovery, OpenAPI, CRUD / patch / watch on the store, subresource hooks
for the controllers, API-side faults, request counting and the admin endpoints under /mtvlab/."""

import base64
import json
import logging
import random
import re
import socket
import ssl
import struct
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import auth as _auth
from . import discovery as _disc
from . import kinds as _kinds
from . import schema as _schema
from .openapi import OpenAPI
from .store import ApiError, Store, now_rfc3339, parse_field_selector, parse_label_selector, label_match, field_match

VERSION_INFO = {"major": "1", "minor": "32", "gitVersion": "v1.32.4", "gitCommit": "4cb5f07ab12ff8cc3e8fe5b9af0e1c0f0e6bc5fd",
                "gitTreeState": "clean", "buildDate": "2025-04-22T16:05:36Z", "goVersion": "go1.23.6",
                "compiler": "gc", "platform": "linux/amd64"}

FAULT_RATE = {"http-500": 0.10, "http-429": 0.10, "reset": 0.10}
SLOW_SECONDS = (0.2, 0.5)
WATCH_DROP_SECONDS = (0.5, 2.0)
BOOKMARK_IDLE_SECONDS = 1.0
STATUS_OK = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success"}



def _fold_string_data(k, obj):
    """Secrets: stringData is write-only; like a real API server, merge it into data (base64) and drop it."""
    if k.res != "secrets" or not isinstance(obj.get("stringData"), dict):
        return
    data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
    for key, val in obj.pop("stringData").items():
        data[key] = base64.b64encode(str(val).encode()).decode()
    obj["data"] = data

class Request:
    """What a subresource handler receives (see notes/lab-interface.md)."""

    def __init__(self, **kw):
        self.method = kw.get("method")
        self.namespace = kw.get("namespace")
        self.name = kw.get("name")
        self.resource = kw.get("resource")        # plural.group of the URL
        self.subresource = kw.get("subresource")
        self.subpath = kw.get("subpath") or []    # segments after the subresource (portforward/22/tcp)
        self.query = kw.get("query") or {}
        self.headers = kw.get("headers")
        self.body = kw.get("body") or b""
        self.user = kw.get("user")
        self.upgrade = kw.get("upgrade", False)
        self.socket = kw.get("socket")
        self.rfile = kw.get("rfile")
        self.initial = b""                        # upgrade: bytes already read after the request head
        self.wfile = kw.get("wfile")
        self.store = kw.get("store")

    def json(self):
        if not self.body:
            return {}
        return json.loads(self.body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, addr, handler, sslctx):
        self.sslctx = sslctx
        super().__init__(addr, handler)

    def handle_error(self, request, client_address):
        logging.getLogger("mtvlab.api").debug("connection from %s failed", client_address, exc_info=True)

    def get_request(self):
        sock, addr = super().get_request()
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # headers and body are separate writes
        return self.sslctx.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr


class ApiServer:
    def __init__(self, store, tokens, state, ctx=None, certfile=None, keyfile=None, host="127.0.0.1", port=0,
                 cluster_user=None, cluster_password=None, log=None):
        self.store = store
        self.tokens = tokens
        self.state = state
        self.ctx = ctx
        self.log = log or logging.getLogger("mtvlab.api")
        self.cluster_user = cluster_user
        self.cluster_password = cluster_password
        self.openapi = OpenAPI(store)
        self.requests = {}
        self._req_lock = threading.Lock()
        self.rnd = random.Random()
        self.admin_status = None   # callable returning extra status fields (set by the daemon)
        self.ready_fn = lambda: True
        self._stopping = threading.Event()
        sslctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sslctx.load_cert_chain(certfile, keyfile)
        sslctx.set_alpn_protocols(["http/1.1"])
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = _Server((host, port), handler, sslctx)
        self.port = self.httpd.server_address[1]
        self.host = host
        self.url = "https://%s:%d" % (host, self.port)
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="api-server", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self._stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    @property
    def stopping(self):
        return self._stopping.is_set()

    def count(self, key):
        with self._req_lock:
            self.requests[key] = self.requests.get(key, 0) + 1

    def request_counts(self):
        with self._req_lock:
            return dict(self.requests)

    def reset_counts(self):
        with self._req_lock:
            self.requests.clear()

    def subresource_handler(self, res, sub):
        if self.ctx is None:
            return None
        h = self.ctx.subresource_handler(res, sub)
        if h is None and res.endswith("." + _kinds.SUBRESOURCE_GROUP):
            plural = res.split(".", 1)[0]
            h = self.ctx.subresource_handler("%s.kubevirt.io" % plural, sub)
        return h


_ACCEPT_TABLE = re.compile(r"as=Table", re.I)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 900  # an idle keep-alive connection is closed after this many seconds
    server_version = "mtvlab"
    sys_version = ""
    api = None  # set by ApiServer

    # ------------------------------------------------------------------ plumbing
    def setup(self):
        super().setup()
        try:
            self.connection.do_handshake()
        except ssl.SSLError as e:
            self.close_connection = True
            if "HTTP_REQUEST" in str(e):
                # like Go's TLS server: a plain-HTTP client gets a readable 400
                try:
                    socket.socket.sendall(self.connection, b"HTTP/1.0 400 Bad Request\r\n\r\n"
                                          b"Client sent an HTTP request to an HTTPS server.\n")
                except OSError:
                    pass
            raise
        except OSError:
            self.close_connection = True
            raise

    def handle(self):
        try:
            super().handle()
        except (ssl.SSLError, ConnectionError, OSError):
            pass

    def log_message(self, fmt, *args):
        self.api.log.debug("%s %s", self.address_string(), fmt % args)

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_PATCH(self):
        self._dispatch("PATCH")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def do_HEAD(self):
        self._dispatch("HEAD")

    def _read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        if n:
            return self.rfile.read(n)
        if (self.headers.get("Transfer-Encoding") or "").lower() == "chunked":
            out = b""
            while True:
                line = self.rfile.readline().strip()
                size = int(line.split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                out += self.rfile.read(size)
                self.rfile.readline()
            return out
        return b""

    def _send(self, code, body, headers=None, ctype=None):
        if isinstance(body, (dict, list)):
            data = json.dumps(body, separators=(",", ":")).encode()
            ctype = ctype or "application/json"
        elif isinstance(body, str):
            data = body.encode()
            ctype = ctype or "text/plain; charset=utf-8"
        else:
            data = body or b""
            ctype = ctype or "application/json"
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", self._audit)
        for k, v in (headers or {}).items():
            if v is None:
                continue
            if isinstance(v, list):
                for x in v:
                    self.send_header(k, x)
            else:
                self.send_header(k, str(v))
        for w in self._warnings:
            self.send_header("Warning", '299 - "%s"' % w.replace('"', '\\"'))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        self.wfile.flush()

    def _error(self, e):
        hdrs = dict(e.headers)
        self._send(e.code, e.status(), hdrs)

    def _reset(self):
        """Drop the connection without an answer (TCP RST)."""
        try:
            raw = self.connection
            raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, method):
        api = self.api
        self._warnings = []
        self._audit = "%08x" % api.rnd.getrandbits(32)
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        q = {}
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            q[k] = v
        self._q = q
        upgrade = (self.headers.get("Upgrade") or "").lower() == "websocket"
        body = b"" if upgrade else self._read_body()
        try:
            if path.startswith("/mtvlab/"):
                return self._admin(method, path, q, body)
            if path in ("/readyz", "/healthz", "/livez"):
                if path == "/readyz" and not api.ready_fn():
                    return self._send(500, "not ready")
                return self._send(200, "ok")
            parsed = self._parse(path, quiet=True)
            if parsed:
                self._count(method, path, q, parsed)
            # ---- faults (never on admin, readyz, healthz)
            st = api.state
            if st.fault_active("slow"):
                st.fault_fired("slow")
                time.sleep(api.rnd.uniform(*SLOW_SECONDS))
            oauth = path in ("/.well-known/oauth-authorization-server", "/oauth/authorize", "/oauth/token")
            if oauth:
                pass  # the OAuth server is not the Kubernetes API: only "slow" applies
            elif st.fault_active("reset") and api.rnd.random() < self._rate("reset"):
                st.fault_fired("reset")
                return self._reset()
            if not oauth and st.fault_active("http-500") and api.rnd.random() < self._rate("http-500"):
                st.fault_fired("http-500")
                raise ApiError(500, "InternalError", "Internal error occurred: etcdserver: request timed out "
                               "(mtvlab fault http-500)", {"causes": [{"message": "etcdserver: request timed out"}]})
            if not oauth and st.fault_active("http-429") and api.rnd.random() < self._rate("http-429"):
                st.fault_fired("http-429")
                raise ApiError(429, "TooManyRequests", "Too many requests, please try again later.",
                               {"retryAfterSeconds": 1}, headers={"Retry-After": "1"})
            # ---- unauthenticated endpoints
            if path == "/.well-known/oauth-authorization-server":
                return self._send(200, _auth.oauth_metadata(self._base_url()))
            if path == "/oauth/authorize":
                code, b, h = _auth.oauth_authorize(api.tokens, api.cluster_user or "", api.cluster_password or "",
                                                   q, self.headers)
                return self._send(code, b, h)
            if path == "/oauth/token":
                if method != "POST":
                    raise ApiError(405, "MethodNotAllowed", "the server does not allow this method")
                code, b, h = _auth.oauth_token(api.tokens, body, self.headers)
                return self._send(code, b, h)
            if path == "/version" or path == "/version/":
                return self._send(200, VERSION_INFO)
            # ---- authentication
            authz = self.headers.get("Authorization") or ""
            token = authz[7:].strip() if authz[:7].lower() == "bearer " else ""
            if not token and upgrade:
                token = self._ws_token()
            user = api.tokens.user(token) if token else None
            if user is None:
                raise ApiError(401, "Unauthorized", "Unauthorized")
            self._user = user
            return self._route(method, path, q, body, upgrade)
        except ApiError as e:
            self._error(e)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug: answer 500 like an apiserver panic handler would
            api.log.exception("api: %s %s: %s", method, path, e)
            try:
                self._error(ApiError(500, "InternalError", "Internal error occurred: %s" % e))
            except Exception:
                self.close_connection = True

    def _rate(self, name):
        p = self.api.state.fault_params(name)
        try:
            return float(p.get("rate", FAULT_RATE[name]))
        except (TypeError, ValueError):
            return FAULT_RATE[name]

    def _ws_token(self):
        for p in (self.headers.get("Sec-WebSocket-Protocol") or "").split(","):
            p = p.strip()
            pre = "base64url.bearer.authorization.k8s.io."
            if p.startswith(pre):
                import base64
                s = p[len(pre):]
                try:
                    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)).decode()
                except Exception:
                    return ""
        return ""

    def _base_url(self):
        host = self.headers.get("Host") or "%s:%d" % (self.api.host, self.api.port)
        return "https://" + host

    # ------------------------------------------------------------------ admin
    def _admin(self, method, path, q, body):
        authz = self.headers.get("Authorization") or ""
        token = authz[7:].strip() if authz[:7].lower() == "bearer " else ""
        if not self.api.tokens.is_admin(token):
            raise ApiError(401, "Unauthorized", "Unauthorized")
        api = self.api
        st = api.state
        try:
            data = json.loads(body) if body else {}
        except ValueError:
            raise ApiError(400, "BadRequest", "invalid JSON")
        if path == "/mtvlab/status" and method == "GET":
            out = st.snapshot()
            out["api_url"] = api.url
            out["ready"] = bool(api.ready_fn())
            if api.admin_status:
                out.update(api.admin_status())
            return self._send(200, out)
        if path == "/mtvlab/defects" and method == "POST":
            if data.get("clear"):
                st.clear_defects()
            else:
                try:
                    st.set_defect(data.get("name"))
                except ValueError as e:
                    raise ApiError(400, "BadRequest", str(e))
            return self._send(200, st.snapshot())
        if path == "/mtvlab/faults" and method == "POST":
            if data.get("clear"):
                st.clear_faults()
            else:
                params = {k: v for k, v in data.items() if k != "name"}
                try:
                    st.set_fault(data.get("name"), **params)
                except ValueError as e:
                    raise ApiError(400, "BadRequest", str(e))
            return self._send(200, st.snapshot())
        if path == "/mtvlab/requests":
            if method == "DELETE":
                api.reset_counts()
            return self._send(200, api.request_counts())
        if path == "/mtvlab/dump" and method == "GET":
            return self._send(200, api.store.dump())
        if path == "/mtvlab/compact" and method == "POST":
            api.store.compact()
            return self._send(200, {"compacted": api.store.compacted_rv()})
        raise ApiError(404, "NotFound", "no admin endpoint %s %s" % (method, path))

    # ------------------------------------------------------------------ routing
    def _count(self, method, path, q, parsed=None):
        p = parsed or self._parse(path, quiet=True)
        if not p:
            return
        plural, name, sub = p["plural"], p["name"], p["sub"]
        verb = method
        if method == "GET" and not name:
            verb = "WATCH" if _truthy(q.get("watch")) else "LIST"
        elif method == "GET" and _truthy(q.get("watch")):
            verb = "WATCH"
        key = "%s %s%s" % (verb, plural, "/" + sub if sub else "")
        self.api.count(key)

    def _parse(self, path, quiet=False):
        """Split a resource URL → dict(group, version, ns, plural, name, sub, subpath) or None."""
        segs = [urllib.parse.unquote(s) for s in path.strip("/").split("/")]
        if len(segs) >= 3 and segs[0] == "api" and segs[1] == "v1":
            group, version, rest = "", "v1", segs[2:]
        elif len(segs) >= 4 and segs[0] == "apis":
            group, version, rest = segs[1], segs[2], segs[3:]
        else:
            return None
        ns = None
        store = self.api.store
        if len(rest) >= 3 and rest[0] == "namespaces":
            cand = store.find_kind(group, rest[2])
            if (cand is not None and cand.namespaced) or group == _kinds.SUBRESOURCE_GROUP:
                ns = rest[1]
                rest = rest[2:]
        plural = rest[0]
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        return {"group": group, "version": version, "ns": ns, "plural": plural, "name": name, "sub": sub,
                "subpath": rest[3:]}

    def _route(self, method, path, q, body, upgrade):
        api = self.api
        p = path.rstrip("/") or "/"
        if p in ("/api", "/apis") and method == "GET" and _disc.wants_aggregated(self.headers.get("Accept")):
            return self._send(200, _disc.aggregated(api.store, p == "/api"), {"Vary": "Accept"},
                              ctype=_disc.AGGREGATED_CT)
        if p == "/api":
            return self._send(200, _disc.api_versions(self.headers.get("Host") or ""), {"Vary": "Accept"})
        if p == "/apis":
            return self._send(200, _disc.api_group_list(api.store), {"Vary": "Accept"})
        if p == "/api/v1" and method == "GET":
            return self._send(200, _disc.resource_list(api.store, "", "v1"))
        m = re.match(r"^/apis/([^/]+)(?:/([^/]+))?$", p)
        if m and method == "GET":
            if m.group(2):
                d = _disc.resource_list(api.store, m.group(1), m.group(2))
            else:
                d = _disc.api_group(api.store, m.group(1))
            if d is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, d)
        if p == "/openapi/v3":
            return self._send(200, api.openapi.index())
        if p.startswith("/openapi/v3/"):
            d = api.openapi.document(p[len("/openapi/v3/"):])
            if d is None:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            hdr = {"Cache-Control": None}
            return self._send(200, d, hdr)
        if p == "/openapi/v2":
            acc = self.headers.get("Accept") or ""
            if "protobuf" in acc and "json" not in acc:
                raise ApiError(404, "NotFound", "the server could not find the requested resource")
            return self._send(200, api.openapi.v2())
        parsed = self._parse(p)
        if parsed is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if parsed["group"] == _kinds.SUBRESOURCE_GROUP:
            return self._kubevirt_sub(method, parsed, q, body, upgrade)
        k = api.store.find_kind(parsed["group"], parsed["plural"])
        if k is None or k.version != parsed["version"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if k.namespaced is False and parsed["ns"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._resource(method, k, parsed, q, body, upgrade)

    # ------------------------------------------------------------------ resources
    def _virtual(self, method, k, p, body):
        """Reviews and the OpenShift user: answered, never stored (every user may do everything)."""
        user = self._user
        if k.res == "users.user.openshift.io":
            if method != "GET" or not p["name"]:
                raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
            if p["name"] not in ("~", user):
                raise ApiError(404, "NotFound", 'users.user.openshift.io "%s" not found' % p["name"])
            return self._send(200, {"kind": "User", "apiVersion": "user.openshift.io/v1",
                                    "metadata": {"name": user, "uid": "00000000-0000-4000-8000-000000000001"},
                                    "groups": ["system:authenticated", "system:authenticated:oauth"]})
        if method != "POST" or p["name"]:
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        ct = (self.headers.get("Content-Type") or "")
        obj = {} if ("protobuf" in ct or not body) else self._decode(body)
        obj["apiVersion"], obj["kind"] = k.api_version, k.kind
        obj.setdefault("metadata", {})["creationTimestamp"] = None
        if k.kind == "SelfSubjectAccessReview":
            obj["status"] = {"allowed": True, "reason": "mtvlab allows every request"}
        elif k.kind == "SelfSubjectRulesReview":
            obj["status"] = {"resourceRules": [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}],
                             "nonResourceRules": [{"verbs": ["*"], "nonResourceURLs": ["*"]}], "incomplete": False}
        else:
            obj["status"] = {"userInfo": {"username": user, "groups": ["system:authenticated"]}}
        return self._send(201, obj)

    def _resource(self, method, k, p, q, body, upgrade):
        store = self.api.store
        ns, name, sub = p["ns"], p["name"], p["sub"]
        if k.res in _kinds.VIRTUAL:
            return self._virtual(method, k, p, body)
        if sub and sub != "status":
            return self._subresource(method, k, p, q, body, upgrade)
        if sub == "status" and not (k.status_subresource or k.res == "namespaces"):
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        if name is None:
            if method == "GET":
                if _truthy(q.get("watch")):
                    return self._watch(k, ns, q)
                return self._list(k, ns, q)
            if method == "POST":
                obj = self._decode(body)
                return self._create(k, ns, obj, q)
            if method == "DELETE":
                return self._delete_collection(k, ns, q, body)
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")
        if method in ("GET", "HEAD"):
            if _truthy(q.get("watch")):
                q = dict(q)
                q["fieldSelector"] = "metadata.name=%s" % name
                return self._watch(k, ns, q)
            obj = store.get(k.res, ns, name)
            return self._send_obj(200, k, obj)
        if method == "PUT":
            obj = self._decode(body)
            md = obj.setdefault("metadata", {})
            if md.get("name") and md["name"] != name:
                raise ApiError(400, "BadRequest", "the name of the object (%s) does not match the name on the URL (%s)"
                               % (md["name"], name))
            md["name"] = name
            if k.namespaced:
                if md.get("namespace") and md["namespace"] != ns:
                    raise ApiError(400, "BadRequest", "the namespace of the provided object does not match the "
                                   "namespace sent on the request")
                md["namespace"] = ns
            _fold_string_data(k, obj)
            fv = _field_validation(q)
            admit = self._admitter(k, fv, sub)
            # PUT never creates (AllowCreateOnUpdate is false for these kinds): 404 when absent
            new = store.update(k.res, obj, subresource=sub, admit=admit, dry_run=bool(q.get("dryRun")))
            return self._send_obj(200, k, new)
        if method == "PATCH":
            ct = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            ptype = {"application/merge-patch+json": "merge", "application/json-patch+json": "json",
                     "application/strategic-merge-patch+json": "strategic",
                     "application/apply-patch+yaml": "apply", "application/apply-patch+json": "apply"}.get(ct)
            if ptype is None:
                raise ApiError(415, "UnsupportedMediaType",
                               "the body of the request was in an unknown format - accepted media types include: "
                               "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
                               + (", application/strategic-merge-patch+json" if k.builtin else ""))
            if ptype == "apply":
                try:
                    import yaml
                    patch = yaml.safe_load(body.decode() or "{}")
                except Exception as e:
                    raise ApiError(400, "BadRequest", "error decoding YAML: %s" % e)
            else:
                try:
                    patch = json.loads(body or b"null")
                except ValueError as e:
                    raise ApiError(400, "BadRequest", "error decoding patch: %s" % e)
            fv = _field_validation(q)
            admit = self._admitter(k, fv, sub)
            if ptype == "apply" and isinstance(patch, dict) and not k.namespaced:
                patch.get("metadata", {}).pop("namespace", None)
            new = store.patch(k.res, ns, name, patch, ptype, subresource=sub, admit=admit, dry_run=bool(q.get("dryRun")))
            return self._send_obj(200, k, new)
        if method == "DELETE":
            opts = {}
            if body:
                try:
                    opts = json.loads(body)
                except ValueError:
                    raise ApiError(400, "BadRequest", "invalid DeleteOptions")
            prop = opts.get("propagationPolicy") or q.get("propagationPolicy")
            if opts.get("orphanDependents") is True or q.get("orphanDependents") == "true":
                prop = prop or "Orphan"
            if prop not in (None, "", "Background", "Foreground", "Orphan"):
                raise ApiError(400, "BadRequest", "propagationPolicy %s is not supported" % prop)
            obj = store.delete(k.res, ns, name, prop or None, opts.get("preconditions"),
                               dry_run=bool(q.get("dryRun") or opts.get("dryRun")))
            return self._send_obj(200, k, obj)
        raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")

    def _decode(self, body):
        if not body:
            raise ApiError(400, "BadRequest", "the request body is empty")
        ct = (self.headers.get("Content-Type") or "application/json").split(";")[0].strip().lower()
        if "protobuf" in ct:
            from . import protobuf as _pb
            return _pb.decode_object(body)
        if ct not in ("application/json", "application/yaml", "application/x-yaml", "text/yaml", "*/*", ""):
            raise ApiError(415, "UnsupportedMediaType", 'the body of the request was in an unknown format - accepted '
                           'media types include: application/json, application/yaml')
        try:
            if "yaml" in ct:
                import yaml
                obj = yaml.safe_load(body.decode())
            else:
                obj = json.loads(body)
        except Exception as e:
            raise ApiError(400, "BadRequest", "error decoding the request body: %s" % e)
        if not isinstance(obj, dict):
            raise ApiError(400, "BadRequest", "the request body must be a JSON object")
        return obj

    def _admitter(self, k, fv, sub):
        if not k.schema:
            return None
        warnings = self._warnings

        def admit(new, old):
            return _schema.admit_custom(k, new, old, fv, sub, warnings)
        return admit

    def _create(self, k, ns, obj, q):
        store = self.api.store
        kind_in = obj.get("kind")
        if kind_in and kind_in != k.kind:
            raise ApiError(400, "BadRequest", "the API version in the data (%s) does not match the expected API version (%s)"
                           % (obj.get("apiVersion"), k.api_version))
        if k.status_subresource and k.res not in ("namespaces",):
            obj.pop("status", None)
        if k.res == "secrets" and not obj.get("type"):
            obj["type"] = "Opaque"
        _fold_string_data(k, obj)
        fv = _field_validation(q)
        admit = self._admitter(k, fv, None)
        new = store.create(k.res, obj, ns, admit=admit, dry_run=bool(q.get("dryRun")))
        return self._send_obj(201, k, new)

    def _delete_collection(self, k, ns, q, body):
        store = self.api.store
        items = store.list(k.res, ns, q.get("labelSelector") or None, q.get("fieldSelector") or None)
        out = []
        for o in items:
            md = o["metadata"]
            try:
                out.append(store.delete(k.res, md.get("namespace"), md["name"], q.get("propagationPolicy")))
            except ApiError:
                pass
        return self._send(200, {"kind": k.kind + "List", "apiVersion": k.api_version,
                                "metadata": {"resourceVersion": store.resource_version}, "items": out})

    def _send_obj(self, code, k, obj):
        if _ACCEPT_TABLE.search(self.headers.get("Accept") or "") and "kind" in obj and obj.get("metadata", {}).get("name"):
            return self._send(code, _table(k, [obj], obj["metadata"].get("resourceVersion", ""), None),
                              ctype="application/json;as=Table;v=v1;g=meta.k8s.io")
        return self._send(code, obj)

    # ------------------------------------------------------------------ list
    def _list(self, k, ns, q):
        store = self.api.store
        items, rv = store.list_with_rv(k.res, ns, q.get("labelSelector") or None, q.get("fieldSelector") or None)
        meta = {"resourceVersion": rv}
        cont = q.get("continue")
        if cont:
            crv, start = Store.decode_continue(cont)
            if crv <= store.compacted_rv():
                raise ApiError(410, "Expired", "The provided continue parameter is too old to display a consistent "
                               "list result. You can start a new list without the continue parameter, or use the "
                               "continue token in this response to retrieve the remainder of the results. "
                               "Continuing with the provided token results in an inconsistent list - objects that "
                               "were created, modified, or deleted between the time the first chunk was returned "
                               "and now may show up in the list.")
            items = [o for o in items if _item_key(o) > start]
        limit = q.get("limit")
        if limit:
            try:
                n = int(limit)
            except ValueError:
                raise ApiError(400, "BadRequest", "invalid limit %r" % limit)
            if n > 0 and len(items) > n:
                rest = len(items) - n
                items = items[:n]
                meta["continue"] = Store.encode_continue(rv, _item_key(items[-1]))
                meta["remainingItemCount"] = rest
        if _ACCEPT_TABLE.search(self.headers.get("Accept") or ""):
            return self._send(200, _table(k, items, rv, meta.get("continue")),
                              ctype="application/json;as=Table;v=v1;g=meta.k8s.io")
        return self._send(200, {"kind": k.kind + "List", "apiVersion": k.api_version, "metadata": meta,
                                "items": items})

    # ------------------------------------------------------------------ watch
    def _watch(self, k, ns, q):
        api = self.api
        store = api.store
        lreq = parse_label_selector(q.get("labelSelector") or None)
        freq = parse_field_selector(q.get("fieldSelector") or None)
        try:
            timeout = float(q.get("timeoutSeconds") or 1800)
        except ValueError:
            raise ApiError(400, "BadRequest", "invalid timeoutSeconds")
        bookmarks = _truthy(q.get("allowWatchBookmarks"))
        rv_param = q.get("resourceVersion") or ""
        deadline = time.monotonic() + timeout
        drop_at = None
        if api.state.fault_active("watch-drop"):
            drop_at = time.monotonic() + api.rnd.uniform(*WATCH_DROP_SECONDS)

        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", self._audit)
        self.end_headers()
        self.wfile.flush()

        def emit(etype, obj):
            data = json.dumps({"type": etype, "object": obj}, separators=(",", ":")).encode() + b"\n"
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()

        def matches(obj):
            md = obj.get("metadata") or {}
            if k.namespaced and ns and md.get("namespace") != ns:
                return False
            return label_match(md.get("labels"), lreq) and (not freq or field_match(obj, freq))

        try:
            if rv_param in ("", "0"):
                items, rv = store.list_with_rv(k.res, ns, lreq, freq)
                for o in items:
                    emit("ADDED", o)
                cur = int(rv)
            else:
                try:
                    cur = int(rv_param)
                except ValueError:
                    emit("ERROR", ApiError(400, "BadRequest", "invalid resourceVersion %r" % rv_param).status())
                    return self._end_chunks()
            last_sent = time.monotonic()
            while not api.stopping:
                now = time.monotonic()
                if drop_at and now >= drop_at:
                    api.state.fault_fired("watch-drop")
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                if now >= deadline:
                    break
                wait = min(deadline - now, BOOKMARK_IDLE_SECONDS, 0.5 if drop_at else 60)
                try:
                    evs, head = store.events_since(cur, k.res, wait)
                except ApiError as e:
                    emit("ERROR", e.status())
                    return self._end_chunks()
                for erv, etype, _res, obj, prev in evs:
                    now_match = matches(obj)
                    if etype == "MODIFIED" and prev is not None and (lreq or freq):
                        was = matches(prev)
                        if now_match and not was:
                            etype = "ADDED"
                        elif was and not now_match:
                            etype, now_match = "DELETED", True
                    if now_match:
                        emit(etype, obj)
                        last_sent = time.monotonic()
                    cur = erv
                cur = max(cur, head)
                if bookmarks and time.monotonic() - last_sent >= BOOKMARK_IDLE_SECONDS:
                    emit("BOOKMARK", {"kind": k.kind, "apiVersion": k.api_version,
                                      "metadata": {"resourceVersion": str(cur)}})
                    last_sent = time.monotonic()
            self._end_chunks()
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, OSError):
            self.close_connection = True

    def _end_chunks(self):
        try:
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    # ------------------------------------------------------------------ subresources
    def _buffered_input(self):
        """Bytes the client sent after the request head that rfile already buffered (never blocks)."""
        sock = self.connection
        data = b""
        try:
            sock.setblocking(False)
            data = self.rfile.peek(65536) or b""
            if data:
                data = self.rfile.read(len(data))
        except (BlockingIOError, ssl.SSLWantReadError, OSError, ValueError):
            data = b""
        finally:
            try:
                sock.setblocking(True)
            except OSError:
                pass
        return data

    def _hook_request(self, method, res, p, q, body, upgrade):
        req = self._make_request(method, res, p, q, body, upgrade)
        req.initial = self._buffered_input() if upgrade else b""
        return req

    def _make_request(self, method, res, p, q, body, upgrade):
        return Request(method=method, namespace=p["ns"], name=p["name"], resource=res, subresource=p["sub"],
                       subpath=p["subpath"], query=q, headers=self.headers, body=body, user=self._user,
                       upgrade=upgrade, socket=self.connection if upgrade else None,
                       rfile=self.rfile if upgrade else None, wfile=self.wfile if upgrade else None,
                       store=self.api.store)

    def _run_hook(self, handler, req):
        if req.upgrade:
            self.close_connection = True
            handler(req)
            return None
        r = handler(req)
        if r is None:
            return self._send(200, "")
        if len(r) == 2:
            code, body = r
            headers = {}
        else:
            code, body, headers = r
        headers = dict(headers or {})
        if isinstance(body, ApiError):
            return self._error(body)
        ct = headers.pop("Content-Type", None)
        if isinstance(body, bytes) and not ct:
            ct = "text/plain; charset=utf-8" if (code < 300 and body) else None
        if isinstance(body, (bytes, str)) and not body and code in (200, 202, 204) and not ct:
            ct = "application/json"
        return self._send(code, body, headers, ctype=ct)

    def _subresource(self, method, k, p, q, body, upgrade):
        api = self.api
        store = api.store
        sub = p["sub"]
        handler = api.subresource_handler(k.res, sub)
        if handler is not None:
            store.get(k.res, p["ns"], p["name"])  # 404 first, like the apiserver
            return self._run_hook(handler, self._hook_request(method, k.res, p, q, body, upgrade))
        if k.res == "serviceaccounts" and sub == "token" and method == "POST":
            sa = store.get(k.res, p["ns"], p["name"])
            req = json.loads(body) if body else {}
            exp = int(((req.get("spec") or {}).get("expirationSeconds")) or 3600)
            tok = api.tokens.issue("system:serviceaccount:%s:%s" % (p["ns"], p["name"]), kind="serviceaccount",
                                   expiration_seconds=exp)
            out = {"kind": "TokenRequest", "apiVersion": "authentication.k8s.io/v1",
                   "metadata": {"name": p["name"], "namespace": p["ns"], "creationTimestamp": None},
                   "spec": {"audiences": (req.get("spec") or {}).get("audiences") or ["https://kubernetes.default.svc"],
                            "expirationSeconds": exp, "boundObjectRef": None},
                   "status": {"token": tok, "expirationTimestamp": now_rfc3339(time.time() + exp)}}
            _ = sa
            return self._send(201, out)
        if k.res == "pods" and sub == "log" and method == "GET":
            pod = store.get(k.res, p["ns"], p["name"])
            text = ((pod.get("metadata") or {}).get("annotations") or {}).get("mtvlab/log", "")
            return self._send(200, text)
        raise ApiError(404, "NotFound", "the server could not find the requested resource")

    def _kubevirt_sub(self, method, p, q, body, upgrade):
        api = self.api
        if p["version"] not in _kinds.SUBRESOURCE_VERSIONS or not p["name"] or not p["sub"]:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        res = "%s.%s" % (p["plural"], _kinds.SUBRESOURCE_GROUP)
        handler = api.subresource_handler(res, p["sub"])
        if handler is None:
            raise ApiError(404, "NotFound", "the server could not find the requested resource")
        return self._run_hook(handler, self._hook_request(method, res, p, q, body, upgrade))


# ---------------------------------------------------------------------------- helpers

def _truthy(v):
    return v is not None and v not in ("", "0", "false", "False")


def _field_validation(q):
    fv = q.get("fieldValidation") or "Warn"
    if fv not in ("Strict", "Warn", "Ignore"):
        raise ApiError(400, "BadRequest", 'fieldValidation %s is invalid, valid values are: Ignore, Warn, Strict' % fv)
    return fv


def _item_key(o):
    md = o.get("metadata") or {}
    return "%s/%s" % (md.get("namespace") or "", md.get("name"))


def jsonpath(obj, expr):
    """A small JSONPath subset for printer columns: .a.b, .a[0].b, .a[?(@.k=='v')].b"""
    tokens = re.findall(r"\.([A-Za-z0-9_\-]+)|\[(\d+)\]|\[\?\(@\.([A-Za-z0-9_]+)\s*==\s*['\"]([^'\"]*)['\"]\)\]", expr)
    cur = [obj]
    for name, idx, fk, fv in tokens:
        nxt = []
        for c in cur:
            if name:
                if isinstance(c, dict) and name in c:
                    nxt.append(c[name])
            elif idx:
                if isinstance(c, list) and int(idx) < len(c):
                    nxt.append(c[int(idx)])
            else:
                if isinstance(c, list):
                    nxt.extend(x for x in c if isinstance(x, dict) and str(x.get(fk)) == fv)
        cur = nxt
    return cur


def _age(ts):
    try:
        t = time.mktime(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    except (TypeError, ValueError):
        return "<unknown>"
    s = max(0, int(time.time() - t))
    if s < 120:
        return "%ds" % s
    if s < 3600 * 2:
        return "%dm" % (s // 60)
    if s < 86400 * 2:
        return "%dh" % (s // 3600)
    return "%dd" % (s // 86400)


def _table(k, items, rv, cont):
    cols = [{"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}]
    pcs = [c for c in (k.printer_columns or []) if c.get("name", "").lower() not in ("age",)]
    for c in pcs:
        cols.append({"name": c["name"], "type": c.get("type", "string"), "format": c.get("format", ""),
                     "description": c.get("description", ""), "priority": c.get("priority", 0)})
    cols.append({"name": "Age", "type": "date", "format": "", "description": "Age", "priority": 0})
    rows = []
    for o in items:
        md = o.get("metadata") or {}
        cells = [md.get("name")]
        for c in pcs:
            vals = jsonpath(o, c.get("jsonPath", ""))
            if not vals:
                cells.append(None if c.get("type") in ("integer", "number", "boolean") else "")
            else:
                v = vals[0]
                if c.get("type") == "date" and isinstance(v, str):
                    v = _age(v)
                cells.append(v if not isinstance(v, (dict, list)) else json.dumps(v))
        cells.append(_age(md.get("creationTimestamp")))
        rows.append({"cells": cells, "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                                                "metadata": md}})
    meta = {"resourceVersion": rv}
    if cont:
        meta["continue"] = cont
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "columnDefinitions": cols,
            "rows": rows}
