/* forklift: builders of Namespace, Secrets, Providers, maps and NADs. */
#include "forklift_priv.h"

#include "mtv/naming.h"

#include <stdlib.h>
#include <string.h>

int fl_nomem(struct mtv_error *err)
{
    return mtv_error_set(err, MTV_ENOMEM, "forklift", "out of memory");
}

int fl_put(struct mtv_json *obj, const char *key, struct mtv_json *value)
{
    struct mtv_buf path = MTV_BUF_INIT;
    int rc = 0;

    for (const char *p = key; *p != '\0' && rc == 0; p++) {
        if (*p == '.' || *p == '[' || *p == '\\') {
            rc = mtv_buf_append(&path, "\\", 1);
        }
        if (rc == 0) {
            rc = mtv_buf_append(&path, p, 1);
        }
    }
    if (rc == 0 && path.data == NULL) {
        rc = MTV_EINVAL;
    }
    if (rc < 0) {
        mtv_json_free(value);
    } else {
        rc = mtv_json_set_take(obj, path.data, value);
    }
    mtv_buf_dispose(&path);
    return rc;
}

int fl_put_str(struct mtv_json *obj, const char *key, const char *s)
{
    return fl_put(obj, key, mtv_json_new_string(s));
}

static bool empty(const char *s)
{
    return s == NULL || s[0] == '\0';
}

int fl_new_object(struct mtv_json **out, const char *api_version,
                  const char *kind, const struct mtv_fl_meta *meta,
                  struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    struct mtv_json *labels = NULL;
    int rc = 0;

    if (out == NULL || *out != NULL || meta == NULL || empty(meta->name) ||
        !mtv_naming_session_valid(meta->session)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "%s: name and a valid session id are required",
                             kind);
    }
    o = mtv_json_new_object();
    rc = o != NULL ? 0 : MTV_ENOMEM;
    rc = rc < 0 ? rc : mtv_json_set_string(o, "apiVersion", api_version);
    rc = rc < 0 ? rc : mtv_json_set_string(o, "kind", kind);
    rc = rc < 0 ? rc : mtv_json_set_string(o, "metadata.name", meta->name);
    if (rc == 0 && meta->ns != NULL) {
        rc = mtv_json_set_string(o, "metadata.namespace", meta->ns);
    }
    if (rc == 0) {
        labels = mtv_json_new_object();
        rc = mtv_json_set_take(o, "metadata.labels", labels);
    }
    rc = rc < 0 ? rc : fl_put_str(labels, MTV_SESSION_LABEL, meta->session);
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

struct mtv_json *fl_ref(const struct mtv_fl_ref *ref)
{
    struct mtv_json *o = mtv_json_new_object();
    int rc = 0;

    if (o == NULL) {
        return NULL;
    }
    if (ref->name != NULL) {
        rc = mtv_json_set_string(o, "name", ref->name);
    }
    if (rc == 0 && ref->ns != NULL) {
        rc = mtv_json_set_string(o, "namespace", ref->ns);
    }
    if (rc < 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

struct mtv_json *fl_providers(const struct mtv_fl_providers *p)
{
    struct mtv_json *o = mtv_json_new_object();

    if (o == NULL || mtv_json_set_take(o, "source", fl_ref(&p->source)) < 0 ||
        mtv_json_set_take(o, "destination", fl_ref(&p->destination)) < 0) {
        mtv_json_free(o);
        return NULL;
    }
    return o;
}

int fl_new_patch(struct mtv_json **out, const char *name, struct mtv_error *err)
{
    struct mtv_json *o = NULL;

    if (out == NULL || *out != NULL || empty(name)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "patch: object name is required");
    }
    o = mtv_json_new_object();
    if (o == NULL || mtv_json_set_string(o, "metadata.name", name) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

static bool refs_ok(const struct mtv_fl_providers *p)
{
    return !empty(p->source.name) && !empty(p->destination.name);
}

/* ------------------------------------------------------------ objects */

int mtv_forklift_build_namespace(struct mtv_json **out,
                                 const struct mtv_fl_meta *meta,
                                 struct mtv_error *err)
{
    static const struct mtv_fl_kv labels[] = {
        {"pod-security.kubernetes.io/enforce", "restricted"},
        {"pod-security.kubernetes.io/enforce-version", "latest"},
        {"mutatevirtualmachines.kubemacpool.io", "ignore"},
    };
    struct mtv_json *o = NULL;
    struct mtv_json *l = NULL;
    int rc;

    rc = fl_new_object(&o, "v1", "Namespace", meta, err);
    if (rc < 0) {
        return rc;
    }
    l = mtv_json_get_mut(o, "metadata.labels");
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        if (fl_put_str(l, labels[i].key, labels[i].value) < 0) {
            mtv_json_free(o);
            return fl_nomem(err);
        }
    }
    *out = o;
    return 0;
}

/* stringData from pairs; every value registered as a secret if asked. */
static int string_data(struct mtv_json *o, const struct mtv_fl_kv *pairs,
                       size_t n)
{
    struct mtv_json *d = mtv_json_new_object();

    if (d == NULL) {
        return MTV_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].value == NULL) {
            continue;
        }
        if (fl_put_str(d, pairs[i].key, pairs[i].value) < 0) {
            mtv_json_free(d);
            return MTV_ENOMEM;
        }
    }
    return mtv_json_set_take(o, "stringData", d);
}

