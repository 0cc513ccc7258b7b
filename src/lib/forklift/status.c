/* forklift: conditions, readiness and run state of Providers/Plans/etc. */
#include "forklift_priv.h"

#include <string.h>

static void cond_from(const struct mtv_json *c, struct mtv_fl_condition *out)
{
    out->type = mtv_json_string_or(c, "type", NULL);
    out->status = mtv_json_string_or(c, "status", NULL);
    out->reason = mtv_json_string_or(c, "reason", NULL);
    out->category = mtv_json_string_or(c, "category", NULL);
    out->message = mtv_json_string_or(c, "message", NULL);
    out->items = mtv_json_get(c, "items");
}

static int cond_in(const struct mtv_json *conds, const char *type,
                   struct mtv_fl_condition *out)
{
    for (const struct mtv_json *c = mtv_json_first(conds); c != NULL;
         c = mtv_json_next(c)) {
        if (mtv_str_eq(mtv_json_string_or(c, "type", NULL), type)) {
            cond_from(c, out);
            return 0;
        }
    }
    return MTV_ENOTFOUND;
}

int mtv_forklift_condition(const struct mtv_json *obj, const char *type,
                           struct mtv_fl_condition *out)
{
    return cond_in(mtv_json_get(obj, "status.conditions"), type, out);
}

bool mtv_forklift_condition_true(const struct mtv_json *obj, const char *type)
{
    struct mtv_fl_condition c;

    return mtv_forklift_condition(obj, type, &c) == 0 &&
           mtv_str_eq(c.status, "True");
}

bool mtv_forklift_condition_blocks(const struct mtv_fl_condition *c)
{
    if (!mtv_str_eq(c->status, "True")) {
        return false;
    }
    return mtv_str_eq(c->category, "Critical") ||
           mtv_str_eq(c->category, "Error") ||
           mtv_str_eq(c->type, "ValidatingVDDK");
}

static int format_items(struct mtv_buf *out, const struct mtv_json *items)
{
    int rc = 0;
    bool first = true;

    if (mtv_json_size(items) == 0) {
        return 0;
    }
    rc = mtv_buf_puts(out, " [");
    for (const struct mtv_json *i = mtv_json_first(items); i && rc == 0;
         i = mtv_json_next(i)) {
        const char *s = mtv_json_string_value(i);
        struct mtv_buf t = MTV_BUF_INIT;
        /* Ref.String() pads with spaces: " id:vm-1 name:'x' " */
        while (s != NULL && *s == ' ') {
            s++;
        }
        rc = mtv_buf_puts(&t, s != NULL ? s : "?");
        while (rc == 0 && t.len > 0 && t.data[t.len - 1] == ' ') {
            t.data[--t.len] = '\0';
        }
        rc = rc < 0 ? rc
                    : mtv_buf_printf(out, "%s%s", first ? "" : ", ",
                                     t.data != NULL ? t.data : "");
        mtv_buf_dispose(&t);
        first = false;
    }
    return rc < 0 ? rc : mtv_buf_puts(out, "]");
}

static int format_one(struct mtv_buf *out, const struct mtv_fl_condition *c,
                      bool first)
{
    int rc = mtv_buf_printf(out, "%s%s (%s", first ? "" : "; ",
                            c->type != NULL ? c->type : "?",
                            c->category != NULL ? c->category : "no category");

    if (rc == 0 && c->reason != NULL && c->reason[0] != '\0') {
        rc = mtv_buf_printf(out, ", %s", c->reason);
    }
    rc = rc < 0 ? rc
                : mtv_buf_printf(out, "): %s",
                                 c->message != NULL ? c->message : "");
    return rc < 0 ? rc : format_items(out, c->items);
}

int mtv_forklift_format_blockers(struct mtv_buf *out,
                                 const struct mtv_json *obj)
{
    const struct mtv_json *conds = mtv_json_get(obj, "status.conditions");
    int n = 0;

    for (const struct mtv_json *j = mtv_json_first(conds); j != NULL;
         j = mtv_json_next(j)) {
        struct mtv_fl_condition c;
        cond_from(j, &c);
        if (!mtv_forklift_condition_blocks(&c)) {
            continue;
        }
        if (out != NULL) {
            int rc = format_one(out, &c, n == 0);
            if (rc < 0) {
                return rc;
            }
        }
        n++;
    }
    return n;
}

enum mtv_fl_readiness
mtv_forklift_provider_readiness(const struct mtv_json *provider,
                                struct mtv_buf *why)
{
    const char *phase = mtv_json_string_or(provider, "status.phase", NULL);

