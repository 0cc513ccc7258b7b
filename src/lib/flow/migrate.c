/* flow: step 4 (reference section 1.8) and the copy-offload xcopy check. */
#include "flow_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the Plan watch remembers between events. */
struct watch_state {
    struct flow_scenario *st;
    struct mtv_fl_progress last;
    enum mtv_fl_run_state state;
    int64_t started_ms;
};

static void print_progress(struct watch_state *ws,
                           const struct mtv_fl_progress *cur)
{
    for (size_t i = 0; i < cur->n_vms; i++) {
        const struct mtv_fl_vm_progress *vm = &cur->vms[i];
        const struct mtv_fl_vm_progress *old =
            mtv_forklift_progress_vm(&ws->last, vm->name);
        struct mtv_buf line = MTV_BUF_INIT;

        if (!mtv_forklift_progress_changed(old, vm)) {
            continue;
        }
        mtv_forklift_progress_line(&line, vm);
        flow_progress(ws->st->fs, "%s: +%llds %s", ws->st->sc->name,
                      (long long)((mtv_now_ms() - ws->started_ms) / 1000),
                      line.data ? line.data : "");
        mtv_buf_dispose(&line);
    }
}

/* Predicate on the Plan: terminal (Succeeded/Failed/Canceled) or not. */
static int plan_terminal(const struct mtv_json *obj, void *payload)
{
    struct watch_state *ws = payload;
    struct mtv_fl_progress cur = MTV_FL_PROGRESS_INIT;
    struct mtv_error err;

    if (obj == NULL) {
        return -1; /* the Plan was deleted under us */
    }
    mtv_error_clear(&err);
    if (mtv_forklift_progress_read(&cur, obj, &err) == 0) {
        print_progress(ws, &cur);
        mtv_forklift_progress_dispose(&ws->last);
        ws->last = cur;
    } else {
        mtv_forklift_progress_dispose(&cur);
    }
    ws->state = mtv_forklift_run_state(obj);
    return mtv_forklift_run_state_terminal(ws->state) ? 1 : 0;
}

static int create_migration(struct flow_scenario *st, char *cutover,
                            size_t size, struct mtv_error *err)
{
    struct flow_session *fs = st->fs;
    struct mtv_fl_meta meta = {NULL, fs->target_ns, fs->sid};
    struct mtv_fl_ref plan = {st->plan, fs->target_ns};
    struct mtv_json *obj = NULL, *created = NULL;
    bool warm = st->sc->warm_migration;
    int rc = mtv_naming_auto(&st->migration, fs->sid, fs->base_name,
                             warm ? MTV_NAME_WARM : MTV_NAME_COLD, err);

    cutover[0] = '\0';
    if (rc == 0 && warm) {
        rc = mtv_forklift_format_cutover(cutover, size, mtv_wall_ms(),
                                         fs->cfg->mins_before_cutover, err);
    }
    meta.name = st->migration;
    rc = rc ? rc
            : mtv_forklift_build_migration(&obj, &meta, &plan,
                                           warm ? cutover : NULL, err);
    rc = rc ? rc
            : flow_create(&created, fs, st->conn->kube, st->sc->name,
                          "Migration", obj, err);
    if (rc == 0) {
        st->migration_uid =
            mtv_strdup(mtv_json_string_or(created, "metadata.uid", ""));
    }
    mtv_json_free(obj);
    mtv_json_free(created);
    return rc;
}

/* Copy precopies, cutover and downtime into the run result. */
static void record_timeline(struct mtv_step_ctx *ctx, struct watch_state *ws)
{
    struct flow_scenario *st = ctx->state;

    for (size_t i = 0; i < st->n_vms && i < ctx->result->n_vms; i++) {
        struct mtv_vm_result *vr = &ctx->result->vms[i];
        const struct mtv_fl_vm_progress *p =
            mtv_forklift_progress_vm(&ws->last, st->vms[i].clone_name);

        if (p == NULL) {
            continue;
        }
        for (size_t k = 0; k < p->n_precopies; k++) {
            mtv_vm_result_add_precopy(vr, p->precopies[k].start_ms,
                                      p->precopies[k].end_ms);
        }
        vr->cutover_ms = p->cutover_ms;
        vr->started_ms = p->started_ms;
        vr->completed_ms = p->completed_ms;
        vr->downtime_s = p->downtime_s;
    }
}

/* The failure text: every VM's error, or the state. */
static int outcome(struct mtv_step_ctx *ctx, struct watch_state *ws,
                   struct mtv_error *err)
{
    struct mtv_buf why = MTV_BUF_INIT;
    int rc;

