/* checks: affinity (reference 3.11) - spec.template.spec.affinity is
 * JSON-deep-equal to the plan's target_affinity. */
#include "checks/checks_priv.h"

#include <stdlib.h>

void mtv_checks__affinity(struct mtv_check_result *r,
                          const struct check_ctx *ctx)
{
    const struct mtv_json *want = ctx->plan->target_affinity;
    const struct mtv_json *have = ctx->dest->affinity;
    char *w = NULL;
    char *h = NULL;

    if (want == NULL) {
        check_set(r, MTV_CHECK_SKIP, "the plan sets no target_affinity");
        return;
    }
    if (have == NULL || mtv_json_size(have) == 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "VM %s/%s has no "
                  "spec.template.spec.affinity",
                  ctx->dest->namespace, ctx->dest->name);
        return;
    }
    if (mtv_json_equal(want, have)) {
        check_set(r, MTV_CHECK_PASS, "affinity equals target_affinity");
        return;
    }
    w = mtv_json_print(want, false);
    h = mtv_json_print(have, false);
    check_set(r, MTV_CHECK_FAIL,
              "spec.template.spec.affinity: expected "
              "%.900s, found %.900s",
              w != NULL ? w : "?", h != NULL ? h : "?");
    free(w);
    free(h);
}
