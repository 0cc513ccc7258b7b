/* ledger: the teardown order (section 1.13, G10) as a list of actions. */
#include "mtv/ledger.h"

#include "mtv/kube.h"
#include "mtv/naming.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Step 4 of section 1.13: the delete order. */
static const char *const delete_order[] = {
    "Migration",  "Plan",       "Provider",
    "Host",       "Secret",     "NetworkAttachmentDefinition",
    "StorageMap", "NetworkMap", "VirtualMachine",
    "Pod",
};

int mtv_td_resource_of(struct mtv_td_resource *out, const char *kind)
{
    const struct mtv_kube_kind *k = mtv_str_eq(kind, MTV_LEDGER_KIND_CLONE)
                                        ? NULL
                                        : mtv_kube_kind_find(kind);

    if (k == NULL) {
        return MTV_ENOTFOUND;
    }
    *out = (struct mtv_td_resource){k->group, k->version, k->resource,
                                    k->namespaced};
    return 0;
}

const char *mtv_td_verb_name(enum mtv_td_verb v)
{
    static const char *const names[] = {"restore", "cancel", "archive",
                                        "delete",  "sweep",  "destroy-clone"};

    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

const char *mtv_td_result_name(enum mtv_td_result r)
{
    static const char *const names[] = {"pending", "done", "absent", "failed",
                                        "skipped"};

    return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] : "?";
}

/* ----------------------------------------------------------- building */

static void action_dispose(struct mtv_td_action *a)
{
    free(a->kind);
    free(a->api_version);
    free(a->ns);
    free(a->name);
    free(a->moref);
    free(a->scenario);
    free(a->name_contains);
    free(a->label_selector);
    mtv_json_free(a->patch);
}

void mtv_td_plan_dispose(struct mtv_td_plan *p)
{
    if (p == NULL) {
        return;
    }
    for (size_t i = 0; i < p->len; i++) {
        action_dispose(&p->actions[i]);
    }
    free(p->actions);
    p->actions = NULL;
    p->len = 0;
}

/* What one action is made from (all borrowed). */
struct spec {
    enum mtv_td_verb verb;
    const char *kind;
    const char *api_version; /* NULL: from the kind table */
    const char *ns;
    const char *name;
    const char *moref;
    const char *scenario;
    const char *name_contains;
    const char *label_selector;
    const struct mtv_json *patch;
    size_t seq;
};

static bool dup_ok(char **dst, const char *src)
{
    *dst = mtv_strdup(src);
    return src == NULL || *dst != NULL;
}

static int push(struct mtv_td_plan *p, const struct spec *s)
{
    struct mtv_td_action *a = NULL;
    struct mtv_td_resource r;
    bool known = mtv_td_resource_of(&r, s->kind) == 0;
    char av_buf[128];
    const char *av = s->api_version;
    bool ok;

    a = realloc(p->actions, (p->len + 1) * sizeof(*a));
    if (a == NULL) {
        return MTV_ENOMEM;
    }
    p->actions = a;
    a = &p->actions[p->len++];
    memset(a, 0, sizeof(*a));
    a->verb = s->verb;
    a->seq = s->seq;
    if (known) {
        a->res = r;
        if (av == NULL) {
            snprintf(av_buf, sizeof(av_buf), "%s%s%s", r.group,
                     r.group[0] != '\0' ? "/" : "", r.version);
            av = av_buf;
        }
    }
    ok = dup_ok(&a->kind, s->kind) && dup_ok(&a->api_version, av) &&
         dup_ok(&a->ns, s->ns) && dup_ok(&a->name, s->name) &&
         dup_ok(&a->moref, s->moref) && dup_ok(&a->scenario, s->scenario) &&
         dup_ok(&a->name_contains, s->name_contains) &&
         dup_ok(&a->label_selector, s->label_selector);
    if (ok && s->patch != NULL) {
        a->patch = mtv_json_dup(s->patch);
        ok = a->patch != NULL;
    }
    return ok ? 0 : MTV_ENOMEM;
}

static struct spec from_entry(enum mtv_td_verb verb,
                              const struct mtv_ledger_entry *e)
{
    struct spec s = {verb,    e->kind,  e->api_version, e->ns,
                     e->name, e->moref, e->scenario,    NULL,
                     NULL,    NULL,     e->seq};

    if (verb == MTV_TD_RESTORE) {
        s.patch = e->restore;
    }
    return s;
}

