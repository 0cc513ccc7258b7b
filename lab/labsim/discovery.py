"""Legacy API discovery documents (/api, /api/v1, /apis, /apis/<g>, /apis/<g>/<v>).

kubectl 1.32 asks for aggregated discovery but decides from the response Content-Type only; a legacy
body labelled application/json works (kube-kubevirt-notes §3.1), so the lab serves legacy discovery."""

from . import kinds as _kinds


def groups(store):
    """{group: version} of the store's kinds (one served version per group)."""
    out = {}
    for k in store.kinds():
        if k.group:
            out.setdefault(k.group, k.version)
    return out


def api_versions(host):
    return {"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": host}]}


def _group_entry(name, versions):
    vs = [{"groupVersion": "%s/%s" % (name, v), "version": v} for v in versions]
    return {"name": name, "versions": vs, "preferredVersion": vs[0]}


def api_group_list(store):
    gs = groups(store)
    items = [_group_entry(g, [v]) for g, v in sorted(gs.items())]
    items.append(_group_entry(_kinds.SUBRESOURCE_GROUP, _kinds.SUBRESOURCE_VERSIONS))
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": items}


def api_group(store, group):
    if group == _kinds.SUBRESOURCE_GROUP:
        e = _group_entry(group, _kinds.SUBRESOURCE_VERSIONS)
    else:
        v = groups(store).get(group)
        if v is None:
            return None
        e = _group_entry(group, [v])
    e.update({"kind": "APIGroup", "apiVersion": "v1"})
    return e


def resource_list(store, group, version):
    gv = "%s/%s" % (group, version) if group else version
    res = []
    if group == _kinds.SUBRESOURCE_GROUP:
        if version not in _kinds.SUBRESOURCE_VERSIONS:
            return None
        for name, verb in _kinds.SUBRESOURCES:
            res.append({"name": name, "singularName": "", "namespaced": True, "kind": "",
                        "verbs": [verb]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}
    found = False
    for k in sorted(store.kinds(), key=lambda k: k.plural):
        if k.group != group or k.version != version:
            continue
        found = True
        e = {"name": k.plural, "singularName": k.singular, "namespaced": k.namespaced, "kind": k.kind,
             "verbs": list(k.verbs)}
        if k.short_names:
            e["shortNames"] = list(k.short_names)
        if k.categories:
            e["categories"] = list(k.categories)
        res.append(e)
        if k.status_subresource:
            res.append({"name": k.plural + "/status", "singularName": "", "namespaced": k.namespaced,
                        "kind": k.kind, "verbs": ["get", "patch", "update"]})
        for sub in k.subresources:
            verbs = {"log": ["get"], "token": ["create"], "eviction": ["create"], "exec": ["create", "get"],
                     "portforward": ["create", "get"], "scale": ["get", "patch", "update"]}.get(sub, ["get"])
            kind = {"token": "TokenRequest", "eviction": "Eviction", "scale": "Scale"}.get(sub, k.kind)
            e2 = {"name": "%s/%s" % (k.plural, sub), "singularName": "", "namespaced": k.namespaced,
                  "kind": kind, "verbs": verbs}
            if sub == "token":
                e2.update({"group": "authentication.k8s.io", "version": "v1"})
            res.append(e2)
    if not found and not (group == "" and version == "v1"):
        return None
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": res}


# ---------------------------------------------------------------------------- aggregated discovery (v2)

AGGREGATED_CT = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"


def wants_aggregated(accept):
    """True when the Accept header asks for apidiscovery.k8s.io/v2 APIGroupDiscoveryList."""
    for part in (accept or "").split(","):
        params = {}
        for p in part.split(";")[1:]:
            if "=" in p:
                k, v = p.strip().split("=", 1)
                params[k] = v
        if params.get("g") == "apidiscovery.k8s.io" and params.get("v") == "v2" \
                and params.get("as") == "APIGroupDiscoveryList":
            return True
    return False


def _agg_resources(store, group, version):
    out = []
    for k in sorted(store.kinds(), key=lambda k: k.plural):
        if k.group != group or k.version != version:
            continue
        rk = {"group": k.group, "version": k.version, "kind": k.kind}
        e = {"resource": k.plural, "singularResource": k.singular,
             "scope": "Namespaced" if k.namespaced else "Cluster", "responseKind": rk, "verbs": list(k.verbs)}
        if k.short_names:
            e["shortNames"] = list(k.short_names)
        if k.categories:
            e["categories"] = list(k.categories)
        subs = []
        if k.status_subresource:
            subs.append({"subresource": "status", "responseKind": rk, "verbs": ["get", "patch", "update"]})
        for sub in k.subresources:
            verbs = {"log": ["get"], "token": ["create"], "eviction": ["create"], "exec": ["create", "get"],
                     "portforward": ["create", "get"], "scale": ["get", "patch", "update"]}.get(sub, ["get"])
            kind = {"token": ("authentication.k8s.io", "v1", "TokenRequest"), "eviction": ("policy", "v1", "Eviction"),
                    "scale": ("autoscaling", "v1", "Scale")}.get(sub)
            srk = {"group": kind[0], "version": kind[1], "kind": kind[2]} if kind else rk
            subs.append({"subresource": sub, "responseKind": srk, "verbs": verbs})
        if subs:
            e["subresources"] = subs
        out.append(e)
    return out


def aggregated(store, legacy_core):
    """The APIGroupDiscoveryList of /api (legacy_core) or /apis."""
    items = []
    if legacy_core:
        items.append({"metadata": {"name": ""}, "versions": [
            {"version": "v1", "resources": _agg_resources(store, "", "v1"), "freshness": "Current"}]})
    else:
        for g, v in sorted(groups(store).items()):
            items.append({"metadata": {"name": g}, "versions": [
                {"version": v, "resources": _agg_resources(store, g, v), "freshness": "Current"}]})
        subres = {}
        for name, verb in _kinds.SUBRESOURCES:
            parent, sub = name.split("/")
            subres.setdefault(parent, []).append({"subresource": sub, "verbs": [verb]})
        vres = [{"resource": parent, "scope": "Namespaced", "verbs": [], "subresources": subs,
                 "responseKind": {"group": "", "version": "", "kind": ""}}
                for parent, subs in sorted(subres.items())]
        items.append({"metadata": {"name": _kinds.SUBRESOURCE_GROUP}, "versions": [
            {"version": v, "resources": vres, "freshness": "Current"} for v in _kinds.SUBRESOURCE_VERSIONS]})
    return {"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items}
