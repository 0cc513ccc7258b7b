"""NetworkMap and StorageMap validation (status.references + Ready)."""
from .common import RES, Conditions, err_code, ref_str


def provider_pair(mgr, obj, conds):
    """Validate spec.provider; returns (source Provider, destination Provider) or (None, None)."""
    spec = obj.get("spec") or {}
    prov = spec.get("provider") or {}
    out = []
    for side, tname in (("source", "Source"), ("destination", "Destination")):
        ref = prov.get(side) or {}
        if not ref.get("name"):
            conds.set("%sProviderNotValid" % tname, "Critical", "The %s provider is not valid." % side, reason="NotSet")
            out.append(None)
            continue
        try:
            p = mgr.store.get(RES["provider"], ref.get("namespace") or obj["metadata"]["namespace"], ref["name"])
        except Exception as e:  # noqa: BLE001
            if err_code(e) != 404:
                raise
            conds.set("%sProviderNotValid" % tname, "Critical", "The %s provider is not valid." % side,
                      reason="NotFound")
            out.append(None)
            continue
        if side == "destination" and p["spec"].get("type") != "openshift":
            conds.set("DestinationProviderNotValid", "Critical", "The destination provider is not valid.",
                      reason="TypeNotValid")
            out.append(None)
            continue
        if (p.get("status") or {}).get("phase") != "Ready":
            conds.set("%sProviderNotReady" % tname, "Critical",
                      "The %s provider does not have the Ready condition." % side)
            out.append(None)
            continue
        out.append(p)
    return out[0], out[1]


class MapCtrl:
    def __init__(self, mgr, kind):
        self.mgr = mgr
        self.kind = kind  # "networkmap" | "storagemap"

    def reconcile(self, ns, name):
        st = self.mgr.store
        try:
            m = st.get(RES[self.kind], ns, name)
        except Exception as e:  # noqa: BLE001
            if err_code(e) == 404:
                return
            raise
        conds = Conditions((m.get("status") or {}).get("conditions"))
        src, _dst = provider_pair(self.mgr, m, conds)
        refs = []
        model = None
        if src is not None and src["spec"].get("type") == "vsphere":
            col = self.mgr.inv.get(src["metadata"]["uid"])
            model = col.model if col and col.loaded.is_set() else None
            if model is None:
                conds.set("SourceProviderNotReady", "Critical", "The source provider does not have the Ready condition.")
        entries = (m.get("spec") or {}).get("map") or []
        notfound, ambiguous, notset = [], [], []
        dest_bad = []
        for e in entries:
            sref = dict(e.get("source") or {})
            if model is not None:
                finder = model.find_network if self.kind == "networkmap" else model.find_datastore
                hit, why = finder(sref)
                if hit is not None:
                    refs.append({"id": hit["id"], "name": hit["name"]})
                elif why == "NotFound":
                    notfound.append(ref_str(sref))
                elif why == "Ambiguous":
                    ambiguous.append(ref_str(sref))
                else:
                    notset.append(ref_str(sref))
            dst = e.get("destination") or {}
            if self.kind == "networkmap":
                if dst.get("type") == "multus":
                    try:
                        st.get(RES["nad"], dst.get("namespace") or ns, dst.get("name", ""))
                    except Exception as ex:  # noqa: BLE001
                        if err_code(ex) != 404:
                            raise
                        dest_bad.append("%s/%s" % (dst.get("namespace") or ns, dst.get("name", "")))
            else:
                try:
                    st.get(RES["sc"], None, dst.get("storageClass") or "")
                except Exception as ex:  # noqa: BLE001
                    if err_code(ex) != 404:
                        raise
                    dest_bad.append(dst.get("storageClass") or "")
        what = "Network" if self.kind == "networkmap" else "Storage"
        low = what.lower()
        if notset:
            conds.set("Source%sNotValid" % what, "Critical", "Source %s not valid." % low, reason="NotSet",
                      items=notset)
        if ambiguous:
            conds.set("Source%sNotValid" % what, "Critical", "Source %s ambiguous." % low, reason="Ambiguous",
                      items=ambiguous)
        if notfound:
            conds.set("Source%sNotValid" % what, "Warn", "Source %s not found." % low, reason="NotFound",
                      items=notfound)
        if dest_bad:
            if self.kind == "networkmap":
                conds.set("DestinationNetworkNotValid", "Critical", "Destination network (NAD) not found.",
                          reason="NotFound", items=dest_bad)
            else:
                conds.set("DestinationStorageNotValid", "Critical", "Destination storage not valid.",
                          reason="NotFound", items=dest_bad)
        if not conds.blockers():
            conds.set("Ready", "Required", "The %s map is ready." % low)

        def fn(o):
            s = o.setdefault("status", {})
            s["conditions"] = conds.result()
            s["references"] = refs
            s["observedGeneration"] = o["metadata"].get("generation", 1)
        st.mutate(RES[self.kind], ns, name, fn, subresource="status")
