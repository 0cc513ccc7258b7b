/* checks: snapshots (reference 3.9) - the source VM's snapshot tree after
 * migration matches the one before (by id; create time to the minute,
 * name, state). Unlike the reference, a length difference fails. */
#include "checks/checks_priv.h"

#include <stdlib.h>
#include <string.h>

static int by_id(const void *a, const void *b)
{
    const struct mtv_checks_snapshot *const *x = a;
    const struct mtv_checks_snapshot *const *y = b;
    const char *p = (*x)->id != NULL ? (*x)->id : "";
    const char *q = (*y)->id != NULL ? (*y)->id : "";

    return strcmp(p, q);
}

static const struct mtv_checks_snapshot **
sorted(const struct mtv_checks_source *s)
{
    const struct mtv_checks_snapshot **v =
        calloc(s->n_snapshots + 1, sizeof(*v));
    size_t i;

    for (i = 0; v != NULL && i < s->n_snapshots; i++) {
        v[i] = &s->snapshots[i];
    }
    if (v != NULL && s->n_snapshots > 1) {
        qsort(v, s->n_snapshots, sizeof(*v), by_id);
    }
    return v;
}

/* "2026-11-25T19:52" of an RFC 3339 time. */
static bool same_minute(const char *a, const char *b)
{
    if (a == NULL || b == NULL) {
        return a == b;
    }
    return strlen(a) >= 16 && strlen(b) >= 16 && strncmp(a, b, 16) == 0;
}

static void compare(struct mtv_buf *b, const struct mtv_checks_snapshot *x,
                    const struct mtv_checks_snapshot *y)
{
    if (!mtv_str_eq(x->id, y->id)) {
        check_problem(b, "snapshot id: expected %s, found %s", x->id, y->id);
        return;
    }
    if (!mtv_str_eq(x->name, y->name)) {
        check_problem(b, "snapshot %s name: expected \"%s\", found \"%s\"",
                      x->id, x->name, y->name);
    }
    if (!mtv_str_eq(x->state, y->state)) {
        check_problem(b, "snapshot %s state: expected %s, found %s", x->id,
                      x->state, y->state);
    }
    if (!same_minute(x->create_time, y->create_time)) {
        check_problem(b, "snapshot %s create time: expected %s, found %s",
                      x->id, x->create_time, y->create_time);
    }
}

void mtv_checks__snapshots(struct mtv_check_result *r,
                           const struct check_ctx *ctx)
{
    const struct mtv_checks_snapshot **before = NULL;
    const struct mtv_checks_snapshot **after = NULL;
    struct mtv_buf b = MTV_BUF_INIT;
    size_t n = ctx->before->n_snapshots;
    size_t i;

    if (!check_is_vsphere(ctx) || n == 0) {
        check_set(r, MTV_CHECK_SKIP,
                  "the source VM had no snapshots before "
                  "migration");
        return;
    }
    before = sorted(ctx->before);
    after = sorted(ctx->src);
    if (before == NULL || after == NULL) {
        check_set(r, MTV_CHECK_FAIL, "out of memory");
        goto out;
    }
    if (ctx->src->n_snapshots != n) {
        check_problem(&b, "snapshot count: expected %zu, found %zu", n,
                      ctx->src->n_snapshots);
    }
    for (i = 0; i < n && i < ctx->src->n_snapshots; i++) {
        compare(&b, before[i], after[i]);
    }
    check_finish(r, &b, "%zu snapshot(s) unchanged", n);
out:
    free(before);
    free(after);
    mtv_buf_dispose(&b);
}
