/* checks: cpu (reference 3.4) - cores per socket and sockets. */
#include "checks/checks_priv.h"

void mtv_checks__cpu(struct mtv_check_result *r, const struct check_ctx *ctx)
{
    const struct mtv_checks_source *s = ctx->src;
    const struct mtv_checks_dest *d = ctx->dest;
    struct mtv_buf b = MTV_BUF_INIT;
    long long cores = d->cores > 0 ? d->cores : 1; /* KubeVirt default */
    long long sockets = d->sockets > 0 ? d->sockets : 1;
    long long want_sockets;

    if (s->cores_per_socket <= 0 || s->num_cpu <= 0) {
        check_set(r, MTV_CHECK_SKIP, "the source VM reports no CPU topology");
        return;
    }
    want_sockets = s->num_cpu / s->cores_per_socket;
    if (s->cores_per_socket != cores) {
        check_problem(&b,
                      "cores per socket: expected %d, found %lld "
                      "(spec.template.spec.domain.cpu.cores)",
                      s->cores_per_socket, cores);
    }
    if (want_sockets != sockets) {
        check_problem(&b,
                      "sockets: expected %lld, found %lld "
                      "(spec.template.spec.domain.cpu.sockets)",
                      want_sockets, sockets);
    }
    check_finish(r, &b, "%lld socket(s) x %lld core(s)", sockets, cores);
    mtv_buf_dispose(&b);
}
