"""Bearer tokens and the OpenShift OAuth endpoints (challenging-client code flow)."""

import base64
import hmac
import secrets
import threading
import time
import urllib.parse

TOKEN_EXPIRY_SECONDS = 4.0   # lifetime of an expiring token while the token-expiry fault is active
CODE_TTL = 300.0


def random_secret(n=24):
    """A random credential of ``n`` (>= 16) URL-safe characters."""
    alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(max(16, n)))


class Tokens:
    """Valid bearer tokens. The user's token (kubeconfig) and the admin token are static; tokens issued
    by OAuth or TokenRequest are "expiring": while the ``token-expiry`` fault is active they are rejected
    ``TOKEN_EXPIRY_SECONDS`` after they were issued (OAuth then issues new ones)."""

    def __init__(self, state=None):
        self._lock = threading.Lock()
        self._tokens = {}   # token -> dict(user, kind, issued, expires)
        self._codes = {}    # code -> (user, issued)
        self.state = state
        self.expiry_seconds = TOKEN_EXPIRY_SECONDS

    def add(self, token, user, kind="static"):
        with self._lock:
            self._tokens[token] = {"user": user, "kind": kind, "issued": time.monotonic(), "expires": None}

    def issue(self, user, kind="oauth", expiration_seconds=None):
        tok = "sha256~" + random_secret(43)
        with self._lock:
            self._tokens[tok] = {"user": user, "kind": kind, "issued": time.monotonic(),
                                 "expires": (time.monotonic() + expiration_seconds) if expiration_seconds else None}
        return tok

    def revoke(self, token):
        with self._lock:
            self._tokens.pop(token, None)

    def _lookup(self, token):
        if not token:
            return None
        with self._lock:
            for t, info in self._tokens.items():
                if hmac.compare_digest(t.encode(), token.encode()):
                    return dict(info)
        return None

    def valid(self, token):
        return self.user(token) is not None

    def user(self, token):
        """The user name of a valid token, else None (token-expiry fault aware)."""
        info = self._lookup(token)
        if info is None:
            return None
        now = time.monotonic()
        if info["expires"] and now > info["expires"]:
            return None
        if info["kind"] in ("oauth", "serviceaccount") and self.state is not None \
                and self.state.fault_active("token-expiry"):
            try:
                life = float(self.state.fault_params("token-expiry").get("seconds", self.expiry_seconds))
            except (TypeError, ValueError):
                life = self.expiry_seconds
            if now - info["issued"] > life:
                self.state.fault_fired("token-expiry")
                return None
        return info["user"]

    def is_admin(self, token):
        info = self._lookup(token)
        return bool(info and info["kind"] == "admin")

    def new_code(self, user):
        code = random_secret(32)
        with self._lock:
            self._codes[code] = (user, time.monotonic())
        return code

    def take_code(self, code):
        with self._lock:
            v = self._codes.pop(code, None)
        if v is None or time.monotonic() - v[1] > CODE_TTL:
            return None
        return v[0]


def oauth_metadata(api_url):
    return {
        "issuer": api_url,
        "authorization_endpoint": api_url + "/oauth/authorize",
        "token_endpoint": api_url + "/oauth/token",
        "scopes_supported": ["user:check-access", "user:full", "user:info", "user:list-projects",
                             "user:list-scoped-projects"],
        "response_types_supported": ["code", "token"],
        "grant_types_supported": ["authorization_code", "implicit"],
        "code_challenge_methods_supported": ["plain", "S256"],
    }


def _basic(headers):
    h = headers.get("Authorization") or ""
    if not h.lower().startswith("basic "):
        return None
    try:
        raw = base64.b64decode(h[6:].strip()).decode()
    except Exception:
        return None
    if ":" not in raw:
        return None
    return raw.split(":", 1)


def _err(code, error, desc):
    return code, {"error": error, "error_description": desc}, {}


def oauth_authorize(tokens, cluster_user, cluster_password, query, headers):
    """GET /oauth/authorize (challenging client): Basic credentials → 302 to the redirect with code=."""
    if query.get("response_type") not in (None, "code", "token"):
        return _err(400, "unsupported_response_type", "response_type must be code")
    client = query.get("client_id", "")
    if client not in ("openshift-challenging-client", "openshift-browser-client"):
        return _err(400, "unauthorized_client", "unknown client_id")
    cred = _basic(headers)
    ok = cred is not None and hmac.compare_digest(cred[0].encode(), cluster_user.encode()) \
        and hmac.compare_digest(cred[1].encode(), cluster_password.encode())
    if not ok:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
        return 401, body, {"WWW-Authenticate": 'Basic realm="openshift"', "Link": ""}
    code = tokens.new_code(cluster_user)
    redirect = query.get("redirect_uri") or "/oauth/token/implicit"
    q = {"code": code}
    if "state" in query:
        q["state"] = query["state"]
    sep = "&" if "?" in redirect else "?"
    return 302, b"", {"Location": redirect + sep + urllib.parse.urlencode(q)}


def oauth_token(tokens, body, headers):
    """POST /oauth/token: grant_type=authorization_code&code=…&client_id=… → access_token."""
    try:
        form = dict(urllib.parse.parse_qsl(body.decode()))
    except Exception:
        return _err(400, "invalid_request", "malformed body")
    if form.get("grant_type") != "authorization_code":
        return _err(400, "unsupported_grant_type", "grant_type must be authorization_code")
    client = form.get("client_id")
    cred = _basic(headers)
    if not client and cred:
        client = cred[0]
    if client not in ("openshift-challenging-client", "openshift-browser-client"):
        return _err(401, "invalid_client", "client authentication failed")
    user = tokens.take_code(form.get("code", ""))
    if user is None:
        return _err(400, "invalid_grant", "the authorization code is invalid or expired")
    tok = tokens.issue(user, kind="oauth")
    return 200, {"access_token": tok, "token_type": "Bearer", "expires_in": 86400, "scope": "user:full"}, {}
