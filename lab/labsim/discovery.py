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
