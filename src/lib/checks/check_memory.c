/* checks: memory (reference 3.5) - memoryMB equals domain.memory.guest. */
#include "checks/checks_priv.h"

void mtv_checks__memory(struct mtv_check_result *r, const struct check_ctx *ctx)
{
    long long want = ctx->src->memory_mb;
    long long found = ctx->dest->memory_mb;

    if (want <= 0) {
        check_set(r, MTV_CHECK_SKIP, "the source VM reports no memory size");
        return;
    }
    if (found < 0) {
        check_set(r, MTV_CHECK_FAIL,
                  "memory: expected %lld MiB, the "
                  "destination has no domain.memory.guest",
                  want);
        return;
    }
    if (want != found) {
        check_set(r, MTV_CHECK_FAIL,
                  "memory: expected %lld MiB, found %lld "
                  "MiB (domain.memory.guest)",
                  want, found);
        return;
    }
    check_set(r, MTV_CHECK_PASS, "%lld MiB", found);
}
