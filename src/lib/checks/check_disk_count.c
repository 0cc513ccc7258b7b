/* checks: disk_count (reference 3.18, copy-offload) - PVC-backed volumes
 * of the destination against 1 + the scenario's added disks. */
#include "checks/checks_priv.h"

void mtv_checks__disk_count(struct mtv_check_result *r,
                            const struct check_ctx *ctx)
{
    int want = ctx->vm->expected_disk_count;
    size_t found = ctx->dest->n_disks;

    if (want < 0) {
        check_set(r, MTV_CHECK_SKIP,
                  "only checked for copy-offload "
                  "scenarios");
        return;
    }
    if ((size_t)want != found) {
        check_set(r, MTV_CHECK_FAIL,
                  "PVC-backed volumes of %s/%s: expected "
                  "%d, found %zu",
                  ctx->dest->namespace, ctx->dest->name, want, found);
        return;
    }
    check_set(r, MTV_CHECK_PASS, "%zu PVC-backed volume(s)", found);
}