    if (mtv_str_eq(phase, "Ready") ||
        mtv_forklift_condition_true(provider, "Ready")) {
        return MTV_FL_READY;
    }
    if (why != NULL) {
        mtv_buf_printf(why, "phase %s: ", phase != NULL ? phase : "unknown");
        if (mtv_forklift_format_blockers(why, provider) == 0) {
            mtv_buf_puts(why, "no blocking condition");
        }
    }
    return mtv_str_eq(phase, "ConnectionFailed") ? MTV_FL_FAILED
                                                 : MTV_FL_PENDING;
}

enum mtv_fl_readiness mtv_forklift_plan_readiness(const struct mtv_json *plan,
                                                  struct mtv_buf *why)
{
    if (mtv_forklift_condition_true(plan, "Ready")) {
        return MTV_FL_READY;
    }
    if (why != NULL && mtv_forklift_format_blockers(why, plan) == 0) {
        mtv_buf_puts(why, "no Ready condition and no blocking condition");
    }
    return MTV_FL_PENDING;
}

/* A terminal condition: status True, category Advisory or absent. */
static bool terminal_cond(const struct mtv_json *conds, const char *type)
{
    struct mtv_fl_condition c;

    return cond_in(conds, type, &c) == 0 && mtv_str_eq(c.status, "True") &&
           (c.category == NULL || mtv_str_eq(c.category, "Advisory"));
}

static bool true_cond(const struct mtv_json *conds, const char *type)
{
    struct mtv_fl_condition c;

    return cond_in(conds, type, &c) == 0 && mtv_str_eq(c.status, "True");
}

enum mtv_fl_run_state fl_run_state_conds(const struct mtv_json *conds)
{
    if (terminal_cond(conds, "Failed")) {
        return MTV_FL_RUN_FAILED;
    }
    if (terminal_cond(conds, "Canceled")) {
        return MTV_FL_RUN_CANCELED;
    }
    if (terminal_cond(conds, "Succeeded")) {
        return MTV_FL_RUN_SUCCEEDED;
    }
    if (true_cond(conds, "Executing") || true_cond(conds, "Running")) {
        return MTV_FL_RUN_EXECUTING;
    }
    return MTV_FL_RUN_NONE;
}

enum mtv_fl_run_state mtv_forklift_run_state(const struct mtv_json *obj)
{
    return fl_run_state_conds(mtv_json_get(obj, "status.conditions"));
}

bool mtv_forklift_run_state_terminal(enum mtv_fl_run_state s)
{
    return s == MTV_FL_RUN_SUCCEEDED || s == MTV_FL_RUN_FAILED ||
           s == MTV_FL_RUN_CANCELED;
}

const char *mtv_forklift_run_state_name(enum mtv_fl_run_state s)
{
    static const char *const names[] = {"none", "Executing", "Succeeded",
                                        "Failed", "Canceled"};

    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

const char *mtv_forklift_plan_migration_uid(const struct mtv_json *plan)
{
    const struct mtv_json *h = mtv_json_get(plan, "status.migration.history");
    size_t n = mtv_json_size(h);

    if (mtv_json_type(h) != MTV_JSON_ARRAY || n == 0) {
        return NULL;
    }
    return mtv_json_string_or(mtv_json_at(h, n - 1), "migration.uid", NULL);
}

int mtv_forklift_xcopy_used(const char *log, long *out, struct mtv_error *err)
{
    static const char key[] = "xcopyUsed=";
    const char *last = NULL;
    long v = 0;

    for (const char *p = log; p != NULL && (p = strstr(p, key)) != NULL;
         p += sizeof(key) - 1) {
        if (p[sizeof(key) - 1] >= '0' && p[sizeof(key) - 1] <= '9') {
            last = p + sizeof(key) - 1;
        }
    }
    if (last == NULL) {
        return mtv_error_set(err, MTV_ENOTFOUND, "forklift",
                             "no xcopyUsed=<n> in the populate pod log");
    }
    while (*last >= '0' && *last <= '9' && v < 100000000) {
        v = v * 10 + (*last++ - '0');
    }
    *out = v;
    return 0;
}

int mtv_forklift_pred_provider_ready(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    if (obj == NULL) {
        return 0;
    }
    switch (mtv_forklift_provider_readiness(obj, NULL)) {
    case MTV_FL_READY:
        return 1;
    case MTV_FL_FAILED:
        return -1;
    default:
        return 0;
    }
}

int mtv_forklift_pred_plan_ready(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    return obj != NULL &&
           mtv_forklift_plan_readiness(obj, NULL) == MTV_FL_READY;
}

int mtv_forklift_pred_finished(const struct mtv_json *obj, void *payload)
{
    (void)payload;
    return obj != NULL &&
           mtv_forklift_run_state_terminal(mtv_forklift_run_state(obj));
}
