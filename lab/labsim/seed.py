"""Cluster objects present when the lab comes up (created through the store, like any client's writes)."""
import logging

from .controllers.common import RES, MTV_NS, rfc3339, err_code

log = logging.getLogger("labsim.seed")

STORAGE_CLASS = "standard-csi"
MTV_VERSION = "2.10.1"
OCP_VERSION = "4.20.1"
NAMESPACES = ["openshift-mtv", "default", "openshift-cnv", "kube-system", "openshift-config",
              "openshift-marketplace"]


def _create(store, res, obj, ns=None):
    try:
        return store.create(res, obj, ns=ns)
    except Exception as e:  # noqa: BLE001
        if err_code(e) == 409:
            return store.get(res, ns or obj["metadata"].get("namespace"), obj["metadata"]["name"])
        raise


def _status(store, res, ns, name, status):
    def fn(o):
        o["status"] = status
    store.mutate(res, ns, name, fn, subresource="status")


def fc_conditions(successful=True):
    t = rfc3339()
    conds = [{"type": "Running", "status": "True", "reason": "Successful" if successful else "Running",
              "message": "Awaiting next reconciliation" if successful else "Running reconciliation",
              "lastTransitionTime": t}]
    if successful:
        conds.append({"type": "Successful", "status": "True", "reason": "Successful",
                      "message": "Last reconciliation succeeded", "lastTransitionTime": t})
    return conds


def controller_env(spec):
    """The env of the forklift-controller container, as the operator's template renders it."""
    interval = spec.get("controller_precopy_interval", 60)
    env = [{"name": "PRECOPY_INTERVAL", "value": str(interval)},
           {"name": "MAX_VM_INFLIGHT", "value": str(spec.get("controller_max_vm_inflight", 20))},
           {"name": "SNAPSHOT_REMOVAL_TIMEOUT_MINUTES",
            "value": str(spec.get("controller_snapshot_removal_timeout_minuts", 120))},
           {"name": "BLOCKER_GRACE_PERIOD_MINUTES",
            "value": str(spec.get("controller_blocker_grace_period_minutes", 5))},
           {"name": "WAIT_FOR_FINAL_SNAPSHOT_CONSOLIDATION",
            "value": str(spec.get("wait_for_final_snapshot_consolidation", "true")).lower()},
           {"name": "API_HOST", "value": "localhost"}, {"name": "API_PORT", "value": "8443"}]
    if spec.get("vddk_image"):
        env.append({"name": "VDDK_IMAGE", "value": str(spec["vddk_image"])})
    if spec.get("controller_pvc_name_template"):
        env.append({"name": "PVC_NAME_TEMPLATE", "value": str(spec["controller_pvc_name_template"])})
    return env


