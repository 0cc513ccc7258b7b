/*
 * vsphere: disks added at clone time (reference §1.15.C): first free
 * units on the first SCSI controller, per-disk datastores, datastore_path
 * folders, free space for thick disks.
 */
#include <stdlib.h>
#include <string.h>

#include "vsphere/clone_priv.h"

#define GIB (1024LL * 1024 * 1024)

/* "[ds]" or "[ds] <path>/<clone>_disk_<unit>.vmdk". */
static int put_file_name(struct mtv_buf *b, const struct clone_req *q,
                         size_t i, int unit)
{
    const char *path = q->spec->add_disks[i].datastore_path;
    int rc = mtv_buf_puts(b, "<fileName>[");

    rc = rc == 0 ? mtv_buf_put_xml_escaped(b, q->disk_ds[i].name) : rc;
    rc = rc == 0 ? mtv_buf_puts(b, "]") : rc;
    if (rc == 0 && path != NULL && path[0] != '\0') {
        rc = mtv_buf_puts(b, " ");
        rc = rc == 0 ? mtv_buf_put_xml_escaped(b, path) : rc;
        rc = rc == 0 ? mtv_buf_puts(b, "/") : rc;
        rc = rc == 0 ? mtv_buf_put_xml_escaped(b, q->spec->name) : rc;
        rc = rc == 0 ? mtv_buf_printf(b, "_disk_%d.vmdk", unit) : rc;
    }
    return rc == 0 ? mtv_buf_puts(b, "</fileName>") : rc;
}

static int put_added_disk(struct mtv_buf *b, struct clone_req *q, size_t i,
                          int unit)
{
    const struct mtv_vsphere_add_disk *d = &q->spec->add_disks[i];
    const struct ds_ref *ds = &q->disk_ds[i];
    bool thin = d->provision_type == NULL ||
                mtv_str_eq(d->provision_type, "thin");
    int rc = mtv_buf_printf(
        b,
        "<deviceChange><operation>add</operation>"
        "<fileOperation>create</fileOperation>"
        "<device xsi:type=\"VirtualDisk\"><key>%d</key>"
        "<backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\">",
        -101 - (int)i);

    rc = rc == 0 ? put_file_name(b, q, i, unit) : rc;
    rc = rc == 0 ? mtv_soap_put_moref(b, "datastore", ds->ref.type,
                                      ds->ref.value)
                 : rc;
    rc = rc == 0 ? mtv_soap_put_text(b, "diskMode", d->disk_mode != NULL
                                                        ? d->disk_mode
                                                        : "persistent")
                 : rc;
    rc = rc == 0 ? mtv_soap_put_bool(b, "thinProvisioned", thin) : rc;
    rc = rc == 0 ? mtv_soap_put_bool(
                       b, "eagerlyScrub",
                       mtv_str_eq(d->provision_type, "thick-eager"))
                 : rc;
    rc = rc == 0 ? mtv_buf_printf(b,
                                  "</backing><controllerKey>%d</controllerKey>"
                                  "<unitNumber>%d</unitNumber>"
                                  "<capacityInKB>%lld</capacityInKB>"
                                  "</device></deviceChange>",
                                  q->src->first_scsi_key, unit,
                                  d->size_gb * 1024 * 1024)
                 : rc;
    return rc;
}

static int next_free_unit(bool *used)
{
    for (int u = 0; u < 16; u++) {
        if (u != 7 && !used[u]) {
            used[u] = true;
            return u;
        }
    }
    return -1;
}

int mtv_vsphere__put_added_disks(struct mtv_buf *b, struct clone_req *q,
                                 struct mtv_error *err)
{
    bool used[16];
    int rc = 0;

    memcpy(used, q->src->used_unit, sizeof(used));
    for (size_t i = 0; rc == 0 && i < q->spec->n_add_disks; i++) {
        int unit = next_free_unit(used);

        if (q->src->first_scsi_key < 0 || unit < 0) {
            return mtv_error_set(err, MTV_EINVAL, "vsphere",
                                 "clone '%s': no free unit on a SCSI "
                                 "controller for added disk %zu",
                                 q->spec->name, i + 1);
        }
        rc = put_added_disk(b, q, i, unit);
        if (rc == 0 && q->spec->warm) {
            rc = mtv_strv_push_take(
                &q->added_ctk, mtv_strdup_printf("scsi%d:%d.ctkEnabled",
                                                 q->src->first_scsi_bus, unit));
        }
    }
    return rc;
}

/* ------------------------------------------------------------ resolve */

static int read_ds(const struct mtv_soap_node *o, void *payload)
{
    struct ds_ref *ds = payload;

    mtv_strlcpy(ds->name,
                mtv_soap_node_text(mtv_vsphere__prop(o, "name")),
                sizeof(ds->name));
    ds->free_bytes = mtv_soap_node_path_long(
        mtv_vsphere__prop(o, "summary.freeSpace"), "", -1);
    return 0;
}

