/* flow: what check_vms needs from live guests, and its report lines. */
#include "flow_priv.h"

#include <stdio.h>

void flow_check_env(struct mtv_checks_env *env, struct flow_scenario *st)
{
    (void)st;
    env->exec = NULL;
}

void flow_check_env_dispose(struct mtv_checks_env *env)
{
    (void)env;
}

void flow_check_report_lines(struct flow_scenario *st, const char *vm,
                             const struct mtv_checks_report *rep)
{
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtv_check_result *r = &rep->results[i];
        flow_progress(st->fs, "%s: vm '%s': %s %s%s%s", st->sc->name, vm,
                      r->name, mtv_check_status_name(r->status),
                      r->message[0] ? ": " : "", r->message);
    }
}
