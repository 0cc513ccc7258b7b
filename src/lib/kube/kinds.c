/* kube: the kind table and API paths. */
#include "mtv/kube.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define FORKLIFT "forklift.konveyor.io"

/* Every kind the warm flow touches (reference §1.14), versions hard-coded. */
static const struct mtv_kube_kind kinds[] = {
    {"Namespace", "", "v1", "namespaces", false},
    {"Secret", "", "v1", "secrets", true},
    {"ConfigMap", "", "v1", "configmaps", true},
    {"Pod", "", "v1", "pods", true},
    {"Service", "", "v1", "services", true},
    {"PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", true},
    {"PersistentVolume", "", "v1", "persistentvolumes", false},
    {"ServiceAccount", "", "v1", "serviceaccounts", true},
    {"Event", "", "v1", "events", true},
    {"Deployment", "apps", "v1", "deployments", true},
    {"StorageClass", "storage.k8s.io", "v1", "storageclasses", false},
    {"Route", "route.openshift.io", "v1", "routes", true},
    {"NetworkAttachmentDefinition", "k8s.cni.cncf.io", "v1",
     "network-attachment-definitions", true},
    {"DataVolume", "cdi.kubevirt.io", "v1beta1", "datavolumes", true},
    {"StorageProfile", "cdi.kubevirt.io", "v1beta1", "storageprofiles",
     false},
    {"VirtualMachine", "kubevirt.io", "v1", "virtualmachines", true},
    {"VirtualMachineInstance", "kubevirt.io", "v1", "virtualmachineinstances",
     true},
    {"ForkliftController", FORKLIFT, "v1beta1", "forkliftcontrollers", true},
    {"Provider", FORKLIFT, "v1beta1", "providers", true},
    {"NetworkMap", FORKLIFT, "v1beta1", "networkmaps", true},
    {"StorageMap", FORKLIFT, "v1beta1", "storagemaps", true},
    {"Plan", FORKLIFT, "v1beta1", "plans", true},
    {"Migration", FORKLIFT, "v1beta1", "migrations", true},
    {"Host", FORKLIFT, "v1beta1", "hosts", true},
    {"Hook", FORKLIFT, "v1beta1", "hooks", true},
    {"ClusterVersion", "config.openshift.io", "v1", "clusterversions", false},
    {"ImageDigestMirrorSet", "config.openshift.io", "v1",
     "imagedigestmirrorsets", false},
    {"ConsoleCLIDownload", "console.openshift.io", "v1",
     "consoleclidownloads", false},
    {"Subscription", "operators.coreos.com", "v1alpha1", "subscriptions",
     true},
    {"ClusterServiceVersion", "operators.coreos.com", "v1alpha1",
     "clusterserviceversions", true},
    {"CustomResourceDefinition", "apiextensions.k8s.io", "v1",
     "customresourcedefinitions", false},
};

const struct mtv_kube_kind *mtv_kube_kinds(size_t *n)
{
    *n = sizeof(kinds) / sizeof(kinds[0]);
    return kinds;
}

static bool matches(const struct mtv_kube_kind *k, const char *name)
{
    size_t rn = strlen(k->resource);

    if (strcmp(k->kind, name) == 0 || strcmp(k->resource, name) == 0) {
        return true;
    }
    return strncmp(name, k->resource, rn) == 0 && name[rn] == '.' &&
           strcmp(name + rn + 1, k->group) == 0;
}

const struct mtv_kube_kind *mtv_kube_kind_find(const char *name)
{
    if (name == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (matches(&kinds[i], name)) {
            return &kinds[i];
        }
    }
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcasecmp(kinds[i].kind, name) == 0) {
            return &kinds[i];
        }
    }
    return NULL;
}

const char *mtv_kube_kind_api_version(const struct mtv_kube_kind *k,
                                      char *out, size_t size)
{
    if (k->group[0] == '\0') {
        snprintf(out, size, "%s", k->version);
    } else {
        snprintf(out, size, "%s/%s", k->group, k->version);
    }
    return out;
}

int mtv_kube_ref_for_kind(struct mtv_kube_ref *out, const char *kind,
                          const char *ns, const char *name,
                          struct mtv_error *err)
{
    const struct mtv_kube_kind *k = mtv_kube_kind_find(kind);

    if (k == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "k8s", "unknown kind '%s'",
                             kind != NULL ? kind : "(null)");
    }
    if (k->namespaced && name != NULL && (ns == NULL || ns[0] == '\0')) {
        return mtv_error_set(err, MTV_EINVAL, "k8s",
                             "%s '%s' needs a namespace", k->kind, name);
    }
    memset(out, 0, sizeof(*out));
    out->group = k->group;
    out->version = k->version;
    out->resource = k->resource;
    out->namespace = k->namespaced ? ns : NULL;
    out->name = name;
    return 0;
}

static int put_segment(struct mtv_buf *b, const char *s)
{
    int rc = mtv_buf_puts(b, "/");
    return rc == 0 ? mtv_http_buf_put_escaped(b, s) : rc;
}

int mtv_kube_ref_path(struct mtv_buf *b, const struct mtv_kube_ref *ref)
{
    int rc = 0;

    if (ref->group == NULL || ref->group[0] == '\0') {
        rc = mtv_buf_printf(b, "/api/%s", ref->version);
    } else {
        rc = mtv_buf_printf(b, "/apis/%s/%s", ref->group, ref->version);
    }
    if (rc == 0 && ref->namespace != NULL && ref->namespace[0] != '\0') {
        rc = mtv_buf_puts(b, "/namespaces");
        rc = rc == 0 ? put_segment(b, ref->namespace) : rc;
    }
    rc = rc == 0 ? put_segment(b, ref->resource) : rc;
    if (rc == 0 && ref->name != NULL) {
        rc = put_segment(b, ref->name);
    }
    if (rc == 0 && ref->subresource != NULL) {
        /* may hold slashes ("portforward/22/tcp"): kept as given */
        rc = mtv_buf_printf(b, "/%s", ref->subresource);
    }
    return rc;
}
