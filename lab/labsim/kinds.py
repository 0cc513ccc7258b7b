"""The resource types the lab's API serves (besides the Forklift CRDs, registered from schema.py)."""

from . import schema as _schema

# (res, kind, namespaced, options)
DEFAULT_KINDS = [
    ("namespaces", "Namespace", False, dict(status_subresource=True, short_names=["ns"])),
    ("secrets", "Secret", True, {}),
    ("configmaps", "ConfigMap", True, dict(short_names=["cm"])),
    ("services", "Service", True, dict(status_subresource=True, short_names=["svc"], categories=["all"])),
    ("endpoints", "Endpoints", True, dict(short_names=["ep"])),
    ("pods", "Pod", True, dict(status_subresource=True, short_names=["po"], categories=["all"],
                               subresources=["log", "exec", "portforward", "eviction"])),
    ("persistentvolumeclaims", "PersistentVolumeClaim", True, dict(status_subresource=True, short_names=["pvc"])),
    ("persistentvolumes", "PersistentVolume", False, dict(status_subresource=True, short_names=["pv"])),
    ("serviceaccounts", "ServiceAccount", True, dict(short_names=["sa"], subresources=["token"])),
    ("events", "Event", True, dict(short_names=["ev"])),
    ("nodes", "Node", False, dict(status_subresource=True, short_names=["no"])),
    ("deployments.apps", "Deployment", True, dict(version="v1", status_subresource=True, short_names=["deploy"],
                                                  categories=["all"], subresources=["scale"])),
    ("replicasets.apps", "ReplicaSet", True, dict(version="v1", status_subresource=True, short_names=["rs"],
                                                  categories=["all"])),
    ("storageclasses.storage.k8s.io", "StorageClass", False, dict(version="v1", short_names=["sc"])),
    ("customresourcedefinitions.apiextensions.k8s.io", "CustomResourceDefinition", False,
     dict(version="v1", status_subresource=True, short_names=["crd", "crds"])),
    ("routes.route.openshift.io", "Route", True, dict(version="v1", status_subresource=True, builtin=True)),
    ("network-attachment-definitions.k8s.cni.cncf.io", "NetworkAttachmentDefinition", True,
     dict(version="v1", short_names=["net-attach-def"], singular="network-attachment-definition")),
    ("virtualmachines.kubevirt.io", "VirtualMachine", True,
     dict(version="v1", status_subresource=True, short_names=["vm", "vms"], categories=["all"])),
    ("virtualmachineinstances.kubevirt.io", "VirtualMachineInstance", True,
     dict(version="v1", short_names=["vmi", "vmis"], categories=["all"])),
    ("datavolumes.cdi.kubevirt.io", "DataVolume", True,
     dict(version="v1beta1", status_subresource=True, short_names=["dv", "dvs"], categories=["all"])),
    ("storageprofiles.cdi.kubevirt.io", "StorageProfile", False, dict(version="v1beta1", status_subresource=True)),
    ("clusterversions.config.openshift.io", "ClusterVersion", False, dict(version="v1", status_subresource=True)),
    ("imagedigestmirrorsets.config.openshift.io", "ImageDigestMirrorSet", False,
     dict(version="v1", status_subresource=True, short_names=["idms"])),
    ("consoleclidownloads.console.openshift.io", "ConsoleCLIDownload", False, dict(version="v1")),
    # virtual kinds answered by the API server itself (never stored)
    ("selfsubjectaccessreviews.authorization.k8s.io", "SelfSubjectAccessReview", False,
     dict(version="v1", verbs=["create"])),
    ("selfsubjectrulesreviews.authorization.k8s.io", "SelfSubjectRulesReview", True,
     dict(version="v1", verbs=["create"])),
    ("selfsubjectreviews.authentication.k8s.io", "SelfSubjectReview", False, dict(version="v1", verbs=["create"])),
    ("users.user.openshift.io", "User", False, dict(version="v1", verbs=["get"], builtin=True)),
    ("subscriptions.operators.coreos.com", "Subscription", True,
     dict(version="v1alpha1", status_subresource=True, short_names=["sub", "subs"], categories=["olm"])),
    ("clusterserviceversions.operators.coreos.com", "ClusterServiceVersion", True,
     dict(version="v1alpha1", status_subresource=True, short_names=["csv", "csvs"], categories=["olm"])),
]

# printer columns for a few built-in kinds (server-side Table output)
BUILTIN_COLUMNS = {
    "namespaces": [{"name": "Status", "type": "string", "jsonPath": ".status.phase"}],
    "pods": [{"name": "Status", "type": "string", "jsonPath": ".status.phase"}],
    "persistentvolumeclaims": [{"name": "Status", "type": "string", "jsonPath": ".status.phase"},
                               {"name": "Volume", "type": "string", "jsonPath": ".spec.volumeName"},
                               {"name": "StorageClass", "type": "string", "jsonPath": ".spec.storageClassName"}],
    "secrets": [{"name": "Type", "type": "string", "jsonPath": ".type"}],
    "virtualmachines.kubevirt.io": [
        {"name": "Status", "type": "string", "jsonPath": ".status.printableStatus"},
        {"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type=='Ready')].status"}],
    "virtualmachineinstances.kubevirt.io": [
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "IP", "type": "string", "jsonPath": ".status.interfaces[0].ipAddress"},
        {"name": "NodeName", "type": "string", "jsonPath": ".status.nodeName"}],
    "datavolumes.cdi.kubevirt.io": [{"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
                                    {"name": "Progress", "type": "string", "jsonPath": ".status.progress"}],
    "routes.route.openshift.io": [{"name": "Host", "type": "string", "jsonPath": ".spec.host"}],
}

# The KubeVirt subresource API group (served by virt-api behind the apiserver): discovery entries.
SUBRESOURCE_GROUP = "subresources.kubevirt.io"
SUBRESOURCE_VERSIONS = ["v1", "v1alpha3"]
SUBRESOURCES = [
    ("virtualmachineinstances/console", "get"), ("virtualmachineinstances/vnc", "get"),
    ("virtualmachineinstances/portforward", "get"), ("virtualmachineinstances/pause", "update"),
    ("virtualmachineinstances/unpause", "update"), ("virtualmachineinstances/guestosinfo", "get"),
    ("virtualmachines/start", "update"), ("virtualmachines/stop", "update"),
    ("virtualmachines/restart", "update"), ("virtualmachines/portforward", "get"),
]


VIRTUAL = {"selfsubjectaccessreviews.authorization.k8s.io", "selfsubjectrulesreviews.authorization.k8s.io",
           "selfsubjectreviews.authentication.k8s.io", "users.user.openshift.io"}


def register_all(store, crd_source=None):
    """Register the default kinds and the Forklift CRDs; returns (crd docs, source name)."""
    for res, kind, namespaced, opts in DEFAULT_KINDS:
        o = dict(opts)
        if res in BUILTIN_COLUMNS:
            o["printer_columns"] = BUILTIN_COLUMNS[res]
        store.register_kind(res, kind, namespaced, **o)
    docs, src = _schema.crds(crd_source)
    _schema.register_crds(store, docs)
    store.set_defaulter(_schema.default_only)
    return docs, src
