/* flow: the teardown executor (reference 1.13, G10, PORT NOTE: go on). */
#include "flow_priv.h"
#include "precopy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct td {
    struct flow_conn *c;
    const struct mtv_config *cfg;
    const char *session; /* the ledger's session id, NULL without one */
};

static int action_ref(struct mtv_kube_ref *ref, const struct mtv_td_action *a,
                      const char *ns, const char *name, struct mtv_error *err)
{
    if (a->res.resource != NULL) {
        memset(ref, 0, sizeof(*ref));
        ref->group = a->res.group;
        ref->version = a->res.version;
        ref->resource = a->res.resource;
        ref->namespace = a->res.namespaced ? ns : NULL;
        ref->name = name;
        return 0;
    }
    return flow_ref(ref, a->kind, ns, name, err);
}

static int wait_gone(struct td *t, const struct mtv_kube_ref *ref,
                     const char *what, struct mtv_error *err)
{
    struct mtv_kube_wait w;

    memset(&w, 0, sizeof(w));
    w.ref = ref;
    w.namespace = ref->namespace;
    w.name = ref->name;
    w.predicate = mtv_kube_pred_gone;
    w.deadline = flow_seconds(t->cfg->teardown_timeout);
    w.what = what;
    return mtv_kube_wait_for(NULL, t->c->kube, &w, err);
}

/* DELETE and wait until 404. */
static enum mtv_td_result
delete_one(struct td *t, const struct mtv_kube_ref *ref, struct mtv_error *err)
{
    int rc = mtv_kube_delete(NULL, t->c->kube, ref, "Background", err);

    if (rc == MTV_ENOTFOUND) {
        return MTV_TD_ABSENT;
    }
    rc = rc ? rc : wait_gone(t, ref, "be deleted", err);
    return rc == 0 ? MTV_TD_DONE : MTV_TD_FAILED;
}

/*
 * The ForkliftController's precopy lease (precopy.h): leave it, never
 * patch blindly — another run may hold it. The last holder restores the
 * original value; no lease on the object: nothing to do (ABSENT).
 */
static enum mtv_td_result leave_lease(struct td *t, struct mtv_td_action *a,
                                      struct mtv_error *err)
{
    enum flow_precopy_outcome out = FLOW_PRECOPY_NOLEASE;
    int rc =
        flow_precopy_leave(t->c->kube, a->ns, a->name, t->session, &out, err);

    if (rc != 0) {
        return MTV_TD_FAILED;
    }
    return out == FLOW_PRECOPY_NOLEASE ? MTV_TD_ABSENT : MTV_TD_DONE;
}

static enum mtv_td_result do_restore(struct td *t, struct mtv_td_action *a,
                                     struct mtv_error *err)
{
    struct mtv_kube_ref ref;
    int rc;

    if (t->session != NULL && a->kind != NULL &&
        strcmp(a->kind, "ForkliftController") == 0 &&
        flow_precopy_is_lease_restore(a->patch)) {
        return leave_lease(t, a, err);
    }
    rc = action_ref(&ref, a, a->ns, a->name, err);

    rc = rc ? rc : mtv_kube_merge_patch(NULL, t->c->kube, &ref, a->patch, err);
    if (rc == MTV_ENOTFOUND) {
        return MTV_TD_ABSENT;
    }
    return rc == 0 ? MTV_TD_DONE : MTV_TD_FAILED;
}

static int run_terminal(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    return obj == NULL ||
           mtv_forklift_run_state_terminal(mtv_forklift_run_state(obj));
}

/* One object of a verb: the named one, or each one a sweep matched. */
typedef enum mtv_td_result (*td_one_fn)(struct td *t,
                                        const struct mtv_td_action *a,
                                        const char *ns, const char *name,
                                        struct mtv_error *err);

static enum mtv_td_result cancel_one(struct td *t,
                                     const struct mtv_td_action *a,
                                     const char *ns, const char *name,
                                     struct mtv_error *err)
{
    struct mtv_json *mig = NULL, *plan = NULL, *patch = NULL;
    struct mtv_kube_ref ref;
    struct mtv_kube_wait w;
    int rc = action_ref(&ref, a, ns, name, err);

    rc = rc ? rc : mtv_kube_get(&mig, t->c->kube, &ref, err);
    if (rc == MTV_ENOTFOUND || (rc == 0 && run_terminal(mig, NULL))) {
        mtv_json_free(mig);
        return MTV_TD_ABSENT;
    }
    rc = rc ? rc
            : flow_get(&plan, t->c->kube, "Plan",
                       mtv_json_string_or(mig, "spec.plan.namespace", ns),
                       mtv_json_string_or(mig, "spec.plan.name", ""), err);
    rc = rc ? rc : mtv_forklift_build_migration_cancel(&patch, name, plan, err);
    rc = rc ? rc : mtv_kube_merge_patch(NULL, t->c->kube, &ref, patch, err);
    memset(&w, 0, sizeof(w));
    w.ref = &ref;
    w.namespace = ns;
    w.name = name;
    w.predicate = run_terminal;
    w.deadline = flow_seconds(t->cfg->teardown_timeout);
    w.what = "be canceled";
    rc = rc ? rc : mtv_kube_wait_for(NULL, t->c->kube, &w, err);
    mtv_json_free(mig);
    mtv_json_free(plan);
    mtv_json_free(patch);
    return rc == 0 ? MTV_TD_DONE : MTV_TD_FAILED;
}

