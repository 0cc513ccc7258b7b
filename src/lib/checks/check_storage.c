/* checks: storage (reference 3.7) - disk count, storage class of every
 * disk, and for ocs-storagecluster-ceph-rbd the access mode. */
#include "checks/checks_priv.h"

#include <string.h>

#define CEPH_RBD "ocs-storagecluster-ceph-rbd"

static bool is_source_datastore(const struct mtv_checks_source *s,
                                const char *name)
{
    size_t i;

    for (i = 0; i < s->n_disks; i++) {
        if (mtv_str_eq(s->disks[i].datastore, name)) {
            return true;
        }
    }
    return false;
}

/* ceph-rbd: access mode RWO when the map entry sets accessMode, else RWX. */
static void check_access_modes(struct mtv_buf *b, const struct check_ctx *ctx)
{
    const struct mtv_json *e = NULL;
    size_t i;

    for (e = mtv_json_first(ctx->plan->storage_map); e != NULL;
         e = mtv_json_next(e)) {
        const char *want = NULL;

        if (!is_source_datastore(ctx->src,
                                 mtv_json_string_or(e, "source.name", NULL))) {
            continue;
        }
        want = mtv_json_get(e, "destination.accessMode") != NULL
                   ? "ReadWriteOnce"
                   : "ReadWriteMany";
        for (i = 0; i < ctx->dest->n_disks; i++) {
            const struct mtv_checks_dest_disk *k = &ctx->dest->disks[i];

            if (!mtv_str_eq(k->access_mode, want)) {
                check_problem(b, "PVC %s: access mode expected %s, found %s",
                              k->pvc_name, want,
                              k->access_mode != NULL ? k->access_mode : "none");
            }
        }
    }
}

void mtv_checks__storage(struct mtv_check_result *r,
                         const struct check_ctx *ctx)
{
    const struct mtv_checks_dest *d = ctx->dest;
    const char *sc = ctx->plan->storage_class;
    struct mtv_buf b = MTV_BUF_INIT;
    size_t i;

    if (d->n_disks != ctx->src->n_disks) {
        check_problem(&b,
                      "disks count: expected %zu, found %zu PVC-backed "
                      "volume(s)",
                      ctx->src->n_disks, d->n_disks);
    }
    for (i = 0; i < d->n_disks; i++) {
        const struct mtv_checks_dest_disk *k = &d->disks[i];

        if (!k->pvc_found) {
            check_problem(&b, "PVC %s of volume %s not found", k->pvc_name,
                          k->volume);
        } else if (sc != NULL && !mtv_str_eq(k->storage_class, sc)) {
            check_problem(&b,
                          "PVC %s: storage class expected \"%s\", found "
                          "\"%s\"",
                          k->pvc_name, sc,
                          k->storage_class != NULL ? k->storage_class : "");
        }
    }
    if (mtv_str_eq(sc, CEPH_RBD)) {
        check_access_modes(&b, ctx);
    }
    check_finish(r, &b, "%zu disk(s) on storage class \"%s\"", d->n_disks,
                 sc != NULL ? sc : "");
    mtv_buf_dispose(&b);
}