/* The moref, name and free space of a datastore (name or moref id). */
static int resolve_ds(struct mtv_vsphere *vs, const char *name_or_id,
                      const struct mtv_moref *known, struct ds_ref *out,
                      struct mtv_error *err)
{
    static const char *const paths[] = {"name", "summary.freeSpace"};
    struct mtv_buf spec = MTV_BUF_INIT;
    int rc = 0;

    if (known != NULL) {
        out->ref = *known;
    } else {
        rc = mtv_vsphere_lookup_by_name(vs, "Datastore", name_or_id, &out->ref,
                                        err);
    }
    out->free_bytes = -1;
    rc = rc == 0 ? mtv_vsphere__put_object_spec(&spec, &out->ref, paths, 2)
                 : rc;
    rc = rc == 0 ? mtv_vsphere__retrieve(vs, &spec, read_ds, out, err) : rc;
    mtv_buf_dispose(&spec);
    return rc;
}

/* Thick disks must fit in their datastore's free space (summed). */
static int check_thick_space(const struct clone_req *q, struct mtv_error *err)
{
    const struct mtv_vsphere_clone_spec *s = q->spec;

    for (size_t i = 0; i < s->n_add_disks; i++) {
        long long need = 0;

        for (size_t j = 0; j < s->n_add_disks; j++) {
            bool thick = s->add_disks[j].provision_type != NULL &&
                         !mtv_str_eq(s->add_disks[j].provision_type, "thin");
            if (thick && strcmp(q->disk_ds[j].ref.value,
                                q->disk_ds[i].ref.value) == 0) {
                need += s->add_disks[j].size_gb * GIB;
            }
        }
        if (q->disk_ds[i].free_bytes >= 0 && need > q->disk_ds[i].free_bytes) {
            return mtv_error_set(err, MTV_EINVAL, "vsphere",
                                 "clone '%s': thick disks need %lld GiB on "
                                 "datastore '%s', %lld GiB free",
                                 s->name, need / GIB, q->disk_ds[i].name,
                                 q->disk_ds[i].free_bytes / GIB);
        }
    }
    return 0;
}

/* FileManager.MakeDirectory("[ds] path", first datacenter, parents). */
static int make_directory(struct mtv_vsphere *vs, const struct ds_ref *ds,
                          const char *path, struct mtv_error *err)
{
    struct mtv_moref dc = {{0}, {0}};
    struct mtv_buf b = MTV_BUF_INIT;
    char *name = mtv_strdup_printf("[%s] %s", ds->name, path);
    int rc = name != NULL ? 0 : MTV_ENOMEM;

    rc = rc == 0 ? mtv_vsphere_lookup_by_name(vs, "Datacenter", NULL, &dc, err)
                 : rc;
    rc = rc == 0 ? mtv_soap_put_moref(&b, "_this", vs->file_manager.type,
                                      vs->file_manager.value)
                 : rc;
    rc = rc == 0 ? mtv_soap_put_text(&b, "name", name) : rc;
    rc = rc == 0 ? mtv_soap_put_moref(&b, "datacenter", dc.type, dc.value) : rc;
    rc = rc == 0 ? mtv_soap_put_bool(&b, "createParentDirectories", true) : rc;
    rc = rc == 0 ? mtv_vsphere__call(vs, NULL, "MakeDirectory", &b,
                                     MTV_SOAP_NONE, err)
                 : rc;
    if (rc != 0 &&
        strcmp(mtv_soap_client_last_fault(vs->soap), "FileAlreadyExists") == 0) {
        mtv_error_clear(err);
        rc = 0;
    }
    if (rc != 0) {
        mtv_error_prefix(err, "make folder '%s'", name != NULL ? name : path);
    }
    free(name);
    mtv_buf_dispose(&b);
    return rc;
}

static int make_directories(struct mtv_vsphere *vs, const struct clone_req *q,
                            struct mtv_error *err)
{
    int rc = 0;

    for (size_t i = 0; rc == 0 && i < q->spec->n_add_disks; i++) {
        const char *path = q->spec->add_disks[i].datastore_path;
        if (path != NULL && path[0] != '\0') {
            rc = make_directory(vs, &q->disk_ds[i], path, err);
        }
    }
    return rc;
}

int mtv_vsphere__resolve_disk_datastores(struct mtv_vsphere *vs,
                                         struct clone_req *q,
                                         struct mtv_error *err)
{
    struct ds_ref clone_ds;
    int rc = 0;

    if (q->spec->n_add_disks == 0) {
        return 0;
    }
    q->disk_ds = calloc(q->spec->n_add_disks, sizeof(*q->disk_ds));
    if (q->disk_ds == NULL) {
        return mtv_error_set(err, MTV_ENOMEM, "vsphere", "out of memory");
    }
    rc = resolve_ds(vs, NULL, &q->ds, &clone_ds, err);
    for (size_t i = 0; rc == 0 && i < q->spec->n_add_disks; i++) {
        const char *want = q->spec->add_disks[i].datastore;
        if (want == NULL) {
            q->disk_ds[i] = clone_ds;
        } else {
            rc = resolve_ds(vs, want, NULL, &q->disk_ds[i], err);
        }
    }
    rc = rc == 0 ? check_thick_space(q, err) : rc;
    return rc == 0 ? make_directories(vs, q, err) : rc;
}
