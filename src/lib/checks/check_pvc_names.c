/* checks: pvc_names (reference 3.8) - each source disk's PVC name as the
 * plan's pvcNameTemplate predicts it (Go template, Forklift's Sprig
 * subset), found among the destination's PVCs: a 58-character prefix with
 * generateName, the exact name otherwise; the matched PVC keeps the
 * disk's index. */
#include "checks/checks_priv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "mtv/tmpl.h"

#define GENERATE_NAME_MAX 58
#define NAME_MAX_LEN 63

/* "[ds] dir/vm_1.vmdk" -> "vm_1.vmdk" (borrowed pointer into file). */
static const char *file_base(const char *file)
{
    const char *p = NULL;
    const char *slash = NULL;

    if (file == NULL) {
        return "";
    }
    p = strchr(file, ']') != NULL ? strchr(file, ']') + 1 : file;
    while (*p == ' ') {
        p++;
    }
    slash = strrchr(p, '/');
    return slash != NULL ? slash + 1 : p;
}

static int by_controller_unit(const void *a, const void *b)
{
    const struct mtv_checks_src_disk *const *x = a;
    const struct mtv_checks_src_disk *const *y = b;

    if ((*x)->controller_key != (*y)->controller_key) {
        return (*x)->controller_key < (*y)->controller_key ? -1 : 1;
    }
    return ((*x)->unit_number > (*y)->unit_number) -
           ((*x)->unit_number < (*y)->unit_number);
}

/* Render the expected name of disk i (trimmed, truncated). */
static int expected_name(const struct mtv_tmpl *t, const struct check_ctx *ctx,
                         const struct mtv_checks_src_disk *disk, long long i,
                         char **out, struct mtv_error *err)
{
    struct mtv_tmpl_var vars[3] = {
        {"VmName", MTV_TMPL_STRING, ctx->vm->name, 0, 0, false},
        {"DiskIndex", MTV_TMPL_INT, NULL, i, 0, false},
        {"FileName", MTV_TMPL_STRING, file_base(disk->file), 0, 0, false},
    };
    struct mtv_tmpl_data data = {vars, 3};
    size_t max = ctx->plan->pvc_name_use_generate_name ? GENERATE_NAME_MAX
                                                       : NAME_MAX_LEN;
    char *s = NULL;
    char *p = NULL;
    size_t n;
    int rc = mtv_tmpl_execute(&s, t, &data, NULL, err);

    if (rc < 0) {
        return rc;
    }
    for (p = s; isspace((unsigned char)*p); p++) {
    }
    n = strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1])) {
        n--;
    }
    n = n > max ? max : n;
    memmove(s, p, n);
    s[n] = '\0';
    if (n == 0) {
        free(s);
        return mtv_error_set(err, MTV_EINVAL, "checks",
                             "the template renders an empty name");
    }
    *out = s;
    return 0;
}

/* Index of the first unmatched destination disk whose PVC matches. */
static long find_match(const struct check_ctx *ctx, const char *want,
                       const bool *used)
{
    size_t i;

    for (i = 0; i < ctx->dest->n_disks; i++) {
        const char *name = ctx->dest->disks[i].pvc_name;

        if (used[i] || name == NULL) {
            continue;
        }
        if (ctx->plan->pvc_name_use_generate_name
                ? mtv_str_has_prefix(name, want)
                : strcmp(name, want) == 0) {
            return (long)i;
        }
    }
    return -1;
}

static void list_pvcs(struct mtv_buf *b, const struct check_ctx *ctx,
                      const bool *used, bool want_used)
{
    size_t i;
    bool first = true;

    for (i = 0; i < ctx->dest->n_disks; i++) {
        if (used[i] == want_used) {
            (void)mtv_buf_printf(b, "%s%s", first ? "" : ",",
                                 ctx->dest->disks[i].pvc_name);
            first = false;
        }
    }
    if (first) {
        (void)mtv_buf_puts(b, "none");
    }
}

/* One source disk: render, match, check the index. */
static void check_disk(struct mtv_buf *b, const struct mtv_tmpl *t,
                       const struct check_ctx *ctx,
                       const struct mtv_checks_src_disk *disk, size_t i,
                       bool *used)
{
    struct mtv_error err;
    char *want = NULL;
    long m;

    mtv_error_clear(&err);
    if (expected_name(t, ctx, disk, (long long)i, &want, &err) < 0) {
        check_problem(b, "disk %zu: template \"%s\" fails: %s", i,
                      ctx->plan->pvc_name_template, err.msg);
        return;
    }
    m = find_match(ctx, want, used);
    if (m < 0) {
        check_problem(b,
                      "disk %zu (%s): no PVC %s \"%s\" (template \"%s\"); "
                      "unmatched PVCs: ",
                      i, file_base(disk->file),
                      ctx->plan->pvc_name_use_generate_name ? "starting with"
                                                            : "named",
                      want, ctx->plan->pvc_name_template);
        list_pvcs(b, ctx, used, false);
        (void)mtv_buf_puts(b, ", matched: ");
        list_pvcs(b, ctx, used, true);
    } else {
        used[m] = true;
        if (check_is_vsphere(ctx) &&
            ctx->dest->disks[m].unit_number != (int)i) {
            check_problem(b,
                          "disk %zu: PVC %s is volume %d, expected %zu "
                          "(disk order not preserved)",
                          i, ctx->dest->disks[m].pvc_name,
                          ctx->dest->disks[m].unit_number, i);
        }
    }
    free(want);
}

static bool needs_vsphere_data(const char *t)
{
    return strstr(t, "{{.FileName}}") != NULL ||
           strstr(t, "{{.DiskIndex}}") != NULL;
}

void mtv_checks__pvc_names(struct mtv_check_result *r,
                           const struct check_ctx *ctx)
{
    const struct mtv_checks_source *s = ctx->before;
    const char *text = ctx->plan->pvc_name_template;
    const struct mtv_checks_src_disk **order = NULL;
    struct mtv_tmpl *t = NULL;
    struct mtv_error err;
    struct mtv_buf b = MTV_BUF_INIT;
    bool *used = NULL;
    size_t i;

    if (text == NULL || text[0] == '\0') {
        check_set(r, MTV_CHECK_SKIP, "the plan sets no pvc_name_template");
        return;
    }
    if (!check_is_vsphere(ctx) && needs_vsphere_data(text)) {
        check_set(r, MTV_CHECK_SKIP,
                  "the template uses .FileName/.DiskIndex, "
                  "only known for vsphere sources");
        return;
    }
    mtv_error_clear(&err);
    if (mtv_tmpl_parse(&t, text, NULL, &err) < 0) {
        check_set(r, MTV_CHECK_FAIL, "pvc_name_template \"%s\": %s", text,
                  err.msg);
        return;
    }
    order = calloc(s->n_disks + 1, sizeof(*order));
    used = calloc(ctx->dest->n_disks + 1, sizeof(*used));
    if (order == NULL || used == NULL) {
        check_set(r, MTV_CHECK_FAIL, "out of memory");
        goto out;
    }
    for (i = 0; i < s->n_disks; i++) {
        order[i] = &s->disks[i];
    }
    qsort(order, s->n_disks, sizeof(*order), by_controller_unit);
    for (i = 0; i < s->n_disks; i++) {
        check_disk(&b, t, ctx, order[i], i, used);
    }
    check_finish(r, &b, "%zu PVC name(s) as \"%s\" predicts", s->n_disks, text);
out:
    mtv_tmpl_free(t);
    free(order);
    free(used);
    mtv_buf_dispose(&b);
}