static bool is_clone(const struct mtv_ledger_entry *e)
{
    return mtv_str_eq(e->kind, MTV_LEDGER_KIND_CLONE);
}

static bool in_delete_order(const char *kind)
{
    for (size_t i = 0; i < sizeof(delete_order) / sizeof(delete_order[0]);
         i++) {
        if (mtv_str_eq(delete_order[i], kind)) {
            return true;
        }
    }
    return false;
}

/* Filters over live entries. */
enum pick {
    PICK_RESTORE, /* restore != NULL */
    PICK_KIND,    /* created objects of kind */
    PICK_OTHER,   /* created objects of kinds outside the delete order */
    PICK_CLONE,
};

static bool picked(const struct mtv_ledger_entry *e, enum pick how,
                   const char *kind)
{
    if (e->state == MTV_LEDGER_GONE) {
        return false;
    }
    switch (how) {
    case PICK_RESTORE:
        return e->restore != NULL;
    case PICK_KIND:
        return e->restore == NULL && mtv_str_eq(e->kind, kind);
    case PICK_OTHER:
        return e->restore == NULL && !is_clone(e) &&
               !in_delete_order(e->kind) && !mtv_str_eq(e->kind, "Namespace");
    case PICK_CLONE:
        return is_clone(e);
    }
    return false;
}

/* Push one action per picked entry; newest first unless oldest_first. */
static int push_picked(struct mtv_td_plan *p, const struct mtv_ledger *l,
                       enum pick how, const char *kind, enum mtv_td_verb verb)
{
    size_t n = mtv_ledger_count(l);
    int rc = 0;

    for (size_t k = 0; k < n && rc == 0; k++) {
        struct mtv_ledger_entry e;
        size_t i = verb == MTV_TD_RESTORE ? k : n - 1 - k;
        if (mtv_ledger_get_entry(l, i, &e) < 0 || !picked(&e, how, kind)) {
            continue;
        }
        struct spec s = from_entry(verb, &e);
        rc = push(p, &s);
    }
    return rc;
}

static int push_sweep(struct mtv_td_plan *p, const char *kind, const char *ns,
                      const char *contains, const char *selector)
{
    struct spec s = {MTV_TD_SWEEP, kind,     NULL,     ns,   NULL, NULL,
                     NULL,         contains, selector, NULL, 0};

    return push(p, &s);
}

/* Step 5: sweep every recorded Namespace, then PVs cluster-wide. */
static int push_ns_sweeps(struct mtv_td_plan *p, const struct mtv_ledger *l)
{
    const char *session = mtv_ledger_session(l);
    static const char *const by_name[] = {"Pod", "DataVolume",
                                          "PersistentVolumeClaim"};
    size_t n = mtv_ledger_count(l);
    int rc = 0;

    for (size_t i = 0; i < n && rc == 0; i++) {
        struct mtv_ledger_entry e;
        if (mtv_ledger_get_entry(l, i, &e) < 0 ||
            !picked(&e, PICK_KIND, "Namespace")) {
            continue;
        }
        rc = push_sweep(p, "VirtualMachine", e.name, NULL, NULL);
        for (size_t k = 0; k < 3 && rc == 0; k++) {
            rc = push_sweep(p, by_name[k], e.name, session, NULL);
        }
    }
    return rc < 0 ? rc : push_sweep(p, "PersistentVolume", NULL, session, NULL);
}

static int ledger_plan(struct mtv_td_plan *out, const struct mtv_ledger *l)
{
    int rc = push_picked(out, l, PICK_RESTORE, NULL, MTV_TD_RESTORE);

    rc = rc < 0 ? rc
                : push_picked(out, l, PICK_KIND, "Migration", MTV_TD_CANCEL);
    rc = rc < 0 ? rc : push_picked(out, l, PICK_KIND, "Plan", MTV_TD_ARCHIVE);
    for (size_t k = 0;
         rc == 0 && k < sizeof(delete_order) / sizeof(delete_order[0]); k++) {
        rc = push_picked(out, l, PICK_KIND, delete_order[k], MTV_TD_DELETE);
    }
    rc = rc < 0 ? rc : push_picked(out, l, PICK_OTHER, NULL, MTV_TD_DELETE);
    rc = rc < 0 ? rc : push_ns_sweeps(out, l);
    rc = rc < 0 ? rc
                : push_picked(out, l, PICK_KIND, "Namespace", MTV_TD_DELETE);
    return rc < 0 ? rc
                  : push_picked(out, l, PICK_CLONE, NULL, MTV_TD_DESTROY_CLONE);
}

