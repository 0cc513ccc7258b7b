"""OpenAPI v3 (index + one document per group-version) and a JSON /openapi/v2.

What kubectl 1.32 needs (kube-kubevirt-notes §3.2): for each GVK a PATCH operation carrying the
``x-kubernetes-group-version-kind`` extension and a ``fieldValidation`` query parameter, so that
``--validate=strict`` leaves validation to the server. ``application/strategic-merge-patch+json`` is
deliberately absent from the request content types (kubectl then falls back to its compiled-in types
for apply: strategic merge patch for built-ins, JSON merge patch for everything else). The component
schemas carry the CRD schemas so ``kubectl explain`` works for the Forklift kinds."""

import copy
import hashlib
import json



def _gv_path(group, version):
    return "apis/%s/%s" % (group, version) if group else "api/%s" % version


def _schema_name(k):
    g = ".".join(reversed(k.group.split("."))) if k.group else "io.k8s.api.core"
    return "%s.%s.%s" % (g, k.version, k.kind)


def gv_document(store, group, version):
    paths = {}
    schemas = {}
    found = False
    params = [{"name": n, "in": "query", "schema": {"type": "string"}}
              for n in ("dryRun", "fieldManager", "fieldValidation")]
    for k in store.kinds():
        if k.group != group or k.version != version:
            continue
        found = True
        gvk = {"group": k.group, "version": k.version, "kind": k.kind}
        prefix = "/" + _gv_path(group, version)
        coll = prefix + ("/namespaces/{namespace}/%s" % k.plural if k.namespaced else "/%s" % k.plural)
        item = coll + "/{name}"
        ref = {"$ref": "#/components/schemas/%s" % _schema_name(k)}
        resp = {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}}
        body_ct = {"application/json-patch+json": {"schema": {"type": "object"}},
                   "application/merge-patch+json": {"schema": {"type": "object"}},
                   "application/apply-patch+yaml": {"schema": {"type": "object"}}}
        paths[item] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "get",
                    "operationId": "read" + k.kind, "responses": resp},
            "put": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "put",
                    "operationId": "replace" + k.kind, "parameters": params,
                    "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": resp},
            "patch": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch",
                      "operationId": "patch" + k.kind, "parameters": params,
                      "requestBody": {"content": body_ct}, "responses": resp},
            "delete": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "delete",
                       "operationId": "delete" + k.kind, "responses": {"200": {"description": "OK"}}},
        }
        paths[coll] = {
            "get": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "list",
                    "operationId": "list" + k.kind, "responses": {"200": {"description": "OK"}}},
            "post": {"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "post",
                     "operationId": "create" + k.kind, "parameters": params,
                     "requestBody": {"content": {"application/json": {"schema": ref}}}, "responses": resp},
        }
        if k.schema:
            sch = copy.deepcopy(k.schema)
        else:
            sch = {"type": "object", "description": "%s (lab: schema not described)" % k.kind,
                   "properties": {"apiVersion": {"type": "string"}, "kind": {"type": "string"},
                                  "metadata": {"type": "object"},
                                  "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                  "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True}},
                   "x-kubernetes-preserve-unknown-fields": True}
        sch["x-kubernetes-group-version-kind"] = [gvk]
        schemas[_schema_name(k)] = sch
    if not found:
        return None
    return {"openapi": "3.0.0", "info": {"title": "Kubernetes (mtvlab)", "version": "v1.32.4"},
            "paths": paths, "components": {"schemas": schemas}}


def _hash(doc):
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:64].upper()


class OpenAPI:
    """Caches the per-GV documents (the kinds do not change after start)."""

    def __init__(self, store):
        self.store = store
        self._docs = None

    def _build(self):
        if self._docs is None:
            docs = {}
            seen = set()
            for k in self.store.kinds():
                if (k.group, k.version) in seen:
                    continue
                seen.add((k.group, k.version))
                d = gv_document(self.store, k.group, k.version)
                if d:
                    docs[_gv_path(k.group, k.version)] = (d, _hash(d))
            self._docs = docs
        return self._docs

    def index(self):
        return {"paths": {p: {"serverRelativeURL": "/openapi/v3/%s?hash=%s" % (p, h)}
                          for p, (_, h) in sorted(self._build().items())}}

    def document(self, gvpath):
        v = self._build().get(gvpath.strip("/"))
        return v[0] if v else None

    def v2(self):
        """A JSON Swagger 2.0 document (kubectl asks for protobuf and then ignores a JSON answer;
        other clients may read it)."""
        defs = {}
        paths = {}
        for gvpath, (d, _) in self._build().items():
            for name, sch in d["components"]["schemas"].items():
                defs[name] = sch
            for p, ops in d["paths"].items():
                paths[p] = {m: {"x-kubernetes-group-version-kind": o.get("x-kubernetes-group-version-kind"),
                                "responses": {"200": {"description": "OK"}}} for m, o in ops.items()}
        return {"swagger": "2.0", "info": {"title": "Kubernetes (mtvlab)", "version": "v1.32.4"},
                "paths": paths, "definitions": defs}