    if (ws->state == MTV_FL_RUN_SUCCEEDED) {
        return 0;
    }
    for (size_t i = 0; i < ws->last.n_vms; i++) {
        const struct mtv_fl_vm_progress *vm = &ws->last.vms[i];
        if (vm->error != NULL) {
            mtv_buf_printf(&why, "%svm '%s': %s", why.len ? "; " : "", vm->name,
                           vm->error);
        }
    }
    rc = mtv_error_set(err, MTV_EREMOTE, "flow", "Plan '%s' %s%s%s",
                       ((struct flow_scenario *)ctx->state)->plan,
                       mtv_forklift_run_state_name(ws->state),
                       why.data ? ": " : "", why.data ? why.data : "");
    mtv_step_set_details(ctx, err->msg);
    mtv_buf_dispose(&why);
    return rc;
}

int flow_step_migrate(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = ctx->state;
    struct watch_state ws;
    char cutover[32];
    long timeout = st->fs->cfg->plan_wait_timeout;
    int rc = create_migration(st, cutover, sizeof(cutover), err);

    memset(&ws, 0, sizeof(ws));
    ws.st = st;
    ws.started_ms = mtv_now_ms();
    if (rc == 0) {
        flow_progress(st->fs, "%s: Migration '%s' created%s%s", st->sc->name,
                      st->migration, cutover[0] ? ", cutover at " : "",
                      cutover);
        rc = flow_wait(NULL, st->conn->kube, "Plan", st->fs->target_ns,
                       st->plan, plan_terminal, &ws, timeout, "finish", err);
    }
    if (rc == MTV_ETIMEOUT) {
        rc = mtv_error_set(err, MTV_ETIMEOUT, "flow",
                           "Plan '%s' did not finish within plan_wait_timeout "
                           "(%lds); last state: %s",
                           st->plan, timeout,
                           mtv_forklift_run_state_name(ws.state));
    }
    record_timeline(ctx, &ws);
    if (rc == 0) {
        rc = outcome(ctx, &ws, err);
    }
    mtv_forklift_progress_dispose(&ws.last);
    return rc;
}

/* A populate pod's log must end with xcopyUsed=1. */
static int xcopy_used(const char *pod, const char *log, struct mtv_error *err)
{
    long used = 0;
    int rc = mtv_forklift_xcopy_used(log != NULL ? log : "", &used, err);

    if (rc == 0 && used != 1) {
        rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                           "populate pod '%s': xcopyUsed=%ld, copy-offload "
                           "fell back to a plain copy",
                           pod, used);
    } else if (rc != 0) {
        mtv_error_prefix(err, "populate pod '%s'", pod);
    }
    return rc;
}

/* Copy-offload: the populate pods' logs must say xcopyUsed=1 (1.10). */
int flow_step_xcopy(struct mtv_step_ctx *ctx, struct mtv_error *err)
{
    struct flow_scenario *st = ctx->state;
    struct mtv_kube_list_options lo = {NULL, NULL, 0};
    struct mtv_json *pods = NULL;
    struct mtv_kube_ref ref;
    char *selector = mtv_strdup_printf("migration=%s", st->migration_uid);
    size_t checked = 0;
    int rc = flow_ref(&ref, "Pod", NULL, NULL, err);

    lo.label_selector = selector;
    rc = rc ? rc : mtv_kube_list(&pods, st->conn->kube, &ref, &lo, err);
    for (const struct mtv_json *p = mtv_json_first(mtv_json_get(pods, "items"));
         rc == 0 && p != NULL; p = mtv_json_next(p)) {
        const char *name = mtv_json_string_or(p, "metadata.name", "");
        struct mtv_kube_call call = {"GET", &ref, NULL, NULL, NULL};
        char *log = NULL;

        if (!mtv_str_has_prefix(name, "populate-")) {
            continue;
        }
        rc = flow_ref(&ref, "Pod",
                      mtv_json_string_or(p, "metadata.namespace", ""), name,
                      err);
        ref.subresource = "log";
        rc = rc ? rc : mtv_kube_call(&log, st->conn->kube, &call, err);
        rc = rc ? rc : xcopy_used(name, log, err);
        checked++;
        free(log);
    }
    if (rc == 0 && checked == 0) {
        rc = mtv_error_set(err, MTV_EREMOTE, "flow",
                           "no populate-* pod labelled '%s': copy-offload "
                           "was not used",
                           selector);
    }
    mtv_json_free(pods);
    free(selector);
    return rc;
}
