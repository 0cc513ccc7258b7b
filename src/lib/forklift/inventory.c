/* forklift: inventory request paths and response parsing (pure). */
#include "forklift_priv.h"

#include <stdlib.h>
#include <string.h>

static const char *const collections[] = {
    [MTV_FL_INV_PROVIDERS] = "",
    [MTV_FL_INV_VMS] = "vms",
    [MTV_FL_INV_DATASTORES] = "datastores",
    [MTV_FL_INV_NETWORKS] = "networks",
    [MTV_FL_INV_HOSTS] = "hosts",
};

static int put_encoded(struct mtv_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p && rc == 0;
         p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("-._~", *p) != NULL) {
            rc = mtv_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            rc = mtv_buf_append(b, e, 3);
        }
    }
    return rc;
}

int mtv_forklift_inv_path(char **out, enum mtv_fl_inv what,
                          const char *provider_id, const char *item_id,
                          struct mtv_error *err)
{
    struct mtv_buf b = MTV_BUF_INIT;
    bool provider_needed = what != MTV_FL_INV_PROVIDERS;
    int rc;

    if (out == NULL || *out != NULL || (unsigned)what > MTV_FL_INV_HOSTS ||
        (provider_needed && (provider_id == NULL || provider_id[0] == '\0')) ||
        (item_id != NULL && item_id[0] == '\0')) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "inventory path: bad arguments");
    }
    rc = mtv_buf_puts(&b, "/providers/vsphere");
    if (rc == 0 && provider_needed) {
        rc = mtv_buf_puts(&b, "/");
        rc = rc < 0 ? rc : put_encoded(&b, provider_id);
        rc = rc < 0 ? rc : mtv_buf_printf(&b, "/%s", collections[what]);
    }
    if (rc == 0 && item_id != NULL) {
        rc = mtv_buf_puts(&b, "/");
        rc = rc < 0 ? rc : put_encoded(&b, item_id);
    }
    if (rc < 0) {
        mtv_buf_dispose(&b);
        return fl_nomem(err);
    }
    *out = mtv_buf_detach(&b);
    return *out != NULL ? 0 : fl_nomem(err);
}

static int expect_array(const struct mtv_json *j, const char *what,
                        struct mtv_error *err)
{
    if (mtv_json_type(j) != MTV_JSON_ARRAY) {
        return mtv_error_set(err, MTV_EPROTO, "forklift",
                             "inventory %s: expected a JSON array", what);
    }
    return 0;
}

int mtv_forklift_inv_provider_id(const char **out,
                                 const struct mtv_json *providers,
                                 const char *name, const char *ns,
                                 struct mtv_error *err)
{
    int rc = expect_array(providers, "providers", err);

    if (rc < 0) {
        return rc;
    }
    for (const struct mtv_json *p = mtv_json_first(providers); p != NULL;
         p = mtv_json_next(p)) {
        const char *id = mtv_json_string_or(p, "id", NULL);
        if (!mtv_str_eq(mtv_json_string_or(p, "name", NULL), name) ||
            (ns != NULL &&
             !mtv_str_eq(mtv_json_string_or(p, "namespace", ns), ns))) {
            continue;
        }
        if (id == NULL || id[0] == '\0') {
            id = mtv_json_string_or(p, "uid", NULL);
        }
        if (id != NULL && id[0] != '\0') {
            *out = id;
            return 0;
        }
    }
    return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                         "provider '%s' is not in the inventory yet",
                         name != NULL ? name : "");
}

int mtv_forklift_inv_find_vm(const struct mtv_json **out,
                             const struct mtv_json *vms, const char *name,
                             struct mtv_error *err)
{
    struct mtv_buf names = MTV_BUF_INIT;
    size_t n = 0;
    int rc = expect_array(vms, "vms", err);

    if (rc < 0) {
        return rc;
    }
    for (const struct mtv_json *v = mtv_json_first(vms); v != NULL;
         v = mtv_json_next(v)) {
        const char *vn = mtv_json_string_or(v, "name", NULL);
        if (mtv_str_eq(vn, name)) {
            mtv_buf_dispose(&names);
            *out = v;
            return 0;
        }
        if (n++ < 20) {
            mtv_buf_printf(&names, "%s'%s'", n > 1 ? ", " : "",
                           vn != NULL ? vn : "?");
        }
    }
    rc = mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                       "VM '%s' not in the inventory; it has %zu VMs: %s%s",
                       name != NULL ? name : "", n,
                       names.data != NULL ? names.data : "none",
                       n > 20 ? ", ..." : "");
    mtv_buf_dispose(&names);
    return rc;
}

/* name of the item with id in an inventory list, or NULL. Borrowed. */
static const char *name_of(const struct mtv_json *list, const char *id)
{
    for (const struct mtv_json *i = mtv_json_first(list); i != NULL;
         i = mtv_json_next(i)) {
        if (mtv_str_eq(mtv_json_string_or(i, "id", NULL), id)) {
            return mtv_json_string_or(i, "name", NULL);
        }
    }
    return NULL;
}

