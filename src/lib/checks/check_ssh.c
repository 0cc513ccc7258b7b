/* checks: ssh (reference 3.15) - the migrated guest answers SSH with the
 * guest credentials (through the KubeVirt port-forward, or the VMI IP with
 * --ssh-direct: the exec callback decides). Only transport success counts,
 * as in the reference; retried every ssh_interval within ssh_timeout. */
#include "checks/checks_priv.h"

#define DEFAULT_TIMEOUT_MS 300000
#define DEFAULT_INTERVAL_MS 15000

void mtv_checks__ssh(struct mtv_check_result *r, const struct check_ctx *ctx)
{
    const struct mtv_checks_plan *p = ctx->plan;
    int64_t timeout =
        p->ssh_timeout_ms > 0 ? p->ssh_timeout_ms : DEFAULT_TIMEOUT_MS;
    int64_t every =
        p->ssh_interval_ms > 0 ? p->ssh_interval_ms : DEFAULT_INTERVAL_MS;
    struct check_retry retry;
    const char *user = NULL;
    const char *password = NULL;
    struct mtv_error err;
    int attempts = 0;

    if (check_skip_unless_running(r, ctx)) {
        return;
    }
    if (ctx->env->exec == NULL) {
        check_set(r, MTV_CHECK_SKIP, "no SSH transport configured");
        return;
    }
    if (!check_guest_creds(r, ctx, &user, &password)) {
        return;
    }
    mtv_error_clear(&err);
    check_retry_init(&retry, timeout, every);
    for (;;) {
        struct mtv_checks_exec_res res;
        int rc = check_exec(ctx, "true", &res, &err);

        attempts++;
        check_exec_res_dispose(&res);
        if (rc == 0) {
            check_set(r, MTV_CHECK_PASS,
                      "SSH as %s to %s/%s works (attempt "
                      "%d)",
                      user, ctx->dest->namespace, ctx->dest->name, attempts);
            return;
        }
        if (!check_retry_again(&retry, ctx)) {
            break;
        }
    }
    check_set(r, MTV_CHECK_FAIL,
              "SSH as %s to %s/%s failed %d time(s) "
              "within %.1f s: %s",
              user, ctx->dest->namespace, ctx->dest->name, attempts,
              (double)timeout / 1000.0, err.msg);
}
