/* flow: `mtvtest clean` (CONTRACTS.md section 5). */
#include "flow_priv.h"
#include "precopy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool plan_has_clones(const struct mtv_td_plan *p)
{
    for (size_t i = 0; i < p->len; i++) {
        if (p->actions[i].verb == MTV_TD_DESTROY_CLONE) {
            return true;
        }
    }
    return false;
}

static int clean_plan(struct mtv_td_plan *plan, struct mtv_ledger **ledger,
                      const struct mtv_run_options *opts, struct mtv_error *err)
{
    int rc;

    if (opts->ledger_path != NULL) {
        rc = mtv_ledger_load(ledger, opts->ledger_path, err);
        return rc ? rc : mtv_ledger_teardown_plan(plan, *ledger, err);
    }
    if (opts->session_id == NULL ||
        !mtv_naming_session_valid(opts->session_id)) {
        return mtv_error_set(err, MTV_ECONFIG, "flow",
                             "clean: '%s' is not a session id",
                             opts->session_id ? opts->session_id : "");
    }
    return mtv_ledger_session_plan(plan, opts->session_id, err);
}

/* The vCenter session for clone actions; a failure is reported, and the
 * clone actions then fail as leftovers. */
static void clean_vsphere(struct flow_conn *c, const struct mtv_config *cfg,
                          const struct mtv_providers *providers)
{
    const struct mtv_provider *src =
        mtv_providers_get(providers, cfg->source_provider);
    struct mtv_error err;

    mtv_error_clear(&err);
    if (src == NULL || src->type != MTV_PROVIDER_VSPHERE) {
        mtv_log(MTV_LOG_WARN, "flow",
                "clean: no vSphere source_provider to remove clones with");
        return;
    }
    if (flow_conn_vsphere(c, src, cfg, &err) != 0) {
        mtv_log(MTV_LOG_WARN, "flow", "clean: %s", err.msg);
    }
}

/*
 * clean --session: the session's share of the ForkliftController's
 * precopy lease (precopy.h). Its original value is in the lease
 * annotation, so the last holder's clean restores it. A failure is a
 * leftover.
 */
static size_t clean_precopy_lease(struct flow_conn *c,
                                  const struct mtv_config *cfg,
                                  const char *session)
{
    enum flow_precopy_outcome out = FLOW_PRECOPY_NOLEASE;
    struct mtv_error err;
    char *name = NULL;
    int rc;

    mtv_error_clear(&err);
    rc = flow_precopy_controller_name(&name, c->kube, cfg->mtv_namespace, &err);
    rc = rc ? rc
            : flow_precopy_leave(c->kube, cfg->mtv_namespace, name, session,
                                 &out, &err);
    free(name);
    if (rc == MTV_ENOTFOUND) {
        return 0;
    }
    if (rc != 0) {
        mtv_log(MTV_LOG_WARN, "flow", "clean: precopy lease: %s", err.msg);
        return 1;
    }
    mtv_log(MTV_LOG_INFO, "flow", "clean: precopy lease of %s: %s", session,
            flow_precopy_outcome_name(out));
    return 0;
}

int mtv_flow_clean(const struct mtv_run_options *opts,
                   const struct mtv_config *config,
                   const struct mtv_providers *providers, struct mtv_error *err)
{
    struct mtv_td_plan plan = MTV_TD_PLAN_INIT;
    struct mtv_ledger *ledger = NULL;
    struct flow_conn conn;
    size_t left = 0;
    int rc;

    memset(&conn, 0, sizeof(conn));
    mtv_flow_install_signal_handlers();
    rc = clean_plan(&plan, &ledger, opts, err);
    rc = rc ? rc : flow_conn_kube(&conn, opts, config, NULL, err);
    if (rc == 0 && plan_has_clones(&plan)) {
        clean_vsphere(&conn, config, providers);
    }
    if (rc == 0) {
        if (ledger == NULL) {
            left += clean_precopy_lease(&conn, config, opts->session_id);
        }
        left += flow_teardown_run(&plan, &conn, ledger, config, false);
        fprintf(stderr,
                "mtvtest: note: clean: %zu action(s), %zu left "
                "behind\n",
                plan.len, left);
    }
    mtv_td_plan_dispose(&plan);
    mtv_ledger_free(ledger);
    flow_conn_dispose(&conn);
    if (rc != 0) {
        return rc;
    }
    if (mtv_interrupted() != 0) {
        return mtv_error_set(err, MTV_EINTR, "flow", "clean interrupted");
    }
    return left > 0 ? 1 : 0;
}