/* For each element of vm[array], look id_path up in list, push the name. */
static int resolve_names(struct mtv_strv *out, const struct mtv_json *vm,
                         const char *array, const char *id_path,
                         const struct mtv_json *list, struct mtv_error *err)
{
    const char *vm_name = mtv_json_string_or(vm, "name", "?");
    int rc = expect_array(list, array, err);

    if (rc < 0) {
        return rc;
    }
    for (const struct mtv_json *e = mtv_json_first(mtv_json_get(vm, array));
         e != NULL; e = mtv_json_next(e)) {
        const char *id = mtv_json_string_or(e, id_path, NULL);
        const char *name = name_of(list, id);
        if (id == NULL) {
            continue; /* e.g. an RDM disk without a datastore */
        }
        if (name == NULL) {
            return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                                 "VM '%s': %s id '%s' is not in the "
                                 "inventory's %s",
                                 vm_name, array, id, array);
        }
        if (!mtv_strv_contains(out, name) && mtv_strv_push(out, name) < 0) {
            return fl_nomem(err);
        }
    }
    return 0;
}

int mtv_forklift_inv_vm_datastores(struct mtv_strv *out,
                                   const struct mtv_json *vm,
                                   const struct mtv_json *datastores,
                                   struct mtv_error *err)
{
    int rc = resolve_names(out, vm, "disks", "datastore.id", datastores, err);

    if (rc == 0 && out->len == 0) {
        return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                             "VM '%s' has no disk on a datastore",
                             mtv_json_string_or(vm, "name", "?"));
    }
    return rc;
}

int mtv_forklift_inv_vm_networks(struct mtv_strv *out,
                                 const struct mtv_json *vm,
                                 const struct mtv_json *networks,
                                 struct mtv_error *err)
{
    int rc = resolve_names(out, vm, "networks", "id", networks, err);

    if (rc == 0 && out->len == 0) {
        return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                             "No networks found for VM '%s'",
                             mtv_json_string_or(vm, "name", "?"));
    }
    return rc;
}

static int disk_cmp(const void *a, const void *b)
{
    const struct mtv_fl_inv_disk *x = a;
    const struct mtv_fl_inv_disk *y = b;

    if (x->controller_key != y->controller_key) {
        return x->controller_key < y->controller_key ? -1 : 1;
    }
    if (x->unit_number != y->unit_number) {
        return x->unit_number < y->unit_number ? -1 : 1;
    }
    return 0;
}

int mtv_forklift_inv_vm_disks(struct mtv_fl_inv_disk **out, size_t *n_out,
                              const struct mtv_json *vm, struct mtv_error *err)
{
    const struct mtv_json *disks = mtv_json_get(vm, "disks");
    struct mtv_fl_inv_disk *d = NULL;
    size_t n = mtv_json_size(disks);
    size_t i = 0;

    if (out == NULL || *out != NULL || n_out == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "forklift",
                             "disks: bad arguments");
    }
    *n_out = 0;
    if (n == 0) {
        return 0;
    }
    d = calloc(n, sizeof(*d));
    if (d == NULL) {
        return fl_nomem(err);
    }
    for (const struct mtv_json *j = mtv_json_first(disks); j != NULL;
         j = mtv_json_next(j), i++) {
        d[i].key = (long)mtv_json_int_or(j, "key", -1);
        d[i].controller_key = (long)mtv_json_int_or(j, "controllerKey", -1);
        d[i].unit_number = (long)mtv_json_int_or(j, "unitNumber", -1);
        d[i].file = mtv_json_string_or(j, "file", NULL);
        d[i].datastore_id = mtv_json_string_or(j, "datastore.id", NULL);
    }
    qsort(d, n, sizeof(*d), disk_cmp);
    *out = d;
    *n_out = n;
    return 0;
}

const char *mtv_forklift_inv_disk_file(const struct mtv_json *vm, long key)
{
    for (const struct mtv_json *j = mtv_json_first(mtv_json_get(vm, "disks"));
         j != NULL; j = mtv_json_next(j)) {
        if (mtv_json_int_or(j, "key", -1) == key) {
            return mtv_json_string_or(j, "file", NULL);
        }
    }
    return NULL;
}

bool mtv_forklift_inv_vm_warm_ready(const struct mtv_json *vm,
                                    struct mtv_buf *why)
{
    const char *snap = mtv_json_string_or(vm, "snapshot.id", "");

    if (!mtv_json_bool_or(vm, "changeTrackingEnabled", false)) {
        if (why != NULL) {
            mtv_buf_puts(why, "Changed Block Tracking (CBT) is not enabled");
        }
        return false;
    }
    if (snap[0] != '\0') {
        if (why != NULL) {
            mtv_buf_printf(why, "the VM has a snapshot ('%s')", snap);
        }
        return false;
    }
    return true;
}