int mtv_forklift_build_vsphere_secret(struct mtv_json **out,
                                      const struct mtv_fl_meta *meta,
                                      const struct mtv_fl_vsphere_secret *in,
                                      struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    struct mtv_fl_kv data[5];
    int rc;

    if (in == NULL || empty(in->url) || empty(in->user) ||
        in->password == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "vSphere secret: url, user and password are "
                             "required");
    }
    mtv_log_add_secret(in->password);
    rc = fl_new_object(&o, "v1", "Secret", meta, err);
    if (rc < 0) {
        return rc;
    }
    data[0] = (struct mtv_fl_kv){"url", in->url};
    data[1] = (struct mtv_fl_kv){"user", in->user};
    data[2] = (struct mtv_fl_kv){"password", in->password};
    data[3] = (struct mtv_fl_kv){"insecureSkipVerify",
                                 in->insecure_skip_verify ? "true" : "false"};
    data[4] = (struct mtv_fl_kv){"cacert", in->cacert};
    if (fl_put_str(mtv_json_get_mut(o, "metadata.labels"),
                   "createdForProviderType", "vsphere") < 0 ||
        string_data(o, data, 5) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_token_secret(struct mtv_json **out,
                                    const struct mtv_fl_meta *meta,
                                    const char *token,
                                    bool insecure_skip_verify,
                                    struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    struct mtv_fl_kv data[2];
    int rc;

    if (empty(token)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "token secret: a bearer token is required");
    }
    mtv_log_add_secret(token);
    rc = fl_new_object(&o, "v1", "Secret", meta, err);
    if (rc < 0) {
        return rc;
    }
    data[0] = (struct mtv_fl_kv){"token", token};
    data[1] = (struct mtv_fl_kv){"insecureSkipVerify",
                                 insecure_skip_verify ? "true" : "false"};
    if (string_data(o, data, 2) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_storage_secret(struct mtv_json **out,
                                      const struct mtv_fl_meta *meta,
                                      const struct mtv_fl_kv *pairs, size_t n,
                                      struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (pairs == NULL || n == 0) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "storage secret: no keys given");
    }
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].key == NULL) {
            return mtv_error_set(err, MTV_EINVAL, "forklift",
                                 "storage secret: key %zu is missing", i);
        }
        /* Only credentials are secrets: registering a host name or an
         * SVM name would blank it out of every later log line and file. */
        if (pairs[i].value != NULL && (strstr(pairs[i].key, "PASSWORD") ||
                                       strstr(pairs[i].key, "TOKEN") ||
                                       strstr(pairs[i].key, "SECRET"))) {
            mtv_log_add_secret(pairs[i].value);
        }
    }
    rc = fl_new_object(&o, "v1", "Secret", meta, err);
    if (rc < 0) {
        return rc;
    }
    if (string_data(o, pairs, n) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

/* ---------------------------------------------------------- providers */

static int vsphere_settings(struct mtv_json *o,
                            const struct mtv_fl_vsphere_provider *in)
{
    struct mtv_json *s = mtv_json_new_object();
    int rc = s != NULL ? 0 : MTV_ENOMEM;

    if (rc == 0 && !empty(in->vddk_init_image)) {
        rc = mtv_json_set_string(s, "vddkInitImage", in->vddk_init_image);
    }
    if (rc == 0 && !empty(in->esxi_clone_method)) {
        rc = mtv_json_set_string(s, "esxiCloneMethod", in->esxi_clone_method);
    }
    if (rc < 0) {
        mtv_json_free(s);
        return rc;
    }
    return mtv_json_set_take(o, "spec.settings", s);
}

int mtv_forklift_build_vsphere_provider(
    struct mtv_json **out, const struct mtv_fl_meta *meta,
    const struct mtv_fl_vsphere_provider *in, struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (in == NULL || empty(in->url) || empty(in->secret.name)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "vSphere provider: url and secret are required");
    }
    rc = fl_new_object(&o, MTV_FL_API_VERSION, "Provider", meta, err);
    if (rc < 0) {
        return rc;
    }
    rc = mtv_json_set_string(o, "spec.type", "vsphere");
    rc = rc < 0 ? rc : mtv_json_set_string(o, "spec.url", in->url);
    rc = rc < 0 ? rc : mtv_json_set_take(o, "spec.secret", fl_ref(&in->secret));
    rc = rc < 0 ? rc : vsphere_settings(o, in);
    if (rc == 0 && in->copyoffload) {
        struct mtv_json *a = mtv_json_new_object();
        rc = a == NULL ? MTV_ENOMEM
                       : mtv_json_set_take(o, "metadata.annotations", a);
        rc = rc < 0 ? rc : fl_put_str(a, MTV_FL_EMPTY_VDDK_ANNOTATION, "yes");
    }
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_ocp_provider(struct mtv_json **out,
                                    const struct mtv_fl_meta *meta,
                                    const char *url,
                                    const struct mtv_fl_ref *secret,
                                    struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    bool remote = !empty(url);
    int rc;

    if (remote && (secret == NULL || empty(secret->name))) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "remote openshift provider: a token secret is "
                             "required");
    }
    rc = fl_new_object(&o, MTV_FL_API_VERSION, "Provider", meta, err);
    if (rc < 0) {
        return rc;
    }
    rc = mtv_json_set_string(o, "spec.type", "openshift");
    rc = rc < 0 ? rc : mtv_json_set_string(o, "spec.url", remote ? url : "");
    if (rc == 0 && remote) {
        rc = mtv_json_set_take(o, "spec.secret", fl_ref(secret));
        rc = rc < 0
                 ? rc
                 : mtv_json_set_take(o, "spec.settings", mtv_json_new_object());
    } else if (rc == 0) {
        rc = mtv_json_set_take(o, "spec.secret", mtv_json_new_object());
    }
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