static enum mtv_td_result archive_one(struct td *t,
                                      const struct mtv_td_action *a,
                                      const char *ns, const char *name,
                                      struct mtv_error *err)
{
    struct mtv_json *patch = NULL;
    struct mtv_kube_ref ref;
    int rc = action_ref(&ref, a, ns, name, err);

    rc = rc ? rc : mtv_forklift_build_plan_archive(&patch, name, err);
    rc = rc ? rc : mtv_kube_merge_patch(NULL, t->c->kube, &ref, patch, err);
    mtv_json_free(patch);
    if (rc == MTV_ENOTFOUND) {
        return MTV_TD_ABSENT;
    }
    return rc == 0 ? MTV_TD_DONE : MTV_TD_FAILED;
}

static enum mtv_td_result delete_named(struct td *t,
                                       const struct mtv_td_action *a,
                                       const char *ns, const char *name,
                                       struct mtv_error *err)
{
    struct mtv_kube_ref ref;

    if (action_ref(&ref, a, ns, name, err) != 0) {
        return MTV_TD_FAILED;
    }
    return delete_one(t, &ref, err);
}

/* Whether a listed object matches a sweep's name filter. */
static bool sweep_match(const struct mtv_td_action *a,
                        const struct mtv_json *obj)
{
    const char *name = mtv_json_string_or(obj, "metadata.name", "");

    if (a->name_contains == NULL) {
        return true;
    }
    if (strcmp(a->kind, "PersistentVolume") == 0) {
        name = mtv_json_string_or(obj, "spec.claimRef.name", "");
    }
    return strstr(name, a->name_contains) != NULL;
}

/*
 * The named object, or, for a name-less action (`clean --session`, the
 * namespace sweeps), every object its label selector and name filter
 * match. FAILED wins over DONE over ABSENT.
 */
static enum mtv_td_result for_each(struct td *t, const struct mtv_td_action *a,
                                   td_one_fn fn, struct mtv_error *err)
{
    struct mtv_kube_list_options lo = {a->label_selector, NULL, 0};
    struct mtv_json *list = NULL;
    struct mtv_kube_ref ref;
    enum mtv_td_result res = MTV_TD_ABSENT;
    int rc;

    if (a->name != NULL) {
        return fn(t, a, a->ns, a->name, err);
    }
    rc = action_ref(&ref, a, a->ns, NULL, err);
    rc = rc ? rc : mtv_kube_list(&list, t->c->kube, &ref, &lo, err);
    if (rc != 0) {
        return rc == MTV_ENOTFOUND ? MTV_TD_ABSENT : MTV_TD_FAILED;
    }
    for (const struct mtv_json *it =
             mtv_json_first(mtv_json_get(list, "items"));
         it != NULL; it = mtv_json_next(it)) {
        enum mtv_td_result r1;
        if (!sweep_match(a, it)) {
            continue;
        }
        r1 = fn(t, a, mtv_json_string_or(it, "metadata.namespace", NULL),
                mtv_json_string_or(it, "metadata.name", ""), err);
        if (r1 == MTV_TD_FAILED) {
            res = MTV_TD_FAILED;
        } else if (r1 == MTV_TD_DONE && res == MTV_TD_ABSENT) {
            res = MTV_TD_DONE;
        }
    }
    mtv_json_free(list);
    return res;
}

static enum mtv_td_result do_cancel(struct td *t, struct mtv_td_action *a,
                                    struct mtv_error *err)
{
    return for_each(t, a, cancel_one, err);
}

static enum mtv_td_result do_archive(struct td *t, struct mtv_td_action *a,
                                     struct mtv_error *err)
{
    return for_each(t, a, archive_one, err);
}

static enum mtv_td_result do_sweep(struct td *t, struct mtv_td_action *a,
                                   struct mtv_error *err)
{
    return for_each(t, a, delete_named, err);
}

static enum mtv_td_result do_delete(struct td *t, struct mtv_td_action *a,
                                    struct mtv_error *err)
{
    return for_each(t, a, delete_named, err);
}

struct clone_sweep {
    const char *prefix;
    struct mtv_moref *found;
    size_t n;
    size_t cap;
};

static int collect_clone(const char *name, const struct mtv_moref *obj,
                         void *payload)
{
    struct clone_sweep *s = payload;

    if (mtv_str_has_prefix(name, s->prefix) && s->n < s->cap) {
        s->found[s->n++] = *obj;
    }
    return 0;
}