int mtv_ledger_teardown_plan(struct mtv_td_plan *out,
                             const struct mtv_ledger *l, struct mtv_error *err)
{
    if (out == NULL || out->actions != NULL || l == NULL) {
        return mtv_error_set(err, MTV_EINVAL, "ledger",
                             "teardown plan: output must be empty");
    }
    if (ledger_plan(out, l) < 0) {
        mtv_td_plan_dispose(out);
        return mtv_error_set(err, MTV_ENOMEM, "ledger", "out of memory");
    }
    return 0;
}

static int session_plan(struct mtv_td_plan *out, const char *session,
                        const char *selector, const char *prefix)
{
    static const char *const by_name[] = {
        "Pod", "DataVolume", "PersistentVolumeClaim", "PersistentVolume"};
    struct spec cancel = {MTV_TD_CANCEL, "Migration", NULL, NULL,
                          NULL,          NULL,        NULL, NULL,
                          selector,      NULL,        0};
    struct spec archive = cancel;
    struct spec clones = {MTV_TD_DESTROY_CLONE,
                          MTV_LEDGER_KIND_CLONE,
                          NULL,
                          NULL,
                          NULL,
                          NULL,
                          NULL,
                          prefix,
                          NULL,
                          NULL,
                          0};
    int rc;

    archive.verb = MTV_TD_ARCHIVE;
    archive.kind = "Plan";
    rc = push(out, &cancel);
    rc = rc < 0 ? rc : push(out, &archive);
    for (size_t k = 0;
         rc == 0 && k < sizeof(delete_order) / sizeof(delete_order[0]); k++) {
        rc = push_sweep(out, delete_order[k], NULL, NULL, selector);
    }
    for (size_t k = 0; rc == 0 && k < 4; k++) {
        rc = push_sweep(out, by_name[k], NULL, session, NULL);
    }
    rc = rc < 0 ? rc : push_sweep(out, "Namespace", NULL, NULL, selector);
    return rc < 0 ? rc : push(out, &clones);
}

int mtv_ledger_session_plan(struct mtv_td_plan *out, const char *session,
                            struct mtv_error *err)
{
    char *selector = NULL;
    char *prefix = NULL;
    int rc;

    if (out == NULL || out->actions != NULL ||
        !mtv_naming_session_valid(session)) {
        return mtv_error_set(err, MTV_EINVAL, "ledger",
                             "invalid session id '%s'",
                             session != NULL ? session : "");
    }
    selector = mtv_strdup_printf("%s=%s", MTV_SESSION_LABEL, session);
    prefix = mtv_strdup_printf("%s-", session);
    rc = selector != NULL && prefix != NULL
             ? session_plan(out, session, selector, prefix)
             : MTV_ENOMEM;
    free(selector);
    free(prefix);
    if (rc < 0) {
        mtv_td_plan_dispose(out);
        return mtv_error_set(err, MTV_ENOMEM, "ledger", "out of memory");
    }
    return 0;
}

int mtv_td_plan_leftovers(const struct mtv_td_plan *p, struct mtv_buf *out)
{
    int n = 0;

    for (size_t i = 0; i < p->len; i++) {
        const struct mtv_td_action *a = &p->actions[i];
        if (a->result != MTV_TD_FAILED && a->result != MTV_TD_PENDING) {
            continue;
        }
        if (out != NULL) {
            mtv_buf_printf(
                out, "%s%s %s %s%s%s: %s", n > 0 ? "; " : "",
                mtv_td_verb_name(a->verb), a->kind, a->ns != NULL ? a->ns : "",
                a->ns != NULL ? "/" : "", a->name != NULL ? a->name : "*",
                a->result == MTV_TD_PENDING ? "not run" : a->message);
        }
        n++;
    }
    return n;
}