/* --------------------------------------------------------------- maps */

static struct mtv_json *storage_entry(const struct mtv_fl_storage_map *in,
                                      const char *ds)
{
    struct mtv_json *e = mtv_json_new_object();
    const struct mtv_fl_offload *off = in->offload;
    int rc = e != NULL ? 0 : MTV_ENOMEM;

    rc = rc < 0 ? rc
                : mtv_json_set_string(e, "destination.storageClass",
                                      in->storage_class);
    if (rc == 0 && off == NULL) {
        rc = mtv_json_set_string(e, "source.name", ds);
    } else if (rc == 0) {
        rc = mtv_json_set_string(e, "source.id", ds);
        rc = rc < 0 ? rc
                    : mtv_json_set_string(e, "destination.accessMode",
                                          "ReadWriteOnce");
        rc = rc < 0 ? rc
                    : mtv_json_set_string(e, "destination.volumeMode", "Block");
        rc = rc < 0 ? rc
                    : mtv_json_set_string(
                          e, "offloadPlugin.vsphereXcopyConfig.secretRef",
                          off->secret_name);
        rc = rc < 0 ? rc
                    : mtv_json_set_string(e,
                                          "offloadPlugin.vsphereXcopyConfig."
                                          "storageVendorProduct",
                                          off->vendor);
    }
    if (rc < 0) {
        mtv_json_free(e);
        return NULL;
    }
    return e;
}

static int storage_entries(struct mtv_json *map,
                           const struct mtv_fl_storage_map *in)
{
    struct mtv_strv seen = MTV_STRV_INIT;
    int rc = 0;

    for (size_t i = 0; i < in->datastores->len && rc == 0; i++) {
        const char *ds = in->datastores->items[i];
        if (mtv_strv_contains(&seen, ds)) {
            continue; /* PORT NOTE: no duplicate entries */
        }
        rc = mtv_strv_push(&seen, ds);
        rc = rc < 0 ? rc : mtv_json_push_take(map, storage_entry(in, ds));
    }
    mtv_strv_dispose(&seen);
    return rc;
}