def deployment(name, containers, labels):
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": MTV_NS, "labels": labels},
            "spec": {"replicas": 1, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": {"containers": containers}}}}


def seed(ctx, inventory_port):
    st = ctx.store
    for ns in NAMESPACES:
        _create(st, RES["namespace"], {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        try:
            _status(st, RES["namespace"], None, ns, {"phase": "Active"})
        except Exception:  # noqa: BLE001 - A's store may manage namespace status itself
            pass
    # StorageClass (the only valid destination class)
    _create(st, RES["sc"], {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                            "metadata": {"name": STORAGE_CLASS, "annotations": {
                                "storageclass.kubernetes.io/is-default-class": "true"}},
                            "provisioner": "csi.lab.mtvtest.io", "reclaimPolicy": "Delete",
                            "volumeBindingMode": "Immediate", "allowVolumeExpansion": True})
    ctx.facts["storage_class"] = STORAGE_CLASS
    # ForkliftController + its Deployment
    fc = _create(st, RES["fc"], {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "ForkliftController",
                                 "metadata": {"name": "forklift-controller", "namespace": MTV_NS},
                                 "spec": {"feature_ui_plugin": "true", "feature_validation": "true",
                                          "feature_volume_populator": "true"}})
    _status(st, RES["fc"], MTV_NS, "forklift-controller",
            {"conditions": fc_conditions(True), "observedGeneration": fc["metadata"].get("generation", 1)})
    app = {"app": "forklift", "control-plane": "controller-manager"}
    _create(st, RES["deployment"], deployment("forklift-controller", [
        {"name": "main", "image": "registry.redhat.io/mtv/mtv-controller-rhel9:%s" % MTV_VERSION,
         "env": controller_env(fc.get("spec") or {})},
        {"name": "inventory", "image": "registry.redhat.io/mtv/mtv-controller-rhel9:%s" % MTV_VERSION,
         "ports": [{"containerPort": 8443, "name": "api-https"}]}], {"app": "forklift", "service": "forklift-controller"}))
    for dep in ("forklift-api", "forklift-ui-plugin", "forklift-validation", "forklift-operator"):
        _create(st, RES["deployment"], deployment(dep, [{"name": "main", "image": "registry.redhat.io/mtv/%s:%s" % (
            dep, MTV_VERSION)}], {"app": "forklift", "service": dep}))
    for d in st.list(RES["deployment"], MTV_NS):
        _status(st, RES["deployment"], MTV_NS, d["metadata"]["name"],
                {"replicas": 1, "readyReplicas": 1, "availableReplicas": 1, "updatedReplicas": 1,
                 "observedGeneration": d["metadata"].get("generation", 1),
                 "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable",
                                 "message": "Deployment has minimum availability.", "lastTransitionTime": rfc3339()}]})
    # pods
    for name, svc in (("forklift-controller-7c9f8d6b5-lx2kq", "forklift-controller"),
                      ("forklift-api-6d8b9c7f4-q8w2m", "forklift-api"),
                      ("forklift-ui-plugin-5f7d6c8b9-v4n7p", "forklift-ui-plugin"),
                      ("forklift-validation-8b6c5d9f7-z3k5t", "forklift-validation"),
                      ("forklift-operator-74c8d9b6f-m2x9r", "forklift-operator")):
        _create(st, RES["pod"], {"apiVersion": "v1", "kind": "Pod",
                                 "metadata": {"name": name, "namespace": MTV_NS,
                                              "labels": {"app": "forklift", "service": svc}},
                                 "spec": {"containers": [{"name": "main", "image": "registry.redhat.io/mtv/%s" % svc}],
                                          "nodeName": "lab-node-1"}})
        _status(st, RES["pod"], MTV_NS, name, {
            "phase": "Running", "podIP": "10.128.0.%d" % (10 + len(name) % 50), "startTime": rfc3339(),
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": rfc3339()}],
            "containerStatuses": [{"name": "main", "ready": True, "restartCount": 0, "started": True,
                                   "state": {"running": {"startedAt": rfc3339()}}}]})
    # inventory Service + Route (the Route's host is the lab's inventory listener: 127.0.0.1:<port>)
    host = "127.0.0.1:%d" % inventory_port
    _create(st, RES["service"], {"apiVersion": "v1", "kind": "Service",
                                 "metadata": {"name": "forklift-inventory", "namespace": MTV_NS},
                                 "spec": {"ports": [{"name": "api-https", "port": 8443, "targetPort": 8443}],
                                          "selector": {"service": "forklift-controller"}}})
    _create(st, RES["route"], {"apiVersion": "route.openshift.io/v1", "kind": "Route",
                               "metadata": {"name": "forklift-inventory", "namespace": MTV_NS,
                                            "labels": {"app": "forklift", "service": "forklift-inventory"}},
                               "spec": {"host": host, "to": {"kind": "Service", "name": "forklift-inventory",
                                                             "weight": 100},
                                        "port": {"targetPort": "api-https"},
                                        "tls": {"termination": "reencrypt",
                                                "insecureEdgeTerminationPolicy": "Redirect"},
                                        "wildcardPolicy": "None"}})
    _status(st, RES["route"], MTV_NS, "forklift-inventory", {"ingress": [{
        "host": host, "routerName": "default", "wildcardPolicy": "None", "routerCanonicalHostname": "127.0.0.1",
        "conditions": [{"type": "Admitted", "status": "True", "lastTransitionTime": rfc3339()}]}]})
    ctx.facts["inventory_route_host"] = host
    ctx.facts["inventory_url"] = "https://" + host
    # OLM
    csv_name = "mtv-operator.v%s" % MTV_VERSION
    _create(st, RES["subscription"], {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "Subscription",
                                      "metadata": {"name": "mtv-operator", "namespace": MTV_NS},
                                      "spec": {"channel": "release-v2.10", "installPlanApproval": "Automatic",
                                               "name": "mtv-operator", "source": "redhat-operators",
                                               "sourceNamespace": "openshift-marketplace",
                                               "startingCSV": csv_name}})
    _status(st, RES["subscription"], MTV_NS, "mtv-operator", {
        "installedCSV": csv_name, "currentCSV": csv_name, "state": "AtLatestKnown", "lastUpdated": rfc3339()})
    _create(st, RES["csv"], {"apiVersion": "operators.coreos.com/v1alpha1", "kind": "ClusterServiceVersion",
                             "metadata": {"name": csv_name, "namespace": MTV_NS},
                             "spec": {"displayName": "Migration Toolkit for Virtualization Operator",
                                      "version": MTV_VERSION, "provider": {"name": "Red Hat"},
                                      "install": {"strategy": "deployment", "spec": {"deployments": [{
                                          "name": "forklift-operator", "spec": {"template": {"spec": {"containers": [{
                                              "name": "ansible", "env": [{"name": "MUST_GATHER_IMAGE",
                                                                          "value": "registry.redhat.io/mtv/mtv-must-gather-rhel8@sha256:" + "0" * 64}]}]}}}}]}}}})
    _status(st, RES["csv"], MTV_NS, csv_name, {"phase": "Succeeded", "reason": "InstallSucceeded",
                                               "message": "install strategy completed with no errors"})
    _create(st, RES["clusterversion"], {"apiVersion": "config.openshift.io/v1", "kind": "ClusterVersion",
                                        "metadata": {"name": "version"},
                                        "spec": {"channel": "stable-4.20", "clusterID": "5d2f1c9e-lab0-4f00-9000-mtvtest00001"}})
    _status(st, RES["clusterversion"], None, "version", {
        "desired": {"version": OCP_VERSION, "image": "quay.io/openshift-release-dev/ocp-release:%s-x86_64" % OCP_VERSION},
        "history": [{"state": "Completed", "version": OCP_VERSION, "startedTime": rfc3339(),
                     "completionTime": rfc3339(), "verified": True}],
        "observedGeneration": 1, "availableUpdates": None,
        "conditions": [{"type": "Available", "status": "True", "lastTransitionTime": rfc3339()}]})
    # the host Provider MTV creates in its namespace
    _create(st, RES["provider"], {"apiVersion": "forklift.konveyor.io/v1beta1", "kind": "Provider",
                                  "metadata": {"name": "host", "namespace": MTV_NS},
                                  "spec": {"type": "openshift", "url": "", "secret": {}}})