static enum mtv_td_result destroy_prefix(struct td *t, const char *prefix,
                                         struct mtv_error *err)
{
    struct mtv_moref found[256];
    struct clone_sweep s = {prefix, found, 0, 256};
    enum mtv_td_result res = MTV_TD_ABSENT;

    if (mtv_vsphere_list(t->c->vs, "VirtualMachine", collect_clone, &s, err) !=
        0) {
        return MTV_TD_FAILED;
    }
    for (size_t i = 0; i < s.n; i++) {
        if (mtv_vsphere_destroy_vm(t->c->vs, &found[i], 600000, err) != 0) {
            res = MTV_TD_FAILED;
        } else if (res == MTV_TD_ABSENT) {
            res = MTV_TD_DONE;
        }
    }
    return res;
}

static enum mtv_td_result do_destroy(struct td *t, struct mtv_td_action *a,
                                     struct mtv_error *err)
{
    struct mtv_moref vm;
    int rc;

    if (t->c->vs == NULL) {
        mtv_error_set(err, MTV_EIO, "flow", "no vCenter session");
        return MTV_TD_FAILED;
    }
    if (a->name == NULL) {
        return destroy_prefix(t, a->name_contains, err);
    }
    memset(&vm, 0, sizeof(vm));
    rc = mtv_vsphere_lookup_vm(t->c->vs, a->moref ? a->moref : a->name, &vm,
                               err);
    if (rc == MTV_ENOTFOUND && a->moref != NULL) {
        mtv_error_clear(err);
        rc = mtv_vsphere_lookup_vm(t->c->vs, a->name, &vm, err);
    }
    if (rc == MTV_ENOTFOUND) {
        return MTV_TD_ABSENT;
    }
    rc = rc ? rc : mtv_vsphere_destroy_vm(t->c->vs, &vm, 600000, err);
    return rc == 0 ? MTV_TD_DONE : MTV_TD_FAILED;
}

typedef enum mtv_td_result (*td_fn)(struct td *t, struct mtv_td_action *a,
                                    struct mtv_error *err);

static const td_fn td_verbs[] = {
    [MTV_TD_RESTORE] = do_restore, [MTV_TD_CANCEL] = do_cancel,
    [MTV_TD_ARCHIVE] = do_archive, [MTV_TD_DELETE] = do_delete,
    [MTV_TD_SWEEP] = do_sweep,     [MTV_TD_DESTROY_CLONE] = do_destroy,
};

static void run_action(struct td *t, struct mtv_td_action *a,
                       struct mtv_ledger *ledger)
{
    struct mtv_error err;
    int64_t t0 = mtv_now_ms();
    char text[700];

    mtv_error_clear(&err);
    a->result = td_verbs[a->verb](t, a, &err);
    a->duration_s = (double)(mtv_now_ms() - t0) / 1000.0;
    if (a->result == MTV_TD_FAILED) {
        mtv_strlcpy(a->message, mtv_error_text(&err, text, sizeof(text)),
                    sizeof(a->message));
    }
    mtv_log(a->result == MTV_TD_FAILED ? MTV_LOG_WARN : MTV_LOG_INFO, "flow",
            "teardown: %s %s %s%s%s: %s%s%s", mtv_td_verb_name(a->verb),
            a->kind, a->ns ? a->ns : "", a->ns ? "/" : "",
            a->name ? a->name : (a->name_contains ? a->name_contains : "*"),
            mtv_td_result_name(a->result), a->message[0] ? ": " : "",
            a->message);
    if (ledger != NULL && a->seq != 0 &&
        (a->result == MTV_TD_DONE || a->result == MTV_TD_ABSENT)) {
        mtv_error_clear(&err);
        mtv_ledger_mark(ledger, a->seq, MTV_LEDGER_GONE, &err);
    }
}

size_t flow_teardown_run(struct mtv_td_plan *plan, struct flow_conn *c,
                         struct mtv_ledger *ledger,
                         const struct mtv_config *cfg, bool restore_only)
{
    struct td t = {c, cfg, ledger != NULL ? mtv_ledger_session(ledger) : NULL};
    struct mtv_buf left = MTV_BUF_INIT;
    int n;

    for (size_t i = 0; i < plan->len; i++) {
        struct mtv_td_action *a = &plan->actions[i];
        if (restore_only && a->verb != MTV_TD_RESTORE) {
            a->result = MTV_TD_SKIPPED;
            continue;
        }
        run_action(&t, a, ledger);
    }
    if (restore_only) {
        return 0;
    }
    n = mtv_td_plan_leftovers(plan, &left);
    if (n > 0) {
        mtv_log(MTV_LOG_ERROR, "flow", "teardown left %d object(s) behind: %s",
                n, left.data ? left.data : "");
    }
    mtv_buf_dispose(&left);
    return n > 0 ? (size_t)n : 0;
}