static int map_object(struct mtv_json **out, const char *kind,
                      const struct mtv_fl_meta *meta,
                      const struct mtv_fl_providers *providers,
                      struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (!refs_ok(providers)) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "%s: source and destination providers are "
                             "required",
                             kind);
    }
    rc = fl_new_object(&o, MTV_FL_API_VERSION, kind, meta, err);
    if (rc < 0) {
        return rc;
    }
    if (mtv_json_set_take(o, "spec.provider", fl_providers(providers)) < 0 ||
        mtv_json_set_take(o, "spec.map", mtv_json_new_array()) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_storage_map(struct mtv_json **out,
                                   const struct mtv_fl_meta *meta,
                                   const struct mtv_fl_storage_map *in,
                                   struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    int rc;

    if (in == NULL || empty(in->storage_class) || in->datastores == NULL ||
        in->datastores->len == 0 ||
        (in->offload != NULL &&
         (empty(in->offload->secret_name) || empty(in->offload->vendor)))) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "StorageMap: a storage class and at least one "
                             "datastore are required");
    }
    rc = map_object(&o, "StorageMap", meta, &in->providers, err);
    if (rc < 0) {
        return rc;
    }
    if (storage_entries(mtv_json_get_mut(o, "spec.map"), in) < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

static struct mtv_json *network_entry(const struct mtv_fl_network_map *in,
                                      size_t k)
{
    struct mtv_json *e = mtv_json_new_object();
    int rc = e != NULL ? 0 : MTV_ENOMEM;

    rc = rc < 0 ? rc
                : mtv_json_set_string(e, "source.name", in->networks->items[k]);
    if (rc == 0 && k == 0) {
        rc = mtv_json_set_string(e, "destination.type", "pod");
    } else if (rc == 0) {
        rc = mtv_json_set_string(e, "destination.type", "multus");
        rc = rc < 0 ? rc
                    : mtv_json_set_string(e, "destination.name",
                                          in->nads->items[k - 1]);
        rc = rc < 0 ? rc
                    : mtv_json_set_string(e, "destination.namespace",
                                          in->nad_namespace);
    }
    if (rc < 0) {
        mtv_json_free(e);
        return NULL;
    }
    return e;
}

int mtv_forklift_build_network_map(struct mtv_json **out,
                                   const struct mtv_fl_meta *meta,
                                   const struct mtv_fl_network_map *in,
                                   struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    struct mtv_json *map = NULL;
    size_t nads;
    int rc;

    nads = in != NULL && in->nads != NULL ? in->nads->len : 0;
    if (in == NULL || in->networks == NULL || in->networks->len == 0 ||
        nads != in->networks->len - 1 ||
        (nads > 0 && empty(in->nad_namespace))) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "NetworkMap: need at least one network and one "
                             "NAD (with its namespace) per extra network");
    }
    rc = map_object(&o, "NetworkMap", meta, &in->providers, err);
    if (rc < 0) {
        return rc;
    }
    map = mtv_json_get_mut(o, "spec.map");
    for (size_t k = 0; k < in->networks->len && rc == 0; k++) {
        rc = mtv_json_push_take(map, network_entry(in, k));
    }
    if (rc < 0) {
        mtv_json_free(o);
        return fl_nomem(err);
    }
    *out = o;
    return 0;
}

int mtv_forklift_build_nad(struct mtv_json **out,
                           const struct mtv_fl_meta *meta, unsigned i,
                           struct mtv_error *err)
{
    struct mtv_json *o = NULL;
    char *config = NULL;
    int rc;

    if (i == 0 || meta == NULL || meta->name == NULL ||
        strlen(meta->name) > MTV_NAD_NAME_MAX) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "NAD: index from 1 and a name of at most %d "
                             "characters are required",
                             MTV_NAD_NAME_MAX);
    }
    rc = fl_new_object(&o, MTV_NAD_API_VERSION, "NetworkAttachmentDefinition",
                       meta, err);
    if (rc < 0) {
        return rc;
    }
    config = i == 1 ? mtv_strdup("{\"cniVersion\": \"0.3.1\", \"type\": "
                                 "\"cnv-bridge\", \"bridge\": \"cnv-bridge\"}")
                    : mtv_strdup_printf("{\"cniVersion\": \"0.3.1\", "
                                        "\"type\": \"bridge\", \"bridge\": "
                                        "\"%s\"}",
                                        meta->name);
    if (config == NULL || mtv_json_set_string(o, "spec.config", config) < 0) {
        free(config);
        mtv_json_free(o);
        return fl_nomem(err);
    }
    free(config);
    *out = o;
    return 0;
}
