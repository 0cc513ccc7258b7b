/* checks: guest_agent (reference 3.14) - when the scenario asks for it,
 * the VMI reports AgentConnected=True within guest_agent_timeout. */
#include "checks/checks_priv.h"

#include <string.h>

#define DEFAULT_TIMEOUT_MS 301000
#define DEFAULT_INTERVAL_MS 1000

static bool vmi_agent_connected(const struct mtv_json *vmi)
{
    const struct mtv_json *c = NULL;

    for (c = mtv_json_first(mtv_json_get(vmi, "status.conditions")); c != NULL;
         c = mtv_json_next(c)) {
        if (mtv_str_eq(mtv_json_string_or(c, "type", NULL), "AgentConnected") &&
            mtv_str_eq(mtv_json_string_or(c, "status", NULL), "True")) {
            return true;
        }
    }
    return false;
}

/* Poll the VMI until the agent connects or the deadline passes. */
static bool wait_agent(const struct check_ctx *ctx, char *last, size_t size)
{
    const struct mtv_checks_plan *p = ctx->plan;
    int64_t timeout = p->guest_agent_timeout_ms > 0 ? p->guest_agent_timeout_ms
                                                    : DEFAULT_TIMEOUT_MS;
    int64_t every = p->guest_agent_interval_ms > 0 ? p->guest_agent_interval_ms
                                                   : DEFAULT_INTERVAL_MS;
    struct check_retry retry;
    bool ok = false;

    check_retry_init(&retry, timeout, every);

    while (!ok) {
        struct mtv_json *vmi = NULL;
        struct mtv_error err;

        mtv_error_clear(&err);
        if (ctx->env->get_vmi(&vmi, ctx->dest, &err, ctx->env->payload) < 0) {
            mtv_strlcpy(last, err.msg, size);
        } else {
            ok = vmi_agent_connected(vmi);
        }
        mtv_json_free(vmi);
        if (ok || !check_retry_again(&retry, ctx)) {
            break;
        }
    }
    return ok;
}

void mtv_checks__guest_agent(struct mtv_check_result *r,
                             const struct check_ctx *ctx)
{
    char last[512] = "";

    if (!ctx->vm->guest_agent) {
        check_set(r, MTV_CHECK_SKIP,
                  "the scenario does not ask for the "
                  "guest agent");
        return;
    }
    if (check_skip_unless_running(r, ctx)) {
        return;
    }
    if (ctx->dest->agent_connected) {
        check_set(r, MTV_CHECK_PASS, "VMI condition AgentConnected is True");
        return;
    }
    if (ctx->env->get_vmi == NULL || !wait_agent(ctx, last, sizeof(last))) {
        check_set(r, MTV_CHECK_FAIL,
                  "VMI %s/%s: expected condition "
                  "AgentConnected=True, not found%s%s",
                  ctx->dest->namespace, ctx->dest->name,
                  last[0] != '\0' ? "; last error: " : "", last);
        return;
    }
    check_set(r, MTV_CHECK_PASS, "VMI condition AgentConnected became True");
}
